// Template find. Scores are TM_CCOEFF_NORMED (zero-mean normalized correlation), also with a mask: OpenCV >= 4.2
// supports masks for every method, and the zero-mean form does not score a flat bright area highly the way
// masked TM_CCORR_NORMED does (see the unit test vision.find.mask_rejects_flat_area).
//
// A full-frame search is two-stage, so that it finds exactly what the exhaustive search finds at a fraction of
// its cost: a coarse pass on the frame shrunk by 2 or 4 (run in horizontal stripes in parallel) with a lowered
// threshold gives candidates; EVERY candidate is then re-scored at full resolution in a small window, and only
// full-resolution scores decide. A coarse pass alone misses matches whose position is not a multiple of the
// shrink factor, because the shrunk copies of the label then differ.
#include "vision/internal.h"
#include "vision/vision.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <filesystem>
#include <mutex>

namespace dockhand::vision {

namespace detail {

cv::Mat to_gray(const cv::Mat& image, const char* what) {
  if (image.empty()) throw VisionError(std::string(what) + ": empty image");
  if (image.depth() != CV_8U) throw VisionError(std::string(what) + ": expected an 8-bit image");
  cv::Mat gray;
  switch (image.channels()) {
    case 1: return image;
    case 3: cv::cvtColor(image, gray, cv::COLOR_BGR2GRAY); return gray;
    case 4: cv::cvtColor(image, gray, cv::COLOR_BGRA2GRAY); return gray;
    default: throw VisionError(std::string(what) + ": expected 1, 3 or 4 channels, got " +
                               std::to_string(image.channels()));
  }
}

cv::Rect clip(const cv::Rect& r, const cv::Size& size) { return r & cv::Rect(0, 0, size.width, size.height); }

}  // namespace detail

using detail::clip;
using detail::to_gray;

Pattern Pattern::load(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) throw VisionError("template " + path + ": no such file");
  cv::Mat raw = cv::imread(path, cv::IMREAD_UNCHANGED);
  if (raw.empty()) throw VisionError("template " + path + ": cannot read (missing or not an image)");
  if (raw.depth() != CV_8U) {
    cv::Mat eight;
    raw.convertTo(eight, CV_8U, raw.depth() == CV_16U ? 1.0 / 257 : 1.0);
    raw = eight;
  }
  Pattern p;
  p.source = path;
  if (raw.channels() == 4) {
    std::vector<cv::Mat> planes;
    cv::split(raw, planes);
    cv::Mat alpha = planes[3];
    cv::merge(std::vector<cv::Mat>{planes[0], planes[1], planes[2]}, p.image);
    double lowest = 0;
    cv::minMaxLoc(alpha, &lowest);
    if (lowest < 255) {
      p.mask = alpha > 0;  // partly transparent pixels count; fully transparent ones do not
      if (cv::countNonZero(p.mask) == 0) throw VisionError("template " + path + ": fully transparent");
    }
  } else if (raw.channels() == 2) {
    std::vector<cv::Mat> planes;
    cv::split(raw, planes);
    p.image = planes[0];
    double lowest = 0;
    cv::minMaxLoc(planes[1], &lowest);
    if (lowest < 255) p.mask = planes[1] > 0;
  } else {
    p.image = raw;
  }
  return p;
}

