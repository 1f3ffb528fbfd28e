#include "drivers/x11/ewmh_windows.h"

#include <X11/Xatom.h>
#include <X11/Xutil.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <thread>

namespace dockhand::drivers::x11 {
namespace {

std::string latin1_to_utf8(const unsigned char* s, size_t n) {
  std::string out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    unsigned char c = s[i];
    if (c < 0x80) {
      out += char(c);
    } else {
      out += char(0xc0 | (c >> 6));
      out += char(0x80 | (c & 0x3f));
    }
  }
  return out;
}

std::string hex_id(std::uint64_t id) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(id));
  return buf;
}

}  // namespace

EwmhWindows::EwmhWindows(X11Connection& conn) : conn_(conn) {}

std::vector<unsigned char> EwmhWindows::property(Window w, Atom prop, Atom type, int, unsigned long* items,
                                                 Atom* actual_type) {
  Atom actual = None;
  int format = 0;
  unsigned long n = 0, after = 0;
  unsigned char* data = nullptr;
  *items = 0;
  if (XGetWindowProperty(conn_.dpy(), w, prop, 0, 1 << 20, False, type, &actual, &format, &n, &after, &data) !=
          Success ||
      !data) {
    if (data) XFree(data);
    return {};
  }
  // Xlib hands 32-bit items back as longs (8 bytes on LP64).
  size_t item_size = format == 32 ? sizeof(long) : size_t(format / 8);
  std::vector<unsigned char> out(data, data + n * item_size);
  XFree(data);
  *items = n;
  if (actual_type) *actual_type = actual;
  return out;
}

bool EwmhWindows::wm_running() {
  X11Connection::ErrorTrap trap(conn_);
  unsigned long n = 0;
  Atom check = conn_.atom("_NET_SUPPORTING_WM_CHECK");
  auto v = property(conn_.root(), check, XA_WINDOW, 32, &n);
  if (n < 1) return false;
  Window child = Window(reinterpret_cast<const long*>(v.data())[0]);
  // A stale property (the WM died) points at a window that no longer exists or no longer points to itself.
  auto v2 = property(child, check, XA_WINDOW, 32, &n);
  bool ok = !trap.failed() && n >= 1 && Window(reinterpret_cast<const long*>(v2.data())[0]) == child;
  conn_.check("looking for a window manager");
  return ok;
}

std::string EwmhWindows::wm_name() {
  if (!wm_running()) return {};
  X11Connection::ErrorTrap trap(conn_);
  unsigned long n = 0;
  auto v = property(conn_.root(), conn_.atom("_NET_SUPPORTING_WM_CHECK"), XA_WINDOW, 32, &n);
  if (n < 1) return {};
  std::string name = title(Window(reinterpret_cast<const long*>(v.data())[0]));
  return trap.failed() ? std::string() : name;
}

std::string EwmhWindows::title(Window w) {
  unsigned long n = 0;
  auto v = property(w, conn_.atom("_NET_WM_NAME"), conn_.atom("UTF8_STRING"), 8, &n);
  if (n > 0) return std::string(v.begin(), v.end());
  Atom type = None;
  v = property(w, XA_WM_NAME, AnyPropertyType, 8, &n, &type);
  if (n == 0) return {};
  if (type == XA_STRING) return latin1_to_utf8(v.data(), v.size());
  if (type == conn_.atom("UTF8_STRING")) return std::string(v.begin(), v.end());
  // COMPOUND_TEXT and friends: let Xlib convert.
  XTextProperty tp{v.data(), type, 8, n};
  char** list = nullptr;
  int count = 0;
  std::string out;
  if (Xutf8TextPropertyToTextList(conn_.dpy(), &tp, &list, &count) >= Success && list) {
    if (count > 0 && list[0]) out = list[0];
    XFreeStringList(list);
  }
  return out;
}

