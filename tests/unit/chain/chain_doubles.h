// Test doubles for the chain's unit tests: an in-memory mailbox, a scripted Amazon, a header-driven
// extractor. The integration tests (tests/integration/chain) use the real mail sources, intake and simulator.
#pragma once

#include "orchestrator/chain/chain.h"

#include <gtest/gtest.h>

#include <deque>
#include <filesystem>
#include <map>
#include <set>

namespace dockhand::chain {
inline void PrintTo(State state, std::ostream* os) { *os << to_string(state); }
}  // namespace dockhand::chain

namespace dockhand::chain::testing {

class MemorySource : public mail::MailSource {
 public:
  std::vector<mail::RawMessage> fetch_new(std::size_t max) override {
    std::vector<mail::RawMessage> out;
    for (const auto& m : inbox)
      if (!handled.count(m.source_id) && out.size() < max) out.push_back(m);
    return out;
  }
  void mark_handled(const mail::RawMessage& m) override { handled.insert(m.source_id); }
  std::string describe() const override { return "memory"; }
  std::vector<mail::RawMessage> inbox;
  std::set<std::string> handled;
};

// Amazon as a script: each shipment's transaction answers the statuses queued for it, then the last one.
class ScriptedAmazon : public AmazonShipments {
 public:
  std::string submit_shipments(const nlohmann::json& body) override {
    ++submit_calls;
    if (!submit_faults.empty()) {
      auto fault = submit_faults.front();
      submit_faults.pop_front();
      if (fault.after_send) received(body);  // Amazon got it, but we never hear back
      spapi::SpapiError error(fault.what, fault.status, fault.errors);
      error.auth_error = fault.auth_error;
      throw error;
    }
    return received(body);
  }
  spapi::TransactionStatus get_transaction(const std::string& id) override {
    ++transaction_calls;
    if (id.rfind("asn-", 0) == 0) {  // an ASN's transaction
      spapi::TransactionStatus s{id, asn_status, nlohmann::json::array()};
      if (asn_status == "Failure") s.errors = failure_errors;
      return s;
    }
    spapi::TransactionStatus s{id, work_on(id), nlohmann::json::array()};
    if (s.status == "Failure") s.errors = failure_errors;
    return s;
  }
  // Like Amazon (and the simulator): "Created" without a carrier while the transaction is processed, the
  // carrier once it succeeded, not listed once rejected. Each look is a step of Amazon's work on it.
  std::optional<nlohmann::json> get_shipment_details(const std::string& id) override {
    ++details_calls;
    if (!submitted.count(id) || rejected.count(id)) return std::nullopt;
    work_on(latest_transaction[id]);
    if (rejected.count(id)) return std::nullopt;
    if (!details_visible_after_submit && !visible.count(id)) return std::nullopt;
    nlohmann::json shipment{{"vendorShipmentIdentifier", id}, {"currentShipmentStatus", "Created"}};
    if (!visible.count(id)) return shipment;
    // Accepted: Amazon names the carrier only after carrier_after_looks more looks.
    if (looks_after_accept[id]++ < carrier_after_looks) {
      shipment["currentShipmentStatus"] = "TransportationRequested";
      return shipment;
    }
    shipment["currentShipmentStatus"] = asns.count(id) ? "Shipped" : "CarrierAssigned";
    shipment["buyerReferenceNumber"] = "BRN-" + id.substr(3, 8);
    shipment["transportationDetails"] = {{"carrierDetails", {{"name", "ACME Freight"}, {"code", "ACMF"}}}};
    shipment["collectFreightPickupDetails"] = {{"scheduledPickUp", "2026-11-25T14:00:00Z"}};
    return shipment;
  }

  // The ASN: counted per shipment (an uncertain send that arrived counts too); faults like submit's.
  std::string submit_shipment_confirmations(const nlohmann::json& body) override {
    ++asn_calls;
    std::string id = body.at("shipmentConfirmations").at(0).at("shipmentIdentifier");
    last_asn = body;
    if (!asn_faults.empty()) {
      auto fault = asn_faults.front();
      asn_faults.pop_front();
      if (fault.after_send) ++asns[id];
      spapi::SpapiError error(fault.what, fault.status, fault.errors);
      throw error;
    }
    ++asns[id];
    return "asn-tx-" + std::to_string(asn_calls);
  }
  std::vector<spapi::ShipmentLabel> get_shipment_labels(const std::string& id) override {
    ++label_calls;
    return labels.count(id) ? labels[id] : std::vector<spapi::ShipmentLabel>{};
  }

