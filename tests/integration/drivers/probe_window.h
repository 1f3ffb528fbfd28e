// A plain Xlib window for driver tests, on its own connection: paints known colours and records what arrives
// (buttons, motion, keys, the text a real input method makes of the keys, focus). The tests pump its events
// after each driver call and check what landed.
#pragma once

#include <X11/Xlib.h>
#include <X11/Xatom.h>
#include <X11/Xutil.h>
#include <X11/keysym.h>
#include <poll.h>

#include <chrono>
#include <clocale>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "drivers/desktop.h"

namespace dockhand::drivers::testing {

// Colours as 24-bit TrueColor pixels (Xvfb's default visual).
constexpr unsigned long kRed = 0xff0000, kBlue = 0x0000ff, kGreen = 0x00ff00;

class ProbeWindow {
 public:
  // Left half red, right half blue, a 20x20 green square at (10,10) of the client area.
  ProbeWindow(const std::string& title, int x, int y, int w, int h) : w_(w), h_(h) {
    std::setlocale(LC_CTYPE, "C.UTF-8");
    dpy_ = XOpenDisplay(nullptr);
    if (!dpy_) throw std::runtime_error("probe: cannot open display");
    int scr = DefaultScreen(dpy_);
    XSetWindowAttributes attrs{};
    attrs.background_pixel = kBlue;
    attrs.event_mask = ExposureMask | StructureNotifyMask | KeyPressMask | KeyReleaseMask | ButtonPressMask |
                       ButtonReleaseMask | PointerMotionMask | FocusChangeMask;
    win_ = XCreateWindow(dpy_, RootWindow(dpy_, scr), x, y, unsigned(w), unsigned(h), 0, CopyFromParent,
                         InputOutput, CopyFromParent, CWBackPixel | CWEventMask, &attrs);
    XSizeHints hints{};
    hints.flags = USPosition | USSize;
    hints.x = x;
    hints.y = y;
    hints.width = w;
    hints.height = h;
    XSetWMNormalHints(dpy_, win_, &hints);
    Xutf8SetWMProperties(dpy_, win_, title.c_str(), title.c_str(), nullptr, 0, &hints, nullptr, nullptr);
    XWMHints wm{};
    wm.flags = InputHint;
    wm.input = True;
    XSetWMHints(dpy_, win_, &wm);
    gc_ = XCreateGC(dpy_, win_, 0, nullptr);
    XSetLocaleModifiers("@im=none");
    im_ = XOpenIM(dpy_, nullptr, nullptr, nullptr);
    if (im_)
      ic_ = XCreateIC(im_, XNInputStyle, XIMPreeditNothing | XIMStatusNothing, XNClientWindow, win_, XNFocusWindow,
                      win_, nullptr);
    XMapWindow(dpy_, win_);
    XFlush(dpy_);
    // Exposed is not yet shown: a window manager may still frame, place or raise the window and expose it
    // again (a capture then saw only the background, under load). Wait until the screen shows the paint where
    // the server says the client area is; events are handled meanwhile, so a new Expose is painted.
    // Generous: under load openbox took over 30 s to map the first window of a run.
    if (!pump_until([&] { return exposed_ && painted_on_screen(); }, 90000))
      throw std::runtime_error(exposed_ ? "probe: window exposed but its paint never showed on screen"
                                        : "probe: window never exposed");
  }
  ~ProbeWindow() {
    if (ic_) XDestroyIC(ic_);
    if (im_) XCloseIM(im_);
    XFreeGC(dpy_, gc_);
    XDestroyWindow(dpy_, win_);
    XSync(dpy_, False);
    // The next probe's connection may be given the same window id: wait until a window manager has let go of
    // this one (it is off _NET_CLIENT_LIST), or it may treat the new window as this one (openbox gave the
    // next probe this one's size). Generous: with Wine starting beside it on 2 cores, openbox took over 5 s.
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (listed_by_window_manager() && std::chrono::steady_clock::now() < until) pump_until([] { return false; }, 10);
    XCloseDisplay(dpy_);
  }
  bool listed_by_window_manager() {
    Atom list = XInternAtom(dpy_, "_NET_CLIENT_LIST", True);
    if (list == None) return false;
    Atom type;
    int format;
    unsigned long count = 0, after = 0;
    unsigned char* data = nullptr;
    if (XGetWindowProperty(dpy_, DefaultRootWindow(dpy_), list, 0, 4096, False, XA_WINDOW, &type, &format, &count,
                           &after, &data) != Success || !data)
      return false;
    bool found = false;
    auto* ids = reinterpret_cast<unsigned long*>(data);
    for (unsigned long i = 0; i < count && !found; ++i) found = ids[i] == win_;
    XFree(data);
    return found;
  }
  ProbeWindow(const ProbeWindow&) = delete;
  ProbeWindow& operator=(const ProbeWindow&) = delete;

  Window id() const { return win_; }
  Display* dpy() const { return dpy_; }
  bool has_input_method() const { return ic_ != nullptr; }

  // The client area on screen, asked of the server (not of the driver under test).
  Rect client_rect() {
    int x = 0, y = 0;
    Window child;
    XTranslateCoordinates(dpy_, win_, DefaultRootWindow(dpy_), 0, 0, &x, &y, &child);
    XWindowAttributes a{};
    XGetWindowAttributes(dpy_, win_, &a);
    return {x, y, a.width, a.height};
  }
  Point on_screen(int x, int y) {
    Rect r = client_rect();
    return {r.x + x, r.y + y};
  }

