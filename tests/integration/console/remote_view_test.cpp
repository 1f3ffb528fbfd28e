// The console's remote view relay (orchestrator/console/remote.cpp) against a real Fleet over ZeroMQ on
// loopback and an agent running the real worker loop that sends large frames: a viewer that stops reading its
// event stream loses frames instead of queueing them, does not hold up the other viewer nor the agent, asks
// for no key frames while it is stuck, and resumes at a key frame. The viewers are plain sockets (a tiny
// receive buffer), so the test decides exactly when one reads.
#include "console_fixture.h"

#include "../fleet/fleet_harness.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <random>

namespace dockhand::console::test {
namespace {

using namespace std::chrono_literals;
using fleet_test::wait_until;

// The agent's side: frames of one big tile every few ms while watched; a key frame when asked (and the first).
class FramingAgent {
 public:
  static constexpr std::size_t kTileBytes = 256 * 1024;

  explicit FramingAgent(const std::string& endpoint) {
    auto cfg = fleet_test::agent_config(endpoint, "vm1", {"erp"});
    cfg.on_control = [this](const protocol::Control& c) {
      if (c.action == "watch") watched_ = true;
      if (c.action == "unwatch") watched_ = false;
      if (c.action == "keyframe") {
        want_key_ = true;
        ++key_requests_;
      }
    };
    worker_ = std::make_unique<protocol::Worker>(cfg, [](const protocol::Job&, protocol::JobControl&) {
      return fleet_test::ok_result();
    });
    run_ = std::thread([this] { worker_->run(stop_); });
    std::mt19937 random(7);
    tile_.resize(kTileBytes);
    for (auto& c : tile_) c = static_cast<char>(random());
    send_ = std::thread([this] { send_loop(); });
  }
  ~FramingAgent() {
    stop_ = true;
    send_.join();
    run_.join();
  }
  int key_requests() const { return key_requests_; }
  std::uint64_t sent() const { return seq_; }

 private:
  void send_loop() {
    while (!stop_) {
      std::this_thread::sleep_for(20ms);  // ~50 frames a second at most
      if (!watched_) continue;
      protocol::Frame f;
      f.seq = ++seq_;
      f.key = want_key_.exchange(false) || f.seq == 1;
      f.width = 1920;
      f.height = 1080;
      f.captured_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch()).count();
      f.tiles = {{0, 0, 64, 64}};
      f.images = {{"tile.jpg", "image/jpeg", tile_}};
      worker_->post(f);
    }
  }
  std::atomic<bool> stop_{false}, watched_{false}, want_key_{false};
  std::atomic<int> key_requests_{0};
  std::atomic<std::uint64_t> seq_{0};
  std::string tile_;
  std::unique_ptr<protocol::Worker> worker_;
  std::thread run_, send_;
};

struct Event {
  std::uint64_t seq = 0;
  bool key = false;
  std::uint64_t dropped = 0;
  std::size_t bytes = 0;
};

// GET /api/agents/vm1/view on a raw socket; every event of the stream is one chunk, so "data: ...\n\n" is
// found whole in the bytes as they come.
class SseReader {
 public:
  SseReader(int port, const std::string& token, int receive_buffer = 0) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (receive_buffer > 0) ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    const std::string request = "GET /api/agents/vm1/view HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " +
                                token + "\r\nAccept: text/event-stream\r\n\r\n";
    if (connected_) connected_ = ::send(fd_, request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size());
  }
  ~SseReader() { ::close(fd_); }
  bool connected() const { return connected_; }

  // Reads until `enough` says so (or the deadline); returns whether it did.
  bool read_until(const std::function<bool(const std::vector<Event>&)>& enough, std::chrono::milliseconds timeout) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (!enough(events)) {
      if (std::chrono::steady_clock::now() > until) return false;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      char buf[65536];
      const auto n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) return enough(events);
      buffer_.append(buf, static_cast<std::size_t>(n));
      parse();
    }
    return true;
  }
  std::vector<Event> events;
  std::size_t bytes = 0;

 private:
  void parse() {
    for (;;) {
      const auto start = buffer_.find("data: ");
      if (start == std::string::npos) return;
      const auto end = buffer_.find("\n\n", start);
      if (end == std::string::npos) return;
      auto j = json::parse(buffer_.substr(start + 6, end - start - 6), nullptr, false);
      if (j.is_object())
        events.push_back({j.value("seq", std::uint64_t{0}), j.value("key", false), j.value("dropped", std::uint64_t{0}),
                          end - start});
      bytes += end - start;
      buffer_.erase(0, end + 2);
    }
  }
  int fd_ = -1;
  bool connected_ = false;
  std::string buffer_;
};

