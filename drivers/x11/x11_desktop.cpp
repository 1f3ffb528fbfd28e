#include "drivers/x11/x11_desktop.h"

#include <spdlog/spdlog.h>

#include <mutex>

#include "drivers/serialized_desktop.h"
#include "drivers/x11/ewmh_windows.h"
#include "drivers/x11/x11_connection.h"
#include "drivers/x11/xshm_capture.h"
#include "drivers/x11/xtest_input.h"

namespace dockhand::drivers::x11 {
namespace {

class X11Desktop final : public SerializedDesktop<X11Desktop> {
 public:
  explicit X11Desktop(const std::string& display) : conn_(display), capture_(conn_), input_(conn_), windows_(conn_) {
    spdlog::debug("x11: opened display '{}' (capture: {}, window manager: '{}')", conn_.name(),
                  capture_.using_shm() ? "MIT-SHM" : "XGetImage", windows_.wm_name());
  }

  std::string backend() const override { return "x11"; }

  Rect screen() override {
    std::lock_guard lock(mutex_);
    return capture_.screen();
  }
  Frame capture(std::optional<Rect> region) override {
    std::lock_guard lock(mutex_);
    return capture_.capture(region);
  }

 private:
  friend class SerializedDesktop<X11Desktop>;
  X11Connection conn_;  // declared first: destroyed last
  XShmCapture capture_;
  XTestInput input_;
  EwmhWindows windows_;
};

}  // namespace

std::unique_ptr<Desktop> open_x11_desktop(const std::string& display) {
  return std::make_unique<X11Desktop>(display);
}

}  // namespace dockhand::drivers::x11
