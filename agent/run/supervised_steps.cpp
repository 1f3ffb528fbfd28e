// The runner's side of supervision (agent/supervision.h): the stop before each step with a preview of its
// target, and parking while a person has taken over the desktop.
#include "agent/run/runner_impl.h"

#include <spdlog/spdlog.h>

namespace dockhand::agent::run {

namespace {

drivers::Rect to_rect(const cv::Rect& r) { return {r.x, r.y, r.width, r.height}; }

// The step in the script's own words (variables not substituted: a secret value never shows).
std::string describe_step(const Step& st) {
  std::string what = kind_name(st.kind);
  if (st.locator) return what + " " + st.locator->describe();
  if (!st.any.empty()) return what + " any of " + std::to_string(st.any.size()) + ", first " + st.any.front().describe();
  if (st.kind == Step::Kind::If || st.kind == Step::Kind::Assert) return what + " " + st.condition.describe();
  if (st.kind == Step::Kind::Type) return what + " \"" + st.text + "\"";
  if (!st.text.empty()) return what + " " + st.text;
  if (st.sleep_ms > 0) return what + " " + std::to_string(st.sleep_ms) + " ms";
  return what;
}

const Locator* target_of(const Step& st) {
  if (st.locator) return &*st.locator;
  if (!st.any.empty()) return &st.any.front();
  if ((st.kind == Step::Kind::If || st.kind == Step::Kind::Assert) && st.condition.locator)
    return &*st.condition.locator;
  return nullptr;
}

}  // namespace

StepPreview Runner::preview(const Step& st) {
  StepPreview p{st.path, describe_step(st), std::nullopt, false};
  const Locator* loc = target_of(st);
  if (!loc || !o_.supervision->wants_preview()) return p;
  // One look, no waiting: where the target is now, else the area it will be looked for in.
  try {
    where_.capture();
    where_.windows_now();
    if (auto r = where_.locate(*loc)) {
      p.target = to_rect(*r);
      p.target_found = true;
    } else {
      p.target = to_rect(where_.window_area());
    }
  } catch (const Failure&) {
  } catch (const vision::VisionError&) {
  } catch (const cv::Exception&) {
  }
  return p;
}

bool Runner::supervise(const Step& st) {
  if (o_.supervision->at_step(preview(st)) == StepDecision::run) return true;
  spdlog::info("agent: {} skipped by the supervisor", st.path);
  return false;
}

void Runner::held_while_waiting(Clock::time_point& deadline) {
  std::chrono::milliseconds held{0};
  auto decision = o_.supervision->hold_point(held);
  if (held.count() == 0) return;
  deadline += held;
  front_.reset();  // the screen is whatever the person left: look afresh
  if (decision == StepDecision::skip) throw StepDoneByHand{};
  spdlog::info("agent: {} handed back after {} ms: looking for its target again", current_path_, held.count());
}

bool Runner::stuck_until_handed_back(const std::string& why, Clock::time_point& deadline) {
  auto start = Clock::now();
  StepDecision decision = StepDecision::run;
  if (!o_.supervision->stuck(why, decision)) return false;
  deadline += Clock::now() - start;
  front_.reset();
  if (decision == StepDecision::skip) throw StepDoneByHand{};
  spdlog::info("agent: {} was stuck and handed back: looking for its target again", current_path_);
  return true;
}

}  // namespace dockhand::agent::run