namespace detail {

Prepared prepare(const Pattern& pattern, double scale) {
  if (pattern.image.empty()) throw VisionError("pattern " + pattern.source + ": empty template image");
  if (!(scale > 0.05 && scale < 20)) throw VisionError("pattern " + pattern.source + ": bad scale");
  Prepared p;
  p.scale = scale;
  cv::Mat gray = to_gray(pattern.image, "template");
  if (scale == 1.0) {
    p.templ = gray;
    p.mask = pattern.mask;
  } else {
    cv::Size size(std::max(1, int(std::lround(gray.cols * scale))), std::max(1, int(std::lround(gray.rows * scale))));
    cv::resize(gray, p.templ, size, 0, 0, scale < 1 ? cv::INTER_AREA : cv::INTER_LINEAR);
    if (!pattern.mask.empty()) cv::resize(pattern.mask, p.mask, size, 0, 0, cv::INTER_NEAREST);
  }
  if (!p.mask.empty() && p.mask.size() != p.templ.size())
    throw VisionError("pattern " + pattern.source + ": mask size differs from the image size");
  if (!p.mask.empty() && p.mask.type() != CV_8U) p.mask.convertTo(p.mask, CV_8U);
  return p;
}

// Exhaustive normalized correlation of `templ` over `image`; flat windows under a mask give 0, not NaN/inf.
void correlate(const cv::Mat& image, const cv::Mat& templ, const cv::Mat& mask, cv::Mat& result) {
  if (mask.empty()) {
    cv::matchTemplate(image, templ, result, cv::TM_CCOEFF_NORMED);
  } else {
    cv::matchTemplate(image, templ, result, cv::TM_CCOEFF_NORMED, mask);
    cv::patchNaNs(result, 0);
    cv::Mat bad = (result > 1.0001) | (result < -1.0001);
    result.setTo(0, bad);
  }
}

}  // namespace detail

namespace {

using detail::correlate;
using detail::prepare;
using detail::Prepared;

struct Point3 {
  int x, y;
  float score;
};

void collect_at_least(const cv::Mat& result, double threshold, cv::Point offset, std::vector<Point3>& out) {
  for (int y = 0; y < result.rows; ++y) {
    const float* row = result.ptr<float>(y);
    for (int x = 0; x < result.cols; ++x)
      if (row[x] >= threshold) out.push_back({x + offset.x, y + offset.y, row[x]});
  }
}

// Coarse pass: candidates (local maxima at or above `threshold`) in the shrunk image, stripes in parallel.
std::vector<cv::Point> coarse_candidates(const cv::Mat& small, const cv::Mat& templ, const cv::Mat& mask,
                                         double threshold) {
  cv::Mat result(small.rows - templ.rows + 1, small.cols - templ.cols + 1, CV_32F);
  int stripes = std::clamp(result.rows / 32, 1, std::max(2, cv::getNumThreads()));
  cv::parallel_for_(cv::Range(0, stripes), [&](const cv::Range& range) {
    for (int s = range.start; s < range.end; ++s) {
      int r0 = result.rows * s / stripes, r1 = result.rows * (s + 1) / stripes;
      cv::Mat part;
      correlate(small.rowRange(r0, r1 + templ.rows - 1), templ, mask, part);
      part.copyTo(result.rowRange(r0, r1));
    }
  });
  cv::Mat peaks;
  cv::dilate(result, peaks, cv::Mat());
  std::vector<cv::Point> out;
  for (int y = 0; y < result.rows; ++y) {
    const float* r = result.ptr<float>(y);
    const float* p = peaks.ptr<float>(y);
    for (int x = 0; x < result.cols; ++x)
      if (r[x] >= threshold && r[x] >= p[x]) out.push_back({x, y});
  }
  return out;
}

// Every position in `gray` whose full-resolution score is at least `threshold`.
// Full-resolution score at single positions, computed directly in integers (exact sums; the compiler turns the
// row loops into SIMD): far cheaper than matchTemplate's DFT on the tiny windows around coarse candidates.
// Same value as TM_CCOEFF_NORMED; with a mask, over the masked pixels only.
class Scorer {
 public:
  Scorer(const cv::Mat& templ, const cv::Mat& mask) : masked_(!mask.empty()) {
    keep_ = masked_ ? cv::Mat(mask > 0) : cv::Mat(templ.size(), CV_8U, cv::Scalar(255));
    templ_ = templ & keep_;
    count_ = cv::countNonZero(keep_);
    double sum = cv::sum(templ_)[0];
    t_sum_ = sum;
    t_var_ = templ_.dot(templ_) - sum * sum / std::max(count_, 1);
  }
  float score(const cv::Mat& gray, int x, int y) const {
    int64_t dot = 0, sum = 0, sum2 = 0;
    const int cols = templ_.cols;
    for (int r = 0; r < templ_.rows; ++r) {
      const uchar* px = gray.ptr<uchar>(y + r) + x;
      const uchar* t = templ_.ptr<uchar>(r);
      int d = 0, s = 0, s2 = 0;
      if (masked_) {
        const uchar* m = keep_.ptr<uchar>(r);
        for (int c = 0; c < cols; ++c) {
          int v = px[c] & m[c];
          d += t[c] * v;
          s += v;
          s2 += v * v;
        }
      } else {
        for (int c = 0; c < cols; ++c) {
          int v = px[c];
          d += t[c] * v;
          s += v;
          s2 += v * v;
        }
      }
      dot += d;
      sum += s;
      sum2 += s2;
    }
    const double n = count_;
    double variance = double(sum2) - double(sum) * double(sum) / n;
    double denominator = variance * t_var_;
    if (!(denominator > 1e-6)) return 0;
    return float((double(dot) - t_sum_ * double(sum) / n) / std::sqrt(denominator));
  }

