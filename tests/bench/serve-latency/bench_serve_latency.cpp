// Email landed -> submitShipments received by the SP-API simulator, through the real `dockhand-orchestrator
// serve` process. Emails land one by one at random moments (so every phase of the poll interval is sampled);
// "landed" is when the Maildir rename (or dovecot-lda) returned, "received" is the simulator's own clock
// when the first submitShipments for that shipment arrived. Goal: p95 <= poll interval + 1 s.
//   bench_serve_latency --source maildir|imap [--emails 200] [--poll-ms 1000] [--mean-gap-ms 150]
// Runs beside scripts/with-spapi-sim.sh (and scripts/with-dovecot.sh for imap).
#include "tests/integration/chain/serve_harness.h"

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <random>

using namespace dockhand;
using namespace dockhand::serve_testing;

namespace {

long long now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

double percentile(std::vector<long long> v, double p) {
  std::sort(v.begin(), v.end());
  if (v.empty()) return 0;
  double rank = p / 100.0 * (v.size() - 1);
  auto lo = static_cast<std::size_t>(rank);
  auto hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (rank - lo) * (v[hi] - v[lo]);
}

}  // namespace

int main(int argc, char** argv) {
  std::string source = "maildir";
  int emails = 200, poll_ms = 1000, mean_gap_ms = 150;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&] { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
    if (a == "--source") source = value();
    else if (a == "--emails") emails = std::stoi(value());
    else if (a == "--poll-ms") poll_ms = std::stoi(value());
    else if (a == "--mean-gap-ms") mean_gap_ms = std::stoi(value());
    else {
      std::cerr << "usage: bench_serve_latency --source maildir|imap [--emails N] [--poll-ms MS] [--mean-gap-ms MS]\n";
      return 2;
    }
  }
  ServeEnv e("bench-latency-" + source);
  spapi::testing::SimAdmin sim;
  sim.reset();
  // Production timings, except the endpoints and the poll interval under test.
  auto spapi_json = e.config["spapi"];
  e.config["spapi"] = {{"endpoint", spapi_json["endpoint"]},
                       {"lwa_endpoint", spapi_json["lwa_endpoint"]},
                       {"client_id", spapi_json["client_id"]},
                       {"client_secret_file", spapi_json["client_secret_file"]},
                       {"refresh_token_file", spapi_json["refresh_token_file"]}};
  e.config.erase("chain");
  e.config["logging"] = {{"level", "info"}, {"format", "json"}, {"file", "serve.log"}};
  if (source == "imap") {
    if (env("DOCKHAND_IMAPS_PORT").empty()) {
      std::cerr << "bench_serve_latency: --source imap needs scripts/with-dovecot.sh\n";
      return 2;
    }
    e.secret("imap-password", env("DOCKHAND_IMAP_PASSWORD"));
    e.config["mail"] = {{"source", "imap"},
                        {"poll_interval_ms", poll_ms},
                        {"imap",
                         {{"url", "imaps://127.0.0.1:" + env("DOCKHAND_IMAPS_PORT")},
                          {"user", env("DOCKHAND_IMAP_USER")},
                          {"password_file", "imap-password"},
                          {"ca_file", env("DOCKHAND_IMAP_CA")}}}};
  } else {
    e.config["mail"] = {{"source", "maildir"}, {"poll_interval_ms", poll_ms}, {"maildir", {{"path", "inbox"}}}};
  }

  std::vector<std::string> ids;
  std::vector<std::string> bodies;
  for (int i = 0; i < emails; ++i) {
    char po[16];
    std::snprintf(po, sizeof po, "LT%06d", i + 1);
    add_order(*e.orders, po, i % 2 ? "ABE8" : "MDW2");
    ids.push_back(shipment_id(i % 2 ? "ABE8" : "MDW2", {po}));
    bodies.push_back(routing_email(std::string(po) + "@bench.example", {{po, i % 2 ? "ABE8" : "MDW2"}}));
  }
  auto serve = e.start();
  if (!eventually([&] { return e.count_in_logs("serve: starting") == 1; }, std::chrono::seconds(30))) {
    std::cerr << "serve did not start:\n" << e.logs();
    return 1;
  }

  std::minstd_rand rng(42);
  std::uniform_int_distribution<int> gap(0, 2 * mean_gap_ms);
  std::map<std::string, long long> landed;
  for (int i = 0; i < emails; ++i) {
    if (source == "imap") {
      auto file = e.dir / "lda.eml";
      std::ofstream(file, std::ios::binary) << bodies[i];
      std::string command = env("DOCKHAND_DOVECOT_DELIVER") + " " + file.string();
      if (std::system(command.c_str()) != 0) {
        std::cerr << "dovecot-lda failed\n";
        return 1;
      }
    } else {
      e.deliver(bodies[i]);
    }
    landed[ids[i]] = now_ms();
    std::this_thread::sleep_for(std::chrono::milliseconds(gap(rng)));
  }
  nlohmann::json stats;
  bool all = eventually([&] {
    stats = sim.stats();
    return stats["submitted_ms"].size() >= static_cast<std::size_t>(emails);
  }, std::chrono::seconds(600));
  std::vector<long long> latencies;
  for (const auto& id : ids)
    if (stats["submitted_ms"].contains(id)) latencies.push_back(stats["submitted_ms"][id].get<long long>() - landed[id]);
  int twice = 0;
  for (const auto& [id, n] : stats["submissions"].items()) twice += n.get<int>() > 1;
  serve->stop(SIGTERM);

  double p50 = percentile(latencies, 50), p95 = percentile(latencies, 95);
  long long worst = latencies.empty() ? 0 : *std::max_element(latencies.begin(), latencies.end());
  std::printf("bench.serve.latency source=%s poll_interval_ms=%d emails=%d submitted=%zu mean_gap_ms=%d\n",
              source.c_str(), poll_ms, emails, latencies.size(), mean_gap_ms);
  std::printf("  email landed -> submitShipments received: p50 %.0f ms, p95 %.0f ms, max %lld ms "
              "(goal p95 <= %d ms: %s)\n",
              p50, p95, worst, poll_ms + 1000, p95 <= poll_ms + 1000 ? "met" : "NOT met");
  std::printf("  simulator: %d shipments submitted more than once, throttled %s\n", twice,
              stats["throttled"].dump().c_str());
  if (!all || twice) {
    std::cerr << "bench_serve_latency: " << (all ? "a shipment was submitted twice" : "not every email was submitted")
              << "\n";
    return 1;
  }
  return 0;
}
