#include "agent/run/popup_handlers.h"

#include <thread>

namespace dockhand::agent::run {

bool same_pixels(const cv::Mat& a, const cv::Mat& b) {
  return !a.empty() && a.size() == b.size() && vision::changed_fraction(a, b) == 0.0;
}

PopupHandlers::PopupHandlers(const Script& script, Locating& where, std::function<void(const Handler&)> run_actions)
    : s_(script), where_(where), run_actions_(std::move(run_actions)) {}

bool PopupHandlers::check(bool include_window) {
  if (in_handler_ || s_.handlers.empty()) return false;
  auto try_area = [&](const cv::Rect& area) {
    for (const auto& h : s_.handlers) {
      if (handler_runs_[&h] >= h.max_times) continue;
      if (where_.resolve(h.when, area)) {
        run_handler(h, area);
        return true;
      }
    }
    return false;
  };
  const auto& screen = where_.screen();
  for (const auto& dlg : where_.windows().dialogs) {
    auto r = client_rect(dlg) & screen;
    if (r.empty()) continue;
    cv::Mat now = where_.frame()(r);
    auto it = dialog_checked_.find(dlg.id);
    if (it != dialog_checked_.end() && same_pixels(it->second, now)) continue;
    if (try_area(r)) return true;
    dialog_checked_[dlg.id] = now.clone();
  }
  const auto& target = where_.windows().target;
  if (target && include_window) {
    auto r = client_rect(*target) & screen;
    if (r.empty()) return false;
    cv::Mat now = where_.frame()(r);
    if (same_pixels(window_checked_, now)) return false;
    if (try_area(r)) return true;
    window_checked_ = now.clone();
  }
  return false;
}

void PopupHandlers::run_handler(const Handler& h, const cv::Rect& area) {
  ++handler_runs_[&h];
  trigger_ = where_.frame().clone();
  in_handler_ = true;
  try {
    run_actions_(h);
  } catch (...) {
    in_handler_ = false;
    throw;
  }
  // Before the interrupted step carries on, the popup must be gone (its window may take a moment to close;
  // seeing it again would run the handler twice). Bounded: a popup that stays is the next check's business.
  auto until = Clock::now() + std::chrono::milliseconds(std::min(2000, s_.defaults.timeout_ms));
  for (;;) {
    where_.capture();
    where_.windows_now();
    if (!where_.resolve(h.when, area) || Clock::now() >= until) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(s_.defaults.poll_ms));
  }
  in_handler_ = false;
  dialog_checked_.clear();
  window_checked_.release();
}

void PopupHandlers::before_step() {
  if (in_handler_ || s_.handlers.empty()) return;
  where_.windows_now();
  if (where_.windows().dialogs.empty()) return;
  where_.capture();
  // Only dialogs: the window itself is checked while waiting, when something is not found.
  auto saved = where_.windows().target;
  where_.windows().target.reset();
  bool ran = check();
  where_.windows().target = saved;
  if (ran) where_.windows_now();
}

}  // namespace dockhand::agent::run
