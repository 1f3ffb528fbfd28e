// Email landed -> submitShipments received by the SP-API simulator, through the real `dockhand-orchestrator
// serve` process. Emails land one by one at random moments (so every phase of the poll interval is sampled);
// "landed" is when the Maildir rename (or dovecot-lda) returned, "received" is the simulator's own clock
// when the first submitShipments for that shipment arrived. Goal: p95 <= poll interval + 1 s.
// --console-browser: the same run twice, without and then with the Operator Console on and Chromium watching
// it (the queue, the requests, the fleet and a request's live timeline, each polling as the page does;
// tests/bench/console-page/browser_watch.mjs). Goal: the console costs the chain at most 10% of p95.
//   bench_serve_latency --source maildir|imap [--emails 200] [--poll-ms 1000] [--mean-gap-ms 150] [--console-browser]
// Runs beside scripts/with-spapi-sim.sh (and scripts/with-dovecot.sh for imap).
#include "tests/integration/chain/serve_harness.h"

#include <fcntl.h>
#include <spawn.h>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <random>
#include <regex>

extern char** environ;

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

struct Options {
  std::string source = "maildir";
  int emails = 200, poll_ms = 1000, mean_gap_ms = 150;
};

// Chromium with the console open (browser_watch.mjs), stopped with the run.
class BrowserWatch {
 public:
  BrowserWatch(const std::string& url, const std::string& token, const fs::path& ready, const fs::path& log) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    std::vector<std::string> args = {"node", DOCKHAND_BROWSER_WATCH, url, token, ready.string()};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (posix_spawnp(&pid_, "node", &actions, nullptr, argv.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
  }
  ~BrowserWatch() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    int st = 0;
    ::waitpid(pid_, &st, 0);
  }
  BrowserWatch(const BrowserWatch&) = delete;
  BrowserWatch& operator=(const BrowserWatch&) = delete;
  bool running() const { return pid_ > 0 && ::waitpid(pid_, nullptr, WNOHANG) == 0; }

 private:
  pid_t pid_ = -1;
};

// One run: `emails` emails landing at random moments; their latencies (empty when the run failed).
std::optional<std::vector<long long>> run(const Options& o, bool console_browser) {
  const std::string& source = o.source;
  const int emails = o.emails, poll_ms = o.poll_ms, mean_gap_ms = o.mean_gap_ms;
  ServeEnv e("bench-latency-" + source + (console_browser ? "-console" : ""));
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
      return std::nullopt;
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
  // The console as deployed: loopback, its own threads; no tokens file, so serve makes one and prints it.
  if (console_browser) e.config["console"] = {{"bind", "127.0.0.1"}, {"port", 0}, {"tokens_file", "console-tokens"}};
  auto serve = e.start();
  if (!eventually([&] { return e.count_in_logs("serve: starting") == 1; }, std::chrono::seconds(30))) {
    std::cerr << "serve did not start:\n" << e.logs();
    return std::nullopt;
  }
  std::unique_ptr<BrowserWatch> browser;
  if (console_browser) {
    // serve made the console's first operator token and printed it once, with the address, on its stdout.
    std::smatch m;
    std::string out;
    const std::regex line(R"(console: (http://127\.0\.0\.1:[0-9]+)/ first operator token .*: (\S+))");
    if (!eventually([&] { out = slurp(e.dir / "serve.out"); return std::regex_search(out, m, line); }, std::chrono::seconds(30))) {
      std::cerr << "the console did not start:\n" << e.logs();
      return std::nullopt;
    }
    browser = std::make_unique<BrowserWatch>(m[1].str(), m[2].str(), e.dir / "browser.ready", e.dir / "browser.log");
    if (!eventually([&] { return fs::exists(e.dir / "browser.ready") || !browser->running(); }, std::chrono::seconds(120)) ||
        !fs::exists(e.dir / "browser.ready")) {
      std::cerr << "the browser did not open the console:\n" << slurp(e.dir / "browser.log");
      return std::nullopt;
    }
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
        return std::nullopt;
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
  browser.reset();
  serve->stop(SIGTERM);
  if (!all || twice) {
    std::cerr << "bench_serve_latency: " << (all ? "a shipment was submitted twice" : "not every email was submitted")
              << "\n";
    return std::nullopt;
  }
  std::printf("  simulator: no shipment submitted twice, throttled %s\n", stats["throttled"].dump().c_str());
  return latencies;
}

void report(const Options& o, const char* what, const std::vector<long long>& latencies) {
  long long worst = latencies.empty() ? 0 : *std::max_element(latencies.begin(), latencies.end());
  const double p50 = percentile(latencies, 50), p95 = percentile(latencies, 95);
  std::printf("bench.serve.latency source=%s poll_interval_ms=%d emails=%d submitted=%zu mean_gap_ms=%d%s\n",
              o.source.c_str(), o.poll_ms, o.emails, latencies.size(), o.mean_gap_ms, what);
  std::printf("  email landed -> submitShipments received: p50 %.0f ms, p95 %.0f ms, max %lld ms "
              "(goal p95 <= %d ms: %s)\n",
              p50, p95, worst, o.poll_ms + 1000, p95 <= o.poll_ms + 1000 ? "met" : "NOT met");
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  bool console_browser = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&] { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
    if (a == "--source") o.source = value();
    else if (a == "--emails") o.emails = std::stoi(value());
    else if (a == "--poll-ms") o.poll_ms = std::stoi(value());
    else if (a == "--mean-gap-ms") o.mean_gap_ms = std::stoi(value());
    else if (a == "--console-browser") console_browser = true;
    else {
      std::cerr << "usage: bench_serve_latency --source maildir|imap [--emails N] [--poll-ms MS] [--mean-gap-ms MS] "
                   "[--console-browser]\n";
      return 2;
    }
  }
  auto without = run(o, false);
  if (!without) return 1;
  report(o, "", *without);
  if (!console_browser) return 0;
  auto with = run(o, true);
  if (!with) return 1;
  report(o, ", the console open in Chromium", *with);
  const double p95_without = percentile(*without, 95), p95_with = percentile(*with, 95);
  const double cost = p95_without > 0 ? (p95_with - p95_without) / p95_without * 100.0 : 0;
  std::printf("  the console's cost to the chain: p95 %+.1f%% with the browser open (goal <= +10%%: %s)\n", cost,
              cost <= 10.0 ? "met" : "NOT met");
  return 0;
}
