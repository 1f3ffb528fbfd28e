// Supervision of one run: stop before steps (supervised replay), pause, step, skip, abort, and take-over (a
// person drives the desktop while the runner keeps its hands off, then hands back). One object per run,
// shared by the runner (which calls at_step() before every step and hold_point() while a step waits) and by
// whoever drives it: the terminal (`dockhand-agent run --supervise`) or the orchestrator's CONTROL messages.
// Thread-safe; the runner's calls block while the run is stopped or held.
#pragma once

#include "drivers/desktop.h"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

namespace dockhand::agent {

// What the runner is about to do (or is doing): shown to the supervisor and drawn over the live view.
struct StepPreview {
  std::string path;  // "steps[3].click"
  std::string what;  // "click text \"OK\"": the script's own words (variables not substituted: no secrets)
  std::optional<drivers::Rect> target;  // where its target is on the screen ...
  bool target_found = false;            // ... found there (true), or the area it is looked for in (false)
};

enum class StepDecision { run, skip };

// How a take-over ends.
enum class HandBack {
  resume,     // run the step it was on again from the start of its wait (its locator is checked afresh)
  step_done,  // the person did the step: go on with the next one
  fail,       // fail the run (application): the job goes back to the queue
};

class Supervision {
 public:
  // `stop_at_every_step`: supervised replay, stopped before step 1 until step() or resume().
  explicit Supervision(bool stop_at_every_step = false);

  // ---- the runner's side ----
  // Before a step: returns at once unless a stop is due; then blocks until step/resume (run), skip (skip) or
  // abort (throws RunAborted). A take-over in progress keeps it blocked until the hand-back.
  StepDecision at_step(const StepPreview& preview);
  // While a step waits for its target: blocks while the desktop is taken over. Returns how long it was held
  // (the step's deadline moves by that much) and what the hand-back said (run: keep waiting, skip: the step
  // is done). Throws RunAborted when the hand-back fails the run or the run is aborted.
  StepDecision hold_point(std::chrono::milliseconds& held);
  // The step found its target (drawn over the live view).
  void found(const std::string& path, const drivers::Rect& target);
  // When a step is stuck behind a window no handler knows: wait up to `hold_stuck` for someone to take over
  // before the run fails. True when someone took over and handed back (with resume or step_done: the step goes
  // on; `decision` says which).
  bool stuck(const std::string& why, StepDecision& decision);
  void finished();  // the run ended: every waiter wakes

  // Whether steps are previewed (their target located before they run): someone supervises or watches.
  bool wants_preview() const;
  void set_watched(bool watched);

  // ---- the supervisor's side; each returns "" when applied, else why not ----
  std::string step();    // run the step stopped at, stop before the next
  std::string resume();  // run on without stopping (until pause)
  std::string pause();   // stop before the next step
  std::string skip();    // leave out the step stopped at, stop before the next
  void abort(const std::string& why);
  std::string take_over(const std::string& who);  // stop touching the desktop now (between polls or steps)
  std::string hand_back(HandBack how);
  void set_hold_stuck(std::chrono::milliseconds wait) { hold_stuck_ = wait; }

  struct State {
    std::string mode;           // "running", "stopped" (at a step), "held" (taken over), "stuck", "finished"
    bool step_by_step = false;  // stops before every step
    StepPreview step;           // the current step
    std::string held_by;        // who took over ("" when nobody)
    std::string stuck_reason;
    std::uint64_t stops = 0;    // how many times the runner stopped at a step (waiters compare)
    // Grows with every change. Two threads change the state (the runner, and whoever steps or skips): their
    // listeners run at the same time, so a listener may get an older state after a newer one and must keep
    // the newer (a Skip's "stopped at 17" arriving after the runner's "stopped at 18").
    std::uint64_t version = 0;
  };
  State state() const;
  // Waits until the runner is stopped at a step with `stops` above `after`, or the run finished; false at the
  // timeout. For drivers that must not act before the runner is there (keys piped into --supervise).
  bool wait_stopped(std::uint64_t after, std::chrono::milliseconds timeout) const;
  // Called (outside the lock) whenever the state changes.
  void on_change(std::function<void(const State&)> listener);

 private:
  enum class Pending { none, run, skip };
  void changed(std::unique_lock<std::mutex>& lock);
  State state_locked() const;

  mutable std::mutex m_;
  mutable std::condition_variable cv_;
  bool step_by_step_;
  bool pause_requested_;
  bool stopped_ = false, parked_ = false, held_ = false, stuck_ = false, finished_ = false, watched_ = false;
  Pending pending_ = Pending::none;
  std::optional<HandBack> handed_back_;
  std::string abort_why_, held_by_, stuck_reason_;
  StepPreview step_;
  std::uint64_t stops_ = 0, takeovers_ = 0, version_ = 0;
  std::chrono::milliseconds hold_stuck_{0};
  std::function<void(const State&)> listener_;
};

}  // namespace dockhand::agent
