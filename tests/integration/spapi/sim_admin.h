// Talks to the simulator's admin endpoints (/_sim/...) from tests; the URL comes from
// scripts/with-spapi-sim.sh (DOCKHAND_SPAPI_SIM_URL).
#pragma once

#include "orchestrator/spapi/vendor_shipments.h"

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <stdexcept>
#include <string>
#include <thread>

namespace dockhand::spapi::testing {

// Credentials the simulator is started with (see CMakeLists.txt); the secrets test looks for them in logs.
inline const char* kClientId = "amzn1.application-oa2-client.dockhandsim";
inline const char* kClientSecret = "amzn1.oa2-cs.v1.S3cr3t-Sim-Client-Secret-7f4a2b";
inline const char* kRefreshToken = "Atzr|IwEBI-Sim-Refresh-Token/With+Specials=9c1d";

inline std::string sim_url() {
  const char* url = std::getenv("DOCKHAND_SPAPI_SIM_URL");
  if (!url || !*url) throw std::runtime_error("DOCKHAND_SPAPI_SIM_URL is not set: run under scripts/with-spapi-sim.sh");
  return url;
}

class SimAdmin {
 public:
  SimAdmin() : client_(sim_url()) { client_.set_read_timeout(30, 0); }

  nlohmann::json stats() { return nlohmann::json::parse(ok(client_.Get("/_sim/stats"))); }
  void faults(const std::vector<std::string>& specs) {
    ok(client_.Post("/_sim/faults", nlohmann::json{{"faults", specs}}.dump(), "application/json"));
  }
  void config(const nlohmann::json& settings) { ok(client_.Post("/_sim/config", settings.dump(), "application/json")); }
  void reset() { ok(client_.Post("/_sim/reset", "", "application/json")); }
  // Selling partners: [{"id", "vendor_codes", "refresh_token", "vendor_role"}] added or replaced.
  void partners(const nlohmann::json& list) {
    ok(client_.Post("/_sim/partners", nlohmann::json{{"partners", list}}.dump(), "application/json"));
  }
  void revoke(const std::string& partner) {
    ok(client_.Post("/_sim/revoke", nlohmann::json{{"partner", partner}}.dump(), "application/json"));
  }
  // Who is signed in to Vendor Central, i.e. who consents on the simulator's consent page.
  void sign_in(const std::string& partner) {
    ok(client_.Post("/_sim/sign-in", nlohmann::json{{"partner", partner}}.dump(), "application/json"));
  }

  // Polls the stats until `predicate` holds. The bound only guards against a hang; nothing is timed.
  bool wait_for(const std::function<bool(const nlohmann::json&)>& predicate,
                std::chrono::seconds bound = std::chrono::seconds(60)) {
    const auto until = std::chrono::steady_clock::now() + bound;
    while (std::chrono::steady_clock::now() < until) {
      if (predicate(stats())) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }
  int injected(const std::string& kind) { return stats()["faults_injected"].value(kind, 0); }

 private:
  std::string ok(const httplib::Result& r) {
    if (!r || r->status != 200)
      throw std::runtime_error("simulator admin call failed: " + (r ? std::to_string(r->status) + " " + r->body : "no answer"));
    return r->body;
  }
  httplib::Client client_;
};

inline SpapiConfig sim_config() {
  SpapiConfig c;
  c.endpoint = sim_url();
  c.lwa_endpoint = sim_url() + "/auth/o2/token";
  c.client_id = kClientId;
  c.client_secret = kClientSecret;
  c.refresh_token = kRefreshToken;
  c.request_timeout = std::chrono::milliseconds(5000);
  c.backoff_base = std::chrono::milliseconds(20);
  c.backoff_cap = std::chrono::milliseconds(400);
  c.max_retries = 8;
  // These tests look at the client riding out throttling inside a call (several threads sharing a bucket);
  // serve keeps the default (200 ms) so one throttled brand never holds up the chain's loop.
  c.throttle_wait_max = std::chrono::milliseconds(60000);
  return c;
}

}  // namespace dockhand::spapi::testing
