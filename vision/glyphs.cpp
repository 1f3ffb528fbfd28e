// Per-glyph classifier for the known UI font: a glyph cut from a field is normalized like the templates in
// glyph_templates.inc (ink box scaled to kH high, centred in a kW-wide cell) and compared with the templates of
// the characters its position allows (correlation of the cells, less a penalty for a different width/height).
// Used by read_field to confirm or overrule Tesseract per character on codes.
#include "vision/glyphs.h"

#include <opencv2/imgproc.hpp>

#include <cmath>

namespace dockhand::vision::detail {

namespace {

constexpr int kH = 28, kW = 36;  // keep in step with scripts/gen-glyph-templates.cpp
constexpr double kAspectWeight = 0.6;

struct Template {
  char c;
  double aspect;
  unsigned char cell[kW * kH];
};

const Template kTemplates[] = {
#include "vision/glyph_templates.inc"
};

struct Prepared {
  cv::Mat cell;  // CV_32F, zero mean, unit norm
  double aspect;
};

int cell_width(double aspect) { return std::max(1, std::min(kW, int(aspect * kH + 0.5))); }

// The ink box scaled to kH high and `w` wide, centred in the cell.
cv::Mat to_cell(const cv::Mat& ink_u8, int w) {
  cv::Mat small, cell = cv::Mat::zeros(kH, kW, CV_8U);
  cv::resize(ink_u8, small, cv::Size(w, kH), 0, 0, cv::INTER_AREA);
  small.copyTo(cell(cv::Rect((kW - w) / 2, 0, w, kH)));
  cv::Mat f;
  cell.convertTo(f, CV_32F);
  f -= cv::mean(f)[0];
  double n = cv::norm(f);
  if (n > 0) f /= n;
  return f;
}

const std::vector<Prepared>& templates() {
  static const std::vector<Prepared> list = [] {
    std::vector<Prepared> out;
    for (const Template& t : kTemplates) {
      cv::Mat cell(kH, kW, CV_8U, const_cast<unsigned char*>(t.cell));
      int w = cell_width(t.aspect);
      out.push_back({to_cell(cell(cv::Rect((kW - w) / 2, 0, w, kH)), w), t.aspect});
    }
    return out;
  }();
  return list;
}

}  // namespace

GlyphVote classify_glyph(const cv::Mat& ink, const std::string& allowed) {
  GlyphVote vote;
  if (ink.empty()) return vote;
  cv::Rect box = cv::boundingRect(ink);
  if (box.height < 6 || box.width < 1) return vote;
  const double aspect = double(box.width) / box.height;
  const auto& list = templates();
  cv::Mat cells[kW + 1];  // the glyph normalized to each template width, made once per width
  for (size_t i = 0; i < list.size(); ++i) {
    char c = kTemplates[i].c;
    if (allowed.find(c) == std::string::npos) continue;
    // The glyph stretched to the template's width: hinting at UI sizes changes widths by a pixel or two, the
    // strokes' layout is what tells look-alikes apart; a clearly different width costs a little.
    const int w = cell_width(list[i].aspect);
    cv::Mat& cell = cells[w];
    if (cell.empty()) cell = to_cell(ink(box), w);
    double score = cell.dot(list[i].cell) - kAspectWeight * std::abs(std::log(aspect / list[i].aspect));
    vote.scores.push_back({c, score});
    if (score > vote.score) {
      vote.second = vote.best;
      vote.second_score = vote.score;
      vote.best = c;
      vote.score = score;
    } else if (score > vote.second_score) {
      vote.second = c;
      vote.second_score = score;
    }
  }
  return vote;
}

double GlyphVote::score_of(char c) const {
  for (auto [ch, s] : scores)
    if (ch == c) return s;
  return -10;
}

bool knows_glyph(char c) {
  for (const Template& t : kTemplates)
    if (t.c == c) return true;
  return false;
}

}  // namespace dockhand::vision::detail