 private:
  bool masked_;
  cv::Mat keep_, templ_;
  int count_ = 0;
  double t_sum_ = 0, t_var_ = 0;
};

// Shrink factor per axis: the shrunk template must keep enough detail to rank candidates.
int shrink_for(int extent, int keep) {
  for (int f : {4, 2})
    if (extent / f >= keep) return f;
  return 1;
}

// Every position in `gray` whose full-resolution score is at least `threshold`.
std::vector<Point3> positions_at_least(const cv::Mat& gray, const Prepared& t, double threshold) {
  std::vector<Point3> points;
  if (t.templ.cols > gray.cols || t.templ.rows > gray.rows) return points;
  const cv::Size valid(gray.cols - t.templ.cols + 1, gray.rows - t.templ.rows + 1);
  int fx = 1, fy = 1;
  if (valid.area() > 250'000) {
    fx = shrink_for(t.templ.cols, 12);
    fy = shrink_for(t.templ.rows, 8);
  }
  if (fx * fy == 1) {
    cv::Mat result;
    correlate(gray, t.templ, t.mask, result);
    collect_at_least(result, threshold, {0, 0}, points);
    return points;
  }
  cv::Mat small, small_templ, small_mask;
  cv::resize(gray, small, cv::Size(gray.cols / fx, gray.rows / fy), 0, 0, cv::INTER_AREA);
  cv::resize(t.templ, small_templ, cv::Size(t.templ.cols / fx, t.templ.rows / fy), 0, 0, cv::INTER_AREA);
  if (!t.mask.empty()) {
    cv::resize(t.mask, small_mask, small_templ.size(), 0, 0, cv::INTER_AREA);
    small_mask = small_mask >= 128;
    if (cv::countNonZero(small_mask) < 8) small_mask.release();
  }
  // Lowered threshold: shrinking blurs thin strokes, and a match off the shrink grid shrinks differently.
  const double drop = 0.3;
  std::vector<cv::Point> candidates = coarse_candidates(small, small_templ, small_mask, threshold - drop);

  // Refine every candidate at full resolution: positions within one shrink step of the coarse peak, each
  // position scored once even where the windows of neighbouring candidates overlap.
  cv::Mat seen = cv::Mat::zeros(valid, CV_8U);
  std::vector<cv::Point> todo;
  for (const cv::Point& c : candidates) {
    const int rx = fx, ry = fy;
    cv::Rect around = clip({c.x * fx - rx, c.y * fy - ry, 2 * rx + 1, 2 * ry + 1}, valid);
    for (int y = around.y; y < around.br().y; ++y) {
      uchar* s = seen.ptr<uchar>(y);
      for (int x = around.x; x < around.br().x; ++x)
        if (!s[x]) { s[x] = 1; todo.push_back({x, y}); }
    }
  }
  const Scorer scorer(t.templ, t.mask);
  std::mutex merge;
  cv::parallel_for_(cv::Range(0, int(todo.size())), [&](const cv::Range& range) {
    std::vector<Point3> local;
    for (int i = range.start; i < range.end; ++i) {
      float score = scorer.score(gray, todo[i].x, todo[i].y);
      if (score >= threshold) local.push_back({todo[i].x, todo[i].y, score});
    }
    std::lock_guard lock(merge);
    points.insert(points.end(), local.begin(), local.end());
  }, 8);
  // Same order as a scan of the whole result, so ties between equal scores break the same way.
  std::sort(points.begin(), points.end(), [](const Point3& a, const Point3& b) {
    return a.y != b.y ? a.y < b.y : a.x < b.x;
  });
  return points;
}

bool overlapping(const cv::Rect& a, const cv::Rect& b) {
  int inter = (a & b).area();
  return inter > 0 && inter * 2 > std::min(a.area(), b.area());
}

std::vector<Match> search(const cv::Mat& gray, cv::Point offset, const Pattern& pattern, const FindOptions& options,
                          std::size_t max_matches) {
  std::vector<Match> all;
  for (double scale : options.scales) {
    Prepared t = prepare(pattern, scale);
    for (const Point3& p : positions_at_least(gray, t, options.min_score))
      all.push_back({cv::Rect(p.x + offset.x, p.y + offset.y, t.templ.cols, t.templ.rows), p.score, scale});
  }
  std::stable_sort(all.begin(), all.end(), [](const Match& a, const Match& b) { return a.score > b.score; });
  return suppress_overlaps(std::move(all), max_matches);
}

std::vector<Match> find_in(const cv::Mat& frame, cv::Rect area, const Pattern& pattern, const FindOptions& options,
                           std::size_t max_matches) {
  area = clip(area, frame.size());
  if (area.empty()) return {};
  cv::Mat gray = to_gray(frame(area), "frame");
  return search(gray, area.tl(), pattern, options, max_matches);
}

}  // namespace

