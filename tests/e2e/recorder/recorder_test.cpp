// The recorder end to end under Xvfb: the test plays a person with XTest (pauses, pointer paths with intermediate
// points, a typo taken back with BackSpace) doing a close-out while `dockhand-agent record` watches. The person waits
// for the program the way a person looks at the screen (here: its state file); the recorder sees only the screen and
// the input. The recorded script then runs in a fresh session of the program, with other values, the window
// elsewhere and load delays on, and must close out those values (the state file says).
// gtest before Xlib (harness.h): Xlib's macros (None, Bool) break gtest's headers.
#include <gtest/gtest.h>

#include "agent_run.h"
#include "app_session.h"

#include <X11/Xlib.h>
#include <X11/extensions/XTest.h>
#include <X11/keysym.h>
#include <signal.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

namespace {

using apps_test::AgentRun;
using apps_test::AppSession;
using apps_test::describe;
using nlohmann::json;
namespace fs = std::filesystem;

// A person at the keyboard and mouse, through XTest: think time between actions, pointer paths, typing rhythm.
class Person {
 public:
  Person() : d_(XOpenDisplay(nullptr)), rng_(20261206) {
    if (!d_) throw std::runtime_error("no display");
  }
  ~Person() { XCloseDisplay(d_); }

  void pause(int lo = 250, int hi = 600) { sleep_ms(pick(lo, hi)); }
  // From wherever the pointer is to (x, y) along a slightly curved path, one motion event every ~12 ms.
  void move_to(int x, int y) {
    Window root, child;
    int rx, ry, wx, wy;
    unsigned mask;
    XQueryPointer(d_, DefaultRootWindow(d_), &root, &child, &rx, &ry, &wx, &wy, &mask);
    int steps = 8 + pick(0, 10);
    int bend = pick(-30, 30);
    for (int i = 1; i <= steps; ++i) {
      double t = double(i) / steps;
      int px = int(rx + (x - rx) * t + bend * std::sin(t * 3.14159));
      int py = int(ry + (y - ry) * t);
      if (i == steps) px = x, py = y;
      XTestFakeMotionEvent(d_, -1, px, py, CurrentTime);
      XFlush(d_);
      sleep_ms(pick(8, 16));
    }
  }
  void click(int x, int y) {
    move_to(x, y);
    pause(120, 300);
    XTestFakeButtonEvent(d_, 1, True, CurrentTime);
    XFlush(d_);
    sleep_ms(pick(50, 110));
    XTestFakeButtonEvent(d_, 1, False, CurrentTime);
    XFlush(d_);
  }
  // A widget of the program's window: somewhere near its middle (not the exact centre), or near its left end for
  // a text field (where the text cursor shows).
  void click_widget(const apps_test::Rect& win, const json& r, bool field = false) {
    int x = r[0].get<int>(), y = r[1].get<int>(), w = r[2].get<int>(), h = r[3].get<int>();
    int cx = field ? x + 18 + pick(0, 10) : x + w / 2 + pick(-w / 8, w / 8);
    click(win.x + cx, win.y + y + h / 2 + pick(-2, 2));
  }
  void key(KeySym sym, bool shift = false) {
    KeyCode code = XKeysymToKeycode(d_, sym);
    KeyCode sh = XKeysymToKeycode(d_, XK_Shift_L);
    if (shift) XTestFakeKeyEvent(d_, sh, True, CurrentTime);
    XTestFakeKeyEvent(d_, code, True, CurrentTime);
    XFlush(d_);
    sleep_ms(pick(30, 60));
    XTestFakeKeyEvent(d_, code, False, CurrentTime);
    if (shift) XTestFakeKeyEvent(d_, sh, False, CurrentTime);
    XFlush(d_);
  }
  void type(const std::string& text) {
    for (char c : text) {
      sleep_ms(pick(60, 150));
      KeySym sym = c == ' ' ? XK_space : c == '-' ? XK_minus : c == ',' ? XK_comma : KeySym(std::tolower(c));
      key(sym, std::isupper(static_cast<unsigned char>(c)) != 0);
    }
  }
  // Types `text` with one wrong character at `at`, noticed two characters later and taken back.
  void type_with_typo(const std::string& text, std::size_t at) {
    type(text.substr(0, at));
    type(text[at] == 'Z' ? "X" : "Z");
    type(text.substr(at + 1, 2));
    pause(200, 400);
    for (int i = 0; i < 3; ++i) key(XK_BackSpace);
    type(text.substr(at));
  }

