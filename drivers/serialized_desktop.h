// What every backend's Desktop does the same way: one call at a time (a desktop has one pointer and one
// keyboard; the runner and an operator's take-over may share it), each input and window verb forwarded to the
// backend's input and window parts. A backend derives as `class MyDesktop : public SerializedDesktop<MyDesktop>`,
// has members `input_` and `windows_` (befriending this class), and writes only screen(), capture() and
// backend(), taking `mutex_` itself.
#pragma once

#include "drivers/desktop.h"

#include <mutex>

namespace dockhand::drivers {

template <class Backend>
class SerializedDesktop : public Desktop {
 public:
  void move(Point to) override {
    std::lock_guard lock(mutex_);
    self().input_.move(to);
  }
  void click(Point at, Button button, int count) override {
    std::lock_guard lock(mutex_);
    self().input_.click(at, button, count);
  }
  void drag(Point from, Point to, Button button) override {
    std::lock_guard lock(mutex_);
    self().input_.drag(from, to, button);
  }
  void scroll(Point at, int dy, int dx) override {
    std::lock_guard lock(mutex_);
    self().input_.scroll(at, dy, dx);
  }
  Point pointer() override {
    std::lock_guard lock(mutex_);
    return self().input_.pointer();
  }
  void key(std::string_view chord) override {
    std::lock_guard lock(mutex_);
    self().input_.key(chord);
  }
  void type_text(std::string_view utf8) override {
    std::lock_guard lock(mutex_);
    self().input_.type_text(utf8);
  }
  std::vector<WindowInfo> windows() override {
    std::lock_guard lock(mutex_);
    return self().windows_.list();
  }
  std::optional<WindowInfo> find_window(std::string_view title_part) override {
    std::lock_guard lock(mutex_);
    return self().windows_.find(title_part);
  }
  void activate(std::uint64_t window_id) override {
    std::lock_guard lock(mutex_);
    self().windows_.activate(window_id);
  }
  std::optional<WindowInfo> active_window() override {
    std::lock_guard lock(mutex_);
    return self().windows_.active();
  }

 protected:
  std::mutex mutex_;  // a base member: constructed before the backend's parts, destroyed after them

 private:
  Backend& self() { return static_cast<Backend&>(*this); }
};

}  // namespace dockhand::drivers
