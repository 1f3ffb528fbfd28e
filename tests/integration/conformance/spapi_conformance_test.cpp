// Conformance: the requests our SP-API client sends validate against Amazon's published models, served by
// Prism (which answers the model's 400 with an sl-violations header when a request breaks the schema).
// Tokens come from the simulator's LWA endpoint, so the real client code path runs end to end.
#include "orchestrator/chain/chain.h"
#include "orchestrator/spapi/vendor_shipments.h"
#include "../spapi/sample_payload.h"
#include "../spapi/sim_admin.h"

#include "orchestrator/pretender/pretender.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <unistd.h>

using namespace dockhand::spapi;
using namespace dockhand::spapi::testing;
using nlohmann::json;

namespace {

const std::string kModels = DOCKHAND_SPAPI_MODELS_DIR;

class Conformance : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::getenv("DOCKHAND_SPAPI_MODELS_MISSING"))
      GTEST_SKIP() << "Amazon's SP-API models are absent (" << std::getenv("DOCKHAND_SPAPI_MODELS_MISSING")
                   << "): conformance needs ../shared/spapi-models beside the repository";
    const char* shipments = std::getenv("DOCKHAND_PRISM_SHIPMENTS_URL");
    const char* transactions = std::getenv("DOCKHAND_PRISM_TRANSACTIONS_URL");
    ASSERT_TRUE(shipments && transactions) << "run under tests/integration/conformance/with-prism.sh";
    shipments_url = shipments;
    transactions_url = transactions;
  }

  SpapiConfig config_for(const std::string& url) {
    auto c = sim_config();  // LWA from the simulator
    c.endpoint = url;
    c.request_timeout = std::chrono::milliseconds(30000);  // Prism is slow on a busy machine
    c.max_retries = 2;
    return c;
  }

  // Posts a body straight to Prism and returns (status, sl-violations) for what the client cannot show.
  std::pair<int, std::string> raw_submit(const json& body) {
    httplib::Client client(shipments_url);
    client.set_read_timeout(30, 0);
    auto r = client.Post("/vendor/shipping/v1/shipments", body.dump(), "application/json");
    if (!r) return {0, "no answer"};
    return {r->status, r->get_header_value("sl-violations")};
  }

  static json model(const std::string& name) {
    std::ifstream in(kModels + "/" + name);
    return json::parse(in);
  }

  std::string shipments_url, transactions_url;
};

TEST_F(Conformance, SubmitShipmentsPayloadAsThePreTenderBuildsItValidates) {
  VendorShipmentsClient client(config_for(shipments_url));
  json body = {{"shipments", json::array({sample_shipment("DH-2K4GH7QZ-ABE8", "ABE8", {{"2K4GH7QZ", 12}, {"3L5HJ8RA", 4}}),
                                          sample_shipment("DH-9X8Y7Z6W-TPA1", "TPA1", {{"9X8Y7Z6W", 30}})})}};
  EXPECT_NO_THROW({
    const std::string id = client.submit_shipments(body);
    EXPECT_FALSE(id.empty());
  });
  auto [status, violations] = raw_submit(body);
  EXPECT_EQ(status, 202) << violations;
  EXPECT_TRUE(violations.empty()) << violations;
}

// The payload exactly as the chain submits it: pretender::plan() over a warehouse database.
TEST_F(Conformance, PretenderPlanPayloadValidates) {
  namespace fs = std::filesystem;
  const auto now = std::chrono::system_clock::now();
  auto day = [&](int d) { return iso8601_utc(now + std::chrono::hours(24 * d)).substr(0, 10); };
  const fs::path db_path = fs::temp_directory_path() / ("dockhand-conformance-" + std::to_string(::getpid()) + ".db");
  fs::remove(db_path);
  dockhand::intake::RoutingRequest request;
  request.classification = "amazon_routing_request";
  request.vendor_code = "ABCDE";
  request.ship_from = "ORL1";
  request.freight_ready_date = day(2);
  {
    dockhand::pretender::OrderDatabase orders(db_path.string(), true);
    const std::vector<std::pair<std::string, std::string>> pos = {{"2K4GH7QZ", "ABE8"}, {"3L5HJ8RA", "ABE8"}, {"9X8Y7Z6W", "TPA1"}};
    for (const auto& [po, fc] : pos) {
      dockhand::pretender::Order order;
      order.po = po;
      order.vendor_code = "ABCDE";
      order.ship_from = "ORL1";
      order.destination_fc = fc;
      order.ship_window_start = day(2);
      order.ship_window_end = day(6);
      order.lines = {{"SKU-" + po, 24}};
      for (int c = 0; c < 3; ++c)
        order.cartons.push_back({po + "-C" + std::to_string(c), 22.5 + c, 18, 12, 10, std::nullopt});
      orders.upsert(order);
      request.purchase_orders.push_back({po, fc, day(2), day(6), 3, std::nullopt, std::nullopt, {}});
    }
  }
  dockhand::pretender::OrderDatabase orders(db_path.string());
  auto plan = dockhand::pretender::plan(request, orders, dockhand::pretender::Rules::defaults(), now);
  fs::remove(db_path);
  ASSERT_TRUE(plan.ok()) << nlohmann::json(plan).dump(2);
  ASSERT_EQ(plan.shipments.size(), 2u);
  const json body = plan.submit_body();
  auto [status, violations] = raw_submit(body);
  EXPECT_EQ(status, 202) << violations << "\n" << body.dump(2);
  EXPECT_TRUE(violations.empty()) << violations;
  VendorShipmentsClient client(config_for(shipments_url));
  EXPECT_NO_THROW(client.submit_shipments(body));
}

