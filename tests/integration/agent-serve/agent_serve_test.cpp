// `dockhand-agent serve` as a real process on a private Xvfb (scripts/with-xvfb.sh sets DISPLAY), with
// CURVE keys from files, taking jobs from a real Fleet over loopback and running recordings/probe with the
// real runner: PROGRESS per step, RESULT with outputs, failures with the evidence images as frames.
#include "../fleet/fleet_harness.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>

#include <gtest/gtest.h>

#include <fstream>

#include "probe_window.h"  // Xlib: after everything else (its macros, None and Status, clash)

using namespace fleet_test;
using dockhand::fleet::Fleet;
using dockhand::fleet::FleetEvent;
using dockhand::fleet::JobRequest;
namespace fs = std::filesystem;
namespace protocol = dockhand::protocol;

namespace {

// A child process, stopped (SIGTERM, then SIGKILL) when this goes out of scope, whatever the test did.
class Process {
 public:
  Process(std::vector<std::string> args, const fs::path& log) {
    pid_ = fork();
    if (pid_ == 0) {
      int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      dup2(fd, 2);
      dup2(fd, 1);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
  }
  ~Process() { stop(); }
  // SIGTERM; returns the exit status (or -1 if it had to be killed).
  int stop() {
    if (pid_ <= 0) return status_;
    kill(pid_, SIGTERM);
    int status = 0;
    for (int i = 0; i < 100; ++i) {
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = 0;
        return status_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      std::this_thread::sleep_for(50ms);
    }
    kill(pid_, SIGKILL);
    waitpid(pid_, &status, 0);
    pid_ = 0;
    return status_ = -1;
  }
  // SIGKILL, like a VM that dies.
  void kill_now() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = 0;
  }
  // Waits for the process to end by itself.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout) {
    auto until = std::chrono::steady_clock::now() + timeout;
    int status = 0;
    while (std::chrono::steady_clock::now() < until) {
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = 0;
        return status_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      std::this_thread::sleep_for(20ms);
    }
    return std::nullopt;
  }

 private:
  pid_t pid_ = -1;
  int status_ = -1;
};

std::string read_all(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

bool is_png(const std::string& bytes) { return bytes.size() > 8 && bytes.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0; }

class AgentServe : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = fs::temp_directory_path() / ("agent-serve-" + std::to_string(getpid()) + "-" +
                                       ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir);
    fs::create_directories(dir / "agents");
    protocol::write_keypair(dir, "orchestrator", protocol::generate_curve_keypair());
    protocol::write_keypair(dir / "agents", "vm1", protocol::generate_curve_keypair());
    ASSERT_NE(std::getenv("DISPLAY"), nullptr) << "run under scripts/with-xvfb.sh";
  }
  void TearDown() override {
    agent.reset();
    fleet.reset();
    if (HasFailure())
      std::cerr << "the test folder stays for inspection (agent logs, evidence, program state): " << dir << "\n";
    else
      fs::remove_all(dir);
  }
  void start_fleet(int max_attempts = 1) {
    auto cfg = insecure_fleet(1000ms);
    cfg.insecure = false;
    cfg.server_secret_key = dir / "orchestrator.key";
    cfg.agent_keys = dir / "agents";
    cfg.max_attempts = max_attempts;
    cfg.retry_backoff = 50ms;
    fleet = std::make_unique<Fleet>(cfg);
    fleet->on_event([this](const FleetEvent& e) {
      std::lock_guard lock(mutex);
      events.push_back(e);
    });
    fleet->start();
  }
  std::vector<std::string> serve_args(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {DOCKHAND_AGENT_BIN,
                                     "serve",
                                     "--orchestrator",
                                     fleet ? fleet->endpoint() : "tcp://127.0.0.1:1",
                                     "--key",
                                     (dir / "agents" / "vm1.key").string(),
                                     "--server-key",
                                     (dir / "orchestrator.pub").string(),
                                     "--id",
                                     "vm1",
                                     "--apps",
                                     "erp",
                                     "--recordings",
                                     DOCKHAND_SERVE_RECORDINGS,
                                     "--evidence",
                                     (dir / "agent-evidence").string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }
  void start_agent() {
    agent = std::make_unique<Process>(serve_args(), dir / "agent.log");
    ASSERT_TRUE(wait_until([&] { return !fleet->agents().empty(); }, 20s)) << read_all(dir / "agent.log");
  }
  // An agent with the project's recordings/ that drives `app`.
  void start_recordings_agent(const std::string& app) {
    auto args = serve_args();
    auto at = [&](const char* flag) { return std::find(args.begin(), args.end(), std::string(flag)) - args.begin() + 1; };
    args[at("--recordings")] = std::string(DOCKHAND_SOURCE_DIR) + "/recordings";
    args[at("--apps")] = app;
    agent = std::make_unique<Process>(args, dir / "agent.log");
    ASSERT_TRUE(wait_until([&] { return !fleet->agents().empty(); }, 20s)) << read_all(dir / "agent.log");
  }
  std::optional<dockhand::fleet::JobOutcome> run(const std::string& id, const std::string& po) {
    fleet->submit(JobRequest{id, "erp", "probe", {{"po", po}}, 0ms, false, ""});
    return fleet->next_outcome(30s);
  }
  int count(const std::string& kind, const std::string& job) {
    std::lock_guard lock(mutex);
    return static_cast<int>(std::count_if(events.begin(), events.end(),
                                          [&](const FleetEvent& e) { return e.kind == kind && e.job_id == job; }));
  }

  fs::path dir;
  // What the killed-agent test's listener writes: members, so they outlive the fleet's thread (TearDown).
  std::string victim;  // the agent that got the job first
  std::atomic<bool> reached_search{false};
  std::unique_ptr<Fleet> fleet;
  std::unique_ptr<Process> agent;
  std::mutex mutex;
  std::vector<FleetEvent> events;
};

}  // namespace

