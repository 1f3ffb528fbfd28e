// Popup handlers: the script's `handlers`, run when their `when` shows up in a dialog of the program or in its
// window. Dialogs are checked once per content, the window only when it changed since the last check.
#pragma once

#include "agent/run/locating.h"

#include <functional>
#include <map>

namespace dockhand::agent::run {

class PopupHandlers {
 public:
  // `run_actions` runs a handler's `do` steps (the runner's step loop).
  PopupHandlers(const Script& script, Locating& where, std::function<void(const Handler&)> run_actions);

  // Runs the first handler whose `when` is on screen. Returns true if a handler ran.
  bool check(bool include_window = true);
  // Before a step: a popup that a handler knows is dealt with first (cheap: only new dialog content).
  void before_step();
  bool running() const { return in_handler_; }
  // The screen that set off the last handler (evidence, should that handler fail the run).
  const cv::Mat& trigger() const { return trigger_; }

 private:
  void run_handler(const Handler& h, const cv::Rect& area);

  const Script& s_;
  Locating& where_;
  std::function<void(const Handler&)> run_actions_;
  std::map<std::uint64_t, cv::Mat> dialog_checked_;  // dialog id -> its pixels when no handler matched
  cv::Mat window_checked_;                           // target window pixels at the last handler check
  std::map<const Handler*, int> handler_runs_;
  bool in_handler_ = false;
  cv::Mat trigger_;
};

// Same size and not one pixel different.
bool same_pixels(const cv::Mat& a, const cv::Mat& b);

}  // namespace dockhand::agent::run
