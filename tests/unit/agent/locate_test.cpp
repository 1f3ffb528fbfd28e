// Where locators land, on a synthetic screen: fixed regions and points start at the program's client area (not
// the window manager's frame), and the four anchors put their areas and searches on the right side.
#include "agent/run/locating.h"
#include "agent/script.h"

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <filesystem>
#include <unistd.h>

using namespace dockhand::agent;
namespace fs = std::filesystem;

namespace {

// A window with a 4 px frame and a 26 px title bar around its client area, and labels drawn in the client area.
class LocateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("agent_locate_test_" + std::to_string(getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
    screen_ = cv::Mat(600, 800, CV_8UC3, cv::Scalar(90, 60, 30));
    window_.id = 7;
    window_.title = "Probe";
    window_.rect = {100, 50, 420, 330};
    window_.client = {104, 76, 412, 300};
    cv::rectangle(screen_, cv::Rect(104, 76, 412, 300), cv::Scalar(200, 200, 200), cv::FILLED);
    total_ = label("Total:", {250, 200});
    label_cut(total_, "total.png");
    // "Kg" twice: once left of and above "Total:", once right of and below it.
    kg_left_ = label("Kg", {150, 200});
    kg_right_ = label("Kg", {400, 200});
    kg_above_ = label("Kg", {262, 140});
    kg_below_ = label("Kg", {262, 260});
    label_cut(kg_left_, "kg.png");
  }
  void TearDown() override { fs::remove_all(dir_); }

  cv::Rect label(const std::string& text, cv::Point baseline) {
    cv::putText(screen_, text, baseline, cv::FONT_HERSHEY_SIMPLEX, 0.6, cv::Scalar(0, 0, 0), 1, cv::LINE_AA);
    int base = 0;
    cv::Size s = cv::getTextSize(text, cv::FONT_HERSHEY_SIMPLEX, 0.6, 1, &base);
    return {baseline.x - 2, baseline.y - s.height - 2, s.width + 4, s.height + base + 4};
  }
  void label_cut(const cv::Rect& r, const std::string& name) { cv::imwrite((dir_ / name).string(), screen_(r)); }

  // Resolves the locator of the script's first step on the screen, as the runner would.
  std::optional<cv::Rect> locate(const std::string& locator_json) {
    auto doc = nlohmann::json::parse(R"({ "window": "Probe", "defaults": { "scales": [1.0] }, "steps": [ { "click": )" +
                                     locator_json + " } ] }");
    loaded_ = parse_script(doc, dir_);
    if (!loaded_.ok()) {
      ADD_FAILURE() << loaded_.problems.front().str();
      return std::nullopt;
    }
    locating_ = std::make_unique<run::Locating>(*loaded_.script, nullptr, vars_);
    cv::Mat bgra;
    cv::cvtColor(screen_, bgra, cv::COLOR_BGR2BGRA);
    locating_->look_at(bgra, {window_});
    return locating_->locate(*loaded_.script->steps[0].locator);
  }

  fs::path dir_;
  cv::Mat screen_;
  dockhand::drivers::WindowInfo window_;
  cv::Rect total_, kg_left_, kg_right_, kg_above_, kg_below_;
  Vars vars_;
  LoadResult loaded_;
  std::unique_ptr<run::Locating> locating_;
};

TEST_F(LocateTest, RegionAndPointStartAtTheClientAreaNotTheFrame) {
  EXPECT_EQ(locate(R"({ "region": [10, 20, 100, 30] })"), cv::Rect(114, 96, 100, 30));
  EXPECT_EQ(locate(R"({ "point": [0, 0] })"), cv::Rect(104, 76, 1, 1));
  EXPECT_EQ(locate(R"({ "region": [10, 20, 100, 30], "offset": [5, -5] })"), cv::Rect(119, 91, 100, 30));
  // Within another locator's region, coordinates start there.
  EXPECT_EQ(locate(R"({ "region": [1, 2, 10, 5], "within": { "image": "total.png" } })"),
            cv::Rect(total_.x + 1, total_.y + 2, 10, 5));
}

TEST_F(LocateTest, AboveAndLeftOfAreasSitOnTheRightSideOfTheAnchor) {
  const cv::Rect& t = total_;
  EXPECT_EQ(locate(R"({ "above": { "image": "total.png" }, "size": [120, 24] })"), cv::Rect(t.x, t.y - 24, 120, 24));
  EXPECT_EQ(locate(R"({ "above": { "image": "total.png" }, "size": [120, 24], "offset": [5, -2] })"),
            cv::Rect(t.x + 5, t.y - 26, 120, 24));
  EXPECT_EQ(locate(R"({ "left_of": { "image": "total.png" }, "size": [80, 20] })"),
            cv::Rect(t.x - 80, t.y + t.height / 2 - 10, 80, 20));
  // Default sizes mirror right_of / below.
  EXPECT_EQ(locate(R"({ "above": { "image": "total.png" } })"),
            cv::Rect(t.x, t.y - (t.height + 10), std::max(t.width, 200), t.height + 10));
  EXPECT_EQ(locate(R"({ "left_of": { "image": "total.png" } })"),
            cv::Rect(t.x - 200, t.y + t.height / 2 - (t.height + 10) / 2, 200, t.height + 10));
  // right_of and below, unchanged.
  EXPECT_EQ(locate(R"({ "right_of": { "image": "total.png" }, "size": [60, 20] })"),
            cv::Rect(t.x + t.width, t.y + t.height / 2 - 10, 60, 20));
  EXPECT_EQ(locate(R"({ "below": { "image": "total.png" }, "size": [60, 20] })"), cv::Rect(t.x, t.y + t.height, 60, 20));
}

TEST_F(LocateTest, EachAnchorSearchesOnlyOnItsSide) {
  EXPECT_EQ(locate(R"({ "image": "kg.png", "left_of": { "image": "total.png" } })"), kg_left_);
  EXPECT_EQ(locate(R"({ "image": "kg.png", "right_of": { "image": "total.png" } })"), kg_right_);
  EXPECT_EQ(locate(R"({ "image": "kg.png", "above": { "image": "total.png" } })"), kg_above_);
  EXPECT_EQ(locate(R"({ "image": "kg.png", "below": { "image": "total.png" } })"), kg_below_);
}

TEST_F(LocateTest, AFailedAreaIsDescribedInWindowAndScreenCoordinates) {
  ASSERT_TRUE(locate(R"({ "region": [10, 20, 100, 30] })"));
  EXPECT_EQ(locating_->describe_area(cv::Rect(114, 96, 100, 30)),
            "[10, 20, 100, 30] in window \"Probe\" (screen [114, 96, 100, 30])");
}

}  // namespace
