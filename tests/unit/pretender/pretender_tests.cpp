// pretender/: order data import, grouping, counting, rules and the SubmitShipments payload.
#include "orchestrator/pretender/pretender.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;
using namespace dockhand;
using namespace dockhand::pretender;

namespace {

std::chrono::system_clock::time_point day(int y, unsigned m, unsigned d) {
  return std::chrono::sys_days(std::chrono::year(y) / m / d) + std::chrono::hours(9);
}

class Pretender : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = fs::temp_directory_path() / ("pretender-" + std::to_string(::getpid()) + "-" +
                                       ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir);
    fs::create_directories(dir);
    orders = std::make_unique<OrderDatabase>((dir / "orders.sqlite").string(), true);
    for (const char* f : {"orders.csv", "order_lines.csv", "cartons.csv"})
      orders->import_csv(std::string(DOCKHAND_FIXTURES_DIR) + "/orders/" + f);
  }
  void TearDown() override {
    orders.reset();
    fs::remove_all(dir);
  }
  std::string write(const std::string& name, const std::string& text) {
    auto path = dir / name;
    std::ofstream(path) << text;
    return path.string();
  }
  static intake::RoutingRequest request(std::vector<std::string> pos) {
    intake::RoutingRequest rr;
    rr.classification = "amazon_routing_request";
    rr.vendor_code = "ABCDE";
    rr.ship_from = "ORL1";
    rr.freight_ready_date = "2026-11-24";
    for (auto& po : pos) rr.purchase_orders.push_back({po, {}, {}, {}, {}, {}, {}, {}});
    return rr;
  }
  fs::path dir;
  std::unique_ptr<OrderDatabase> orders;
};

}  // namespace

TEST_F(Pretender, ImportedOrderHasLinesAndCartons) {
  auto order = orders->find("2K4GH7QZ");
  ASSERT_TRUE(order);
  EXPECT_EQ(order->destination_fc, "ABE8");
  EXPECT_EQ(order->lines.size(), 2u);
  EXPECT_EQ(order->cartons.size(), 12u);
  EXPECT_EQ(order->cartons[0].pallet_id.value_or(""), "PAL-2K4-1");
  EXPECT_FALSE(orders->find("NOSUCHPO"));
}

TEST_F(Pretender, ImportIsIdempotent) {
  orders->import_csv(std::string(DOCKHAND_FIXTURES_DIR) + "/orders/cartons.csv");
  EXPECT_EQ(orders->find("2K4GH7QZ")->cartons.size(), 12u);
}

TEST_F(Pretender, ImportRejectsUnknownHeaderWithTheColumnsItExpects) {
  auto path = write("bad.csv", "purchase order,weight\nX,1\n");
  try {
    orders->import_csv(path);
    FAIL() << "accepted a CSV with an unknown header";
  } catch (const PretenderError& e) {
    EXPECT_NE(std::string(e.what()).find("header row matches no table"), std::string::npos) << e.what();
  }
}

TEST_F(Pretender, ImportNamesTheLineOfAnImpossibleDateAndImportsNothing) {
  auto path = write("dates.csv",
                    "po,vendor_code,ship_from,destination_fc,ship_window_start,ship_window_end\n"
                    "AAAA1111,ABCDE,ORL1,ABE8,2026-11-24,2026-11-28\n"
                    "BBBB2222,ABCDE,ORL1,ABE8,2026-02-30,2026-03-02\n");
  try {
    orders->import_csv(path);
    FAIL() << "accepted February 30";
  } catch (const PretenderError& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("dates.csv:3"), std::string::npos) << what;
    EXPECT_NE(what.find("2026-02-30"), std::string::npos) << what;
  }
  EXPECT_FALSE(orders->find("AAAA1111")) << "a failed import must leave nothing behind";
}

TEST_F(Pretender, ImportOfCartonsForUnknownPoSaysSo) {
  auto path = write("c.csv", "po,carton_id,weight_lb,length_in,width_in,height_in\nZZZZ9999,Z1,1,1,1,1\n");
  try {
    orders->import_csv(path);
    FAIL();
  } catch (const PretenderError& e) {
    EXPECT_NE(std::string(e.what()).find("ZZZZ9999 is not in the orders table"), std::string::npos) << e.what();
  }
}

