#include "drivers/x11/x11_connection.h"

#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>

#include "drivers/desktop.h"

namespace dockhand::drivers::x11 {
namespace {

// Xlib's error hooks are process-wide: they find the connection by its Display*.
std::mutex registry_mutex;
std::map<Display*, X11Connection*>& registry() {
  static std::map<Display*, X11Connection*> r;
  return r;
}
XErrorHandler previous_error_handler = nullptr;
XIOErrorHandler previous_io_handler = nullptr;
std::once_flag handlers_installed;

X11Connection* find_connection(Display* d) {
  std::lock_guard lock(registry_mutex);
  auto it = registry().find(d);
  return it == registry().end() ? nullptr : it->second;
}

std::string shown_name(const std::string& requested) {
  if (!requested.empty()) return requested;
  const char* env = std::getenv("DISPLAY");
  return env ? env : "";
}

}  // namespace

int X11Connection::on_error(Display* d, XErrorEvent* e) {
  X11Connection* conn = find_connection(d);
  if (!conn) return previous_error_handler ? previous_error_handler(d, e) : 0;
  if (conn->trap_) {
    if (conn->trap_->code_ == 0) {
      conn->trap_->code_ = e->error_code;
      conn->trap_->request_ = e->request_code;
    }
    return 0;
  }
  // An error nobody expected (a window vanished between two requests): log it, never exit.
  char text[128] = {};
  XGetErrorText(d, e->error_code, text, sizeof text);
  if (conn->unexpected_errors_++ < 20)
    spdlog::warn("x11: unexpected X error on {}: {} (request {}.{}, resource 0x{:x})", conn->name_, text,
                 int(e->request_code), int(e->minor_code), e->resourceid);
  return 0;
}

int X11Connection::on_io_error(Display* d) {
  X11Connection* conn = find_connection(d);
  if (!conn) return previous_io_handler ? previous_io_handler(d) : 0;
  conn->lost_ = true;
  return 0;  // returning is allowed because on_io_exit (below) returns too; see the header.
}

void X11Connection::on_io_exit(Display*, void* self) { static_cast<X11Connection*>(self)->lost_ = true; }

X11Connection::X11Connection(const std::string& display_name) : name_(shown_name(display_name)) {
  std::call_once(handlers_installed, [] {
    previous_error_handler = XSetErrorHandler(&X11Connection::on_error);
    previous_io_handler = XSetIOErrorHandler(&X11Connection::on_io_error);
  });
  if (name_.empty()) throw DesktopError("cannot open X display: DISPLAY is not set and no display was given");
  errno = 0;
  dpy_ = XOpenDisplay(name_.c_str());
  if (!dpy_) {
    int err = errno;
    std::string why = "no X server is reachable there, or it refused the connection";
    if (err) why += std::string(" (") + std::strerror(err) + ")";
    throw DesktopError("cannot open X display '" + name_ + "': " + why);
  }
  {
    std::lock_guard lock(registry_mutex);
    registry()[dpy_] = this;
  }
  XSetIOErrorExitHandler(dpy_, &X11Connection::on_io_exit, this);
}

X11Connection::~X11Connection() {
  // Close while still registered: on a dead connection XCloseDisplay may raise the I/O error again, and it must
  // reach our handlers, not Xlib's exit().
  XCloseDisplay(dpy_);
  std::lock_guard lock(registry_mutex);
  registry().erase(dpy_);
}

void X11Connection::check(const char* doing) const {
  if (lost_)
    throw DesktopError(std::string(doing) + ": the connection to X display '" + name_ +
                       "' was lost (the X server went away)");
}

void X11Connection::sync(const char* doing) const {
  check(doing);
  XSync(dpy_, False);
  check(doing);
}

Atom X11Connection::atom(const char* name) {
  auto it = atoms_.find(name);
  if (it != atoms_.end()) return it->second;
  Atom a = XInternAtom(dpy_, name, False);
  check("interning an X atom");
  atoms_.emplace(name, a);
  return a;
}

X11Connection::ErrorTrap::ErrorTrap(X11Connection& conn) : conn_(conn), previous_(conn.trap_) {
  // Errors from requests sent before the trap belong to whoever sent them.
  XSync(conn_.dpy_, False);
  conn_.trap_ = this;
}

X11Connection::ErrorTrap::~ErrorTrap() {
  if (!conn_.lost_) XSync(conn_.dpy_, False);
  conn_.trap_ = previous_;
}

bool X11Connection::ErrorTrap::failed() {
  if (!conn_.lost_) XSync(conn_.dpy_, False);
  return code_ != 0;
}

std::string X11Connection::ErrorTrap::describe() const {
  char text[128] = {};
  XGetErrorText(conn_.dpy_, code_, text, sizeof text);
  return std::string(text) + " (request " + std::to_string(int(request_)) + ")";
}

}  // namespace dockhand::drivers::x11
