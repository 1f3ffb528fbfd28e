#include "wire.h"

#include <spdlog/spdlog.h>

#include "drivers/platform.h"

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>

namespace dockhand::protocol {

void apply_limits(zmq::socket_t& socket, const Limits& limits) {
  socket.set(zmq::sockopt::maxmsgsize, static_cast<int64_t>(limits.max_total_bytes));
  socket.set(zmq::sockopt::linger, 0);
}

std::optional<std::vector<std::string>> recv_frames(zmq::socket_t& socket, bool wait) {
  std::vector<std::string> frames;
  zmq::message_t part;
  do {
    zmq::recv_result_t got;
    try {
      got = socket.recv(part, (frames.empty() && !wait) ? zmq::recv_flags::dontwait : zmq::recv_flags::none);
    } catch (const zmq::error_t& e) {
      if (e.num() == EINTR && frames.empty()) return std::nullopt;  // a signal: the caller looks again
      throw;
    }
    if (!got) return std::nullopt;
    frames.emplace_back(static_cast<const char*>(part.data()), part.size());
  } while (part.more());
  return frames;
}

bool send_frames(zmq::socket_t& socket, const std::vector<std::string>& frames, const std::string* routing_id,
                 bool dont_wait) {
  try {
    auto flags = dont_wait ? zmq::send_flags::dontwait : zmq::send_flags::none;
    if (routing_id) {
      if (!socket.send(zmq::buffer(*routing_id), flags | zmq::send_flags::sndmore)) return false;
    }
    for (std::size_t i = 0; i < frames.size(); ++i) {
      auto more = i + 1 < frames.size() ? zmq::send_flags::sndmore : zmq::send_flags::none;
      // After the first part is accepted the rest of the message is accepted atomically.
      if (!socket.send(zmq::buffer(frames[i]), flags | more)) return false;
    }
    return true;
  } catch (const zmq::error_t& e) {
    if (e.num() == EHOSTUNREACH) return false;
    throw;
  }
}

std::string handshake_failure_reason(std::uint16_t event, std::int32_t value) {
  if (event == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL) {
    if (value == ECONNRESET || value == EPIPE || value == 0) return "the peer hung up before the handshake was done";
    return zmq_strerror(value);
  }
  if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) {
    const char* meaning = value == 300 ? "try again later" : value == 400 ? "not allowed" : value == 500 ? "ZAP handler error" : "unknown status";
    return "authentication refused (ZAP status " + std::to_string(value) + ": " + meaning + ")";
  }
  switch (static_cast<std::uint32_t>(value)) {
    case ZMQ_PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND: return "the peer sent a ZMTP command out of turn";
    case ZMQ_PROTOCOL_ERROR_ZMTP_INVALID_SEQUENCE: return "the peer's CURVE nonces were out of sequence";
    case ZMQ_PROTOCOL_ERROR_ZMTP_KEY_EXCHANGE: return "the CURVE key exchange failed";
    case ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_UNSPECIFIED: return "the peer sent a malformed ZMTP command";
    case ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_MESSAGE: return "the peer sent a malformed MESSAGE command";
    case ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_HELLO: return "the peer sent a malformed HELLO (not a CURVE client?)";
    case ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_INITIATE: return "the peer sent a malformed INITIATE";
    case ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_ERROR: return "the peer sent a malformed ERROR command";
    case ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_READY: return "the peer sent a malformed READY command";
    case ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_WELCOME: return "the peer sent a malformed WELCOME";
    case ZMQ_PROTOCOL_ERROR_ZMTP_INVALID_METADATA: return "the peer sent invalid metadata";
    case ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC:
      return "a CURVE message did not decrypt (wrong server key, or forged or corrupted bytes)";
    case ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH:
      return "the peer uses another security mechanism (not CURVE: a plain client, or not ZeroMQ at all)";
    case ZMQ_PROTOCOL_ERROR_ZAP_MALFORMED_REPLY: return "the ZAP handler's reply was malformed";
    case ZMQ_PROTOCOL_ERROR_ZAP_BAD_REQUEST_ID: return "the ZAP handler answered another request";
    case ZMQ_PROTOCOL_ERROR_ZAP_BAD_VERSION: return "the ZAP handler's reply had a bad version";
    case ZMQ_PROTOCOL_ERROR_ZAP_INVALID_STATUS_CODE: return "the ZAP handler's status code was invalid";
    case ZMQ_PROTOCOL_ERROR_ZAP_INVALID_METADATA: return "the ZAP handler's metadata was invalid";
    case ZMQ_PROTOCOL_ERROR_ZAP_UNSPECIFIED: return "the ZAP exchange failed";
    case ZMQ_PROTOCOL_ERROR_ZMTP_UNSPECIFIED: return "the peer broke the ZMTP protocol (not a ZeroMQ peer?)";
    default: {
      char hex[16];
      std::snprintf(hex, sizeof hex, "0x%08x", static_cast<unsigned>(value));
      return std::string("the peer broke the protocol (libzmq reason ") + hex + ")";
    }
  }
}