  struct Fault {
    int status;
    std::string what;
    bool after_send = false;
    nlohmann::json errors = nlohmann::json::array();
    std::string auth_error = "";  // "invalid_grant": the authorization was revoked
  };
  std::deque<Fault> submit_faults;
  std::map<std::string, std::deque<std::string>> statuses;  // by transaction id, filled by default_statuses
  std::deque<std::string> default_statuses{"Processing", "Success"};
  std::string final_status = "Success";
  nlohmann::json failure_errors = nlohmann::json::array();
  bool details_visible_after_submit = true;
  std::map<std::string, int> submitted;  // vendorShipmentIdentifier -> times Amazon received it
  std::map<std::string, std::string> shipment_of;
  std::set<std::string> visible;   // accepted: carrier assigned
  std::set<std::string> rejected;  // failed: no longer listed
  std::map<std::string, std::string> latest_transaction;  // vendorShipmentIdentifier -> transaction id
  int submit_calls = 0, transaction_calls = 0, details_calls = 0;
  int carrier_after_looks = 0;
  std::map<std::string, int> looks_after_accept;
  std::map<std::string, int> asns;  // shipmentIdentifier -> ASNs Amazon received
  std::deque<Fault> asn_faults;
  std::string asn_status = "Success";
  nlohmann::json last_asn;
  std::map<std::string, std::vector<spapi::ShipmentLabel>> labels;
  int asn_calls = 0, label_calls = 0;

