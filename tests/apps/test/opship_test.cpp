// The simulated OpShip, driven through its real window under Xvfb; its state file says what happened.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

#include "app_session.h"

using namespace apps_test;
using nlohmann::json;

namespace {

const char* kOpShipTitle = "OpShip 4.2 - Shipping";
const char* kShipment = "DH-2K4GH7QZ-CLT2-1A2B3C4D";

std::unique_ptr<AppSession> start_opship(std::vector<std::string> args = {}, const std::string& state = "") {
  args.insert(args.end(), {"--position", "20,20"});
  return std::make_unique<AppSession>(DOCKHAND_SIM_OPSHIP, kOpShipTitle, args, state);
}

void sign_in(AppSession& app) {
  app.type_into("user", "dockhand");
  app.type_into("password", "dockhand");
  app.click("sign_in");
  app.wait_state([](const json& s) { return s["screen"] == "entry" && s["logged_in"] == true; }, "shipment entry");
}

json find(AppSession& app, const std::string& id) {
  app.type_into("id_input", id);
  app.x.key("Return");
  return app.wait_state([&](const json& s) { return s["detail"].is_object() && s["detail"]["id"] == id; },
                        "form of " + id);
}

// Replaces a form field's text (the form may be prefilled).
void fill(AppSession& app, const std::string& field, const std::string& text) {
  app.click(field);
  app.x.key("End");
  for (int i = 0; i < 24; ++i) app.x.key("BackSpace");  // every field here holds fewer characters
  app.x.type(text);
}

void fill_form(AppSession& app, const std::string& carrier, const std::string& date, const std::string& cartons,
               const std::string& pallets, const std::string& reference, const std::string& pos) {
  fill(app, "pos", pos);
  fill(app, "carrier", carrier);
  fill(app, "pickup_date", date);
  fill(app, "cartons", cartons);
  fill(app, "pallets", pallets);
  fill(app, "reference", reference);
}

// Close the shipment on screen: Confirm -> Yes -> Information with the BOL -> OK. Returns the BOL.
std::string close_shipment(AppSession& app, const std::string& id, const std::string& shot_prefix = "") {
  app.click("close");
  json confirm = app.wait_modal("Confirm");
  EXPECT_EQ(confirm["text"], "Close shipment " + id + "?");
  if (!shot_prefix.empty()) app.shot(shot_prefix + "-confirm");
  app.press("Yes");
  json info = app.wait_modal("Information");
  EXPECT_EQ(info["text"], "Shipment closed");
  EXPECT_EQ(info["field_label"], "BOL:");
  if (!shot_prefix.empty()) app.shot(shot_prefix + "-closed");
  std::string bol = info["field_value"];
  app.press("OK");
  return bol;
}

}  // namespace

TEST(OpShip, SignInFindCloseWritesTheBolOnce) {
  auto app = start_opship({"--seed", "5"});
  app->shot("opship-login");
  sign_in(*app);
  json s = find(*app, kShipment);
  EXPECT_EQ(s["detail"]["status"], "Open");
  EXPECT_EQ(s["detail"]["pos"], "2K4GH7QZ");
  EXPECT_EQ(s["detail"]["cartons"], "139");
  EXPECT_EQ(s["detail"]["bol"], "");
  fill_form(*app, "abf freight", "2026-12-03", "140", "6", "4471092", "2K4GH7QZ, 7hxq3m2p");
  app->shot("opship-form");

  std::string bol = close_shipment(*app, kShipment, "opship");
  EXPECT_TRUE(std::regex_match(bol, std::regex("BOL[0-9]{7}"))) << bol;

  s = app->wait_state([](const json& st) { return st["modal"].is_null(); }, "modal closed");
  ASSERT_TRUE(s["closed"].contains(kShipment));
  const json& c = s["closed"][kShipment];
  EXPECT_EQ(c["bol"], bol);
  EXPECT_EQ(c["count"], 1);
  EXPECT_EQ(c["carrier"], "ABF Freight");  // the canonical name
  EXPECT_EQ(c["pickup_date"], "2026-12-03");
  EXPECT_EQ(c["cartons"], 140);
  EXPECT_EQ(c["pallets"], 6);
  EXPECT_EQ(c["reference"], "4471092");
  EXPECT_EQ(c["pos"], json({"2K4GH7QZ", "7HXQ3M2P"}));
  EXPECT_EQ(s["closed"].size(), 1u);
  EXPECT_EQ(count_events(s, "closed", {{"id", kShipment}, {"bol", bol}}), 1);
  EXPECT_EQ(s["detail"]["status"], "Closed");
  EXPECT_EQ(s["detail"]["bol"], bol);
  EXPECT_EQ(count_events(s, "click_outside_modal"), 0);
  app->shot("opship-after-close");

  int last = 0;
  for (const auto& e : s["events"]) {
    EXPECT_GT(e["seq"].get<int>(), last);
    last = e["seq"].get<int>();
  }
}

