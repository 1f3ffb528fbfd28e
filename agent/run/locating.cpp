#include "agent/run/locating.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>

namespace dockhand::agent::run {

namespace fs = std::filesystem;

Locating::Locating(const Script& script, drivers::Desktop* desktop, const Vars& vars)
    : s_(script), d_(desktop), vars_(vars), window_title_(script.window) {}

void Locating::start() {
  screen_ = to_cv(d_->screen());
  for (const auto& w : d_->windows())
    if (w.visible) initial_.insert(w.id);
  windows_now();
}

void Locating::capture() {
  scans_.clear();
  frame_ = d_->capture();
  mat_ = cv::Mat(frame_.height, frame_.width, CV_8UC4, frame_.pixels.data(), frame_.stride);
  screen_ = cv::Rect(0, 0, frame_.width, frame_.height);
}

void Locating::look_at(cv::Mat frame_bgra, const std::vector<drivers::WindowInfo>& all) {
  scans_.clear();
  mat_ = std::move(frame_bgra);
  screen_ = cv::Rect(0, 0, mat_.cols, mat_.rows);
  classify(all);
}

const Windows& Locating::windows_now() {
  classify(d_->windows());
  return ws_;
}

void Locating::classify(const std::vector<drivers::WindowInfo>& all) {
  Windows w;
  std::set<std::uint64_t> now;
  for (const auto& win : all) {
    if (!win.visible) continue;
    now.insert(win.id);
    if (!visible_.count(win.id)) shown_at_[win.id] = ++seq_;
  }
  visible_ = now;
  if (!window_title_.empty()) {
    for (const auto& win : all)
      if (win.visible && win.title.find(window_title_) != std::string::npos) {
        w.target = win;
        break;
      }
  }
  // `all` is in stacking order, topmost first. A dialog is a window of the program (same pid), one that
  // appeared since the run started, or any window stacked above the target that covers part of it (a popup
  // that was already up when the run started, from a program that does not say its pid).
  std::map<std::uint64_t, std::size_t> order;
  std::size_t target_at = all.size();
  for (std::size_t i = 0; i < all.size(); ++i) {
    order[all[i].id] = i;
    if (w.target && all[i].id == w.target->id) target_at = i;
  }
  for (std::size_t i = 0; i < all.size(); ++i) {
    const auto& win = all[i];
    if (!win.visible || (w.target && win.id == w.target->id)) continue;
    bool same_app = w.target && w.target->pid != 0 && win.pid == w.target->pid;
    bool covers = w.target && i < target_at && !(to_cv(win.rect) & to_cv(w.target->rect)).empty();
    if (!initial_.count(win.id) || same_app || covers) {
      w.dialogs.push_back(win);
      if (w.target && i < target_at) w.above_target.insert(win.id);
    }
  }
  // Topmost first (it receives the clicks); among equals, the newest.
  std::stable_sort(w.dialogs.begin(), w.dialogs.end(), [&](const auto& a, const auto& b) {
    if (order[a.id] != order[b.id]) return order[a.id] < order[b.id];
    return shown_at_[a.id] > shown_at_[b.id];
  });
  ws_ = std::move(w);
}

std::vector<cv::Rect> Locating::areas() const {
  std::vector<cv::Rect> out;
  for (const auto& dlg : ws_.dialogs) {
    auto r = client_rect(dlg) & screen_;
    if (!r.empty()) out.push_back(r);
  }
  if (ws_.target) {
    auto r = client_rect(*ws_.target) & screen_;
    if (!r.empty()) out.push_back(r);
  }
  if (!ws_.target) out.push_back(screen_);
  return out;
}

cv::Rect Locating::window_area() const { return ws_.target ? client_rect(*ws_.target) & screen_ : screen_; }

std::string Locating::describe_area(const cv::Rect& r) const {
  auto list = [](const cv::Rect& a) {
    return "[" + std::to_string(a.x) + ", " + std::to_string(a.y) + ", " + std::to_string(a.width) + ", " +
           std::to_string(a.height) + "]";
  };
  if (!ws_.target) return "screen " + list(r);
  cv::Rect in = r - window_area().tl();
  return list(in) + " in window \"" + ws_.target->title + "\" (screen " + list(r) + ")";
}

std::uint64_t Locating::window_at(cv::Point p) const {
  for (const auto& dlg : ws_.dialogs)
    if (client_rect(dlg).contains(p)) return dlg.id;
  if (ws_.target && client_rect(*ws_.target).contains(p)) return ws_.target->id;
  return 0;
}

bool Locating::can_click(cv::Point p, std::string& why) const {
  if (!ws_.dialogs.empty()) {
    const auto& top = ws_.dialogs.front();
    if (client_rect(top).contains(p)) return true;
    why = "window \"" + top.title + "\" is in front of the target";
    return false;
  }
  if (ws_.target && !client_rect(*ws_.target).contains(p)) {
    why = "the target lies outside the window \"" + ws_.target->title + "\"";
    return false;
  }
  return true;
}

bool Locating::can_type(std::string& why) const {
  if (ws_.dialogs.empty() || ws_.dialogs.front().id == last_window) return true;
  why = "window \"" + ws_.dialogs.front().title + "\" is in front (typing would go there)";
  return false;
}

int Locating::sc(int v) const { return static_cast<int>(std::lround(v * ui_scale_)); }

const vision::Pattern* Locating::load_pattern(const std::string& file) {
  auto it = patterns_.find(file);
  if (it == patterns_.end()) {
    std::optional<vision::Pattern> p;
    std::error_code ec;
    if (fs::exists(file, ec)) p = vision::Pattern::load(file);
    it = patterns_.emplace(file, std::move(p)).first;
  }
  return it->second ? &*it->second : nullptr;
}

std::string Locating::template_file(const Locator& loc) const {
  std::error_code ec;
  std::string src = loc.image_file.string();
  if (scale_known_ && ui_scale_ != 1.0 && fs::exists(variant_file(loc.image_file, ui_scale_), ec))
    src = variant_file(loc.image_file, ui_scale_);
  return src;
}

std::optional<vision::Match> Locating::find_at_scales(const Locator& loc, const std::vector<double>& scales,
                                                      vision::FindOptions fo) {
  const vision::Pattern* base = load_pattern(loc.image_file.string());
  if (!base) throw vision::VisionError("template file not found: " + loc.image_file.string());
  std::vector<double> plain;
  for (double s : scales) {
    const vision::Pattern* v = s == 1.0 ? nullptr : load_pattern(variant_file(loc.image_file, s));
    if (!v) {
      plain.push_back(s);
      continue;
    }
    fo.scales = {1.0};
    if (auto m = vision::find(mat_, *v, fo)) {
      m->scale = s;
      return m;
    }
  }
  if (plain.empty()) return std::nullopt;
  fo.scales = plain;
  return vision::find(mat_, *base, fo);
}

std::optional<cv::Rect> Locating::find_image(const Locator& loc, const cv::Rect& bounds) {
  vision::FindOptions fo;
  fo.min_score = loc.score.value_or(s_.defaults.score);
  fo.within = bounds;
  auto h = hints_.find(&loc);
  if (h != hints_.end()) fo.hint = h->second;
  const auto& all = loc.scales.empty() ? s_.defaults.scales : loc.scales;
  auto m = find_at_scales(loc, scale_known_ ? std::vector<double>{ui_scale_} : all, fo);
  if (!m && scale_known_ && !loc.scales.empty()) m = find_at_scales(loc, all, fo);
  if (!m) return std::nullopt;
  if (!scale_known_) {
    ui_scale_ = m->scale;
    scale_known_ = true;
    spdlog::debug("agent: UI scale {} learned from {}", ui_scale_, loc.image);
  }
  return m->region;
}

// OCR'd words of the current capture, by area: several text locators (handlers!) over the same pixels share
// one OCR. A scan also serves a smaller area inside it when both are read at the same magnification
// (areas up to a megapixel are read at 2x).
const vision::TextScan& Locating::scan_for(const cv::Rect& area) {
  for (const auto& sc : scans_)
    if (sc.area == area || ((area & sc.area) == area && sc.area.area() <= 1'000'000)) return sc;
  scans_.push_back(vision::scan_text(mat_, area));
  return scans_.back();
}

std::optional<cv::Rect> Locating::find_text(const Locator& loc, const cv::Rect& bounds) {
  auto text = substitute(loc.text, vars_);
  vision::LocateOptions lo;
  lo.min_similarity = loc.similarity.value_or(s_.defaults.similarity);
  auto h = hints_.find(&loc);
  if (h != hints_.end()) {
    // Where it was last time, with a margin: a small OCR instead of the whole area.
    auto r = h->second;
    int mx = r.height * 2 + r.width / 2, my = r.height;
    cv::Rect near = cv::Rect(r.x - mx, r.y - my, r.width + 2 * mx, r.height + 2 * my) & bounds;
    if (!near.empty()) {
      lo.within = near;
      auto ms = vision::locate_text(scan_for(near), text, lo);
      if (!ms.empty()) return ms.front().region;
    }
  }
  lo.within = bounds;
  auto ms = vision::locate_text(scan_for(bounds), text, lo);
  if (ms.empty()) return std::nullopt;
  return ms.front().region;
}

namespace {

// The area an anchored locator without a kind of its own stands for: `size` (defaults below) beside the anchor,
// moved by `offset` (sizes and offsets already scaled).
cv::Rect beside(const cv::Rect& a, Locator::Anchor anchor, std::optional<cv::Size> size, cv::Point offset,
                int default_w, int pad) {
  const bool row = anchor == Locator::Anchor::RightOf || anchor == Locator::Anchor::LeftOf;
  int w = size ? size->width : (row ? default_w : std::max(a.width, default_w));
  int h = size ? size->height : a.height + pad;
  cv::Rect r;
  switch (anchor) {
    case Locator::Anchor::RightOf: r = {a.x + a.width, a.y + a.height / 2 - h / 2, w, h}; break;
    case Locator::Anchor::LeftOf: r = {a.x - w, a.y + a.height / 2 - h / 2, w, h}; break;
    case Locator::Anchor::Below: r = {a.x, a.y + a.height, w, h}; break;
    case Locator::Anchor::Above: r = {a.x, a.y - h, w, h}; break;
    case Locator::Anchor::None: break;
  }
  return r + offset;
}

// Where to search for something anchored: the strip beside the anchor (its row, twice its height or `size`'s
// height if larger; or its column, twice its width or `size`'s width if larger), up to the edge of `bounds`.
cv::Rect strip(const cv::Rect& a, Locator::Anchor anchor, std::optional<cv::Size> size, const cv::Rect& bounds) {
  const bool row = anchor == Locator::Anchor::RightOf || anchor == Locator::Anchor::LeftOf;
  int band = row ? std::max(a.height, size ? size->height : 0) : std::max(a.width, size ? size->width : 0);
  switch (anchor) {
    case Locator::Anchor::RightOf:
      return {a.x + a.width, a.y + a.height / 2 - band, bounds.x + bounds.width - a.x - a.width, 2 * band};
    case Locator::Anchor::LeftOf: return {bounds.x, a.y + a.height / 2 - band, a.x - bounds.x, 2 * band};
    case Locator::Anchor::Below:
      return {a.x + a.width / 2 - band, a.y + a.height, 2 * band, bounds.y + bounds.height - a.y - a.height};
    case Locator::Anchor::Above: return {a.x + a.width / 2 - band, bounds.y, 2 * band, a.y - bounds.y};
    case Locator::Anchor::None: break;
  }
  return bounds;
}

}  // namespace

std::optional<cv::Rect> Locating::resolve(const Locator& loc, const cv::Rect& area) {
  cv::Rect bounds = area & screen_;
  if (loc.within) {
    auto w = resolve(*loc.within, area);
    if (!w) return std::nullopt;
    bounds = *w & screen_;
  }
  std::optional<cv::Size> size;
  if (loc.size) size = cv::Size(sc(loc.size->first), sc(loc.size->second));
  const cv::Point offset(sc(loc.offset_x), sc(loc.offset_y));
  if (loc.anchor != Locator::Anchor::None && loc.anchor_of) {
    auto a = resolve(*loc.anchor_of, bounds);
    if (!a) return std::nullopt;
    if (loc.kind == Locator::Kind::Anchored) {
      cv::Rect r = beside(*a, loc.anchor, size, offset, sc(200), sc(10)) & screen_;
      if (r.empty()) return std::nullopt;
      return r;
    }
    bounds = strip(*a, loc.anchor, size, bounds) & bounds;
    if (bounds.empty()) return std::nullopt;
  }
  // Fixed coordinates start at `within`'s region, else at the target window's client area (else the screen).
  const cv::Point origin = loc.within ? bounds.tl() : window_area().tl();
  std::optional<cv::Rect> r;
  switch (loc.kind) {
    case Locator::Kind::Image: r = find_image(loc, bounds); break;
    case Locator::Kind::Text: r = find_text(loc, bounds); break;
    case Locator::Kind::Point: r = cv::Rect(origin.x + sc(loc.point_x), origin.y + sc(loc.point_y), 1, 1); break;
    case Locator::Kind::Region:
      r = cv::Rect(origin.x + sc(loc.region_x), origin.y + sc(loc.region_y), sc(loc.region_w), sc(loc.region_h));
      break;
    case Locator::Kind::Anchored: return std::nullopt;  // validator requires an anchor
  }
  if (!r) return std::nullopt;
  if (loc.kind == Locator::Kind::Image || loc.kind == Locator::Kind::Text) hints_[&loc] = *r;
  *r += offset;
  if (loc.kind == Locator::Kind::Region) {
    *r &= screen_;
    if (r->empty()) return std::nullopt;
  }
  return r;
}

std::optional<cv::Rect> Locating::locate(const Locator& loc) {
  auto list = areas();
  for (const auto& a : list)
    if (auto r = resolve(loc, a)) {
      last_window = window_at((r->tl() + r->br()) / 2);
      return r;
    }
  if (loc.kind == Locator::Kind::Image && !(list.size() == 1 && list[0] == screen_))
    if (auto r = resolve(loc, screen_)) return r;
  return std::nullopt;
}

}  // namespace dockhand::agent::run
