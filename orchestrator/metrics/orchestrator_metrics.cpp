#include "orchestrator/metrics/orchestrator_metrics.h"

#include <algorithm>

namespace dockhand::metrics {
namespace {

// Seconds: a stage takes from under a second (the simulator) to a day (Amazon's 15- and 30-minute rules,
// a close-out waiting for an agent overnight).
const std::vector<double> kStageBuckets = {0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 86400};
const std::vector<double> kCallBuckets = {0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};

// A stage ends when a request enters `to`, and began when it last entered `from`.
struct Stage {
  const char* name;
  chain::State from;
  chain::State to;
};
const Stage kStages[] = {
    {"received_to_submitted", chain::State::RECEIVED, chain::State::SUBMITTED},
    {"submitted_to_confirmed", chain::State::SUBMITTED, chain::State::CONFIRMED},
    {"confirmed_to_done", chain::State::CONFIRMED, chain::State::DONE},
    {"received_to_done", chain::State::RECEIVED, chain::State::DONE},
};

}  // namespace

OrchestratorMetrics::OrchestratorMetrics(Registry& registry) : registry_(registry) {
  registry_.gauge("dockhand_requests", "Routing requests in the store by state and brand (read at scrape time).",
                  {"state", "brand"});
  registry_.gauge("dockhand_chargebacks", "Chargebacks recorded from chargeback and compliance emails, by brand and "
                  "reason (late_asn, routing, labels, other; read at scrape time).", {"brand", "reason"});
  registry_.counter("dockhand_transitions_total", "State changes of routing requests since serve started, by new state and brand.",
                    {"state", "brand"});
  registry_.histogram("dockhand_stage_seconds",
                      "How long routing requests took from one state to another (received_to_submitted, "
                      "submitted_to_confirmed, confirmed_to_done, received_to_done), by brand.",
                      {"stage", "brand"}, kStageBuckets);
  registry_.counter("dockhand_spapi_calls_total",
                    "HTTP exchanges with Amazon's SP-API by operation, HTTP status (0: no answer) and brand; every "
                    "attempt, 429s and 5xx included.",
                    {"operation", "status", "brand"});
  registry_.histogram("dockhand_spapi_call_seconds", "Duration of one HTTP exchange with SP-API, by operation.",
                      {"operation"}, kCallBuckets);
  registry_.gauge("dockhand_agents", "Desktop agents connected, by state (idle, busy).", {"state"});
  registry_.counter("dockhand_job_retries_total",
                    "Close-out jobs given out again: retry (an application failure tried again), requeued (agent "
                    "lost, lease or ACK ran out).",
                    {"kind"});
  registry_.counter("dockhand_agents_lost_total", "Agents that went silent past their heartbeat liveness.");
  registry_.counter("dockhand_alerts_sent_total", "Alerts delivered, by channel.", {"channel"});
  registry_.counter("dockhand_alert_failures_total", "Alert deliveries that failed (and are tried again), by channel.",
                    {"channel"});
}

void OrchestratorMetrics::transition(const chain::Transition& t) {
  const std::string state(chain::to_string(t.to));
  registry_.add("dockhand_transitions_total", {state, t.account});
  for (const auto& stage : kStages) {
    if (stage.to != t.to) continue;
    auto began = t.entered_ms.find(stage.from);
    if (began == t.entered_ms.end() || t.at_ms < began->second) continue;
    registry_.observe("dockhand_stage_seconds", {stage.name, t.account}, static_cast<double>(t.at_ms - began->second) / 1000.0);
  }
}

void OrchestratorMetrics::spapi_call(const std::string& brand, const std::string& operation, int status,
                                     std::chrono::milliseconds took) {
  registry_.add("dockhand_spapi_calls_total", {operation, std::to_string(status), brand});
  registry_.observe("dockhand_spapi_call_seconds", {operation}, static_cast<double>(took.count()) / 1000.0);
}

void OrchestratorMetrics::fleet_event(const std::string& kind) {
  if (kind == "retry" || kind == "requeued") registry_.add("dockhand_job_retries_total", {kind});
  if (kind == "agent_lost") registry_.add("dockhand_agents_lost_total");
}

void OrchestratorMetrics::alert_attempt(const std::string& channel, bool delivered) {
  registry_.add(delivered ? "dockhand_alerts_sent_total" : "dockhand_alert_failures_total", {channel});
}

// A gauge of two labels read at scrape time: the series the source gives replace the last ones.
void OrchestratorMetrics::pair_gauge_from(const char* name, PairCounts source) {
  registry_.on_render([name, source = std::move(source)](Registry& r) {
    std::vector<std::pair<LabelValues, double>> series;
    for (const auto& [key, n] : source()) series.push_back({{key.first, key.second}, static_cast<double>(n)});
    r.replace(name, series);
  });
}

void OrchestratorMetrics::requests_from(PairCounts source) { pair_gauge_from("dockhand_requests", std::move(source)); }

void OrchestratorMetrics::chargebacks_from(PairCounts source) { pair_gauge_from("dockhand_chargebacks", std::move(source)); }

void OrchestratorMetrics::agents_from(std::function<std::map<std::string, std::int64_t>()> source) {
  registry_.on_render([source = std::move(source)](Registry& r) {
    std::vector<std::pair<LabelValues, double>> series = {{{"idle"}, 0}, {{"busy"}, 0}};
    for (const auto& [state, n] : source()) {
      auto it = std::find_if(series.begin(), series.end(), [&](const auto& s) { return s.first[0] == state; });
      if (it != series.end()) it->second = static_cast<double>(n);
      else series.push_back({{state}, static_cast<double>(n)});
    }
    r.replace("dockhand_agents", series);
  });
}

}  // namespace dockhand::metrics