  // Processes events until `done` or the timeout; true if done.
  bool pump_until(const std::function<bool()>& done, int timeout_ms = 3000) {
    auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    for (;;) {
      while (XPending(dpy_)) handle_next();
      if (done()) return true;
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      pollfd p{ConnectionNumber(dpy_), POLLIN, 0};
      poll(&p, 1, int(std::min<long long>(left.count(), 20)));
    }
  }
  // Processes whatever arrives within `ms` (for "nothing else happened" checks).
  void pump_for(int ms) {
    pump_until([] { return false; }, ms);
  }
  void clear() {
    buttons.clear();
    releases.clear();
    motions.clear();
    keys.clear();
    text.clear();
  }

  struct ButtonEv {
    unsigned button;
    int x, y;
    Time time;
  };
  struct KeyEv {
    KeySym sym;
    unsigned state;
    KeyCode code;
  };
  std::vector<ButtonEv> buttons, releases;
  std::vector<XMotionEvent> motions;
  std::vector<KeyEv> keys;
  std::string text;  // what an input method makes of the key presses; Return adds '\n', Tab '\t'
  bool focused = false;

 private:
  void handle_next() {
    XEvent ev;
    XNextEvent(dpy_, &ev);
    if (XFilterEvent(&ev, None)) return;
    switch (ev.type) {
      case Expose:
        if (ev.xexpose.count == 0) paint();
        exposed_ = true;
        break;
      case ButtonPress: buttons.push_back({ev.xbutton.button, ev.xbutton.x, ev.xbutton.y, ev.xbutton.time}); break;
      case ButtonRelease: releases.push_back({ev.xbutton.button, ev.xbutton.x, ev.xbutton.y, ev.xbutton.time}); break;
      case MotionNotify: motions.push_back(ev.xmotion); break;
      case FocusIn: focused = true; break;
      case FocusOut: focused = false; break;
      case MappingNotify: XRefreshKeyboardMapping(&ev.xmapping); break;
      case KeyPress: on_key(ev.xkey); break;
      default: break;
    }
  }
  void on_key(XKeyEvent& k) {
    char buf[64] = {};
    KeySym sym = NoSymbol;
    int n = 0;
    if (ic_) {
      Status st;
      n = Xutf8LookupString(ic_, &k, buf, sizeof buf - 1, &sym, &st);
      if (st != XLookupChars && st != XLookupBoth) n = 0;
    } else {
      n = XLookupString(&k, buf, sizeof buf - 1, &sym, nullptr);
    }
    keys.push_back({sym, k.state, KeyCode(k.keycode)});
    if (sym == XK_Return || sym == XK_KP_Enter) {
      text += '\n';
    } else if (k.state & ControlMask) {
      // a chord, not text
    } else if (ic_) {
      if (n > 0) text.append(buf, size_t(n));
    } else {  // no input method: Latin-1 and Unicode keysyms are code points
      unsigned long cp = (sym >= 0x20 && sym <= 0xff) ? sym : (sym & 0xff000000) == 0x01000000 ? (sym & 0xffffff) : 0;
      if (sym == XK_Tab) cp = '\t';
      append_utf8(cp);
    }
  }
  void append_utf8(unsigned long cp) {
    if (!cp) return;
    if (cp < 0x80) {
      text += char(cp);
    } else if (cp < 0x800) {
      text += char(0xc0 | (cp >> 6));
      text += char(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
      text += char(0xe0 | (cp >> 12));
      text += char(0x80 | ((cp >> 6) & 0x3f));
      text += char(0x80 | (cp & 0x3f));
    } else {
      text += char(0xf0 | (cp >> 18));
      text += char(0x80 | ((cp >> 12) & 0x3f));
      text += char(0x80 | ((cp >> 6) & 0x3f));
      text += char(0x80 | (cp & 0x3f));
    }
  }
  // The screen's pixel at the client area's first pixel is the paint's red (read from the root window, as a
  // capture does). A client area off the screen cannot be read there: taken as shown.
  bool painted_on_screen() {
    Rect r = client_rect();
    Screen* scr = DefaultScreenOfDisplay(dpy_);
    if (r.x < 0 || r.y < 0 || r.x >= WidthOfScreen(scr) || r.y >= HeightOfScreen(scr)) return true;
    XImage* img = XGetImage(dpy_, DefaultRootWindow(dpy_), r.x, r.y, 1, 1, AllPlanes, ZPixmap);
    if (!img) return false;
    unsigned long p = XGetPixel(img, 0, 0);
    XDestroyImage(img);
    return (p & 0xffffff) == kRed;
  }

  void paint() {
    XSetForeground(dpy_, gc_, kRed);
    XFillRectangle(dpy_, win_, gc_, 0, 0, unsigned(w_ / 2), unsigned(h_));
    XSetForeground(dpy_, gc_, kBlue);
    XFillRectangle(dpy_, win_, gc_, w_ / 2, 0, unsigned(w_ - w_ / 2), unsigned(h_));
    XSetForeground(dpy_, gc_, kGreen);
    XFillRectangle(dpy_, win_, gc_, 10, 10, 20, 20);
    XSync(dpy_, False);
  }

  Display* dpy_ = nullptr;
  Window win_ = 0;
  GC gc_ = nullptr;
  XIM im_ = nullptr;
  XIC ic_ = nullptr;
  int w_, h_;
  bool exposed_ = false;
};

}  // namespace dockhand::drivers::testing