TEST(OpShip, ClosedShipmentShowsClosedAndItsBolAfterARestart) {
  std::string state;
  std::string bol;
  std::unique_ptr<AppSession> first = start_opship({"--seed", "6"});
  state = first->state_path;
  sign_in(*first);
  find(*first, "DH-NEWSHIP1-ABE8-00000001");
  json s = first->state();
  EXPECT_EQ(s["detail"]["status"], "New");  // an ID OpShip did not know: an empty form to record it
  EXPECT_EQ(s["detail"]["cartons"], "");
  fill_form(*first, "Estes Express Lines", "2026-12-04", "12", "1", "", "");
  bol = close_shipment(*first, "DH-NEWSHIP1-ABE8-00000001");
  EXPECT_EQ(first->stop(), 0);

  // A second run on the same state file: the shipment is still Closed, with the same BOL.
  std::string copy = temp_dir() + "/state.json";
  std::filesystem::copy_file(state, copy);
  first.reset();
  auto app = start_opship({"--seed", "7"}, copy);
  sign_in(*app);
  s = find(*app, "DH-NEWSHIP1-ABE8-00000001");
  EXPECT_EQ(s["detail"]["status"], "Closed");
  EXPECT_EQ(s["detail"]["bol"], bol);
  EXPECT_EQ(s["detail"]["carrier"], "Estes Express Lines");
  EXPECT_EQ(s["closed"]["DH-NEWSHIP1-ABE8-00000001"]["count"], 1);
  app->shot("opship-found-closed");
}

TEST(OpShip, UnknownCarrierAndBadValuesAreRefusedWithErrors) {
  auto app = start_opship();
  sign_in(*app);
  find(*app, kShipment);
  fill_form(*app, "Old Dominion", "2026-12-03", "10", "1", "", "2K4GH7QZ");
  // One field wrong at a time (the others valid), then put right again.
  struct Case {
    std::string field, bad, good, message;
  } cases[] = {
      {"carrier", "Acme Trucking", "Old Dominion", "Unknown carrier: Acme Trucking"},
      {"carrier", "", "Old Dominion", "Enter a carrier"},
      {"pickup_date", "12/03/2026", "2026-12-03", "Invalid pickup date: 12/03/2026 (use YYYY-MM-DD)"},
      {"pickup_date", "2026-02-30", "2026-12-03", "Invalid pickup date: 2026-02-30 (use YYYY-MM-DD)"},
      {"cartons", "ten", "10", "Invalid cartons: ten"},
      {"cartons", "0", "10", "Invalid cartons: 0"},
      {"pallets", "-1", "1", "Invalid pallets: -1"},
  };
  bool shot = false;
  for (const auto& c : cases) {
    fill(*app, c.field, c.bad);
    app->click("close");
    json m = app->wait_modal("Error");
    EXPECT_EQ(m["text"], c.message);
    if (!shot) app->shot("opship-unknown-carrier");
    shot = true;
    app->press("OK");
    fill(*app, c.field, c.good);
  }
  fill(*app, "pos", "2K4GH7QZ,SHORT");
  app->click("close");
  EXPECT_EQ(app->wait_modal("Error")["text"], "Invalid PO: SHORT");
  app->press("OK");
  json s = app->state();
  EXPECT_TRUE(s["closed"].empty());
  EXPECT_EQ(count_events(s, "refused", {{"id", kShipment}}), 8);
  EXPECT_EQ(count_events(s, "refused", {{"field", "carrier"}, {"value", "Acme Trucking"}}), 1);
  EXPECT_EQ(count_events(s, "close_confirmed"), 0);
  EXPECT_EQ(s["detail"]["status"], "Open");
}

