#include "agent/record/targets.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>

#include "agent/run/locating.h"
#include "vision/vision.h"

namespace dockhand::agent::record {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

cv::Rect to_cv(const drivers::Rect& r) { return {r.x, r.y, r.w, r.h}; }
cv::Point centre(const cv::Rect& r) { return (r.tl() + r.br()) / 2; }

// Text that reads cleanly: every word confidently read, and at least two letters or digits in all.
bool clean(const std::vector<vision::Word>& words) {
  int alnum = 0;
  for (const auto& w : words) {
    if (w.confidence < 80) return false;
    for (unsigned char c : w.text) alnum += std::isalnum(c) ? 1 : 0;
  }
  return alnum >= 2;
}

std::string joined_text(const std::vector<vision::Word>& words) {
  std::string s;
  for (const auto& w : words) s += (s.empty() ? "" : " ") + w.text;
  return s;
}

// The words whose boxes lie mostly inside `box` (one line: the line of the first such word), in reading order.
std::vector<vision::Word> words_in(const vision::TextScan& scan, const cv::Rect& box) {
  std::vector<vision::Word> out;
  int line = -1;
  for (const auto& sw : scan.words) {
    cv::Rect inter = sw.word.box & box;
    if (inter.area() * 2 < sw.word.box.area()) continue;
    if (line < 0) line = sw.line;
    if (sw.line == line) out.push_back(sw.word);
  }
  return out;
}

json offset_json(cv::Point d) { return json::array({d.x, d.y}); }

}  // namespace

std::string escape_literal(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '$' && i + 1 < s.size() && s[i + 1] == '{') out += '$';
    out += s[i];
  }
  return out;
}

std::string slug(const std::string& text) {
  std::string s;
  for (unsigned char c : text) {
    if (std::isalnum(c)) s += char(std::tolower(c));
    else if (!s.empty() && s.back() != '-') s += '-';
    if (s.size() >= 40) break;
  }
  while (!s.empty() && s.back() == '-') s.pop_back();
  return s;
}

TemplateStore::TemplateStore(fs::path dir) : dir_(std::move(dir)) { fs::create_directories(dir_ / "templates"); }

std::string TemplateStore::add(const cv::Mat& image, const std::string& name) {
  cv::Mat bgr;
  if (image.channels() == 4) cv::cvtColor(image, bgr, cv::COLOR_BGRA2BGR);
  else bgr = image.clone();
  for (const auto& s : saved_)
    if (s.image.size() == bgr.size() && cv::norm(s.image, bgr, cv::NORM_INF) == 0) return s.path;
  std::string stem = name.empty() ? "target" : name;
  int n = ++used_names_[stem];
  std::string file = n == 1 ? stem : stem + "-" + std::to_string(n);
  std::string path = "templates/" + file + ".png";
  if (!cv::imwrite((dir_ / path).string(), bgr)) throw std::runtime_error("cannot write template " + (dir_ / path).string());
  saved_.push_back({path, bgr});
  return path;
}

// What the runner's locating code sees on one recorded screen: built once per snapshot, so its OCR is reused.
struct TargetCutter::Seen {
  const Snapshot* snap = nullptr;
  Vars vars;
  std::unique_ptr<run::Locating> locating;
  std::map<std::pair<int, int>, vision::TextScan> scans;  // by window client origin
  std::vector<LoadResult> parsed;  // the locators checked (Locating keeps pointers to them)
};

TargetCutter::TargetCutter(TemplateStore& store, TargetContext ctx) : store_(store), ctx_(std::move(ctx)) {
  json doc = {{"window", ctx_.window_title}, {"steps", json::array({json{{"wait", {{"ms", 1}}}}})}};
  auto loaded = parse_script(doc, store_.dir());
  if (!loaded.ok()) throw std::runtime_error("recorder: " + loaded.problems.front().str());
  base_ = std::make_unique<Script>(*loaded.script);
}

TargetCutter::~TargetCutter() = default;

