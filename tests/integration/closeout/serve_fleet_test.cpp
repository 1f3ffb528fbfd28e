// `dockhand-orchestrator serve` with a "fleet" section: the real process (CURVE, agent allow-list from
// key files), the SP-API simulator, a Maildir inbox, and agents running the real Worker loop in this test
// process. Their executors stand in for the ERP and OpShip screens (idempotent like the screen scripts,
// counting every change), so "exactly once" is checked on the programs' side, across a SIGKILL of serve.
#include "../chain/serve_harness.h"
#include "../fleet/fleet_harness.h"

#include "agent/protocol/wire.h"

#include <gtest/gtest.h>

#include <regex>

using namespace dockhand;
using namespace dockhand::serve_testing;
using chain::State;
namespace protocol = dockhand::protocol;

namespace {

int free_port() {
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(s, reinterpret_cast<sockaddr*>(&addr), &len);
  int port = ntohs(addr.sin_port);
  ::close(s);
  return port;
}

struct Programs {
  std::mutex mutex;
  std::map<std::string, std::string> finalized;  // PO -> PT reference
  std::map<std::string, int> erp_changes;
  std::map<std::string, std::string> closed;  // shipment -> BOL
  std::map<std::string, int> opship_changes;
  std::map<std::string, std::map<std::string, std::string>> typed;
  std::set<std::string> unknown_pos;
  std::atomic<int> delay_ms{0};

  protocol::Result run(const protocol::Job& j, protocol::JobControl& control) {
    control.progress("steps[0].wait", "main window");
    if (delay_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms.load()));
    std::lock_guard lock(mutex);
    protocol::Result r;
    if (j.script == "erp-closeout") {
      const auto po = j.vars.at("po");
      if (unknown_pos.count(po)) {
        r.outcome = protocol::Outcome::business;
        r.reason = "PO not found: " + po;
        r.failed_step = "steps[5].then[0].fail";
        r.images.push_back({"screen.png", "image/png", "PNG-screen-" + po});
        return r;
      }
      bool already = finalized.count(po) > 0;
      if (!already) {
        char ref[16];
        std::snprintf(ref, sizeof ref, "PT-%06zu", 100000 + finalized.size());
        finalized[po] = ref;
        ++erp_changes[po];
      }
      r.outputs = {{"reference", finalized[po]}, {"already_done", already ? "true" : "false"}};
    } else {
      const auto id = j.vars.at("shipment_id");
      typed[id] = j.vars;
      bool already = closed.count(id) > 0;
      if (!already) {
        closed[id] = "BOL" + std::to_string(4710000 + closed.size());
        ++opship_changes[id];
      }
      r.outputs = {{"bol", closed[id]}, {"already_done", already ? "true" : "false"}};
    }
    return r;
  }
};

class ServeFleet : public ::testing::Test {
 protected:
  void SetUp() override {
    sim.reset();
    env = std::make_unique<ServeEnv>(::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(env->dir / "keys" / "agents");
    server = protocol::generate_curve_keypair();
    agent_keys = protocol::generate_curve_keypair();
    protocol::write_keypair(env->dir / "keys", "orchestrator", server);
    protocol::write_keypair(env->dir / "keys" / "agents", "vm1", agent_keys);
    endpoint = "tcp://127.0.0.1:" + std::to_string(free_port());
    env->config["fleet"] = {{"bind", endpoint},
                            {"heartbeat_ms", 200},
                            {"ack_timeout_ms", 1000},
                            {"retry_backoff_ms", 100},
                            {"retry_backoff_max_ms", 400}};
  }
  void TearDown() override { agents.clear(); }
  void add_agent(const std::string& id, const protocol::CurveKeyPair& keys) {
    auto cfg = fleet_test::agent_config(endpoint, id, {"erp", "opship"});
    cfg.insecure = false;
    cfg.agent_keys = keys;
    cfg.server_public_key = server.public_key;
    agents.push_back(std::make_unique<fleet_test::TestAgent>(
        cfg, [this](const protocol::Job& j, protocol::JobControl& c) { return programs.run(j, c); }));
  }
  std::string states() {
    std::string out;
    for (const auto& r : env->requests())
      out += "#" + std::to_string(r.id) + " " + std::string(chain::to_string(r.state)) +
             (r.reason.empty() ? "" : " (" + r.reason + ")") + "\n";
    return out;
  }

  spapi::testing::SimAdmin sim;
  std::unique_ptr<ServeEnv> env;
  protocol::CurveKeyPair server, agent_keys;
  std::string endpoint;
  Programs programs;
  std::vector<std::unique_ptr<fleet_test::TestAgent>> agents;
};

}  // namespace

