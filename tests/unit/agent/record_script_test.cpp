// The recorder's events -> intents -> script.json seams, without a display: made-up event streams and synthetic
// screens. A password typed while recording appears nowhere in what is written.
#include "agent/record/script_writer.h"

#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

using namespace dockhand::agent::record;
using dockhand::drivers::InputEvent;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

Clock::time_point t0 = Clock::now();
Clock::time_point at_ms(int ms) { return t0 + std::chrono::milliseconds(ms); }

InputEvent key(int ms, const std::string& k, const std::string& text = "", bool ctrl = false) {
  InputEvent e;
  e.kind = InputEvent::Kind::KeyDown;
  e.time = at_ms(ms);
  e.key = k;
  e.text = text;
  e.ctrl = ctrl;
  return e;
}
InputEvent button(int ms, bool down, int x, int y, int b = 1) {
  InputEvent e;
  e.kind = down ? InputEvent::Kind::ButtonDown : InputEvent::Kind::ButtonUp;
  e.time = at_ms(ms);
  e.at = {x, y};
  e.button = b;
  return e;
}
void click(IntentBuilder& ib, int ms, int x, int y, std::shared_ptr<const Snapshot> s = nullptr) {
  ib.feed(button(ms, true, x, y), s);
  ib.feed(button(ms + 60, false, x, y));
}
void type(IntentBuilder& ib, int ms, const std::string& s) {
  for (char c : s) ib.feed(key(ms += 90, std::string(1, c), std::string(1, c)));
}

TEST(RecordIntents, TypingIsGroupedATypoIsTakenBackAndKeysAreChords) {
  IntentBuilder ib;
  click(ib, 0, 100, 100);
  type(ib, 200, "2K4GX");
  ib.feed(key(800, "BackSpace"));
  type(ib, 900, "H7QZ");
  ib.feed(key(1500, "Tab"));
  ib.feed(key(1600, "Tab"));
  ib.feed(key(1700, "s", "", true));
  ib.feed(key(1800, "Shift_L"));
  click(ib, 2000, 300, 300);
  click(ib, 2200, 301, 300);  // soon and near: a double click
  click(ib, 3000, 300, 300);
  ib.feed(key(3500, "F12"));
  type(ib, 3600, "after the stop");
  EXPECT_TRUE(ib.stopped());
  auto in = ib.finish();
  ASSERT_EQ(in.size(), 6u);
  EXPECT_EQ(in[0].kind, Intent::Kind::Click);
  EXPECT_EQ(in[1].kind, Intent::Kind::Type);
  EXPECT_EQ(in[1].text, "2K4GH7QZ");
  EXPECT_TRUE(in[1].into_clicked_field);
  EXPECT_EQ(in[2].chord, "Tab");
  EXPECT_EQ(in[2].repeat, 2);
  EXPECT_EQ(in[3].chord, "ctrl+s");
  EXPECT_EQ(in[4].count, 2);
  EXPECT_EQ(in[5].count, 1);
}

TEST(RecordIntents, TheSecretKeyMarksTextSecretAndADragIsRecordedAsADrag) {
  IntentOptions o;
  o.secret_key = "F11";
  IntentBuilder ib(o);
  ib.feed(key(0, "F11"));
  type(ib, 100, "s3cret");
  ib.feed(key(800, "F11"));
  type(ib, 900, "plain");
  ib.feed(button(2000, true, 10, 10));
  ib.feed(button(2300, false, 200, 10));
  click(ib, 2400, 200, 10);  // right after the drag, where it was released: a click, not a double click
  ib.feed(button(3000, true, 50, 50));
  ib.feed(button(3100, false, 53, 47));  // within the click slop: a click
  auto in = ib.finish();
  ASSERT_EQ(in.size(), 5u);
  EXPECT_TRUE(in[0].secret);
  EXPECT_FALSE(in[1].secret);
  EXPECT_EQ(in[1].text, "plain");
  EXPECT_EQ(in[2].kind, Intent::Kind::Drag);
  EXPECT_EQ(in[2].at, cv::Point(10, 10));
  EXPECT_EQ(in[2].to, cv::Point(200, 10));
  EXPECT_EQ(in[2].button, 1);
  EXPECT_EQ(in[3].kind, Intent::Kind::Click);
  EXPECT_EQ(in[3].count, 1);
  EXPECT_EQ(in[4].kind, Intent::Kind::Click);
}