 private:
  int pick(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  static void sleep_ms(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }
  Display* d_;
  std::mt19937 rng_;
};

// `dockhand-agent record` running in the background, until the person presses F12.
class Recorder {
 public:
  Recorder(const std::string& dir, const std::vector<std::string>& vars) : dir_(dir) {
    std::vector<std::string> args = {"record", "--out", dir + "/recording"};
    for (const auto& v : vars) args.insert(args.end(), {"--var", v});
    pid_ = apps_test::spawn_agent(DOCKHAND_AGENT, args, dir);
    bool ready = apps_test::wait_until(
        [&] { return apps_test::slurp(dir + "/agent.err").find("recording;") != std::string::npos; },
        std::chrono::seconds(60));
    if (!ready) throw std::runtime_error("the recorder never started: " + apps_test::slurp(dir + "/agent.err"));
  }
  ~Recorder() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      apps_test::finish_agent(pid_, dir_);
    }
  }
  AgentRun stop(Person& p) {
    p.pause(300, 500);
    p.key(XK_F12);
    AgentRun r = apps_test::finish_agent(pid_, dir_);
    pid_ = -1;
    return r;
  }
  std::string script() const { return dir_ + "/recording/script.json"; }

 private:
  std::string dir_;
  pid_t pid_ = -1;
};

json layout(AppSession& app, const std::string& name) { return app.state()["layout"][name]; }

// Both programs: the user and password fields, then the sign-in button (`button`, its layout name).
void sign_in(Person& p, AppSession& app, const apps_test::Rect& win, const std::string& button) {
  p.pause();
  p.click_widget(win, layout(app, "user"), true);
  p.type("dockhand");
  p.pause();
  p.click_widget(win, layout(app, "password"), true);
  p.type("dockhand");
  p.pause();
  p.click_widget(win, layout(app, button));
}

void press_modal_button(AppSession& app, Person& p, const std::string& title, const std::string& label) {
  json m = app.wait_modal(title);
  auto w = app.x.find_window(title);
  ASSERT_TRUE(w);
  auto r = app.x.window_rect(*w);
  for (const auto& b : m["buttons"])
    if (b["label"] == label) {
      p.click_widget(r, b["rect"]);
      app.wait_state([&](const json& s) { return !(s["modal"] == m); }, title + " closed after " + label);
      return;
    }
  FAIL() << "no button " << label << " on " << m.dump();
}

// What the recorded script says, for failure messages.
std::string script_text(const std::string& file) { return apps_test::slurp(file); }

// `typed`: what the person typed; the recorder's own output never repeats it (its log holds no keystrokes).
void expect_recorded_well(const AgentRun& rec, const std::string& file, const std::string& typed) {
  ASSERT_EQ(rec.exit_code, 0) << describe(rec);
  EXPECT_EQ(rec.err.find(typed), std::string::npos) << rec.err;
  EXPECT_EQ(rec.out.find(typed), std::string::npos) << rec.out;
  ASSERT_TRUE(fs::exists(file)) << describe(rec);
  auto v = apps_test::run_agent(DOCKHAND_AGENT, {"validate", file}, fs::path(file).parent_path().string());
  EXPECT_EQ(v.exit_code, 0) << describe(v) << script_text(file);
  json j = json::parse(script_text(file));
  EXPECT_TRUE(j["vars"].contains("password")) << j.dump(2);
  EXPECT_EQ(j["vars"]["password"]["secret"], true);
  // Readable template names, no two the same image.
  for (const auto& f : fs::directory_iterator(fs::path(file).parent_path() / "templates"))
    EXPECT_FALSE(std::isdigit(static_cast<unsigned char>(f.path().stem().string().back())) &&
                 f.path().stem().string().size() < 4)
        << f.path();
}

