// End to end: the tutorial's script (docs/tutorial/xclipboard/script.json) against the real xclipboard from
// Debian's x11-apps under Xvfb, with openbox and with no window manager (ctest runs each both ways), the window
// at the screen's corner and far from it. The files xclipboard writes are the witness of what really happened.
// gtest before Xlib (harness.h): Xlib's macros (None, Bool) break gtest's headers.
#include <gtest/gtest.h>

#include "agent_run.h"
#include "harness.h"

#include <opencv2/imgcodecs.hpp>

#include <filesystem>
#include <fstream>

namespace {

using apps_test::AgentRun;
using apps_test::describe;
using nlohmann::json;
namespace fs = std::filesystem;

const fs::path kTutorial = fs::path(DOCKHAND_SOURCE_DIR) / "docs/tutorial/xclipboard";

struct Position {
  int x, y;
  std::string name;
};

// xclipboard at `where`, 420x240 (the size the tutorial measured its offsets on: its index box must be in view).
class Xclipboard {
 public:
  Xclipboard(const std::string& dir, Position where)
      : app_(DOCKHAND_XCLIPBOARD, {"-geometry", "420x240+" + std::to_string(where.x) + "+" + std::to_string(where.y)},
             dir + "/xclipboard.err") {
    if (!apps_test::wait_until([&] { return x_.find_window("xclipboard").has_value(); }))
      throw std::runtime_error("xclipboard never showed its window");
  }
  apps_test::X11& x() { return x_; }

