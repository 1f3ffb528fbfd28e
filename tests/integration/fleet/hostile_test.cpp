// The fleet under attack (issue 21): hostile bytes, huge length prefixes, half-open connections, keys not
// allow-listed. It keeps serving, and its log, folded as serve folds it (common/folding_sink.h), names the
// peer and the reason in words, in a handful of lines however many times it happens.
#include "fleet_harness.h"

#include "agent/protocol/wire.h"
#include "common/folding_sink.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <regex>

using namespace fleet_test;
using dockhand::fleet::Fleet;
using dockhand::fleet::JobRequest;
namespace fs = std::filesystem;
namespace protocol = dockhand::protocol;

namespace {

// The default logger as serve sets it up: a folding sink in front of the output (here: kept in memory).
class FoldedLog {
 public:
  FoldedLog() : previous_(spdlog::default_logger()), lines_(std::make_shared<Lines>()) {
    auto logger = std::make_shared<spdlog::logger>("fleet-test", dockhand::common::folding(lines_));
    logger->set_pattern("%l %v");
    spdlog::set_default_logger(logger);
  }
  ~FoldedLog() { spdlog::set_default_logger(previous_); }
  std::vector<std::string> lines() {
    std::lock_guard lock(lines_->mutex);
    return lines_->lines;
  }
  std::vector<std::string> matching(const std::string& pattern) {
    std::vector<std::string> out;
    for (const auto& l : lines())
      if (std::regex_search(l, std::regex(pattern))) out.push_back(l);
    return out;
  }
  std::vector<std::string> containing(const std::string& text) {
    std::vector<std::string> out;
    for (const auto& l : lines())
      if (l.find(text) != std::string::npos) out.push_back(l);
    return out;
  }
  std::string all() {
    std::string out;
    for (const auto& l : lines()) out += l + "\n";
    return out;
  }

 private:
  struct Lines : spdlog::sinks::base_sink<std::mutex> {
    std::mutex mutex;
    std::vector<std::string> lines;
    void sink_it_(const spdlog::details::log_msg& msg) override {
      spdlog::memory_buf_t buf;
      formatter_->format(msg, buf);
      std::lock_guard lock(mutex);
      lines.emplace_back(buf.data(), buf.size());
      while (!lines.back().empty() && lines.back().back() == '\n') lines.back().pop_back();
    }
    void flush_() override {}
  };
  std::shared_ptr<spdlog::logger> previous_;
  std::shared_ptr<Lines> lines_;
};

// A raw TCP peer on loopback: connects, optionally waits for the server's greeting, sends bytes.
class RawPeer {
 public:
  explicit RawPeer(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~RawPeer() { ::close(fd_); }
  bool connected() const { return connected_; }
  // Reads what the server sends until `n` bytes came or it closed; the bytes read.
  std::string read(std::size_t n, std::chrono::milliseconds bound = 5000ms) {
    std::string got;
    auto until = std::chrono::steady_clock::now() + bound;
    while (got.size() < n && std::chrono::steady_clock::now() < until) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      char buf[4096];
      auto r = ::recv(fd_, buf, std::min(sizeof buf, n - got.size()), 0);
      if (r <= 0) break;
      got.append(buf, static_cast<std::size_t>(r));
    }
    return got;
  }
  void send(const std::string& bytes) { ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL); }
  // True once the server closed the connection (read gives 0 or an error).
  bool closed_by_server(std::chrono::milliseconds bound = 10000ms) {
    auto until = std::chrono::steady_clock::now() + bound;
    while (std::chrono::steady_clock::now() < until) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      char buf[4096];
      if (::recv(fd_, buf, sizeof buf, 0) <= 0) return true;
    }
    return false;
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

// A ZMTP 3.0 greeting for the NULL mechanism, then READY as a DEALER: a well-behaved start.
std::string zmtp_null_dealer_start() {
  std::string g(64, '\0');
  g[0] = '\xff';
  g[9] = '\x7f';
  g[10] = 3;
  g[11] = 0;
  std::memcpy(&g[12], "NULL", 4);
  std::string body = std::string("\x05READY", 6) + std::string("\x0bSocket-Type", 12) + std::string("\0\0\0\x06", 4) +
                     "DEALER";
  return g + std::string("\x04", 1) + static_cast<char>(body.size()) + body;
}

struct CurveFiles {
  fs::path dir = fs::temp_directory_path() / ("dockhand-hostile-" + std::to_string(getpid()));
  protocol::CurveKeyPair server = protocol::generate_curve_keypair();
  protocol::CurveKeyPair listed = protocol::generate_curve_keypair();
  CurveFiles() {
    fs::remove_all(dir);
    fs::create_directories(dir / "agents");
    protocol::write_keypair(dir, "orchestrator", server);
    protocol::write_keypair(dir / "agents", "vm1", listed);
  }
  ~CurveFiles() { fs::remove_all(dir); }
  dockhand::fleet::FleetConfig fleet() const {
    auto cfg = insecure_fleet();
    cfg.insecure = false;
    cfg.server_secret_key = dir / "orchestrator.key";
    cfg.agent_keys = dir / "agents";
    return cfg;
  }
};

// A CURVE client with the given key knocks once; returns when the fleet has counted the refusal.
void knock_with_key(Fleet& fleet, const protocol::CurveKeyPair& keys, const std::string& server_key) {
  static zmq::context_t context;
  auto before = fleet.stats().refused_keys;
  zmq::socket_t dealer(context, zmq::socket_type::dealer);
  dealer.set(zmq::sockopt::linger, 0);
  protocol::make_curve_client(dealer, keys, server_key);
  dealer.connect(fleet.endpoint());
  ASSERT_TRUE(wait_until([&] { return fleet.stats().refused_keys > before; })) << "no refusal counted";
}

std::size_t warnings(FoldedLog& log) { return log.matching("^(warning|error) ").size(); }

}  // namespace

