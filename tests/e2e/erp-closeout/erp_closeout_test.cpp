// End to end: `dockhand-agent run recordings/erp-closeout/script.json --var po=...` against the real
// simulated ERP (FLTK) under Xvfb, with the ERP's --state file as the witness of what really happened.
// gtest before Xlib (harness.h): Xlib's macros (None, Bool) break gtest's headers.
#include <gtest/gtest.h>

#include "agent_run.h"
#include "app_session.h"
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace {

using nlohmann::json;
using apps_test::AppSession;
using apps_test::count_events;
namespace fs = std::filesystem;

constexpr const char* kTitle = "Legacy ERP - Warehouse Management";
const std::string kScript = std::string(DOCKHAND_SOURCE_DIR) + "/recordings/erp-closeout/script.json";
const std::string kFixtures = std::string(DOCKHAND_SOURCE_DIR) + "/tests/e2e/erp-closeout/fixtures";

using apps_test::AgentRun;
using apps_test::describe;
using apps_test::finish_agent;
using apps_test::slurp;

// dockhand-agent with `args` (no shell: values reach it byte for byte); see agent_run.h for `env`.
pid_t spawn_agent(const std::vector<std::string>& args, const std::string& dir,
                  const std::vector<std::string>& env = {}) {
  return apps_test::spawn_agent(DOCKHAND_AGENT, args, dir, env);
}

AgentRun run_agent(const std::vector<std::string>& args, const std::string& dir,
                   const std::vector<std::string>& env = {}) {
  return apps_test::run_agent(DOCKHAND_AGENT, args, dir, env);
}

AgentRun closeout(AppSession& app, const std::string& po) {
  return run_agent({"run", kScript, "--var", "po=" + po, "--evidence", app.dir + "/evidence"}, app.dir);
}

std::unique_ptr<AppSession> start_erp(std::vector<std::string> args) {
  return std::make_unique<AppSession>(DOCKHAND_SIM_ERP, kTitle, std::move(args));
}

int finalized_events(const json& state, const std::string& po) { return count_events(state, "finalized", {{"po", po}}); }

// The run finalized `po` once, returned the reference the ERP made, and finalized nothing else.
void expect_finalized_once(AppSession& app, const AgentRun& r, const std::string& po, bool already_done) {
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  ASSERT_TRUE(r.result.is_object()) << describe(r);
  EXPECT_EQ(r.result["status"], "ok") << describe(r);
  json s = app.state();
  ASSERT_TRUE(s["finalized"].contains(po)) << s["finalized"].dump();
  EXPECT_EQ(s["finalized"][po]["count"], 1) << s["finalized"].dump();
  EXPECT_EQ(finalized_events(s, po), 1);
  EXPECT_EQ(s["finalized"].size(), 1u) << "another PO was finalized: " << s["finalized"].dump();
  EXPECT_EQ(r.result["outputs"]["reference"], s["finalized"][po]["reference"]) << describe(r);
  EXPECT_EQ(r.result["outputs"]["already_done"], already_done ? "true" : "false") << describe(r);
  EXPECT_EQ(count_events(s, "click_outside_modal"), 0) << "the agent clicked past a modal";
}

// ---------- the close-out script against the ERP ----------

TEST(ErpCloseout, FinalizesOnceWithEveryHazardAndARerunChangesNothing) {
  const char* seed = getenv("DOCKHAND_E2E_SEED");
  auto app = start_erp({"--hazards", "--seed", seed ? seed : "20261201"});
  const std::string po = "9LMN4R8T";
  auto first = closeout(*app, po);
  expect_finalized_once(*app, first, po, false);
  auto ref = first.result["outputs"]["reference"];
  EXPECT_EQ(app->state()["hazards"]["session_expired"], 0.1);
  EXPECT_EQ(app->state()["rows"], 400);

  auto again = closeout(*app, po);
  expect_finalized_once(*app, again, po, true);
  EXPECT_EQ(again.result["outputs"]["reference"], ref);
}

class ErpCloseoutScale : public ::testing::TestWithParam<const char*> {};

// Every scale, with short load delays, frequent "Session expired" popups, a random position and a long list.
TEST_P(ErpCloseoutScale, FinalizesTheRightPoOnce) {
  auto app = start_erp({"--scale", GetParam(), "--delay", "50:400", "--session-expired", "0.25",
                        "--random-position", "--rows", "400", "--seed", "7"});
  const std::string po = "7HXQ3M2P";
  auto r = closeout(*app, po);
  expect_finalized_once(*app, r, po, false);
  // A second PO in the same session: the detail panel still shows the first one when the search starts.
  auto r2 = closeout(*app, "2K4GH7QZ");
  ASSERT_EQ(r2.exit_code, 0) << describe(r2);
  json s = app->state();
  EXPECT_EQ(s["finalized"]["2K4GH7QZ"]["count"], 1);
  EXPECT_EQ(s["finalized"][po]["count"], 1);
  EXPECT_EQ(r2.result["outputs"]["reference"], s["finalized"]["2K4GH7QZ"]["reference"]);
  EXPECT_NE(r2.result["outputs"]["reference"], r.result["outputs"]["reference"]);
}
INSTANTIATE_TEST_SUITE_P(Scales, ErpCloseoutScale, ::testing::Values("1.0", "1.25", "1.5"),
                         [](const auto& info) { return std::string(info.param).replace(1, 1, "_"); });

// Idempotent from wherever a person left the ERP: signed in on the main menu, or on the order list.
TEST(ErpCloseout, StartsFromTheScreenTheErpShows) {
  auto app = start_erp({"--delay", "50:200", "--seed", "4"});
  app->type_into("user", "dockhand");
  app->type_into("password", "dockhand");
  app->click("login");
  app->wait_state([](const json& s) { return s["screen"] == "home"; }, "main menu");
  auto r = closeout(*app, "7HXQ3M2P");
  expect_finalized_once(*app, r, "7HXQ3M2P", false);

  auto win = app->window();
  app->x.click(win.x + 74, win.y + 13);  // menu Orders > Order list
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  app->x.key("Down");
  app->x.key("Return");
  app->wait_state([](const json& s) { return s["screen"] == "orders"; }, "order list");
  auto r2 = closeout(*app, "2K4GH7QZ");
  ASSERT_EQ(r2.exit_code, 0) << describe(r2);
  json s = app->state();
  EXPECT_EQ(s["finalized"]["2K4GH7QZ"]["count"], 1);
  EXPECT_EQ(s["finalized"]["7HXQ3M2P"]["count"], 1);
  EXPECT_EQ(r2.result["outputs"]["reference"], s["finalized"]["2K4GH7QZ"]["reference"]);
  EXPECT_EQ(count_events(s, "click_outside_modal"), 0);
}

TEST(ErpCloseout, UnknownPoIsABusinessFailureWithAScreenshot) {
  auto app = start_erp({"--delay", "50:300", "--seed", "3"});
  auto r = closeout(*app, "ZZZZ9999");
  ASSERT_EQ(r.exit_code, 1) << describe(r);
  EXPECT_EQ(r.result["status"], "failed");
  EXPECT_EQ(r.result["category"], "business") << describe(r);
  EXPECT_NE(r.result["reason"].get<std::string>().find("ZZZZ9999"), std::string::npos) << describe(r);
  std::string ev = r.result["evidence"];
  EXPECT_TRUE(fs::exists(ev + "/screen.png")) << ev;
  EXPECT_TRUE(fs::exists(ev + "/result.json")) << ev;
  EXPECT_GT(fs::file_size(ev + "/screen.png"), 10'000u);
  json s = app->state();
  EXPECT_EQ(count_events(s, "not_found", {{"po", "ZZZZ9999"}}), 1);
  EXPECT_TRUE(s["finalized"].empty());
  // The ERP is left usable: the next job closes a real PO.
  auto next = closeout(*app, "2K4GH7QZ");
  expect_finalized_once(*app, next, "2K4GH7QZ", false);
}

TEST(ErpCloseout, UnexpectedModalIsAnApplicationFailureAndNothingIsClicked) {
  auto app = start_erp({"--unexpected-modal", "Database connection lost", "--delay", "50:200", "--seed", "5"});
  auto r = closeout(*app, "2K4GH7QZ");
  ASSERT_EQ(r.exit_code, 1) << describe(r);
  EXPECT_EQ(r.result["category"], "application") << describe(r);
  std::string ev = r.result["evidence"];
  EXPECT_TRUE(fs::exists(ev + "/screen.png")) << ev;
  json s = app->state();
  EXPECT_EQ(count_events(s, "unexpected_modal"), 1);
  EXPECT_EQ(count_events(s, "unexpected_modal_answer"), 0) << "the agent dismissed the modal";
  EXPECT_EQ(count_events(s, "click_outside_modal"), 0) << "the agent clicked past the modal";
  EXPECT_TRUE(s["finalized"].empty());
  ASSERT_TRUE(s["modal"].is_object());
  EXPECT_EQ(s["modal"]["title"], "Warning");  // still up, untouched
}

// ---------- a dialog left up by a run that died ----------

// Drives the ERP like a person (XTest) to PO `po`'s Confirm modal and leaves it up, as an agent that died
// (VM reset, process killed) between its Finalize and Yes clicks would.
void leave_confirm_up(AppSession& app, const std::string& po) {
  if (app.state()["screen"] == "login") {
    app.type_into("user", "dockhand");
    app.type_into("password", "dockhand");
    app.click("login");
    app.wait_state([](const json& s) { return s["screen"] == "home"; }, "main menu");
    app.click("home_pretender");
    app.wait_state([](const json& s) { return s["screen"] == "pretender"; }, "pre-tender screen");
  }
  app.click("po_input");  // it may hold the PO of the run before
  app.x.key("End");
  for (int i = 0; i < 12; ++i) app.x.key("BackSpace");
  app.x.type(po);
  app.x.key("Return");
  app.wait_state([&](const json& s) { return s["detail"].is_object() && s["detail"]["po"] == po; }, "PO " + po);
  app.click("finalize");
  json confirm = app.wait_modal("Confirm");
  ASSERT_EQ(confirm["text"], "Finalize pre-tender for PO " + po + "?");
}

// A leftover Confirm is answered No, whichever PO it is for, and the run then finalizes its PO once.
TEST(ErpCloseout, LeftoverConfirmIsAnsweredNoAndThePoIsFinalizedOnce) {
  auto app = start_erp({"--delay", "50:200", "--seed", "8"});
  leave_confirm_up(*app, "2K4GH7QZ");  // another PO's
  auto r = closeout(*app, "7HXQ3M2P");
  expect_finalized_once(*app, r, "7HXQ3M2P", false);  // and 2K4GH7QZ not finalized
  json s = app->state();
  EXPECT_EQ(count_events(s, "finalize_cancelled", {{"po", "2K4GH7QZ"}}), 1);
  EXPECT_TRUE(s["modal"].is_null()) << s["modal"].dump();

  leave_confirm_up(*app, "9LMN4R8T");  // this PO's
  auto r2 = closeout(*app, "9LMN4R8T");
  ASSERT_EQ(r2.exit_code, 0) << describe(r2);
  s = app->state();
  EXPECT_EQ(count_events(s, "finalize_cancelled", {{"po", "9LMN4R8T"}}), 1);
  EXPECT_EQ(s["finalized"]["9LMN4R8T"]["count"], 1) << s["finalized"].dump();
  EXPECT_EQ(finalized_events(s, "9LMN4R8T"), 1);
  EXPECT_EQ(s["finalized"].size(), 2u) << s["finalized"].dump();
  EXPECT_EQ(r2.result["outputs"]["reference"], s["finalized"]["9LMN4R8T"]["reference"]) << describe(r2);
  EXPECT_EQ(r2.result["outputs"]["already_done"], "false") << describe(r2);
  EXPECT_EQ(count_events(s, "click_outside_modal"), 0) << "the agent clicked past a modal";
}

// The agent died after Yes: the Information modal is still up. The run acknowledges it, sees the PO
// Finalized and returns its reference without finalizing it again.
TEST(ErpCloseout, LeftoverInformationIsAcknowledgedAndNothingIsDoneTwice) {
  auto app = start_erp({"--delay", "50:200", "--seed", "9"});
  const std::string po = "7HXQ3M2P";
  leave_confirm_up(*app, po);
  app->press("Yes");
  json info = app->wait_modal("Information");
  ASSERT_EQ(info["text"], "Pre-tender finalized");
  auto r = closeout(*app, po);
  expect_finalized_once(*app, r, po, true);
  EXPECT_EQ(r.result["outputs"]["reference"], info["field_value"]) << describe(r);
  EXPECT_TRUE(app->state()["modal"].is_null());
}

// ---------- literal typing, in a real input field ----------

// The fixture types ${value} into the ERP's User field and logs in with a wrong password; the ERP logs the
// user name it got (login_failed.user), character for character.
TEST(AgentTyping, VariableValuesAreTypedLiterally) {
  auto app = start_erp({"--seed", "1"});
  const std::vector<std::string> values = {"{ENTER}", "\\n", "%s", "${other}", "a{TAB}b%d\\t$x"};
  for (std::size_t i = 0; i < values.size(); ++i) {
    auto r = run_agent({"run", kFixtures + "/type-literal.json", "--var", "value=" + values[i], "--var",
                        "other=EXPANDED", "--evidence", app->dir + "/evidence"},
                       app->dir);
    ASSERT_EQ(r.exit_code, 0) << values[i] << "\n" << describe(r);
    json s = app->wait_state([&](const json& st) { return count_events(st, "login_failed") == int(i) + 1; },
                             "login_failed #" + std::to_string(i + 1));
    const json& events = s["events"];
    std::string typed;
    for (const auto& e : events)
      if (e["type"] == "login_failed") typed = e.value("user", "");
    EXPECT_EQ(typed, values[i]);
  }
  EXPECT_EQ(count_events(app->state(), "login"), 0);
}

// ---------- the display goes away ----------

TEST(AgentDisplay, NoDisplayIsAClearErrorNotACrash) {
  std::string dir = apps_test::temp_dir();
  auto r = run_agent({"run", kScript, "--var", "po=2K4GH7QZ", "--evidence", dir + "/evidence"}, dir,
                     {"DISPLAY=:987"});
  EXPECT_EQ(r.exit_code, 3) << describe(r);
  ASSERT_TRUE(r.result.is_object()) << describe(r);
  EXPECT_EQ(r.result["status"], "failed");
  EXPECT_EQ(r.result["desktop_lost"], true);
  EXPECT_NE(r.result["reason"].get<std::string>().find(":987"), std::string::npos) << describe(r);
  fs::remove_all(dir);
}

// Run under scripts/with-xvfb.sh: kills that Xvfb (DOCKHAND_XVFB_PID) while the agent is waiting for the ERP.
// The test itself holds no X connection (Xlib would exit the test process when its server dies).
TEST(AgentDisplay, XServerKilledMidRunIsAClearErrorNotACrash) {
  const char* xvfb = getenv("DOCKHAND_XVFB_PID");
  ASSERT_NE(xvfb, nullptr) << "run under scripts/with-xvfb.sh";
  std::string dir = apps_test::temp_dir(), state = dir + "/state.json";
  // A 4 s login load keeps the agent waiting for the home screen when the server dies.
  apps_test::AppProcess erp(DOCKHAND_SIM_ERP, {"--state", state, "--delay", "4000:4000", "--seed", "2"},
                            dir + "/erp.err");
  ASSERT_TRUE(apps_test::wait_until([&] { return count_events(apps_test::read_state(state), "start") > 0; }));
  pid_t agent = spawn_agent({"run", kScript, "--var", "po=2K4GH7QZ", "--evidence", dir + "/evidence"}, dir);
  ASSERT_TRUE(apps_test::wait_until([&] { return count_events(apps_test::read_state(state), "loading") > 0; },
                                    std::chrono::seconds(30)))
      << "the agent never logged in: " << slurp(dir + "/agent.err");
  kill(std::atoi(xvfb), SIGKILL);
  auto r = finish_agent(agent, dir);
  EXPECT_EQ(r.exit_code, 3) << describe(r);
  ASSERT_TRUE(r.result.is_object()) << describe(r);
  EXPECT_EQ(r.result["status"], "failed");
  EXPECT_EQ(r.result["category"], "application");
  EXPECT_EQ(r.result["desktop_lost"], true);
  EXPECT_FALSE(r.result["reason"].get<std::string>().empty());
  fs::remove_all(dir);
}

}  // namespace
