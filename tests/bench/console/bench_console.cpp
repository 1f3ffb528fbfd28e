// The console's API with 10,000 routing requests in the store (issue 9's goal: the requests view's first
// paint under 1 s, a request page under 300 ms in Chromium). Prints the server-side figures: each route's
// median and p95 over repeated calls through real HTTP on 127.0.0.1. Not a test: figures only.
//   bench-console [REQUESTS] [REPEATS]
#include "orchestrator/chain/store.h"
#include "orchestrator/console/auth.h"
#include "orchestrator/console/console.h"

#include <httplib.h>
#include <nlohmann/json.hpp>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

using namespace dockhand;
using json = nlohmann::json;
using Steady = std::chrono::steady_clock;

namespace {

json extracted_for(const std::string& po) {
  return {{"classification", "amazon_routing_request"},
          {"vendor_code", "ACME1"},
          {"ship_from", "Warehouse 1"},
          {"freight_ready_date", "2030-01-02"},
          {"purchase_orders",
           json::array({{{"po", po}, {"destination_fc", "ABE8"}, {"ship_window_start", "2030-01-03"},
                         {"ship_window_end", "2030-01-09"}, {"cartons", 4}, {"pallets", 1}, {"weight_lb", 80.5},
                         {"sources", {{"po", "body line 3"}, {"destination_fc", "routing.csv row 2, column 'FC'"}}}}})},
          {"warnings", json::array()},
          {"sources", {{"vendor_code", "subject"}, {"freight_ready_date", "body line 5"}}}};
}

// A store of `count` requests: most planned and submitted, one in ten needing attention, one in 25 rejected.
void fill(chain::Store& store, int count) {
  for (int n = 1; n <= count; ++n) {
    const std::string po = "P" + std::to_string(1000000 + n);
    std::string raw = "Message-ID: <bench-" + std::to_string(n) + "@vendor.example>\r\nFrom: ops@vendor.example\r\n"
                      "Subject: Routing request PO " + po + "\r\n\r\n" + std::string(2000, 'x') + "\r\n";
    auto id = store.receive({"bench:" + std::to_string(n), raw}, "mail").request_id;
    store.record_extraction(id, extracted_for(po), true, "", "orchestrator");
    pretender::Plan plan;
    if (n % 10 == 0) {
      plan.findings.push_back({"po-in-warehouse", "error", po, "PO " + po + " is not in the warehouse order data"});
      store.record_plan(id, plan, "orchestrator");
      continue;
    }
    pretender::PlannedShipment s;
    s.vendor_shipment_identifier = "DH-" + po + "-ABE8-0000abcd";
    s.vendor_code = "ACME1";
    s.destination_fc = "ABE8";
    s.pos = {po};
    s.cartons = 4;
    s.payload = {{"vendorShipmentIdentifier", s.vendor_shipment_identifier}, {"padding", std::string(1500, 'p')}};
    plan.shipments.push_back(s);
    store.record_plan(id, plan, "orchestrator");
    auto shipment = store.shipments(id).front().id;
    store.mark_submitting(shipment, "orchestrator");
    if (n % 25 == 0) {
      store.record_rejection(shipment, json::array({{{"code", "InvalidInput"}, {"message", "window"}}}), "orchestrator", "x");
      continue;
    }
    store.record_submission(shipment, "tx-" + po, "orchestrator", "");
    for (int e = 0; e < 6; ++e) store.add_event(id, "fleet", "JOB_PROGRESS", "step " + std::to_string(e));
  }
}

struct Figure {
  double median_ms, p95_ms;
  std::size_t bytes;
};

Figure measure(httplib::Client& client, const std::string& path, const httplib::Headers& headers, int repeats) {
  std::vector<double> ms;
  std::size_t bytes = 0;
  for (int i = 0; i < repeats; ++i) {
    auto start = Steady::now();
    auto r = client.Get(path.c_str(), headers);
    ms.push_back(std::chrono::duration<double, std::milli>(Steady::now() - start).count());
    if (!r || r->status != 200) {
      std::fprintf(stderr, "%s: %s\n", path.c_str(), r ? r->body.c_str() : "no answer");
      std::exit(1);
    }
    bytes = r->body.size();
  }
  std::sort(ms.begin(), ms.end());
  return {ms[ms.size() / 2], ms[std::min(ms.size() - 1, ms.size() * 95 / 100)], bytes};
}

}  // namespace

int main(int argc, char** argv) {
  const int count = argc > 1 ? std::atoi(argv[1]) : 10000;
  const int repeats = argc > 2 ? std::atoi(argv[2]) : 50;
  // tmpfs when there is one: the figures are the console's, not the disk's fsyncs while filling.
  auto base = std::filesystem::exists("/dev/shm") ? std::filesystem::path("/dev/shm") : std::filesystem::temp_directory_path();
  auto dir = base / ("dockhand-bench-console-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string token = "bench-operator-token-0123456789";
  {
    std::ofstream(dir / "tokens") << console::sha256_hex_of(token) << " bench operator\n";
  }
  ::chmod((dir / "tokens").c_str(), 0600);

  chain::SystemClock clock;
  chain::Store store((dir / "store.sqlite").string(), clock);
  auto fill_start = Steady::now();
  fill(store, count);
  std::printf("store: %d requests filled in %.1f s (%s)\n", count,
              std::chrono::duration<double>(Steady::now() - fill_start).count(), dir.c_str());

  console::Options options;
  options.port = 0;
  options.tokens_file = dir / "tokens";
  options.web_root = dir;
  options.store_path = (dir / "store.sqlite").string();
  options.store = &store;
  console::Server server(options);
  server.start();
  httplib::Client client("127.0.0.1", server.port());
  httplib::Headers auth{{"Authorization", "Bearer " + token}};

  const std::string middle = std::to_string(count / 2);
  const std::string some_id = std::to_string(count - 7);
  const std::vector<std::pair<std::string, std::string>> routes = {
      {"requests list, first page (50)", "/api/requests"},
      {"requests list, page at the middle", "/api/requests?before=" + middle},
      {"requests list, 200 a page", "/api/requests?limit=200"},
      {"requests list, state filter", "/api/requests?state=NEEDS_ATTENTION"},
      {"requests list, search by PO", "/api/requests?q=P" + std::to_string(1000000 + count / 3)},
      {"requests list, search by prefix", "/api/requests?q=P10000"},
      {"summary", "/api/summary"},
      {"needs-attention queue", "/api/attention"},
      {"request page", "/api/requests/" + some_id},
      {"request events after", "/api/requests/" + some_id + "/events?after=0"},
  };
  std::printf("%-36s %10s %10s %10s\n", "route", "median ms", "p95 ms", "bytes");
  for (const auto& [name, path] : routes) {
    auto f = measure(client, path, auth, repeats);
    std::printf("%-36s %10.2f %10.2f %10zu\n", name.c_str(), f.median_ms, f.p95_ms, f.bytes);
  }
  server.stop();
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return 0;
}
