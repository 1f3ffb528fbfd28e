// Cutting templates for the recorder: ink boxes, plain areas, and growth until a crop is unique on the frame.
#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>

#include "vision/vision.h"

using namespace dockhand::vision;

namespace {

cv::Mat panel() {
  cv::Mat m(300, 500, CV_8UC3, cv::Scalar(192, 192, 192));
  return m;
}
void label(cv::Mat& m, const std::string& s, cv::Point at) {
  cv::putText(m, s, at, cv::FONT_HERSHEY_SIMPLEX, 0.6, cv::Scalar(0, 0, 0), 1, cv::LINE_AA);
}

TEST(Cut, InkUnderAPointIsItsWordAndPlainBackgroundHasNone) {
  cv::Mat m = panel();
  label(m, "Carrier", {40, 60});
  auto ink = ink_at(m, {60, 55}, {});
  ASSERT_TRUE(ink);
  EXPECT_LE(ink->x, 42);
  EXPECT_GE(ink->x + ink->width, 100) << "the whole word";
  EXPECT_LT(ink->height, 25);
  EXPECT_FALSE(ink_at(m, {300, 200}, {}));
  EXPECT_TRUE(textureless(m, {250, 150, 40, 20}));
  EXPECT_FALSE(textureless(m, *ink));
}

TEST(Cut, ACropThatIsNotUniqueGrowsUntilItIs) {
  cv::Mat m = panel();
  label(m, "Save", {100, 100});
  label(m, "Save", {100, 200});
  label(m, "Draft", {30, 200});  // only the second has a neighbour
  auto seed = ink_at(m, {110, 195}, {});
  ASSERT_TRUE(seed);
  EXPECT_FALSE(unique_on(m, *seed, {}));
  CutOptions o;
  auto cut = cut_unique(m, *seed, o);
  ASSERT_TRUE(cut);
  EXPECT_GT(cut->rect.width, seed->width + 4);
  EXPECT_TRUE((cut->rect & *seed) == *seed) << "it grows around the seed";
  EXPECT_TRUE(cut->check.found);
  EXPECT_FALSE(cut->check.ambiguous) << cut->check.why;
}

TEST(Cut, NothingUniqueWithinTheBoundsIsNoCut) {
  cv::Mat m = panel();
  label(m, "Save", {100, 100});
  label(m, "Save", {300, 100});
  auto seed = ink_at(m, {110, 95}, {});
  ASSERT_TRUE(seed);
  CutOptions o;
  o.bounds = {seed->x - 4, seed->y - 4, seed->width + 8, seed->height + 8};  // no room to grow into
  EXPECT_FALSE(cut_unique(m, *seed, o));
}

}  // namespace

namespace {

TEST(Cut, AMaskedEchoIsAlikeMarksTypedTextIsNot) {
  cv::Mat before(60, 300, CV_8UC3, cv::Scalar(255, 255, 255));
  cv::Mat masked = before.clone(), plain = before.clone();
  for (int i = 0; i < 6; ++i) cv::circle(masked, {20 + 14 * i, 30}, 4, cv::Scalar(0, 0, 0), cv::FILLED);
  cv::putText(plain, "dockhand", {10, 38}, cv::FONT_HERSHEY_SIMPLEX, 0.6, cv::Scalar(0, 0, 0), 1, cv::LINE_AA);
  const cv::Rect all(0, 0, 300, 60);
  EXPECT_TRUE(looks_masked(before, masked, all, 6));
  EXPECT_FALSE(looks_masked(before, masked, all, 5)) << "as many marks as characters typed";
  EXPECT_FALSE(looks_masked(before, plain, all, 8));
}

}  // namespace