 private:
  std::string received(const nlohmann::json& body) {
    std::string id = body.at("shipments").at(0).at("vendorShipmentIdentifier");
    ++submitted[id];
    std::string tx = "tx-" + std::to_string(++next_tx_);
    statuses[tx] = default_statuses;
    shipment_of[tx] = id;
    latest_transaction[id] = tx;
    return tx;
  }
  // One step of Amazon's work on a transaction: the next queued status (the last one stays).
  std::string work_on(const std::string& tx) {
    auto& queue = statuses[tx];
    std::string status = queue.empty() ? final_status : queue.front();
    if (queue.size() > 1) queue.pop_front();
    if (status == "Success") visible.insert(shipment_of[tx]);
    if (status == "Failure") rejected.insert(shipment_of[tx]);
    return status;
  }
  int next_tx_ = 0;
};

// Extraction driven by test headers: X-Test-POs (space separated), X-Test-Kind (routing|other|doubt|quarantine).
inline intake::RoutingRequest header_extractor(const std::string& raw) {
  auto header = [&](const std::string& name) -> std::string {
    auto pos = raw.find(name + ": ");
    if (pos == std::string::npos) return "";
    auto end = raw.find_first_of("\r\n", pos);
    return raw.substr(pos + name.size() + 2, end - pos - name.size() - 2);
  };
  std::string kind = header("X-Test-Kind");
  if (kind == "quarantine") throw intake::QuarantineError("broken MIME: boundary never closed");
  intake::RoutingRequest rr;
  if (kind == "other") {
    rr.classification = "other";
    rr.classification_reason = "chargeback notice, not a routing request";
    return rr;
  }
  if (kind == "doubt") {
    rr.classification = "possible_routing_request";
    rr.classification_reason = "says 'routing request' but names no purchase order that could be read";
    rr.attention = intake::Attention{"possible routing request: PO 2K4GH7QZ is in the subject but not in the body",
                                     {"'routing request' in the subject"},
                                     {"PO 2K4GH7QZ is in the subject but not in the body"}};
    return rr;
  }
  rr.classification = "amazon_routing_request";
  rr.classification_reason = "test";
  rr.vendor_code = "ABCDE";
  if (raw.find("X-Test-Vendor: ") != std::string::npos) {  // another vendor code, or none ("-")
    auto vendor = header("X-Test-Vendor");
    rr.vendor_code = vendor == "-" ? std::optional<std::string>() : vendor;
  }
  rr.ship_from = "ORL1";
  std::string pos = header("X-Test-POs");
  for (std::size_t start = 0; start < pos.size();) {
    auto end = pos.find(' ', start);
    if (end == std::string::npos) end = pos.size();
    if (end > start) rr.purchase_orders.push_back({pos.substr(start, end - start), {}, {}, {}, {}, {}, {}, {}});
    start = end + 1;
  }
  return rr;
}

inline mail::RawMessage email(const std::string& source_id, const std::string& message_id, const std::string& pos,
                              const std::string& kind = "routing") {
  std::string headers = "Received: from mx.example by local; " + source_id + "\r\n";
  if (!message_id.empty()) headers += "Message-ID: <" + message_id + "@example.com>\r\n";
  return {source_id, headers + "From: routing@amazon.com\r\nSubject: Routing request\r\nX-Test-POs: " + pos +
                         "\r\nX-Test-Kind: " + kind + "\r\n\r\nbody\r\n"};
}

class ChainFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = std::filesystem::temp_directory_path() /
          ("chain-" + std::to_string(::getpid()) + "-" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    orders = std::make_unique<pretender::OrderDatabase>((dir / "orders.sqlite").string(), true);
    for (const char* f : {"orders.csv", "order_lines.csv", "cartons.csv"})
      orders->import_csv(std::string(DOCKHAND_FIXTURES_DIR) + "/orders/" + f);
    open();
  }
  void TearDown() override {
    chain.reset();
    store.reset();
    orders.reset();
    std::filesystem::remove_all(dir);
  }
  // (Re)opens the store and the worker on the same file, as a restarted orchestrator would.
  void open() {
    chain.reset();
    store.reset();
    store = std::make_unique<Store>((dir / "store.sqlite").string(), clock);
    ChainOptions options;
    options.poll_initial = std::chrono::milliseconds(1000);
    options.retry_initial = std::chrono::milliseconds(1000);
    chain = std::make_unique<Chain>(*store, clock, header_extractor, *orders, pretender::Rules::defaults(), amazon,
                                    options);
  }
  // Runs the worker, moving the clock to each next attempt, until nothing is scheduled or limit passes.
  void run_until_idle(std::chrono::minutes limit = std::chrono::minutes(60)) {
    auto end = clock.now() + limit;
    chain->run_due();
    while (auto wait = chain->time_until_next()) {
      if (clock.now() + *wait > end) break;
      clock.advance(*wait);
      chain->run_due();
    }
  }
  std::vector<std::string> steps(std::int64_t id) {
    std::vector<std::string> out;
    for (const auto& e : store->events(id)) out.push_back(e.step);
    return out;
  }
  State state(std::int64_t id) { return store->request(id)->state; }
  // Amazon's 15-minute rule, from the first request's submission: still SUBMITTED at 14 minutes, then
  // CONFIRMED with "counted as success" once 15 have passed.
  void expect_confirmed_by_the_fifteen_minute_rule(const std::string& why_waiting) {
    auto start = clock.now();
    run_until_idle(std::chrono::minutes(14));
    auto id = store->requests().at(0).id;
    EXPECT_EQ(state(id), State::SUBMITTED) << why_waiting;
    run_until_idle(std::chrono::minutes(5));
    EXPECT_EQ(state(id), State::CONFIRMED);
    EXPECT_GE(clock.now() - start, std::chrono::minutes(15));
    bool noted = false;
    for (const auto& e : store->events(id))
      noted |= e.step == "CONFIRMED" && e.detail.find("counted as success") != std::string::npos;
    EXPECT_TRUE(noted);
  }

  std::filesystem::path dir;
  ManualClock clock{std::chrono::sys_days(std::chrono::year(2026) / 11 / 22) + std::chrono::hours(9)};
  ScriptedAmazon amazon;
  MemorySource source;
  std::unique_ptr<pretender::OrderDatabase> orders;
  std::unique_ptr<Store> store;
  std::unique_ptr<Chain> chain;
};

}  // namespace dockhand::chain::testing
