// Change and stability: is the screen (or a region) still moving?
#include "vision/internal.h"
#include "vision/vision.h"

#include <opencv2/imgproc.hpp>

namespace dockhand::vision {

double changed_fraction(const cv::Mat& a, const cv::Mat& b, int tolerance, std::optional<cv::Rect> region) {
  if (a.empty() || b.empty()) throw VisionError("changed_fraction: empty frame");
  if (a.size() != b.size() || a.type() != b.type())
    throw VisionError("changed_fraction: frames differ in size or type (" + std::to_string(a.cols) + "x" +
                      std::to_string(a.rows) + " vs " + std::to_string(b.cols) + "x" + std::to_string(b.rows) + ")");
  if (a.depth() != CV_8U) throw VisionError("changed_fraction: expected 8-bit frames");
  cv::Rect area = region ? detail::clip(*region, a.size()) : cv::Rect(0, 0, a.cols, a.rows);
  if (area.empty()) return 0.0;
  cv::Mat diff;
  cv::absdiff(a(area), b(area), diff);
  cv::Mat largest;
  if (diff.channels() == 1) {
    largest = diff;
  } else {
    // Captured frames are B,G,R,X: the fourth byte is undefined and must not count as a change.
    std::vector<cv::Mat> planes;
    cv::split(diff, planes);
    largest = planes[0];
    for (int c = 1; c < std::min(3, diff.channels()); ++c) cv::max(largest, planes[c], largest);
  }
  return double(cv::countNonZero(largest > tolerance)) / double(area.area());
}

StabilityTracker::StabilityTracker(int quiet_ms, double max_changed_fraction, std::optional<cv::Rect> region)
    : quiet_ms_(quiet_ms), max_changed_(max_changed_fraction), region_(region) {}

bool StabilityTracker::feed(const cv::Mat& frame, double time_ms) {
  if (frame.empty()) throw VisionError("StabilityTracker: empty frame");
  cv::Rect area = region_ ? detail::clip(*region_, frame.size()) : cv::Rect(0, 0, frame.cols, frame.rows);
  if (area.empty()) throw VisionError("StabilityTracker: region lies outside the frame");
  cv::Mat current = frame(area);
  // The reference stays the first frame of the quiet period, so a slow drift still counts as change.
  if (last_.empty() || last_.size() != current.size() || last_.type() != current.type() ||
      changed_fraction(last_, current) > max_changed_) {
    last_ = current.clone();
    stable_since_ms_ = time_ms;
  }
  return time_ms - stable_since_ms_ >= quiet_ms_;
}

}  // namespace dockhand::vision