TEST_F(AgentServe, RegistersWithItsAppsAndScriptsAndRunsAJobWithProgressPerStep) {
  start_fleet();
  start_agent();
  auto agents = fleet->agents();
  ASSERT_EQ(agents.size(), 1u);
  EXPECT_EQ(agents[0].agent_id, "vm1");
  EXPECT_EQ(agents[0].apps, std::vector<std::string>{"erp"});
  EXPECT_EQ(agents[0].scripts, std::vector<std::string>{"probe"});

  auto o = run("ok-1", "2K4GH7QZ");
  ASSERT_TRUE(o) << read_all(dir / "agent.log");
  EXPECT_EQ(o->outcome, protocol::Outcome::ok) << o->reason;
  EXPECT_EQ(o->outputs["po"], "2K4GH7QZ");
  EXPECT_TRUE(o->images.empty());
  // steps[0], steps[1], steps[2], steps[3]: one PROGRESS before each.
  EXPECT_TRUE(wait_until([&] { return count("progress", "ok-1") >= 4; }, 2s)) << count("progress", "ok-1");
  EXPECT_NE(read_all(dir / "agent.log").find("OCR engine loaded"), std::string::npos);
  EXPECT_EQ(agent->stop(), 0) << "SIGTERM is a clean stop";
}

// Issue 10: while someone holds an agent's desktop it takes no job; the job waits and runs after the hand-back.
TEST_F(AgentServe, AHeldAgentTakesNoJobUntilItIsHandedBack) {
  start_fleet();
  start_agent();
  ASSERT_EQ(fleet->control("vm1", protocol::Control{"takeover", "", {}, ""}, "console:dana"), "");
  ASSERT_TRUE(wait_until([&] {
    const auto s = fleet->agents().at(0).supervision;
    return s.is_object() && s.value("mode", "") == "held";
  }, 30s))
      << "the agent reports itself held\n" << read_all(dir / "agent.log");
  ASSERT_TRUE(fleet->submit(JobRequest{"while-held", "erp", "probe", {{"po", "2K4GH7QZ"}}, 0ms, false, ""}));
  // The fleet looks for an agent on every message it gets; three heartbeats later the job is still waiting.
  auto heard = [&] { return fleet->agents().at(0).last_heard; };
  for (int beat = 0; beat < 3; ++beat) {
    const auto last = heard();
    ASSERT_TRUE(wait_until([&] { return heard() > last; }, 30s)) << "heartbeat " << beat;
  }
  EXPECT_EQ(count("dispatched", "while-held"), 0);
  EXPECT_EQ(fleet->pending_jobs(), 1u);
  EXPECT_EQ(fleet->agents().at(0).state, "held");
  EXPECT_TRUE(fleet->agents().at(0).job_id.empty());

  ASSERT_EQ(fleet->control("vm1", protocol::Control{"handback", "", {{"how", "resume"}}, ""}, "console:dana"), "");
  auto o = fleet->next_outcome(60s);
  ASSERT_TRUE(o) << read_all(dir / "agent.log");
  EXPECT_EQ(o->job_id, "while-held");
  EXPECT_EQ(o->outcome, protocol::Outcome::ok) << o->reason;
  EXPECT_EQ(o->agent_id, "vm1");
  // Dispatched once, and only after the hand-back.
  std::lock_guard lock(mutex);
  auto at = [&](const std::string& kind, const std::string& detail) {
    return std::find_if(events.begin(), events.end(), [&](const FleetEvent& e) {
      return e.kind == kind && e.detail.find(detail) != std::string::npos;
    }) - events.begin();
  };
  EXPECT_LT(at("control", "handback by console:dana"), at("dispatched", ""));
  EXPECT_EQ(std::count_if(events.begin(), events.end(), [](const FleetEvent& e) {
              return e.kind == "dispatched" && e.job_id == "while-held";
            }), 1);
}

