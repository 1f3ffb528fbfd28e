// Supervised replay at a terminal: `dockhand-agent run SCRIPT --supervise` stops before every step, prints the
// step and its target on stderr, and does what the lines on its stdin say (Enter: the step, c: continue,
// s: skip, a: abort). Against the real simulated ERP under Xvfb; its --state file says what really happened.
// gtest before Xlib (harness.h): Xlib's macros (None, Bool) break gtest's headers.
#include <gtest/gtest.h>

#include "agent_run.h"
#include "app_session.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <regex>

extern char** environ;

namespace {

using nlohmann::json;
using apps_test::AppSession;
using apps_test::count_events;

constexpr const char* kTitle = "Legacy ERP - Warehouse Management";
const std::string kScript = std::string(DOCKHAND_SOURCE_DIR) + "/recordings/erp-closeout/script.json";

// dockhand-agent run --supervise with a pipe on its stdin: the test types into it like a person at a terminal.
class SupervisedRun {
 public:
  SupervisedRun(AppSession& app, const std::string& po) : dir_(app.dir) {
    int fds[2];
    if (pipe(fds) != 0) throw std::runtime_error("pipe");
    std::vector<std::string> args = {DOCKHAND_AGENT, "run", kScript, "--var", "po=" + po, "--evidence",
                                     dir_ + "/evidence", "--supervise"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[0], 0);
    posix_spawn_file_actions_addclose(&fa, fds[1]);
    posix_spawn_file_actions_addopen(&fa, 1, (dir_ + "/agent.out").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&fa, 2, (dir_ + "/agent.err").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int rc = posix_spawn(&pid_, DOCKHAND_AGENT, &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[0]);
    if (rc != 0) throw std::runtime_error("cannot start the agent");
    keys_ = fds[1];
  }
  ~SupervisedRun() {
    close_keys();
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  void type(const std::string& line) {
    std::string text = line + "\n";
    ASSERT_EQ(write(keys_, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  }
  void close_keys() {
    if (keys_ >= 0) close(keys_);
    keys_ = -1;
  }
  std::string err() const { return apps_test::slurp(dir_ + "/agent.err"); }
  // Waits until stderr says the runner stopped for the `n`th time; returns what it printed for that stop.
  std::string stop(int n) {
    const std::string mark = "[stop " + std::to_string(n) + "] ";
    bool seen = apps_test::wait_until(
        [&] {
          auto e = err();
          auto at = e.find(mark);
          return at != std::string::npos && e.find(" > ", at) != std::string::npos;
        },
        std::chrono::seconds(90));
    auto e = err();
    if (!seen) {
      ADD_FAILURE() << "no " << mark << "in the agent's stderr:\n" << e;
      return "";
    }
    auto at = e.find(mark);
    return e.substr(at, e.find(" > ", at) - at);
  }
  bool running() { return waitpid(pid_, nullptr, WNOHANG) == 0; }
  apps_test::AgentRun finish() {
    close_keys();
    auto r = apps_test::finish_agent(pid_, dir_);
    pid_ = -1;
    return r;
  }

 private:
  std::string dir_;
  pid_t pid_ = -1;
  int keys_ = -1;
};

std::unique_ptr<AppSession> start_erp(std::vector<std::string> args) {
  return std::make_unique<AppSession>(DOCKHAND_SIM_ERP, kTitle, std::move(args));
}

// "target [x, y, w, h]" of a stop's text.
std::optional<apps_test::Rect> target_of(const std::string& stop) {
  std::smatch m;
  if (!std::regex_search(stop, m, std::regex(R"(target \[(-?\d+), (-?\d+), (\d+), (\d+)\])"))) return std::nullopt;
  return apps_test::Rect{std::stoi(m[1]), std::stoi(m[2]), std::stoi(m[3]), std::stoi(m[4])};
}

bool inside(const apps_test::Rect& r, const apps_test::Rect& outer) {
  return r.x >= outer.x && r.y >= outer.y && r.x + r.w <= outer.x + outer.w && r.y + r.h <= outer.y + outer.h;
}

TEST(SuperviseAtTerminal, StopsAtEveryStepUntilContinueAndFinalizesOnce) {
  auto app = start_erp({"--delay", "50:200", "--seed", "11"});
  const std::string po = "2K4GH7QZ";
  SupervisedRun run(*app, po);
  auto first = run.stop(1);
  EXPECT_NE(first.find("steps[0].focus_window: focus_window Legacy ERP"), std::string::npos) << first;
  // Stopped: nothing happens until a key comes (the runner is parked, the process alive).
  EXPECT_TRUE(run.running());
  EXPECT_EQ(run.err().find("[stop 2]"), std::string::npos);
  run.type("");
  auto second = run.stop(2);
  EXPECT_NE(second.find("steps[1].wait: wait image"), std::string::npos) << second;
  EXPECT_NE(second.find("(found)"), std::string::npos) << second;
  // The target it shows is the menu bar template's place, inside the ERP's window.
  auto target = target_of(second);
  ASSERT_TRUE(target) << second;
  EXPECT_TRUE(inside(*target, app->window())) << second;
  run.type("");
  auto third = run.stop(3);
  EXPECT_NE(third.find("steps[2].if: if exists image"), std::string::npos) << third;
  EXPECT_TRUE(app->state()["finalized"].empty());
  run.type("c");
  auto r = run.finish();
  ASSERT_EQ(r.exit_code, 0) << apps_test::describe(r);
  EXPECT_EQ(r.result["status"], "ok");
  EXPECT_EQ(r.err.find("[stop 4]"), std::string::npos) << "stopped again after c:\n" << r.err;
  json s = app->state();
  ASSERT_TRUE(s["finalized"].contains(po)) << s.dump();
  EXPECT_EQ(s["finalized"][po]["count"], 1);
  EXPECT_EQ(r.result["outputs"]["reference"], s["finalized"][po]["reference"]);
}

TEST(SuperviseAtTerminal, SkipLeavesAStepOutAndTheRunGoesOn) {
  auto app = start_erp({"--delay", "50:200", "--seed", "12"});
  const std::string po = "9LMN4R8T";
  SupervisedRun run(*app, po);
  run.stop(1);
  run.type("");  // focus the ERP
  run.stop(2);
  run.type("s");  // leave out the wait for the menu bar (the next steps look for their own targets)
  auto third = run.stop(3);
  EXPECT_NE(third.find("steps[2].if"), std::string::npos) << third;
  run.type("c");
  auto r = run.finish();
  ASSERT_EQ(r.exit_code, 0) << apps_test::describe(r);
  EXPECT_NE(r.err.find("steps[1].wait skipped by the supervisor"), std::string::npos) << r.err;
  EXPECT_EQ(app->state()["finalized"][po]["count"], 1) << app->state().dump();
  // Its timings list every step run; the skipped one is not there.
  for (const auto& t : r.result["steps"]) EXPECT_NE(t["step"], "steps[1].wait");
}

TEST(SuperviseAtTerminal, AbortBeforeAnythingIsDoneChangesNothing) {
  auto app = start_erp({"--delay", "50:200", "--seed", "13"});
  SupervisedRun run(*app, "2K4GH7QZ");
  run.stop(1);
  run.type("");
  run.stop(2);
  run.type("a");
  auto r = run.finish();
  ASSERT_EQ(r.exit_code, 1) << apps_test::describe(r);
  EXPECT_EQ(r.result["status"], "failed");
  EXPECT_EQ(r.result["category"], "aborted");
  EXPECT_EQ(r.result["failed_step"], "steps[1].wait");
  EXPECT_NE(r.result["reason"].get<std::string>().find("aborted at the terminal"), std::string::npos);
  json s = app->state();
  EXPECT_TRUE(s["finalized"].empty());
  EXPECT_EQ(count_events(s, "search"), 0) << s.dump();
}

}  // namespace
