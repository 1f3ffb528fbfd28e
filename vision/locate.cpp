// locate_text: where a phrase (one or more consecutive words) is on the frame, fuzzily.
#include "vision/internal.h"
#include "vision/ocr_internal.h"
#include "vision/vision.h"

#include <tesseract/publictypes.h>

#include <algorithm>
#include <cctype>

namespace dockhand::vision {

namespace {

// Lower case, whitespace runs folded to one space, trimmed.
std::string fold(std::string_view s) {
  std::string out;
  bool space = false;
  for (unsigned char c : s) {
    if (std::isspace(c)) {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += char(std::tolower(c));
  }
  return out;
}

double similarity(const std::string& a, const std::string& b) {
  if (a.empty() && b.empty()) return 1.0;
  std::vector<int> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = int(j);
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = int(i);
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return 1.0 - double(prev[b.size()]) / double(std::max(a.size(), b.size()));
}

}  // namespace

TextScan scan_text(const cv::Mat& frame, std::optional<cv::Rect> within) {
  if (frame.empty()) throw VisionError("scan_text: empty frame");
  TextScan scan;
  scan.area = within ? detail::clip(*within, frame.size()) : cv::Rect(0, 0, frame.cols, frame.rows);
  if (scan.area.empty()) return scan;
  cv::Mat gray = detail::to_gray(frame(scan.area), "scan_text");
  for (auto& w : detail::recognize_words(gray, tesseract::PSM_SPARSE_TEXT, detail::words_scale(gray.size()))) {
    w.word.box += scan.area.tl();
    scan.words.push_back({std::move(w.word), w.line});
  }
  return scan;
}

std::vector<Match> locate_text(const TextScan& scan, std::string_view text, const LocateOptions& options) {
  const std::string wanted = fold(text);
  if (wanted.empty()) throw VisionError("locate_text: empty text to look for");
  std::vector<const TextScan::ScanWord*> words;
  for (const auto& w : scan.words)
    if (!options.within || (w.word.box & *options.within) == w.word.box) words.push_back(&w);

  const int wanted_words = int(std::count(wanted.begin(), wanted.end(), ' ')) + 1;
  std::vector<Match> found;
  for (size_t i = 0; i < words.size(); ++i) {
    std::string joined;
    cv::Rect box;
    // Runs of consecutive words on one line, up to one word more than asked (OCR may split a word).
    for (size_t k = i; k < words.size() && words[k]->line == words[i]->line && int(k - i) <= wanted_words; ++k) {
      joined += (k == i ? "" : " ") + fold(words[k]->word.text);
      box = k == i ? words[k]->word.box : (box | words[k]->word.box);
      double score = similarity(joined, wanted);
      if (score >= options.min_similarity) found.push_back({box, score, 1.0});
    }
  }
  std::stable_sort(found.begin(), found.end(), [](const Match& a, const Match& b) { return a.score > b.score; });
  return suppress_overlaps(std::move(found), 100);
}

std::vector<Match> locate_text(const cv::Mat& frame, std::string_view text, const LocateOptions& options) {
  if (frame.empty()) throw VisionError("locate_text: empty frame");
  if (fold(text).empty()) throw VisionError("locate_text: empty text to look for");
  LocateOptions rest = options;
  rest.within.reset();
  return locate_text(scan_text(frame, options.within), text, rest);
}

}  // namespace dockhand::vision