TEST(RecordPatterns, InferredFromTheValuesShape) {
  EXPECT_EQ(infer_pattern("2K4GH7QZ"), "^[A-Z0-9]{8}$");
  EXPECT_EQ(infer_pattern("2026-11-30"), "^[0-9]{4}-[0-9]{2}-[0-9]{2}$");
  EXPECT_EQ(infer_pattern("PT-123456"), "^[A-Z]{2}-[0-9]{6}$");
  EXPECT_EQ(infer_pattern("12"), "^[0-9]{1,6}$");
  EXPECT_EQ(infer_pattern("Estes Express Lines"), "^[^\\r\\n]{1,60}$");
  EXPECT_TRUE(looks_secret("Password:"));
  EXPECT_TRUE(looks_secret("PIN"));
  EXPECT_FALSE(looks_secret("Operator:"));
  EXPECT_FALSE(looks_secret("Shipping"));
}

// A sign-in form, then a search screen: drawn like a program would.
class RecordScript : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("record_script_" + std::to_string(getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    win_.id = 1;
    win_.pid = 42;
    win_.title = "Probe Books - Main";
    win_.rect = {100, 50, 700, 500};
    win_.client = {104, 76, 692, 470};
  }
  void TearDown() override { fs::remove_all(dir_); }

  cv::Mat blank() {
    cv::Mat m(700, 1000, CV_8UC3, cv::Scalar(90, 60, 30));
    cv::rectangle(m, cv::Rect(104, 76, 692, 470), cv::Scalar(192, 192, 192), cv::FILLED);
    return m;
  }
  static void text(cv::Mat& m, const std::string& s, cv::Point at) {
    cv::putText(m, s, at, cv::FONT_HERSHEY_SIMPLEX, 0.6, cv::Scalar(0, 0, 0), 1, cv::LINE_AA);
  }
  static void field(cv::Mat& m, cv::Rect r) {
    cv::rectangle(m, r, cv::Scalar(255, 255, 255), cv::FILLED);
    cv::rectangle(m, r, cv::Scalar(90, 90, 90), 1);
  }
  static void button(cv::Mat& m, const std::string& s, cv::Rect r) {
    cv::rectangle(m, r, cv::Scalar(215, 215, 215), cv::FILLED);
    cv::rectangle(m, r, cv::Scalar(50, 50, 50), 1);
    text(m, s, {r.x + 12, r.y + r.height / 2 + 6});
  }
  std::shared_ptr<Snapshot> snap(const cv::Mat& bgr, int ms) {
    auto s = std::make_shared<Snapshot>();
    cv::cvtColor(bgr, s->frame, cv::COLOR_BGR2BGRA);
    s->windows = {win_};
    s->time = at_ms(ms);
    return s;
  }

  fs::path dir_;
  dockhand::drivers::WindowInfo win_;
};

