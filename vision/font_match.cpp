// Font matching: the field's text is explained as glyphs of a known font, rendered with FreeType the way the
// program's toolkit renders them (antialiased, light hinting: Xft's default, pixel for pixel the same), placed at
// whole-pixel origins one advance apart and composited. A beam search over the characters each position allows
// finds the text whose rendering differs least from the field; the residual says whether the font is the field's
// font at all, and the runner-up how sure the reading is. Touching and overlapping glyphs (a J tucked under its
// neighbour, TT, LI) need no segmentation: the composite is compared, not the glyphs one by one.
#include "vision/font_match.h"

#include <ft2build.h>
#include FT_FREETYPE_H

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <memory>
#include <fstream>
#include <mutex>

namespace dockhand::vision::detail {

namespace {

constexpr double kFirstInk = 0.02;  // a column with less ink than this (summed coverage) is paper

struct Glyph {
  cv::Mat coverage;  // CV_32F 0..1, the glyph's bitmap
  int left = 0;      // bitmap's first column, from the origin
  int top = 0;       // rows of the bitmap above the baseline
  int advance = 0;   // to the next glyph's origin (whole pixels: hinted)
  int ink_left = 0;  // first column with ink above the baseline, from the origin (a J's hook below does not count)
  bool present = false;
};

struct SizedFont {
  int cap_height = 0;  // rows of 'H' above the baseline
  std::array<Glyph, 128> glyphs;
};

// One face per file, glyphs rendered once per size; FreeType faces are not thread-safe, the cache is.
class FontFile {
 public:
  static std::shared_ptr<FontFile> open(const std::string& path) {
    static std::mutex mutex;
    static std::map<std::string, std::shared_ptr<FontFile>> files;
    std::lock_guard lock(mutex);
    auto it = files.find(path);
    if (it != files.end()) return it->second;
    std::shared_ptr<FontFile> file(new FontFile);
    if (FT_Init_FreeType(&file->library_) != 0 || FT_New_Face(file->library_, path.c_str(), 0, &file->face_) != 0)
      file = nullptr;
    files[path] = file;  // a file that cannot be loaded is not retried on every read
    return file;
  }

  ~FontFile() {
    if (face_) FT_Done_Face(face_);
    if (library_) FT_Done_FreeType(library_);
  }

  std::shared_ptr<const SizedFont> at(int pixel_size) {
    std::lock_guard lock(mutex_);
    auto& slot = sizes_[pixel_size];
    if (slot) return slot;
    auto font = std::make_shared<SizedFont>();
    if (FT_Set_Pixel_Sizes(face_, 0, FT_UInt(pixel_size)) != 0) return slot = font;
    for (int c = 33; c < 127; ++c) {
      if (FT_Get_Char_Index(face_, FT_ULong(c)) == 0) continue;
      if (FT_Load_Char(face_, FT_ULong(c), FT_LOAD_RENDER | FT_LOAD_TARGET_LIGHT) != 0) continue;
      const FT_GlyphSlot slot_ = face_->glyph;
      const FT_Bitmap& b = slot_->bitmap;
      if (b.pixel_mode != FT_PIXEL_MODE_GRAY) continue;
      Glyph& g = font->glyphs[size_t(c)];
      cv::Mat bitmap(int(b.rows), int(b.width), CV_8U, b.buffer, size_t(std::abs(b.pitch)));
      bitmap.convertTo(g.coverage, CV_32F, 1.0 / 255);
      g.left = slot_->bitmap_left;
      g.top = slot_->bitmap_top;
      g.advance = int(slot_->advance.x >> 6);
      // Measured like the field's first ink: rows above the baseline only.
      const cv::Mat above = g.coverage.rowRange(0, std::clamp(g.top, 0, bitmap.rows));
      int first = 0;
      while (first < above.cols && cv::sum(above.col(first))[0] < kFirstInk) ++first;
      g.ink_left = g.left + (first < above.cols ? first : 0);
      g.present = true;
      if (c == 'H') font->cap_height = g.top;
    }
    return slot = font;
  }

