// A script's `drag` steps run by the runner on a real X server: the probe window (its own connection) records
// where the button went down and where it came up, in its client coordinates. Run by ctest with and without
// a window manager.
#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <unistd.h>

#include <filesystem>
#include <future>

#include "agent/runner.h"
#include "drivers/desktop.h"
#include "probe_window.h"

namespace {

namespace fs = std::filesystem;
using dockhand::drivers::testing::ProbeWindow;

TEST(AgentDrag, TheRunnerPressesOnTheTargetAndReleasesOnTheDropTargetOrTheOffset) {
  const fs::path dir = fs::temp_directory_path() / ("agent_drag_" + std::to_string(getpid()));
  fs::create_directories(dir / "templates");
  // The probe's green square (20x20 at 10,10 of its client area) with a red margin: the thing dragged.
  cv::Mat square(40, 40, CV_8UC3, cv::Scalar(0, 0, 255));
  cv::rectangle(square, cv::Rect(10, 10, 20, 20), cv::Scalar(0, 255, 0), cv::FILLED);
  cv::imwrite((dir / "templates" / "square.png").string(), square);
  const char* title = "Dockhand drag probe";
  nlohmann::json doc = {
      {"name", "drag-probe"},
      {"window", title},
      {"steps",
       {{{"focus_window", title}},
        {{"drag", {{"image", "templates/square.png"}, {"to", {{"point", {300, 150}}}}, {"timeout_ms", 20000}}}},
        {{"drag", {{"image", "templates/square.png"}, {"by", {{"dx", 150}, {"dy", 60}}}}}}}}};
  auto loaded = dockhand::agent::parse_script(doc, dir);
  ASSERT_TRUE(loaded.ok()) << (loaded.problems.empty() ? "" : loaded.problems[0].str());

  ProbeWindow probe(title, 220, 140, 400, 200);
  auto desktop = dockhand::drivers::open_desktop();
  dockhand::agent::RunOptions options;
  options.evidence_dir = dir / "evidence";
  // The runner on its own thread; this one keeps the probe's events flowing meanwhile.
  auto run = std::async(std::launch::async, [&] { return dockhand::agent::run_script(*loaded.script, *desktop, options); });
  probe.pump_until([&] { return run.wait_for(std::chrono::seconds(0)) == std::future_status::ready; }, 120000);
  auto result = run.get();
  probe.pump_until([&] { return probe.releases.size() >= 2; }, 5000);
  fs::remove_all(dir);

  ASSERT_TRUE(result.ok()) << result.failed_step << ": " << result.reason;
  ASSERT_EQ(probe.buttons.size(), 2u);
  ASSERT_EQ(probe.releases.size(), 2u);
  // Pressed on the square's centre both times; released on the point, then 150 right and 60 down of the press.
  for (const auto& b : probe.buttons) {
    EXPECT_EQ(b.button, 1u);
    EXPECT_NEAR(b.x, 20, 1);
    EXPECT_NEAR(b.y, 20, 1);
  }
  EXPECT_EQ(probe.releases[0].button, 1u);
  EXPECT_NEAR(probe.releases[0].x, 300, 1);
  EXPECT_NEAR(probe.releases[0].y, 150, 1);
  EXPECT_NEAR(probe.releases[1].x, probe.buttons[1].x + 150, 0);
  EXPECT_NEAR(probe.releases[1].y, probe.buttons[1].y + 60, 0);
  int moved_while_pressed = 0;
  for (const auto& m : probe.motions) moved_while_pressed += (m.state & Button1Mask) != 0;
  EXPECT_GE(moved_while_pressed, 3) << "a drag moves with the button held, so the program sees it";
}

}  // namespace