TEST_F(RecordScript, ASignInAndASearchBecomeAValidScriptWithWaitsVariablesAndNoPassword) {
  cv::Mat login = blank();
  text(login, "User:", {150, 200});
  field(login, {300, 182, 200, 26});
  text(login, "Password:", {150, 250});
  field(login, {300, 232, 200, 26});
  button(login, "Sign in", {300, 290, 110, 32});
  cv::Mat search = blank();
  text(search, "Order search", {200, 130});
  text(search, "Order number", {180, 200});
  field(search, {360, 182, 200, 26});
  button(search, "Find", {580, 180, 80, 30});

  auto s_login = snap(login, 0);
  auto s_search = snap(search, 5000);
  const std::string password = "Hunter2-Very-Secret";
  IntentBuilder ib;
  click(ib, 0, 330, 195, s_login);
  type(ib, 100, "alice");
  click(ib, 1000, 330, 245, s_login);
  type(ib, 1100, password);
  click(ib, 4000, 355, 306, s_login);
  ib.screen_changed(at_ms(5200), s_search);  // the program took 1.1 s after the click
  click(ib, 6000, 400, 195, s_search);
  type(ib, 6100, "7HXQ3M2P");
  ib.feed(key(7000, "Return"), s_search);
  auto intents = ib.finish();
  ASSERT_EQ(intents.size(), 8u);

  TemplateStore store(dir_);
  WriteOptions o;
  o.name = "probe-search";
  o.vars = {{"po", "7HXQ3M2P"}};
  Written w = write_script(intents, store, o);
  const auto& j = w.script;
  std::string all = j.dump(2);
  EXPECT_EQ(all.find(password), std::string::npos) << all;
  EXPECT_EQ(j["window"], "Probe Books - Main");
  EXPECT_EQ(j["steps"][0]["focus_window"], "Probe Books - Main");
  ASSERT_TRUE(j["vars"].contains("password")) << all;
  EXPECT_EQ(j["vars"]["password"]["secret"], true);
  EXPECT_EQ(j["vars"]["po"]["pattern"], "^[A-Z0-9]{8}$");
  // The steps, in order: the user field, its text, the password field, the secret, Sign in, a wait, ...
  std::vector<std::string> kinds;
  for (const auto& st : j["steps"])
    for (const auto& [k, v] : st.items())
      if (k != "comment") kinds.push_back(k);
  std::vector<std::string> expected = {"focus_window", "click", "type", "click", "type", "click",
                                       "wait",         "click", "type", "key"};
  EXPECT_EQ(kinds, expected) << all;
  const json& wait = j["steps"][6]["wait"];
  EXPECT_GE(wait["timeout_ms"].get<int>(), 8000) << all;
  EXPECT_EQ(j["steps"][4]["type"]["text"], "${password}");
  EXPECT_EQ(j["steps"][2]["type"]["text"], "alice");
  EXPECT_EQ(j["steps"][8]["type"]["text"], "${po}");
  EXPECT_EQ(j["steps"][8]["type"]["clear"], true);
  EXPECT_EQ(j["steps"][9]["key"], "Return");
  EXPECT_TRUE(j["steps"][1].contains("comment")) << all;
  EXPECT_TRUE(j["steps"][6].contains("comment")) << "a new group where the program changed the screen: " << all;
  // Template files carry readable names, each saved once; nothing on disk holds the password either.
  for (const auto& f : fs::recursive_directory_iterator(dir_)) {
    if (!f.is_regular_file()) continue;
    std::string name = f.path().filename().string();
    EXPECT_EQ(name.rfind("t", 0) == 0 && std::isdigit(static_cast<unsigned char>(name[1])), false) << name;
    std::ifstream in(f.path(), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    EXPECT_EQ(ss.str().find(password), std::string::npos) << f.path();
  }
}

}  // namespace

namespace {

TEST(RecordIntents, KeysThatEmptyTheClickedFieldBelongToTypingIntoIt) {
  IntentBuilder ib;
  click(ib, 0, 100, 100);
  ib.feed(key(200, "End"));
  for (int i = 0; i < 5; ++i) ib.feed(key(300 + 50 * i, "BackSpace"));
  type(ib, 700, "42");
  ib.feed(key(1200, "Tab"));
  ib.feed(key(1300, "BackSpace"));  // not after a click: a key of its own
  auto in = ib.finish();
  ASSERT_EQ(in.size(), 4u);
  EXPECT_EQ(in[1].text, "42");
  EXPECT_TRUE(in[1].into_clicked_field);
  EXPECT_EQ(in[2].chord, "Tab");
  EXPECT_EQ(in[3].chord, "BackSpace");
}

}  // namespace

namespace {

// A field whose label says nothing of secrets, but which shows a mark per character typed: a secret all the same.
TEST_F(RecordScript, TextIntoAFieldThatShowsAMaskIsASecret) {
  cv::Mat form = blank();
  text(form, "Access code", {130, 200});
  field(form, {300, 182, 200, 26});
  button(form, "Enter", {300, 240, 100, 30});
  cv::Mat typed = form.clone();
  for (int i = 0; i < 7; ++i) cv::circle(typed, {312 + 12 * i, 195}, 4, cv::Scalar(0, 0, 0), cv::FILLED);
  auto s_form = snap(form, 0), s_typed = snap(typed, 2000);
  const std::string code = "zq81-Mx";
  IntentBuilder ib;
  click(ib, 0, 320, 195, s_form);
  ib.feed(key(300, "z", "z"), s_form);
  type(ib, 400, code.substr(1));
  ib.screen_changed(at_ms(1500), s_typed);
  click(ib, 3000, 350, 255, s_typed);
  auto intents = ib.finish();
  ASSERT_EQ(intents.size(), 3u);
  TemplateStore store(dir_);
  WriteOptions o;
  o.name = "probe-code";
  Written w = write_script(intents, store, o);
  std::string all = w.script.dump(2);
  EXPECT_EQ(all.find(code), std::string::npos) << all;
  bool secret = false;
  for (const auto& [name, v] : w.script["vars"].items()) secret |= v.value("secret", false);
  EXPECT_TRUE(secret) << all;
}

}  // namespace

