// What the runner's parts share: the clock, what a failing step throws, rectangle conversion.
#pragma once

#include "agent/script.h"
#include "drivers/desktop.h"

#include <opencv2/core.hpp>

#include <chrono>
#include <optional>
#include <string>

namespace dockhand::agent::run {

using Clock = std::chrono::steady_clock;

inline double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

inline cv::Rect to_cv(const drivers::Rect& r) { return {r.x, r.y, r.w, r.h}; }

// The program's own area of a window (inside the window manager's frame): what scripts see and click, and what
// window-relative coordinates start from, the same with any window manager or none. A backend that cannot tell
// gives the outer rectangle.
inline cv::Rect client_rect(const drivers::WindowInfo& w) { return to_cv(w.client.empty() ? w.rect : w.client); }

// Thrown by a step that fails the run; the runner turns it into the result and the evidence folder.
struct Failure {
  Failure(std::string c, std::string r, const Locator* l = nullptr)
      : category(std::move(c)), reason(std::move(r)), looked_for(l) {}
  std::string category;
  std::string reason;
  const Locator* looked_for = nullptr;
  std::optional<cv::Rect> searched;  // the area searched or read, on the screen (cropped in the evidence)
  std::string searched_by;           // what made that area (a read's locator), for the evidence
};

// Thrown while a step waits, when the person who took over the desktop says they did the step themselves.
struct StepDoneByHand {};

// Thrown by a `done` step.
struct Finished {
  std::string message;
};

}  // namespace dockhand::agent::run