TargetCutter::Seen& TargetCutter::seen(const Snapshot& snap) {
  for (auto& s : seen_)
    if (s->snap == &snap) return *s;
  if (seen_.size() > 4) seen_.erase(seen_.begin());  // snapshots are visited in order
  auto s = std::make_unique<Seen>();
  s->snap = &snap;
  s->vars = ctx_.vars;
  s->locating = std::make_unique<run::Locating>(*base_, nullptr, s->vars);
  s->locating->look_at(snap.frame, snap.windows);
  seen_.push_back(std::move(s));
  return *seen_.back();
}

std::optional<cv::Point> TargetCutter::lands(const Snapshot& snap, const json& locator) {
  Seen& s = seen(snap);
  json vars = json::object();
  for (const auto& [k, v] : ctx_.vars) vars[k] = json::object();
  json doc = {{"window", ctx_.window_title},
              {"vars", vars},
              {"defaults", {{"scales", {1.0}}}},
              {"steps", json::array({json{{"click", locator}}})}};
  auto loaded = parse_script(doc, store_.dir());
  if (!loaded.ok()) throw std::runtime_error("recorder: a locator it wrote does not parse: " +
                                             loaded.problems.front().str() + " in " + locator.dump());
  s.parsed.push_back(std::move(loaded));
  auto r = s.locating->locate(*s.parsed.back().script->steps[0].locator);
  if (!r) return std::nullopt;
  return centre(*r);
}

bool TargetCutter::holds_var_value(const std::string& text) const {
  for (const auto& [k, v] : ctx_.vars)
    if (!v.empty() && (text == v || (v.size() >= 4 && text.find(v) != std::string::npos))) return true;
  return false;
}

std::string TargetCutter::with_vars(const std::string& text) const {
  for (const auto& [k, v] : ctx_.vars)
    if (!v.empty() && text == v) return "${" + k + "}";
  std::string out = escape_literal(text);
  for (const auto& [k, v] : ctx_.vars) {
    if (v.size() < 4) continue;
    std::string lv = escape_literal(v);
    for (std::size_t at = out.find(lv); at != std::string::npos; at = out.find(lv, at + k.size() + 3))
      out.replace(at, lv.size(), "${" + k + "}");
  }
  return out;
}

namespace {
bool close_to(std::optional<cv::Point> p, cv::Point at) {
  return p && std::abs(p->x - at.x) <= 2 && std::abs(p->y - at.y) <= 2;
}
}  // namespace

std::optional<Target> TargetCutter::by_text(const Snapshot& snap, cv::Point at, const cv::Rect& ink,
                                            const cv::Rect& area) {
  Seen& s = seen(snap);
  auto key = std::make_pair(area.x, area.y);
  if (!s.scans.count(key)) s.scans[key] = vision::scan_text(snap.frame, area);
  const auto& scan = s.scans[key];
  auto words = words_in(scan, cv::Rect(ink.x - 2, ink.y - 2, ink.width + 4, ink.height + 4));
  if (words.empty() || !clean(words)) return std::nullopt;
  std::string text = joined_text(words);
  vision::LocateOptions lo;
  lo.min_similarity = base_->defaults.similarity;
  auto matches = vision::locate_text(scan, text, lo);
  if (matches.size() != 1) return std::nullopt;  // not unique in its window
  Target t;
  t.how = "text";
  t.label = text;
  t.locator = {{"text", with_vars(text)}};
  cv::Point d = at - centre(matches[0].region);
  if (d != cv::Point()) t.locator["offset"] = offset_json(d);
  auto landed = lands(snap, t.locator);
  if (!close_to(landed, at)) return std::nullopt;
  return t;
}