TEST_F(Pretender, ImportHandlesQuotedFieldsAndCrlf) {
  auto path = write("q.csv",
                    "po,vendor_code,ship_from,destination_fc,ship_window_start,ship_window_end,status\r\n"
                    "qqqq1111,\"ABC,DE\",ORL1,ABE8,2026-11-24,2026-11-28,\"Open\"\r\n");
  EXPECT_EQ(orders->import_csv(path), 1u);
  auto order = orders->find("QQQQ1111");
  ASSERT_TRUE(order);
  EXPECT_EQ(order->vendor_code, "ABC,DE");
}

TEST_F(Pretender, SameLaneOverlappingWindowsMakeOneShipmentWithTotals) {
  auto p = plan(request({"2K4GH7QZ", "7HXQ3M2P"}), *orders, Rules::defaults(), day(2026, 11, 22));
  ASSERT_TRUE(p.ok()) << nlohmann::json(p).dump(2);
  ASSERT_EQ(p.shipments.size(), 1u);
  const auto& s = p.shipments[0];
  EXPECT_EQ(s.pos, (std::vector<std::string>{"2K4GH7QZ", "7HXQ3M2P"}));
  EXPECT_EQ(s.cartons, 20);
  EXPECT_EQ(s.pallets, 2);
  EXPECT_DOUBLE_EQ(s.weight_lb, 580.5);
  EXPECT_EQ(s.ship_window_start, "2026-11-25");  // the intersection of both windows
  EXPECT_EQ(s.ship_window_end, "2026-11-28");
  EXPECT_EQ(s.payload["shipmentMeasurements"]["shipmentWeight"]["value"], "580.5");
  EXPECT_EQ(s.payload["shipmentMeasurements"]["totalCartonCount"], 20);
  EXPECT_EQ(s.payload["shipToParty"]["partyId"], "ABE8");
  EXPECT_EQ(s.payload["collectFreightPickupDetails"]["requestedPickUp"], "2026-11-25T00:00:00Z");
  EXPECT_EQ(s.payload["purchaseOrders"][0]["items"][0]["shippedQuantity"]["amount"], 96);
}

TEST_F(Pretender, OtherFcOrDisjointWindowMakesSeparateShipments) {
  auto p = plan(request({"2K4GH7QZ", "9LMN4R8T", "8LATER55"}), *orders, Rules::defaults(), day(2026, 11, 22));
  ASSERT_TRUE(p.ok()) << nlohmann::json(p).dump(2);
  ASSERT_EQ(p.shipments.size(), 3u);
  std::set<std::string> ids;
  for (const auto& s : p.shipments) {
    EXPECT_EQ(s.pos.size(), 1u);
    ids.insert(s.vendor_shipment_identifier);
  }
  EXPECT_EQ(ids.size(), 3u);
}

TEST_F(Pretender, ShipmentIdentifierIsDeterministicAndIgnoresPoOrder) {
  auto a = vendor_shipment_identifier("ABCDE", "ORL1", "ABE8", {"7HXQ3M2P", "2K4GH7QZ"});
  auto b = vendor_shipment_identifier("ABCDE", "ORL1", "ABE8", {"2K4GH7QZ", "7HXQ3M2P"});
  EXPECT_EQ(a, b);
  EXPECT_EQ(a.rfind("DH-2K4GH7QZ-ABE8-", 0), 0u) << a;
  EXPECT_NE(a, vendor_shipment_identifier("ABCDE", "ORL1", "ABE8", {"2K4GH7QZ"}));
  EXPECT_NE(a, vendor_shipment_identifier("ABCDE", "ORL2", "ABE8", {"2K4GH7QZ", "7HXQ3M2P"}));
  auto p1 = plan(request({"2K4GH7QZ", "7HXQ3M2P"}), *orders, Rules::defaults(), day(2026, 11, 22));
  auto p2 = plan(request({"7HXQ3M2P", "2K4GH7QZ"}), *orders, Rules::defaults(), day(2026, 11, 23));
  EXPECT_EQ(p1.shipments.at(0).vendor_shipment_identifier, p2.shipments.at(0).vendor_shipment_identifier);
  EXPECT_EQ(p1.shipments.at(0).vendor_shipment_identifier, a);
}

namespace {
std::vector<RuleFinding> errors_of(const Plan& p) {
  std::vector<RuleFinding> out;
  for (const auto& f : p.findings)
    if (f.severity == "error") out.push_back(f);
  return out;
}
}  // namespace