namespace {

// A click in another program's window (not the target, not one of its dialogs) makes the runner switch to it.
TEST_F(RecordScript, AClickInAnotherProgramsWindowIsFocusedByItsTitle) {
  cv::Mat m = blank();
  button(m, "Refresh list", {200, 150, 150, 32});
  dockhand::drivers::WindowInfo other;
  other.id = 2;
  other.pid = 77;
  other.title = "Label Printer";
  other.rect = {820, 100, 170, 200};
  other.client = {820, 100, 170, 200};
  cv::rectangle(m, cv::Rect(820, 100, 170, 200), cv::Scalar(230, 230, 230), cv::FILLED);
  button(m, "Print", {850, 180, 100, 32});
  auto s = snap(m, 0);
  s->windows = {other, win_};
  IntentBuilder ib;
  click(ib, 0, 270, 166, s);
  click(ib, 1000, 890, 196, s);
  TemplateStore store(dir_);
  WriteOptions o;
  o.name = "probe-print";
  Written w = write_script(ib.finish(), store, o);
  const auto& st = w.script["steps"];
  std::string all = w.script.dump(2);
  ASSERT_EQ(st.size(), 4u) << all;
  EXPECT_EQ(st[0]["focus_window"], "Probe Books - Main");
  EXPECT_TRUE(st[1].contains("click")) << all;
  EXPECT_EQ(st[2]["focus_window"], "Label Printer") << all;
  EXPECT_TRUE(st[3].contains("click")) << all;
}

}  // namespace

namespace {

// A drag onto something with a locator of its own is written with "to"; a drag that ends on the very thing pressed
// (a splitter pulled aside) is written as an offset, "by". The press point is cut like a click's.
TEST_F(RecordScript, ADragIsWrittenToItsDropTargetOrByItsOffset) {
  cv::Mat m = blank();
  button(m, "Pallet 4", {150, 150, 120, 32});
  cv::rectangle(m, cv::Rect(480, 280, 160, 80), cv::Scalar(60, 60, 60), 2);
  text(m, "Bin 7", {530, 326});
  button(m, "Splitter", {150, 400, 110, 32});
  auto s = snap(m, 0);
  IntentBuilder ib;
  ib.feed(::button(0, true, 210, 166), s);
  ib.feed(::button(400, false, 555, 320));
  ib.feed(::button(2000, true, 205, 416), s);
  ib.feed(::button(2300, false, 217, 416));
  auto intents = ib.finish();
  ASSERT_EQ(intents.size(), 2u);
  TemplateStore store(dir_);
  WriteOptions o;
  o.name = "probe-drag";
  Written w = write_script(intents, store, o);  // throws if the script does not validate
  const auto& st = w.script["steps"];
  std::string all = w.script.dump(2);
  ASSERT_EQ(st.size(), 3u) << all;
  ASSERT_TRUE(st[1].contains("drag")) << all;
  const json& to = st[1]["drag"];
  EXPECT_FALSE(to.contains("by")) << all;
  ASSERT_TRUE(to.contains("to")) << all;
  EXPECT_TRUE(to.contains("text") || to.contains("image")) << all;
  EXPECT_TRUE(to["to"].contains("text") || to["to"].contains("image")) << all;
  EXPECT_NE(all.find("Bin"), std::string::npos) << all;
  ASSERT_TRUE(st[2].contains("drag")) << all;
  const json& by = st[2]["drag"];
  EXPECT_FALSE(by.contains("to")) << all;
  EXPECT_EQ(by["by"], (json{{"dx", 12}, {"dy", 0}})) << all;
  EXPECT_NE(st[1].value("comment", "").find("drag"), std::string::npos) << all;
  for (const auto& n : w.notes) EXPECT_EQ(n.find("left out"), std::string::npos) << n;
}

}  // namespace
