// Resident memory of `dockhand-orchestrator serve` with 10,000 routing requests in its store (goal < 50 MB).
// The store is filled through chain::Store exactly as the chain fills it (raw message, extraction, plan,
// submission, confirmation, Amazon's details: every request CONFIRMED), then serve starts on it, takes
// 20 more emails through to CONFIRMED, and its VmRSS / VmHWM are read from /proc. Also times
// `status --brief` over the whole store.
//   bench_orchestrator_memory [--requests 10000]     (beside scripts/with-spapi-sim.sh)
#include "tests/integration/chain/serve_harness.h"

#include <cstdio>
#include <iostream>

using namespace dockhand;
using namespace dockhand::serve_testing;

namespace {

long proc_kb(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);)
    if (line.rfind(field + ":", 0) == 0) return std::stol(line.substr(field.size() + 1));
  return -1;
}

}  // namespace

int main(int argc, char** argv) {
  int count = 10000;
  for (int i = 1; i < argc; ++i)
    if (std::string(argv[i]) == "--requests" && i + 1 < argc) count = std::stoi(argv[++i]);

  ServeEnv e("bench-memory");
  spapi::testing::SimAdmin sim;
  sim.reset();
  e.config["logging"] = {{"level", "info"}, {"format", "json"}, {"file", "serve.log"}};
  auto t0 = std::chrono::steady_clock::now();
  {
    chain::SystemClock clock;
    chain::Store store((e.dir / "store.sqlite").string(), clock);
    auto rules = pretender::Rules::defaults();
    for (int i = 0; i < count; ++i) {
      char po[16];
      std::snprintf(po, sizeof po, "MB%06d", i + 1);
      std::string fc = i % 3 ? "ABE8" : "MDW2";
      add_order(*e.orders, po, fc);
      auto raw = routing_email(std::string(po) + "@bench.example", {{po, fc}});
      auto received = store.receive({"maildir:bench-" + std::to_string(i), raw}, "mail");
      auto request = intake::extract(raw);
      store.record_extraction(received.request_id, nlohmann::json(request), true, request.classification_reason, "bench");
      auto plan = pretender::plan(request, *e.orders, rules, std::chrono::system_clock::now());
      if (store.record_plan(received.request_id, plan, "bench") != chain::State::PLANNED) {
        std::cerr << "plan failed: " << nlohmann::json(plan).dump() << "\n";
        return 1;
      }
      for (const auto& s : store.shipments(received.request_id)) {
        store.mark_submitting(s.id, "bench");
        store.record_submission(s.id, "20261201000000-" + std::to_string(i) + "-bench", "bench", "");
        store.record_confirmation(s.id, "bench", "getTransaction: Success");
        auto details = s.planned.payload;
        details["transportationDetails"] = {{"carrierDetails", {{"name", "Estes Express Lines"}, {"code", "EXLA"}}}};
        details["buyerReferenceNumber"] = std::to_string(1000000000 + i);
        store.record_details(s.id, details, "bench");
      }
      store.schedule(received.request_id, std::nullopt);
    }
  }
  double fill_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  auto store_mb = fs::file_size(e.dir / "store.sqlite") / 1048576.0;

  auto serve = e.start();
  if (!eventually([&] { return e.count_in_logs("serve: starting") == 1; }, std::chrono::seconds(60))) {
    std::cerr << "serve did not start:\n" << e.logs();
    return 1;
  }
  for (int i = 0; i < 20; ++i) {
    char po[16];
    std::snprintf(po, sizeof po, "MN%06d", i + 1);
    add_order(*e.orders, po, "ABE8");
    e.deliver(routing_email(std::string(po) + "@bench-new.example", {{po, "ABE8"}}));
  }
  bool done = eventually([&] { return sim.stats()["submitted_ms"].size() == 20; }, std::chrono::seconds(120));
  std::this_thread::sleep_for(std::chrono::seconds(2));  // let it settle: confirmations, details
  long rss = proc_kb(serve->pid(), "VmRSS"), hwm = proc_kb(serve->pid(), "VmHWM");
  serve->stop(SIGTERM);

  auto s0 = std::chrono::steady_clock::now();
  auto [rc, out] = e.cli("status --brief --store " + (e.dir / "store.sqlite").string() + " >/dev/null");
  double status_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - s0).count();

  std::printf("bench.orchestrator.memory requests=%d (+20 taken through serve) store=%.1f MB (filled in %.1f s)\n",
              count, store_mb, fill_s);
  std::printf("  serve resident memory: VmRSS %.1f MB, peak VmHWM %.1f MB (goal < 50 MB: %s)\n", rss / 1024.0,
              hwm / 1024.0, hwm / 1024.0 < 50 ? "met" : "NOT met");
  std::printf("  status --brief over the store: %.2f s (exit %d)\n", status_s, rc);
  if (!done) {
    std::cerr << "bench_orchestrator_memory: serve did not submit the 20 new emails\n" << e.logs();
    return 1;
  }
  return 0;
}
