// Per-glyph classifier for the apps' UI font (DejaVu Sans, [A-Z0-9]); not part of the room's interface.
#pragma once

#include <opencv2/core.hpp>

#include <string>
#include <utility>
#include <vector>

namespace dockhand::vision::detail {

struct GlyphVote {
  char best = 0, second = 0;  // 0: nothing allowed / nothing to classify
  double score = -10, second_score = -10;  // ~1 for a clean match; lower is worse
  std::vector<std::pair<char, double>> scores;  // every allowed character the classifier knows
  double score_of(char c) const;                // -10 for a character it does not know
};

// `ink`: a mask (non-zero = ink) holding one glyph; `allowed`: the characters its position allows.
GlyphVote classify_glyph(const cv::Mat& ink, const std::string& allowed);
// Whether the classifier has a template for `c`.
bool knows_glyph(char c);

}  // namespace dockhand::vision::detail