TEST(Recorder, ErpCloseout) {
  const std::string title = "Legacy ERP - Warehouse Management";
  std::string recording_dir;
  {
    auto app = std::make_unique<AppSession>(DOCKHAND_SIM_ERP, title,
                                            std::vector<std::string>{"--delay", "100:500", "--seed", "11"});
    recording_dir = apps_test::temp_dir();
    Person p;
    Recorder rec(recording_dir, {"po=7HXQ3M2P"});
    auto win = app->window();
    sign_in(p, *app, win, "login");
    app->wait_state([](const json& s) { return s["screen"] == "home" && !s["loading"].get<bool>(); }, "main menu");
    p.pause(400, 900);
    p.click_widget(win, layout(*app, "home_pretender"));
    app->wait_state([](const json& s) { return s["screen"] == "pretender"; }, "pre-tender screen");
    p.pause();
    p.click_widget(win, layout(*app, "po_input"), true);
    p.type_with_typo("7HXQ3M2P", 4);
    p.pause();
    p.click_widget(win, layout(*app, "search"));
    app->wait_state([](const json& s) { return s["detail"].is_object() && s["detail"]["po"] == "7HXQ3M2P"; },
                    "the PO's details");
    p.pause(500, 900);
    p.click_widget(win, layout(*app, "finalize"));
    press_modal_button(*app, p, "Confirm", "Yes");
    press_modal_button(*app, p, "Information", "OK");
    AgentRun r = rec.stop(p);
    expect_recorded_well(r, recording_dir + "/recording/script.json", "7HXQ3M2P");
    ASSERT_EQ(app->state()["finalized"]["7HXQ3M2P"]["count"], 1);
  }
  const std::string script = recording_dir + "/recording/script.json";
  json j = json::parse(script_text(script));
  EXPECT_NE(j.dump().find("${po}"), std::string::npos) << j.dump(2);
  EXPECT_EQ(j["vars"]["po"]["pattern"], "^[A-Z0-9]{8}$");

  // A fresh session: another PO, the window elsewhere, slow loads.
  auto app = std::make_unique<AppSession>(DOCKHAND_SIM_ERP, title,
                                          std::vector<std::string>{"--delay", "200:3000", "--position", "620,330",
                                                                   "--seed", "12"});
  auto run = apps_test::run_agent(DOCKHAND_AGENT,
                                  {"run", script, "--var", "po=2K4GH7QZ", "--var", "password=dockhand", "--evidence",
                                   app->dir + "/evidence"},
                                  app->dir);
  ASSERT_EQ(run.exit_code, 0) << describe(run) << "\n" << j.dump(2);
  json s = app->state();
  ASSERT_TRUE(s["finalized"].contains("2K4GH7QZ")) << s["finalized"].dump();
  EXPECT_EQ(s["finalized"]["2K4GH7QZ"]["count"], 1);
  EXPECT_EQ(s["finalized"].size(), 1u) << s["finalized"].dump();
  EXPECT_EQ(s["window"]["x"], 620);
}

