// The console's API tests: a real SQLite store in a temporary folder, filled through the Store's own
// transitions, and the console serving it on 127.0.0.1 at a port it picked itself.
#pragma once

#include "orchestrator/chain/store.h"
#include "orchestrator/console/auth.h"
#include "orchestrator/console/console.h"
#include "orchestrator/pretender/pretender.h"

#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include <sys/stat.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <string>

namespace dockhand::console::test {

using json = nlohmann::json;
using chain::State;

inline const std::string kOperatorToken = "operator-token-0123456789abcdef";
inline const std::string kViewerToken = "viewer-token-0123456789abcdef0";

inline std::string fresh_dir(const std::string& name) {
  static std::mt19937_64 random(std::random_device{}());
  auto dir = std::filesystem::temp_directory_path() / ("dockhand-console-" + name + "-" + std::to_string(random()));
  std::filesystem::create_directories(dir);
  return dir.string();
}

inline std::string raw_email(int n) {
  return "Message-ID: <request-" + std::to_string(n) + "@vendor.example>\r\nFrom: ops@vendor.example\r\n"
         "Subject: Routing request " + std::to_string(n) + "\r\n\r\nPlease route PO " + std::to_string(n) + ".\r\n";
}

// The intake's JSON for one PO.
inline json extracted_for(const std::string& po, const std::string& fc = "ABE8") {
  return {{"classification", "amazon_routing_request"},
          {"classification_reason", "test"},
          {"vendor_code", "ACME1"},
          {"ship_from", "Warehouse 1"},
          {"freight_ready_date", "2030-01-02"},
          {"purchase_orders",
           json::array({{{"po", po},
                         {"destination_fc", fc},
                         {"ship_window_start", "2030-01-03"},
                         {"ship_window_end", "2030-01-09"},
                         {"cartons", 2}}})},
          {"warnings", json::array()},
          {"sources", json::object()}};
}

inline pretender::Plan plan_for(const std::string& po, const std::string& fc = "ABE8") {
  pretender::Plan plan;
  pretender::PlannedShipment s;
  s.vendor_shipment_identifier = "DH-" + po + "-" + fc + "-0000abcd";
  s.vendor_code = "ACME1";
  s.ship_from = "Warehouse 1";
  s.destination_fc = fc;
  s.pos = {po};
  s.cartons = 2;
  s.weight_lb = 40;
  s.payload = {{"vendorShipmentIdentifier", s.vendor_shipment_identifier}};
  plan.shipments.push_back(s);
  return plan;
}

class ConsoleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fresh_dir("api");
    store_ = std::make_unique<chain::Store>(dir_ + "/store.sqlite", clock_);
    orders_ = std::make_unique<pretender::OrderDatabase>(dir_ + "/orders.sqlite", true);
    std::ofstream(dir_ + "/tokens") << "# test tokens\n"
                                    << sha256_hex_of(kOperatorToken) << " ops operator\n"
                                    << sha256_hex_of(kViewerToken) << " watcher viewer\n";
    ::chmod((dir_ + "/tokens").c_str(), 0600);
    std::filesystem::create_directories(dir_ + "/web");
    std::ofstream(dir_ + "/web/index.html") << "<!doctype html><title>Dockhand</title>";
  }

  void TearDown() override {
    client_.reset();
    server_.reset();
    store_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  Options options() {
    Options o;
    o.bind = "127.0.0.1";
    o.port = 0;
    o.tokens_file = dir_ + "/tokens";
    o.web_root = dir_ + "/web";
    o.store_path = dir_ + "/store.sqlite";
    o.store = store_.get();
    o.plan = [this](const intake::RoutingRequest& r) {
      return pretender::plan(r, *orders_, pretender::Rules::defaults(), std::chrono::system_clock::now());
    };
    o.wake = [this] { ++wakes_; };
    return o;
  }

  void start(Options o) {
    server_ = std::make_unique<Server>(std::move(o));
    server_->start();
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
    client_->set_read_timeout(30, 0);
  }
  void start() { start(options()); }

  httplib::Headers bearer(const std::string& token) { return {{"Authorization", "Bearer " + token}}; }

  httplib::Result get(const std::string& path, const std::string& token = kOperatorToken) {
    return client_->Get(path.c_str(), bearer(token));
  }
  httplib::Result post(const std::string& path, const std::string& body, const std::string& token = kOperatorToken) {
    return client_->Post(path.c_str(), bearer(token), body, "application/json");
  }
  json get_json(const std::string& path, const std::string& token = kOperatorToken) {
    auto r = get(path, token);
    EXPECT_TRUE(r) << path;
    if (!r) return nullptr;
    EXPECT_EQ(r->status, 200) << path << ": " << r->body;
    return json::parse(r->body);
  }

  // A request moved through the store's own transitions.
  std::int64_t received(int n) {
    return store_->receive({"test:" + std::to_string(n), raw_email(n)}, "mail").request_id;
  }
  std::int64_t extracted(int n, const std::string& po) {
    auto id = received(n);
    store_->record_extraction(id, extracted_for(po), true, "", "orchestrator");
    return id;
  }
  // NEEDS_ATTENTION from EXTRACTED: a rule failed.
  std::int64_t rule_failure(int n, const std::string& po) {
    auto id = extracted(n, po);
    auto plan = plan_for(po);
    plan.shipments.clear();
    plan.findings.push_back({"po-in-warehouse", "error", po, "PO " + po + " is not in the warehouse order data"});
    EXPECT_EQ(store_->record_plan(id, plan, "orchestrator"), State::NEEDS_ATTENTION);
    return id;
  }
  std::int64_t planned(int n, const std::string& po) {
    auto id = extracted(n, po);
    EXPECT_EQ(store_->record_plan(id, plan_for(po), "orchestrator"), State::PLANNED);
    return id;
  }
  // REJECTED: Amazon refused the submission.
  std::int64_t rejected(int n, const std::string& po) {
    auto id = planned(n, po);
    auto shipment = store_->shipments(id).front().id;
    store_->mark_submitting(shipment, "orchestrator");
    store_->record_rejection(shipment, json::array({{{"code", "InvalidInput"}, {"message", "bad window"}}}),
                             "orchestrator", "Failure");
    return id;
  }
  // NEEDS_ATTENTION after Amazon took it (SUBMITTED shipment): a close-out style failure.
  std::int64_t submitted_then_attention(int n, const std::string& po) {
    auto id = planned(n, po);
    auto shipment = store_->shipments(id).front().id;
    store_->mark_submitting(shipment, "orchestrator");
    store_->record_submission(shipment, std::string("tx-") + po, "orchestrator", "");
    store_->needs_attention(id, "Amazon shows no shipment", json::object(), "orchestrator");
    return id;
  }
  void add_order(const std::string& po, const std::string& fc = "ABE8") {
    pretender::Order o;
    o.po = po;
    o.vendor_code = "ACME1";
    o.ship_from = "Warehouse 1";
    o.destination_fc = fc;
    o.ship_window_start = "2030-01-03";
    o.ship_window_end = "2030-01-09";
    o.lines = {{"SKU1", 4}};
    o.cartons = {{"C1-" + po, 20, 10, 10, 10, std::nullopt}, {"C2-" + po, 20, 10, 10, 10, std::nullopt}};
    orders_->upsert(o);
  }

  std::size_t event_count(std::int64_t id) { return store_->events(id).size(); }

  chain::SystemClock clock_;
  std::string dir_;
  std::unique_ptr<chain::Store> store_;
  std::unique_ptr<pretender::OrderDatabase> orders_;
  std::unique_ptr<Server> server_;
  std::unique_ptr<httplib::Client> client_;
  std::atomic<int> wakes_{0};
};

}  // namespace dockhand::console::test
