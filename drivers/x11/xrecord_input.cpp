#include "drivers/x11/xrecord_input.h"

#include <X11/XKBlib.h>
#include <X11/Xlib.h>
#include <X11/Xproto.h>
#include <X11/Xatom.h>
#include <X11/Xutil.h>
#include <X11/extensions/record.h>
#include <poll.h>

#include <deque>
#include <set>

#include "drivers/x11/keysyms.h"
#include "drivers/x11/x11_connection.h"

namespace dockhand::drivers::x11 {
namespace {

using Clock = std::chrono::steady_clock;

long long steady_ms(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

// UTF-8 of a keysym that types a character: Latin-1, and the Unicode keysyms (0x1000000 + code point).
std::string keysym_text(KeySym sym) {
  unsigned long cp = 0;
  if ((sym >= 0x20 && sym <= 0x7e) || (sym >= 0xa0 && sym <= 0xff)) cp = sym;
  else if (sym >= 0x1000100 && sym <= 0x110ffff) cp = sym - 0x1000000;
  else if (sym == XK_KP_Space) cp = ' ';
  else if (sym >= XK_KP_0 && sym <= XK_KP_9) cp = '0' + (sym - XK_KP_0);
  if (cp == 0) return "";
  std::string out;
  if (cp < 0x80) out += char(cp);
  else if (cp < 0x800) out += {char(0xc0 | (cp >> 6)), char(0x80 | (cp & 0x3f))};
  else if (cp < 0x10000) out += {char(0xe0 | (cp >> 12)), char(0x80 | ((cp >> 6) & 0x3f)), char(0x80 | (cp & 0x3f))};
  else
    out += {char(0xf0 | (cp >> 18)), char(0x80 | ((cp >> 12) & 0x3f)), char(0x80 | ((cp >> 6) & 0x3f)),
            char(0x80 | (cp & 0x3f))};
  return out;
}

class XRecordInput final : public InputEventSource {
 public:
  explicit XRecordInput(const std::string& display) : control_(display), data_(display) {
    int major = 0, minor = 0;
    if (!XRecordQueryVersion(control_.dpy(), &major, &minor))
      throw DesktopError("observing input on X display '" + control_.name() +
                         "': the X server has no RECORD extension (Xvfb and Xorg have it unless started with "
                         "-extension RECORD)");
    sync_clock();
    init_modifiers();
    XRecordRange* range = XRecordAllocRange();
    if (!range) throw DesktopError("observing input: out of memory");
    range->device_events.first = KeyPress;
    range->device_events.last = MotionNotify;
    XRecordClientSpec clients = XRecordAllClients;
    context_ = XRecordCreateContext(control_.dpy(), 0, &clients, 1, &range, 1);
    XFree(range);
    if (!context_) throw DesktopError("observing input on X display '" + control_.name() + "': cannot create a RECORD context");
    control_.sync("creating the RECORD context");
    // The data connection only carries the recorded stream (the protocol requires a connection of its own).
    if (!XRecordEnableContextAsync(data_.dpy(), context_, &XRecordInput::on_data, reinterpret_cast<XPointer>(this)))
      throw DesktopError("observing input on X display '" + control_.name() + "': cannot enable the RECORD context");
    XFlush(data_.dpy());
  }

  ~XRecordInput() override {
    if (!control_.lost()) {
      XRecordDisableContext(control_.dpy(), context_);
      XSync(control_.dpy(), False);
    }
    if (!data_.lost()) XRecordProcessReplies(data_.dpy());
    if (!control_.lost()) {
      XRecordFreeContext(control_.dpy(), context_);
      XSync(control_.dpy(), False);
    }
  }

  std::string backend() const override { return "x11"; }

  std::optional<InputEvent> next(std::chrono::milliseconds timeout) override {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
      data_.check("observing input");
      XRecordProcessReplies(data_.dpy());  // what Xlib has buffered already
      if (!queue_.empty()) {
        InputEvent e = std::move(queue_.front());
        queue_.pop_front();
        return e;
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (left < 0) return std::nullopt;
      pollfd p{ConnectionNumber(data_.dpy()), POLLIN, 0};
      int n = ::poll(&p, 1, static_cast<int>(left));
      if (n > 0 && (p.revents & (POLLHUP | POLLERR)) && !(p.revents & POLLIN))
        throw DesktopError("observing input: the connection to X display '" + data_.name() + "' was lost");
      if (n > 0) {
        // Reads the socket; the callback queues what arrived (a closed socket marks the connection lost).
        XEventsQueued(data_.dpy(), QueuedAfterReading);
      }
    }
  }

 private:
  static void on_data(XPointer self, XRecordInterceptData* d) {
    auto* me = reinterpret_cast<XRecordInput*>(self);
    if (d->category == XRecordFromServer && d->data_len * 4 >= sizeof(xEvent)) me->take(*reinterpret_cast<const xEvent*>(d->data));
    XRecordFreeData(d);
  }

  void take(const xEvent& ev) {
    const int type = ev.u.u.type & 0x7f;
    InputEvent e;
    switch (type) {
      case KeyPress: e.kind = InputEvent::Kind::KeyDown; break;
      case KeyRelease: e.kind = InputEvent::Kind::KeyUp; break;
      case ButtonPress: e.kind = InputEvent::Kind::ButtonDown; break;
      case ButtonRelease: e.kind = InputEvent::Kind::ButtonUp; break;
      case MotionNotify: e.kind = InputEvent::Kind::Motion; break;
      default: return;
    }
    e.device_time_ms = ev.u.keyButtonPointer.time;
    e.time = to_steady(e.device_time_ms);
    e.at = {ev.u.keyButtonPointer.rootX, ev.u.keyButtonPointer.rootY};
    e.ctrl = held(XK_Control_L) || held(XK_Control_R);
    e.shift = held(XK_Shift_L) || held(XK_Shift_R);
    e.alt = held(XK_Alt_L) || held(XK_Alt_R) || held(XK_Meta_L) || held(XK_Meta_R);
    e.super = held(XK_Super_L) || held(XK_Super_R);
    if (type == ButtonPress || type == ButtonRelease) e.button = ev.u.u.detail;
    if (type == KeyPress || type == KeyRelease) {
      const KeyCode code = ev.u.u.detail;
      KeySym base = XkbKeycodeToKeysym(control_.dpy(), code, 0, 0);
      KeySym shifted = XkbKeycodeToKeysym(control_.dpy(), code, 0, 1);
      if (shifted == NoSymbol) shifted = base;
      KeySym typed = e.shift ? shifted : base;
      if (caps_lock_) {  // caps lock shifts letters only
        KeySym lower = NoSymbol, upper = NoSymbol;
        XConvertCase(base, &lower, &upper);
        if (lower != upper) typed = e.shift ? lower : upper;
      }
      if (const char* name = XKeysymToString(base)) e.key = name;
      else e.key = "0x" + std::to_string(base);
      if (!e.ctrl && !e.alt && !e.super) e.text = keysym_text(typed);
      if (type == KeyPress) {
        held_.insert(base);
        if (base == XK_Caps_Lock) caps_lock_ = !caps_lock_;
      } else {
        held_.erase(base);
      }
    }
    queue_.push_back(std::move(e));
  }

  bool held(KeySym s) const { return held_.count(s) > 0; }

  // Server time is milliseconds on the server's clock, wrapping at 2^32. The first reading comes from a property
  // change (its PropertyNotify carries the server's time), bracketed by our clock; an event can never arrive
  // before it happened, so any event that would lowers the offset.
  Clock::time_point to_steady(std::uint32_t server) {
    long long t = unwrap(server);
    long long now = steady_ms(Clock::now());
    if (t + offset_ms_ > now) offset_ms_ = now - t;
    return Clock::time_point(std::chrono::milliseconds(t + offset_ms_));
  }

  long long unwrap(std::uint32_t server) {
    std::uint32_t low = static_cast<std::uint32_t>(last_server_);
    if (server < low && low - server > 0x80000000u) last_server_ += 0x100000000LL;  // wrapped
    last_server_ = (last_server_ & ~0xffffffffLL) | server;
    return last_server_;
  }

  void sync_clock() {
    Display* d = control_.dpy();
    Window w = XCreateSimpleWindow(d, control_.root(), 0, 0, 1, 1, 0, 0, 0);
    XSelectInput(d, w, PropertyChangeMask);
    Atom a = control_.atom("_DOCKHAND_CLOCK");
    long long before = steady_ms(Clock::now());
    unsigned char v = 0;
    XChangeProperty(d, w, a, XA_INTEGER, 8, PropModeReplace, &v, 1);
    XEvent ev;
    XWindowEvent(d, w, PropertyChangeMask, &ev);
    long long after = steady_ms(Clock::now());
    XDestroyWindow(d, w);
    control_.sync("reading the X server's clock");
    last_server_ = ev.xproperty.time;
    offset_ms_ = (before + after) / 2 - last_server_;
  }

  // Modifiers and caps lock as they are when observing starts (later, the recorded key events keep them).
  void init_modifiers() {
    Display* d = control_.dpy();
    char keys[32] = {};
    XQueryKeymap(d, keys);
    for (int code = 8; code < 256; ++code)
      if (keys[code / 8] & (1 << (code % 8))) held_.insert(XkbKeycodeToKeysym(d, KeyCode(code), 0, 0));
    unsigned state = 0;
    if (XkbGetIndicatorState(d, XkbUseCoreKbd, &state) == Success) caps_lock_ = state & 1;
  }

  X11Connection control_;  // context management and key lookups
  X11Connection data_;     // the recorded stream
  XRecordContext context_ = 0;
  std::deque<InputEvent> queue_;
  std::set<KeySym> held_;
  bool caps_lock_ = false;
  long long last_server_ = 0;
  long long offset_ms_ = 0;
};

}  // namespace

std::unique_ptr<InputEventSource> open_xrecord_input(const std::string& display) {
  return std::make_unique<XRecordInput>(display);
}

}  // namespace dockhand::drivers::x11
