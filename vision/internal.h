// Helpers shared by the vision sources; not part of the room's interface.
#pragma once

#include "vision/vision.h"

#include <opencv2/core.hpp>

#include <vector>

namespace dockhand::vision {

namespace detail {
// 8-bit gray view or copy of a 1, 3 or 4 channel 8-bit image; `what` names it in errors.
cv::Mat to_gray(const cv::Mat& image, const char* what);
cv::Rect clip(const cv::Rect& r, const cv::Size& size);

// A template made ready for matching at one scale.
struct Prepared {
  cv::Mat templ;  // gray, at `scale`
  cv::Mat mask;   // empty or same size as templ
  double scale = 1.0;
};
Prepared prepare(const Pattern& pattern, double scale);
// Exhaustive normalized correlation of `templ` over `image`; flat windows under a mask give 0, not NaN/inf.
void correlate(const cv::Mat& image, const cv::Mat& templ, const cv::Mat& mask, cv::Mat& result);
}  // namespace detail

// Greedy non-maximum suppression over matches sorted best first: a match is dropped when it covers more than
// half of the smaller of itself and an already kept match.
std::vector<Match> suppress_overlaps(std::vector<Match> sorted, std::size_t max_matches);

}  // namespace dockhand::vision