std::vector<Window> EwmhWindows::client_windows() {
  std::vector<Window> out;
  Display* d = conn_.dpy();
  if (wm_running()) {
    for (const char* name : {"_NET_CLIENT_LIST_STACKING", "_NET_CLIENT_LIST"}) {
      unsigned long n = 0;
      auto v = property(conn_.root(), conn_.atom(name), XA_WINDOW, 32, &n);
      if (n == 0) continue;
      const long* ids = reinterpret_cast<const long*>(v.data());
      for (unsigned long i = n; i-- > 0;) out.push_back(Window(ids[i]));  // stacking is bottom to top
      return out;
    }
  }
  // No EWMH list: the root's children, topmost first. A non-EWMH window manager reparents clients into frames,
  // so look one level down for the window carrying WM_STATE.
  Window root_ret, parent;
  Window* children = nullptr;
  unsigned n = 0;
  if (!XQueryTree(d, conn_.root(), &root_ret, &parent, &children, &n)) return out;
  std::vector<Window> tops(children, children + n);
  if (children) XFree(children);
  Atom wm_state = conn_.atom("WM_STATE");
  X11Connection::ErrorTrap trap(conn_);  // children may vanish while we look
  for (auto it = tops.rbegin(); it != tops.rend(); ++it) {
    unsigned long items = 0;
    property(*it, wm_state, AnyPropertyType, 32, &items);
    if (items > 0) {
      out.push_back(*it);
      continue;
    }
    Window* grand = nullptr;
    unsigned gn = 0;
    Window found = None;
    if (XQueryTree(d, *it, &root_ret, &parent, &grand, &gn)) {
      for (unsigned i = 0; i < gn && !found; ++i) {
        property(grand[i], wm_state, AnyPropertyType, 32, &items);
        if (items > 0) found = grand[i];
      }
      if (grand) XFree(grand);
    }
    out.push_back(found ? found : *it);
  }
  conn_.check("listing windows");
  return out;
}

std::optional<WindowInfo> EwmhWindows::describe(Window w) {
  Display* d = conn_.dpy();
  X11Connection::ErrorTrap trap(conn_);
  XWindowAttributes attr{};
  if (!XGetWindowAttributes(d, w, &attr) || trap.failed()) return std::nullopt;
  if (attr.c_class == InputOnly) return std::nullopt;
  WindowInfo info;
  info.id = w;
  info.title = title(w);
  int x = 0, y = 0;
  Window child;
  XTranslateCoordinates(d, w, conn_.root(), 0, 0, &x, &y, &child);
  info.client = {x, y, attr.width, attr.height};
  info.rect = info.client;
  unsigned long n = 0;
  auto ext = property(w, conn_.atom("_NET_FRAME_EXTENTS"), XA_CARDINAL, 32, &n);
  if (n == 4) {
    const long* e = reinterpret_cast<const long*>(ext.data());  // left, right, top, bottom
    info.rect = {x - int(e[0]), y - int(e[2]), attr.width + int(e[0] + e[1]), attr.height + int(e[2] + e[3])};
  }
  info.visible = attr.map_state == IsViewable;
  auto states = property(w, conn_.atom("_NET_WM_STATE"), XA_ATOM, 32, &n);
  Atom hidden = conn_.atom("_NET_WM_STATE_HIDDEN");
  for (unsigned long i = 0; i < n; ++i)
    if (Atom(reinterpret_cast<const long*>(states.data())[i]) == hidden) info.visible = false;
  auto pid = property(w, conn_.atom("_NET_WM_PID"), XA_CARDINAL, 32, &n);
  if (n >= 1) info.pid = int(reinterpret_cast<const long*>(pid.data())[0]);
  if (trap.failed()) return std::nullopt;  // vanished while we looked
  conn_.check("describing a window");
  // Without a window manager, unnamed override-redirect windows are menus and tooltips, not windows.
  if (attr.override_redirect && info.title.empty()) return std::nullopt;
  return info;
}

