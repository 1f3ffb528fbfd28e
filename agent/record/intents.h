// The recorder's first seam: the person's input events become intents (a click, a double click, text typed into a
// field, a key or chord, a drag), each with the screen as it was just before it and what the program did after it.
// Pure: no display, so it is tested on made-up event streams.
#pragma once

#include <opencv2/core.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "drivers/desktop.h"
#include "drivers/input_events.h"

namespace dockhand::agent::record {

using Clock = std::chrono::steady_clock;

// The screen at one moment: a frame (BGRA, as captured) and the windows, topmost first.
struct Snapshot {
  cv::Mat frame;
  std::vector<drivers::WindowInfo> windows;
  Clock::time_point time;
};

struct Intent {
  enum class Kind { Click, Type, Key, Drag };
  Kind kind = Kind::Click;
  Clock::time_point time;  // its first event
  Clock::time_point end;   // its last event
  // Click: where (screen), which button, single or double. `before`: the screen just before its first event.
  // Drag (a press, a move, a release farther than the double-click slop): pressed at `at`, released at `to`.
  cv::Point at;
  cv::Point to;
  int button = 1;
  int count = 1;
  std::shared_ptr<const Snapshot> before;
  // Type: the text as it ended up (a BackSpace takes back the character before it); whether it went into the
  // field the intent before clicked; whether it is secret (typed while the secret key was on).
  std::string text;
  bool into_clicked_field = false;
  bool secret = false;
  // Key: a chord as `key` steps write it ("Return", "ctrl+s"), pressed `repeat` times in a row.
  std::string chord;
  int repeat = 1;
  // After it, until the next intent: when the screen last changed (nullopt: it did not), and the screen then.
  std::optional<Clock::time_point> last_change;
  std::shared_ptr<const Snapshot> after;
};

struct IntentOptions {
  std::string stop_key = "F12";   // ends the recording; itself not recorded
  std::string secret_key;         // when set, toggles secret typing
  int double_click_ms = 400;      // a second press this soon, this near, makes a double click
  int double_click_px = 4;
};

class IntentBuilder {
 public:
  explicit IntentBuilder(IntentOptions options = {}) : o_(std::move(options)) {}
  // One event, in order. `before` is the latest screen from before the event (used for button presses).
  void feed(const drivers::InputEvent& e, std::shared_ptr<const Snapshot> before = nullptr);
  // The screen changed at `when` (after the intents so far): the latest intent's program time runs until then.
  void screen_changed(Clock::time_point when, std::shared_ptr<const Snapshot> now);
  bool stopped() const { return stopped_; }
  bool secret_on() const { return secret_; }
  const std::vector<Intent>& intents() const { return out_; }
  std::vector<Intent> finish() { return std::move(out_); }

 private:
  void key_down(const drivers::InputEvent& e, std::shared_ptr<const Snapshot> before);
  Intent& push(Intent::Kind k, Clock::time_point t);

  IntentOptions o_;
  std::vector<Intent> out_;
  bool stopped_ = false, secret_ = false;
  // a press waiting for its release
  std::optional<drivers::InputEvent> press_;
  std::shared_ptr<const Snapshot> press_before_;
  // a change seen between a press and its release: the click's doing
  std::optional<Clock::time_point> press_change_;
  std::shared_ptr<const Snapshot> press_change_snap_;
};

// The chord `key` steps write for a key event: "Return", "ctrl+s", "shift+Tab" (X keysym names, modifiers first).
std::string chord_of(const drivers::InputEvent& e);
// Keys that empty a field before typing into it (End, Home, BackSpace, Delete, ctrl+a, shift+Home, ...).
bool is_erasing(const std::string& chord);
// Keys that only modify others (Shift_L, Control_R, ISO_Level3_Shift, Caps_Lock, ...).
bool is_modifier_key(const std::string& key);

}  // namespace dockhand::agent::record