 private:
  apps_test::X11 x_;
  apps_test::AppProcess app_;
};

AgentRun run(const fs::path& script, const std::string& dir, const std::vector<std::string>& vars) {
  std::vector<std::string> args = {"run", script.string(), "--evidence", dir + "/evidence"};
  for (const auto& v : vars) {
    args.push_back("--var");
    args.push_back(v);
  }
  return apps_test::run_agent(DOCKHAND_AGENT, args, dir);
}

class XclipboardTutorial : public ::testing::TestWithParam<Position> {};

// The tutorial's run, twice on one xclipboard: each note lands in its own file and the region read gives each
// clip's number (the first run fills the empty clip 1, the second opens clip 2).
TEST_P(XclipboardTutorial, SavesEachNoteThroughTheFileDialogAndReadsItsClipNumber) {
  const std::string dir = apps_test::temp_dir();
  Xclipboard program(dir, GetParam());
  auto first = run(kTutorial / "script.json", dir, {"note=Dock 7 closes at 16:00", "file=" + dir + "/first.txt"});
  ASSERT_EQ(first.exit_code, 0) << describe(first);
  EXPECT_EQ(first.result["outputs"]["clip"], "1") << describe(first);
  EXPECT_EQ(apps_test::slurp(dir + "/first.txt"), "Dock 7 closes at 16:00");

  auto second = run(kTutorial / "script.json", dir, {"note=Carrier ABF, 3 pallets", "file=" + dir + "/second.txt"});
  ASSERT_EQ(second.exit_code, 0) << describe(second);
  EXPECT_EQ(second.result["outputs"]["clip"], "2") << describe(second);
  EXPECT_EQ(second.result["message"], "clip 2 saved to " + dir + "/second.txt");
  EXPECT_EQ(apps_test::slurp(dir + "/second.txt"), "Carrier ABF, 3 pallets");
  EXPECT_EQ(apps_test::slurp(dir + "/first.txt"), "Dock 7 closes at 16:00") << "the first file was left alone";
  EXPECT_FALSE(program.x().find_window("File Save")) << "the dialog was closed";
}

INSTANTIATE_TEST_SUITE_P(Positions, XclipboardTutorial,
                         ::testing::Values(Position{0, 0, "corner"}, Position{730, 470, "far"}),
                         [](const auto& info) { return info.param.name; });

// The tutorial's script with one change, written beside a copy of its templates.
fs::path variant(const std::string& dir, const std::function<void(json&)>& change) {
  fs::create_directories(dir + "/variant");
  fs::copy(kTutorial / "templates", dir + "/variant/templates", fs::copy_options::recursive);
  std::ifstream in(kTutorial / "script.json");
  json doc = json::parse(in);
  change(doc);
  fs::path file = dir + "/variant/script.json";
  std::ofstream(file) << doc.dump(2);
  return file;
}

json result_json(const AgentRun& r) {
  std::ifstream in(fs::path(r.result["evidence"].get<std::string>()) / "result.json");
  return json::parse(in);
}

// The tutorial's "a failure's evidence": the clip number's box measured wrong lands on the Save button. The read
// names the area, fails as soon as the area has settled (not at the 10 s timeout) with the category the step
// declares, and its evidence crops exactly that area and outlines it on the screenshot.
TEST(XclipboardTutorialFailures, AMisplacedReadFailsOnceSettledAndItsEvidenceCropsTheAreaRead) {
  const std::string dir = apps_test::temp_dir();
  Xclipboard program(dir, {200, 150, "middle"});
  auto script = variant(dir, [](json& doc) {
    json& read = doc["steps"][5]["read"];
    read.erase("pattern");
    read["region"] = {168, 7, 48, 24};
    read["expect"] = "^[0-9]+$";
    read["mismatch"] = "business";
  });
  auto r = run(script, dir, {"note=never saved", "file=" + dir + "/never.txt"});
  ASSERT_EQ(r.exit_code, 1) << describe(r);
  EXPECT_EQ(r.result["category"], "business") << describe(r);
  EXPECT_EQ(r.result["failed_step"], "steps[5].read");
  const std::string reason = r.result["reason"];
  EXPECT_NE(reason.find("from [168, 7, 48, 24] in window \"xclipboard\""), std::string::npos) << reason;
  EXPECT_NE(reason.find("(region [168, 7, 48, 24])"), std::string::npos) << reason;
  EXPECT_NE(reason.find("expected ^[0-9]+$"), std::string::npos) << reason;
  EXPECT_LT(r.result["elapsed_ms"].get<double>(), 9000) << "failed at the settle time, not the 10 s timeout";
  EXPECT_FALSE(fs::exists(dir + "/never.txt"));

  const fs::path evidence = r.result["evidence"].get<std::string>();
  cv::Mat searched = cv::imread((evidence / "searched.png").string());
  ASSERT_FALSE(searched.empty()) << "no searched.png in " << evidence;
  EXPECT_EQ(searched.cols, 48);
  EXPECT_EQ(searched.rows, 24);
  json saved = result_json(r);
  ASSERT_TRUE(saved["searched"].is_object()) << saved.dump(2);
  EXPECT_EQ(saved["searched"]["by"], "region [168, 7, 48, 24]");
  ASSERT_TRUE(saved["looked_for"].is_object()) << saved.dump(2);
  EXPECT_EQ(saved["looked_for"]["path"], "steps[5].read");
  // The crop is that rectangle of the screenshot, and the screenshot outlines it in red just outside.
  std::vector<int> at = saved["searched"]["screen"];
  cv::Mat screen = cv::imread((evidence / "screen.png").string());
  ASSERT_FALSE(screen.empty());
  cv::Mat diff;
  cv::absdiff(screen(cv::Rect(at[0], at[1], at[2], at[3])), searched, diff);
  EXPECT_EQ(cv::countNonZero(diff.reshape(1)), 0) << "searched.png is the area read, pixel for pixel";
  cv::Vec3b outline = screen.at<cv::Vec3b>(at[1] - 2, at[0] - 2);
  EXPECT_EQ(outline, cv::Vec3b(0, 0, 255)) << "red outline at the area's top-left corner";
}

// The tutorial's dialog handling: a file that cannot be written makes xclipboard show its Error dialog; the
// script's handler acknowledges it (Continue) and fails the run as a business error.
TEST(XclipboardTutorialFailures, AFileThatCannotBeWrittenIsABusinessFailureAndTheErrorIsAcknowledged) {
  const std::string dir = apps_test::temp_dir();
  Xclipboard program(dir, {120, 90, "near"});
  auto r = run(kTutorial / "script.json", dir, {"note=nowhere", "file=/nonexistent-dir/x.txt"});
  ASSERT_EQ(r.exit_code, 1) << describe(r);
  EXPECT_EQ(r.result["category"], "business") << describe(r);
  EXPECT_EQ(r.result["reason"], "xclipboard cannot write /nonexistent-dir/x.txt") << describe(r);
  EXPECT_EQ(r.result["failed_step"], "handlers[0].do[1].fail") << describe(r);
  EXPECT_TRUE(fs::exists(fs::path(r.result["evidence"].get<std::string>()) / "trigger.png"));
  EXPECT_TRUE(apps_test::wait_until([&] { return !program.x().find_window("Error").has_value(); },
                                    std::chrono::seconds(5)))
      << "the Error dialog was acknowledged";
}

}  // namespace
