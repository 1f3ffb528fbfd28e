// What a capture method provides (one file per method: dxgi_capture, gdi_capture).
#pragma once

#include <string>

#include "drivers/desktop.h"

namespace dockhand::drivers::win32 {

// The virtual desktop in Windows screen coordinates (physical pixels; x, y may be negative).
struct VirtualScreen {
  int x = 0, y = 0, w = 0, h = 0;
};
VirtualScreen virtual_screen();  // GetSystemMetrics(SM_*VIRTUALSCREEN)

class ScreenCapture {
 public:
  virtual ~ScreenCapture() = default;
  virtual std::string name() const = 0;  // "dxgi", "gdi"
  // `area` is in Windows screen coordinates, already clipped to the virtual screen. The frame's origin is left
  // for the caller to set. Throws DesktopError.
  virtual Frame grab(const Rect& area) = 0;
};

}  // namespace dockhand::drivers::win32
