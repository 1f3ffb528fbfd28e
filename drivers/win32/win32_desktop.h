// The Windows backend of Desktop: capture (DXGI Desktop Duplication, GDI BitBlt fallback), input (SendInput),
// top-level windows (EnumWindows). Every public call takes one mutex.
//
// Coordinates are physical pixels (the process is made per-monitor DPI aware v2 before anything is measured)
// on the virtual desktop, shifted so that its top-left corner is 0,0: with the primary monitor leftmost and
// topmost (every single-monitor VM) they are exactly Windows' screen coordinates.
#pragma once

#include <memory>
#include <string>

#include "drivers/desktop.h"

namespace dockhand::drivers::win32 {

// `options` picks the capture path: "" (DXGI, GDI when duplication is unavailable), "dxgi" (DXGI or a
// DesktopError saying why not), "gdi" (GDI only). Anything else is a DesktopError listing these.
std::unique_ptr<Desktop> open_win32_desktop(const std::string& options);

}  // namespace dockhand::drivers::win32
