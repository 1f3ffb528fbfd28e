#include "vision/vision.h"
#include "synthetic.h"

#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>

using namespace dockhand::vision;
namespace t = dockhand::vision::testing;

TEST(stability, changed_fraction_counts_pixels_beyond_tolerance) {
  cv::Mat a(100, 100, CV_8UC4, cv::Scalar(192, 192, 192, 0));
  cv::Mat b = a.clone();
  EXPECT_EQ(changed_fraction(a, b), 0.0);
  cv::rectangle(b, {0, 0, 10, 10}, cv::Scalar(0, 0, 0, 0), cv::FILLED);  // 100 of 10000 pixels
  EXPECT_DOUBLE_EQ(changed_fraction(a, b), 0.01);
  // Small differences (antialiasing, dithering) are within tolerance.
  cv::Mat c = a.clone();
  c += cv::Scalar(10, 10, 10, 0);
  EXPECT_EQ(changed_fraction(a, c), 0.0);
  EXPECT_EQ(changed_fraction(a, c, 5), 1.0);
  // The undefined fourth byte of a capture is not a change.
  cv::Mat d = a.clone();
  d.setTo(cv::Scalar(192, 192, 192, 255));
  EXPECT_EQ(changed_fraction(a, d), 0.0);
  // Region: only there.
  EXPECT_DOUBLE_EQ(changed_fraction(a, b, 16, cv::Rect(0, 0, 20, 10)), 0.5);
  EXPECT_EQ(changed_fraction(a, b, 16, cv::Rect(50, 50, 20, 20)), 0.0);
}

TEST(stability, changed_fraction_rejects_mismatched_frames) {
  cv::Mat a(10, 10, CV_8UC3), b(10, 11, CV_8UC3), c(10, 10, CV_8UC1);
  EXPECT_THROW(changed_fraction(a, b), VisionError);
  EXPECT_THROW(changed_fraction(a, c), VisionError);
  EXPECT_THROW(changed_fraction(cv::Mat(), a), VisionError);
}

TEST(stability, tracker_says_stable_after_quiet_period) {
  auto form = t::busy_form(3);
  StabilityTracker tracker(300);
  cv::Mat frame = form.frame.clone();
  EXPECT_FALSE(tracker.feed(frame, 0));
  EXPECT_FALSE(tracker.feed(frame, 100));
  EXPECT_FALSE(tracker.feed(frame, 299));
  EXPECT_TRUE(tracker.feed(frame, 300));
  // Something moves: not stable until quiet again for 300 ms from that moment.
  cv::rectangle(frame, {800, 500, 200, 40}, cv::Scalar(255, 255, 255, 0), cv::FILLED);
  EXPECT_FALSE(tracker.feed(frame, 400));
  EXPECT_FALSE(tracker.feed(frame, 650));
  EXPECT_TRUE(tracker.feed(frame, 700));
}

TEST(stability, tracker_counts_slow_drift_and_watches_only_its_region) {
  // A spinner that changes a few pixels each frame never lets the region settle.
  cv::Mat frame(200, 200, CV_8UC3, t::kGrey);
  StabilityTracker tracker(200, 0.0005, cv::Rect(0, 0, 100, 100));
  bool stable = false;
  for (int i = 0; i < 30; ++i) {
    cv::circle(frame, {50, 50}, 20, cv::Scalar(0, 0, 0), 1);
    cv::line(frame, {50, 50}, {50 + int(20 * std::cos(i)), 50 + int(20 * std::sin(i))}, cv::Scalar(i * 8, 0, 0), 2);
    cv::rectangle(frame, {150, 150, 40, 40}, cv::Scalar(i * 8, 0, 0), cv::FILLED);
    stable = stable || tracker.feed(frame, i * 50.0);
  }
  EXPECT_FALSE(stable);
  // Changes outside the watched region do not matter.
  StabilityTracker outside(200, 0.0005, cv::Rect(0, 0, 100, 100));
  cv::Mat still(200, 200, CV_8UC3, t::kGrey);
  bool settled = false;
  for (int i = 0; i < 10; ++i) {
    cv::rectangle(still, {150, 150, 40, 40}, cv::Scalar(i * 20, 0, 0), cv::FILLED);
    settled = outside.feed(still, i * 50.0);
  }
  EXPECT_TRUE(settled);
}
