// The recorder's target decisions on synthetic screens: every locator it writes lands where the person clicked
// (checked with the runner's own locating code), plain background gets an anchored locator, and a crop that is not
// unique grows or is anchored.
#include "agent/record/targets.h"

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <unistd.h>

#include <filesystem>

using namespace dockhand::agent::record;
namespace fs = std::filesystem;

namespace {

class RecordTargets : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("record_targets_" + std::to_string(getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    screen_ = cv::Mat(700, 1000, CV_8UC3, cv::Scalar(90, 60, 30));
    win_.id = 1;
    win_.title = "Probe - Orders";
    win_.rect = {100, 50, 700, 500};
    win_.client = {104, 76, 692, 470};
    cv::rectangle(screen_, cv::Rect(104, 76, 692, 470), cv::Scalar(192, 192, 192), cv::FILLED);
  }
  void TearDown() override { fs::remove_all(dir_); }

  void text(const std::string& s, cv::Point baseline, double size = 0.6) {
    cv::putText(screen_, s, baseline, cv::FONT_HERSHEY_SIMPLEX, size, cv::Scalar(0, 0, 0), 1, cv::LINE_AA);
  }
  // A bevelled button with a label, its rectangle.
  cv::Rect button(const std::string& label, cv::Rect r) {
    cv::rectangle(screen_, r, cv::Scalar(210, 210, 210), cv::FILLED);
    cv::rectangle(screen_, r, cv::Scalar(60, 60, 60), 1);
    int base = 0;
    cv::Size ts = cv::getTextSize(label, cv::FONT_HERSHEY_SIMPLEX, 0.6, 1, &base);
    text(label, {r.x + (r.width - ts.width) / 2, r.y + (r.height + ts.height) / 2});
    return r;
  }
  cv::Rect field(cv::Rect r) {
    cv::rectangle(screen_, r, cv::Scalar(255, 255, 255), cv::FILLED);
    cv::rectangle(screen_, r, cv::Scalar(90, 90, 90), 1);
    return r;
  }
  std::shared_ptr<Snapshot> snap() {
    auto s = std::make_shared<Snapshot>();
    cv::cvtColor(screen_, s->frame, cv::COLOR_BGR2BGRA);
    s->windows = {win_};
    return s;
  }
  Target cut_at(cv::Point at, TargetContext ctx = {}) {
    if (ctx.window_title.empty()) ctx.window_title = "Probe";
    if (ctx.fallback_name.empty()) ctx.fallback_name = "probe-click";
    store_ = std::make_unique<TemplateStore>(dir_);
    cutter_ = std::make_unique<TargetCutter>(*store_, ctx);
    snap_ = snap();
    return cutter_->cut(*snap_, at);
  }
  cv::Mat template_of(const Target& t) {
    const nlohmann::json* l = &t.locator;
    for (const char* side : {"right_of", "left_of", "below", "above"})
      if (l->contains(side)) l = &(*l)[side];
    if (!l->contains("image")) return {};
    return cv::imread((dir_ / (*l)["image"].get<std::string>()).string());
  }

  fs::path dir_;
  cv::Mat screen_;
  dockhand::drivers::WindowInfo win_;
  std::unique_ptr<TemplateStore> store_;
  std::unique_ptr<TargetCutter> cutter_;
  std::shared_ptr<Snapshot> snap_;
};

TEST_F(RecordTargets, AClickOnPlainBackgroundIsAnchoredToTheNearestUniqueFeature) {
  text("Quantity", {150, 200});
  cv::Rect f = field({260, 182, 160, 26});
  text("Weight", {150, 260});
  field({260, 242, 160, 26});
  cv::Point at(f.x + 30, f.y + 13);  // inside the empty white field
  Target t = cut_at(at);
  EXPECT_EQ(t.how, "anchored") << t.locator.dump();
  ASSERT_TRUE(t.locator.contains("right_of")) << t.locator.dump();  // the label left of it, on its row
  EXPECT_EQ(cutter_->lands(*snap_, t.locator), at) << t.locator.dump();
  EXPECT_EQ(t.window, cv::Rect(104, 76, 692, 470));
}

TEST_F(RecordTargets, ACropThatIsNotUniqueGrowsOrIsAnchored) {
  // The same button twice; only their surroundings differ.
  text("Pallets", {160, 150});
  cv::Rect first = button("Apply", {300, 128, 90, 30});
  text("Cartons", {160, 350});
  button("Apply", {300, 328, 90, 30});
  cv::Point at = (first.tl() + first.br()) / 2;
  Target t = cut_at(at);
  ASSERT_NE(t.how, "text") << "the text is on screen twice: " << t.locator.dump();
  ASSERT_NE(t.how, "point") << t.locator.dump();
  EXPECT_EQ(cutter_->lands(*snap_, t.locator), at) << t.locator.dump();
  if (t.how == "image") {
    cv::Mat tm = template_of(t);
    ASSERT_FALSE(tm.empty());
    EXPECT_GT(tm.cols, first.width) << "grown past the button to take in what tells the two apart";
  } else {
    EXPECT_EQ(t.how, "anchored");
  }
}

TEST_F(RecordTargets, AUniqueTargetKeepsTheOffsetOfTheClick) {
  cv::Rect b = button("Submit order", {300, 300, 160, 34});
  text("Notes", {150, 150});
  cv::Point at(b.x + b.width / 2 + 9, b.y + b.height / 2 + 3);  // right of the centre
  Target t = cut_at(at);
  ASSERT_TRUE(t.how == "text" || t.how == "image") << t.locator.dump();
  EXPECT_EQ(cutter_->lands(*snap_, t.locator), at) << t.locator.dump();
  ASSERT_TRUE(t.locator.contains("offset")) << t.locator.dump();
}

TEST_F(RecordTargets, TemplatesAreNamedFromTheirTextAndSavedOnce) {
  TemplateStore store(dir_);
  cv::Mat a(20, 30, CV_8UC3, cv::Scalar(1, 2, 3)), b(20, 30, CV_8UC3, cv::Scalar(9, 9, 9));
  EXPECT_EQ(store.add(a, "ok"), "templates/ok.png");
  EXPECT_EQ(store.add(a.clone(), "other"), "templates/ok.png");  // the same image: not saved twice
  EXPECT_EQ(store.add(b, "ok"), "templates/ok-2.png");
  EXPECT_EQ(store.size(), 2u);
  EXPECT_TRUE(fs::exists(dir_ / "templates/ok-2.png"));
  EXPECT_EQ(slug("Finalize pre-tender"), "finalize-pre-tender");
  EXPECT_EQ(slug("PO number:"), "po-number");
  EXPECT_EQ(slug("..."), "");
}

}  // namespace

namespace {

// A click on text that shows a --var value: the text locator uses the variable, so it finds the next run's value.
TEST_F(RecordTargets, TextShowingAVariablesValueUsesTheVariable) {
  text("Shipment", {150, 150});
  text("BRAVO42", {300, 150}, 0.8);
  text("Carrier", {150, 250});
  cv::Point at(330, 142);
  TargetContext ctx;
  ctx.vars = {{"shipment", "BRAVO42"}};
  Target t = cut_at(at, ctx);
  ASSERT_EQ(t.how, "text") << t.locator.dump();
  EXPECT_EQ(t.locator["text"], "${shipment}") << t.locator.dump();
  EXPECT_EQ(cutter_->lands(*snap_, t.locator), at) << t.locator.dump();
}

}  // namespace
