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
  std::pair<int, std::string> raw_submit(const json& body) { return raw_post("/vendor/shipping/v1/shipments", body); }
  std::pair<int, std::string> raw_post(const std::string& path, const json& body) {
    httplib::Client client(shipments_url);
    client.set_read_timeout(30, 0);
    auto r = client.Post(path, body.dump(), "application/json");
    if (!r) return {0, "no answer"};
    return {r->status, r->get_header_value("sl-violations")};
  }

  // The violations Prism found in our request (sl-violations also lists its own example answers' faults).
  static std::string request_violations(const std::string& header) {
    auto list = json::parse(header.empty() ? "[]" : header, nullptr, false);
    if (!list.is_array()) return header;
    json ours = json::array();
    for (const auto& v : list)
      if (!v.contains("location") || !v["location"].is_array() || v["location"].empty() || v["location"][0] != "response")
        ours.push_back(v);
    return ours.empty() ? "" : ours.dump();
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

// A plan as the chain makes it: pretender::plan() over a warehouse database (kept at `db_path` for the ASN).
dockhand::pretender::Plan plan_over_orders(const std::filesystem::path& db_path) {
  namespace fs = std::filesystem;
  const auto now = std::chrono::system_clock::now();
  auto day = [&](int d) { return iso8601_utc(now + std::chrono::hours(24 * d)).substr(0, 10); };
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
      if (po == "3L5HJ8RA") order.lines.push_back({"SKU2-" + po, 6});
      // Cartons of the first PO on an SSCC-labelled pallet, the second's on the warehouse's own pallet label,
      // the third's loose.
      for (int c = 0; c < 3; ++c) {
        std::optional<std::string> pallet;
        if (po == "2K4GH7QZ") pallet = "001234567890123456";
        if (po == "3L5HJ8RA") pallet = "PAL-3L5-1";
        order.cartons.push_back({po + "-C" + std::to_string(c), 22.5 + c, 18, 12, 10, pallet});
      }
      orders.upsert(order);
      request.purchase_orders.push_back({po, fc, day(2), day(6), 3, std::nullopt, std::nullopt, {}});
    }
  }
  dockhand::pretender::OrderDatabase orders(db_path.string());
  return dockhand::pretender::plan(request, orders, dockhand::pretender::Rules::defaults(), now);
}

// The payload exactly as the chain submits it.
TEST_F(Conformance, PretenderPlanPayloadValidates) {
  const auto db_path = std::filesystem::temp_directory_path() / ("dockhand-conformance-" + std::to_string(::getpid()) + ".db");
  auto plan = plan_over_orders(db_path);
  std::filesystem::remove(db_path);
  ASSERT_TRUE(plan.ok()) << nlohmann::json(plan).dump(2);
  ASSERT_EQ(plan.shipments.size(), 2u);
  const json body = plan.submit_body();
  auto [status, violations] = raw_submit(body);
  EXPECT_EQ(status, 202) << violations << "\n" << body.dump(2);
  EXPECT_TRUE(violations.empty()) << violations;
  VendorShipmentsClient client(config_for(shipments_url));
  EXPECT_NO_THROW(client.submit_shipments(body));
}

// Issue 23: the ASN exactly as the chain sends it on departure (pretender::shipment_confirmation over the
// order data, with Amazon's details and OpShip's BOL), palletized and loose, validates against the model.
TEST_F(Conformance, AsnAsTheChainBuildsItOnDepartureValidates) {
  const auto db_path = std::filesystem::temp_directory_path() / ("dockhand-conformance-asn-" + std::to_string(::getpid()) + ".db");
  auto plan = plan_over_orders(db_path);
  ASSERT_TRUE(plan.ok());
  dockhand::pretender::OrderDatabase orders(db_path.string());
  const json details = {{"vendorShipmentIdentifier", plan.shipments[0].vendor_shipment_identifier},
                        {"buyerReferenceNumber", "1234567890"},
                        {"transportationDetails",
                         {{"carrierDetails", {{"name", "Estes Express Lines"}, {"code", "EXLA"}, {"shipmentReferenceNumber", "PRO123456789"}}}}}};
  const auto now = std::chrono::system_clock::now();
  json confirmations = json::array();
  for (const auto& s : plan.shipments)
    confirmations.push_back(dockhand::pretender::shipment_confirmation(s, orders, {"BOL4710001", now - std::chrono::minutes(5), details}, now));
  std::filesystem::remove(db_path);
  const json body = {{"shipmentConfirmations", confirmations}};
  ASSERT_TRUE(body["shipmentConfirmations"][0].contains("pallets")) << body.dump(2);
  ASSERT_FALSE(body["shipmentConfirmations"][1].contains("pallets")) << "the TPA1 shipment is loose cartons";
  auto [status, violations] = raw_post("/vendor/shipping/v1/shipmentConfirmations", body);
  EXPECT_EQ(status, 202) << violations << "\n" << body.dump(2);
  EXPECT_EQ(request_violations(violations), "") << body.dump(2);
  VendorShipmentsClient client(config_for(shipments_url));
  try {
    EXPECT_FALSE(client.submit_shipment_confirmations(body).empty());
  } catch (const SpapiError& e) {
    // Amazon's own example answer for the 202 (which Prism sends back) has a transactionId that is not a
    // string: the client takes that as an answer without a transaction to follow, never as a refusal.
    EXPECT_EQ(e.http_status, 202) << e.what();
    EXPECT_TRUE(e.uncertain) << e.what();
  }
}

TEST_F(Conformance, EachRequiredAsnFieldMissingIsRefused) {
  // The required list comes from the model: the test proves Prism checks what our ASN must carry.
  const auto required = model("vendorShipments.json")["definitions"]["ShipmentConfirmation"]["required"];
  ASSERT_FALSE(required.empty());
  const auto db_path = std::filesystem::temp_directory_path() / ("dockhand-conformance-asn2-" + std::to_string(::getpid()) + ".db");
  auto plan = plan_over_orders(db_path);
  dockhand::pretender::OrderDatabase orders(db_path.string());
  const auto now = std::chrono::system_clock::now();
  const json good = dockhand::pretender::shipment_confirmation(plan.shipments[0], orders, {"BOL4710002", now, json()}, now);
  std::filesystem::remove(db_path);
  for (const auto& field : required) {
    json one = good;
    one.erase(field.get<std::string>());
    auto [status, violations] = raw_post("/vendor/shipping/v1/shipmentConfirmations", {{"shipmentConfirmations", {one}}});
    EXPECT_EQ(status, 400) << "missing " << field;
    EXPECT_NE(violations.find(field.get<std::string>()), std::string::npos) << "missing " << field << ": " << violations;
  }
}

TEST_F(Conformance, GetShipmentLabelsRequestValidatesAndTheLabelDecodes) {
  VendorShipmentsClient client(config_for(shipments_url));
  std::vector<ShipmentLabel> labels;
  ASSERT_NO_THROW(labels = client.get_shipment_labels("DH-2K4GH7QZ-ABE8"));
  ASSERT_FALSE(labels.empty()) << "Prism answers the model's example";
  EXPECT_EQ(labels[0].format, "PDF");
  EXPECT_EQ(labels[0].bytes.rfind("%PDF", 0), 0u) << "the example's label is a base64 PDF";
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