TEST_F(AgentServe, ABusinessFailureComesBackWithTheScreenshot) {
  start_fleet();
  start_agent();
  auto o = run("biz-1", "NOSUCHPO");
  ASSERT_TRUE(o) << read_all(dir / "agent.log");
  EXPECT_EQ(o->outcome, protocol::Outcome::business);
  EXPECT_EQ(o->reason, "PO not found: NOSUCHPO");
  EXPECT_EQ(o->failed_step, "steps[1].then[0].fail");
  ASSERT_FALSE(o->images.empty());
  EXPECT_EQ(o->images[0].name, "screen.png");
  EXPECT_TRUE(is_png(o->images[0].bytes));
  EXPECT_EQ(o->attempts, 1);
  // The agent keeps its own evidence folder too.
  EXPECT_TRUE(fs::exists(fs::path(o->evidence["agent_folder"].get<std::string>()) / "screen.png"));
}

TEST_F(AgentServe, AnApplicationFailureIsRetriedThenComesBackWithScreenAndCrop) {
  start_fleet(2);
  start_agent();
  auto o = run("app-1", "TIMEOUT0");
  ASSERT_TRUE(o) << read_all(dir / "agent.log");
  EXPECT_EQ(o->outcome, protocol::Outcome::application);
  EXPECT_EQ(o->attempts, 2);
  EXPECT_EQ(o->failed_step, "steps[2].then[0].wait");
  std::set<std::string> names;
  for (const auto& image : o->images) {
    names.insert(image.name);
    EXPECT_TRUE(is_png(image.bytes)) << image.name;
  }
  EXPECT_TRUE(names.count("screen.png"));
  EXPECT_TRUE(names.count("searched.png")) << "the crop of the area searched";
  EXPECT_EQ(count("retry", "app-1"), 1);
}

TEST_F(AgentServe, VariablesThatDoNotFitTheScriptAreABusinessFailureWithTheProblems) {
  start_fleet(3);
  start_agent();
  auto o = run("bad-1", "lower-case");
  ASSERT_TRUE(o);
  EXPECT_EQ(o->outcome, protocol::Outcome::business) << "retrying cannot make the value fit";
  EXPECT_EQ(o->category, "invalid");
  EXPECT_FALSE(o->evidence["problems"].empty());
}

TEST_F(AgentServe, AScriptTheAgentDoesNotHaveIsNeverSentToIt) {
  start_fleet(1);
  start_agent();
  fleet->submit(JobRequest{"trav-1", "erp", "probe", {{"po", "2K4GH7QZ"}}, 0ms, false, ""});
  ASSERT_TRUE(fleet->next_outcome(30s));
  // A script the agent does not list is never dispatched to it: the job waits.
  fleet->submit(JobRequest{"trav-2", "erp", "../../etc", {{"po", "2K4GH7QZ"}}, 0ms, false, ""});
  EXPECT_FALSE(fleet->next_outcome(1500ms));
  EXPECT_EQ(count("dispatched", "trav-2"), 0);
}

TEST_F(AgentServe, CurveIsTheDefaultAndBadArgumentsExitTwo) {
  start_fleet();
  auto no_keys = serve_args();
  no_keys.erase(no_keys.begin() + 4, no_keys.begin() + 8);  // drop --key and --server-key
  Process p(no_keys, dir / "nokeys.log");
  EXPECT_EQ(p.wait_exit(10s), 2);
  EXPECT_NE(read_all(dir / "nokeys.log").find("--insecure"), std::string::npos);

  Process missing(serve_args({"--recordings", (dir / "nothing-here").string()}), dir / "norec.log");
  EXPECT_EQ(missing.wait_exit(10s), 2);
  EXPECT_NE(read_all(dir / "norec.log").find("no screen scripts"), std::string::npos);

  Process help({DOCKHAND_AGENT_BIN, "serve", "--help"}, dir / "help.log");
  EXPECT_EQ(help.wait_exit(10s), 0);
  auto text = read_all(dir / "help.log");
  for (const char* flag : {"--orchestrator", "--key", "--server-key", "--insecure", "--apps", "--recordings",
                           "--evidence", "--display", "Exit:"})
    EXPECT_NE(text.find(flag), std::string::npos) << flag;
}

// The real thing: the simulated ERP on this display, recordings/erp-closeout, jobs through the Fleet. The
// ERP's state file is the witness: finalized once, the reference the agent read back is the ERP's.
#ifdef DOCKHAND_SIM_ERP
namespace {
int finalized_events(const nlohmann::json& state, const std::string& po) {
  int n = 0;
  if (state.contains("events"))
    for (const auto& e : state["events"]) n += e.value("type", "") == "finalized" && e.value("po", "") == po;
  return n;
}
}  // namespace

