// vision/: pure image work on frames. No I/O beyond loading template and font files, no drivers, no scripts.
// Vocabulary after SikuliX: a Pattern is what to look for, a Match is a region where it was found.
// Frames are cv::Mat, 8-bit BGR or BGRA (4 channels as captured) or gray; every function accepts all three.
#pragma once

#include <opencv2/core.hpp>

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace dockhand::vision {

class VisionError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Match {
  cv::Rect region;     // where it was found, in the coordinates of the frame searched
  double score = 0;    // normalized correlation, 0..1
  double scale = 1.0;  // the template scale that matched (DPI 100-200% => 1.0-2.0)
};

struct Pattern {
  cv::Mat image;  // template, 8-bit BGR or gray
  cv::Mat mask;   // optional 8-bit mask (from PNG alpha): only pixels with mask > 0 count
  std::string source;  // file it came from, for error messages
  // Loads a PNG; its alpha channel, if any and not fully opaque, becomes the mask. Throws VisionError.
  static Pattern load(const std::string& path);
};

struct FindOptions {
  double min_score = 0.9;
  std::optional<cv::Rect> within;       // search only here (clipped to the frame)
  std::optional<cv::Rect> hint;         // where it was last time: searched first, full search if absent
  std::vector<double> scales = {1.0};   // template scales to try, e.g. {1.0, 1.25, 1.5, 2.0}
};

// Best match at or above min_score, or nullopt.
std::optional<Match> find(const cv::Mat& frame, const Pattern& pattern, const FindOptions& options = {});
// All matches at or above min_score, best first, overlapping matches suppressed (non-maximum suppression).
std::vector<Match> find_all(const cv::Mat& frame, const Pattern& pattern, const FindOptions& options = {},
                            std::size_t max_matches = 100);

// ---- for script authors: what the finder sees ----
// How much of a template is its own: the share of its contrast (what zero-mean correlation weighs) in pixels
// that are neither plain fill nor part of a long straight line (a button's border, a panel edge). A template
// that is mostly chrome matches every button that shares it.
struct TemplateDetail {
  double detail_fraction = 0;  // 0..1 of the template's contrast (0 for a uniform template)
  bool mostly_chrome = false;  // detail_fraction < kMinDetailFraction
};
inline constexpr double kMinDetailFraction = 0.2;
TemplateDetail template_detail(const Pattern& pattern);

// The best places for a template on a frame whatever their score (so an author can tell "almost" from
// "nothing"), and whether the template is ambiguous there.
struct Candidates {
  std::vector<Match> best;  // best first, overlapping places suppressed; below min_score too
  bool found = false;       // best[0] is at or above options.min_score
  bool ambiguous = false;   // see `why`
  std::string why;          // the runner-up is within `margin` of a found best, or the template is mostly chrome
  TemplateDetail detail;
};
// Exhaustive (no coarse pass: every position is scored), so slower than find(); for authoring tools.
Candidates find_candidates(const cv::Mat& frame, const Pattern& pattern, const FindOptions& options = {},
                           std::size_t count = 3, double margin = 0.15);

// ---- OCR (Tesseract). One engine per thread, initialised once, OpenMP threading off. ----
struct Word {
  std::string text;
  cv::Rect box;            // in the coordinates of the image read
  float confidence = 0;    // 0..100
};

struct ReadOptions {
  std::string whitelist;  // allowed characters, e.g. "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-"
  std::string pattern;    // ECMAScript regex the whole text must match, e.g. "PT-[0-9]{6}"; empty = any
  bool single_line = true;
  // The program's UI font (a TrueType/OpenType file): a code whose pattern fixes the characters of each position
  // is read by rendering this font and comparing pixel for pixel. Empty: DejaVu Sans where installed (the
  // simulated programs' font); "none": Tesseract alone. A file that cannot be loaded is a VisionError.
  std::string font;
};

struct ReadResult {
  std::string text;        // best reading (trimmed)
  float confidence = 0;    // 0..100
  bool matches_pattern = true;  // false when a pattern was given and no reading matched it
};

// Whether `font_file` is a font read_field can use (ReadOptions::font).
bool font_loads(const std::string& font_file);

// All words on the image, with boxes and confidence.
std::vector<Word> ocr_words(const cv::Mat& image);
// Reads one field (a small crop). With a pattern/whitelist, re-reads at other thresholds/scales until
// a reading matches the pattern.
ReadResult read_field(const cv::Mat& image, const ReadOptions& options = {});

struct LocateOptions {
  std::optional<cv::Rect> within;
  double min_similarity = 0.8;  // fuzzy: 1 - normalized edit distance, over the text with spaces folded
};
// Where `text` (one or more words) appears on the frame, best first.
std::vector<Match> locate_text(const cv::Mat& frame, std::string_view text, const LocateOptions& options = {});

// The words of one area of a frame, read once and searched many times (several phrases on the same pixels:
// one OCR instead of one per phrase).
struct TextScan {
  cv::Rect area;  // what was read, in frame coordinates
  struct ScanWord {
    Word word;     // box in frame coordinates
    int line = 0;  // text line, in reading order
  };
  std::vector<ScanWord> words;
};
TextScan scan_text(const cv::Mat& frame, std::optional<cv::Rect> within = std::nullopt);
// As locate_text, over a scan; `options.within` keeps only words wholly inside it.
std::vector<Match> locate_text(const TextScan& scan, std::string_view text, const LocateOptions& options = {});

// ---- for recorders: cutting a target around a point a person clicked ----
// Ink: the word-sized boxes of contrast on a frame (glyphs joined into words and words into labels, borders and
// icons on their own), found from edges, so any program's widgets, in any colours, give the same kind of boxes.
std::vector<cv::Rect> ink_boxes(const cv::Mat& frame, const cv::Rect& area);
// The ink box at `at` (edges within `reach` px of it), or nullopt when the point is on plain background.
std::optional<cv::Rect> ink_at(const cv::Mat& frame, cv::Point at, const cv::Rect& area, int reach = 2);
// Whether `r` has nothing to find it by: (nearly) uniform, or only plain fill and long straight edges.
bool textureless(const cv::Mat& frame, const cv::Rect& r);

// Whether typing `typed_chars` characters into a field showed a mask instead of the text: what changed in `area`
// between `before` and `after` is that many glyph-sized marks, all alike (bullets, asterisks), as a password field
// shows them. Typed text gives marks of different shapes.
bool looks_masked(const cv::Mat& before, const cv::Mat& after, const cv::Rect& area, int typed_chars);

struct CutOptions {
  cv::Rect bounds;           // the cut stays inside (the window's client area); empty = the whole frame
  double min_score = 0.9;    // the runner's score
  double margin = 0.15;      // the next best place must score this much lower (as `validate --screen` checks)
  int max_width = 360, max_height = 140;
  int step_x = 8, step_y = 4;  // growth per side and step
};
struct Cut {
  cv::Rect rect;       // on the frame
  Candidates check;    // how it fares on the whole frame: found, runner-up, detail
};
// A template grown from `seed` (a few px of padding, then step by step on every side, within bounds) until it is
// textured and unique on the whole frame: found at its own place, the next best place `margin` lower, and not
// mostly chrome. nullopt when no size up to the maximum is.
std::optional<Cut> cut_unique(const cv::Mat& frame, const cv::Rect& seed, const CutOptions& options = {});
// Whether the crop `r` of `frame`, as a template, is unique on the frame (the check cut_unique makes).
bool unique_on(const cv::Mat& frame, const cv::Rect& r, const CutOptions& options, Candidates* out = nullptr);

// ---- change and stability ----
// Fraction (0..1) of pixels that differ by more than `tolerance` in any channel. Frames must be the same size.
double changed_fraction(const cv::Mat& a, const cv::Mat& b, int tolerance = 16,
                        std::optional<cv::Rect> region = std::nullopt);

// Fed one frame at a time (with its time), says when the picture has stopped changing for `quiet_ms`.
class StabilityTracker {
 public:
  explicit StabilityTracker(int quiet_ms = 300, double max_changed_fraction = 0.0005,
                            std::optional<cv::Rect> region = std::nullopt);
  // Returns true once the frames have been the same for at least quiet_ms.
  bool feed(const cv::Mat& frame, double time_ms);

 private:
  int quiet_ms_;
  double max_changed_;
  std::optional<cv::Rect> region_;
  cv::Mat last_;
  double stable_since_ms_ = -1;
};

}  // namespace dockhand::vision
