// Supervision (agent/supervision.h): the pause/step/take-over state shared by the runner and its supervisor.
#include "agent/supervision.h"

#include "agent/runner.h"

namespace dockhand::agent {

using Clock = std::chrono::steady_clock;

Supervision::Supervision(bool stop_at_every_step)
    : step_by_step_(stop_at_every_step), pause_requested_(stop_at_every_step) {}

Supervision::State Supervision::state_locked() const {
  State s;
  if (finished_) s.mode = "finished";
  else if (held_ && parked_) s.mode = "held";
  else if (held_) s.mode = "taking_over";
  else if (stuck_) s.mode = "stuck";
  else if (stopped_) s.mode = "stopped";
  else if (pause_requested_) s.mode = "pausing";
  else s.mode = "running";
  s.step_by_step = step_by_step_;
  s.step = step_;
  s.held_by = held_ ? held_by_ : "";
  s.stuck_reason = stuck_ ? stuck_reason_ : "";
  s.stops = stops_;
  s.version = version_;
  return s;
}

Supervision::State Supervision::state() const {
  std::lock_guard lock(m_);
  return state_locked();
}

void Supervision::changed(std::unique_lock<std::mutex>& lock) {
  ++version_;
  cv_.notify_all();
  if (!listener_) return;
  auto s = state_locked();
  auto listener = listener_;
  lock.unlock();
  listener(s);
  lock.lock();
}

void Supervision::on_change(std::function<void(const State&)> listener) {
  std::lock_guard lock(m_);
  listener_ = std::move(listener);
}

bool Supervision::wants_preview() const {
  std::lock_guard lock(m_);
  return step_by_step_ || pause_requested_ || watched_ || held_;
}

void Supervision::set_watched(bool watched) {
  std::lock_guard lock(m_);
  watched_ = watched;
}

StepDecision Supervision::at_step(const StepPreview& preview) {
  std::unique_lock lock(m_);
  step_ = preview;
  if (!abort_why_.empty()) throw RunAborted(abort_why_);
  if (!pause_requested_ && !held_) {
    changed(lock);
    return StepDecision::run;
  }
  stopped_ = parked_ = true;
  ++stops_;
  pending_ = Pending::none;
  changed(lock);
  cv_.wait(lock, [&] { return (pending_ != Pending::none && !held_) || !abort_why_.empty(); });
  stopped_ = parked_ = false;
  if (!abort_why_.empty()) throw RunAborted(abort_why_);
  auto decision = pending_ == Pending::skip ? StepDecision::skip : StepDecision::run;
  pending_ = Pending::none;
  changed(lock);
  return decision;
}

StepDecision Supervision::hold_point(std::chrono::milliseconds& held) {
  std::unique_lock lock(m_);
  held = std::chrono::milliseconds(0);
  if (!abort_why_.empty()) throw RunAborted(abort_why_);
  if (!held_) return StepDecision::run;
  auto start = Clock::now();
  parked_ = true;
  changed(lock);
  cv_.wait(lock, [&] { return !held_ || !abort_why_.empty(); });
  parked_ = false;
  held = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
  if (!abort_why_.empty()) throw RunAborted(abort_why_);
  auto how = handed_back_.value_or(HandBack::resume);
  changed(lock);
  return how == HandBack::step_done ? StepDecision::skip : StepDecision::run;
}

void Supervision::found(const std::string& path, const drivers::Rect& target) {
  std::unique_lock lock(m_);
  if (step_.path != path) return;  // a handler's step, or a step already gone
  if (step_.target_found && step_.target == target) return;
  step_.target = target;
  step_.target_found = true;
  changed(lock);
}

bool Supervision::stuck(const std::string& why, StepDecision& decision) {
  std::unique_lock lock(m_);
  if (hold_stuck_.count() <= 0 && !held_) return false;
  stuck_ = true;
  stuck_reason_ = why;
  const auto takeovers = takeovers_;
  changed(lock);
  cv_.wait_for(lock, hold_stuck_, [&] { return held_ || takeovers_ > takeovers || !abort_why_.empty(); });
  if (takeovers_ == takeovers && abort_why_.empty()) {
    stuck_ = false;
    changed(lock);
    return false;
  }
  parked_ = true;
  changed(lock);
  cv_.wait(lock, [&] { return !held_ || !abort_why_.empty(); });
  parked_ = stuck_ = false;
  if (!abort_why_.empty()) throw RunAborted(abort_why_);
  decision = handed_back_.value_or(HandBack::resume) == HandBack::step_done ? StepDecision::skip : StepDecision::run;
  changed(lock);
  return true;
}

void Supervision::finished() {
  std::unique_lock lock(m_);
  finished_ = true;
  stopped_ = parked_ = false;
  changed(lock);
}

std::string Supervision::step() {
  std::unique_lock lock(m_);
  if (held_) return "the desktop is taken over by " + held_by_ + ": hand it back first";
  if (!stopped_) return "not stopped at a step";
  pending_ = Pending::run;
  pause_requested_ = true;
  changed(lock);
  return "";
}

std::string Supervision::resume() {
  std::unique_lock lock(m_);
  if (held_) return "the desktop is taken over by " + held_by_ + ": hand it back first";
  pause_requested_ = false;
  step_by_step_ = false;
  if (stopped_) pending_ = Pending::run;
  changed(lock);
  return "";
}

std::string Supervision::pause() {
  std::unique_lock lock(m_);
  if (finished_) return "the run has finished";
  pause_requested_ = true;
  changed(lock);
  return "";
}

std::string Supervision::skip() {
  std::unique_lock lock(m_);
  if (held_) return "the desktop is taken over by " + held_by_ + ": hand it back first";
  if (!stopped_) return "not stopped at a step";
  pending_ = Pending::skip;
  pause_requested_ = true;
  changed(lock);
  return "";
}

void Supervision::abort(const std::string& why) {
  std::unique_lock lock(m_);
  abort_why_ = why.empty() ? "aborted" : why;
  held_ = false;
  changed(lock);
}

std::string Supervision::take_over(const std::string& who) {
  std::unique_lock lock(m_);
  if (finished_) return "the run has finished";
  if (held_) return "already taken over by " + held_by_;
  held_ = true;
  ++takeovers_;
  held_by_ = who;
  handed_back_.reset();
  changed(lock);
  return "";
}

std::string Supervision::hand_back(HandBack how) {
  std::unique_lock lock(m_);
  if (!held_) return "the desktop is not taken over";
  if (how == HandBack::fail) abort_why_ = "failed by " + held_by_ + " when handing back";
  held_ = false;
  handed_back_ = how;
  if (stopped_) pending_ = how == HandBack::step_done ? Pending::skip : Pending::run;
  changed(lock);
  return "";
}

bool Supervision::wait_stopped(std::uint64_t after, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(m_);
  return cv_.wait_for(lock, timeout, [&] { return finished_ || (stopped_ && !held_ && stops_ > after); });
}

}  // namespace dockhand::agent
