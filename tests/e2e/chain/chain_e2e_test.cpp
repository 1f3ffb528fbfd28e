// The whole chain, end to end, with every real part: scripts/demo.sh starts the SP-API simulator, one
// Xvfb + openbox desktop per agent with the simulated ERP and OpShip (sharing one back end, like agent VMs in
// front of one company's systems), the orchestrator (Maildir inbox, SQLite store, CURVE fleet) and two
// `dockhand-agent serve` processes, and drops three routing-request emails. This test watches the store,
// kills what it kills, and then checks what really happened: every request DONE with the references the
// agents read back, each PO finalized once and each shipment closed once in the programs' back ends, each
// shipment submitted to Amazon once.
#include "orchestrator/chain/clock.h"
#include "orchestrator/chain/store.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using namespace std::chrono_literals;
using dockhand::chain::State;

constexpr const char* kPos[] = {"2K4GH7QZ", "7HXQ3M2P", "9LMN4R8T", "HBRPOIG8"};  // scripts/demo.sh's POs

json read_json(const fs::path& file) {
  std::ifstream in(file);
  if (!in) return json();
  return json::parse(in, nullptr, false);
}

std::string read_text(const fs::path& file) {
  std::ifstream in(file);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// A child process in its own process group; the whole group is stopped when this goes away, whatever the
// test did (demo.sh then stops everything it started).
class Child {
 public:
  Child(const std::vector<std::string>& argv, const fs::path& log) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&attr, 0);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    if (posix_spawn(&pid_, args[0], &actions, &attr, args.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
  ~Child() {
    if (pid_ <= 0 || exit_code_) return;
    ::kill(-pid_, SIGTERM);
    for (int i = 0; i < 100 && !poll(); ++i) std::this_thread::sleep_for(100ms);
    if (!exit_code_) {
      ::kill(-pid_, SIGKILL);
      wait();
    }
  }
  bool started() const { return pid_ > 0; }
  // The exit code once it has ended (without waiting).
  std::optional<int> poll() {
    if (exit_code_ || pid_ <= 0) return exit_code_;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
    return exit_code_;
  }
  int wait() {
    if (exit_code_) return *exit_code_;
    int status = 0;
    ::waitpid(pid_, &status, 0);
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
    return *exit_code_;
  }

 private:
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
};

class Chain : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir = fs::temp_directory_path() / ("dockhand-e2e-chain-" + std::string(info->name()) + "-" + std::to_string(getpid()));
    fs::remove_all(dir);
    ::setenv("BUILD_DIR", DOCKHAND_BUILD_DIR, 1);
    demo = std::make_unique<Child>(
        std::vector<std::string>{"/bin/bash", DOCKHAND_SOURCE_DIR "/scripts/demo.sh", "--no-setup", "--no-build",
                                 "--agents", "2", "--timeout", "240", "--dir", dir.string()},
        fs::temp_directory_path() / ("dockhand-e2e-chain-" + std::string(info->name()) + ".log"));
    ASSERT_TRUE(demo->started());
    log_file = fs::temp_directory_path() / ("dockhand-e2e-chain-" + std::string(info->name()) + ".log");
  }
  void TearDown() override {
    restarted.reset();
    demo.reset();
    if (HasFailure()) {
      std::cerr << "---- demo output (" << log_file << ") ----\n" << read_text(log_file) << "\n";
      std::cerr << "the run folder stays for inspection: " << dir << "\n";
    } else {
      fs::remove_all(dir);
    }
  }

  fs::path store_file() const { return dir / "dockhand.sqlite"; }
  pid_t pid_of(const std::string& name) const {
    std::string text = read_text(dir / "pids" / (name + ".pid"));
    return text.empty() ? -1 : static_cast<pid_t>(std::stol(text));
  }

  // Waits until an event matching `pred` is in the store (the demo is still running). Returns it.
  std::optional<dockhand::chain::Event> wait_for_event(const std::function<bool(const dockhand::chain::Event&)>& pred,
                                                       std::chrono::seconds timeout = 120s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline && !fs::exists(store_file()) && !demo->poll())
      std::this_thread::sleep_for(100ms);
    if (!fs::exists(store_file())) return std::nullopt;
    dockhand::chain::SystemClock clock;
    dockhand::chain::Store store(store_file().string(), clock);
    std::int64_t last = 0;
    while (std::chrono::steady_clock::now() < deadline && !demo->poll()) {
      for (const auto& e : store.events_after(last)) {
        last = e.id;
        if (pred(e)) return e;
      }
      std::this_thread::sleep_for(50ms);
    }
    return std::nullopt;
  }

  // Everything the demo finished with, checked: three requests DONE with their references, each PO finalized
  // once, each shipment closed once (with Amazon's values), each shipment submitted once.
  void expect_done_exactly_once() {
    dockhand::chain::SystemClock clock;
    dockhand::chain::Store store(store_file().string(), clock);
    auto requests = store.requests();
    ASSERT_EQ(requests.size(), 3u);
    std::map<std::string, std::string> bol_of;  // shipment -> BOL the agent read back
    std::map<std::string, std::string> ref_of;  // PO -> PT reference the agent read back
    for (const auto& r : requests) {
      EXPECT_EQ(r.state, State::DONE) << "#" << r.id << " " << r.reason;
      for (const auto& s : r.outputs.value("shipments", json::array())) {
        bol_of[s.value("vendor_shipment_identifier", "")] = s.value("bol", "");
        const json erp_refs = s.value("erp", json::object());
        for (const auto& [po, ref] : erp_refs.items()) ref_of[po] = ref.get<std::string>();
      }
    }
    const json erp = read_json(dir / "apps" / "erp-backend.json");
    const json opship = read_json(dir / "apps" / "opship-backend.json");
    const json sim = read_json(dir / "spapi-sim.json");
    ASSERT_TRUE(erp.is_object()) << "no ERP back end";
    ASSERT_TRUE(opship.is_object()) << "no OpShip back end";
    ASSERT_TRUE(sim.is_object()) << "no simulator state";
    for (const char* po : kPos) {
      SCOPED_TRACE(po);
      const json entry = erp["finalized"].value(po, json());
      ASSERT_TRUE(entry.is_object()) << "not finalized in the ERP";
      EXPECT_EQ(entry.value("count", 0), 1) << entry.dump();
      EXPECT_EQ(ref_of[po], entry.value("reference", "")) << "the reference in the record is the ERP's";
    }
    EXPECT_EQ(erp["finalized"].size(), std::size(kPos)) << "nothing else was finalized";
    ASSERT_EQ(bol_of.size(), 3u);
    for (const auto& [shipment, bol] : bol_of) {
      SCOPED_TRACE(shipment);
      const json entry = opship["closed"].value(shipment, json());
      ASSERT_TRUE(entry.is_object()) << "not closed in OpShip";
      EXPECT_EQ(entry.value("count", 0), 1) << entry.dump();
      EXPECT_EQ(bol, entry.value("bol", "")) << "the BOL in the record is OpShip's";
      EXPECT_EQ(sim["submissions"].value(shipment, 0), 1) << "submitShipments once per shipment";
      // OpShip holds Amazon's confirmed data: the carrier, pickup date and reference the simulator assigned.
      const json amazon = sim["shipments"].value(shipment, json::object()).value("shipment", json::object());
      EXPECT_EQ(entry.value("carrier", ""),
                amazon.value(json::json_pointer("/transportationDetails/carrierDetails/name"), std::string("?")));
      EXPECT_EQ(entry.value("reference", ""), amazon.value("buyerReferenceNumber", std::string("?")));
      EXPECT_EQ(entry.value("pickup_date", ""),
                amazon.value(json::json_pointer("/collectFreightPickupDetails/scheduledPickUp"), std::string("?"))
                    .substr(0, 10));
    }
    EXPECT_EQ(opship["closed"].size(), 3u) << "nothing else was closed";
    EXPECT_EQ(sim["submissions"].size(), 3u);
  }

  fs::path dir, log_file;
  std::unique_ptr<Child> demo, restarted;
};

