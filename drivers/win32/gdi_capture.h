// Capture by BitBlt from the screen DC into a top-down 32-bit DIB section: works everywhere GDI does (Wine,
// Windows 7, remote sessions without a GPU), without the cursor.
#pragma once

#include <windows.h>

#include "drivers/win32/screen_capture.h"

namespace dockhand::drivers::win32 {

class GdiCapture final : public ScreenCapture {
 public:
  GdiCapture();
  ~GdiCapture() override;
  GdiCapture(const GdiCapture&) = delete;
  GdiCapture& operator=(const GdiCapture&) = delete;

  std::string name() const override { return "gdi"; }
  Frame grab(const Rect& area) override;

 private:
  void ensure_bitmap(int w, int h);

  HDC screen_ = nullptr;
  HDC memory_ = nullptr;
  HBITMAP bitmap_ = nullptr;
  HGDIOBJ old_bitmap_ = nullptr;
  void* bits_ = nullptr;
  int width_ = 0, height_ = 0;
};

}  // namespace dockhand::drivers::win32