TEST(Hostile, RefusedKeysNameThePeerAndTwoHundredRefusalsGiveAHandfulOfLines) {
  FoldedLog log;
  CurveFiles files;
  Fleet fleet(files.fleet());
  fleet.start();
  auto stranger = protocol::generate_curve_keypair();
  for (int i = 0; i < 200; ++i) knock_with_key(fleet, stranger, files.server.public_key);
  EXPECT_EQ(fleet.stats().refused_keys, 200u);
  auto refused = log.matching("refused a connection from 127\\.0\\.0\\.1: its CURVE public key is not allow-listed");
  EXPECT_EQ(refused.size(), 1u) << log.all();
  EXPECT_EQ(log.containing("not allow-listed: " + stranger.public_key + ", first seen from 127.0.0.1").size(), 1u)
      << log.all();
  EXPECT_LE(warnings(log), 4u) << log.all();

  // 200 agents each with a new key: each is refused; a few keys are named, then only the count.
  for (int i = 0; i < 200; ++i) knock_with_key(fleet, protocol::generate_curve_keypair(), files.server.public_key);
  EXPECT_LE(warnings(log), 8u) << log.all();
  for (const auto& line : log.lines()) EXPECT_EQ(line.find("protocol error"), std::string::npos) << line;
}

TEST(Hostile, GarbageAndAPlainClientFailTheHandshakeInWordsNotNumbers) {
  FoldedLog log;
  CurveFiles files;
  Fleet fleet(files.fleet());
  fleet.start();
  const int port = port_of(fleet.endpoint());
  {
    RawPeer garbage(port);
    ASSERT_TRUE(garbage.connected());
    EXPECT_EQ(garbage.read(10).size(), 10u) << "the server's greeting signature";
    garbage.send("GET / HTTP/1.1\r\nHost: dockhand\r\n\r\n" + std::string(64, 'A'));
    EXPECT_TRUE(garbage.closed_by_server());
  }
  {
    RawPeer plain(port);  // a well-formed ZMTP peer offering NULL to a CURVE server
    ASSERT_TRUE(plain.connected());
    EXPECT_EQ(plain.read(10).size(), 10u);
    plain.send(zmtp_null_dealer_start());
    EXPECT_TRUE(plain.closed_by_server());
  }
  ASSERT_TRUE(wait_until([&] { return fleet.stats().closed_connections >= 2; })) << log.all();
  auto failed = log.matching("fleet: handshake with .* failed: ");
  ASSERT_FALSE(failed.empty()) << log.all();
  EXPECT_FALSE(log.matching("another security mechanism \\(not CURVE").empty()) << log.all();
  for (const auto& line : log.matching("^(warning|error) ")) {
    EXPECT_FALSE(std::regex_search(line, std::regex("error [0-9]{5,}"))) << "a bare number: " << line;
    EXPECT_EQ(line.find(fleet.endpoint()), std::string::npos) << "names our own endpoint, not the peer: " << line;
  }
  // A peer that breaks the protocol before any ZAP request is named when the fleet read its address
  // before it was gone (best effort: libzmq 4.3's monitor gives only the descriptor); never as our endpoint.
  for (const auto& line : failed)
    EXPECT_TRUE(line.find("peer 127.0.0.1") != std::string::npos ||
                line.find("a peer that left before its address could be read") != std::string::npos)
        << line;
}

TEST(Hostile, HugeLengthPrefixesAndHalfOpenConnectionsLeaveTheFleetServingWithAFewLines) {
  FoldedLog log;
  Fleet fleet(insecure_fleet());
  fleet.start();
  const int port = port_of(fleet.endpoint());
  for (std::uint64_t size : {std::uint64_t(1) << 62, ~std::uint64_t(0), std::uint64_t(1) << 40}) {
    RawPeer huge(port);
    ASSERT_TRUE(huge.connected());
    huge.send(zmtp_null_dealer_start());
    std::string frame = "\x02";  // a long, final message frame, its 8-byte size in network order
    for (int shift = 56; shift >= 0; shift -= 8) frame += static_cast<char>((size >> shift) & 0xff);
    huge.send(frame + std::string(1024, 'x'));
    EXPECT_TRUE(huge.closed_by_server()) << "a frame of " << size << " bytes was not refused";
  }
  {
    std::vector<std::unique_ptr<RawPeer>> half_open;
    for (int i = 0; i < 200; ++i) half_open.push_back(std::make_unique<RawPeer>(port));
  }  // all closed without a byte
  ASSERT_TRUE(wait_until([&] { return fleet.stats().closed_connections >= 203; }, 30s))
      << fleet.stats().closed_connections << "\n" << log.all();
  // Still serving.
  TestAgent agent(agent_config(fleet.endpoint(), "vm1", {"erp"}), [](const Job&, JobControl&) { return ok_result(); });
  fleet.submit(JobRequest{"after-the-storm", "erp", "erp-closeout", {{"po", "2K4GH7QZ"}}, 0ms, false, ""});
  auto outcome = fleet.next_outcome(15s);
  ASSERT_TRUE(outcome);
  EXPECT_EQ(outcome->outcome, Outcome::ok);
  EXPECT_LE(warnings(log), 6u) << log.all();
  EXPECT_FALSE(log.matching("(connection from|handshake with) (peer 127\\.0\\.0\\.1|a peer that left)").empty())
      << log.all();
}
