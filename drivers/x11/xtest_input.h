// Pointer and keyboard through the XTEST extension (what xdotool does), with literal Unicode typing.
//
// Typing: each character is looked up in the current keyboard map (plain or shifted level). A character the
// map lacks is bound to a spare keycode (one with no keysyms) with XChangeKeyboardMapping, as xdotool does.
// Clients look keysyms up lazily when they process an event, so a spare keycode is never rebound while events
// that used it may still be queued: bindings stay in place, and when all spare keycodes are bound they are
// freed together after a sync and a short pause (clients drain their queues), once per pool's worth of new
// characters. Xvfb's default map has 8 spare keycodes.
#pragma once

#include <X11/Xlib.h>

#include <cstdint>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "drivers/desktop.h"
#include "drivers/x11/x11_connection.h"

namespace dockhand::drivers::x11 {

class XTestInput {
 public:
  explicit XTestInput(X11Connection& conn);  // throws DesktopError when the server lacks XTEST

  void move(Point to);
  void click(Point at, Button button, int count);
  void drag(Point from, Point to, Button button);
  void scroll(Point at, int dy, int dx);
  Point pointer();
  void key(std::string_view chord);
  void type_text(std::string_view utf8);

  // How many spare keycodes exist for characters missing from the map (for diagnostics and tests).
  size_t spare_keycodes() const { return spare_.size(); }

 private:
  struct KeyLoc {
    KeyCode code = 0;
    bool shift = false;
  };
  void load_keymap();
  KeyLoc locate(KeySym sym, const char* doing);
  KeyLoc bind_spare(KeySym sym, const char* doing);
  KeyCode modifier_code(int mod_index, std::initializer_list<KeySym> preferred, const char* name);
  void press(KeyCode code, bool down);
  void button(unsigned b, bool down);
  void await_buttons_released(const char* doing);

  X11Connection& conn_;
  int min_code_ = 8, max_code_ = 255, per_code_ = 0;
  std::unordered_map<KeySym, KeyLoc> index_;  // keysym -> where it is typed from
  std::vector<KeyCode> spare_;                // keycodes that had no keysyms when we started
  std::unordered_map<KeyCode, KeySym> bound_;  // spare keycodes we bound, and to what
  bool keymap_loaded_ = false;
  KeyCode shift_ = 0, ctrl_ = 0, alt_ = 0, super_ = 0;
};

}  // namespace dockhand::drivers::x11
