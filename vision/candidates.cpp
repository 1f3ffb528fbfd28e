// For script authors: the best places for a template whatever their score, and how much of the template is its
// own (not fill or border). The runner never uses this: it is exhaustive, for `find` and `validate --screen`.
#include "vision/internal.h"
#include "vision/vision.h"

#include <algorithm>
#include <cstdio>

namespace dockhand::vision {

using detail::clip;
using detail::to_gray;

TemplateDetail template_detail(const Pattern& pattern) {
  cv::Mat gray = to_gray(pattern.image, "template");
  const int w = gray.cols, h = gray.rows;
  // A pixel is chrome along a row (column) when it sits in a run of near-equal values spanning most of the
  // template's width (height): a border line, a panel edge, plain fill. Glyphs make short runs both ways.
  auto long_runs = [&](bool along_rows) {
    cv::Mat in_run = cv::Mat::zeros(gray.size(), CV_8U);
    const int lines = along_rows ? h : w, length = along_rows ? w : h;
    const int needed = std::max(6, length * 4 / 5);
    auto at = [&](int line, int i) -> int { return along_rows ? gray.at<uchar>(line, i) : gray.at<uchar>(i, line); };
    for (int line = 0; line < lines; ++line) {
      int start = 0;
      for (int i = 1; i <= length; ++i) {
        if (i < length && std::abs(at(line, i) - at(line, i - 1)) <= 8) continue;
        if (i - start >= needed)
          for (int k = start; k < i; ++k) (along_rows ? in_run.at<uchar>(line, k) : in_run.at<uchar>(k, line)) = 1;
        start = i;
      }
    }
    return in_run;
  };
  cv::Mat flat_x = long_runs(true), flat_y = long_runs(false);
  const cv::Mat keep = pattern.mask.empty() ? cv::Mat(gray.size(), CV_8U, cv::Scalar(255)) : pattern.mask;
  const double mean = cv::mean(gray, keep)[0];
  // Zero-mean correlation weighs each pixel by its distance from the template's mean: plain fill weighs little,
  // a dark border on a light face weighs a lot. So count energy, not pixels.
  double total = 0, own = 0;
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      if (!keep.at<uchar>(y, x)) continue;
      double d = gray.at<uchar>(y, x) - mean;
      total += d * d;
      if (!flat_x.at<uchar>(y, x) && !flat_y.at<uchar>(y, x)) own += d * d;
    }
  TemplateDetail out;
  const int counted = cv::countNonZero(keep);
  // Nearly uniform (standard deviation under 4 grey levels): nothing to tell it from any other plain area.
  const bool uniform = counted == 0 || total / counted < 16;
  out.detail_fraction = uniform ? 0.0 : own / total;
  out.mostly_chrome = out.detail_fraction < kMinDetailFraction;
  return out;
}

Candidates find_candidates(const cv::Mat& frame, const Pattern& pattern, const FindOptions& options,
                           std::size_t count, double margin) {
  if (frame.empty()) throw VisionError("find: empty frame");
  if (options.scales.empty()) throw VisionError("find: no scales given");
  cv::Rect area = clip(options.within ? *options.within : cv::Rect(0, 0, frame.cols, frame.rows), frame.size());
  Candidates out;
  out.detail = template_detail(pattern);
  if (area.empty()) return out;
  cv::Mat gray = to_gray(frame(area), "frame");
  std::vector<Match> all;
  for (double scale : options.scales) {
    detail::Prepared t = detail::prepare(pattern, scale);
    if (t.templ.cols > gray.cols || t.templ.rows > gray.rows) continue;
    cv::Mat result;
    detail::correlate(gray, t.templ, t.mask, result);
    // Peaks one by one; each taken peak blanks every position whose rectangle would overlap it, so the runner-up
    // is another place, not the best shifted by a few pixels.
    for (std::size_t k = 0; k < count * 2; ++k) {
      double best = 0;
      cv::Point at;
      cv::minMaxLoc(result, nullptr, &best, nullptr, &at);
      if (best <= -1.5) break;
      all.push_back({cv::Rect(at.x + area.x, at.y + area.y, t.templ.cols, t.templ.rows), best, scale});
      cv::Rect blank = clip({at.x - t.templ.cols + 1, at.y - t.templ.rows + 1, 2 * t.templ.cols - 1,
                             2 * t.templ.rows - 1}, result.size());
      result(blank).setTo(-2);
    }
  }
  std::stable_sort(all.begin(), all.end(), [](const Match& a, const Match& b) { return a.score > b.score; });
  out.best = suppress_overlaps(std::move(all), count);
  out.found = !out.best.empty() && out.best[0].score >= options.min_score;
  char buf[200];
  if (out.found && out.best.size() > 1 && out.best[1].score >= out.best[0].score - margin) {
    const auto& r = out.best[1].region;
    std::snprintf(buf, sizeof buf, "the runner-up at [%d, %d, %d, %d] scores %.3f, within %.2f of the best (%.3f)",
                  r.x, r.y, r.width, r.height, out.best[1].score, margin, out.best[0].score);
    out.ambiguous = true;
    out.why = buf;
  }
  if (out.detail.mostly_chrome) {
    std::snprintf(buf, sizeof buf,
                  "only %.0f%% of the template's contrast is its own (the rest is fill and long straight edges "
                  "that other places share): "
                  "cut it tighter around what is unique (the label, not the button)",
                  out.detail.detail_fraction * 100);
    out.ambiguous = true;
    out.why += (out.why.empty() ? "" : "; ") + std::string(buf);
  }
  return out;
}

}  // namespace dockhand::vision