TEST_F(AgentServe, DrivesTheSimulatedErpThroughTheFleetExactlyOnce) {
  start_fleet(2);
  auto state_file = dir / "erp-state.json";
  Process erp({DOCKHAND_SIM_ERP, "--state", state_file.string(), "--seed", "11"}, dir / "erp.log");
  ASSERT_TRUE(wait_until([&] { return fs::exists(state_file); }, 10s)) << read_all(dir / "erp.log");
  start_recordings_agent("erp");

  fleet->submit(JobRequest{"erp-1", "erp", "erp-closeout", {{"po", "2K4GH7QZ"}}, 0ms, false, "RR-1"});
  auto first = fleet->next_outcome(90s);
  ASSERT_TRUE(first) << read_all(dir / "agent.log");
  ASSERT_EQ(first->outcome, protocol::Outcome::ok) << first->reason << "\n" << read_all(dir / "agent.log");
  auto state = nlohmann::json::parse(read_all(state_file));
  EXPECT_EQ(first->outputs["reference"], state["finalized"]["2K4GH7QZ"]["reference"]);
  EXPECT_EQ(first->outputs["already_done"], "false");
  EXPECT_GE(count("progress", "erp-1"), 5);

  // Dispatched again (say, after an orchestrator restart): read back, not finalized twice.
  fleet->submit(JobRequest{"erp-1", "erp", "erp-closeout", {{"po", "2K4GH7QZ"}}, 0ms, false, "RR-1"});
  auto again = fleet->next_outcome(90s);
  ASSERT_TRUE(again);
  ASSERT_EQ(again->outcome, protocol::Outcome::ok) << again->reason;
  EXPECT_EQ(again->outputs["reference"], first->outputs["reference"]);
  EXPECT_EQ(again->outputs["already_done"], "true");
  EXPECT_EQ(finalized_events(nlohmann::json::parse(read_all(state_file)), "2K4GH7QZ"), 1);

  // A PO the ERP does not know: a business failure with the screenshot, not retried.
  fleet->submit(JobRequest{"erp-2", "erp", "erp-closeout", {{"po", "ZZZZ9999"}}, 0ms, false, "RR-2"});
  auto unknown = fleet->next_outcome(90s);
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->outcome, protocol::Outcome::business) << unknown->reason;
  EXPECT_NE(unknown->reason.find("PO not found: ZZZZ9999"), std::string::npos) << unknown->reason;
  EXPECT_EQ(unknown->attempts, 1);
  ASSERT_FALSE(unknown->images.empty());
  EXPECT_TRUE(is_png(unknown->images[0].bytes));
}

// Two agents on the desktop; the one running the job is SIGKILLed while the ERP is loading the PO. The
// fleet notices (3 missed heartbeats), the other agent runs the job (same id), the PO is finalized once.
TEST_F(AgentServe, AnAgentKilledMidJobIsReplacedAndThePoIsFinalizedOnce) {
  // Default 1 s heartbeats: the killed agent is noticed at once anyway (its connection closes: unroutable),
  // and 200 ms ones let a live agent process on a loaded machine be declared dead mid-job, so that two agents
  // drove the one ERP screen together.
  auto cfg = insecure_fleet(1000ms);
  cfg.insecure = false;
  cfg.server_secret_key = dir / "orchestrator.key";
  cfg.agent_keys = dir / "agents";
  protocol::write_keypair(dir / "agents", "vm2", protocol::generate_curve_keypair());
  fleet = std::make_unique<Fleet>(cfg);
  fleet->on_event([&](const FleetEvent& e) {
    std::lock_guard lock(mutex);
    events.push_back(e);
    if (e.kind == "dispatched" && victim.empty()) victim = e.agent_id;
    if (e.kind == "progress" && e.agent_id == victim && e.detail.rfind("steps[8]", 0) == 0) reached_search = true;
  });
  fleet->start();
  auto state_file = dir / "erp-state.json";
  Process erp({DOCKHAND_SIM_ERP, "--state", state_file.string(), "--seed", "13", "--delay", "1500:1500"},
              dir / "erp.log");
  ASSERT_TRUE(wait_until([&] { return fs::exists(state_file); }, 10s));
  std::map<std::string, std::unique_ptr<Process>> agents;
  for (std::string id : {"vm1", "vm2"}) {
    auto args = serve_args();
    auto at = [&](const char* flag) { return std::find(args.begin(), args.end(), std::string(flag)) - args.begin() + 1; };
    args[at("--recordings")] = std::string(DOCKHAND_SOURCE_DIR) + "/recordings";
    args[at("--id")] = id;
    args[at("--key")] = (dir / "agents" / (id + ".key")).string();
    agents[id] = std::make_unique<Process>(args, dir / (id + ".log"));
  }
  ASSERT_TRUE(wait_until([&] { return fleet->agents().size() == 2; }, 20s));
  fleet->submit(JobRequest{"kill-1", "erp", "erp-closeout", {{"po", "7HXQ3M2P"}}, 0ms, false, "RR-1"});
  ASSERT_TRUE(wait_until([&] { return reached_search.load(); }, 60s)) << "the job never reached the search";
  std::string killed;
  {
    std::lock_guard lock(mutex);
    killed = victim;
  }
  agents.at(killed)->kill_now();
  auto o = fleet->next_outcome(90s);
  ASSERT_TRUE(o) << read_all(dir / "vm1.log") << read_all(dir / "vm2.log");
  EXPECT_EQ(o->outcome, protocol::Outcome::ok) << o->reason;
  EXPECT_NE(o->agent_id, killed);
  EXPECT_GE(count("requeued", "kill-1"), 1);
  auto state = nlohmann::json::parse(read_all(state_file));
  EXPECT_EQ(finalized_events(state, "7HXQ3M2P"), 1);
  EXPECT_EQ(o->outputs["reference"], state["finalized"]["7HXQ3M2P"]["reference"]);
}