std::string SocketEvent::describe() const {
  switch (event) {
    case ZMQ_EVENT_DISCONNECTED:
      return "connection " + endpoint + " closed (the peer went away, or ZeroMQ dropped it for a frame over the "
                                        "size limit or a protocol error)";
    case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL:
    case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH:
    case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL:
      return "handshake with " + endpoint + " failed: " + handshake_failure_reason(event, value);
    default:
      return "socket event " + std::to_string(event) + " on " + endpoint;
  }
}

std::optional<ConnectionTracker::Closed> ConnectionTracker::feed(const SocketEvent& e) {
  switch (e.event) {
    case ZMQ_EVENT_ACCEPTED:
      peers_[e.value] = drivers::peer_address(e.value);
      return std::nullopt;
    case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL:
    case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH:
    case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL:
      failed_ = e;
      return std::nullopt;
    case ZMQ_EVENT_DISCONNECTED: {
      Closed closed;
      if (auto it = peers_.find(e.value); it != peers_.end()) {
        closed.peer = it->second;
        peers_.erase(it);
      }
      if (failed_) {
        closed.failed_event = failed_->event;
        closed.failed_value = failed_->value;
        failed_.reset();
      }
      return closed;
    }
    default:
      return std::nullopt;
  }
}

std::string ConnectionTracker::Closed::describe() const {
  // libzmq 4.3's monitor names only our own listening address: never present that as the peer's.
  std::string who = peer.empty() ? "a peer that left before its address could be read" : "peer " + peer;
  if (failed_event) return "handshake with " + who + " failed: " + handshake_failure_reason(failed_event, failed_value);
  return "connection from " + who +
         " closed (the peer went away, or ZeroMQ dropped it for a frame over the size limit or a protocol error)";
}

namespace {
std::atomic<unsigned> monitor_counter{0};
}

SocketMonitor::SocketMonitor(zmq::context_t& context, zmq::socket_t& socket, int extra_events)
    : socket_(socket), pair_(context, zmq::socket_type::pair) {
  std::string address = "inproc://dockhand-monitor-" + std::to_string(drivers::current_pid()) + "-" + std::to_string(monitor_counter++);
  int events = ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
               ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | extra_events;
  if (zmq_socket_monitor(socket_.handle(), address.c_str(), events) != 0)
    throw std::runtime_error(std::string("zmq_socket_monitor: ") + zmq_strerror(zmq_errno()));
  pair_.set(zmq::sockopt::linger, 0);
  pair_.connect(address);
}

SocketMonitor::~SocketMonitor() {
  zmq_socket_monitor(socket_.handle(), nullptr, 0);
  pair_.close();
}

std::vector<SocketEvent> SocketMonitor::read() {
  std::vector<SocketEvent> out;
  while (auto frames = recv_frames(pair_)) {
    if (frames->size() < 2 || (*frames)[0].size() < 6) continue;
    SocketEvent e;
    std::memcpy(&e.event, (*frames)[0].data(), 2);
    std::memcpy(&e.value, (*frames)[0].data() + 2, 4);
    e.endpoint = (*frames)[1];
    out.push_back(std::move(e));
  }
  return out;
}

bool is_z85_key(const std::string& text) {
  if (text.size() != 40) return false;
  uint8_t raw[32];
  return zmq_z85_decode(raw, text.c_str()) != nullptr;
}

CurveKeyPair generate_curve_keypair() {
  char pub[41], sec[41];
  if (zmq_curve_keypair(pub, sec) != 0)
    throw std::runtime_error(std::string("zmq_curve_keypair failed: ") + zmq_strerror(zmq_errno()));
  return {pub, sec};
}

std::string public_key_of(const std::string& secret_key_z85) {
  if (!is_z85_key(secret_key_z85)) throw std::runtime_error("not a Z85 CURVE key (40 characters)");
  char pub[41];
  if (zmq_curve_public(pub, secret_key_z85.c_str()) != 0)
    throw std::runtime_error(std::string("zmq_curve_public failed: ") + zmq_strerror(zmq_errno()));
  return pub;
}

namespace {

// The one key in a key file: the first line that is neither empty nor a comment.
std::string key_line(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) throw std::runtime_error("cannot read key file " + file.string());
  std::string line;
  while (std::getline(in, line)) {
    auto start = line.find_first_not_of(" \t\r");
    if (start == std::string::npos || line[start] == '#') continue;
    auto end = line.find_last_not_of(" \t\r");
    return line.substr(start, end - start + 1);
  }
  throw std::runtime_error("key file " + file.string() + " holds no key");
}