TEST(OpShip, EditingTheIdHidesTheFormAndBadIdsAreRefused) {
  auto app = start_opship();
  sign_in(*app);
  find(*app, kShipment);
  app->click("id_input");
  app->x.type("X");
  app->wait_state([](const json& s) { return s["detail"].is_null(); }, "form hidden after an edit");
  app->click("id_input");
  app->x.key("End");
  for (int i = 0; i < 40; ++i) app->x.key("BackSpace");
  app->x.key("Return");
  EXPECT_EQ(app->wait_modal("Error")["text"], "Enter a shipment ID");
  app->press("OK");
  app->type_into("id_input", "bad_id!");
  app->x.key("Return");
  EXPECT_EQ(app->wait_modal("Error")["text"], "Invalid shipment ID: BAD_ID!");
  app->press("OK");
}

TEST(OpShip, LongListAtScaleHazardsAndUnexpectedModal) {
  // --rows: a list far longer than the screen; --scale 1.5 grows the window; the Warning modal comes once.
  auto app = start_opship({"--rows", "400", "--scale", "1.5", "--delay", "200:400", "--unexpected-modal",
                           "Printer not ready"});
  json s = app->state();
  EXPECT_EQ(s["rows"], 400);
  Rect w = app->window();
  EXPECT_EQ(w.w, 1350);
  EXPECT_EQ(w.h, 960);
  sign_in(*app);
  app->type_into("id_input", kShipment);
  app->x.key("Return");
  json m = app->wait_modal("Warning");
  EXPECT_EQ(m["text"], "Printer not ready");
  app->shot("opship-warning-150");
  app->press("Retry");
  s = app->wait_state([](const json& st) { return st["detail"].is_object(); }, "form after Retry");
  EXPECT_EQ(s["detail"]["id"], kShipment);
  EXPECT_EQ(count_events(s, "unexpected_modal"), 1);
  EXPECT_GE(count_events(s, "loading"), 2);
  for (const auto& e : s["events"])
    if (e["type"] == "loading") {
      EXPECT_GE(e["delay_ms"].get<int>(), 200);
      EXPECT_LE(e["delay_ms"].get<int>(), 400);
    }
  app->shot("opship-form-150");
}

TEST(OpShip, SessionExpiredInterruptsAndTheActionCarriesOn) {
  auto app = start_opship({"--session-expired", "1.0"});
  sign_in(*app);  // sign-in is not an action that expires
  app->type_into("id_input", kShipment);
  app->x.key("Return");
  json m = app->wait_modal("Session");
  EXPECT_EQ(m["text"], "Session expired");
  app->shot("opship-session");
  app->press("OK");
  json s = app->wait_state([](const json& st) { return st["detail"].is_object(); }, "form after Session OK");
  EXPECT_EQ(s["detail"]["id"], kShipment);
  EXPECT_EQ(count_events(s, "session_expired", {{"action", "find"}}), 1);
  EXPECT_EQ(count_events(s, "find"), 1);
}

TEST(OpShip, WrongPasswordIsRefusedAndSignOffReturnsToSignIn) {
  auto app = start_opship();
  apps_test::refused_then_signed_in(*app, "sign_in", "Invalid operator or password", "entry");
  find(*app, kShipment);
  apps_test::expect_signs_off(*app);  // File > Sign off
}

TEST(OpShip, BadShipmentsFileIsRefused) {
  std::string dir = temp_dir();
  std::ofstream(dir + "/bad.json") << R"([{"id":"DH-OK-0001"},{"id":"dh x","status":"Open"}])";
  AppProcess p(DOCKHAND_SIM_OPSHIP, {"--shipments", dir + "/bad.json", "--state", dir + "/s.json"}, dir + "/err.txt");
  auto rc = p.wait_exit(std::chrono::seconds(10));
  ASSERT_TRUE(rc.has_value());
  EXPECT_EQ(*rc, 2);
  std::ifstream err(dir + "/err.txt");
  std::string text(std::istreambuf_iterator<char>(err), {});
  EXPECT_NE(text.find("entry 1"), std::string::npos) << text;
  EXPECT_NE(text.find("\"id\""), std::string::npos) << text;
  EXPECT_FALSE(std::filesystem::exists(dir + "/s.json"));
}