TEST_F(Pretender, HeavyCartonFailsWithAMessageNamingCartonAndLimit) {
  auto p = plan(request({"4HEAVY88"}), *orders, Rules::defaults(), day(2026, 11, 22));
  EXPECT_FALSE(p.ok());
  auto errors = errors_of(p);
  ASSERT_EQ(errors.size(), 1u) << nlohmann::json(p).dump(2);
  EXPECT_EQ(errors[0].rule, "carton-weight");
  EXPECT_EQ(errors[0].po, "4HEAVY88");
  EXPECT_NE(errors[0].message.find("4HEAVY88-C002"), std::string::npos) << errors[0].message;
  EXPECT_NE(errors[0].message.find("62.5 lb"), std::string::npos) << errors[0].message;
  EXPECT_NE(errors[0].message.find("50 lb"), std::string::npos) << errors[0].message;
}

TEST_F(Pretender, EachDefaultRuleFires) {
  auto rr = request({"5BIGBOX9", "6CLOSED7", "NOTAPO00", "2K4GH7QZ", "9LMN4R8T"});
  rr.purchase_orders[3].cartons = 11;              // warehouse has 12
  rr.purchase_orders[3].destination_fc = "XYZ1";  // warehouse says ABE8
  auto p = plan(rr, *orders, Rules::defaults(), day(2026, 11, 29));  // 9LMN4R8T's window ended on the 28th
  std::set<std::string> fired;
  for (const auto& f : p.findings) fired.insert(f.rule + ":" + f.po);
  for (const char* expected : {"carton-dimension:5BIGBOX9", "po-open:6CLOSED7", "po-in-warehouse:NOTAPO00",
                               "carton-count:2K4GH7QZ", "destination:2K4GH7QZ", "ship-window-past:9LMN4R8T"})
    EXPECT_TRUE(fired.count(expected)) << expected << " missing from " << nlohmann::json(p).dump(2);
  EXPECT_FALSE(p.ok());
}

TEST_F(Pretender, WarningsDoNotBlock) {
  auto rr = request({"2K4GH7QZ"});
  rr.purchase_orders[0].pallets = 3;  // warehouse has 1 pallet: a warning in the default rules
  auto p = plan(rr, *orders, Rules::defaults(), day(2026, 11, 22));
  EXPECT_TRUE(p.ok());
  ASSERT_EQ(p.findings.size(), 1u);
  EXPECT_EQ(p.findings[0].rule, "pallet-count");
  EXPECT_EQ(p.findings[0].severity, "warning");
}

TEST_F(Pretender, RulesFileChangesLimitsWithoutCode) {
  auto rules = Rules::from_json_text(R"({"rules":[{"id":"light","check":"carton_max_weight_lb","limit":25,
      "severity":"error","message":"{carton_id} is {value} lb > {limit}"}]})");
  auto p = plan(request({"9LMN4R8T"}), *orders, rules, day(2026, 11, 22));
  EXPECT_TRUE(p.ok()) << "20 lb cartons pass a 25 lb limit";
  p = plan(request({"2K4GH7QZ"}), *orders, rules, day(2026, 11, 22));
  EXPECT_EQ(errors_of(p).size(), 12u);
  EXPECT_EQ(errors_of(p)[0].message, "2K4GH7QZ-C001 is 28.5 lb > 25");
}

TEST_F(Pretender, MissingPoIsAnErrorEvenWithoutARuleForIt) {
  auto rules = Rules::from_json_text(R"({"rules":[]})");
  auto p = plan(request({"NOTAPO00", "2K4GH7QZ"}), *orders, rules, day(2026, 11, 22));
  EXPECT_FALSE(p.ok());
}

TEST_F(Pretender, BadRulesFilesAreRefusedWithTheReason) {
  auto refused = [](const std::string& text, const std::string& expect) {
    try {
      Rules::from_json_text(text, "r.json");
      ADD_FAILURE() << "accepted " << text;
    } catch (const PretenderError& e) {
      EXPECT_NE(std::string(e.what()).find(expect), std::string::npos) << e.what();
    }
  };
  refused("{", "not valid JSON");
  refused(R"({"rules":[{"id":"a","check":"carton_color","message":"m"}]})", "unknown check \"carton_color\"");
  refused(R"({"rules":[{"id":"a","check":"carton_max_weight_lb","message":"m"}]})", "needs a numeric \"limit\"");
  refused(R"({"rules":[{"id":"a","check":"po_has_cartons","message":"m","severity":"fatal"}]})", "severity");
}

