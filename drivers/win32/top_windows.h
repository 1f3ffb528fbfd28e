// Top-level windows through EnumWindows: titles (GetWindowTextW), outer and client rectangles in physical
// pixels, and bringing one to the front past Windows' foreground lock.
#pragma once

#include <windows.h>

#include <optional>
#include <string_view>
#include <vector>

#include "drivers/desktop.h"

namespace dockhand::drivers::win32 {

class TopWindows {
 public:
  std::vector<WindowInfo> list();  // visible top-level windows, front to back
  std::optional<WindowInfo> find(std::string_view title_part);
  // SetForegroundWindow with the documented workarounds for the foreground lock: restore if minimised, an Alt
  // tap (the caller then "received the last input event"), then AttachThreadInput to the foreground thread.
  // Waits (up to a deadline) until the window is in front; a DesktopError says why not.
  void activate(std::uint64_t id);
  std::optional<WindowInfo> active();
};

// The info of one window, or nullopt when it no longer exists. Rectangles in driver coordinates.
std::optional<WindowInfo> window_info(HWND hwnd);

}  // namespace dockhand::drivers::win32