std::vector<Match> suppress_overlaps(std::vector<Match> sorted, std::size_t max_matches) {
  std::vector<Match> kept;
  for (const Match& m : sorted) {
    if (kept.size() >= max_matches) break;
    bool suppressed = false;
    for (const Match& k : kept)
      if (overlapping(k.region, m.region)) { suppressed = true; break; }
    if (!suppressed) kept.push_back(m);
  }
  return kept;
}

std::vector<Match> find_all(const cv::Mat& frame, const Pattern& pattern, const FindOptions& options,
                            std::size_t max_matches) {
  if (frame.empty()) throw VisionError("find: empty frame");
  if (options.scales.empty()) throw VisionError("find: no scales given");
  cv::Rect area = options.within ? *options.within : cv::Rect(0, 0, frame.cols, frame.rows);
  return find_in(frame, area, pattern, options, max_matches);
}

std::optional<Match> find(const cv::Mat& frame, const Pattern& pattern, const FindOptions& options) {
  if (frame.empty()) throw VisionError("find: empty frame");
  if (options.scales.empty()) throw VisionError("find: no scales given");
  cv::Rect area = options.within ? clip(*options.within, frame.size()) : cv::Rect(0, 0, frame.cols, frame.rows);
  if (options.hint) {
    // Where it was last time, with room for a small move: usually the whole search.
    double biggest = *std::max_element(options.scales.begin(), options.scales.end());
    int w = int(pattern.image.cols * biggest), h = int(pattern.image.rows * biggest);
    cv::Rect near(options.hint->x - w / 2 - 24, options.hint->y - h / 2 - 24, std::max(options.hint->width, w) + w + 48,
                  std::max(options.hint->height, h) + h + 48);
    auto found = find_in(frame, near & area, pattern, options, 1);
    if (!found.empty()) return found.front();
  }
  auto found = find_in(frame, area, pattern, options, 1);
  if (found.empty()) return std::nullopt;
  return found.front();
}

}  // namespace dockhand::vision