std::optional<std::pair<json, std::string>> TargetCutter::feature(const Snapshot& snap, const cv::Rect& box,
                                                                  const cv::Rect& area, const std::string& suffix) {
  Seen& s = seen(snap);
  auto key = std::make_pair(area.x, area.y);
  if (!s.scans.count(key)) s.scans[key] = vision::scan_text(snap.frame, area);
  const auto& scan = s.scans[key];
  auto words = words_in(scan, cv::Rect(box.x - 2, box.y - 2, box.width + 4, box.height + 4));
  std::string text = joined_text(words);
  if (!words.empty() && clean(words)) {
    vision::LocateOptions lo;
    lo.min_similarity = base_->defaults.similarity;
    if (vision::locate_text(scan, text, lo).size() == 1) return std::make_pair(json{{"text", with_vars(text)}}, text);
  }
  vision::CutOptions co;
  co.bounds = area;
  co.min_score = base_->defaults.score;
  auto cut = vision::cut_unique(snap.frame, box, co);
  if (!cut) return std::nullopt;
  // A template showing a variable's recorded value would not be found with another value.
  auto inside = joined_text(words_in(scan, cut->rect));
  // The window's OCR keeps only words it is sure of; the crop alone, read as one line, names it anyway.
  if (inside.empty()) inside = vision::read_field(snap.frame(cut->rect)).text;
  if (holds_var_value(inside)) return std::nullopt;
  std::string name = slug(inside.empty() ? text : inside);
  if (name.empty()) name = ctx_.fallback_name;
  std::string path = store_.add(snap.frame(cut->rect), name + suffix);
  return std::make_pair(json{{"image", path}}, inside.empty() ? text : inside);
}

std::optional<Target> TargetCutter::by_image(const Snapshot& snap, cv::Point at, const cv::Rect& ink,
                                             const cv::Rect& area) {
  auto f = feature(snap, ink, area, "");
  if (!f || !f->first.contains("image")) return std::nullopt;
  Target t;
  t.how = "image";
  t.label = f->second;
  t.locator = f->first;
  auto plain = lands(snap, t.locator);
  if (!plain) return std::nullopt;
  cv::Point d = at - *plain;
  if (d != cv::Point()) t.locator["offset"] = offset_json(d);
  if (!close_to(lands(snap, t.locator), at)) return std::nullopt;
  return t;
}

std::optional<Target> TargetCutter::anchored(const Snapshot& snap, cv::Point at, const cv::Rect& area, bool field) {
  // Nearby features, the likeliest labels first: left on the same row (a form's label), then above, right, below.
  struct Candidate {
    cv::Rect box;
    const char* side;  // where the target is, seen from the anchor
    double cost;
  };
  std::vector<Candidate> cands;
  auto boxes = vision::ink_boxes(snap.frame, area);
  // The field around the point (the smallest frame holding it): what is inside it is its content, not a label.
  cv::Rect container;
  if (field)
    for (const auto& b : boxes)
      if (b.contains(at) && b.height <= 60 && (container.empty() || b.area() < container.area())) container = b;
  for (const auto& b : boxes) {
    if (b.contains(at) || b.width > 400 || b.height > 60 || b.width * b.height < 30) continue;
    if (!container.empty() && (b & container) == b) continue;
    bool same_row = b.y <= at.y + 4 && b.y + b.height >= at.y - 4;
    bool same_col = b.x <= at.x + 40 && b.x + b.width >= at.x - 40;
    double dx = 0, dy = 0;
    const char* side = nullptr;
    double weight = 1;
    if (same_row && b.x + b.width <= at.x) side = "right_of", dx = at.x - (b.x + b.width), weight = 1;
    else if (same_col && b.y + b.height <= at.y) side = "below", dy = at.y - (b.y + b.height), weight = 1.5;
    else if (same_row && b.x >= at.x) side = "left_of", dx = b.x - at.x, weight = 2;
    else if (same_col && b.y >= at.y) side = "above", dy = b.y - at.y, weight = 2.5;
    if (!side) continue;
    double d = std::hypot(dx, dy);
    if (d > 400) continue;
    cands.push_back({b, side, d * weight});
  }
  std::sort(cands.begin(), cands.end(), [](const auto& a, const auto& b) { return a.cost < b.cost; });
  if (cands.size() > 6) cands.resize(6);
  for (const auto& c : cands) {
    auto f = feature(snap, c.box, area, "");
    if (!f) continue;
    // Where the anchor is found (the runner's own answer), then an area beside it centred on the click.
    auto anchor_at = lands(snap, f->first);
    if (!anchor_at) continue;
    Seen& s = seen(snap);
    auto anchor_rect = s.locating->locate(*s.parsed.back().script->steps[0].locator);
    if (!anchor_rect) continue;
    const cv::Rect a = *anchor_rect;
    const int w = 20, h = 20;  // a small area: the click is its centre
    cv::Rect area_at;
    std::string side = c.side;
    if (side == "right_of") area_at = {a.x + a.width, a.y + a.height / 2 - h / 2, w, h};
    else if (side == "left_of") area_at = {a.x - w, a.y + a.height / 2 - h / 2, w, h};
    else if (side == "below") area_at = {a.x, a.y + a.height, w, h};
    else area_at = {a.x, a.y - h, w, h};
    cv::Point d = at - centre(area_at);
    Target t;
    t.how = "anchored";
    t.label = f->second;
    t.locator = {{side, f->first}, {"size", {w, h}}, {"offset", offset_json(d)}};
    if (!close_to(lands(snap, t.locator), at)) continue;
    return t;
  }
  return std::nullopt;
}

