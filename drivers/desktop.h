// The one interface to a desktop: capture, pointer, keyboard, windows.
// Backends live in one folder each (x11/, win32/, later vnc/); nothing above drivers/ sees platform code.
// Modelled on libxdo: a small context object plus verbs.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace dockhand::drivers {

struct Point {
  int x = 0, y = 0;
  bool operator==(const Point&) const = default;
};

struct Rect {
  int x = 0, y = 0, w = 0, h = 0;
  bool empty() const { return w <= 0 || h <= 0; }
  Point center() const { return {x + w / 2, y + h / 2}; }
  bool operator==(const Rect&) const = default;
};

// A captured frame: 4 bytes per pixel in B,G,R,X order (the X byte is undefined), rows `stride` bytes apart.
// `origin` is where the frame's top-left pixel sits on the screen (non-zero for region captures).
struct Frame {
  int width = 0, height = 0, stride = 0;
  Point origin;
  std::vector<std::uint8_t> pixels;
  bool empty() const { return width <= 0 || height <= 0; }
};

enum class Button { Left = 1, Middle = 2, Right = 3 };

struct WindowInfo {
  std::uint64_t id = 0;
  std::string title;
  Rect rect;            // outer rectangle on screen, in screen pixels (with the window manager's frame)
  // The program's own area inside the frame, in screen pixels (== rect without a window manager). Every backend
  // must fill it (X11: the client window; Windows: the client rectangle; VNC: the guest's window): screen
  // scripts' window-relative coordinates start here, so they do not change with the window manager or platform.
  Rect client;
  bool visible = true;  // mapped and not minimised
  int pid = 0;          // 0 when unknown
};

// Every driver failure (no display, the X server went away, a window that vanished) is a DesktopError with
// a message that says what was being done. Callers never see a crash or an abort from the platform library.
class DesktopError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Thread safety: every call on one Desktop is serialised by the backend (a mutex), so a Desktop may be shared;
// for captures in parallel, open one Desktop per thread.
class Desktop {
 public:
  virtual ~Desktop() = default;

  virtual std::string backend() const = 0;  // "x11", "win32", ...
  virtual Rect screen() = 0;                // the whole screen, origin 0,0

  // Capture the whole screen, or a region of it (clipped to the screen).
  virtual Frame capture(std::optional<Rect> region = std::nullopt) = 0;

  // Pointer.
  virtual void move(Point to) = 0;
  virtual void click(Point at, Button button = Button::Left, int count = 1) = 0;
  virtual void drag(Point from, Point to, Button button = Button::Left) = 0;
  virtual void scroll(Point at, int dy, int dx = 0) = 0;  // dy > 0 scrolls down, in wheel notches
  virtual Point pointer() = 0;

  // Keyboard. `chord` is one key or a chord: "Enter", "Tab", "F5", "ctrl+s", "ctrl+shift+Tab", "alt+F4".
  // Names are X keysym names (case-insensitive for the common ones: enter, esc, tab, space, backspace,
  // delete, home, end, pageup, pagedown, up, down, left, right, f1-f12) plus modifiers ctrl, shift, alt, super.
  virtual void key(std::string_view chord) = 0;
  // Types UTF-8 text literally: every character is typed as itself, nothing is interpreted
  // ("{ENTER}" is seven characters, "\n" is a newline keystroke only if the text contains a real newline).
  virtual void type_text(std::string_view utf8) = 0;

  // Windows.
  virtual std::vector<WindowInfo> windows() = 0;
  // First visible top-level window whose title contains `title_part` (case-sensitive).
  virtual std::optional<WindowInfo> find_window(std::string_view title_part) = 0;
  virtual void activate(std::uint64_t window_id) = 0;
  virtual std::optional<WindowInfo> active_window() = 0;
};

// Opens the platform's desktop. `display` is backend-specific (X11: a display name, empty = $DISPLAY; Windows:
// the capture method, "" = DXGI with GDI fallback, "dxgi", "gdi").
// Throws DesktopError with a clear message when no desktop can be reached.
std::unique_ptr<Desktop> open_desktop(const std::string& display = "");

}  // namespace dockhand::drivers