std::vector<WindowInfo> EwmhWindows::list() {
  conn_.check("listing windows");
  std::vector<WindowInfo> out;
  for (Window w : client_windows()) {
    auto info = describe(w);
    if (info && !info->title.empty()) out.push_back(std::move(*info));
  }
  conn_.check("listing windows");
  return out;
}

std::optional<WindowInfo> EwmhWindows::find(std::string_view title_part) {
  for (auto& w : list())
    if (w.visible && w.title.find(title_part) != std::string::npos) return w;
  return std::nullopt;
}

Window EwmhWindows::toplevel_of(Window w) {
  Display* d = conn_.dpy();
  X11Connection::ErrorTrap trap(conn_);
  while (w != None && w != conn_.root()) {
    Window root_ret, parent = None;
    Window* children = nullptr;
    unsigned n = 0;
    if (!XQueryTree(d, w, &root_ret, &parent, &children, &n)) return None;
    if (children) XFree(children);
    if (parent == conn_.root()) return w;
    w = parent;
  }
  return None;
}

std::optional<WindowInfo> EwmhWindows::active() {
  conn_.check("reading the active window");
  if (wm_running()) {
    unsigned long n = 0;
    auto v = property(conn_.root(), conn_.atom("_NET_ACTIVE_WINDOW"), XA_WINDOW, 32, &n);
    conn_.check("reading the active window");
    if (n >= 1) {
      Window w = Window(reinterpret_cast<const long*>(v.data())[0]);
      if (w == None) return std::nullopt;
      return describe(w);
    }
  }
  Window focus = None;
  int revert = 0;
  XGetInputFocus(conn_.dpy(), &focus, &revert);
  conn_.check("reading the active window");
  if (focus == None || focus == PointerRoot) return std::nullopt;
  Window top = toplevel_of(focus);
  if (top == None) return std::nullopt;
  return describe(top);
}

void EwmhWindows::activate(std::uint64_t id) {
  const std::string doing = "activating window " + hex_id(id);
  conn_.check(doing.c_str());
  Display* d = conn_.dpy();
  Window w = Window(id);
  {
    X11Connection::ErrorTrap trap(conn_);
    XWindowAttributes attr{};
    if (!XGetWindowAttributes(d, w, &attr) || trap.failed())
      throw DesktopError(doing + ": no such window (it was closed?)");
  }
  auto is_active = [&] {
    auto a = active();
    return a && a->id == id;
  };
  if (wm_running()) {
    XEvent ev{};
    ev.xclient.type = ClientMessage;
    ev.xclient.window = w;
    ev.xclient.message_type = conn_.atom("_NET_ACTIVE_WINDOW");
    ev.xclient.format = 32;
    ev.xclient.data.l[0] = 2;  // source: a pager/tool acting for the user, which window managers obey
    ev.xclient.data.l[1] = CurrentTime;
    ev.xclient.data.l[2] = 0;
    XSendEvent(d, conn_.root(), False, SubstructureRedirectMask | SubstructureNotifyMask, &ev);
    conn_.sync(doing.c_str());
    for (int i = 0; i < 200; ++i) {  // up to 1 s for the WM to act
      if (is_active()) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    spdlog::warn("x11: window manager did not activate {} on request; raising and focusing directly", hex_id(id));
  }
  {
    X11Connection::ErrorTrap trap(conn_);
    XMapRaised(d, w);
    XRaiseWindow(d, w);
    XSync(d, False);
    // XSetInputFocus needs a viewable window; a window manager may take a moment to map it.
    for (int i = 0; i < 200; ++i) {
      XWindowAttributes attr{};
      if (XGetWindowAttributes(d, w, &attr) && attr.map_state == IsViewable) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    XSetInputFocus(d, w, RevertToParent, CurrentTime);
    if (trap.failed()) throw DesktopError(doing + ": " + trap.describe());
  }
  conn_.check(doing.c_str());
  for (int i = 0; i < 200; ++i) {
    if (is_active()) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  throw DesktopError(doing + ": the window did not become active within 2 s");
}

}  // namespace dockhand::drivers::x11
