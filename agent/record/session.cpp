#include "agent/record/session.h"

#include <opencv2/core.hpp>

#include <cstring>

namespace dockhand::agent::record {

using drivers::InputEvent;

namespace {

// Pixels that differ by more than 16 grey levels in any channel, stopping early once past `enough`.
bool differs(const cv::Mat& a, const cv::Mat& b, int enough = 20) {
  if (a.size() != b.size()) return true;
  int n = 0;
  for (int y = 0; y < a.rows; ++y) {
    const auto* pa = a.ptr<std::uint32_t>(y);
    const auto* pb = b.ptr<std::uint32_t>(y);
    if (std::memcmp(pa, pb, a.cols * 4) == 0) continue;
    for (int x = 0; x < a.cols; ++x) {
      if (pa[x] == pb[x]) continue;
      for (int c = 0; c < 3; ++c) {
        int d = int((pa[x] >> (8 * c)) & 0xff) - int((pb[x] >> (8 * c)) & 0xff);
        if (d > 16 || d < -16) {
          if (++n > enough) return true;
          break;
        }
      }
    }
  }
  return false;
}

bool same_windows(const std::vector<drivers::WindowInfo>& a, const std::vector<drivers::WindowInfo>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i].id != b[i].id || a[i].title != b[i].title || a[i].visible != b[i].visible || !(a[i].rect == b[i].rect))
      return false;
  return true;
}

}  // namespace

RecordingSession::RecordingSession(drivers::Desktop& desktop, drivers::InputEventSource& events, SessionOptions o)
    : desktop_(desktop), events_(events), o_(std::move(o)), builder_(o_.intents) {
  recent_.push_back(capture(true));
}

std::shared_ptr<Snapshot> RecordingSession::capture(bool with_windows) {
  auto s = std::make_shared<Snapshot>();
  s->time = Clock::now();
  drivers::Frame f = desktop_.capture();
  s->frame = cv::Mat(f.height, f.width, CV_8UC4, f.pixels.data(), f.stride).clone();
  if (with_windows || recent_.empty()) s->windows = desktop_.windows();
  else s->windows = recent_.back()->windows;
  ++captures_;
  return s;
}

std::shared_ptr<const Snapshot> RecordingSession::before(Clock::time_point t) const {
  // The newest frame whose capture started before the event: a later one may already show the program's answer.
  for (auto it = recent_.rbegin(); it != recent_.rend(); ++it)
    if ((*it)->time <= t) return *it;
  return recent_.front();
}

void RecordingSession::handle(const InputEvent& e) {
  const auto now = Clock::now();
  switch (e.kind) {
    case InputEvent::Kind::Motion:
      if (now - recent_.back()->time >= std::chrono::milliseconds(o_.motion_capture_ms)) {
        auto s = capture(false);
        if (differs(recent_.back()->frame, s->frame)) builder_.screen_changed(s->time, s);
        recent_.push_back(std::move(s));
        if (recent_.size() > 3) recent_.pop_front();
      }
      builder_.feed(e);
      return;
    case InputEvent::Kind::ButtonDown:
    case InputEvent::Kind::KeyDown:
      builder_.feed(e, before(e.time));
      break;
    case InputEvent::Kind::ButtonUp:
      builder_.feed(e);
      break;
    case InputEvent::Kind::KeyUp:
      builder_.feed(e);
      return;
  }
  // An action: watch what the program does with it.
  watch_until_ = now + std::chrono::milliseconds(o_.watch_ms);
  last_change_ = now;
  next_look_ = now + std::chrono::milliseconds(o_.poll_ms);
}

void RecordingSession::watch() {
  const auto now = Clock::now();
  if (now >= watch_until_ || now < next_look_) return;
  auto s = capture(true);
  const auto& last = *recent_.back();
  if (!same_windows(last.windows, s->windows) || differs(last.frame, s->frame)) {
    builder_.screen_changed(s->time, s);
    last_change_ = s->time;
  }
  recent_.push_back(std::move(s));
  if (recent_.size() > 3) recent_.pop_front();
  bool quiet = now - last_change_ >= std::chrono::milliseconds(o_.quiet_ms);
  next_look_ = Clock::now() + std::chrono::milliseconds(quiet ? 500 : o_.poll_ms);
}

std::vector<Intent> RecordingSession::run(const std::atomic<bool>* stop) {
  while (!builder_.stopped() && !(stop && stop->load())) {
    auto now = Clock::now();
    auto wait = std::chrono::milliseconds(500);  // idle: only the stop flag is looked at
    if (now < watch_until_)
      wait = std::max(std::chrono::milliseconds(0),
                      std::min(wait, std::chrono::duration_cast<std::chrono::milliseconds>(next_look_ - now)));
    // Every event that has arrived before the next look at the screen, so a change is put down to the action
    // that caused it, not to the one before.
    for (auto e = events_.next(wait); e; e = events_.next(std::chrono::milliseconds(0))) handle(*e);
    watch();
  }
  return builder_.finish();
}

}  // namespace dockhand::agent::record
