// The simulated ERP, driven through its real window under Xvfb; its state file says what happened.
#include <gtest/gtest.h>

#include <regex>
#include <thread>

#include "app_session.h"

using namespace apps_test;
using nlohmann::json;

namespace {

const char* kErpTitle = "Legacy ERP - Warehouse Management";

std::unique_ptr<AppSession> start_erp(std::vector<std::string> args = {}, const std::string& state = "") {
  args.insert(args.end(), {"--position", "20,20"});
  return std::make_unique<AppSession>(DOCKHAND_SIM_ERP, kErpTitle, args, state);
}

void log_in(AppSession& app) {
  app.type_into("user", "dockhand");
  app.type_into("password", "dockhand");
  app.click("login");
  app.wait_state([](const json& s) { return s["screen"] == "home" && s["logged_in"] == true; }, "home screen");
}

void open_pretender(AppSession& app) {
  app.click("home_pretender");
  app.wait_state([](const json& s) { return s["screen"] == "pretender"; }, "pre-tender screen");
}

json search(AppSession& app, const std::string& po) {
  app.type_into("po_input", po);
  app.x.key("Return");
  return app.wait_state([&](const json& s) { return s["detail"].is_object() && s["detail"]["po"] == po; },
                        "detail of " + po);
}

// Finalize the PO on screen: Confirm -> Yes -> Information with the reference -> OK. Returns the reference.
std::string finalize(AppSession& app, const std::string& po, const std::string& shot_prefix = "") {
  app.click("finalize");
  json confirm = app.wait_modal("Confirm");
  EXPECT_EQ(confirm["text"], "Finalize pre-tender for PO " + po + "?");
  if (!shot_prefix.empty()) app.shot(shot_prefix + "-confirm");
  app.press("Yes");
  json info = app.wait_modal("Information");
  EXPECT_EQ(info["text"], "Pre-tender finalized");
  EXPECT_EQ(info["field_label"], "Reference:");
  if (!shot_prefix.empty()) app.shot(shot_prefix + "-finalized");
  std::string ref = info["field_value"];
  app.press("OK");
  return ref;
}

}  // namespace

TEST(Erp, LogInSearchFinalizeWritesTheReferenceOnce) {
  auto app = start_erp({"--seed", "11"});
  app->shot("erp-login");
  log_in(*app);
  app->shot("erp-home");
  open_pretender(*app);
  json s = search(*app, "2K4GH7QZ");
  EXPECT_EQ(s["detail"]["status"], "Open");
  EXPECT_EQ(s["detail"]["destination"], "CLT2");
  EXPECT_EQ(s["detail"]["reference"], "");
  app->shot("erp-search");

  std::string ref = finalize(*app, "2K4GH7QZ", "erp");
  EXPECT_TRUE(std::regex_match(ref, std::regex("PT-[0-9]{6}"))) << ref;

  s = app->wait_state([](const json& st) { return st["modal"].is_null(); }, "modal closed");
  ASSERT_TRUE(s["finalized"].contains("2K4GH7QZ"));
  EXPECT_EQ(s["finalized"]["2K4GH7QZ"]["reference"], ref);
  EXPECT_EQ(s["finalized"]["2K4GH7QZ"]["count"], 1);
  EXPECT_EQ(s["finalized"].size(), 1u);
  EXPECT_EQ(count_events(s, "finalized"), 1);
  EXPECT_EQ(s["detail"]["status"], "Finalized");
  EXPECT_EQ(s["detail"]["reference"], ref);
  EXPECT_EQ(s["searches"], 1);
  EXPECT_EQ(count_events(s, "click_outside_modal"), 0);
  app->shot("erp-after-finalize");

  // Versions only go up, one per write.
  int last = 0;
  for (const auto& e : s["events"]) {
    EXPECT_GT(e["seq"].get<int>(), last);
    last = e["seq"].get<int>();
  }
  EXPECT_GE(s["version"].get<int>(), static_cast<int>(s["events"].size()));
}

TEST(Erp, UnknownPoShowsPoNotFound) {
  auto app = start_erp();
  log_in(*app);
  open_pretender(*app);
  app->type_into("po_input", "ZZZZ9999");
  app->x.key("Return");
  json m = app->wait_modal("Error");
  EXPECT_EQ(m["text"], "PO not found: ZZZZ9999");
  ASSERT_EQ(m["buttons"].size(), 1u);
  EXPECT_EQ(m["buttons"][0]["label"], "OK");
  app->shot("erp-not-found");
  app->press("OK");
  json s = app->state();
  EXPECT_EQ(count_events(s, "not_found", {{"po", "ZZZZ9999"}}), 1);
  EXPECT_TRUE(s["finalized"].empty());
  EXPECT_TRUE(s["detail"].is_null());
}

TEST(Erp, WrongPasswordIsRefused) {
  auto app = start_erp();
  apps_test::refused_then_signed_in(*app, "login", "Invalid user or password", "home");
  open_pretender(*app);
  search(*app, "2K4GH7QZ");
  apps_test::expect_signs_off(*app);  // File > Log out
}