TEST_F(ServeFleet, EmailsGoAllTheWayToDoneWithTheReferencesInTheRecord) {
  add_order(*env->orders, "A1FL0001", "ABE8");
  add_order(*env->orders, "B1FL0002", "ABE8");
  add_order(*env->orders, "B2FL0003", "MDW2");
  auto serve = env->start();
  add_agent("vm1", agent_keys);
  env->deliver(routing_email("one-fl@amazon.example", {{"A1FL0001", "ABE8"}}));
  env->deliver(routing_email("two-fl@amazon.example", {{"B1FL0002", "ABE8"}, {"B2FL0003", "MDW2"}}));
  ASSERT_TRUE(eventually([&] { return env->all_in(State::DONE, 2); })) << states() << env->logs();

  std::lock_guard lock(programs.mutex);
  for (const auto& r : env->requests()) {
    auto shipments = env->store().shipments(r.id);
    ASSERT_EQ(r.outputs["shipments"].size(), shipments.size()) << r.outputs.dump();
    for (std::size_t i = 0; i < shipments.size(); ++i) {
      const auto& out = r.outputs["shipments"][i];
      const auto& sid = shipments[i].vendor_shipment_identifier;
      EXPECT_EQ(out["vendor_shipment_identifier"], sid);
      EXPECT_EQ(out["bol"], programs.closed.at(sid));
      EXPECT_EQ(programs.opship_changes.at(sid), 1);
      for (const auto& po : shipments[i].planned.pos) {
        EXPECT_EQ(out["erp"][po], programs.finalized.at(po));
        EXPECT_EQ(programs.erp_changes.at(po), 1);
      }
      // What Amazon confirmed (the simulator's carrier and pickup) is what went into OpShip.
      const auto& typed = programs.typed.at(sid);
      auto carrier = shipments[i].details["transportationDetails"]["carrierDetails"]["name"].get<std::string>();
      EXPECT_EQ(typed.at("carrier"), carrier);
      EXPECT_TRUE(std::regex_match(typed.at("pickup_date"), std::regex(R"(\d{4}-\d{2}-\d{2})")));
      EXPECT_TRUE(std::regex_match(typed.at("reference"), std::regex(R"(\d*)"))) << typed.at("reference");
    }
  }
  // The timeline shows the jobs.
  auto [rc, text] = env->cli("status 2 --store " + (env->dir / "store.sqlite").string());
  EXPECT_EQ(rc, 0);
  for (const char* expected : {"CLOSING_OUT", "JOB_DISPATCHED", "JOB_DONE", "DONE"})
    EXPECT_NE(text.find(expected), std::string::npos) << expected << " not in:\n" << text;
  EXPECT_EQ(serve->stop(SIGTERM).value_or(-1), 0);
}

TEST_F(ServeFleet, AnAgentWhoseKeyIsNotAllowListedGetsNoJobAndIsLogged) {
  add_order(*env->orders, "A1FL0011", "ABE8");
  auto serve = env->start();
  auto stranger = protocol::generate_curve_keypair();
  add_agent("stranger", stranger);
  env->deliver(routing_email("stranger@amazon.example", {{"A1FL0011", "ABE8"}}));
  ASSERT_TRUE(eventually([&] { return env->all_in(State::CLOSING_OUT, 1); })) << states();
  ASSERT_TRUE(eventually([&] { return env->count_in_logs(stranger.public_key) > 0; }, std::chrono::seconds(10)))
      << env->logs();
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  {
    std::lock_guard lock(programs.mutex);
    EXPECT_TRUE(programs.finalized.empty()) << "a refused agent ran a job";
  }
  add_agent("vm1", agent_keys);
  ASSERT_TRUE(eventually([&] { return env->all_in(State::DONE, 1); })) << states();
}

TEST_F(ServeFleet, ABusinessFailureNeedsAttentionWithTheScreenshotInTheStore) {
  add_order(*env->orders, "A1FL0021", "ABE8");
  programs.unknown_pos.insert("A1FL0021");
  auto serve = env->start();
  add_agent("vm1", agent_keys);
  env->deliver(routing_email("biz-fl@amazon.example", {{"A1FL0021", "ABE8"}}));
  ASSERT_TRUE(eventually([&] { return env->all_in(State::NEEDS_ATTENTION, 1); })) << states();
  auto r = env->requests().at(0);
  EXPECT_NE(r.reason.find("PO not found: A1FL0021"), std::string::npos) << r.reason;
  EXPECT_EQ(r.evidence["evidence_ids"].size(), 1u);
  int evidence_events = 0;
  for (const auto& e : env->store().events(r.id)) evidence_events += e.step == "EVIDENCE";
  EXPECT_EQ(evidence_events, 1);
  // The fleet's own copy under evidence_dir (default "evidence" next to the config).
  EXPECT_TRUE(fs::exists(env->dir / "evidence" / ("request-" + std::to_string(r.id))));
}

// serve is SIGKILLed while the agent is on the ERP screen; the restarted serve finishes the close-out and
// nothing is done twice in the programs.
TEST_F(ServeFleet, KilledMidCloseOutTheRestartFinishesItExactlyOnce) {
  add_order(*env->orders, "A1FL0031", "ABE8");
  add_order(*env->orders, "A2FL0032", "ABE8");
  programs.delay_ms = 700;
  auto serve = env->start();
  add_agent("vm1", agent_keys);
  env->deliver(routing_email("kill-fl@amazon.example", {{"A1FL0031", "ABE8"}, {"A2FL0032", "ABE8"}}));
  ASSERT_TRUE(eventually([&] { return env->count_in_logs("fleet close-out: submitted") > 0; })) << env->logs();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  serve->stop(SIGKILL);
  ASSERT_TRUE(env->all_in(State::CLOSING_OUT, 1)) << states();
  auto again = env->start();
  ASSERT_TRUE(eventually([&] { return env->all_in(State::DONE, 1); })) << states() << env->logs();
  std::lock_guard lock(programs.mutex);
  EXPECT_EQ(programs.erp_changes.at("A1FL0031"), 1);
  EXPECT_EQ(programs.erp_changes.at("A2FL0032"), 1);
  ASSERT_EQ(programs.opship_changes.size(), 1u);
  EXPECT_EQ(programs.opship_changes.begin()->second, 1);
  auto r = env->requests().at(0);
  EXPECT_EQ(r.outputs["shipments"][0]["erp"]["A1FL0031"], programs.finalized.at("A1FL0031"));
}
