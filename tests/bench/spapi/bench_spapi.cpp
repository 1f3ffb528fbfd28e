// bench-spapi: getTransaction calls per second through VendorShipmentsClient (LWA cache, token bucket,
// retry loop, JSON parsing) against the simulator, beside the plain way: one libcurl handle sending the
// same GET with a fixed token. Prints medians over several rounds and the ratio. Run under
// scripts/with-spapi-sim.sh with the simulator's rate limit raised (--rate all=1000000:1000000).
#include "orchestrator/spapi/vendor_shipments.h"
#include "sample_payload.h"

#include <curl/curl.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <string>
#include <vector>

using namespace dockhand::spapi;
using Clock = std::chrono::steady_clock;

namespace {

size_t sink(char*, size_t s, size_t n, void* out) {
  static_cast<std::string*>(out)->append("");  // discard, like a caller that only checks the status
  return s * n;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

template <class F>
double calls_per_second(int calls, int threads, F&& one_call) {
  const auto start = Clock::now();
  std::vector<std::future<void>> workers;
  for (int t = 0; t < threads; ++t)
    workers.push_back(std::async(std::launch::async, [&, t] {
      for (int i = t; i < calls; i += threads) one_call();
    }));
  for (auto& w : workers) w.get();
  return calls / std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

int main() {
  const char* url = std::getenv("DOCKHAND_SPAPI_SIM_URL");
  if (!url) {
    std::fprintf(stderr, "bench-spapi: DOCKHAND_SPAPI_SIM_URL is not set; run under scripts/with-spapi-sim.sh\n");
    return 2;
  }
  spdlog::set_level(spdlog::level::warn);
  SpapiConfig config;
  config.endpoint = url;
  config.lwa_endpoint = std::string(url) + "/auth/o2/token";
  config.client_id = "bench";
  config.client_secret = "bench-secret";
  config.refresh_token = "Atzr|bench-refresh";
  VendorShipmentsClient client(config);
  const std::string id = client.submit_shipments(dockhand::spapi::testing::sample_body("DH-BENCH-ABE8"));
  client.get_transaction(id);  // learns the raised rate from x-amzn-RateLimit-Limit

  // The plain way needs a token: fetch one as any script would.
  std::string token;
  {
    CURL* c = curl_easy_init();
    std::string body, form = "grant_type=refresh_token&refresh_token=bench&client_id=bench&client_secret=bench";
    curl_easy_setopt(c, CURLOPT_URL, config.lwa_endpoint.c_str());
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, form.c_str());
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, +[](char* d, size_t s, size_t n, void* o) {
      static_cast<std::string*>(o)->append(d, s * n);
      return s * n;
    });
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
    curl_easy_perform(c);
    curl_easy_cleanup(c);
    token = nlohmann::json::parse(body)["access_token"];
  }
  const std::string tx_url = std::string(url) + "/vendor/transactions/v1/transactions/" + id;

  const int calls = 2000, rounds = 5;
  std::printf("bench-spapi: getTransaction against dockhand-spapi-sim on loopback, %d calls x %d rounds\n", calls, rounds);
  std::printf("%-10s %16s %16s %8s\n", "threads", "client calls/s", "plain calls/s", "ratio");
  for (int threads : {1, 4}) {
    std::vector<double> ours, plain;
    for (int r = 0; r < rounds; ++r) {
      ours.push_back(calls_per_second(calls, threads, [&] { client.get_transaction(id); }));
      plain.push_back(calls_per_second(calls, threads, [&] {
        thread_local CURL* c = nullptr;
        thread_local std::string body;
        if (!c) {
          c = curl_easy_init();
          curl_slist* h = curl_slist_append(nullptr, ("x-amz-access-token: " + token).c_str());
          curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
          curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
          curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
          curl_easy_setopt(c, CURLOPT_URL, tx_url.c_str());
        }
        curl_easy_perform(c);
      }));
    }
    const double a = median(ours), b = median(plain);
    std::printf("%-10d %16.0f %16.0f %8.2f\n", threads, a, b, a / b);
  }
  return 0;
}
