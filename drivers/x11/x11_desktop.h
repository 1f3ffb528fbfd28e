// The X11 backend of Desktop: one Xlib connection, capture (xshm_capture), input (xtest_input), windows
// (ewmh_windows). Every public call takes the connection's mutex.
#pragma once

#include <memory>
#include <string>

#include "drivers/desktop.h"

namespace dockhand::drivers::x11 {

// Throws DesktopError("cannot open X display ':99': ...") when no X server answers.
std::unique_ptr<Desktop> open_x11_desktop(const std::string& display);

}  // namespace dockhand::drivers::x11
