// read_field: one field (a small crop) read as exactly as we can.
// The crop is cleaned (field borders and bevels removed, polarity made dark-on-light, contrast stretched),
// cut to the text, scaled so capitals are ~34 px high (Tesseract's LSTM is trained on text far larger than
// 14 px UI fonts), padded, and read as a single line. With a pattern, the pattern's alphabet becomes the
// whitelist, characters outside the class of their position are corrected through known look-alikes
// (O/0, I/1, S/5, B/8, ...), and the field is re-read at other scales and thresholds until a reading matches.
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
      {'O', "0DQ"}, {'0', "ODQ"}, {'D', "0O"}, {'Q', "0O"}, {'o', "0O"}, {'I', "1l"}, {'l', "1I"}, {'|', "1I"},
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
  const int pad = 16;
  cv::copyMakeBorder(big, big, pad, pad, pad, pad, cv::BORDER_CONSTANT, cv::Scalar(255));
  return big;
}

const std::vector<Variant>& variants() {
  static const std::vector<Variant> list = {{1.0, 0},   {1.0, 128}, {1.35, 0},  {0.75, 0},  {1.0, 160},
                                            {1.0, 96},  {1.6, 128}, {0.6, 0},   {1.2, 128}, {0.85, 128}};
  return list;
}

std::string strip_spaces(std::string s) {
  s.erase(std::remove_if(s.begin(), s.end(), [](unsigned char c) { return std::isspace(c); }), s.end());
  return s;
}

}  // namespace

ReadResult read_field(const cv::Mat& image, const ReadOptions& options) {
  cv::Mat gray = detail::to_gray(image, "read_field");
  std::optional<std::regex> re;
  std::optional<std::vector<std::string>> positions;
  std::string whitelist = options.whitelist;
  bool pattern_has_space = false;
  if (!options.pattern.empty()) {
    try {
      re.emplace(options.pattern, std::regex::ECMAScript);
    } catch (const std::regex_error& e) {
      throw VisionError("read_field: bad pattern '" + options.pattern + "': " + e.what());
    }
    pattern_has_space = options.pattern.find(' ') != std::string::npos ||
                        options.pattern.find("\\s") != std::string::npos;
    if (auto shape = parse_shape(options.pattern)) {
      positions = positions_of(*shape);
      if (whitelist.empty()) {
        std::string alphabet;
        for (const Atom& a : *shape) alphabet += a.chars;
        std::sort(alphabet.begin(), alphabet.end());
        alphabet.erase(std::unique(alphabet.begin(), alphabet.end()), alphabet.end());
        whitelist = alphabet;
      }
    }
  }
  auto prepared = prepare(gray);
  if (!prepared) return {"", 0, !re || std::regex_match(std::string(), *re)};

  ReadResult best;
  best.matches_pattern = false;
  const size_t tries = re ? variants().size() : 1;
  for (size_t i = 0; i < tries; ++i) {
    auto reading = detail::recognize_line(render(*prepared, variants()[i]), whitelist, options.single_line);
    std::string text = re && !pattern_has_space ? strip_spaces(reading.text) : reading.text;
    if (!re) return {text, reading.confidence, true};
    if (std::regex_match(text, *re)) return {text, reading.confidence, true};
    if (positions) {
      std::string fixed = correct(text, *positions);
      if (std::regex_match(fixed, *re)) return {fixed, reading.confidence, true};
    }
    if (i == 0 || reading.confidence > best.confidence) best = {text, reading.confidence, false};
  }
  return best;
}

}  // namespace dockhand::vision