 private:
  FontFile() = default;
  FT_Library library_ = nullptr;
  FT_Face face_ = nullptr;
  std::mutex mutex_;
  std::map<int, std::shared_ptr<const SizedFont>> sizes_;
};

struct Placement {
  const Glyph* glyph;
  int x;  // origin
};

// One glyph of a partial reading; the reading is the chain of parents.
struct Node {
  int parent = -1;  // index in the previous position's beam
  const Glyph* glyph = nullptr;
  char c = 0;
  int x = 0;        // origin
  double cost = 0;  // over columns [0, commit)
  int commit = 0;   // columns before this one are final: no later glyph reaches them
};

// Squared difference between the field and the composite of `glyphs` over columns [c0, c1) and rows [r0, r1),
// given up (returning more than `limit`) as soon as it exceeds `limit`.
double segment_cost(const cv::Mat& field, int baseline, const Placement* glyphs, size_t n, int c0, int c1, int r0,
                    int r1, double limit, std::vector<float>& transmission) {
  if (c1 <= c0) return 0;
  const int cols = c1 - c0;
  transmission.resize(size_t(cols));
  double sum = 0;
  for (int y = r0; y < r1; ++y) {
    std::fill(transmission.begin(), transmission.end(), 1.0f);  // paper let through: product of (1 - coverage)
    for (size_t k = 0; k < n; ++k) {
      const Glyph& g = *glyphs[k].glyph;
      const int gx = glyphs[k].x + g.left, r = y - (baseline - g.top);
      if (r < 0 || r >= g.coverage.rows) continue;
      const int x0 = std::max(c0, gx), x1 = std::min(c1, gx + g.coverage.cols);
      const float* src = g.coverage.ptr<float>(r) - gx;
      for (int x = x0; x < x1; ++x) transmission[size_t(x - c0)] *= 1.0f - src[x];
    }
    const float* f = field.ptr<float>(y) + c0;
    float row = 0;
    for (int x = 0; x < cols; ++x) {
      const float d = f[x] - (1.0f - transmission[size_t(x)]);
      row += d * d;
    }
    sum += row;
    if (sum > limit) break;
  }
  return sum;
}

constexpr size_t kBeam = 48;

struct Decoded {
  std::string text;
  double residual = 0, runner_up = 1e9;
};

// Best texts for one size and baseline, glyphs one hinted advance apart (the toolkit places them at whole pixels).
// Readings that cost more than `max_cost` are dropped: nullopt when none is left (not this font, size or baseline).
std::optional<Decoded> decode(const cv::Mat& field, const SizedFont& font, int baseline,
                              const std::vector<std::string>& positions, int first_ink, double max_cost) {
  // The leftmost a glyph of the next position can reach, from its origin.
  std::vector<int> min_left(positions.size() + 1, 0);
  for (size_t i = 0; i < positions.size(); ++i) {
    int m = 1 << 20;
    for (char c : positions[i]) m = std::min(m, font.glyphs[size_t(c)].left);
    min_left[i] = m;
  }
  // Rows no glyph reaches cost every reading the same: left out of the search, added to the residual at the end.
  int r0 = field.rows, r1 = 0;
  for (const std::string& allowed : positions)
    for (char c : allowed) {
      const Glyph& g = font.glyphs[size_t(c)];
      r0 = std::min(r0, baseline - g.top);
      r1 = std::max(r1, baseline - g.top + g.coverage.rows);
    }
  r0 = std::clamp(r0, 0, field.rows), r1 = std::clamp(r1, r0, field.rows);
  std::vector<std::vector<Node>> beams(positions.size() + 1);
  beams[0].push_back(Node{});
  std::vector<float> scratch;
  for (size_t i = 0; i < positions.size(); ++i) {
    const std::vector<Node>& beam = beams[i];
    std::vector<Node>& next = beams[i + 1];
    const bool last = i + 1 == positions.size();
    // The kBeam best costs so far (a max-heap): an extension that costs more is dropped half-computed.
    std::vector<double> best_costs;
    for (size_t p = 0; p < beam.size(); ++p) {
      const Node& h = beam[p];
      // The glyphs that can reach the columns committed next: the new one and the two before it.
      Placement window[3];
      size_t before = 0;
      if (i >= 2) window[before++] = {beams[i - 1][size_t(h.parent)].glyph, beams[i - 1][size_t(h.parent)].x};
      if (i >= 1) window[before++] = {h.glyph, h.x};
      for (char c : positions[i]) {
        const Glyph& g = font.glyphs[size_t(c)];
        int from, to;
        if (i == 0) {
          from = first_ink - g.ink_left - 2, to = first_ink - g.ink_left + 2;  // (faint first columns)
        } else {
          from = to = h.x + h.glyph->advance;
        }
        for (int x = from; x <= to; ++x) {
          const int commit = last ? field.cols : std::clamp(x + g.advance + min_left[i + 1], h.commit, field.cols);
          window[before] = {&g, x};
          const double limit = best_costs.size() < kBeam ? max_cost : std::min(max_cost, best_costs.front());
          Node n{int(p), &g, c, x, 0, commit};
          n.cost = h.cost + segment_cost(field, baseline, window, before + 1, h.commit, commit, r0, r1,
                                         limit - h.cost, scratch);
          if (n.cost > limit) continue;
          next.push_back(n);
          best_costs.push_back(n.cost);
          std::push_heap(best_costs.begin(), best_costs.end());
          if (best_costs.size() > kBeam) {
            std::pop_heap(best_costs.begin(), best_costs.end());
            best_costs.pop_back();
          }
        }
      }
    }
    if (next.empty()) return std::nullopt;
    const size_t keep = std::min(kBeam, next.size());
    std::partial_sort(next.begin(), next.begin() + long(keep), next.end(),
                      [](const Node& a, const Node& b) { return a.cost < b.cost; });
    next.resize(keep);
  }
  auto text_of = [&](size_t k) {
    std::string t(positions.size(), ' ');
    for (size_t i = positions.size(); i > 0; --i) {
      const Node& n = beams[i][k];
      t[i - 1] = n.c;
      k = size_t(n.parent);
    }
    return t;
  };
  const std::vector<Node>& final_beam = beams.back();
  Decoded out;
  out.text = text_of(0);
  double outside = 0;  // the rows left out
  for (int y = 0; y < field.rows; ++y)
    if (y < r0 || y >= r1) outside += field.row(y).dot(field.row(y));
  out.residual = final_beam.front().cost + outside;
  for (size_t k = 1; k < final_beam.size(); ++k)
    if (std::string t = text_of(k); t != out.text) {
      out.runner_up = final_beam[k].cost + outside;
      break;
    }
  return out;
}

}  // namespace

const std::string& default_ui_font() {
  static const std::string path = [] {
    for (const char* p : {"/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "/usr/share/fonts/TTF/DejaVuSans.ttf",
                          "/usr/share/fonts/dejavu/DejaVuSans.ttf"})
      if (std::ifstream(p, std::ios::binary).is_open()) return std::string(p);  // readable
    return std::string();
  }();
  return path;
}

std::optional<FontReading> read_in_font(const cv::Mat& coverage, const std::vector<std::string>& positions,
                                        const std::string& font_file, double max_unexplained) {
  CV_Assert(coverage.type() == CV_32F);
  if (positions.empty() || font_file.empty()) return std::nullopt;
  auto file = FontFile::open(font_file);
  if (!file) return std::nullopt;

  // The text's rows: capitals and digits fill the rows between cap height and baseline, a descender (J, Q) adds a
  // little ink below. The top is the first row with a third of the busiest row's ink; the baseline is where the ink
  // drops most in the lower half, or below the last such row (two of the three agree unless descenders crowd).
  cv::Mat row_ink, col_ink;
  cv::reduce(coverage, row_ink, 1, cv::REDUCE_SUM, CV_32F);
  double busiest = 0;
  cv::minMaxLoc(row_ink, nullptr, &busiest);
  if (busiest <= 0) return std::nullopt;
  int top = -1, bottom = -1;
  for (int y = 0; y < coverage.rows; ++y)
    if (row_ink.at<float>(y) >= busiest / 3) {
      if (top < 0) top = y;
      bottom = y;
    }
  int drop_at = bottom;
  float drop = -1;
  for (int y = (top + bottom) / 2; y + 1 < coverage.rows; ++y) {
    const float d = row_ink.at<float>(y) - row_ink.at<float>(y + 1);
    if (d > drop) drop = d, drop_at = y;
  }
  std::vector<int> baselines = {drop_at + 1};
  if (bottom != drop_at) baselines.push_back(bottom + 1);
  // Where the text starts: the first column with ink between cap height and baseline (a mouse pointer or a speck
  // below the text does not count).
  cv::reduce(coverage.rowRange(top, bottom + 1), col_ink, 0, cv::REDUCE_SUM, CV_32F);
  int first_ink = 0;
  while (first_ink < coverage.cols && col_ink.at<float>(first_ink) < kFirstInk) ++first_ink;

  const double ink = cv::sum(coverage.mul(coverage))[0];
  std::optional<FontReading> best;
  auto try_size = [&](int pixel_size, int baseline) {
    auto font = file->at(pixel_size);
    for (const std::string& allowed : positions)
      for (char c : allowed)
        if (static_cast<unsigned char>(c) >= 128 || !font->glyphs[size_t(c)].present) return;
    auto d = decode(coverage, *font, baseline, positions, first_ink, max_unexplained * ink);
    if (!d || d->residual > max_unexplained * ink) return;
    if (!best || d->residual < best->residual) {
      double runner_up = d->runner_up;
      if (best) runner_up = std::min(runner_up, best->text == d->text ? best->runner_up : best->residual);
      best = FontReading{d->text, d->residual, runner_up, ink, pixel_size};
    } else if (d->text != best->text) {
      best->runner_up = std::min(best->runner_up, d->residual);
    }
  };
  // Sizes whose capitals are exactly as tall as the text's (hinting snaps them to whole pixels); capitals are
  // about 0.73 em in UI fonts, so the search starts near cap / 0.73.
  for (int b : baselines) {
    const int cap = b - top, guess = int(std::lround(cap / 0.73));
    for (int s = std::max(6, guess - 4); s <= guess + 4; ++s)
      if (file->at(s)->cap_height == cap) try_size(s, b);
  }
  return best;
}

}  // namespace dockhand::vision::detail

namespace dockhand::vision {

bool font_loads(const std::string& font_file) {
  return !font_file.empty() && detail::FontFile::open(font_file) != nullptr;
}

}  // namespace dockhand::vision
