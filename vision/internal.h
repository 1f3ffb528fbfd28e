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
}  // namespace detail

// Greedy non-maximum suppression over matches sorted best first: a match is dropped when it covers more than
// half of the smaller of itself and an already kept match.
std::vector<Match> suppress_overlaps(std::vector<Match> sorted, std::size_t max_matches);

}  // namespace dockhand::vision
