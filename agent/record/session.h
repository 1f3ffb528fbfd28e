// The recorder's live part: watches the person's input (drivers' InputEventSource) and the screen (Desktop) until
// the stop key, and hands the intents, each with the screen just before it and after it, to the script writer.
// Input is only observed; the screen is captured when the pointer moves (so the frame before a press is at hand),
// and for a while after each action, to see when the program changed the screen and how long it took. Idle, it
// waits on the event stream and does nothing else.
#pragma once

#include <atomic>
#include <deque>
#include <functional>
#include <string>
#include <vector>

#include "agent/record/intents.h"
#include "drivers/desktop.h"
#include "drivers/input_events.h"

namespace dockhand::agent::record {

struct SessionOptions {
  IntentOptions intents;
  int motion_capture_ms = 80;  // at most one capture per this while the pointer moves
  int poll_ms = 100;           // after an action: a look at the screen this often...
  int quiet_ms = 1500;         // ...until it has not changed for this long, then every 500 ms...
  int watch_ms = 20000;        // ...until this long after the action
};

class RecordingSession {
 public:
  RecordingSession(drivers::Desktop& desktop, drivers::InputEventSource& events, SessionOptions options = {});
  // Until the stop key, or `stop` turns true. Returns the intents in order.
  std::vector<Intent> run(const std::atomic<bool>* stop = nullptr);
  // One event as run() handles it, and one turn of its screen watch (for the benchmark).
  void handle(const drivers::InputEvent& e);
  void watch();
  bool stopped() const { return builder_.stopped(); }
  bool secret_on() const { return builder_.secret_on(); }
  std::vector<Intent> finish() { return builder_.finish(); }
  long captures() const { return captures_; }

 private:
  std::shared_ptr<Snapshot> capture(bool with_windows);
  std::shared_ptr<const Snapshot> before(Clock::time_point t) const;

  drivers::Desktop& desktop_;
  drivers::InputEventSource& events_;
  SessionOptions o_;
  IntentBuilder builder_;
  std::deque<std::shared_ptr<Snapshot>> recent_;  // newest last
  Clock::time_point watch_until_{}, next_look_{}, last_change_{};
  long captures_ = 0;
};

}  // namespace dockhand::agent::record