TEST_F(Pretender, DecimalStringsFollowAmazonsPattern) {
  EXPECT_EQ(decimal_string(340.5), "340.5");
  EXPECT_EQ(decimal_string(12), "12");
  EXPECT_EQ(decimal_string(0.004), "0");
  EXPECT_EQ(decimal_string(1.239), "1.24");
}

namespace {
// Walks Amazon's JSON schema and reports every required property missing from the value.
void missing_required(const nlohmann::json& model, const nlohmann::json& schema, const nlohmann::json& value,
                      const std::string& path, std::vector<std::string>& missing) {
  const nlohmann::json* s = &schema;
  if (s->contains("$ref")) {
    std::string ref = (*s)["$ref"];
    s = &model["definitions"][ref.substr(ref.rfind('/') + 1)];
  }
  if (value.is_object()) {
    for (const auto& r : s->value("required", nlohmann::json::array()))
      if (!value.contains(r.get<std::string>())) missing.push_back(path + "." + r.get<std::string>());
    if (s->contains("properties"))
      for (const auto& [key, sub] : (*s)["properties"].items())
        if (value.contains(key)) missing_required(model, sub, value[key], path + "." + key, missing);
  } else if (value.is_array() && s->contains("items")) {
    for (std::size_t i = 0; i < value.size(); ++i)
      missing_required(model, (*s)["items"], value[i], path + "[" + std::to_string(i) + "]", missing);
  }
}
}  // namespace

TEST_F(Pretender, PayloadHasEveryFieldAmazonsModelRequires) {
  fs::path model_path = fs::path(DOCKHAND_SHARED_DIR) / "spapi-models" / "vendorShipments.json";
  if (!fs::exists(model_path)) GTEST_SKIP() << "no " << model_path << " (../shared absent)";
  auto model = nlohmann::json::parse(std::ifstream(model_path));
  auto p = plan(request({"2K4GH7QZ", "7HXQ3M2P", "9LMN4R8T"}), *orders, Rules::defaults(), day(2026, 11, 22));
  ASSERT_TRUE(p.ok());
  std::vector<std::string> missing;
  missing_required(model, model["definitions"]["SubmitShipments"], p.submit_body(), "body", missing);
  EXPECT_TRUE(missing.empty()) << nlohmann::json(missing).dump();
  // and the check itself notices a missing field
  auto broken = p.submit_body();
  broken["shipments"][0].erase("transactionType");
  broken["shipments"][1]["sellingParty"].erase("partyId");
  missing.clear();
  missing_required(model, model["definitions"]["SubmitShipments"], broken, "body", missing);
  EXPECT_EQ(missing.size(), 2u);
  EXPECT_EQ(p.shipments[0].payload["transactionDate"], "2026-11-22T09:00:00Z");
}

TEST_F(Pretender, UnreadableValuesInTheEmailBlockTheSubmissionWithTheReason) {
  auto rr = request({"2K4GH7QZ"});
  rr.warnings.push_back("PO 4M6JK9S is 7 characters, Amazon POs have 8");
  auto p = plan(rr, *orders, Rules::defaults(), day(2026, 11, 22));
  EXPECT_FALSE(p.ok());
  ASSERT_FALSE(p.findings.empty());
  EXPECT_EQ(p.findings[0].rule, "email-readable");
  EXPECT_NE(p.findings[0].message.find("PO 4M6JK9S is 7 characters"), std::string::npos) << p.findings[0].message;
  // Data, not code: a rules file can make it a warning.
  auto rules = Rules::from_json_text(R"({"rules":[{"id":"email-readable","check":"email_values_readable",
      "severity":"warning","message":"unreadable: {value}"}]})");
  auto relaxed = plan(rr, *orders, rules, day(2026, 11, 22));
  EXPECT_TRUE(relaxed.ok());
  ASSERT_EQ(relaxed.findings.size(), 1u);
  EXPECT_EQ(relaxed.findings[0].message, "unreadable: PO 4M6JK9S is 7 characters, Amazon POs have 8");
}
