// One Xlib connection with error handling that never aborts the process.
//
// Xlib reports two kinds of failure through process-wide hooks:
//  - protocol errors (BadWindow for a window that vanished, BadMatch, BadAccess from XShmAttach): the default
//    handler prints and exit()s. Ours records the error for the display that caused it; code that expects one
//    wraps the requests in an ErrorTrap and turns the recorded error into a DesktopError or a fallback.
//  - fatal I/O errors (the X server went away): the default handler exit()s, and the handler must not return
//    on old libX11. libX11 >= 1.7 (Debian 12 ships 1.8.4) has XSetIOErrorExitHandler: when both the I/O error
//    handler and the per-display exit handler return, _XIOError returns to its caller, the in-flight request
//    fails, and the Display is flagged dead (later requests return at once). We mark the connection lost and
//    every public call checks that flag and throws DesktopError.
#pragma once

#include <X11/Xlib.h>

#include <atomic>
#include <string>
#include <unordered_map>

namespace dockhand::drivers::x11 {

class X11Connection {
 public:
  // Opens `display_name` (empty = $DISPLAY). Throws DesktopError("cannot open X display ':99': ...").
  explicit X11Connection(const std::string& display_name);
  ~X11Connection();
  X11Connection(const X11Connection&) = delete;
  X11Connection& operator=(const X11Connection&) = delete;

  Display* dpy() const { return dpy_; }
  Window root() const { return DefaultRootWindow(dpy_); }
  int screen() const { return DefaultScreen(dpy_); }
  const std::string& name() const { return name_; }

  bool lost() const { return lost_.load(); }
  // Throws DesktopError("<doing>: connection to X display ':5' lost ...") when the server went away.
  void check(const char* doing) const;
  // XSync, then check().
  void sync(const char* doing) const;

  // Atoms are interned once per name (XInternAtom is a round trip).
  Atom atom(const char* name);

  // Records the first protocol error raised between construction and release(); restores the previous trap
  // on destruction, so traps nest.
  class ErrorTrap {
   public:
    explicit ErrorTrap(X11Connection& conn);
    ~ErrorTrap();
    // XSync, then report whether a protocol error arrived since the trap was set.
    bool failed();
    int error_code() const { return code_; }
    unsigned char request_code() const { return request_; }
    std::string describe() const;  // "BadWindow (invalid Window parameter), request 20"

   private:
    friend class X11Connection;
    X11Connection& conn_;
    ErrorTrap* previous_;
    int code_ = 0;
    unsigned char request_ = 0;
  };

 private:
  static int on_error(Display* d, XErrorEvent* e);
  static int on_io_error(Display* d);
  static void on_io_exit(Display* d, void* self);

  std::string name_;
  Display* dpy_ = nullptr;
  std::atomic<bool> lost_{false};
  ErrorTrap* trap_ = nullptr;
  int unexpected_errors_ = 0;
  std::unordered_map<std::string, Atom> atoms_;
};

}  // namespace dockhand::drivers::x11