// The Cancel the chain sends for a shipment cancelled after submission (issue 23): transactionType Cancel and
// the parties of the shipment's own payload, built by chain::cancel_shipment_body.
TEST_F(Conformance, CancelTransactionBodyValidates) {
  const json original = sample_shipment("DH-2K4GH7QZ-ABE8", "ABE8", {{"2K4GH7QZ", 12}});
  const json body = dockhand::chain::cancel_shipment_body(original, std::chrono::system_clock::now());
  ASSERT_EQ(body["shipments"][0]["transactionType"], "Cancel");
  auto [status, violations] = raw_submit(body);
  EXPECT_EQ(status, 202) << violations << "\n" << body.dump(2);
  EXPECT_TRUE(violations.empty()) << violations;
  VendorShipmentsClient client(config_for(shipments_url));
  EXPECT_NO_THROW(client.submit_shipments(body));
  // and a Cancel without the parties the model requires is refused
  json partial = body;
  partial["shipments"][0].erase("shipToParty");
  auto [bad_status, bad_violations] = raw_submit(partial);
  EXPECT_EQ(bad_status, 400) << bad_violations;
  EXPECT_NE(bad_violations.find("shipToParty"), std::string::npos) << bad_violations;
}

TEST_F(Conformance, GetShipmentDetailsRequestValidates) {
  VendorShipmentsClient client(config_for(shipments_url));
  // Prism answers its example (another identifier): the client finds no shipment of ours, without error.
  EXPECT_NO_THROW(EXPECT_FALSE(client.get_shipment_details("DH-2K4GH7QZ-ABE8").has_value()));
}

TEST_F(Conformance, GetTransactionRequestValidatesAndTheAnswerParses) {
  VendorShipmentsClient client(config_for(transactions_url));
  TransactionStatus status;
  ASSERT_NO_THROW(status = client.get_transaction("20190904190535-eef8cad8-418e-4ed3-ac72-789e2ee6214a"));
  EXPECT_TRUE(status.status == "Processing" || status.status == "Success" || status.status == "Failure") << status.status;
  EXPECT_FALSE(status.transaction_id.empty());
}

TEST_F(Conformance, EachRequiredShipmentFieldMissingIsRefused) {
  // The required list comes from the model itself, so a model change shows up here.
  const auto required = model("vendorShipments.json")["definitions"]["Shipment"]["required"];
  ASSERT_FALSE(required.empty());
  VendorShipmentsClient client(config_for(shipments_url));
  for (const auto& field : required) {
    json body = sample_body("DH-2K4GH7QZ-ABE8");
    body["shipments"][0].erase(field.get<std::string>());
    auto [status, violations] = raw_submit(body);
    EXPECT_EQ(status, 400) << "missing " << field;
    EXPECT_NE(violations.find(field.get<std::string>()), std::string::npos) << "missing " << field << ": " << violations;
    try {
      client.submit_shipments(body);
      ADD_FAILURE() << "the client reported success for a body without " << field;
    } catch (const SpapiError& e) {
      EXPECT_EQ(e.http_status, 400) << e.what();
      EXPECT_FALSE(e.retryable()) << "a refused payload must not be retried";
    }
  }
}

TEST_F(Conformance, WeightAsANumberInsteadOfADecimalStringIsRefused) {
  json body = sample_body("DH-2K4GH7QZ-ABE8");
  body["shipments"][0]["shipmentMeasurements"]["shipmentWeight"]["value"] = 340.5;
  auto [status, violations] = raw_submit(body);
  EXPECT_EQ(status, 400);
  EXPECT_NE(violations.find("shipmentWeight"), std::string::npos) << violations;
}

TEST_F(Conformance, TimestampWithoutTimeZoneIsRefused) {
  json body = sample_body("DH-2K4GH7QZ-ABE8");
  body["shipments"][0]["transactionDate"] = "24/11/2026 10:00";
  auto [status, violations] = raw_submit(body);
  EXPECT_EQ(status, 400);
  EXPECT_NE(violations.find("transactionDate"), std::string::npos) << violations;
}

}  // namespace
