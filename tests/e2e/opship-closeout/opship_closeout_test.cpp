// End to end: `dockhand-agent run recordings/opship-closeout/script.json --var shipment_id=... --var carrier=...`
// against the real simulated OpShip (FLTK) under Xvfb, with OpShip's --state file as the witness of what
// really happened.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <regex>

#include "agent_run.h"
#include "app_session.h"

namespace {

using nlohmann::json;
using apps_test::AgentRun;
using apps_test::AppSession;
using apps_test::count_events;
using apps_test::describe;
namespace fs = std::filesystem;

constexpr const char* kTitle = "OpShip 4.2 - Shipping";
const std::string kScript = std::string(DOCKHAND_SOURCE_DIR) + "/recordings/opship-closeout/script.json";

// What Amazon says about one shipment: the script's variables.
struct Shipment {
  std::string id, carrier, pickup_date, cartons, pallets, reference, pos;
};

std::unique_ptr<AppSession> start_opship(std::vector<std::string> args) {
  return std::make_unique<AppSession>(DOCKHAND_SIM_OPSHIP, kTitle, std::move(args));
}

AgentRun closeout(AppSession& app, const Shipment& s) {
  return apps_test::run_agent(DOCKHAND_AGENT,
                              {"run", kScript, "--var", "shipment_id=" + s.id, "--var", "carrier=" + s.carrier,
                               "--var", "pickup_date=" + s.pickup_date, "--var", "cartons=" + s.cartons, "--var",
                               "pallets=" + s.pallets, "--var", "reference=" + s.reference, "--var", "pos=" + s.pos,
                               "--evidence", app.dir + "/evidence"},
                              app.dir);
}

json po_list(const std::string& pos) {
  json out = json::array();
  std::size_t start = 0;
  while (!pos.empty() && start <= pos.size()) {
    auto comma = pos.find(',', start);
    out.push_back(pos.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

// The run closed `s` exactly once with exactly Amazon's values, returned the BOL OpShip made, and the agent
// never clicked past a modal. `closed_total`: how many shipments OpShip has closed in all; `refused_before`:
// how many refusals earlier jobs in the same session caused.
void expect_closed_once(AppSession& app, const AgentRun& r, const Shipment& s, bool already_done,
                        std::size_t closed_total = 1, int refused_before = 0) {
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  ASSERT_TRUE(r.result.is_object()) << describe(r);
  EXPECT_EQ(r.result["status"], "ok") << describe(r);
  json st = app.state();
  ASSERT_TRUE(st["closed"].contains(s.id)) << st["closed"].dump();
  const json& c = st["closed"][s.id];
  EXPECT_EQ(c["count"], 1) << c.dump();
  EXPECT_EQ(count_events(st, "closed", {{"id", s.id}}), 1);
  EXPECT_EQ(c["carrier"], s.carrier);
  EXPECT_EQ(c["pickup_date"], s.pickup_date);
  EXPECT_EQ(c["cartons"], std::stoi(s.cartons));
  EXPECT_EQ(c["pallets"], std::stoi(s.pallets));
  EXPECT_EQ(c["reference"], s.reference);
  EXPECT_EQ(c["pos"], po_list(s.pos));
  EXPECT_EQ(st["closed"].size(), closed_total) << "another shipment was closed: " << st["closed"].dump();
  EXPECT_TRUE(std::regex_match(c["bol"].get<std::string>(), std::regex("BOL[0-9]{7}")));
  EXPECT_EQ(r.result["outputs"]["bol"], c["bol"]) << describe(r);
  EXPECT_EQ(r.result["outputs"]["already_done"], already_done ? "true" : "false") << describe(r);
  EXPECT_EQ(count_events(st, "click_outside_modal"), 0) << "the agent clicked past a modal";
  EXPECT_EQ(count_events(st, "refused"), refused_before) << "OpShip refused a value the agent typed";
}

// A shipment OpShip knows (built-in, Open): its form comes prefilled with the booking's POs and cartons,
// which the script must replace.
const Shipment kKnown = {"DH-9LMN4R8T-BFI4-9C0D1E2F", "Old Dominion", "2026-12-07", "150", "5", "48812003",
                         "9LMN4R8T,2K4GH7QZ"};

TEST(OpShipCloseout, ClosesOnceWithEveryHazardAndARerunChangesNothing) {
  const char* seed = getenv("DOCKHAND_E2E_SEED");
  auto app = start_opship({"--hazards", "--seed", seed ? seed : "20261201"});
  auto first = closeout(*app, kKnown);
  expect_closed_once(*app, first, kKnown, false);
  const json bol = first.result["outputs"]["bol"];
  json st = app->state();
  EXPECT_EQ(st["hazards"]["session_expired"], 0.1);
  EXPECT_EQ(st["rows"], 400);

  // Rerun: OpShip shows it Closed; the script reads the BOL back and changes nothing.
  auto again = closeout(*app, kKnown);
  expect_closed_once(*app, again, kKnown, true);
  EXPECT_EQ(again.result["outputs"]["bol"], bol);
  EXPECT_EQ(count_events(app->state(), "close_confirmed"), 1);
}

class OpShipCloseoutScale : public ::testing::TestWithParam<const char*> {};

// Every scale, with short load delays, frequent "Session expired" popups, a random position and a long list.
TEST_P(OpShipCloseoutScale, ClosesTheRightShipmentOnce) {
  auto app = start_opship({"--scale", GetParam(), "--delay", "50:400", "--session-expired", "0.25",
                           "--random-position", "--rows", "400", "--seed", "7"});
  // An ID OpShip has never seen (status New, empty form), no reference, no POs.
  const Shipment fresh = {"DH-7HXQ3M2P-ONT8-0F1E2D3C", "Estes Express Lines", "2026-12-09", "39", "2", "", ""};
  auto r = closeout(*app, fresh);
  expect_closed_once(*app, r, fresh, false);
  // A second shipment in the same session: the form still shows the first one when the script starts.
  auto r2 = closeout(*app, kKnown);
  expect_closed_once(*app, r2, kKnown, false, 2);
  EXPECT_NE(r2.result["outputs"]["bol"], r.result["outputs"]["bol"]);
  EXPECT_EQ(app->state()["closed"][fresh.id]["count"], 1);
}
INSTANTIATE_TEST_SUITE_P(Scales, OpShipCloseoutScale, ::testing::Values("1.0", "1.25", "1.5"),
                         [](const auto& info) { return std::string(info.param).replace(1, 1, "_"); });

// A clerk left OpShip signed in, on the shipment list: the script goes back to the entry screen by itself.
TEST(OpShipCloseout, StartsFromTheShipmentListWhenSignedInAlready) {
  auto app = start_opship({"--rows", "400", "--position", "30,30", "--seed", "9"});
  app->type_into("user", "dockhand");
  app->type_into("password", "dockhand");
  app->x.key("Return");
  app->wait_state([](const json& s) { return s["screen"] == "entry"; }, "signed in");
  apps_test::Rect w = app->window();
  app->x.click(w.x + 87, w.y + 13);  // the "Shipments" menu, then its second item, "Shipment list"
  app->x.key("Down");
  app->x.key("Down");
  app->x.key("Return");
  app->wait_state([](const json& s) { return s["screen"] == "list"; }, "the shipment list");
  auto r = closeout(*app, kKnown);
  expect_closed_once(*app, r, kKnown, false);
  json st = app->state();
  EXPECT_EQ(count_events(st, "login"), 1) << "signed in again";
  EXPECT_EQ(count_events(st, "navigate", {{"screen", "entry"}}), 1);
}

// A refused run ends as a business failure, with the screen that showed OpShip's error in its evidence, and
// leaves OpShip usable (the Error modal answered) for the next job.
void expect_business_failure(AppSession& app, const AgentRun& r, const std::string& reason_part) {
  ASSERT_EQ(r.exit_code, 1) << describe(r);
  EXPECT_EQ(r.result["status"], "failed");
  EXPECT_EQ(r.result["category"], "business") << describe(r);
  EXPECT_NE(r.result["reason"].get<std::string>().find(reason_part), std::string::npos) << describe(r);
  std::string ev = r.result["evidence"];
  EXPECT_TRUE(fs::exists(ev + "/screen.png")) << ev;
  EXPECT_TRUE(fs::exists(ev + "/result.json")) << ev;
  ASSERT_TRUE(fs::exists(ev + "/trigger.png")) << "no screenshot of OpShip's error in " << ev;
  EXPECT_GT(fs::file_size(ev + "/trigger.png"), 10'000u);
  json st = app.wait_state([](const json& s) { return s["modal"].is_null(); }, "the Error modal answered");
  EXPECT_EQ(count_events(st, "close_confirmed"), 0);
  EXPECT_TRUE(st["closed"].empty()) << st["closed"].dump();
}

TEST(OpShipCloseout, UnknownCarrierAndARefusedDateAreBusinessFailuresWithAScreenshot) {
  auto app = start_opship({"--delay", "50:300", "--seed", "3"});
  Shipment s = kKnown;
  s.carrier = "Acme Trucking Co";
  auto r = closeout(*app, s);
  expect_business_failure(*app, r, "Acme Trucking Co");
  EXPECT_EQ(count_events(app->state(), "refused", {{"field", "carrier"}, {"value", "Acme Trucking Co"}}), 1);

  s = kKnown;
  s.pickup_date = "2026-02-30";  // looks like a date, is not one
  r = closeout(*app, s);
  expect_business_failure(*app, r, "2026-02-30");
  EXPECT_EQ(count_events(app->state(), "refused", {{"field", "pickup_date"}, {"value", "2026-02-30"}}), 1);

  // OpShip is left usable: the next job closes the shipment with good values.
  auto next = closeout(*app, kKnown);
  expect_closed_once(*app, next, kKnown, false, 1, 2);
}

TEST(OpShipCloseout, UnexpectedModalIsAnApplicationFailureAndNothingIsClicked) {
  auto app = start_opship({"--unexpected-modal", "Printer LPT1 not ready", "--delay", "50:200", "--seed", "5"});
  auto r = closeout(*app, kKnown);
  ASSERT_EQ(r.exit_code, 1) << describe(r);
  EXPECT_EQ(r.result["category"], "application") << describe(r);
  std::string ev = r.result["evidence"];
  EXPECT_TRUE(fs::exists(ev + "/screen.png")) << ev;
  EXPECT_GT(fs::file_size(ev + "/screen.png"), 10'000u);
  json st = app->state();
  EXPECT_EQ(count_events(st, "unexpected_modal"), 1);
  EXPECT_EQ(count_events(st, "unexpected_modal_answer"), 0) << "the agent dismissed the modal";
  EXPECT_EQ(count_events(st, "click_outside_modal"), 0) << "the agent clicked past the modal";
  EXPECT_TRUE(st["closed"].empty());
  ASSERT_TRUE(st["modal"].is_object());
  EXPECT_EQ(st["modal"]["title"], "Warning");  // still up, untouched
}

// ---------- a dialog left up by a run that died ----------

// Drives OpShip like a person (XTest) to shipment `id`'s Confirm modal, with some values typed, and leaves it
// up, as an agent that died (VM reset, process killed) between its Close shipment and Yes clicks would.
void leave_confirm_up(AppSession& app, const std::string& id) {
  if (app.state()["screen"] == "login") {
    app.type_into("user", "dockhand");
    app.type_into("password", "dockhand");
    app.x.key("Return");
    app.wait_state([](const json& s) { return s["screen"] == "entry"; }, "signed in");
  }
  auto replace_text = [&](const std::string& field, const std::string& text) {  // a field may hold text already
    app.click(field);
    app.x.key("End");
    for (int i = 0; i < 40; ++i) app.x.key("BackSpace");
    app.x.type(text);
  };
  replace_text("id_input", id);
  app.x.key("Return");
  app.wait_state([&](const json& s) { return s["detail"].is_object() && s["detail"]["id"] == id; }, "form of " + id);
  replace_text("carrier", "ABF Freight");
  replace_text("pickup_date", "2026-12-01");
  replace_text("pallets", "9");
  app.click("close");
  json confirm = app.wait_modal("Confirm");
  ASSERT_EQ(confirm["text"], "Close shipment " + id + "?");
}

// A leftover Confirm is answered No, whichever shipment it is for, and the run then closes its shipment once,
// with Amazon's values (not the ones the dead run had typed).
TEST(OpShipCloseout, LeftoverConfirmIsAnsweredNoAndTheShipmentIsClosedOnce) {
  auto app = start_opship({"--delay", "50:200", "--seed", "8"});
  const std::string other = "DH-2K4GH7QZ-CLT2-1A2B3C4D";
  leave_confirm_up(*app, other);
  auto r = closeout(*app, kKnown);
  expect_closed_once(*app, r, kKnown, false);  // and the other one not closed
  json st = app->state();
  EXPECT_EQ(count_events(st, "close_cancelled", {{"id", other}}), 1);
  EXPECT_TRUE(st["modal"].is_null()) << st["modal"].dump();

  const Shipment mine = {"DH-7HXQ3M2P-BFI4-5E6F7A8B", "Saia LTL Freight", "2026-12-08", "44", "3", "5501", "7HXQ3M2P"};
  leave_confirm_up(*app, mine.id);
  auto r2 = closeout(*app, mine);
  expect_closed_once(*app, r2, mine, false, 2);
  EXPECT_EQ(count_events(app->state(), "close_cancelled", {{"id", mine.id}}), 1);
}

// The agent died after Yes: the Information modal is still up. The run acknowledges it, sees the shipment
// Closed and returns its BOL without closing it again.
TEST(OpShipCloseout, LeftoverInformationIsAcknowledgedAndNothingIsDoneTwice) {
  auto app = start_opship({"--delay", "50:200", "--seed", "9"});
  Shipment s = kKnown;
  s.carrier = "ABF Freight";  // what leave_confirm_up types
  s.pickup_date = "2026-12-01";
  s.pallets = "9";
  s.reference = "";
  leave_confirm_up(*app, s.id);
  json detail = app->state()["detail"];  // POs and cartons: the booking's, prefilled
  s.pos = detail["pos"];
  s.cartons = detail["cartons"];
  app->press("Yes");
  json info = app->wait_modal("Information");
  ASSERT_EQ(info["text"], "Shipment closed");
  auto r = closeout(*app, kKnown);
  json st = app->state();
  expect_closed_once(*app, r, s, true);
  EXPECT_EQ(r.result["outputs"]["bol"], info["field_value"]) << describe(r);
  EXPECT_TRUE(st["modal"].is_null());
}

}  // namespace
