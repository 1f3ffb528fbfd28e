// Supervision (agent/supervision.h) between a "runner" thread and its supervisor: every wait is on the state,
// with generous deadlines; nothing here depends on timing.
#include "agent/runner.h"
#include "agent/supervision.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

namespace {

using dockhand::agent::HandBack;
using dockhand::agent::StepDecision;
using dockhand::agent::StepPreview;
using dockhand::agent::Supervision;
using namespace std::chrono_literals;

StepPreview step(int n) { return {"steps[" + std::to_string(n) + "].click", "click text \"OK\"", std::nullopt, false}; }

// Runs `steps` steps through at_step on a thread of its own; returns the decisions (or "aborted: WHY").
std::future<std::vector<std::string>> runner(Supervision& s, int steps) {
  return std::async(std::launch::async, [&s, steps] {
    std::vector<std::string> out;
    try {
      for (int i = 0; i < steps; ++i) out.push_back(s.at_step(step(i)) == StepDecision::run ? "run" : "skip");
    } catch (const dockhand::agent::RunAborted& e) {
      out.push_back(std::string("aborted: ") + e.what());
    }
    s.finished();
    return out;
  });
}

TEST(Supervision, StopsBeforeEveryStepUntilContinue) {
  Supervision s(true);
  auto run = runner(s, 4);
  ASSERT_TRUE(s.wait_stopped(0, 30s));
  EXPECT_EQ(s.state().mode, "stopped");
  EXPECT_EQ(s.state().step.path, "steps[0].click");
  EXPECT_EQ(s.step(), "");
  ASSERT_TRUE(s.wait_stopped(1, 30s));
  EXPECT_EQ(s.state().step.path, "steps[1].click");
  EXPECT_EQ(s.skip(), "");
  ASSERT_TRUE(s.wait_stopped(2, 30s));
  EXPECT_EQ(s.resume(), "");
  EXPECT_EQ(run.get(), (std::vector<std::string>{"run", "skip", "run", "run"}));
  EXPECT_EQ(s.state().mode, "finished");
  EXPECT_EQ(s.state().stops, 3u);
}

// A Skip's own report (still "stopped at step 0") runs on the skipper's thread while the runner goes on and
// reports its next stop: the listeners race, and the stale state can arrive last (it did, in the console under
// load: the page showed step 0 while the runner waited at step 1). The version says which is the state now.
TEST(Supervision, ListenersMayRunOutOfOrderTheNewestVersionIsTheStateNow) {
  Supervision s(true);
  std::mutex m;
  std::condition_variable cv;
  std::vector<Supervision::State> arrived;
  std::thread::id skipper;
  auto runner_stopped_at_1 = [&] {
    return std::any_of(arrived.begin(), arrived.end(),
                       [](const auto& st) { return st.mode == "stopped" && st.step.path == "steps[1].click"; });
  };
  s.on_change([&](const Supervision::State& st) {
    std::unique_lock lock(m);
    if (std::this_thread::get_id() == skipper && st.step.path == "steps[0].click")
      cv.wait_for(lock, 30s, runner_stopped_at_1);  // the skip's report, held back until the runner's next stop
    arrived.push_back(st);
    cv.notify_all();
  });
  auto run = runner(s, 2);
  ASSERT_TRUE(s.wait_stopped(0, 30s));
  {
    std::lock_guard lock(m);
    skipper = std::this_thread::get_id();
  }
  EXPECT_EQ(s.skip(), "");  // returns once its listener ran
  ASSERT_TRUE(s.wait_stopped(1, 30s));
  {
    std::lock_guard lock(m);
    ASSERT_TRUE(runner_stopped_at_1());
    EXPECT_EQ(arrived.back().step.path, "steps[0].click") << "the stale state arrived last";
    auto newest = std::max_element(arrived.begin(), arrived.end(),
                                   [](const auto& a, const auto& b) { return a.version < b.version; });
    EXPECT_EQ(newest->mode, "stopped");
    EXPECT_EQ(newest->step.path, "steps[1].click");
    for (std::size_t i = 1; i < arrived.size(); ++i) EXPECT_NE(arrived[i].version, arrived[i - 1].version);
  }
  s.abort("done");
  EXPECT_EQ(run.get(), (std::vector<std::string>{"skip", "aborted: done"}));
}

TEST(Supervision, StepAndSkipNeedAStop) {
  Supervision s(false);
  EXPECT_NE(s.step(), "");
  EXPECT_NE(s.skip(), "");
  auto run = runner(s, 2);
  EXPECT_EQ(run.get(), (std::vector<std::string>{"run", "run"}));
}

TEST(Supervision, PauseStopsBeforeTheNextStep) {
  Supervision s(false);
  EXPECT_EQ(s.pause(), "");
  auto run = runner(s, 2);
  ASSERT_TRUE(s.wait_stopped(0, 30s));
  EXPECT_EQ(s.state().step.path, "steps[0].click");
  s.abort("stopped by the test");
  EXPECT_EQ(run.get(), (std::vector<std::string>{"aborted: stopped by the test"}));
}

TEST(Supervision, TakeOverParksAWaitingStepUntilHandBack) {
  Supervision s(false);
  EXPECT_EQ(s.take_over("console:dana"), "");
  EXPECT_NE(s.take_over("console:lee"), "") << "one person at a time";
  std::chrono::milliseconds held{0};
  auto waiting = std::async(std::launch::async, [&] { return s.hold_point(held); });
  ASSERT_TRUE(std::async(std::launch::async, [&] {
                for (int i = 0; i < 3000 && s.state().mode != "held"; ++i) std::this_thread::sleep_for(10ms);
                return s.state().mode == "held";
              }).get());
  EXPECT_EQ(s.state().held_by, "console:dana");
  EXPECT_NE(s.step(), "") << "stepping while someone holds the desktop";
  EXPECT_EQ(s.hand_back(HandBack::step_done), "");
  EXPECT_EQ(waiting.get(), StepDecision::skip);
  EXPECT_EQ(s.state().mode, "running");
  EXPECT_NE(s.hand_back(HandBack::resume), "") << "nothing to hand back";
}

TEST(Supervision, TakeOverAtAStepAndFailingTheHandBackAbortsTheRun) {
  Supervision s(true);
  auto run = runner(s, 3);
  ASSERT_TRUE(s.wait_stopped(0, 30s));
  EXPECT_EQ(s.take_over("console:dana"), "");
  EXPECT_EQ(s.state().mode, "held");
  EXPECT_EQ(s.hand_back(HandBack::fail), "");
  auto out = run.get();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], "aborted: failed by console:dana when handing back");
}

TEST(Supervision, StuckWaitsForATakeOverThenGoesOn) {
  Supervision s(false);
  s.set_hold_stuck(60s);
  StepDecision decision = StepDecision::skip;
  auto stuck = std::async(std::launch::async, [&] { return s.stuck("unexpected window", decision); });
  ASSERT_TRUE(std::async(std::launch::async, [&] {
                for (int i = 0; i < 3000 && s.state().mode != "stuck"; ++i) std::this_thread::sleep_for(10ms);
                return s.state().mode == "stuck";
              }).get());
  EXPECT_EQ(s.state().stuck_reason, "unexpected window");
  EXPECT_EQ(s.take_over("console:dana"), "");
  EXPECT_EQ(s.hand_back(HandBack::resume), "");
  EXPECT_TRUE(stuck.get());
  EXPECT_EQ(decision, StepDecision::run);
}

TEST(Supervision, StuckWithoutHoldFailsAtOnce) {
  Supervision s(false);
  StepDecision decision;
  EXPECT_FALSE(s.stuck("unexpected window", decision));
}

}  // namespace
