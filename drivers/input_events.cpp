// The factory for the platform's input-event source (drivers/CMakeLists.txt builds the backend's file).
#include "drivers/input_events.h"

#ifndef _WIN32
#include "drivers/x11/xrecord_input.h"
#endif

namespace dockhand::drivers {

const char* kind_name(InputEvent::Kind k) {
  switch (k) {
    case InputEvent::Kind::KeyDown: return "key down";
    case InputEvent::Kind::KeyUp: return "key up";
    case InputEvent::Kind::ButtonDown: return "button down";
    case InputEvent::Kind::ButtonUp: return "button up";
    case InputEvent::Kind::Motion: return "motion";
  }
  return "?";
}

std::unique_ptr<InputEventSource> open_input_events(const std::string& display) {
#ifdef _WIN32
  (void)display;
  throw DesktopError("observing input: the win32 backend has no input-event source yet (a low-level "
                     "WH_KEYBOARD_LL/WH_MOUSE_LL hook would be its counterpart)");
#else
  return x11::open_xrecord_input(display);
#endif
}

}  // namespace dockhand::drivers