// A stuck job rescued by a take-over: the ERP's unexpected-dialog hazard is on and the script (a copy of
// erp-closeout without its popup handlers) knows no handler for it. The agent (--hold-when-stuck) waits, stuck,
// instead of failing; a person takes over, presses the dialog's Retry through the agent's own driver (input
// events relayed by the fleet), hands back, and the job finishes with the PO finalized once.
TEST_F(AgentServe, AStuckJobIsRescuedByATakeOver) {
  start_fleet(2);
  auto state_file = dir / "erp-state.json";
  Process erp({DOCKHAND_SIM_ERP, "--state", state_file.string(), "--seed", "17", "--unexpected-modal",
               "Database connection lost"}, dir / "erp.log");
  ASSERT_TRUE(wait_until([&] { return fs::exists(state_file); }, 10s)) << read_all(dir / "erp.log");
  // The copy of the script, its popup handlers removed.
  const auto recordings = dir / "rescue-recordings";
  fs::create_directories(recordings);
  fs::copy(fs::path(DOCKHAND_SOURCE_DIR) / "recordings/erp-closeout", recordings / "erp-closeout", fs::copy_options::recursive);
  auto script = nlohmann::json::parse(read_all(recordings / "erp-closeout/script.json"), nullptr, true, true);
  script.erase("handlers");
  std::ofstream(recordings / "erp-closeout/script.json") << script.dump(2);
  auto args = serve_args({"--hold-when-stuck", "300"});
  auto at = [&](const char* flag) { return std::find(args.begin(), args.end(), std::string(flag)) - args.begin() + 1; };
  args[at("--recordings")] = recordings.string();
  agent = std::make_unique<Process>(args, dir / "agent.log");
  ASSERT_TRUE(wait_until([&] { return !fleet->agents().empty(); }, 20s)) << read_all(dir / "agent.log");

  fleet->submit(JobRequest{"stuck-1", "erp", "erp-closeout", {{"po", "2K4GH7QZ"}}, 0ms, false, "RR-9"});
  auto stuck = [&] {
    std::lock_guard lock(mutex);
    return std::any_of(events.begin(), events.end(), [](const FleetEvent& e) {
      return e.kind == "supervision" && e.detail.rfind("stuck at", 0) == 0;
    });
  };
  ASSERT_TRUE(wait_until(stuck, 120s)) << read_all(dir / "agent.log");
  ASSERT_EQ(fleet->agents().at(0).supervision.value("mode", ""), "stuck");
  EXPECT_EQ(fleet->control("vm1", protocol::Control{"takeover", "", {}, ""}, "console:dana"), "");
  ASSERT_TRUE(wait_until([&] { return fleet->agents().at(0).state == "held"; }, 30s));
  // A viewer of the console cannot reach this far (403); another operator cannot drive what dana holds.
  EXPECT_NE(fleet->control("vm1", protocol::Control{"input", "", {{"events", nlohmann::json::array()}}, ""}, "console:lee"), "");
  EXPECT_FALSE(fleet->submit(JobRequest{"stuck-1", "erp", "erp-closeout", {}, 0ms, false, ""}));

  // Retry on the Warning dialog, where the ERP says it is (the modal's buttons, relative to its window).
  auto state = nlohmann::json::parse(read_all(state_file));
  ASSERT_TRUE(state["modal"].is_object()) << state.dump();
  std::string where;
  {
    std::string cmd = "xwininfo -name '" + state["modal"]["title"].get<std::string>() + "'";
    FILE* p = popen(cmd.c_str(), "r");
    char line[512];
    while (p && fgets(line, sizeof line, p)) where += line;
    if (p) pclose(p);
  }
  auto number_after = [&](const std::string& label) {
    auto i = where.find(label);
    return i == std::string::npos ? -1 : std::stoi(where.substr(i + label.size()));
  };
  const int mx = number_after("Absolute upper-left X:"), my = number_after("Absolute upper-left Y:");
  ASSERT_GE(mx, 0) << where;
  nlohmann::json click;
  for (const auto& b : state["modal"]["buttons"])
    if (b["label"] == "Retry")
      click = {{"type", "click"}, {"x", mx + b["rect"][0].get<int>() + b["rect"][2].get<int>() / 2},
               {"y", my + b["rect"][1].get<int>() + b["rect"][3].get<int>() / 2}, {"button", 1}};
  ASSERT_TRUE(click.is_object()) << state["modal"].dump();
  EXPECT_EQ(fleet->control("vm1", protocol::Control{"input", "", {{"events", {click}}}, ""}, "console:dana"), "");
  ASSERT_TRUE(wait_until([&] { return nlohmann::json::parse(read_all(state_file))["modal"].is_null(); }, 30s))
      << read_all(state_file);
  EXPECT_EQ(fleet->control("vm1", protocol::Control{"handback", "", {{"how", "resume"}}, ""}, "console:dana"), "");

  auto o = fleet->next_outcome(120s);
  ASSERT_TRUE(o) << read_all(dir / "agent.log");
  EXPECT_EQ(o->outcome, protocol::Outcome::ok) << o->reason << "\n" << read_all(dir / "agent.log");
  EXPECT_EQ(o->attempts, 1);
  EXPECT_EQ(finalized_events(nlohmann::json::parse(read_all(state_file)), "2K4GH7QZ"), 1);
  {
    std::lock_guard lock(mutex);
    EXPECT_TRUE(std::any_of(events.begin(), events.end(), [](const FleetEvent& e) {
      return e.kind == "supervision" && e.detail.find("handed back (resume) by console:dana: 1 input events") != std::string::npos;
    }));
  }
  EXPECT_EQ(read_all(dir / "agent.log").find("Retry"), std::string::npos);
}
#endif

