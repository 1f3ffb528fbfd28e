// What metrics cost: a scrape (requests by state and brand read from a store of 10,000 requests, then the
// whole registry rendered), and what the transition observer adds to one state change of the chain.
// Prints figures; asserts nothing about speed (scripts/bench.sh).
#include "orchestrator/chain/store.h"
#include "orchestrator/metrics/orchestrator_metrics.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <vector>

using namespace dockhand;
using Clock = std::chrono::steady_clock;

namespace {

double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

void report(const char* what, std::vector<double> samples) {
  std::sort(samples.begin(), samples.end());
  auto at = [&](double q) { return samples[static_cast<std::size_t>(q * (samples.size() - 1))]; };
  std::printf("%-52s p50 %8.3f ms   p95 %8.3f ms   max %8.3f ms   (n=%zu)\n", what, at(0.5), at(0.95), samples.back(),
              samples.size());
}

// `n` requests received, each moved to QUARANTINED or OTHER so several states show, three brands.
void fill(chain::Store& store, int n) {
  for (int i = 0; i < n; ++i) {
    auto id = store.receive({"bench:" + std::to_string(i), "Message-ID: <b" + std::to_string(i) + "@x>\r\n\r\nbody\r\n"},
                            "bench").request_id;
    if (i % 3 == 0) store.quarantine(id, "bench", "bench");
  }
}

}  // namespace

int main() {
  const auto dir = std::filesystem::temp_directory_path() / ("dockhand-bench-metrics-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  chain::SystemClock clock;
  {
    chain::Store store((dir / "store.sqlite").string(), clock);
    const auto t = Clock::now();
    fill(store, 10000);
    std::printf("filled a store with 10,000 requests in %.0f ms\n", ms_since(t));

    chain::Store reader((dir / "store.sqlite").string(), clock, chain::StoreAccess::read_only);
    metrics::Registry registry;
    metrics::OrchestratorMetrics counted(registry);
    counted.requests_from([&reader] { return reader.count_by_state_and_account(); });
    for (const char* op : {"submitShipments", "getTransaction", "getShipmentDetails"})
      for (int status : {200, 202, 429, 500})
        for (const char* brand : {"Acme", "Bolt Outdoor", "Crisp"}) counted.spapi_call(brand, op, status, std::chrono::milliseconds(40));
    std::vector<double> scrape;
    std::size_t bytes = 0;
    for (int i = 0; i < 200; ++i) {
      const auto s = Clock::now();
      bytes = registry.render().size();
      scrape.push_back(ms_since(s));
    }
    report("scrape (10,000 requests counted + render)", scrape);
    std::printf("exposition size: %zu bytes\n", bytes);

    // One state change with and without the observer (the counting the chain pays for): two stores of the
    // same size, one observed, changed in turn so both see the same load of the machine.
    chain::Store other((dir / "other.sqlite").string(), clock);
    fill(other, 2000);
    chain::Store observed_store((dir / "observed.sqlite").string(), clock);
    fill(observed_store, 2000);
    observed_store.on_transition([&counted](const chain::Transition& t) { counted.transition(t); });
    std::vector<double> plain, observed;
    for (int i = 0; i < 1000; ++i) {
      auto& target = i % 2 ? observed_store : other;
      auto id = target.receive({"t:" + std::to_string(i), "Message-ID: <t" + std::to_string(i) + "@x>\r\n\r\nb\r\n"},
                               "bench").request_id;
      const auto s = Clock::now();
      target.quarantine(id, "bench", "bench");
      (i % 2 ? observed : plain).push_back(ms_since(s));
    }
    report("one transition (a commit), no observer", plain);
    report("one transition (a commit), metrics observer", observed);
  }
  std::filesystem::remove_all(dir);
  return 0;
}
