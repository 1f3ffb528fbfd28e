// Test harness for the simulated apps: start a program, read its state file, find its windows, click and
// type through XTest, capture the screen to PNG. Needs a display (tests run under scripts/with-xvfb.sh).
#pragma once

#include <X11/Xlib.h>
#include <sys/types.h>

#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace apps_test {

struct Rect {
  int x = 0, y = 0, w = 0, h = 0;
  int cx() const { return x + w / 2; }
  int cy() const { return y + h / 2; }
};

class X11 {
 public:
  X11();  // throws when no display can be opened
  ~X11();
  X11(const X11&) = delete;
  X11& operator=(const X11&) = delete;

  std::optional<Window> find_window(const std::string& title);  // a viewable top-level with this exact title
  std::vector<std::string> window_titles();                     // every viewable titled top-level
  Rect window_rect(Window w);                                   // client area in root coordinates
  Rect screen();
  void click(int x, int y);
  void double_click(int x, int y);
  void type(const std::string& text);   // literal ASCII text
  void key(const std::string& keysym);  // e.g. "Return", "Tab", "Escape"
  bool save_png(const std::string& path, const Rect& r);  // root region to PNG

 private:
  void key_event(unsigned keycode, bool shift);
  void await_click_delivered();
  Display* dpy_;
};

// A program started by the test; SIGTERM on destruction (SIGKILL if it does not exit).
class AppProcess {
 public:
  AppProcess(const std::string& exe, const std::vector<std::string>& args, const std::string& stderr_path);
  ~AppProcess();
  int stop();               // SIGTERM, wait; returns the exit status (or 128+signal)
  std::optional<int> wait_exit(std::chrono::milliseconds timeout);
  bool running();
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  std::optional<int> status_;
};

// Polls `pred` every 20 ms until it holds or `timeout` passes.
bool wait_until(const std::function<bool()>& pred, std::chrono::milliseconds timeout = std::chrono::seconds(15));

// The state file, or null when it is missing (a half-written file never exists: writes are atomic).
nlohmann::json read_state(const std::string& path);
// How many events of `type` whose fields match `fields` the state's event log holds.
int count_events(const nlohmann::json& state, const std::string& type, const nlohmann::json& fields = {});

std::string temp_dir();  // a fresh directory for this test
std::string shots_dir(); // $DOCKHAND_APPS_SHOTS or the test's temp dir

}  // namespace apps_test