// A take-over's input of every kind the console's canvas sends (a move, a click, a drag, the wheel, typed text
// and a chord) lands on the agent's desktop through the agent's own driver, only while someone holds it, and
// only the holder's: a probe window on the same X display records what arrives.
TEST_F(AgentServe, EveryKindOfTakeOverInputLandsOnTheDesktopOnlyWhileHeld) {
  start_fleet(1);
  dockhand::drivers::testing::ProbeWindow probe("Dockhand take-over probe", 200, 150, 400, 200);
  start_agent();
  const auto at = [&](int x, int y) { return probe.on_screen(x, y); };
  auto input = [&](const nlohmann::json& events, const std::string& who = "console:dana") {
    return fleet->control("vm1", protocol::Control{"input", "", {{"events", events}}, ""}, who);
  };
  const auto click = at(50, 60);
  // Not held: refused by the fleet, and nothing reaches the desktop.
  EXPECT_NE(input({{{"type", "click"}, {"x", click.x}, {"y", click.y}, {"button", 1}}}), "");
  EXPECT_EQ(fleet->control("vm1", protocol::Control{"takeover", "", {}, ""}, "console:dana"), "");
  ASSERT_TRUE(wait_until([&] { return fleet->agents().at(0).state == "held"; }, 30s)) << read_all(dir / "agent.log");
  EXPECT_NE(input({{{"type", "click"}, {"x", click.x}, {"y", click.y}, {"button", 1}}}, "console:lee"), "")
      << "another operator cannot drive what dana holds";
  probe.pump_for(300);
  EXPECT_TRUE(probe.buttons.empty());

  const auto from = at(100, 100), to = at(250, 140), wheel = at(300, 50), moved = at(380, 180);
  EXPECT_EQ(input({{{"type", "click"}, {"x", click.x}, {"y", click.y}, {"button", 1}},
                   {{"type", "drag"}, {"x", from.x}, {"y", from.y}, {"to_x", to.x}, {"to_y", to.y}, {"button", 1}},
                   {{"type", "scroll"}, {"x", wheel.x}, {"y", wheel.y}, {"dy", 2}},
                   {{"type", "text"}, {"text", "PO 7HXQ"}},
                   {{"type", "key"}, {"chord", "ctrl+s"}},
                   {{"type", "move"}, {"x", moved.x}, {"y", moved.y}}}),
            "");
  auto motion_at = [&](int x, int y) {
    return std::any_of(probe.motions.begin(), probe.motions.end(), [&](const XMotionEvent& m) { return m.x == x && m.y == y; });
  };
  ASSERT_TRUE(probe.pump_until([&] { return motion_at(380, 180); }, 30000))
      << probe.buttons.size() << " presses, " << probe.keys.size() << " keys, text '" << probe.text << "'\n"
      << read_all(dir / "agent.log");
  probe.pump_for(200);
  // Presses in order: the click, the drag's press, two notches down (button 5).
  ASSERT_EQ(probe.buttons.size(), 4u);
  EXPECT_EQ(probe.buttons[0].button, 1u);
  EXPECT_NEAR(probe.buttons[0].x, 50, 1);
  EXPECT_NEAR(probe.buttons[0].y, 60, 1);
  EXPECT_EQ(probe.buttons[1].button, 1u);
  EXPECT_NEAR(probe.buttons[1].x, 100, 1);
  EXPECT_NEAR(probe.buttons[1].y, 100, 1);
  ASSERT_GE(probe.releases.size(), 2u);
  EXPECT_NEAR(probe.releases[1].x, 250, 1) << "the drag's release";
  EXPECT_NEAR(probe.releases[1].y, 140, 1);
  EXPECT_EQ(probe.buttons[2].button, 5u);
  EXPECT_EQ(probe.buttons[3].button, 5u);
  EXPECT_NEAR(probe.buttons[2].x, 300, 1);
  EXPECT_EQ(probe.text, "PO 7HXQ");
  EXPECT_TRUE(std::any_of(probe.keys.begin(), probe.keys.end(), [](const auto& k) {
    return (k.sym == XK_s || k.sym == XK_S) && (k.state & ControlMask);
  })) << "ctrl+s";
  // Handed back: the agent is free again and its input refused.
  EXPECT_EQ(fleet->control("vm1", protocol::Control{"handback", "", {{"how", "resume"}}, ""}, "console:dana"), "");
  ASSERT_TRUE(wait_until([&] { return fleet->agents().at(0).state == "idle"; }, 30s));
  EXPECT_NE(input({{{"type", "click"}, {"x", click.x}, {"y", click.y}, {"button", 1}}}), "");
  EXPECT_EQ(read_all(dir / "agent.log").find("7HXQ"), std::string::npos) << "what was typed is never logged";
}

