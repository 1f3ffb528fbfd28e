// Screen capture: MIT-SHM into one shared segment kept for the life of the connection (sized for the whole
// screen, recreated when the screen size changes), XGetImage when SHM is missing or refused (remote display,
// no shared memory between us and the server).
#pragma once

#include <X11/Xlib.h>
#include <X11/extensions/XShm.h>

#include <optional>

#include "drivers/desktop.h"
#include "drivers/x11/x11_connection.h"

namespace dockhand::drivers::x11 {

class XShmCapture {
 public:
  explicit XShmCapture(X11Connection& conn);
  ~XShmCapture();
  XShmCapture(const XShmCapture&) = delete;
  XShmCapture& operator=(const XShmCapture&) = delete;

  Rect screen();
  // Region is clipped to the screen; a region entirely off screen gives an empty frame.
  Frame capture(std::optional<Rect> region);
  bool using_shm() const { return shm_ok_; }

 private:
  bool attach(int w, int h);
  void detach();
  Frame copy_out(XImage* img, Rect r);

  X11Connection& conn_;
  bool shm_ok_ = false;
  XShmSegmentInfo seg_{};
  bool attached_ = false;
  int seg_w_ = 0, seg_h_ = 0;  // the screen size the segment was made for
  Visual* visual_ = nullptr;
  int depth_ = 0;
};

}  // namespace dockhand::drivers::x11
