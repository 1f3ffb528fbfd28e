// Cutting templates for the recorder: ink boxes around a point and growth until the crop is unique on the frame.
#include "vision/internal.h"
#include "vision/vision.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>

namespace dockhand::vision {

using detail::clip;
using detail::to_gray;

namespace {

// Pixels with contrast: a morphological gradient over 40 grey levels (antialiased glyph edges, 1 px borders).
cv::Mat edges(const cv::Mat& gray) {
  cv::Mat grad, bin;
  cv::morphologyEx(gray, grad, cv::MORPH_GRADIENT, cv::getStructuringElement(cv::MORPH_RECT, {3, 3}));
  cv::threshold(grad, bin, 40, 255, cv::THRESH_BINARY);
  return bin;
}

// Glyphs a few px apart join into words, and words one space apart (up to 8 px) into labels; lines stay apart.
cv::Mat joined(const cv::Mat& bin) {
  cv::Mat out;
  cv::dilate(bin, out, cv::getStructuringElement(cv::MORPH_RECT, {9, 1}));
  return out;
}

cv::Rect frame_rect(const cv::Mat& frame) { return {0, 0, frame.cols, frame.rows}; }

}  // namespace

std::vector<cv::Rect> ink_boxes(const cv::Mat& frame, const cv::Rect& area) {
  cv::Rect a = clip(area.empty() ? frame_rect(frame) : area, frame.size());
  std::vector<cv::Rect> out;
  if (a.empty()) return out;
  cv::Mat mask = joined(edges(to_gray(frame(a), "frame"))), labels, stats, centroids;
  int n = cv::connectedComponentsWithStats(mask, labels, stats, centroids, 8, CV_32S);
  for (int i = 1; i < n; ++i) {
    cv::Rect r(stats.at<int>(i, cv::CC_STAT_LEFT), stats.at<int>(i, cv::CC_STAT_TOP), stats.at<int>(i, cv::CC_STAT_WIDTH),
               stats.at<int>(i, cv::CC_STAT_HEIGHT));
    if (r.width < 3 || r.height < 3) continue;  // specks
    out.push_back(r + a.tl());
  }
  return out;
}

std::optional<cv::Rect> ink_at(const cv::Mat& frame, cv::Point at, const cv::Rect& area, int reach) {
  cv::Rect a = clip(area.empty() ? frame_rect(frame) : area, frame.size());
  if (!a.contains(at)) return std::nullopt;
  // Only a neighbourhood: a label is at most a few hundred px wide; a box that reaches the neighbourhood's edge is
  // a border or a panel, not something to click by.
  cv::Rect near = clip(cv::Rect(at.x - 200, at.y - 40, 400, 80), frame.size()) & a;
  cv::Mat bin = edges(to_gray(frame(near), "frame")), mask = joined(bin), labels, stats, centroids;
  cv::connectedComponentsWithStats(mask, labels, stats, centroids, 8, CV_32S);
  cv::Point p = at - near.tl();
  int best = 0;
  double best_d = 1e9;
  for (int y = std::max(0, p.y - reach); y <= std::min(near.height - 1, p.y + reach); ++y)
    for (int x = std::max(0, p.x - reach); x <= std::min(near.width - 1, p.x + reach); ++x) {
      int l = labels.at<int>(y, x);
      if (!l || !bin.at<uchar>(y, x)) continue;
      double d = std::hypot(x - p.x, y - p.y);
      if (d < best_d) best_d = d, best = l;
    }
  // Inside a word, between its glyphs, the joined mask still says so.
  if (!best && labels.at<int>(p.y, p.x)) best = labels.at<int>(p.y, p.x);
  if (!best) return std::nullopt;
  cv::Rect r(stats.at<int>(best, cv::CC_STAT_LEFT), stats.at<int>(best, cv::CC_STAT_TOP),
             stats.at<int>(best, cv::CC_STAT_WIDTH), stats.at<int>(best, cv::CC_STAT_HEIGHT));
  if (r.width >= near.width - 2 || r.height >= near.height - 2) return std::nullopt;  // a frame around the point
  return r + near.tl();
}

bool textureless(const cv::Mat& frame, const cv::Rect& r) {
  cv::Rect c = clip(r, frame.size());
  if (c.empty()) return true;
  Pattern p;
  p.image = frame(c);
  return template_detail(p).mostly_chrome;
}

bool unique_on(const cv::Mat& frame, const cv::Rect& r, const CutOptions& options, Candidates* out) {
  Pattern p;
  p.image = to_gray(frame(r), "frame").clone();
  FindOptions fo;
  fo.min_score = options.min_score;
  auto c = find_candidates(frame, p, fo, 2, options.margin);
  bool ok = c.found && !c.ambiguous && std::abs(c.best[0].region.x - r.x) <= 1 && std::abs(c.best[0].region.y - r.y) <= 1;
  if (out) *out = std::move(c);
  return ok;
}

std::optional<Cut> cut_unique(const cv::Mat& frame, const cv::Rect& seed, const CutOptions& options) {
  if (frame.empty()) throw VisionError("cut: empty frame");
  const cv::Rect bounds = clip(options.bounds.empty() ? frame_rect(frame) : options.bounds, frame.size());
  cv::Rect r = clip(cv::Rect(seed.x - 2, seed.y - 2, seed.width + 4, seed.height + 4), frame.size()) & bounds;
  cv::Mat gray = to_gray(frame, "frame");
  for (int step = 0; step < 64 && !r.empty(); ++step) {
    Cut cut;
    cut.rect = r;
    if (!textureless(gray, r) && unique_on(gray, r, options, &cut.check)) return cut;
    cv::Rect grown = cv::Rect(r.x - options.step_x, r.y - options.step_y, r.width + 2 * options.step_x,
                              r.height + 2 * options.step_y) & bounds;
    if (grown.width > options.max_width) grown.x = r.x, grown.width = r.width;
    if (grown.height > options.max_height) grown.y = r.y, grown.height = r.height;
    if (grown == r) break;
    r = grown;
  }
  return std::nullopt;
}

bool looks_masked(const cv::Mat& before, const cv::Mat& after, const cv::Rect& area, int typed_chars) {
  if (typed_chars < 3 || before.size() != after.size()) return false;
  cv::Rect a = clip(area, after.size());
  if (a.empty()) return false;
  cv::Mat gb = to_gray(before(a), "frame"), ga = to_gray(after(a), "frame"), diff, mask, labels, stats, centroids;
  cv::absdiff(gb, ga, diff);
  cv::threshold(diff, mask, 40, 255, cv::THRESH_BINARY);
  int n = cv::connectedComponentsWithStats(mask, labels, stats, centroids, 8, CV_32S);
  std::vector<cv::Rect> marks;
  for (int i = 1; i < n; ++i) {
    cv::Rect r(stats.at<int>(i, cv::CC_STAT_LEFT), stats.at<int>(i, cv::CC_STAT_TOP), stats.at<int>(i, cv::CC_STAT_WIDTH),
               stats.at<int>(i, cv::CC_STAT_HEIGHT));
    if (r.width < 3 || r.height < 3) continue;  // the text cursor, specks
    marks.push_back(r);
  }
  if (static_cast<int>(marks.size()) != typed_chars) return false;
  // All alike: same size within a pixel, and the same pixels (each mark against the first).
  cv::Mat first = ga(marks[0]);
  for (const auto& m : marks) {
    if (std::abs(m.width - marks[0].width) > 1 || std::abs(m.height - marks[0].height) > 1) return false;
    cv::Rect common(0, 0, std::min(m.width, marks[0].width), std::min(m.height, marks[0].height));
    cv::Mat d;
    cv::absdiff(ga(m)(common), first(common), d);
    if (cv::mean(d)[0] > 12) return false;
  }
  return true;
}

}  // namespace dockhand::vision
