// metrics/: what Dockhand counts, by name (docs/operations.md, "Metrics"). The rooms that do the work know
// nothing of metrics: serve gives each a small hook (the store's transition observer, the SP-API client's
// call observer, the fleet's event listener, the alerter's outcome callback) that lands here.
#pragma once

#include "orchestrator/chain/store.h"
#include "orchestrator/metrics/registry.h"

#include <chrono>
#include <functional>
#include <map>
#include <string>

namespace dockhand::metrics {

class OrchestratorMetrics {
 public:
  explicit OrchestratorMetrics(Registry& registry);

  // chain::Store::on_transition: transitions by state and brand, and the stage latencies.
  void transition(const chain::Transition& t);
  // spapi::SpapiConfig::observe_call, with the account it was made for.
  void spapi_call(const std::string& brand, const std::string& operation, int status, std::chrono::milliseconds took);
  // fleet::Fleet::on_event kinds: "retry" (an application failure tried again), "requeued" (agent lost,
  // lease or ACK ran out), "agent_lost".
  void fleet_event(const std::string& kind);
  // alerts: one delivery attempt on a channel.
  void alert_attempt(const std::string& channel, bool delivered);

  // Scrape-time sources. Requests: (state, brand) -> count, from the store (one short read). Agents:
  // state -> count, from the fleet.
  using PairCounts = std::function<std::map<std::pair<std::string, std::string>, std::int64_t>()>;
  void requests_from(PairCounts source);
  void agents_from(std::function<std::map<std::string, std::int64_t>()> source);
  // Chargebacks per (brand, reason), read at scrape time (chain::Store::chargeback_counts).
  void chargebacks_from(PairCounts source);

  Registry& registry() { return registry_; }

 private:
  void pair_gauge_from(const char* name, PairCounts source);
  Registry& registry_;
};

}  // namespace dockhand::metrics
