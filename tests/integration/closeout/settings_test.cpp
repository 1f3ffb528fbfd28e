// The config file's "fleet" section: defaults, relative paths, strictness.
#include "orchestrator/fleet/settings.h"

#include <gtest/gtest.h>

#include <fstream>

using dockhand::fleet::default_fleet_settings_json;
using dockhand::fleet::fleet_settings_from_json;
using dockhand::fleet::SettingsError;
using nlohmann::json;

namespace {
std::filesystem::path resolve(const std::string& p) { return std::filesystem::path("/etc/dockhand") / p; }
}  // namespace

TEST(FleetSettings, AnEmptySectionMeansTheDefaultsWithCurveOn) {
  auto s = fleet_settings_from_json(json::object(), resolve);
  EXPECT_EQ(s.fleet.bind, "tcp://127.0.0.1:7610");
  EXPECT_FALSE(s.fleet.insecure);
  EXPECT_EQ(s.fleet.server_secret_key, "/etc/dockhand/keys/orchestrator.key");
  EXPECT_EQ(s.fleet.agent_keys, "/etc/dockhand/keys/agents");
  EXPECT_EQ(s.fleet.evidence_dir, "/etc/dockhand/evidence");
  EXPECT_EQ(s.fleet.heartbeat_interval.count(), 1000);
  EXPECT_EQ(s.fleet.heartbeat_liveness, 3);
  // The defaults document says the same.
  auto d = fleet_settings_from_json(default_fleet_settings_json(), resolve);
  EXPECT_EQ(d.fleet.bind, s.fleet.bind);
  EXPECT_EQ(d.fleet.default_lease, s.fleet.default_lease);
  EXPECT_EQ(d.fleet.max_attempts, s.fleet.max_attempts);
  EXPECT_EQ(d.fleet.server_secret_key, s.fleet.server_secret_key);
}

TEST(FleetSettings, EveryKeyIsRead) {
  auto s = fleet_settings_from_json(json{{"bind", "tcp://0.0.0.0:7700"},
                                         {"insecure", true},
                                         {"evidence_dir", "/var/lib/dockhand/evidence"},
                                         {"heartbeat_ms", 500},
                                         {"heartbeat_liveness", 4},
                                         {"ack_timeout_ms", 2000},
                                         {"lease_ms", 120000},
                                         {"max_attempts", 5},
                                         {"retry_backoff_ms", 100},
                                         {"retry_backoff_max_ms", 1000},
                                         {"progress_events", false},
                                         {"_comment", "ignored"}},
                                    resolve);
  EXPECT_EQ(s.fleet.bind, "tcp://0.0.0.0:7700");
  EXPECT_TRUE(s.fleet.insecure);
  EXPECT_TRUE(s.fleet.server_secret_key.empty()) << "insecure: no keys are read";
  EXPECT_EQ(s.fleet.evidence_dir, "/var/lib/dockhand/evidence");
  EXPECT_EQ(s.fleet.heartbeat_interval.count(), 500);
  EXPECT_EQ(s.fleet.heartbeat_liveness, 4);
  EXPECT_EQ(s.fleet.ack_timeout.count(), 2000);
  EXPECT_EQ(s.fleet.default_lease.count(), 120000);
  EXPECT_EQ(s.fleet.max_attempts, 5);
  EXPECT_EQ(s.fleet.retry_backoff.count(), 100);
  EXPECT_EQ(s.fleet.retry_backoff_max.count(), 1000);
  EXPECT_FALSE(s.closeout.progress_events);
}

TEST(FleetSettings, MistakesAreRefusedWithTheKeyNamed) {
  auto message = [](const json& j) {
    try {
      fleet_settings_from_json(j, resolve);
    } catch (const SettingsError& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_NE(message({{"heartbeat", 1000}}).find("unknown key fleet.heartbeat"), std::string::npos);
  EXPECT_NE(message({{"insecure", "yes"}}).find("fleet.insecure"), std::string::npos);
  EXPECT_NE(message({{"max_attempts", 0}}).find("fleet.max_attempts"), std::string::npos);
  EXPECT_NE(message({{"bind", "127.0.0.1:7610"}}).find("tcp://"), std::string::npos);
  EXPECT_NE(message({{"retry_backoff_ms", 5000}, {"retry_backoff_max_ms", 100}}).find("retry_backoff_max_ms"),
            std::string::npos);
  EXPECT_NE(message(json::array()).find("object"), std::string::npos);
}

TEST(FleetSettings, TheDocumentedExampleIsValid) {
  std::ifstream in(std::string(DOCKHAND_SOURCE_DIR) + "/docs/examples/orchestrator.json");
  auto doc = json::parse(in);
  ASSERT_TRUE(doc["fleet"].is_object());
  auto s = fleet_settings_from_json(doc["fleet"], [](const std::string& p) { return std::filesystem::path(p); });
  EXPECT_EQ(s.fleet.bind, "tcp://10.20.0.5:7610");
  EXPECT_EQ(s.fleet.agent_keys, "/etc/dockhand/keys/agents");
}
