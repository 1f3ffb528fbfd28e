#include "drivers/x11/x11_desktop.h"

#include <spdlog/spdlog.h>

#include <mutex>

#include "drivers/x11/ewmh_windows.h"
#include "drivers/x11/x11_connection.h"
#include "drivers/x11/xshm_capture.h"
#include "drivers/x11/xtest_input.h"

namespace dockhand::drivers::x11 {
namespace {

class X11Desktop final : public Desktop {
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
  void move(Point to) override {
    std::lock_guard lock(mutex_);
    input_.move(to);
  }
  void click(Point at, Button button, int count) override {
    std::lock_guard lock(mutex_);
    input_.click(at, button, count);
  }
  void drag(Point from, Point to, Button button) override {
    std::lock_guard lock(mutex_);
    input_.drag(from, to, button);
  }
  void scroll(Point at, int dy, int dx) override {
    std::lock_guard lock(mutex_);
    input_.scroll(at, dy, dx);
  }
  Point pointer() override {
    std::lock_guard lock(mutex_);
    return input_.pointer();
  }
  void key(std::string_view chord) override {
    std::lock_guard lock(mutex_);
    input_.key(chord);
  }
  void type_text(std::string_view utf8) override {
    std::lock_guard lock(mutex_);
    input_.type_text(utf8);
  }
  std::vector<WindowInfo> windows() override {
    std::lock_guard lock(mutex_);
    return windows_.list();
  }
  std::optional<WindowInfo> find_window(std::string_view title_part) override {
    std::lock_guard lock(mutex_);
    return windows_.find(title_part);
  }
  void activate(std::uint64_t window_id) override {
    std::lock_guard lock(mutex_);
    windows_.activate(window_id);
  }
  std::optional<WindowInfo> active_window() override {
    std::lock_guard lock(mutex_);
    return windows_.active();
  }

 private:
  std::mutex mutex_;
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
