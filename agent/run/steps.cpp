// The steps of a script: what each one does on the screen (docs/screen-scripts.md, "Steps").
#include "agent/run/runner_impl.h"

#include <spdlog/spdlog.h>

#include <cmath>
#include <cstring>
#include <map>
#include <thread>

#include "drivers/platform.h"

namespace dockhand::agent::run {

void Runner::run_step(const Step& st) {
  using K = Step::Kind;
  if (st.kind != K::Done && st.kind != K::Fail && st.kind != K::If && st.kind != K::Assert && st.kind != K::Set)
    handlers_.before_step();
  switch (st.kind) {
    case K::Click:
    case K::DoubleClick:
    case K::RightClick:
      click_step(st);
      break;
    case K::Drag:
      drag_step(st);
      break;
    case K::Type:
      type_step(st);
      break;
    case K::Key:
      poll(timeout(st), nullptr, [&](std::string& why) { return where_.can_type(why); });
      for (int i = 0; i < st.repeat; ++i) d_.key(st.text);
      break;
    case K::Wait:
      wait_step(st);
      break;
    case K::WaitVanish:
      poll(timeout(st), &*st.locator, [&](std::string& why) {
        why = "still there: " + st.locator->describe();
        return !where_.locate(*st.locator).has_value();
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
      if (!handlers_.running()) waiting_ms_ = 0;
      bool yes = condition(st.condition);
      if (!handlers_.running()) timings_.push_back({st.path, ms_between(c0, Clock::now()), waiting_ms_});
      run_steps(yes ? st.then_steps : st.else_steps);
      break;
    }
    case K::FocusWindow:
      focus_window_step(st);
      break;
    case K::Launch:
      launch_step(st);
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

// Waits until the step's locator is found and nothing unexpected is in front of its centre; returns that centre.
cv::Point Runner::clickable_point(const Step& st) {
  cv::Point at;
  poll(timeout(st), &*st.locator, [&](std::string& why) {
    auto r = where_.locate(*st.locator);
    if (!r) {
      why = "not found: " + st.locator->describe();
      return false;
    }
    at = (r->tl() + r->br()) / 2;
    if (o_.supervision) o_.supervision->found(st.path, {r->x, r->y, r->width, r->height});
    return where_.can_click(at, why);
  });
  return at;
}

void Runner::click_step(const Step& st) {
  auto button = st.kind == Step::Kind::RightClick ? drivers::Button::Right : drivers::Button::Left;
  int count = st.kind == Step::Kind::DoubleClick ? 2 : 1;
  const cv::Point at = clickable_point(st);
  // What is under the pointer now, to see the program react.
  cv::Rect around = cv::Rect(at.x - 40, at.y - 20, 80, 40) & where_.screen();
  cv::Mat before = around.empty() ? cv::Mat() : where_.frame()(around).clone();
  d_.click({at.x, at.y}, button, count);
  where_.last_window = where_.window_at(at);
  settle(around, before);
}

// Press where the locator is (once nothing unexpected is in front), move to `to` (or by the offset) and release.
void Runner::drag_step(const Step& st) {
  const cv::Point from = clickable_point(st);
  cv::Point to = from;
  if (st.drop) {
    // The drop target is looked for on the same screen the press point was found on, then on fresh frames.
    poll(timeout(st), &*st.drop, [&](std::string& why) {
      auto r = where_.locate(*st.drop);
      if (!r) {
        why = "drop target not found: " + st.drop->describe();
        return false;
      }
      to = (r->tl() + r->br()) / 2;
      return true;
    });
  } else if (st.by) {
    // UI pixels, like a locator's offset: scaled with the program's UI.
    to += cv::Point(static_cast<int>(std::lround(st.by->first * where_.ui_scale())),
                    static_cast<int>(std::lround(st.by->second * where_.ui_scale())));
  }
  // What is under the drop point now, to see the program react.
  cv::Rect around = cv::Rect(to.x - 40, to.y - 20, 80, 40) & where_.screen();
  cv::Mat before = around.empty() ? cv::Mat() : where_.frame()(around).clone();
  d_.drag({from.x, from.y}, {to.x, to.y});
  where_.last_window = where_.window_at(from);
  settle(around, before);
}

// After a click, until the pixels around it change (the program took it: a pressed button, a cursor in a
// field), at most kSettleMs. With a window manager a click may reach the program after keys sent later
// (it replays pointer events it grabbed), so typing right away could land in the previous field.
void Runner::settle(const cv::Rect& around, const cv::Mat& before) {
  constexpr int kSettleMs = 250;
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

void Runner::type_step(const Step& st) {
  auto text = substitute(st.text, vars_);  // once: the value is typed as it is
  poll(timeout(st), nullptr, [&](std::string& why) { return where_.can_type(why); });
  if (st.clear) {
    d_.key("End");
    d_.key("shift+Home");
    d_.key("BackSpace");
  }
  d_.type_text(text);
}

void Runner::wait_step(const Step& st) {
  if (st.sleep_ms > 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(st.sleep_ms));
    waiting_ms_ += st.sleep_ms;
  } else if (st.stable_ms) {
    std::optional<vision::StabilityTracker> tracker;
    auto start = Clock::now();
    poll(timeout(st), nullptr, [&](std::string& why) {
      const auto& target = where_.windows().target;
      auto region = target ? std::optional<cv::Rect>(client_rect(*target) & where_.screen()) : std::nullopt;
      if (!tracker) tracker.emplace(*st.stable_ms, 0.0005, region);
      why = "the screen kept changing";
      return tracker->feed(where_.frame(), ms_between(start, Clock::now()));
    });
  } else if (!st.any.empty()) {
    poll(timeout(st), &st.any.front(), [&](std::string& why) {
      for (const auto& loc : st.any)
        if (where_.locate(loc)) return true;
      why = "none of " + std::to_string(st.any.size()) + " things appeared";
      return false;
    });
  } else {
    poll(timeout(st), &*st.locator, [&](std::string& why) {
      why = "not found: " + st.locator->describe();
      return where_.locate(*st.locator).has_value();
    });
  }
}

namespace {
std::string regex_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (std::strchr("\\^$.|?*+()[]{}-/", c)) out += '\\';
    out += c;
  }
  return out;
}
}  // namespace

void Runner::read_step(const Step& st) {
  vision::ReadOptions ro;
  ro.whitelist = st.whitelist;
  ro.pattern = st.pattern;
  ro.font = st.font;
  // The area read last, its pixels and since when they have not changed: a reading that does not match while
  // the area stays the same will not match later either, so it fails once the area has settled.
  std::optional<Searched> read_area;
  cv::Mat last_pixels;
  Clock::time_point unchanged_since = Clock::now();
  poll(timeout(st), &*st.locator, [&](std::string& why) {
    auto r = where_.locate(*st.locator);
    if (!r) {
      why = "not found: " + st.locator->describe();
      return false;
    }
    const cv::Rect area = *r & where_.screen();
    read_area = Searched{area, st.locator->describe()};
    cv::Mat crop = where_.frame()(area);
    if (!same_pixels(last_pixels, crop)) {
      last_pixels = crop.clone();
      unchanged_since = Clock::now();
    }
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
    const std::string from = "read \"" + res->text + "\" from " + where_.describe_area(area) + " (" +
                             st.locator->describe() + ")";
    std::string mismatch;
    if (!st.pattern.empty() && !res->matches_pattern) mismatch = "which does not look like " + st.pattern;
    else if (st.expect && !st.expect->full_match(res->text)) mismatch = "expected " + st.expect->source;
    if (!mismatch.empty()) {
      why = from + ", " + mismatch;
      // An empty field may still be filled in (the program working); a settled one that says something else
      // will not change by waiting.
      const double unchanged_ms = ms_between(unchanged_since, Clock::now());
      if (st.settle_ms > 0 && !res->text.empty() && unchanged_ms >= st.settle_ms) {
        Failure f{st.mismatch, why + " (the area has not changed for " + std::to_string(st.settle_ms) + " ms)",
                  &*st.locator};
        f.searched = area;
        f.searched_by = read_area->by;
        throw f;
      }
      return false;
    }
    if (st.equals && res->text != want) {
      why = from + ", waiting for \"" + want + "\"";
      return false;
    }
    vars_[st.var] = res->text;
    spdlog::info("agent: {} read {} = \"{}\"", st.path, st.var, res->text);
    return true;
  }, &read_area);
}

void Runner::focus_window_step(const Step& st) {
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
  where_.set_window_title(title);
  const auto& ws = where_.windows_now();
  std::uint64_t activate_id = found->id;
  if (ws.target && ws.target->id == found->id && ws.target->pid != 0 && !ws.dialogs.empty() &&
      ws.dialogs.front().pid == ws.target->pid && ws.above_target.count(ws.dialogs.front().id))
    activate_id = ws.dialogs.front().id;
  try {
    d_.activate(activate_id);
  } catch (const drivers::DesktopError& e) {
    (void)d_.screen();  // throws if the display itself is gone
    // The program may not let its main window be activated while one of its modals is up; the steps
    // (and handlers) deal with what is in front.
    spdlog::warn("agent: {}: {} (carrying on: the window is there)", st.path, e.what());
  }
  where_.windows_now();
  where_.last_window = found->id;
}

void Runner::launch_step(const Step& st) {
  std::vector<std::string> args;
  for (const auto& a : st.command) args.push_back(substitute(a, vars_));
  std::map<std::string, std::string> environment;
  if (!o_.display.empty()) environment["DISPLAY"] = o_.display;
  long pid = 0;
  try {
    pid = drivers::launch_process(args, environment).pid();  // the program outlives the step
  } catch (const drivers::PlatformError& e) {
    throw Failure{"application", e.what()};
  }
  spdlog::info("agent: launched {} (pid {})", args[0], pid);
  if (!st.window.empty()) {
    auto title = substitute(st.window, vars_);
    poll(timeout(st), nullptr, [&](std::string& why) {
      why = "no window titled \"" + title + "\" after starting " + args[0];
      return d_.find_window(title).has_value();
    });
    where_.set_window_title(title);
    where_.forget_initial_windows();
    where_.windows_now();
  }
}

bool Runner::condition(const Condition& c) {
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
        where_.capture();
        where_.windows_now();
        bool found = where_.locate(*c.locator).has_value();
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

}  // namespace dockhand::agent::run
