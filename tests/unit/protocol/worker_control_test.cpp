// The agent's worker takes CONTROL only from the orchestrator it is bound to: the one whose heartbeat gave the
// session on this connection. A plain ROUTER on 127.0.0.1 plays the orchestrator (no CURVE: --insecure).
#include "agent/protocol/worker.h"
#include "agent/protocol/wire.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>

namespace {

using namespace dockhand::protocol;
using namespace std::chrono_literals;

template <typename Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout = 30s) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    if (pred()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return pred();
}

TEST(WorkerControl, OnlyTheBoundOrchestratorsSessionIsObeyed) {
  zmq::context_t context;
  zmq::socket_t router(context, zmq::socket_type::router);
  apply_limits(router);
  router.bind("tcp://127.0.0.1:*");
  const std::string endpoint = router.get(zmq::sockopt::last_endpoint);

  std::mutex m;
  std::vector<std::string> obeyed;
  WorkerConfig config;
  config.endpoint = endpoint;
  config.agent_id = "agent-under-test";
  config.insecure = true;
  config.on_control = [&](const Control& c) {
    std::lock_guard lock(m);
    obeyed.push_back(c.action + ":" + c.session);
  };
  Worker worker(config, [](const Job&, JobControl&) { return Result{}; });
  std::atomic<bool> stop{false};
  std::thread loop([&] { worker.run(stop); });

  // READY from the agent: its routing id.
  std::string peer;
  ASSERT_TRUE(eventually([&] {
    auto frames = recv_frames(router);
    if (frames && frames->size() >= 2 && (*frames)[1] == "READY") peer = frames->front();
    return !peer.empty();
  }));
  auto send = [&](const Message& message) { ASSERT_TRUE(send_frames(router, encode(message), &peer)); };

  // Before any session: refused.
  send(Control{"pause", "", nlohmann::json::object(), "anything"});
  ASSERT_TRUE(eventually([&] { return worker.stats().refused_controls.load() == 1; }));
  send(Heartbeat{"session-of-the-orchestrator"});
  // A CONTROL with another session (not relayed by this orchestrator), or none: refused, never obeyed.
  send(Control{"takeover", "", {{"who", "mallory"}}, "some-other-session"});
  send(Control{"input", "", {{"events", nlohmann::json::array()}}, ""});
  ASSERT_TRUE(eventually([&] { return worker.stats().refused_controls.load() == 3; }));
  // The bound session: obeyed.
  send(Control{"watch", "", nlohmann::json::object(), "session-of-the-orchestrator"});
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lock(m);
    return !obeyed.empty();
  }));
  {
    std::lock_guard lock(m);
    EXPECT_EQ(obeyed, (std::vector<std::string>{"watch:session-of-the-orchestrator"}));
  }
  EXPECT_EQ(worker.stats().refused_controls.load(), 3);
  stop = true;
  loop.join();
}

TEST(WorkerControl, PostedMessagesReachTheOrchestratorInOrder) {
  zmq::context_t context;
  zmq::socket_t router(context, zmq::socket_type::router);
  apply_limits(router);
  router.bind("tcp://127.0.0.1:*");
  WorkerConfig config;
  config.endpoint = router.get(zmq::sockopt::last_endpoint);
  config.agent_id = "agent-under-test";
  config.insecure = true;
  Worker worker(config, [](const Job&, JobControl&) { return Result{}; });
  std::atomic<bool> stop{false};
  std::thread loop([&] { worker.run(stop); });
  ASSERT_TRUE(eventually([&] {
    auto frames = recv_frames(router);
    return frames && frames->size() >= 2 && (*frames)[1] == "READY";
  }));
  std::thread poster([&] {
    for (int i = 1; i <= 20; ++i) {
      Frame f;
      f.seq = static_cast<std::uint64_t>(i);
      f.width = f.height = 8;
      worker.post(f);
    }
  });
  poster.join();
  std::vector<std::uint64_t> seen;
  ASSERT_TRUE(eventually([&] {
    while (auto frames = recv_frames(router)) {
      frames->erase(frames->begin());
      auto d = decode(*frames);
      if (d && std::holds_alternative<Frame>(*d.message)) seen.push_back(std::get<Frame>(*d.message).seq);
    }
    return seen.size() == 20;
  }));
  for (std::size_t i = 0; i < seen.size(); ++i) EXPECT_EQ(seen[i], i + 1);
  stop = true;
  loop.join();
}

}  // namespace
