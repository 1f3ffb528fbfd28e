#include "agent/runner.h"

#include "vision/vision.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <spdlog/spdlog.h>

#include <spawn.h>

#include <algorithm>
#include <chrono>
#include <deque>
#include <map>
#include <cmath>
#include <cstring>
#include <fstream>
#include <ctime>
#include <fcntl.h>
#include <set>
#include <thread>
#include <unistd.h>

extern char** environ;

namespace dockhand::agent {

using nlohmann::json;
using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

nlohmann::json RunResult::to_json() const {
  json j;
  j["status"] = status;
  j["outputs"] = outputs;
  j["failed_step"] = failed_step.empty() ? json(nullptr) : json(failed_step);
  j["reason"] = reason.empty() ? json(nullptr) : json(reason);
  j["category"] = category.empty() ? json(nullptr) : json(category);
  j["evidence"] = evidence.empty() ? json(nullptr) : json(evidence);
  if (!message.empty()) j["message"] = message;
  if (desktop_lost) j["desktop_lost"] = true;
  if (!problems.empty()) {
    j["problems"] = json::array();
    for (const auto& p : problems) j["problems"].push_back(p.str());
  }
  j["elapsed_ms"] = std::round(elapsed_ms);
  if (!timings.empty()) {
    j["steps"] = json::array();
    for (const auto& t : timings)
      j["steps"].push_back({{"step", t.path}, {"ms", std::round(t.total_ms * 10) / 10},
                            {"overhead_ms", std::round(t.overhead_ms() * 10) / 10}});
  }
  return j;
}

int RunResult::exit_code() const {
  if (status == "ok") return 0;
  if (status == "invalid") return 2;
  if (desktop_lost) return 3;
  return 1;
}

namespace {

double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

struct Failure {
  Failure(std::string c, std::string r, const Locator* l = nullptr)
      : category(std::move(c)), reason(std::move(r)), looked_for(l) {}
  std::string category;
  std::string reason;
  const Locator* looked_for = nullptr;
  std::optional<cv::Rect> searched;
};
struct Finished {
  std::string message;
};

cv::Rect to_cv(const drivers::Rect& r) { return {r.x, r.y, r.w, r.h}; }

struct Windows {
  std::optional<drivers::WindowInfo> target;
  std::vector<drivers::WindowInfo> dialogs;  // the app's other windows, newest first
  std::set<std::uint64_t> above_target;      // the dialogs stacked above the target
};

class Runner {
 public:
  Runner(const Script& s, drivers::Desktop& d, const RunOptions& o, Vars vars)
      : s_(s), d_(d), o_(o), vars_(std::move(vars)), window_title_(s.window) {}

  RunResult run() {
    RunResult r;
    auto start = Clock::now();
    try {
      screen_ = to_cv(d_.screen());
      for (const auto& w : d_.windows())
        if (w.visible) initial_.insert(w.id);
      windows_now();
      run_steps(s_.steps);
      r.status = "ok";
    } catch (const Finished& f) {
      r.status = "ok";
      r.message = f.message;
    } catch (const Failure& f) {
      fail(r, f);
    } catch (const RunAborted& e) {
      fail(r, Failure("application", std::string("aborted: ") + e.what()));
    } catch (const drivers::DesktopError& e) {
      r.desktop_lost = true;
      fail(r, Failure("application", std::string("desktop lost: ") + e.what()));
    } catch (const vision::VisionError& e) {
      fail(r, Failure("application", std::string("vision: ") + e.what()));
    } catch (const cv::Exception& e) {
      fail(r, Failure("application", std::string("image processing: ") + e.what()));
    }
    for (const auto& name : s_.outputs) {
      auto it = vars_.find(name);
      if (it != vars_.end()) r.outputs[name] = it->second;
    }
    r.timings = std::move(timings_);
    r.elapsed_ms = ms_between(start, Clock::now());
    if (!r.evidence.empty()) write_result_json(r);
    return r;
  }

 private:
  const Script& s_;
  drivers::Desktop& d_;
  const RunOptions& o_;
  Vars vars_;
  std::string window_title_;
  std::string current_path_;

  cv::Rect screen_;
  drivers::Frame frame_;
  cv::Mat mat_;  // view on frame_.pixels (no copy)
  Windows ws_;