#ifdef DOCKHAND_SIM_ERP
// The hand-back's other two choices and Abort, through the real fleet: "step done" goes on from the next step;
// "fail" and Abort end the job as `aborted`, final: the fleet does not run it again (max_attempts is 3 here).
TEST_F(AgentServe, AHandBackCanMarkTheStepDoneAndAFailedHandBackOrAnAbortIsFinal) {
  start_fleet(3);
  auto state_file = dir / "erp-state.json";
  Process erp({DOCKHAND_SIM_ERP, "--state", state_file.string(), "--seed", "23"}, dir / "erp.log");
  ASSERT_TRUE(wait_until([&] { return fs::exists(state_file); }, 10s)) << read_all(dir / "erp.log");
  start_recordings_agent("erp");
  auto saw = [&](const std::string& job, const std::string& kind, const std::string& text) {
    std::lock_guard lock(mutex);
    return std::any_of(events.begin(), events.end(), [&](const FleetEvent& e) {
      return e.job_id == job && e.kind == kind && e.detail.find(text) != std::string::npos;
    });
  };
  auto control = [&](const std::string& action, nlohmann::json input = nlohmann::json::object()) {
    return fleet->control("vm1", protocol::Control{action, "", std::move(input), ""}, "console:dana");
  };
  auto take_over = [&] {
    EXPECT_EQ(control("takeover"), "");
    ASSERT_TRUE(wait_until([&] { return fleet->agents().at(0).state == "held"; }, 30s)) << read_all(dir / "agent.log");
  };
  auto start = [&](const std::string& job, const std::string& po) {
    fleet->submit(JobRequest{job, "erp", "erp-closeout", {{"po", po}}, 0ms, true, ""});
    ASSERT_TRUE(wait_until([&] { return saw(job, "supervision", "stopped before steps[0]"); }, 90s))
        << read_all(dir / "agent.log");
  };

  // Step done: the person did step 1 (the ERP has the focus already); the script stops next before step 2.
  start("hb-done", "2K4GH7QZ");
  take_over();
  EXPECT_EQ(control("handback", {{"how", "step_done"}}), "");
  ASSERT_TRUE(wait_until([&] { return saw("hb-done", "supervision", "stopped before steps[1]"); }, 60s))
      << read_all(dir / "agent.log");
  EXPECT_TRUE(saw("hb-done", "supervision", "handed back (step_done) by console:dana"));
  EXPECT_EQ(control("resume"), "");
  auto done = fleet->next_outcome(120s);
  ASSERT_TRUE(done) << read_all(dir / "agent.log");
  EXPECT_EQ(done->job_id, "hb-done");
  EXPECT_EQ(done->outcome, protocol::Outcome::ok) << done->reason;
  EXPECT_EQ(finalized_events(nlohmann::json::parse(read_all(state_file)), "2K4GH7QZ"), 1);

  // Fail at hand-back: final, with who failed it, and nothing done in the ERP.
  start("hb-fail", "7HXQ3M2P");
  take_over();
  EXPECT_EQ(control("handback", {{"how", "fail"}}), "");
  auto failed = fleet->next_outcome(60s);
  ASSERT_TRUE(failed) << read_all(dir / "agent.log");
  EXPECT_EQ(failed->job_id, "hb-fail");
  EXPECT_EQ(failed->outcome, protocol::Outcome::application);
  EXPECT_EQ(failed->category, "aborted");
  EXPECT_NE(failed->reason.find("failed by console:dana when handing back"), std::string::npos) << failed->reason;
  EXPECT_EQ(failed->attempts, 1);
  EXPECT_EQ(count("retry", "hb-fail"), 0);

  // Abort while stopped: final as well; the agent is free for the next job.
  start("hb-abort", "9LMN4R8T");
  EXPECT_EQ(control("abort"), "");
  auto aborted = fleet->next_outcome(60s);
  ASSERT_TRUE(aborted) << read_all(dir / "agent.log");
  EXPECT_EQ(aborted->job_id, "hb-abort");
  EXPECT_EQ(aborted->category, "aborted");
  EXPECT_EQ(aborted->attempts, 1);
  EXPECT_EQ(count("retry", "hb-abort"), 0);
  auto state = nlohmann::json::parse(read_all(state_file));
  EXPECT_EQ(finalized_events(state, "7HXQ3M2P"), 0);
  EXPECT_EQ(finalized_events(state, "9LMN4R8T"), 0);
  ASSERT_TRUE(wait_until([&] { return fleet->agents().at(0).state == "idle"; }, 30s)) << fleet->agents().at(0).state;
}
#endif

