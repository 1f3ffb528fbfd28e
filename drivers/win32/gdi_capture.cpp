#include "drivers/win32/gdi_capture.h"

#include <cstring>

#include "drivers/win32/win32_error.h"

namespace dockhand::drivers::win32 {

VirtualScreen virtual_screen() {
  return {GetSystemMetrics(SM_XVIRTUALSCREEN), GetSystemMetrics(SM_YVIRTUALSCREEN),
          GetSystemMetrics(SM_CXVIRTUALSCREEN), GetSystemMetrics(SM_CYVIRTUALSCREEN)};
}

GdiCapture::GdiCapture() {
  screen_ = GetDC(nullptr);
  if (!screen_) throw DesktopError(last_error_text("GDI capture: GetDC(NULL) for the screen failed"));
  memory_ = CreateCompatibleDC(screen_);
  if (!memory_) {
    ReleaseDC(nullptr, screen_);
    throw DesktopError(last_error_text("GDI capture: CreateCompatibleDC failed"));
  }
}

GdiCapture::~GdiCapture() {
  if (bitmap_) {
    SelectObject(memory_, old_bitmap_);
    DeleteObject(bitmap_);
  }
  DeleteDC(memory_);
  ReleaseDC(nullptr, screen_);
}

void GdiCapture::ensure_bitmap(int w, int h) {
  if (bitmap_ && width_ == w && height_ == h) return;
  if (bitmap_) {
    SelectObject(memory_, old_bitmap_);
    DeleteObject(bitmap_);
    bitmap_ = nullptr;
  }
  BITMAPINFO info{};
  info.bmiHeader.biSize = sizeof(BITMAPINFOHEADER);
  info.bmiHeader.biWidth = w;
  info.bmiHeader.biHeight = -h;  // negative: top-down rows, like Frame
  info.bmiHeader.biPlanes = 1;
  info.bmiHeader.biBitCount = 32;
  info.bmiHeader.biCompression = BI_RGB;  // B,G,R,X in memory
  bitmap_ = CreateDIBSection(screen_, &info, DIB_RGB_COLORS, &bits_, nullptr, 0);
  if (!bitmap_ || !bits_)
    throw DesktopError(last_error_text("GDI capture: CreateDIBSection " + std::to_string(w) + "x" +
                                       std::to_string(h) + " failed"));
  old_bitmap_ = SelectObject(memory_, bitmap_);
  width_ = w;
  height_ = h;
}

Frame GdiCapture::grab(const Rect& area) {
  ensure_bitmap(area.w, area.h);
  // CAPTUREBLT includes layered (translucent, tool-tip) windows, as a person sees them.
  if (!BitBlt(memory_, 0, 0, area.w, area.h, screen_, area.x, area.y, SRCCOPY | CAPTUREBLT))
    throw DesktopError(last_error_text("GDI capture: BitBlt of the screen failed (a locked or disconnected "
                                       "session has no desktop to copy)"));
  GdiFlush();  // the DIB's memory is only complete once GDI's batch is flushed
  Frame frame;
  frame.width = area.w;
  frame.height = area.h;
  frame.stride = area.w * 4;
  frame.pixels.resize(std::size_t(frame.stride) * area.h);
  std::memcpy(frame.pixels.data(), bits_, frame.pixels.size());
  return frame;
}

}  // namespace dockhand::drivers::win32