  std::set<std::uint64_t> initial_;
  std::map<std::uint64_t, long> shown_at_;  // when each window last became visible
  std::set<std::uint64_t> visible_;
  long seq_ = 0;
  std::uint64_t last_window_ = 0;  // the window of the last thing located or clicked

  double ui_scale_ = 1.0;
  bool scale_known_ = false;
  std::map<const Locator*, cv::Rect> hints_;
  std::deque<vision::TextScan> scans_;  // OCR of the current capture, by area
  std::map<std::string, std::optional<vision::Pattern>> patterns_;  // file -> template (nullopt: no such file)

  std::map<std::uint64_t, cv::Mat> dialog_checked_;  // dialog id -> its pixels when no handler matched
  cv::Mat window_checked_;                           // target window pixels at the last handler check
  std::map<const Handler*, int> handler_runs_;
  bool in_handler_ = false;
  cv::Mat trigger_;  // the screen when the last handler ran

  std::vector<StepTiming> timings_;
  double waiting_ms_ = 0;  // of the current step
  std::string evidence_;
  std::optional<Failure> failure_;

  // ---------- screen and windows ----------
  void capture() {
    scans_.clear();
    frame_ = d_.capture();
    mat_ = cv::Mat(frame_.height, frame_.width, CV_8UC4, frame_.pixels.data(), frame_.stride);
    screen_ = cv::Rect(0, 0, frame_.width, frame_.height);
  }

  const Windows& windows_now() {
    Windows w;
    auto all = d_.windows();
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
    return ws_;
  }

  // Where to look, in order: the app's dialogs (newest first), then its window; the whole screen when the
  // script names no window or it is not open.
  std::vector<cv::Rect> areas() const {
    std::vector<cv::Rect> out;
    for (const auto& dlg : ws_.dialogs) {
      auto r = to_cv(dlg.rect) & screen_;
      if (!r.empty()) out.push_back(r);
    }
    if (ws_.target) {
      auto r = to_cv(ws_.target->rect) & screen_;
      if (!r.empty()) out.push_back(r);
    }
    if (!ws_.target) out.push_back(screen_);
    return out;
  }

  std::uint64_t window_at(cv::Point p) const {
    for (const auto& dlg : ws_.dialogs)
      if (to_cv(dlg.rect).contains(p)) return dlg.id;
    if (ws_.target && to_cv(ws_.target->rect).contains(p)) return ws_.target->id;
    return 0;
  }

  // Input may go to `p` only if nothing unexpected is in front: with a dialog open, only into the newest
  // dialog; otherwise into the target window.
  bool can_click(cv::Point p, std::string& why) const {
    if (!ws_.dialogs.empty()) {
      const auto& top = ws_.dialogs.front();
      if (to_cv(top.rect).contains(p)) return true;
      why = "window \"" + top.title + "\" is in front of the target";
      return false;
    }
    if (ws_.target && !to_cv(ws_.target->rect).contains(p)) {
      why = "the target lies outside the window \"" + ws_.target->title + "\"";
      return false;
    }
    return true;
  }

  bool can_type(std::string& why) const {
    if (ws_.dialogs.empty() || ws_.dialogs.front().id == last_window_) return true;
    why = "window \"" + ws_.dialogs.front().title + "\" is in front (typing would go there)";
    return false;
  }

  // ---------- locating ----------
  int sc(int v) const { return static_cast<int>(std::lround(v * ui_scale_)); }

  const vision::Pattern* load_pattern(const std::string& file) {
    auto it = patterns_.find(file);
    if (it == patterns_.end()) {
      std::optional<vision::Pattern> p;
      std::error_code ec;
      if (fs::exists(file, ec)) p = vision::Pattern::load(file);
      it = patterns_.emplace(file, std::move(p)).first;
    }
    return it->second ? &*it->second : nullptr;
  }

  // The template for `scale`: "x@1.25.png" beside "x.png" when the script's author cut one at that scale (text
  // does not scale linearly: fonts snap to whole pixel sizes), else x.png resized by the finder.
  static std::string variant_file(const fs::path& base, double scale) {
    char num[32];
    std::snprintf(num, sizeof num, "%g", scale);
    return (base.parent_path() / (base.stem().string() + "@" + num + base.extension().string())).string();
  }