// The output of a command run through the shell (stdout and stderr).
std::string output_of(const std::string& command) {
  std::string out;
  if (FILE* p = ::popen((command + " 2>&1").c_str(), "r")) {
    char buffer[4096];
    for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, p)) > 0;) out.append(buffer, n);
    ::pclose(p);
  }
  return out;
}

std::size_t lines_in(const std::string& text) { return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')); }

TEST_F(Chain, ThreeEmailsToDoneWithTwoAgents) {
  ASSERT_EQ(demo->wait(), 0) << "demo.sh did not bring the three requests to DONE";
  expect_done_exactly_once();
  // What a person watching the demo sees: about a screen, one line per step, every PT reference and BOL
  // (about 12 steps per request since labels, departure and the ASN are followed, plus the status table).
  const std::string shown = read_text(log_file);
  EXPECT_LE(lines_in(shown), 55u) << shown;
  EXPECT_EQ(shown.find("JOB_PROGRESS"), std::string::npos) << "agent step detail without --verbose:\n" << shown;
  EXPECT_EQ(shown.find("\"already_done\""), std::string::npos) << "raw JSON in the output:\n" << shown;
  {
    dockhand::chain::SystemClock clock;
    dockhand::chain::Store store(store_file().string(), clock, dockhand::chain::StoreAccess::read_only);
    std::size_t named = 0;
    for (const auto& r : store.requests())
      for (const auto& s : r.outputs.value("shipments", json::array())) {
        EXPECT_NE(shown.find("BOL " + s.value("bol", std::string("?"))), std::string::npos) << shown;
        ++named;
        const json erp_refs = s.value("erp", json::object());
        for (const auto& [po, ref] : erp_refs.items()) {
          EXPECT_NE(shown.find("PO " + po + " done: PT reference " + ref.get<std::string>()), std::string::npos)
              << shown;
          ++named;
        }
      }
    EXPECT_EQ(named, 3u + std::size(kPos));
    for (const char* step : {"received", "extracted  ACMEW", "submitted to Amazon", "confirmed by Amazon", "DONE"})
      EXPECT_NE(shown.find(step), std::string::npos) << step << " missing:\n" << shown;
  }
  // --verbose keeps every event: the agents' step-by-step progress is there.
  const std::string verbose = output_of(std::string(DOCKHAND_ORCHESTRATOR_BIN) + " status --follow --until-done 3 --verbose --store " +
                                        store_file().string());
  EXPECT_NE(verbose.find("JOB_PROGRESS"), std::string::npos) << verbose.substr(0, 2000);
  EXPECT_GT(lines_in(verbose), lines_in(shown));
  // Both agents took work (jobs go to idle agents that can drive the program).
  dockhand::chain::SystemClock clock;
  dockhand::chain::Store store(store_file().string(), clock);
  std::set<std::string> agents;
  for (const auto& e : store.events_after(0, 100000))
    if (e.step == "JOB_DISPATCHED") agents.insert(e.detail.substr(e.detail.find('@') + 1, 6));
  EXPECT_EQ(agents, (std::set<std::string>{"agent1", "agent2"}));
}

TEST_F(Chain, AnAgentKilledMidCloseOutLeavesItsJobToTheOtherAgent) {
  // The moment agent1 is well into a close-out job (past focusing the window), it dies like a VM pulled.
  auto e = wait_for_event([](const dockhand::chain::Event& e) {
    return e.step == "JOB_PROGRESS" && e.detail.find("@agent1") != std::string::npos &&
           e.detail.find("steps[0]") == std::string::npos && e.detail.find("steps[1]") == std::string::npos;
  });
  ASSERT_TRUE(e) << "agent1 never got into a job";
  const std::string job = e->detail.substr(0, e->detail.find(' '));
  ASSERT_EQ(::kill(pid_of("agent1"), SIGKILL), 0);
  ASSERT_EQ(demo->wait(), 0) << "the chain did not finish with one agent left";
  expect_done_exactly_once();
  // The killed agent's job was finished by agent2.
  dockhand::chain::SystemClock clock;
  dockhand::chain::Store store(store_file().string(), clock);
  bool lost = false, done_by_agent2 = false;
  for (const auto& ev : store.events_after(0, 100000)) {
    if (ev.step == "AGENT_LOST" || ev.step == "JOB_REQUEUED") lost = true;
    if (ev.step == "JOB_DONE" && ev.detail.find(job) != std::string::npos) {
      auto d = json::parse(ev.detail, nullptr, false);
      done_by_agent2 = d.is_object() && d.value("agent", "") == "agent2";
    }
  }
  EXPECT_TRUE(lost) << "the fleet never noticed agent1 was gone";
  EXPECT_TRUE(done_by_agent2) << job << " was not finished by agent2";
}

TEST_F(Chain, TheOrchestratorKilledMidCloseOutFinishesOnRestartExactlyOnce) {
  // Once the first close-out job has finished (and others are in flight), the orchestrator dies.
  auto e = wait_for_event([](const dockhand::chain::Event& e) { return e.step == "JOB_DONE"; });
  ASSERT_TRUE(e) << "no close-out job finished";
  ASSERT_EQ(::kill(pid_of("serve"), SIGKILL), 0);
  std::this_thread::sleep_for(500ms);
  restarted = std::make_unique<Child>(
      std::vector<std::string>{DOCKHAND_ORCHESTRATOR_BIN, "serve", "--config", (dir / "orchestrator.json").string()},
      dir / "logs" / "serve-restarted.log");
  ASSERT_TRUE(restarted->started());
  ASSERT_EQ(demo->wait(), 0) << "the chain did not finish after the restart";
  expect_done_exactly_once();
  dockhand::chain::SystemClock clock;
  dockhand::chain::Store store(store_file().string(), clock);
  // The restarted orchestrator resumed the close-out it found in flight, skipping the jobs already done.
  bool resumed = false;
  for (const auto& ev : store.events_after(0, 100000))
    if (ev.detail.find("resumed") != std::string::npos) resumed = true;
  EXPECT_TRUE(resumed) << "no close-out was resumed after the restart";
}

}  // namespace
