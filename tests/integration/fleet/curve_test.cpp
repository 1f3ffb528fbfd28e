// CurveZMQ and the ZAP allow-list: only agents whose public key is listed get in; the wire is encrypted.
#include "fleet_harness.h"

#include <gtest/gtest.h>

using namespace fleet_test;
using dockhand::fleet::Fleet;
using dockhand::fleet::JobRequest;
using dockhand::protocol::CurveKeyPair;
using dockhand::protocol::generate_curve_keypair;
namespace fs = std::filesystem;

namespace {

const std::string kCanary = "PLAINTEXT-CANARY-4X9K2PQ1-do-not-leak";

struct CurveSetup {
  fs::path dir = fs::temp_directory_path() / ("dockhand-curve-" + std::to_string(getpid()) + "-" +
                                              std::to_string(reinterpret_cast<std::uintptr_t>(this)));
  CurveKeyPair server = generate_curve_keypair();
  CurveKeyPair listed = generate_curve_keypair();
  CurveSetup() {
    fs::create_directories(dir / "agents");
    dockhand::protocol::write_keypair(dir, "orchestrator", server);
    dockhand::protocol::write_keypair(dir / "agents", "vm1", listed);
  }
  ~CurveSetup() { fs::remove_all(dir); }
  dockhand::fleet::FleetConfig fleet_config() const {
    auto cfg = insecure_fleet();
    cfg.insecure = false;
    cfg.server_secret_key = dir / "orchestrator.key";
    cfg.agent_keys = dir / "agents";
    return cfg;
  }
  dockhand::protocol::WorkerConfig agent(const std::string& endpoint, const std::string& id,
                                         const CurveKeyPair& keys) const {
    auto cfg = agent_config(endpoint, id, {"erp"});
    cfg.insecure = false;
    cfg.agent_keys = keys;
    cfg.server_public_key = server.public_key;
    return cfg;
  }
};

JobRequest canary_job(const std::string& id) {
  return JobRequest{id, "erp", "erp-closeout", {{"po", kCanary}}, 0ms, false, ""};
}

}  // namespace

TEST(Curve, AnAllowListedAgentGetsJobs) {
  CurveSetup s;
  Fleet fleet(s.fleet_config());
  fleet.start();
  TestAgent a(s.agent(fleet.endpoint(), "vm1", s.listed), [](const Job& j, JobControl&) { return ok_result(j.vars); });
  fleet.submit(canary_job("c1"));
  auto o = fleet.next_outcome(10s);
  ASSERT_TRUE(o);
  EXPECT_EQ(o->agent_id, "vm1");
  EXPECT_EQ(o->outputs["po"], kCanary);
  EXPECT_EQ(fleet.stats().refused_keys, 0u);
}

TEST(Curve, AnAgentWhoseKeyIsNotAllowListedIsRefusedAndGetsNoJob) {
  // It knows the server's public key (that is public), but its own key is not on the list.
  LogCapture logs;
  CurveSetup s;
  // Declared before the fleet: its thread calls the listener until the fleet is destroyed.
  std::vector<std::string> joined;
  std::mutex m;
  Fleet fleet(s.fleet_config());
  fleet.on_event([&](const dockhand::fleet::FleetEvent& e) {
    std::lock_guard lock(m);
    if (e.kind == "agent_joined") joined.push_back(e.agent_id);
  });
  fleet.start();
  std::atomic<int> runs{0};
  auto intruder_keys = generate_curve_keypair();
  TestAgent intruder(s.agent(fleet.endpoint(), "intruder", intruder_keys), [&](const Job&, JobControl&) {
    ++runs;
    return ok_result();
  });
  fleet.submit(canary_job("c2"));
  ASSERT_TRUE(wait_until([&] { return fleet.stats().refused_keys >= 1; }));
  EXPECT_TRUE(logs.contains("not allow-listed: " + intruder_keys.public_key)) << logs.all();
  EXPECT_FALSE(fleet.next_outcome(1500ms));
  EXPECT_EQ(runs, 0);
  EXPECT_TRUE(fleet.agents().empty());
  {
    std::lock_guard lock(m);
    EXPECT_TRUE(joined.empty());
  }
  // The job is still there for a real agent.
  TestAgent real(s.agent(fleet.endpoint(), "vm1", s.listed), [](const Job&, JobControl&) { return ok_result(); });
  auto o = fleet.next_outcome(10s);
  ASSERT_TRUE(o);
  EXPECT_EQ(o->agent_id, "vm1");
  EXPECT_EQ(runs, 0);
}