TEST(Recorder, OpShipCloseout) {
  const std::string title = "OpShip 4.2 - Shipping";
  const std::string id = "DH-9LMN4R8T-BFI4-9C0D1E2F";
  std::string recording_dir;
  auto fill = [](Person& p, AppSession& app, const apps_test::Rect& win, const std::string& field,
                 const std::string& text) {
    p.click_widget(win, layout(app, field), true);
    p.key(XK_End);
    for (int i = 0; i < 20; ++i) p.key(XK_BackSpace);
    p.type(text);
    p.pause(200, 500);
  };
  {
    auto app = std::make_unique<AppSession>(DOCKHAND_SIM_OPSHIP, title,
                                            std::vector<std::string>{"--delay", "100:500", "--seed", "21"});
    recording_dir = apps_test::temp_dir();
    Person p;
    Recorder rec(recording_dir, {"shipment_id=" + id, "carrier=Old Dominion", "pickup_date=2026-12-07",
                                 "cartons=150", "pallets=5", "reference=48812003", "pos=9LMN4R8T,2K4GH7QZ"});
    auto win = app->window();
    sign_in(p, *app, win, "sign_in");
    app->wait_state([](const json& s) { return s["screen"] == "entry" && s["logged_in"] == true; }, "entry");
    p.pause(400, 900);
    p.click_widget(win, layout(*app, "id_input"), true);
    p.type_with_typo(id, 6);
    p.pause();
    p.key(XK_Return);
    app->wait_state([&](const json& s) { return s["detail"].is_object() && s["detail"]["id"] == id; }, "the form");
    p.pause(500, 900);
    fill(p, *app, win, "pos", "9LMN4R8T,2K4GH7QZ");
    fill(p, *app, win, "carrier", "Old Dominion");
    fill(p, *app, win, "pickup_date", "2026-12-07");
    fill(p, *app, win, "cartons", "150");
    fill(p, *app, win, "pallets", "5");
    fill(p, *app, win, "reference", "48812003");
    p.click_widget(win, layout(*app, "close"));
    press_modal_button(*app, p, "Confirm", "Yes");
    press_modal_button(*app, p, "Information", "OK");
    AgentRun r = rec.stop(p);
    expect_recorded_well(r, recording_dir + "/recording/script.json", "Old Dominion");
    ASSERT_EQ(app->state()["closed"][id]["count"], 1);
  }
  const std::string script = recording_dir + "/recording/script.json";
  json j = json::parse(script_text(script));

  const std::string other = "DH-7HXQ3M2P-ABE8-1A2B3C4D";
  auto app = std::make_unique<AppSession>(DOCKHAND_SIM_OPSHIP, title,
                                          std::vector<std::string>{"--delay", "200:3000", "--position", "700,300",
                                                                   "--seed", "22"});
  auto run = apps_test::run_agent(
      DOCKHAND_AGENT,
      {"run", script, "--var", "shipment_id=" + other, "--var", "carrier=Estes Express Lines", "--var",
       "pickup_date=2026-12-09", "--var", "cartons=42", "--var", "pallets=3", "--var", "reference=55501234", "--var",
       "pos=7HXQ3M2P,2K4GH7QZ", "--var", "password=dockhand", "--evidence", app->dir + "/evidence"},
      app->dir);
  ASSERT_EQ(run.exit_code, 0) << describe(run) << "\n" << j.dump(2);
  json s = app->state();
  ASSERT_TRUE(s["closed"].contains(other)) << s["closed"].dump();
  EXPECT_EQ(s["closed"][other]["count"], 1);
  EXPECT_EQ(s["closed"].size(), 1u) << s["closed"].dump();
  EXPECT_EQ(s["window"]["x"], 700);
}

// The X server dies while the person is still at work: what was recorded until then is written all the same (the
// cutting needs only the screens kept), and the exit status says the display went away.
TEST(Recorder, DisplayLostMidRecordingStillWritesWhatWasRecorded) {
  const char* xvfb = getenv("DOCKHAND_XVFB_PID");
  ASSERT_NE(xvfb, nullptr) << "run under scripts/with-xvfb.sh";
  std::string dir = apps_test::temp_dir(), state = dir + "/state.json";
  apps_test::AppProcess erp(DOCKHAND_SIM_ERP, {"--state", state, "--seed", "3"}, dir + "/erp.err");
  ASSERT_TRUE(apps_test::wait_until([&] {
    json s = apps_test::read_state(state);
    return apps_test::count_events(s, "start") > 0 && s.contains("layout");
  }));
  pid_t rec = apps_test::spawn_agent(DOCKHAND_AGENT, {"record", "--out", dir + "/recording"}, dir);
  ASSERT_TRUE(apps_test::wait_until(
      [&] { return apps_test::slurp(dir + "/agent.err").find("recording;") != std::string::npos; },
      std::chrono::seconds(60)))
      << apps_test::slurp(dir + "/agent.err");
  {
    Person p;  // its connection is closed before the server dies
    json s = apps_test::read_state(state);
    apps_test::Rect win{s["window"]["x"].get<int>(), s["window"]["y"].get<int>(), 0, 0};
    p.pause();
    p.click_widget(win, s["layout"]["user"], true);
    p.type("dockhand");
    p.pause();
    p.click_widget(win, s["layout"]["password"], true);
    p.type("dockhand");
    p.pause(600, 900);
  }
  kill(std::atoi(xvfb), SIGKILL);
  AgentRun r = apps_test::finish_agent(rec, dir);
  EXPECT_EQ(r.exit_code, 3) << describe(r);
  const std::string file = dir + "/recording/script.json";
  ASSERT_TRUE(fs::exists(file)) << describe(r);
  auto v = apps_test::run_agent(DOCKHAND_AGENT, {"validate", file}, dir);
  EXPECT_EQ(v.exit_code, 0) << describe(v) << script_text(file);
  json j = json::parse(script_text(file));
  EXPECT_EQ(j["vars"]["password"]["secret"], true) << j.dump(2);
  std::string all = j.dump();
  EXPECT_NE(all.find("${password}"), std::string::npos) << j.dump(2);
  fs::remove_all(dir);
}

}  // namespace
