// read_field: one field (a small crop) read as exactly as we can.
// The crop is cleaned (field borders and bevels removed, polarity made dark-on-light, contrast stretched) and cut
// to the text. A code whose pattern fixes the characters of each position, written in the program's UI font, is
// read by rendering that font (vision/font_match.h): exact, and flagged (matches_pattern false) when two texts
// render within a pixel of each other. Anything else goes to Tesseract: scaled so capitals are ~34 px high (its
// LSTM is trained on text far larger than 14 px UI fonts), padded, read as a single line; with a pattern, the
// pattern's alphabet becomes the whitelist, characters outside the class of their position are corrected through
// known look-alikes (O/0, I/1, S/5, B/8, ...), and the field is re-read at other scales and thresholds until a
// reading matches.
#include "vision/font_match.h"
#include "vision/internal.h"
#include "vision/ocr_internal.h"
#include "vision/vision.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <map>
#include <optional>
#include <regex>

namespace dockhand::vision {

namespace {

// ---- the pattern's shape: a sequence of character classes with counts, when the regex is that simple ----
struct Atom {
  std::string chars;  // allowed characters
  int min = 1, max = 1;
};

std::string class_chars(const std::string& body) {
  std::string out;
  for (size_t i = 0; i < body.size(); ++i) {
    char c = body[i];
    if (c == '\\' && i + 1 < body.size()) {
      char e = body[++i];
      if (e == 'd') out += "0123456789";
      else out += e;
    } else if (i + 2 < body.size() && body[i + 1] == '-') {
      for (char x = c; x <= body[i + 2]; ++x) out += x;
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

std::optional<std::vector<Atom>> parse_shape(std::string p) {
  if (!p.empty() && p.front() == '^') p.erase(0, 1);
  if (!p.empty() && p.back() == '$' && (p.size() < 2 || p[p.size() - 2] != '\\')) p.pop_back();
  std::vector<Atom> atoms;
  for (size_t i = 0; i < p.size();) {
    char c = p[i];
    Atom a;
    if (c == '[') {
      size_t end = p.find(']', i + 1);
      if (end == std::string::npos || p[i + 1] == '^') return std::nullopt;
      a.chars = class_chars(p.substr(i + 1, end - i - 1));
      i = end + 1;
    } else if (c == '\\' && i + 1 < p.size()) {
      char e = p[i + 1];
      if (e == 'd') a.chars = "0123456789";
      else if (std::isalnum(static_cast<unsigned char>(e))) return std::nullopt;  // \w, \s, \b ...
      else a.chars = std::string(1, e);
      i += 2;
    } else if (std::string("()|.*+?{}").find(c) != std::string::npos) {
      return std::nullopt;
    } else {
      a.chars = std::string(1, c);
      ++i;
    }
    if (i < p.size() && p[i] == '{') {
      size_t end = p.find('}', i);
      if (end == std::string::npos) return std::nullopt;
      std::string n = p.substr(i + 1, end - i - 1);
      size_t comma = n.find(',');
      try {
        a.min = std::stoi(n.substr(0, comma));
        a.max = comma == std::string::npos ? a.min : (comma + 1 < n.size() ? std::stoi(n.substr(comma + 1)) : 1000);
      } catch (...) {
        return std::nullopt;
      }
      i = end + 1;
    } else if (i < p.size() && p[i] == '?') {
      a.min = 0;
      ++i;
    } else if (i < p.size() && (p[i] == '+' || p[i] == '*')) {
      a.min = p[i] == '+' ? 1 : 0;
      a.max = 1000;
      ++i;
    }
    atoms.push_back(a);
  }
  return atoms;
}

// Per-position classes when every atom has a fixed count.
std::optional<std::vector<std::string>> positions_of(const std::vector<Atom>& atoms) {
  std::vector<std::string> out;
  for (const Atom& a : atoms) {
    if (a.min != a.max) return std::nullopt;
    for (int k = 0; k < a.min; ++k) out.push_back(a.chars);
  }
  return out;
}

// Characters a reader confuses, most likely first.
const std::map<char, std::string>& look_alikes() {
  static const std::map<char, std::string> table = {
      {'O', "0DQ9"}, {'0', "ODQ"}, {'D', "0O"}, {'Q', "0O"}, {'o', "0O"}, {'I', "1lL"}, {'L', "1I"}, {'l', "1I"}, {'|', "1I"},
      {'i', "1I"},  {'1', "IlT"}, {'S', "5"},  {'5', "S"},  {'s', "5S"}, {'B', "8"},  {'8', "B"},  {'Z', "2"},
      {'2', "Z"},   {'z', "2Z"},  {'G', "6"},  {'6', "Gb"}, {'b', "6"},  {'T', "71"}, {'7', "T"},  {'A', "4"},
      {'4', "A"},   {'g', "9"},   {'q', "9"},  {'9', "g"},  {'U', "V"},  {'V', "U"},  {'E', "F"},  {'F', "E"}};
  return table;
}

std::string correct(const std::string& text, const std::vector<std::string>& positions) {
  if (text.size() != positions.size()) return text;
  std::string out = text;
  for (size_t i = 0; i < out.size(); ++i) {
    const std::string& allowed = positions[i];
    if (allowed.find(out[i]) != std::string::npos) continue;
    char upper = char(std::toupper(static_cast<unsigned char>(out[i])));
    if (allowed.find(upper) != std::string::npos) { out[i] = upper; continue; }
    auto it = look_alikes().find(out[i]);
    if (it == look_alikes().end()) continue;
    for (char alt : it->second)
      if (allowed.find(alt) != std::string::npos) { out[i] = alt; break; }
  }
  return out;
}

// ---- the picture ----
struct Prepared {
  cv::Mat text;        // gray crop around the text, dark on light, borders removed
  double scale = 1.0;  // factor that brings capitals to ~34 px
  double text_level = 0, paper_level = 255;
};

std::optional<Prepared> prepare(const cv::Mat& gray_in) {
  cv::Mat gray = gray_in.clone();
  cv::Mat light;
  cv::threshold(gray, light, 0, 255, cv::THRESH_BINARY | cv::THRESH_OTSU);
  if (size_t(cv::countNonZero(light)) * 2 < gray.total()) {  // light text on a dark field: make it dark on light
    gray = 255 - gray;
    cv::threshold(gray, light, 0, 255, cv::THRESH_BINARY | cv::THRESH_OTSU);
  }
  cv::Mat ink = 255 - light;
  // Field borders, bevels and grid lines: long components, or components along the edge of the crop.
  cv::Mat labels, stats, centroids;
  int n = cv::connectedComponentsWithStats(ink, labels, stats, centroids, 8, CV_32S);
  cv::Mat lines = cv::Mat::zeros(gray.size(), CV_8U);
  const int W = gray.cols, H = gray.rows;
  for (int i = 1; i < n; ++i) {
    int x = stats.at<int>(i, cv::CC_STAT_LEFT), y = stats.at<int>(i, cv::CC_STAT_TOP);
    int w = stats.at<int>(i, cv::CC_STAT_WIDTH), h = stats.at<int>(i, cv::CC_STAT_HEIGHT);
    bool edge = x == 0 || y == 0 || x + w == W || y + h == H;
    int area = stats.at<int>(i, cv::CC_STAT_AREA);
    bool thin = area <= 3 * (w + h);  // a line or an L of bevel lines, at most ~3 px thick
    bool line = (w >= 0.8 * W && h <= 3) || (edge && thin && (w >= 0.5 * W || h >= 0.75 * H));
    if (line) lines.setTo(255, labels == i);
  }
  cv::Mat text_ink = ink & ~lines;
  cv::Rect box = cv::boundingRect(text_ink);
  if (box.empty()) return std::nullopt;
  double paper = cv::mean(gray, light & ~lines)[0];
  if (cv::countNonZero(lines)) {
    cv::dilate(lines, lines, cv::Mat());
    gray.setTo(cv::Scalar(paper), lines);
  }
  double darkest = 0;
  cv::minMaxLoc(gray, &darkest, nullptr, nullptr, nullptr, text_ink);
  const int margin = 2;
  cv::Rect crop = detail::clip({box.x - margin, box.y - margin, box.width + 2 * margin, box.height + 2 * margin},
                               gray.size());
  Prepared p;
  p.text = gray(crop).clone();
  p.scale = std::clamp(34.0 / box.height, 1.0, 5.0);
  p.text_level = darkest;
  p.paper_level = std::max(paper, darkest + 32);
  return p;
}

// Glyphs of the prepared crop at its own resolution: runs of columns with ink (UI fonts leave a blank column
// between most glyphs at their native size; kerned pairs that overlap make fewer runs than characters, and then
// nothing is settled by shape).
std::vector<std::pair<int, int>> glyph_columns(const Prepared& p) {
  cv::Mat ink;
  double mid = (p.text_level + p.paper_level) / 2;
  cv::threshold(p.text, ink, mid, 255, cv::THRESH_BINARY_INV);
  std::vector<std::pair<int, int>> runs;
  int start = -1;
  for (int x = 0; x <= ink.cols; ++x) {
    bool has = x < ink.cols && cv::countNonZero(ink.col(x)) > 0;
    if (has && start < 0) start = x;
    if (!has && start >= 0) {
      if (cv::countNonZero(ink.colRange(start, x)) >= 2) runs.push_back({start, x});
      start = -1;
    }
  }
  return runs;
}

constexpr int kPad = 16;  // white margin around the rendered text

struct Variant {
  double scale;   // times the prepared scale
  int threshold;  // 0: gray; otherwise binarize at Otsu + (threshold - 128)
};

cv::Mat render(const Prepared& p, const Variant& v) {
  cv::Mat big;
  double s = p.scale * v.scale;
  cv::resize(p.text, big, cv::Size(), s, s, s > 1 ? cv::INTER_CUBIC : cv::INTER_AREA);
  // Stretch: ink to 0, paper to 255.
  double alpha = 255.0 / (p.paper_level - p.text_level);
  big.convertTo(big, CV_8U, alpha, -p.text_level * alpha);
  if (v.threshold != 0) {
    cv::Mat otsu;
    double t = cv::threshold(big, otsu, 0, 255, cv::THRESH_BINARY | cv::THRESH_OTSU);
    cv::threshold(big, big, std::clamp(t + (v.threshold - 128), 1.0, 254.0), 255, cv::THRESH_BINARY);
  }
  cv::copyMakeBorder(big, big, kPad, kPad, kPad, kPad, cv::BORDER_CONSTANT, cv::Scalar(255));
  return big;
}

const std::vector<Variant>& variants() {
  static const std::vector<Variant> list = {{1.0, 0},   {1.0, 128}, {1.35, 0},  {0.75, 0},  {1.0, 160},
                                            {1.0, 96},  {1.6, 128}, {0.6, 0},   {1.2, 128}, {0.85, 128}};
  return list;
}

// ---- look-alikes settled by the glyph's shape ----
// The LSTM reads 0 as O (and 9 as O, 1 as I or L, 7 as T) on small UI text; when the pattern allows both, the
// glyph itself decides: O is nearly as wide as it is tall, 0 and 9 are narrow ovals (9's counter sits in its top
// half), I is a bare stem, L's top is its stem at the left, 7's stem leaves its top bar towards the bottom left.
struct Shape {
  double aspect = 0;                // ink width / height
  double hole_h = 0, hole_cy = -1;  // tallest enclosed counter: height and centre (fractions of the height)
  double top_cx = 0.5, bottom_cx = 0.5;  // ink centroid (fraction of the width) of the top / bottom fifth
  double corner_tl = 0, corner_bl = 0;   // ink fraction of the top-left / bottom-left corner squares (5, B)
};

// The ink of one glyph in the rendered image, cut to its box (empty when there is too little).
// `glyph`: the glyph's columns in the rendered image (from the native-resolution segmentation).
// `from_symbol`: the rect is Tesseract's box for the symbol instead: keep the ink components centred in it (a
// component that runs far past the box, a neighbour touching this glyph, is cut at the box's sides).
cv::Mat cut_glyph(const cv::Mat& img, cv::Rect glyph, bool from_symbol) {
  cv::Rect sym = glyph;
  if (from_symbol) glyph = cv::Rect(sym.x - 3, sym.y - 3, sym.width + 6, sym.height + 6);
  glyph &= cv::Rect(0, 0, img.cols, img.rows);
  if (glyph.width < 2 || glyph.height < 6) return {};
  cv::Mat ink = img(glyph) < 128;
  if (from_symbol) {
    cv::Mat comp, st, cen;
    int nc = cv::connectedComponentsWithStats(ink, comp, st, cen, 8, CV_32S);
    cv::Mat keep = cv::Mat::zeros(ink.size(), CV_8U);
    const double x0 = sym.x - glyph.x, x1 = x0 + sym.width;
    for (int i = 1; i < nc; ++i) {
      int l = st.at<int>(i, cv::CC_STAT_LEFT), w = st.at<int>(i, cv::CC_STAT_WIDTH);
      double cx = l + w / 2.0;
      if (cx >= x0 && cx <= x1 && st.at<int>(i, cv::CC_STAT_AREA) >= 4) keep.setTo(255, comp == i);
      else if (l < x1 && l + w > x0 && w > 1.6 * sym.width) keep.setTo(255, comp == i);  // touching neighbours
    }
    const double slack = 0.25 * sym.width + 1;
    int cut_l = std::max(0, int(x0 - slack)), cut_r = std::min(ink.cols, int(x1 + slack + 0.5));
    if (cut_l > 0) keep.colRange(0, cut_l).setTo(0);
    if (cut_r < ink.cols) keep.colRange(cut_r, ink.cols).setTo(0);
    ink = keep;
  }
  cv::Rect b = cv::boundingRect(ink);
  if (b.width < 2 || b.height < 6) return {};
  return ink(b).clone();
}

std::optional<Shape> shape_of(const cv::Mat& img, cv::Rect glyph, bool from_symbol) {
  cv::Mat ink = cut_glyph(img, glyph, from_symbol);
  if (ink.empty()) return std::nullopt;
  cv::Rect b(0, 0, ink.cols, ink.rows);
  Shape sh;
  sh.aspect = double(b.width) / b.height;
  cv::Mat paper = ~ink, labels, stats, centroids;
  int n = cv::connectedComponentsWithStats(paper, labels, stats, centroids, 4, CV_32S);
  for (int i = 1; i < n; ++i) {
    int x = stats.at<int>(i, cv::CC_STAT_LEFT), y = stats.at<int>(i, cv::CC_STAT_TOP);
    int w = stats.at<int>(i, cv::CC_STAT_WIDTH), h = stats.at<int>(i, cv::CC_STAT_HEIGHT);
    if (x == 0 || y == 0 || x + w == b.width || y + h == b.height) continue;  // open to the outside
    if (double(h) / b.height > sh.hole_h) {
      sh.hole_h = double(h) / b.height;
      sh.hole_cy = (y + h / 2.0) / b.height;
    }
  }
  auto centroid = [&](int y0, int y1) {
    double sum = 0, cnt = 0;
    for (int y = y0; y < y1; ++y)
      for (int x = 0; x < ink.cols; ++x)
        if (ink.at<uchar>(y, x)) sum += x + 0.5, ++cnt;
    return cnt ? sum / cnt / ink.cols : 0.5;
  };
  int band = std::max(1, b.height / 5);
  sh.top_cx = centroid(0, band);
  sh.bottom_cx = centroid(b.height - band, b.height);
  int cw = std::max(1, b.width / 5), ch = std::max(1, b.height / 8);
  sh.corner_tl = cv::countNonZero(ink(cv::Rect(0, 0, cw, ch))) / double(cw * ch);
  sh.corner_bl = cv::countNonZero(ink(cv::Rect(0, b.height - ch, cw, ch))) / double(cw * ch);
  return sh;
}

std::string settle_look_alikes(const std::string& text, const std::vector<cv::Rect>& glyphs, bool from_symbols,
                               const cv::Mat& img, const std::vector<std::string>& positions) {
  if (text.size() != positions.size() || glyphs.size() != text.size()) return text;
  std::string out = text;
  for (size_t i = 0; i < out.size(); ++i) {
    const std::string& allowed = positions[i];
    auto ok = [&](char c) { return allowed.find(c) != std::string::npos; };
    char c = out[i];
    auto decide = [&](const Shape& sh) -> char {
      switch (c) {
        case 'O': case '0': case '6': case '9': case 'Q': case 'D':
          if (c == 'Q' && ok('9') && sh.hole_cy >= 0 && sh.hole_h < 0.5 && sh.hole_cy < 0.5) return '9';
          if (!(ok('O') && (ok('0') || ok('9'))) || c == 'Q' || c == 'D') return c;
          if (sh.aspect >= 0.78) return 'O';
          if (sh.hole_cy < 0) return c;
          if (sh.hole_cy < 0.42 && ok('9')) return '9';  // the counter: 9 high, 0 centred, 6 low
          if (sh.hole_cy > 0.58 && ok('6')) return '6';
          return sh.hole_h >= 0.5 ? '0' : c;
        case 'I': case '1': case 'L': case 'l':
          // Strokes have no counter, 9 has (only for a lone 1: an L or I box may take in a neighbour's counter).
          if (c != 'L' && sh.hole_cy >= 0 && sh.hole_cy < 0.5 && sh.aspect > 0.45 && sh.aspect < 0.85 && ok('9'))
            return '9';
          if (!(ok('1') && (ok('I') || ok('L')))) return c;
          if (sh.aspect > 0.8) return c;  // wider than a lone 1 or I: a neighbour is in the box, trust the reader
          if (sh.aspect < 0.3) return ok('I') ? 'I' : c;
          if (sh.top_cx < 0.3 && ok('L')) return 'L';
          return '1';
        case 'T': case '7':
          if (!(ok('T') && ok('7')) || sh.aspect > 1.1) return c;  // (wider: a neighbour is in the box)
          return sh.bottom_cx < 0.42 ? '7' : 'T';
        case '5': case 'S':
          if (ok('9') && sh.hole_cy >= 0 && sh.hole_cy < 0.5) return '9';  // 9 read as S: only 9 has a counter
          if (!(ok('5') && ok('S'))) return c;
          // Only a clear corner (5) or a clearly round top-left (S) overrides the reader.
          return sh.corner_tl > 0.3 ? '5' : sh.corner_tl < 0.15 ? 'S' : c;
        case '8': case 'B':
          if (!(ok('8') && ok('B'))) return c;
          if (sh.corner_tl > 0.5 && sh.corner_bl > 0.5) return 'B';
          return sh.corner_tl < 0.15 && sh.corner_bl < 0.15 ? '8' : c;
        default:
          return c;
      }
    };
    if (std::string("O069QDI1LlT75S8B").find(c) == std::string::npos) continue;
    if (auto sh = shape_of(img, glyphs[i], from_symbols)) {
      out[i] = decide(*sh);
    }
  }
  return out;
}

// ---- the program's own font, rendered and compared (vision/font_match.h) ----
// A literal (read with equals: "is this field showing 2K4G0H7Q?") is read over the font's letters and digits, so a
// field showing another code reads as that code instead of as the nearest rendering of this one. (The fixed parts
// of a pattern such as BOL[0-9]{7} stay fixed.)
std::vector<std::string> font_positions(const std::vector<std::string>& positions) {
  static const std::string upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", lower = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::vector<std::string> out = positions;
  const bool literal = std::all_of(out.begin(), out.end(), [](const std::string& p) { return p.size() == 1; });
  if (literal)
    for (std::string& p : out)
    if (p.size() == 1 && std::isalnum(static_cast<unsigned char>(p[0])))
      p = std::islower(static_cast<unsigned char>(p[0])) ? lower : upper;
  return out;
}

// Ink coverage of the prepared text: 0 on the paper (the field's most common light shade), 1 at the darkest ink.
cv::Mat coverage_of(const Prepared& p) {
  int hist[256] = {};
  for (int y = 0; y < p.text.rows; ++y)
    for (int x = 0; x < p.text.cols; ++x) ++hist[p.text.at<uchar>(y, x)];
  const int mid = int((p.text_level + p.paper_level) / 2);
  int paper = 255;
  for (int v = 255; v > mid; --v)
    if (hist[v] > hist[paper]) paper = v;
  const double range = std::max(1.0, paper - p.text_level);
  cv::Mat cov;
  p.text.convertTo(cov, CV_32F, -1.0 / range, paper / range);
  cv::max(cov, 0.0, cov);
  cv::min(cov, 1.0, cov);
  return cov;
}

constexpr double kFontResidual = 0.1;  // of the field's ink
constexpr double kFontMargin = 1.0;    // squared coverage, i.e. one pixel wholly ink in one and paper in the other

constexpr double kFontClean = 2.0;     // squared coverage left unexplained by a clean rendering of the font

struct FontVerdict {
  std::string text;
  bool certain = false;
  bool clean = false;  // the rendering explains the whole field (else something else is drawn there too)
};

// The font's verdict, when the field is written in it (nullopt: another font, or characters it has no glyph for).
std::optional<FontVerdict> read_by_font(const Prepared& p, const std::vector<std::string>& positions,
                                        const std::string& font) {
  if (font == "none") return std::nullopt;
  if (!font.empty() && !font_loads(font))
    throw VisionError("read_field: cannot load the font file '" + font + "' (a TrueType/OpenType file, or \"none\")");
  // The field's font: what no rendering explains is a few pixels at most (a text cursor, a speck), never a glyph.
  auto r = detail::read_in_font(coverage_of(p), font_positions(positions),
                                font.empty() ? detail::default_ui_font() : font, kFontResidual);
  if (!r) return std::nullopt;
  // Sure: every other text differs from the field by at least a pixel more.
  return FontVerdict{r->text, r->runner_up - r->residual >= kFontMargin, r->residual <= kFontClean};
}

std::string strip_spaces(std::string s) {
  s.erase(std::remove_if(s.begin(), s.end(), [](unsigned char c) { return std::isspace(c); }), s.end());
  return s;
}

// Another font: Tesseract, with the pattern's alphabet, look-alikes settled by shape, other renderings.
ReadResult read_by_tesseract(const Prepared& prepared, const std::optional<std::regex>& re,
                             const std::optional<std::vector<std::string>>& positions, const std::string& whitelist,
                             const ReadOptions& options) {
  const bool pattern_has_space =
      options.pattern.find(' ') != std::string::npos || options.pattern.find("\\s") != std::string::npos;
  const auto glyphs = positions ? glyph_columns(prepared) : std::vector<std::pair<int, int>>{};
  ReadResult best;
  best.matches_pattern = false;
  const size_t tries = re ? variants().size() : 1;
  for (size_t i = 0; i < tries; ++i) {
    cv::Mat img = render(prepared, variants()[i]);
    auto reading = detail::recognize_line(img, whitelist, options.single_line);
    std::string text = re && !pattern_has_space ? strip_spaces(reading.text) : reading.text;
    if (!re) return {text, reading.confidence, true};
    if (positions) {
      std::vector<cv::Rect> rects;
      bool from_symbols = false;
      if (glyphs.size() == text.size()) {
        const double sc = prepared.scale * variants()[i].scale;
        for (auto [a, b] : glyphs)
          rects.push_back(cv::Rect(kPad + int(a * sc), 0, std::max(2, int((b - a) * sc)), img.rows));
      } else if (reading.symbols.size() == text.size()) {
        for (const auto& sym : reading.symbols) rects.push_back(sym.box);
        from_symbols = true;
      }
      if (!rects.empty()) text = settle_look_alikes(text, rects, from_symbols, img, *positions);
    }
    if (std::regex_match(text, *re)) return {text, reading.confidence, true};
    if (positions) {
      std::string fixed = correct(text, *positions);
      if (std::regex_match(fixed, *re)) return {fixed, reading.confidence, true};
    }
    if (i == 0 || reading.confidence > best.confidence) best = {text, reading.confidence, false};
  }
  return best;
}

}  // namespace

ReadResult read_field(const cv::Mat& image, const ReadOptions& options) {
  cv::Mat gray = detail::to_gray(image, "read_field");
  std::optional<std::regex> re;
  std::optional<std::vector<std::string>> positions;
  std::string whitelist = options.whitelist;
  if (!options.pattern.empty()) {
    try {
      re.emplace(options.pattern, std::regex::ECMAScript);
    } catch (const std::regex_error& e) {
      throw VisionError("read_field: bad pattern '" + options.pattern + "': " + e.what());
    }
    if (auto shape = parse_shape(options.pattern)) {
      positions = positions_of(*shape);
      if (whitelist.empty()) {
        std::string alphabet;
        for (const Atom& a : *shape) alphabet += a.chars;
        // A literal (one character per position, e.g. "is this field showing 2K4G0H7Q?"): the reader may also
        // answer with look-alikes, which correct() maps back to the expected character. Without them it drops
        // a 0 it would have read as O rather than answer 0.
        bool literal = positions && std::all_of(positions->begin(), positions->end(),
                                                [](const std::string& p) { return p.size() == 1; });
        if (literal)
          for (char c : std::string(alphabet)) {
            auto it = look_alikes().find(c);
            if (it != look_alikes().end()) alphabet += it->second;
          }
        std::sort(alphabet.begin(), alphabet.end());
        alphabet.erase(std::unique(alphabet.begin(), alphabet.end()), alphabet.end());
        whitelist = alphabet;
      }
    }
  }
  auto prepared = prepare(gray);
  if (!prepared) return {"", 0, !re || std::regex_match(std::string(), *re)};

  // A code in the program's own font: settled by rendering that font (exact, and sure or flagged). When something
  // else is drawn in the field too (a pointer, a speck), a sure reading must also be what Tesseract reads.
  if (positions)
    if (auto by_font = read_by_font(*prepared, *positions, options.font)) {
      bool sure = by_font->certain && std::regex_match(by_font->text, *re);
      if (sure && !by_font->clean) sure = read_by_tesseract(*prepared, re, positions, whitelist, options).text == by_font->text;
      return {by_font->text, sure ? 100.0f : 50.0f, sure};
    }
  return read_by_tesseract(*prepared, re, positions, whitelist, options);
}

}  // namespace dockhand::vision