TEST(Curve, APlainTextClientCannotTalkToTheCurveServer) {
  CurveSetup s;
  Fleet fleet(s.fleet_config());
  fleet.start();
  fleet.submit(canary_job("c3"));
  std::atomic<int> runs{0};
  auto cfg = agent_config(fleet.endpoint(), "plain", {"erp"});  // insecure: NULL mechanism
  TestAgent plain(cfg, [&](const Job&, JobControl&) {
    ++runs;
    return ok_result();
  });
  EXPECT_FALSE(fleet.next_outcome(1500ms));
  EXPECT_EQ(runs, 0);
  EXPECT_TRUE(fleet.agents().empty());
}

TEST(Curve, WithoutAnyAllowListedKeyNobodyGetsIn) {
  CurveSetup s;
  auto cfg = s.fleet_config();
  cfg.agent_keys = s.dir / "no-such-dir-is-an-error";
  EXPECT_THROW(Fleet(cfg).start(), std::runtime_error);
  fs::create_directories(s.dir / "empty");
  cfg.agent_keys = s.dir / "empty";
  Fleet fleet(cfg);
  fleet.start();
  TestAgent a(s.agent(fleet.endpoint(), "vm1", s.listed), [](const Job&, JobControl&) { return ok_result(); });
  fleet.submit(canary_job("c4"));
  EXPECT_FALSE(fleet.next_outcome(1500ms));
  EXPECT_GE(fleet.stats().refused_keys, 1u);
}

TEST(Curve, AServerSecretKeyOthersCanReadIsRefused) {
  CurveSetup s;
  fs::permissions(s.dir / "orchestrator.key", fs::perms::owner_read | fs::perms::owner_write | fs::perms::others_read);
  EXPECT_THROW(Fleet(s.fleet_config()).start(), std::runtime_error);
}

// What crosses the wire, recorded by a TCP relay between agent and orchestrator: with CURVE the job's
// variables never appear in clear; with --insecure they do (so the capture does see the traffic).
TEST(Curve, TheWireCarriesNoPlainPayload) {
  CurveSetup s;
  for (bool insecure : {false, true}) {
    auto fcfg = s.fleet_config();
    fcfg.insecure = insecure;
    Fleet fleet(fcfg);
    fleet.start();
    TcpRelay relay(port_of(fleet.endpoint()));
    auto acfg = s.agent("tcp://127.0.0.1:" + std::to_string(relay.port()), "vm1", s.listed);
    acfg.insecure = insecure;
    TestAgent a(acfg, [](const Job& j, JobControl&) { return ok_result({{"echo", j.vars.at("po")}}); });
    fleet.submit(canary_job(insecure ? "plain" : "curve"));
    auto o = fleet.next_outcome(10s);
    ASSERT_TRUE(o) << (insecure ? "insecure" : "curve");
    EXPECT_EQ(o->outputs["echo"], kCanary);
    auto wire = relay.captured();
    EXPECT_GT(wire.size(), 200u);
    if (insecure) {
      EXPECT_NE(wire.find(kCanary), std::string::npos) << "the relay did not see the traffic";
    } else {
      EXPECT_EQ(wire.find(kCanary), std::string::npos) << "the job's variables crossed the wire in clear";
      EXPECT_EQ(wire.find("erp-closeout"), std::string::npos);
      EXPECT_NE(wire.find("CURVE"), std::string::npos) << "no CURVE greeting seen";
    }
    a.die();
  }
}
