#include "drivers/win32/win32_desktop.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <mutex>

#include "drivers/serialized_desktop.h"
#include "drivers/win32/dxgi_capture.h"
#include "drivers/win32/frame_health.h"
#include "drivers/win32/gdi_capture.h"
#include "drivers/win32/sendinput.h"
#include "drivers/win32/session_state.h"
#include "drivers/win32/top_windows.h"

namespace dockhand::drivers::win32 {
namespace {

std::unique_ptr<ScreenCapture> open_capture(const std::string& options) {
  if (options == "gdi") return std::make_unique<GdiCapture>();
  if (options == "dxgi") return std::make_unique<DxgiCapture>();
  if (!options.empty())
    throw DesktopError("win32 desktop: unknown option '" + options + "' (use \"\", \"dxgi\" or \"gdi\")");
  try {
    return std::make_unique<DxgiCapture>();
  } catch (const DesktopError& e) {
    spdlog::info("win32: DXGI Desktop Duplication unavailable ({}); capturing with GDI", e.what());
    return std::make_unique<GdiCapture>();
  }
}

class Win32Desktop final : public SerializedDesktop<Win32Desktop> {
 public:
  explicit Win32Desktop(const std::string& options)
      : dpi_(make_dpi_aware()),  // first: every size measured after this is in physical pixels
        capture_(open_capture(options)) {
    spdlog::debug("win32: capture {}, DPI awareness {}", capture_->name(), dpi_);
  }

  std::string backend() const override { return "win32"; }

  Rect screen() override {
    std::lock_guard lock(mutex_);
    VirtualScreen vs = virtual_screen();
    return {0, 0, vs.w, vs.h};
  }

  Frame capture(std::optional<Rect> region) override {
    std::lock_guard lock(mutex_);
    if (auto problem = session_problem()) throw DesktopError("capture: " + *problem);
    VirtualScreen vs = virtual_screen();
    Rect area{0, 0, vs.w, vs.h};
    if (region) {
      int x0 = std::max(region->x, 0), y0 = std::max(region->y, 0);
      int x1 = std::min(region->x + region->w, vs.w), y1 = std::min(region->y + region->h, vs.h);
      if (x1 <= x0 || y1 <= y0)
        throw DesktopError("capture: region " + std::to_string(region->x) + "," + std::to_string(region->y) + "," +
                           std::to_string(region->w) + "," + std::to_string(region->h) + " lies off the screen");
      area = {x0, y0, x1 - x0, y1 - y0};
    }
    Frame frame = capture_->grab({area.x + vs.x, area.y + vs.y, area.w, area.h});
    frame.origin = {area.x, area.y};
    // A black region may be a black part of a live screen; a black screen is no desktop at all.
    if (frame_is_black(frame)) {
      bool whole = area == Rect{0, 0, vs.w, vs.h};
      if (whole || frame_is_black(capture_->grab({vs.x, vs.y, vs.w, vs.h})))
        throw DesktopError(black_frame_message("the whole screen", capture_->name()));
    }
    return frame;
  }

 private:
  friend class SerializedDesktop<Win32Desktop>;
  std::string dpi_;
  std::unique_ptr<ScreenCapture> capture_;
  SendInputDriver input_;
  TopWindows windows_;
};

}  // namespace

std::unique_ptr<Desktop> open_win32_desktop(const std::string& options) {
  return std::make_unique<Win32Desktop>(options);
}

}  // namespace dockhand::drivers::win32