#ifdef DOCKHAND_SIM_OPSHIP
TEST_F(AgentServe, DrivesTheSimulatedOpShipThroughTheFleetExactlyOnce) {
  start_fleet(2);
  auto state_file = dir / "opship-state.json";
  Process opship({DOCKHAND_SIM_OPSHIP, "--state", state_file.string(), "--seed", "12"}, dir / "opship.log");
  ASSERT_TRUE(wait_until([&] { return fs::exists(state_file); }, 10s)) << read_all(dir / "opship.log");
  start_recordings_agent("opship");
  const std::string id = "DH-2K4GH7QZ-CLT2-1A2B3C4D";  // one of OpShip's built-in Open shipments
  std::map<std::string, std::string> vars{{"shipment_id", id},      {"carrier", "ABF Freight"},
                                          {"pickup_date", "2026-12-03"}, {"cartons", "139"},
                                          {"pallets", "6"},          {"reference", "4471092"},
                                          {"pos", "2K4GH7QZ"}};
  fleet->submit(JobRequest{"op-1", "opship", "opship-closeout", vars, 0ms, false, "RR-1"});
  auto first = fleet->next_outcome(90s);
  ASSERT_TRUE(first) << read_all(dir / "agent.log");
  ASSERT_EQ(first->outcome, protocol::Outcome::ok) << first->reason << "\n" << read_all(dir / "agent.log");
  auto state = nlohmann::json::parse(read_all(state_file));
  EXPECT_EQ(first->outputs["bol"], state["closed"][id]["bol"]);
  EXPECT_EQ(state["closed"][id]["carrier"], "ABF Freight");
  EXPECT_EQ(state["closed"][id]["pallets"], 6);

  fleet->submit(JobRequest{"op-1", "opship", "opship-closeout", vars, 0ms, false, "RR-1"});
  auto again = fleet->next_outcome(90s);
  ASSERT_TRUE(again);
  ASSERT_EQ(again->outcome, protocol::Outcome::ok) << again->reason;
  EXPECT_EQ(again->outputs["bol"], first->outputs["bol"]);
  EXPECT_EQ(again->outputs["already_done"], "true");
  EXPECT_EQ(nlohmann::json::parse(read_all(state_file))["closed"][id]["count"], 1);

  auto other = vars;
  other["shipment_id"] = "DH-7HXQ3M2P-BFI4-5E6F7A8B";
  other["pos"] = "7HXQ3M2P";
  other["carrier"] = "Acme Hauling";
  fleet->submit(JobRequest{"op-2", "opship", "opship-closeout", other, 0ms, false, "RR-2"});
  auto unknown = fleet->next_outcome(90s);
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->outcome, protocol::Outcome::business) << unknown->reason;
  EXPECT_NE(unknown->reason.find("Acme Hauling"), std::string::npos) << unknown->reason;
  EXPECT_FALSE(unknown->images.empty());
  EXPECT_FALSE(nlohmann::json::parse(read_all(state_file))["closed"].contains("DH-7HXQ3M2P-BFI4-5E6F7A8B"));
}
#endif
