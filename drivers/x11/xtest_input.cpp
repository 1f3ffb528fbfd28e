#include "drivers/x11/xtest_input.h"

#include <X11/XKBlib.h>
#include <X11/Xutil.h>
#include <X11/extensions/XTest.h>
#include <X11/keysym.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <thread>

#include "drivers/x11/keysyms.h"

namespace dockhand::drivers::x11 {
namespace {
// How long clients get to look up keys typed with spare-keycode bindings before those bindings are reused.
// X gives no word of when a client has read its events, so this is a wait, paid once per pool's worth of new
// characters (rare: only text with more distinct unmapped characters than spare keycodes). 50 ms lost
// characters on a loaded 2-core machine; 300 ms leaves a client descheduled that long room to catch up.
constexpr int rebind_pause_ms = 300;
}  // namespace

XTestInput::XTestInput(X11Connection& conn) : conn_(conn) {
  int event_base, error_base, major, minor;
  if (!XTestQueryExtension(conn_.dpy(), &event_base, &error_base, &major, &minor))
    throw DesktopError("X display '" + conn_.name() + "' has no XTEST extension: cannot send input");
  // Our fake events must not be paused by another client's grab of the server.
  XTestGrabControl(conn_.dpy(), True);
  load_keymap();
  spdlog::debug("x11: XTEST {}.{}, {} spare keycodes for unmapped characters", major, minor, spare_.size());
}

void XTestInput::load_keymap() {
  Display* d = conn_.dpy();
  XDisplayKeycodes(d, &min_code_, &max_code_);
  int count = max_code_ - min_code_ + 1;
  KeySym* syms = XGetKeyboardMapping(d, KeyCode(min_code_), count, &per_code_);
  conn_.check("reading the keyboard map");
  if (!syms) throw DesktopError("reading the keyboard map of X display '" + conn_.name() + "' failed");
  const bool first_load = !keymap_loaded_;
  keymap_loaded_ = true;
  bound_.clear();
  index_.clear();
  auto add = [&](KeySym s, KeyCode code, bool shift) {
    if (s != NoSymbol) index_.try_emplace(s, KeyLoc{code, shift});  // first (plain level, lowest code) wins
  };
  // Two passes so that a keysym on some key's plain level beats the same keysym on another key's shifted level.
  for (int pass = 0; pass < 2; ++pass) {
    for (int i = 0; i < count; ++i) {
      auto code = KeyCode(min_code_ + i);
      const KeySym* k = syms + i * per_code_;
      KeySym plain = per_code_ > 0 ? k[0] : NoSymbol;
      KeySym shifted = per_code_ > 1 ? k[1] : NoSymbol;
      if (pass == 0) {
        add(plain, code, false);
      } else {
        if (shifted == NoSymbol && plain != NoSymbol) {  // Xlib's rule: a lone letter's shifted level is its capital
          KeySym lo, up;
          XConvertCase(plain, &lo, &up);
          if (up != lo) shifted = up;
        }
        add(shifted, code, true);
      }
      if (pass == 0 && first_load &&
          std::all_of(k, k + per_code_, [](KeySym s) { return s == NoSymbol; }))
        spare_.push_back(code);
      // What our earlier calls left bound on spare keycodes is still bound (the server's map is the truth).
      if (pass == 0 && !first_load && plain != NoSymbol &&
          std::find(spare_.begin(), spare_.end(), code) != spare_.end())
        bound_[code] = plain;
    }
  }
  XFree(syms);
  // Spare keycodes are used from the top: low codes are the ones a real keyboard may grow into.
  if (first_load) std::reverse(spare_.begin(), spare_.end());
  shift_ = modifier_code(ShiftMapIndex, {XK_Shift_L, XK_Shift_R}, "shift");
  ctrl_ = modifier_code(ControlMapIndex, {XK_Control_L, XK_Control_R}, "ctrl");
  alt_ = modifier_code(Mod1MapIndex, {XK_Alt_L, XK_Alt_R, XK_Meta_L}, "alt");
  super_ = modifier_code(Mod4MapIndex, {XK_Super_L, XK_Super_R, XK_Hyper_L}, "super");
}

KeyCode XTestInput::modifier_code(int mod_index, std::initializer_list<KeySym> preferred, const char*) {
  for (KeySym s : preferred) {
    auto it = index_.find(s);
    if (it != index_.end() && !it->second.shift) return it->second.code;
  }
  // Fall back to whatever key the modifier map puts on that modifier.
  XModifierKeymap* map = XGetModifierMapping(conn_.dpy());
  KeyCode code = 0;
  if (map) {
    for (int i = 0; i < map->max_keypermod && !code; ++i) code = map->modifiermap[mod_index * map->max_keypermod + i];
    XFreeModifiermap(map);
  }
  return code;  // 0: no such modifier on this keyboard; reported when a chord needs it
}

XTestInput::KeyLoc XTestInput::locate(KeySym sym, const char* doing) {
  auto it = index_.find(sym);
  if (it != index_.end()) return it->second;
  return bind_spare(sym, doing);
}

XTestInput::KeyLoc XTestInput::bind_spare(KeySym sym, const char* doing) {
  KeyCode code = 0;
  for (KeyCode c : spare_)
    if (!bound_.count(c)) {
      code = c;
      break;
    }
  if (!code) {
    if (spare_.empty()) {
      char name[32];
      std::snprintf(name, sizeof name, "U+%04lX", sym >= 0x01000000 ? sym - 0x01000000 : sym);
      throw DesktopError(std::string(doing) + ": character " + name +
                         " is not on the keyboard map and no spare keycode is free to bind it");
    }
    // All spare keycodes are bound. Clients look keysyms up when they process an event, so events typed with
    // these bindings may still be waiting in some client's queue: let them drain once, then free every binding
    // (one pause per pool's worth of new characters, not one per character).
    conn_.sync(doing);
    std::this_thread::sleep_for(std::chrono::milliseconds(rebind_pause_ms));
    for (auto& [c, s] : bound_) index_.erase(s);
    bound_.clear();
    code = spare_.front();
  }
  if (auto old = bound_.find(code); old != bound_.end()) index_.erase(old->second);
  // Same keysym on both levels, so the shift state cannot change what the key types.
  KeySym syms[2] = {sym, sym};
  XChangeKeyboardMapping(conn_.dpy(), code, 2, syms, 1);
  conn_.check(doing);
  bound_[code] = sym;
  index_[sym] = KeyLoc{code, false};
  return index_[sym];
}

void XTestInput::press(KeyCode code, bool down) { XTestFakeKeyEvent(conn_.dpy(), code, down, CurrentTime); }

void XTestInput::button(unsigned b, bool down) { XTestFakeButtonEvent(conn_.dpy(), b, down, CurrentTime); }

void XTestInput::move(Point to) {
  conn_.check("moving the pointer");
  XTestFakeMotionEvent(conn_.dpy(), conn_.screen(), to.x, to.y, CurrentTime);
  conn_.sync("moving the pointer");
}

void XTestInput::click(Point at, Button b, int count) {
  conn_.check("clicking");
  XTestFakeMotionEvent(conn_.dpy(), conn_.screen(), at.x, at.y, CurrentTime);
  // Back to back, so the toolkit's double-click interval (typically 250-500 ms) sees one multi-click.
  for (int i = 0; i < std::max(1, count); ++i) {
    button(unsigned(b), true);
    button(unsigned(b), false);
  }
  conn_.sync("clicking");
  await_buttons_released("clicking");
}

// A window manager that grabs buttons synchronously (click-to-focus, e.g. openbox) holds our click until it
// replays it to the client, while keys still flow: text typed right after a click would reach the field
// focused before it. The logical pointer state shows the release only once the server has processed the
// click for real, so wait for that. Bounded, so a button held by someone else cannot hang us, but generously:
// a window manager on a loaded machine took over 500 ms to replay a click, and the password typed next went
// into the user field (apps.erp.finalize_wm, clean-clone run under load).
void XTestInput::await_buttons_released(const char* doing) {
  constexpr unsigned kButtons = Button1Mask | Button2Mask | Button3Mask | Button4Mask | Button5Mask;
  constexpr auto kBound = std::chrono::seconds(5);
  const auto start = std::chrono::steady_clock::now();
  for (int polls = 0;; ++polls) {
    Window root_ret, child;
    int rx, ry, wx, wy;
    unsigned mask = 0;
    XQueryPointer(conn_.dpy(), conn_.root(), &root_ret, &child, &rx, &ry, &wx, &wy, &mask);
    conn_.check(doing);
    if (!(mask & kButtons)) return;
    if (std::chrono::steady_clock::now() - start >= kBound) {
      spdlog::warn("{}: a pointer button still reads as held {} s after our release (another client holding it, "
                   "or a window manager that never replayed the click); going on",
                   doing, std::chrono::duration_cast<std::chrono::seconds>(kBound).count());
      return;
    }
    // 1 ms polls for the usual case (a few ms), then 10 ms so a slow window manager is not kept busier.
    std::this_thread::sleep_for(std::chrono::milliseconds(polls < 50 ? 1 : 10));
  }
}

void XTestInput::drag(Point from, Point to, Button b) {
  conn_.check("dragging");
  Display* d = conn_.dpy();
  XTestFakeMotionEvent(d, conn_.screen(), from.x, from.y, CurrentTime);
  button(unsigned(b), true);
  conn_.sync("dragging");
  // Intermediate motion, a few ms apart: toolkits start a drag only after the pointer moved while pressed,
  // and some read the pointer on a timer.
  double dist = std::hypot(to.x - from.x, to.y - from.y);
  int steps = std::clamp(int(dist / 20), 4, 30);
  for (int i = 1; i <= steps; ++i) {
    int x = from.x + int(std::lround((to.x - from.x) * double(i) / steps));
    int y = from.y + int(std::lround((to.y - from.y) * double(i) / steps));
    XTestFakeMotionEvent(d, conn_.screen(), x, y, CurrentTime);
    XFlush(d);
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  conn_.sync("dragging");
  button(unsigned(b), false);
  conn_.sync("dragging");
}

void XTestInput::scroll(Point at, int dy, int dx) {
  conn_.check("scrolling");
  XTestFakeMotionEvent(conn_.dpy(), conn_.screen(), at.x, at.y, CurrentTime);
  // Wheel notches are buttons: 4 up, 5 down, 6 left, 7 right.
  auto notches = [&](int n, unsigned neg, unsigned pos) {
    for (int i = 0; i < std::abs(n); ++i) {
      button(n < 0 ? neg : pos, true);
      button(n < 0 ? neg : pos, false);
    }
  };
  notches(dy, 4, 5);
  notches(dx, 6, 7);
  conn_.sync("scrolling");
}

Point XTestInput::pointer() {
  conn_.check("reading the pointer position");
  Window root_ret, child;
  int rx = 0, ry = 0, wx, wy;
  unsigned mask;
  XQueryPointer(conn_.dpy(), conn_.root(), &root_ret, &child, &rx, &ry, &wx, &wy, &mask);
  conn_.check("reading the pointer position");
  return {rx, ry};
}

void XTestInput::key(std::string_view chord_text) {
  Chord chord = parse_chord(chord_text);  // bad names fail before anything is pressed
  std::string doing = "pressing key chord '" + std::string(chord_text) + "'";
  conn_.check(doing.c_str());
  load_keymap();
  std::vector<KeyCode> held;
  bool has_shift = false;
  for (Modifier m : chord.modifiers) {
    KeyCode c = m == Modifier::Ctrl ? ctrl_ : m == Modifier::Shift ? shift_ : m == Modifier::Alt ? alt_ : super_;
    if (!c) throw DesktopError(doing + ": this keyboard map has no key for that modifier");
    has_shift |= m == Modifier::Shift;
    if (std::find(held.begin(), held.end(), c) == held.end()) held.push_back(c);
  }
  KeyLoc loc = locate(chord.key, doing.c_str());
  if (loc.shift && !has_shift) held.push_back(shift_);  // e.g. "ctrl+plus" on a US map is ctrl+shift+equal
  for (KeyCode c : held) press(c, true);
  press(loc.code, true);
  press(loc.code, false);
  for (auto it = held.rbegin(); it != held.rend(); ++it) press(*it, false);
  conn_.sync(doing.c_str());
}

void XTestInput::type_text(std::string_view utf8) {
  const char* doing = "typing text";
  std::vector<char32_t> chars = decode_utf8(utf8);  // invalid UTF-8 fails before anything is typed
  conn_.check(doing);
  if (chars.empty()) return;
  load_keymap();
  Window root_ret, child;
  int rx, ry, wx, wy;
  unsigned mask = 0;
  XQueryPointer(conn_.dpy(), conn_.root(), &root_ret, &child, &rx, &ry, &wx, &wy, &mask);
  const bool caps_lock = mask & LockMask;
  bool shift_down = false;
  for (size_t i = 0; i < chars.size(); ++i) {
    if (chars[i] == U'\r' && i + 1 < chars.size() && chars[i + 1] == U'\n') continue;  // CR LF is one Enter
    KeySym sym = keysym_for_char(chars[i]);
    KeyLoc loc = locate(sym, doing);
    bool want_shift = loc.shift;
    if (caps_lock && !bound_.count(loc.code)) {  // Caps Lock inverts the level of letter keys
      KeySym lo, up;
      XConvertCase(sym, &lo, &up);
      if (lo != up) want_shift = !want_shift;
    }
    if (want_shift != shift_down) {
      press(shift_, want_shift);
      shift_down = want_shift;
    }
    press(loc.code, true);
    press(loc.code, false);
  }
  if (shift_down) press(shift_, false);
  conn_.sync(doing);
}

}  // namespace dockhand::drivers::x11
