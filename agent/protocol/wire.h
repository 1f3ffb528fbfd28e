// Sending and receiving protocol messages on ZeroMQ sockets, and the CURVE key files both programs use.
#pragma once

#include "protocol.h"

#include <zmq.hpp>

#include <cstdint>

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace dockhand::protocol {

// Caps what libzmq accepts from a peer (ZMQ_MAXMSGSIZE: a bigger frame drops the connection before it is
// buffered) and sets linger 0 so closing never blocks on a dead peer.
void apply_limits(zmq::socket_t& socket, const Limits& limits = {});

// Receives all frames of one multipart message. nullopt when nothing is waiting (non-blocking use) or
// the receive was interrupted.
std::optional<std::vector<std::string>> recv_frames(zmq::socket_t& socket, bool wait = false);

// Sends frames (optionally preceded by a ROUTER routing id). Returns false instead of throwing when the
// peer is unroutable (ROUTER_MANDATORY: EHOSTUNREACH) or the send would block (EAGAIN).
bool send_frames(zmq::socket_t& socket, const std::vector<std::string>& frames,
                 const std::string* routing_id = nullptr, bool dont_wait = true);

// Connection events of a socket (zmq_socket_monitor): libzmq closes a connection on its own when a peer
// sends a frame over ZMQ_MAXMSGSIZE or breaks the ZMTP protocol, and says nothing; with a monitor the
// owner can log it. Poll handle() for ZMQ_POLLIN, then read().
struct SocketEvent {
  std::uint16_t event = 0;   // ZMQ_EVENT_*
  std::int32_t value = 0;    // fd, errno, ZMQ_PROTOCOL_ERROR_* or ZAP status, depending on the event
  std::string endpoint;      // libzmq's name for the connection: the peer when connecting, our own
                             // listening address when bound (libzmq 4.3's monitor says no more)
  std::string describe() const;
};

// Why a handshake failed, in words: ZMQ_PROTOCOL_ERROR_* decoded, an errno as text, a ZAP status explained.
std::string handshake_failure_reason(std::uint16_t event, std::int32_t value);

// A bound socket's monitor names our own address, not the peer's. This pairs each connection's events
// by descriptor (libzmq reports them in order from its one I/O thread): ACCEPTED gives the descriptor,
// whose peer is read at once; a failed handshake is followed by DISCONNECTED of the same descriptor.
// feed() returns what to report when a connection ends: its peer and, if its handshake failed, why.
class ConnectionTracker {
 public:
  struct Closed {
    std::string peer;            // IP address, or empty when it closed before it could be read
    std::uint16_t failed_event = 0;  // ZMQ_EVENT_HANDSHAKE_FAILED_* or 0
    std::int32_t failed_value = 0;
    std::string describe() const;  // a log line without the "fleet: "
  };
  std::optional<Closed> feed(const SocketEvent& e);
  std::size_t open_connections() const { return peers_.size(); }

 private:
  std::map<std::int32_t, std::string> peers_;  // descriptor -> peer, from ACCEPTED until DISCONNECTED
  std::optional<SocketEvent> failed_;          // the handshake failure the next DISCONNECTED belongs to
};

class SocketMonitor {
 public:
  // Watches socket for disconnects and failed handshakes (plus `extra_events`, e.g. ZMQ_EVENT_ACCEPTED for
  // a ConnectionTracker). The monitor lives in socket's context.
  SocketMonitor(zmq::context_t& context, zmq::socket_t& socket, int extra_events = 0);
  ~SocketMonitor();  // stops monitoring (call before closing the socket)
  SocketMonitor(const SocketMonitor&) = delete;
  SocketMonitor& operator=(const SocketMonitor&) = delete;
  void* handle() { return pair_.handle(); }
  std::vector<SocketEvent> read();  // non-blocking: the events waiting

 private:
  zmq::socket_t& socket_;
  zmq::socket_t pair_;
};

// CURVE keys in Z85 (40 characters). Files: NAME.pub holds the public key, NAME.key the secret key
// (mode 0600); '#' lines are comments.
struct CurveKeyPair {
  std::string public_key;
  std::string secret_key;
};

CurveKeyPair generate_curve_keypair();
std::string public_key_of(const std::string& secret_key_z85);
bool is_z85_key(const std::string& text);

// Writes DIR/NAME.pub and DIR/NAME.key (0600). Refuses to overwrite existing files unless force.
void write_keypair(const std::filesystem::path& dir, const std::string& name, const CurveKeyPair& keys,
                   bool force = false);
// Reads a public key file (or a bare key string passed where a file is expected is NOT accepted: files only).
std::string read_public_key(const std::filesystem::path& file);
// Reads a secret key file; refuses one that group or others can read.
CurveKeyPair read_secret_key(const std::filesystem::path& file);
// Every *.pub in a directory, or the keys of one file with a key per line.
std::vector<std::string> read_public_keys(const std::filesystem::path& dir_or_file);

// Client side of CURVE on a DEALER: our key pair and the server's public key.
void make_curve_client(zmq::socket_t& socket, const CurveKeyPair& own, const std::string& server_public_key);

// The shared `keygen` subcommand of both programs; returns the exit code.
int run_keygen(const std::vector<std::string>& args, const std::string& program, const std::string& default_name);

}  // namespace dockhand::protocol