class RemoteViewTest : public ConsoleTest {
 protected:
  void SetUp() override {
    ConsoleTest::SetUp();
    fleet_ = std::make_unique<fleet::Fleet>(fleet_test::insecure_fleet());
    fleet_->start();
    agent_ = std::make_unique<FramingAgent>(fleet_->endpoint());
    ASSERT_TRUE(wait_until([&] { return fleet_->agents().size() == 1; }, 20s));
    auto o = options();
    o.fleet = fleet_.get();
    start(std::move(o));
  }
  void TearDown() override {
    client_.reset();
    server_.reset();  // the streams end before the fleet they watch
    agent_.reset();
    fleet_.reset();
    ConsoleTest::TearDown();
  }
  std::unique_ptr<fleet::Fleet> fleet_;
  std::unique_ptr<FramingAgent> agent_;
};

TEST_F(RemoteViewTest, AStalledViewerLosesFramesInsteadOfQueueingThemAndResumesAtAKeyFrame) {
  SseReader slow(server_->port(), kViewerToken, 4096);
  ASSERT_TRUE(slow.connected());
  // The slow viewer reads its first key frame, then stops reading.
  ASSERT_TRUE(slow.read_until([](const auto& e) { return !e.empty(); }, 60s)) << "no first frame";
  ASSERT_TRUE(slow.events.front().key);
  const std::uint64_t stalled_after = slow.events.back().seq;

  // Meanwhile a second viewer keeps up: well past what the stalled one's socket buffers can hold (tcp_wmem's
  // 4 MB at most on the server's side) goes by.
  SseReader fast(server_->port(), kOperatorToken);
  ASSERT_TRUE(fast.connected());
  ASSERT_TRUE(fast.read_until([](const auto& e) { return !e.empty(); }, 60s));
  const int keys_before = agent_->key_requests();  // the newcomer's key frame is in
  const std::size_t fast_from = fast.bytes;
  const std::uint64_t fast_first = fast.events.back().seq;
  ASSERT_TRUE(fast.read_until([&](const auto& e) { return fast.bytes - fast_from > 16u << 20 && e.size() > 40; }, 120s))
      << "the other viewer was held up: " << fast.events.size() << " frames, " << fast.bytes << " bytes";
  const auto fast_last = fast.events.back().seq;
  EXPECT_GT(fast_last - fast_first, 40u);
  // While stuck, the stalled viewer had no key frame asked for (one is asked once it catches up).
  const int keys_while_stalled = agent_->key_requests() - keys_before;
  EXPECT_LE(keys_while_stalled, 1) << "the stalled viewer had the agent send whole screens while it could take none";

  // It reads again: what its socket held comes first, in order; where frames were dropped (not queued) the
  // next one it gets is a key frame, and most of what went by while it was stuck is not there at all.
  ASSERT_TRUE(slow.read_until([&](const auto& e) { return e.back().seq > fast_last; }, 120s))
      << "the stalled viewer did not catch up; " << slow.events.size() << " frames";
  std::size_t gaps = 0, received = 0;
  for (std::size_t i = 1; i < slow.events.size(); ++i) {
    const auto& e = slow.events[i];
    if (e.seq > stalled_after && e.seq <= fast_last) ++received;
    if (e.seq == slow.events[i - 1].seq + 1) continue;
    ++gaps;
    EXPECT_GT(e.seq, slow.events[i - 1].seq) << "out of order";
    EXPECT_TRUE(e.key) << "resumed at frame " << e.seq << " after " << slow.events[i - 1].seq << ", not a key frame";
    EXPECT_GT(e.dropped, 0u) << "frame " << e.seq;
  }
  EXPECT_GT(gaps, 0u) << "every frame was queued for the stalled viewer";
  const auto went_by = fast_last - stalled_after;
  EXPECT_LT(received * 2, went_by) << "the stalled viewer got " << received << " of the " << went_by
                                   << " frames that went by while it was stuck";
}

}  // namespace
}  // namespace dockhand::console::test