  std::optional<vision::Match> find_at_scales(const Locator& loc, const std::vector<double>& scales,
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

  std::optional<cv::Rect> find_image(const Locator& loc, const cv::Rect& bounds) {
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
  const vision::TextScan& scan_for(const cv::Rect& area) {
    for (const auto& sc : scans_)
      if (sc.area == area || ((area & sc.area) == area && sc.area.area() <= 1'000'000)) return sc;
    scans_.push_back(vision::scan_text(mat_, area));
    return scans_.back();
  }

  std::optional<cv::Rect> find_text(const Locator& loc, const cv::Rect& bounds) {
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

  std::optional<cv::Rect> resolve(const Locator& loc, const cv::Rect& area) {
    cv::Rect bounds = area & screen_;
    if (loc.within) {
      auto w = resolve(*loc.within, area);
      if (!w) return std::nullopt;
      bounds = *w & screen_;
    }
    if (loc.anchor != Locator::Anchor::None && loc.anchor_of) {
      auto a = resolve(*loc.anchor_of, bounds);
      if (!a) return std::nullopt;
      bool right = loc.anchor == Locator::Anchor::RightOf;
      if (loc.kind == Locator::Kind::Region) {
        int w = loc.size ? sc(loc.size->first) : (right ? sc(200) : std::max(a->width, sc(200)));
        int h = loc.size ? sc(loc.size->second) : a->height + sc(10);
        cv::Rect r = right ? cv::Rect(a->x + a->width + sc(loc.offset_x), a->y + a->height / 2 - h / 2 + sc(loc.offset_y), w, h)
                           : cv::Rect(a->x + sc(loc.offset_x), a->y + a->height + sc(loc.offset_y), w, h);
        r &= screen_;
        if (r.empty()) return std::nullopt;
        return r;
      }
      // A strip beside / under the anchor, as wide as the area allows.
      cv::Rect strip;
      if (right) {
        int band = std::max(a->height, loc.size ? sc(loc.size->second) : 0);
        strip = cv::Rect(a->x + a->width, a->y + a->height / 2 - band, bounds.x + bounds.width - a->x - a->width, 2 * band);
      } else {
        int band = std::max(a->width, loc.size ? sc(loc.size->first) : 0);
        strip = cv::Rect(a->x + a->width / 2 - band, a->y + a->height, 2 * band, bounds.y + bounds.height - a->y - a->height);
      }
      bounds = strip & bounds;
      if (bounds.empty()) return std::nullopt;
    }
    std::optional<cv::Rect> r;
    switch (loc.kind) {
      case Locator::Kind::Image: r = find_image(loc, bounds); break;
      case Locator::Kind::Text: r = find_text(loc, bounds); break;
      case Locator::Kind::Point: {
        cv::Point base = loc.within ? bounds.tl() : area.tl();
        r = cv::Rect(base.x + sc(loc.point_x), base.y + sc(loc.point_y), 1, 1);
        break;
      }
      case Locator::Kind::Region: return std::nullopt;  // validator requires an anchor
    }
    if (!r) return std::nullopt;
    if (loc.kind != Locator::Kind::Point) hints_[&loc] = *r;
    r->x += sc(loc.offset_x);
    r->y += sc(loc.offset_y);
    return r;
  }

  // Looks in every area in order; the whole screen last for images (cheap) when the window was not enough.
  std::optional<cv::Rect> locate(const Locator& loc) {
    auto list = areas();
    for (const auto& a : list)
      if (auto r = resolve(loc, a)) {
        last_window_ = window_at((r->tl() + r->br()) / 2);
        return r;
      }
    if (loc.kind == Locator::Kind::Image && !(list.size() == 1 && list[0] == screen_))
      if (auto r = resolve(loc, screen_)) return r;
    return std::nullopt;
  }

  // ---------- handlers ----------
  static bool same_pixels(const cv::Mat& a, const cv::Mat& b) {
    return !a.empty() && a.size() == b.size() && vision::changed_fraction(a, b) == 0.0;
  }

  // Runs the first handler whose `when` is on screen. Dialogs are checked once per content; the target
  // window only when it changed since the last check. Returns true if a handler ran.
  bool check_handlers(bool include_window = true) {
    if (in_handler_ || s_.handlers.empty()) return false;
    auto try_area = [&](const cv::Rect& area) {
      for (const auto& h : s_.handlers) {
        if (handler_runs_[&h] >= h.max_times) continue;
        if (resolve(h.when, area)) {
          run_handler(h, area);
          return true;
        }
      }
      return false;
    };
    for (const auto& dlg : ws_.dialogs) {
      auto r = to_cv(dlg.rect) & screen_;
      if (r.empty()) continue;
      cv::Mat now = mat_(r);
      auto it = dialog_checked_.find(dlg.id);
      if (it != dialog_checked_.end() && same_pixels(it->second, now)) continue;
      if (try_area(r)) return true;
      dialog_checked_[dlg.id] = now.clone();
    }
    if (ws_.target && include_window) {
      auto r = to_cv(ws_.target->rect) & screen_;
      if (r.empty()) return false;
      cv::Mat now = mat_(r);
      if (same_pixels(window_checked_, now)) return false;
      if (try_area(r)) return true;
      window_checked_ = now.clone();
    }
    return false;
  }

  void run_handler(const Handler& h, const cv::Rect& area) {
    ++handler_runs_[&h];
    trigger_ = mat_.clone();  // the screen that set it off (evidence, should the handler fail the run)
    spdlog::info("agent: handler {} ({}) at {}", h.path, h.name, current_path_);
    auto saved = current_path_;
    in_handler_ = true;
    try {
      run_steps(h.actions);
    } catch (...) {
      in_handler_ = false;
      throw;
    }
    // Before the interrupted step carries on, the popup must be gone (its window may take a moment to close;
    // seeing it again would run the handler twice). Bounded: a popup that stays is the next check's business.
    auto until = Clock::now() + std::chrono::milliseconds(std::min(2000, s_.defaults.timeout_ms));
    for (;;) {
      capture();
      windows_now();
      if (!resolve(h.when, area) || Clock::now() >= until) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(s_.defaults.poll_ms));
    }
    in_handler_ = false;
    current_path_ = saved;
    dialog_checked_.clear();
    window_checked_.release();
  }

  // Before a step: a popup that a handler knows is dealt with first (cheap: only new dialog content).
  void pre_step_check() {
    if (in_handler_ || s_.handlers.empty()) return;
    windows_now();
    if (ws_.dialogs.empty()) return;
    capture();
    // Only dialogs: the window itself is checked while waiting, when something is not found.
    auto saved = ws_.target;
    ws_.target.reset();
    bool ran = check_handlers();
    ws_.target = saved;
    if (ran) windows_now();
  }

  // ---------- unexpected windows ----------
  // A window in front that no handler knows and that has not changed for kUnexpectedMs while the step could
  // not do its work: the run stops (application) with a screenshot, without touching that window.
  static constexpr int kUnexpectedMs = 3000;
  static constexpr int kWindowHandlerMs = 1000;
  struct Front {
    std::uint64_t id;
    cv::Mat pixels;
    Clock::time_point since;
  };
  std::optional<Front> front_;

  void stuck_behind_dialog(const std::string& why, const Locator* looked_for) {
    if (ws_.dialogs.empty()) {
      front_.reset();
      return;
    }
    const auto& top = ws_.dialogs.front();
    auto r = to_cv(top.rect) & screen_;
    if (r.empty()) return;
    cv::Mat now = mat_(r);
    if (!front_ || front_->id != top.id || !same_pixels(front_->pixels, now)) {
      front_ = Front{top.id, now.clone(), Clock::now()};
      return;
    }
    if (ms_between(front_->since, Clock::now()) < kUnexpectedMs) return;
    Failure f{"application",
              "unexpected window \"" + top.title + "\" in front" +
                  (ws_.target ? " of \"" + ws_.target->title + "\"" : std::string()) +
                  " (no handler knows it; nothing was clicked): " + why,
              looked_for};
    f.searched = r;
    front_.reset();
    throw f;
  }

  // ---------- polling ----------
  // Calls attempt() on fresh captures until it returns true; runs handlers when it does not; fails as an
  // application error at the deadline. Time before the successful attempt counts as waiting.
  template <class Attempt>
  void poll(int timeout_ms, const Locator* looked_for, Attempt attempt) {
    auto start = Clock::now();
    auto deadline = start + std::chrono::milliseconds(timeout_ms);
    std::string why;
    front_.reset();
    for (int n = 0;; ++n) {
      auto t0 = Clock::now();
      capture();
      windows_now();
      why.clear();
      if (attempt(why)) {
        waiting_ms_ += ms_between(start, t0);
        return;
      }
      auto h0 = Clock::now();
      // Popups in their own windows are checked at once; popups drawn inside the target window (a whole-window
      // OCR) only once the step has waited kWindowHandlerMs: most misses are the program still drawing.
      if (check_handlers(ms_between(start, h0) >= kWindowHandlerMs)) {
        deadline += Clock::now() - h0;
        front_.reset();
        continue;
      }
      stuck_behind_dialog(why, looked_for);
      if (Clock::now() >= deadline) {
        Failure f{"application", "timed out after " + std::to_string(timeout_ms) + " ms: " + why, looked_for};
        if (!ws_.target) f.searched = screen_;
        else f.searched = to_cv(ws_.target->rect) & screen_;
        throw f;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(s_.defaults.poll_ms));
    }
  }

  int timeout(const Step& st) const { return st.timeout_ms.value_or(s_.defaults.timeout_ms); }

  bool condition(const Condition& c) {
    switch (c.kind) {
      case Condition::Kind::VarEquals: return vars_[c.var] == substitute(c.value, vars_);
      case Condition::Kind::VarNotEquals: return vars_[c.var] != substitute(c.value, vars_);
      case Condition::Kind::VarMatches: return c.regex && c.regex->search(vars_[c.var]);
      case Condition::Kind::Exists:
      case Condition::Kind::Absent: {
        bool want = c.kind == Condition::Kind::Exists;
        auto start = Clock::now();
        for (;;) {
          auto t0 = Clock::now();
          capture();
          windows_now();
          bool found = locate(*c.locator).has_value();
          if (found == want) {
            waiting_ms_ += ms_between(start, t0);
            return true;
          }
          if (ms_between(start, Clock::now()) >= c.timeout_ms) {
            waiting_ms_ += ms_between(start, t0);
            return false;
          }
          std::this_thread::sleep_for(std::chrono::milliseconds(s_.defaults.poll_ms));
        }
      }
    }
    return false;
  }

  // ---------- steps ----------
  // Every step outside handlers is timed (an `if` through the steps of its branch; a handler's time counts as
  // waiting of the step it interrupted).
  void run_steps(const Steps& steps) {
    for (const auto& st : steps) {
      auto t0 = Clock::now();
      const bool timed = !in_handler_ && st.kind != Step::Kind::If;
      if (timed) waiting_ms_ = 0;
      current_path_ = st.path;
      if (o_.before_step) o_.before_step(st.path);
      try {
        run_step(st);
      } catch (...) {
        if (timed) timings_.push_back({st.path, ms_between(t0, Clock::now()), waiting_ms_});
        throw;
      }
      if (timed) timings_.push_back({st.path, ms_between(t0, Clock::now()), waiting_ms_});
    }
  }

  void click_step(const Step& st) {
    auto button = st.kind == Step::Kind::RightClick ? drivers::Button::Right : drivers::Button::Left;
    int count = st.kind == Step::Kind::DoubleClick ? 2 : 1;
    cv::Point at;
    poll(timeout(st), &*st.locator, [&](std::string& why) {
      auto r = locate(*st.locator);
      if (!r) {
        why = "not found: " + st.locator->describe();
        return false;
      }
      at = (r->tl() + r->br()) / 2;
      return can_click(at, why);
    });
    // What is under the pointer now, to see the program react.
    cv::Rect around = cv::Rect(at.x - 40, at.y - 20, 80, 40) & screen_;
    cv::Mat before = around.empty() ? cv::Mat() : mat_(around).clone();
    d_.click({at.x, at.y}, button, count);
    last_window_ = window_at(at);
    settle(around, before);
  }

  // After a click, until the pixels around it change (the program took it: a pressed button, a cursor in a
  // field), at most kSettleMs. With a window manager a click may reach the program after keys sent later
  // (it replays pointer events it grabbed), so typing right away could land in the previous field.
  static constexpr int kSettleMs = 250;
  void settle(const cv::Rect& around, const cv::Mat& before) {
    if (around.empty() || before.empty()) return;
    auto start = Clock::now();
    while (ms_between(start, Clock::now()) < kSettleMs) {
      auto f = d_.capture(drivers::Rect{around.x, around.y, around.width, around.height});
      if (f.width == around.width && f.height == around.height) {
        cv::Mat now(f.height, f.width, CV_8UC4, f.pixels.data(), f.stride);
        if (vision::changed_fraction(before, now) > 0) break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    waiting_ms_ += ms_between(start, Clock::now());
  }

  void type_step(const Step& st) {
    auto text = substitute(st.text, vars_);  // once: the value is typed as it is
    poll(timeout(st), nullptr, [&](std::string& why) { return can_type(why); });
    if (st.clear) {
      d_.key("End");
      d_.key("shift+Home");
      d_.key("BackSpace");
    }
    d_.type_text(text);
  }

  void run_step(const Step& st) {
    using K = Step::Kind;
    if (st.kind != K::Done && st.kind != K::Fail && st.kind != K::If && st.kind != K::Assert && st.kind != K::Set)
      pre_step_check();
    switch (st.kind) {
      case K::Click:
      case K::DoubleClick:
      case K::RightClick:
        click_step(st);
        break;
      case K::Type:
        type_step(st);
        break;
      case K::Key:
        poll(timeout(st), nullptr, [&](std::string& why) { return can_type(why); });
        for (int i = 0; i < st.repeat; ++i) d_.key(st.text);
        break;
      case K::Wait:
        if (st.sleep_ms > 0) {
          std::this_thread::sleep_for(std::chrono::milliseconds(st.sleep_ms));
          waiting_ms_ += st.sleep_ms;
        } else if (st.stable_ms) {
          std::optional<vision::StabilityTracker> tracker;
          auto start = Clock::now();
          poll(timeout(st), nullptr, [&](std::string& why) {
            auto region = ws_.target ? std::optional<cv::Rect>(to_cv(ws_.target->rect) & screen_) : std::nullopt;
            if (!tracker) tracker.emplace(*st.stable_ms, 0.0005, region);
            why = "the screen kept changing";
            return tracker->feed(mat_, ms_between(start, Clock::now()));
          });
        } else if (!st.any.empty()) {
          poll(timeout(st), &st.any.front(), [&](std::string& why) {
            for (const auto& loc : st.any)
              if (locate(loc)) return true;
            why = "none of " + std::to_string(st.any.size()) + " things appeared";
            return false;
          });
        } else {
          poll(timeout(st), &*st.locator, [&](std::string& why) {
            why = "not found: " + st.locator->describe();
            return locate(*st.locator).has_value();
          });
        }
        break;
      case K::WaitVanish:
        poll(timeout(st), &*st.locator, [&](std::string& why) {
          why = "still there: " + st.locator->describe();
          return !locate(*st.locator).has_value();
        });
        break;
      case K::Read:
        read_step(st);
        break;
      case K::Assert:
        if (!condition(st.condition))
          throw Failure{st.category, st.text.empty() ? "assertion failed: " + st.condition.describe()
                                                     : substitute(st.text, vars_),
                        st.condition.locator ? &*st.condition.locator : nullptr};
        break;
      case K::If: {
        auto c0 = Clock::now();
        if (!in_handler_) waiting_ms_ = 0;
        bool yes = condition(st.condition);
        if (!in_handler_) timings_.push_back({st.path, ms_between(c0, Clock::now()), waiting_ms_});
        run_steps(yes ? st.then_steps : st.else_steps);
        break;
      }
      case K::FocusWindow: {
        auto title = substitute(st.text, vars_);
        std::optional<drivers::WindowInfo> found;
        poll(timeout(st), nullptr, [&](std::string& why) {
          found = d_.find_window(title);
          why = "no window titled \"" + title + "\"";
          return found.has_value();
        });
        // A modal of the program's own (same pid) in front of its window stays in front: it is activated
        // instead. Raising the main window over it (no window manager keeps a modal above) would hide it from
        // the steps that follow (e.g. the ones that clear a dialog left up by a run that died) until the
        // program raises it again.
        window_title_ = title;
        windows_now();
        std::uint64_t activate_id = found->id;
        if (ws_.target && ws_.target->id == found->id && ws_.target->pid != 0 && !ws_.dialogs.empty() &&
            ws_.dialogs.front().pid == ws_.target->pid && ws_.above_target.count(ws_.dialogs.front().id))
          activate_id = ws_.dialogs.front().id;
        try {
          d_.activate(activate_id);
        } catch (const drivers::DesktopError& e) {
          (void)d_.screen();  // throws if the display itself is gone
          // The program may not let its main window be activated while one of its modals is up; the steps
          // (and handlers) deal with what is in front.
          spdlog::warn("agent: {}: {} (carrying on: the window is there)", st.path, e.what());
        }
        windows_now();
        last_window_ = found->id;
        break;
      }
      case K::Launch:
        launch(st);
        break;
      case K::Done:
        throw Finished{substitute(st.text, vars_)};
      case K::Fail:
        throw Failure{st.category, substitute(st.text, vars_)};
      case K::Set:
        vars_[st.var] = substitute(st.text, vars_);  // once: the value is stored as it is
        break;
    }
  }

  static std::string regex_escape(const std::string& s) {
    std::string out;
    for (char c : s) {
      if (std::strchr("\\^$.|?*+()[]{}-/", c)) out += '\\';
      out += c;
    }
    return out;
  }

  void read_step(const Step& st) {
    vision::ReadOptions ro;
    ro.whitelist = st.whitelist;
    ro.pattern = st.pattern;
    ro.font = st.font;
    poll(timeout(st), &*st.locator, [&](std::string& why) {
      auto r = locate(*st.locator);
      if (!r) {
        why = "not found: " + st.locator->describe();
        return false;
      }
      cv::Mat crop = mat_(*r & screen_);
      std::optional<vision::ReadResult> res;
      const std::string want = st.equals ? substitute(*st.equals, vars_) : std::string();
      if (st.equals) {
        // Is the field showing exactly this? The expected text is the OCR's pattern hint (its characters, in
        // their places), so look-alikes (0/O, 1/I) resolve towards it; anything else still reads as itself.
        vision::ReadOptions hint = ro;
        hint.pattern = "^" + regex_escape(want) + "$";
        auto h = vision::read_field(crop, hint);
        if (h.matches_pattern && h.text == want) res = h;
      }
      if (!res) res = vision::read_field(crop, ro);
      if (!st.pattern.empty() && !res->matches_pattern) {
        why = "read \"" + res->text + "\", which does not look like " + st.pattern;
        return false;
      }
      if (st.expect && !st.expect->full_match(res->text)) {
        why = "read \"" + res->text + "\", expected " + st.expect->source;
        return false;
      }
      if (st.equals && res->text != want) {
        why = "read \"" + res->text + "\", waiting for \"" + want + "\"";
        return false;
      }
      vars_[st.var] = res->text;
      spdlog::info("agent: {} read {} = \"{}\"", st.path, st.var, res->text);
      return true;
    });
  }

  void launch(const Step& st) {
    std::vector<std::string> args;
    for (const auto& a : st.command) args.push_back(substitute(a, vars_));
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<std::string> env_store;
    for (char** e = environ; *e; ++e)
      if (o_.display.empty() || std::string_view(*e).substr(0, 8) != "DISPLAY=") env_store.emplace_back(*e);
    if (!o_.display.empty()) env_store.push_back("DISPLAY=" + o_.display);
    std::vector<char*> envp;
    for (auto& e : env_store) envp.push_back(e.data());
    envp.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    pid_t pid = 0;
    int rc = posix_spawnp(&pid, argv[0], &fa, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) throw Failure{"application", "cannot start " + args[0] + ": " + std::strerror(rc)};
    spdlog::info("agent: launched {} (pid {})", args[0], pid);
    if (!st.window.empty()) {
      auto title = substitute(st.window, vars_);
      poll(timeout(st), nullptr, [&](std::string& why) {
        why = "no window titled \"" + title + "\" after starting " + args[0];
        return d_.find_window(title).has_value();
      });
      window_title_ = title;
      initial_.clear();
      windows_now();
    }
  }

  // ---------- failure and evidence ----------
  void fail(RunResult& r, const Failure& f) {
    r.status = "failed";
    r.category = f.category;
    r.reason = f.reason;
    r.failed_step = current_path_;
    spdlog::warn("agent: {} failed at {} ({}): {}", s_.name, r.failed_step, r.category, r.reason);
    r.evidence = write_evidence(f, r.desktop_lost).string();
  }

  fs::path write_evidence(const Failure& f, bool desktop_lost) {
    auto now = std::chrono::system_clock::now();
    auto t = std::chrono::system_clock::to_time_t(now);
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
    std::tm tm{};
    gmtime_r(&t, &tm);
    char stamp[64];
    std::snprintf(stamp, sizeof stamp, "%04d%02d%02dT%02d%02d%02d.%03dZ-%d", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms), static_cast<int>(getpid()));
    std::string name = s_.name;
    for (auto& c : name)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') c = '_';
    fs::path dir = o_.evidence_dir / (name + "-" + stamp);
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) {
      spdlog::error("agent: cannot create evidence folder {}: {}", dir.string(), ec.message());
      return dir;
    }
    if (!desktop_lost) {
      try {
        capture();  // the screen as it is now, after the failure
      } catch (const std::exception&) {
      }
    }
    try {
      if (!mat_.empty()) {
        cv::Mat bgr;
        cv::cvtColor(mat_, bgr, cv::COLOR_BGRA2BGR);
        cv::imwrite((dir / "screen.png").string(), bgr);
        if (f.searched && !(*f.searched & screen_).empty())
          cv::imwrite((dir / "searched.png").string(), bgr(*f.searched & screen_));
        if (current_path_.rfind("handlers[", 0) == 0 && !trigger_.empty()) {
          cv::Mat t;
          cv::cvtColor(trigger_, t, cv::COLOR_BGRA2BGR);
          cv::imwrite((dir / "trigger.png").string(), t);
        }
      }
      if (f.looked_for) {
        const Locator* loc = f.looked_for;
        while (loc->kind == Locator::Kind::Region && loc->anchor_of) loc = loc->anchor_of.get();
        if (loc->kind == Locator::Kind::Image) {
          std::string src = loc->image_file.string();
          if (scale_known_ && ui_scale_ != 1.0 && fs::exists(variant_file(loc->image_file, ui_scale_), ec))
            src = variant_file(loc->image_file, ui_scale_);
          fs::copy_file(src, dir / "looked-for.png", fs::copy_options::overwrite_existing, ec);
        }
      }
    } catch (const cv::Exception& e) {
      spdlog::error("agent: writing evidence images: {}", e.what());
    }
    return dir;
  }

  void write_result_json(const RunResult& r) {
    json j = r.to_json();
    j["script"] = s_.file.string();
    j["looked_for"] = nullptr;
    std::ofstream out(fs::path(r.evidence) / "result.json");
    out << j.dump(2) << "\n";
  }
};

}  // namespace

namespace {
RunResult invalid(std::vector<Problem> problems, const std::string& where) {
  RunResult r;
  r.status = "invalid";
  r.category = "script";
  r.reason = std::to_string(problems.size()) + " problem(s)" + where + ": " + problems.front().str();
  r.problems = std::move(problems);
  return r;
}
}  // namespace

RunResult run_script(const Script& script, drivers::Desktop& desktop, const RunOptions& options) {
  Vars vars;
  auto problems = check_vars(script, options.vars, &vars);
  if (!problems.empty()) return invalid(std::move(problems), "");
  Runner runner(script, desktop, options, std::move(vars));
  return runner.run();
}

RunResult run_script_file(const fs::path& file, const RunOptions& options) {
  auto loaded = load_script(file);
  if (!loaded.ok()) return invalid(loaded.problems, " in " + file.string());
  // Variables are checked before the desktop is opened: a bad value is refused even with no display.
  auto var_problems = check_vars(*loaded.script, options.vars);
  if (!var_problems.empty()) return invalid(std::move(var_problems), "");
  RunResult r;
  std::unique_ptr<drivers::Desktop> desktop;
  try {
    desktop = drivers::open_desktop(options.display);
  } catch (const drivers::DesktopError& e) {
    r.status = "failed";
    r.category = "application";
    r.desktop_lost = true;
    r.reason = std::string("no desktop: ") + e.what();
    return r;
  }
  return run_script(*loaded.script, *desktop, options);
}

}  // namespace dockhand::agent
