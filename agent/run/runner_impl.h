// The runner of one script run: the step loop (runner.cpp) and the steps themselves (steps.cpp), over what
// Locating sees and with the script's PopupHandlers.
#pragma once

#include "agent/run/common.h"
#include "agent/run/locating.h"
#include "agent/run/popup_handlers.h"
#include "agent/runner.h"

#include <functional>

namespace dockhand::agent::run {

class Runner {
 public:
  Runner(const Script& s, drivers::Desktop& d, const RunOptions& o, Vars vars);
  RunResult run();

 private:
  // ---- the loop (runner.cpp) ----
  // Every step outside handlers is timed (an `if` through the steps of its branch; a handler's time counts as
  // waiting of the step it interrupted).
  void run_steps(const Steps& steps);
  // Calls attempt() on fresh captures until it returns true; runs handlers when it does not; fails as an
  // application error at the deadline. Time before the successful attempt counts as waiting.
  // `searched`, when set by the attempts, is the area they last worked on (a read's area), for the evidence.
  struct Searched {
    cv::Rect rect;
    std::string by;  // the locator that made it
  };
  void poll(int timeout_ms, const Locator* looked_for, const std::function<bool(std::string& why)>& attempt,
            const std::optional<Searched>* searched = nullptr);
  void stuck_behind_dialog(const std::string& why, const Locator* looked_for, Clock::time_point& deadline);
  int timeout(const Step& st) const { return st.timeout_ms.value_or(s_.defaults.timeout_ms); }
  void fail(RunResult& r, const Failure& f);

  // ---- supervision (supervised_steps.cpp): stops before steps, take-over while a step waits ----
  // Before a step: false when the supervisor skips it.
  bool supervise(const Step& st);
  StepPreview preview(const Step& st);
  // While a step waits: parks while the desktop is taken over (the deadline moves by the time held); throws
  // StepDoneByHand when the hand-back says the person did the step.
  void held_while_waiting(Clock::time_point& deadline);
  // Stuck behind an unknown window: true when someone took over and handed back (the step goes on).
  bool stuck_until_handed_back(const std::string& why, Clock::time_point& deadline);

  // ---- the steps (steps.cpp) ----
  void run_step(const Step& st);
  void click_step(const Step& st);
  void drag_step(const Step& st);
  cv::Point clickable_point(const Step& st);
  void settle(const cv::Rect& around, const cv::Mat& before);
  void type_step(const Step& st);
  void wait_step(const Step& st);
  void read_step(const Step& st);
  void focus_window_step(const Step& st);
  void launch_step(const Step& st);
  bool condition(const Condition& c);

  const Script& s_;
  drivers::Desktop& d_;
  const RunOptions& o_;
  Vars vars_;
  std::string current_path_;
  Locating where_;
  PopupHandlers handlers_;

  nlohmann::json failure_details_;  // for result.json: what was looked for, the area searched

  std::vector<StepTiming> timings_;
  double waiting_ms_ = 0;  // of the current step

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
};

}  // namespace dockhand::agent::run
