// Top-level windows: EWMH (_NET_CLIENT_LIST, _NET_WM_NAME, _NET_ACTIVE_WINDOW, _NET_FRAME_EXTENTS) when an
// EWMH window manager runs; without one, the root window's mapped children with a title, raised and focused
// directly. Windows are listed topmost first.
#pragma once

#include <X11/Xlib.h>

#include <optional>
#include <string>
#include <vector>

#include "drivers/desktop.h"
#include "drivers/x11/x11_connection.h"

namespace dockhand::drivers::x11 {

class EwmhWindows {
 public:
  explicit EwmhWindows(X11Connection& conn);

  std::vector<WindowInfo> list();
  std::optional<WindowInfo> find(std::string_view title_part);
  void activate(std::uint64_t id);
  std::optional<WindowInfo> active();
  // The name of the running EWMH window manager, empty when none runs.
  std::string wm_name();

 private:
  bool wm_running();
  std::vector<Window> client_windows();
  std::optional<WindowInfo> describe(Window w);
  std::string title(Window w);
  std::vector<unsigned char> property(Window w, Atom prop, Atom type, int format_hint, unsigned long* items,
                                      Atom* actual_type = nullptr);
  Window toplevel_of(Window w);

  X11Connection& conn_;
};

}  // namespace dockhand::drivers::x11