std::optional<Target> TargetCutter::something_new(const Snapshot& before, const Snapshot& after) {
  if (before.frame.size() != after.frame.size()) return std::nullopt;
  cv::Mat diff, mask;
  cv::absdiff(before.frame, after.frame, diff);
  cv::Mat channels[4];
  cv::split(diff, channels);
  mask = cv::max(cv::max(channels[0], channels[1]), channels[2]) > 16;
  cv::dilate(mask, mask, cv::getStructuringElement(cv::MORPH_RECT, {15, 15}));
  cv::Mat labels, stats, centroids;
  int n = cv::connectedComponentsWithStats(mask, labels, stats, centroids, 8, CV_32S);
  std::vector<cv::Rect> regions;
  for (int i = 1; i < n; ++i)
    regions.emplace_back(stats.at<int>(i, cv::CC_STAT_LEFT), stats.at<int>(i, cv::CC_STAT_TOP),
                         stats.at<int>(i, cv::CC_STAT_WIDTH), stats.at<int>(i, cv::CC_STAT_HEIGHT));
  std::sort(regions.begin(), regions.end(), [](const auto& a, const auto& b) { return a.area() > b.area(); });
  if (regions.size() > 3) regions.resize(3);
  for (const auto& region : regions) {
    cv::Rect area(0, 0, after.frame.cols, after.frame.rows);
    for (const auto& w : after.windows)
      if (w.visible && to_cv(w.rect).contains(centre(region))) {
        area = to_cv(w.client) & area;
        break;
      }
    auto boxes = vision::ink_boxes(after.frame, region & area);
    // Words first (the larger boxes are usually panels and fields).
    std::sort(boxes.begin(), boxes.end(), [](const auto& a, const auto& b) {
      return std::abs(a.height - 16) < std::abs(b.height - 16);
    });
    int tried = 0;
    for (const auto& box : boxes) {
      if (box.height > 60 || box.width > 400 || box.area() < 40) continue;
      if (++tried > 6) break;
      auto f = feature(after, box, area, "");
      if (!f) continue;
      auto on_after = lands(after, f->first);
      if (!on_after || !cv::Rect(box.x - 4, box.y - 4, box.width + 8, box.height + 8).contains(*on_after)) continue;
      if (lands(before, f->first)) continue;  // it was there already: waiting for it would not wait
      Target t;
      t.how = f->first.contains("text") ? "text" : "image";
      t.label = f->second;
      t.locator = f->first;
      t.window = area;
      return t;
    }
  }
  return std::nullopt;
}

Target TargetCutter::cut(const Snapshot& snap, cv::Point at, bool field) {
  // The window clicked in: the topmost one under the point.
  cv::Rect area(0, 0, snap.frame.cols, snap.frame.rows);
  std::string title;
  for (const auto& w : snap.windows)
    if (w.visible && to_cv(w.rect).contains(at)) {
      area = to_cv(w.client) & area;
      title = w.title;
      break;
    }
  Target t;
  if (auto ink = field ? std::nullopt : vision::ink_at(snap.frame, at, area)) {
    if (auto bt = by_text(snap, at, *ink, area)) t = *bt;
    else if (auto bi = by_image(snap, at, *ink, area)) t = *bi;
  }
  if (t.how.empty()) {
    if (auto an = anchored(snap, at, area, field)) t = *an;
  }
  if (t.how.empty()) {
    // Nothing unique to go by: the point in the window's client area (still window-relative).
    t.how = "point";
    t.locator = {{"point", {at.x - area.x, at.y - area.y}}};
  }
  t.window = area;
  t.window_title = title;
  return t;
}

}  // namespace dockhand::agent::record