void write_file(const std::filesystem::path& file, const std::string& text, std::filesystem::perms mode, bool force) {
  if (!force && std::filesystem::exists(file))
    throw std::runtime_error(file.string() + " exists (use --force to replace it)");
  auto tmp = file;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!out) throw std::runtime_error("cannot write " + tmp.string());
    // Restrict before the secret is written.
    // (On Windows the bits only say read-only or not; the folder's ACL is what keeps a secret there.)
    std::error_code ec;
    std::filesystem::permissions(tmp, mode, ec);
    if (ec) throw std::runtime_error("cannot chmod " + tmp.string() + ": " + ec.message());
    out << text;
    if (!out.flush()) throw std::runtime_error("cannot write " + tmp.string());
  }
  std::filesystem::rename(tmp, file);
}

}  // namespace

void write_keypair(const std::filesystem::path& dir, const std::string& name, const CurveKeyPair& keys, bool force) {
  std::filesystem::create_directories(dir);
  write_file(dir / (name + ".key"),
             "# Dockhand CURVE secret key '" + name + "'. Keep private (mode 0600).\n" + keys.secret_key + "\n", std::filesystem::perms(0600),
             force);
  write_file(dir / (name + ".pub"), "# Dockhand CURVE public key '" + name + "'\n" + keys.public_key + "\n", std::filesystem::perms(0644),
             force);
}

std::string read_public_key(const std::filesystem::path& file) {
  auto key = key_line(file);
  if (!is_z85_key(key)) throw std::runtime_error("key file " + file.string() + " does not hold a Z85 CURVE key");
  return key;
}

CurveKeyPair read_secret_key(const std::filesystem::path& file) {
  bool others_may_read = false;
  try {
    others_may_read = drivers::readable_by_others(file);
  } catch (const drivers::PlatformError&) {
    throw std::runtime_error("cannot read secret key file " + file.string());
  }
  if (others_may_read)
    throw std::runtime_error("secret key file " + file.string() +
                             " is readable by group or others; chmod 600 it");
  auto secret = key_line(file);
  if (!is_z85_key(secret))
    throw std::runtime_error("secret key file " + file.string() + " does not hold a Z85 CURVE key");
  return {public_key_of(secret), secret};
}

std::vector<std::string> read_public_keys(const std::filesystem::path& dir_or_file) {
  std::vector<std::string> keys;
  auto add_file = [&](const std::filesystem::path& file) {
    std::ifstream in(file);
    if (!in) throw std::runtime_error("cannot read " + file.string());
    std::string line;
    int number = 0;
    while (std::getline(in, line)) {
      ++number;
      auto start = line.find_first_not_of(" \t\r");
      if (start == std::string::npos || line[start] == '#') continue;
      auto key = line.substr(start, line.find_last_not_of(" \t\r") - start + 1);
      if (!is_z85_key(key))
        throw std::runtime_error(file.string() + ":" + std::to_string(number) + ": not a Z85 CURVE public key");
      keys.push_back(key);
    }
  };
  if (std::filesystem::is_directory(dir_or_file)) {
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(dir_or_file))
      if (entry.is_regular_file() && entry.path().extension() == ".pub") files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    for (const auto& f : files) add_file(f);
  } else {
    add_file(dir_or_file);
  }
  return keys;
}

void make_curve_client(zmq::socket_t& socket, const CurveKeyPair& own, const std::string& server_public_key) {
  socket.set(zmq::sockopt::curve_serverkey, server_public_key);
  socket.set(zmq::sockopt::curve_publickey, own.public_key);
  socket.set(zmq::sockopt::curve_secretkey, own.secret_key);
}

int run_keygen(const std::vector<std::string>& args, const std::string& program, const std::string& default_name) {
  std::filesystem::path dir = ".";
  std::string name = default_name;
  bool force = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const auto& a = args[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= args.size()) throw std::runtime_error(a + " needs a value");
      return args[++i];
    };
    if (a == "--help" || a == "-h") {
      std::cout << "usage: " << program << " keygen [--out DIR] [--name NAME] [--force]\n\n"
                << "Generates a CurveZMQ key pair: DIR/NAME.pub (public, give it to the other side) and\n"
                << "DIR/NAME.key (secret, mode 0600, never leaves this machine). Defaults: --out . --name "
                << default_name << ".\n";
      return 0;
    }
    if (a == "--out") dir = value();
    else if (a == "--name") name = value();
    else if (a == "--force") force = true;
    else {
      std::cerr << program << " keygen: unknown argument '" << a << "' (see --help)\n";
      return 2;
    }
  }
  if (name.empty() || name.find('/') != std::string::npos) {
    std::cerr << program << " keygen: --name must be a plain file name\n";
    return 2;
  }
  auto keys = generate_curve_keypair();
  write_keypair(dir, name, keys, force);
  std::cout << "public key: " << keys.public_key << "\n"
            << "wrote " << (dir / (name + ".pub")).string() << " and " << (dir / (name + ".key")).string()
            << " (0600)\n";
  return 0;
}

}  // namespace dockhand::protocol
