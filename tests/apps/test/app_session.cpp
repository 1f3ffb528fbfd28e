// gtest before Xlib (harness.h): Xlib's macros (None, Bool) break gtest's headers.
#include <gtest/gtest.h>

#include "app_session.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace apps_test {

using nlohmann::json;

AppSession::AppSession(const std::string& exe, const std::string& title_, std::vector<std::string> args,
                       const std::string& state)
    : dir(temp_dir()), state_path(state.empty() ? dir + "/state.json" : state), title(title_) {
  args.insert(args.begin(), {"--state", state_path});
  proc = std::make_unique<AppProcess>(exe, args, dir + "/stderr.txt");
  wait_state([](const json& s) { return count_events(s, "start") > 0 && s.contains("layout"); }, "start event");
  if (!wait_until([&] { return x.find_window(title).has_value(); }))
    throw std::runtime_error("window '" + title + "' never appeared");
  std::this_thread::sleep_for(std::chrono::milliseconds(150));  // first expose drawn
}

AppSession::~AppSession() {
  proc.reset();
  if (!getenv("DOCKHAND_APPS_KEEP")) std::filesystem::remove_all(dir);
}

json AppSession::wait_state(const std::function<bool(const json&)>& pred, const std::string& what,
                            std::chrono::milliseconds timeout) {
  json last;
  if (wait_until([&] {
        last = state();
        return !last.is_null() && pred(last);
      }, timeout))
    return last;
  std::ostringstream msg;
  msg << "timed out waiting for " << what << "; last events:";
  if (last.is_object())
    for (std::size_t i = last["events"].size() > 8 ? last["events"].size() - 8 : 0; i < last["events"].size(); ++i)
      msg << "\n  " << last["events"][i].dump();
  std::ifstream err(dir + "/stderr.txt");
  msg << "\nstderr: " << std::string(std::istreambuf_iterator<char>(err), {});
  throw std::runtime_error(msg.str());
}

Rect AppSession::window() {
  auto w = x.find_window(title);
  if (!w) throw std::runtime_error("window '" + title + "' is gone");
  return x.window_rect(*w);
}

void AppSession::click(const std::string& name) {
  auto s = state();
  if (!s["layout"].contains(name)) throw std::runtime_error("no widget '" + name + "' in the layout");
  auto r = s["layout"][name];
  Rect win = window();
  x.click(win.x + r[0].get<int>() + r[2].get<int>() / 2, win.y + r[1].get<int>() + r[3].get<int>() / 2);
}

void AppSession::type_into(const std::string& name, const std::string& text) {
  click(name);
  x.type(text);
}

void AppSession::menu(int menu_x, int item) {
  Rect w = window();
  x.click(w.x + menu_x, w.y + 13);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the menu opens
  for (int i = 0; i < item; ++i) x.key("Down");
  x.key("Return");
}

json AppSession::wait_modal(const std::string& modal_title) {
  json s = wait_state([&](const json& st) { return st["modal"].is_object() && st["modal"]["title"] == modal_title; },
                      "modal '" + modal_title + "'");
  if (!wait_until([&] { return x.find_window(modal_title).has_value(); }))
    throw std::runtime_error("modal window '" + modal_title + "' is in the state but not on screen");
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  return s["modal"];
}

void AppSession::press(const std::string& button) {
  json m = state()["modal"];
  if (!m.is_object()) throw std::runtime_error("no modal is up to press '" + button + "' on");
  auto w = x.find_window(m["title"].get<std::string>());
  if (!w) throw std::runtime_error("modal window '" + m["title"].get<std::string>() + "' not on screen");
  Rect r = x.window_rect(*w);
  for (const auto& b : m["buttons"])
    if (b["label"] == button) {
      auto br = b["rect"];
      const int before = state()["version"].get<int>();
      x.click(r.x + br[0].get<int>() + br[2].get<int>() / 2, r.y + br[1].get<int>() + br[3].get<int>() / 2);
      wait_state([&](const json& st) { return st["version"].get<int>() > before && !(st["modal"] == m); },
                 "modal '" + m["title"].get<std::string>() + "' to close after pressing " + button);
      return;
    }
  throw std::runtime_error("modal '" + m["title"].get<std::string>() + "' has no button '" + button + "'");
}

void AppSession::shot(const std::string& name) {
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  Rect r = window();
  Rect s = x.screen();
  r.w = std::min(r.w, s.w - r.x);
  r.h = std::min(r.h, s.h - r.y);
  x.save_png(shots_dir() + "/" + name + ".png", r);
}

void refused_then_signed_in(AppSession& app, const std::string& button, const std::string& error_text,
                            const std::string& first_screen) {
  app.type_into("user", "dockhand");
  app.type_into("password", "letmein");
  app.click(button);
  json m = app.wait_modal("Error");
  EXPECT_EQ(m["text"], error_text);
  app.press("OK");
  json s = app.state();
  EXPECT_EQ(s["logged_in"], false);
  EXPECT_EQ(s["screen"], "login");
  EXPECT_EQ(count_events(s, "login_failed", {{"user", "dockhand"}}), 1);
  EXPECT_EQ(s["modal"], nullptr);

  app.type_into("password", "dockhand");
  app.click(button);
  s = app.wait_state([&](const json& st) { return st["screen"] == first_screen && st["logged_in"] == true; },
                     "signed in: " + first_screen);
  EXPECT_EQ(s["user"], "dockhand");
}

void expect_signs_off(AppSession& app) {
  app.menu(20, 1);  // File > Log out / Sign off
  json s = app.wait_state([](const json& st) { return st["screen"] == "login"; }, "sign-in screen after signing off");
  EXPECT_EQ(s["logged_in"], false);
  EXPECT_EQ(s["user"], nullptr);
  EXPECT_EQ(s["detail"], nullptr);
  EXPECT_EQ(count_events(s, "login"), 1);
  EXPECT_EQ(count_events(s, "logout"), 1);
  EXPECT_EQ(s["events"].back()["type"], "logout");
}

}  // namespace apps_test
