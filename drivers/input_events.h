// The person's input as it happens: a sibling of Desktop for recorders. Events are observed, never intercepted:
// the programs get every one as usual. Each backend adds its own source (x11/: the RECORD extension).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "drivers/desktop.h"

namespace dockhand::drivers {

struct InputEvent {
  enum class Kind { KeyDown, KeyUp, ButtonDown, ButtonUp, Motion };
  Kind kind = Kind::Motion;
  // When it happened, on this process's steady clock (the backend maps its own clock onto it).
  std::chrono::steady_clock::time_point time;
  std::uint32_t device_time_ms = 0;  // the backend's own timestamp as it came (X server time)
  Point at;                          // the pointer on the screen when it happened
  int button = 0;                    // button events: 1 left, 2 middle, 3 right, 4/5 wheel up/down, 6/7 wheel sideways
  // Key events: the key as chords name it ("a", "Return", "F12", "BackSpace", "Shift_L"): its unshifted name, so
  // ctrl+s is key "s" with `ctrl`.
  std::string key;
  std::string text;  // UTF-8 the key types as pressed (shift and caps lock applied); "" for keys that type nothing
  bool ctrl = false, shift = false, alt = false, super = false;  // modifiers held when it happened
};

const char* kind_name(InputEvent::Kind k);

class InputEventSource {
 public:
  virtual ~InputEventSource() = default;
  virtual std::string backend() const = 0;
  // The next event, waiting up to `timeout` for one; nullopt when none came. Throws DesktopError when the
  // display went away.
  virtual std::optional<InputEvent> next(std::chrono::milliseconds timeout) = 0;
};

// Starts observing the platform's input (`display` as for open_desktop). Events from before this call are not
// reported. Throws DesktopError with a clear message when the desktop cannot be observed (e.g. the X server
// lacks the RECORD extension).
std::unique_ptr<InputEventSource> open_input_events(const std::string& display = "");

}  // namespace dockhand::drivers
