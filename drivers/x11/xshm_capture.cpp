#include "drivers/x11/xshm_capture.h"

#include <X11/Xutil.h>
#include <spdlog/spdlog.h>
#include <sys/ipc.h>
#include <sys/shm.h>

#include <algorithm>
#include <cstring>

namespace dockhand::drivers::x11 {
namespace {

// Position of a channel mask's lowest bit and its width, for the slow generic conversion.
struct Channel {
  int shift = 0, bits = 0;
  explicit Channel(unsigned long mask) {
    if (!mask) return;
    while (!(mask & 1)) mask >>= 1, ++shift;
    while (mask & 1) mask >>= 1, ++bits;
  }
  std::uint8_t get(unsigned long pixel) const {
    if (!bits) return 0;
    unsigned long v = (pixel >> shift) & ((1ul << bits) - 1);
    return bits >= 8 ? std::uint8_t(v >> (bits - 8)) : std::uint8_t(v * 255 / ((1ul << bits) - 1));
  }
};

}  // namespace

XShmCapture::XShmCapture(X11Connection& conn) : conn_(conn) {
  Display* d = conn_.dpy();
  visual_ = DefaultVisual(d, conn_.screen());
  depth_ = DefaultDepth(d, conn_.screen());
  shm_ok_ = XShmQueryExtension(d);
  if (const char* off = std::getenv("DOCKHAND_X11_NO_SHM"); off && *off && std::string(off) != "0") shm_ok_ = false;
  if (!shm_ok_) spdlog::info("x11: MIT-SHM not available on '{}', capturing with XGetImage", conn_.name());
}

XShmCapture::~XShmCapture() { detach(); }

Rect XShmCapture::screen() {
  conn_.check("reading the screen size");
  Window root_ret;
  int x, y;
  unsigned w = 0, h = 0, border, depth;
  XGetGeometry(conn_.dpy(), conn_.root(), &root_ret, &x, &y, &w, &h, &border, &depth);
  conn_.check("reading the screen size");
  return {0, 0, int(w), int(h)};
}

bool XShmCapture::attach(int w, int h) {
  detach();
  Display* d = conn_.dpy();
  // A throwaway image header tells us the row size the server will use.
  XImage* probe = XShmCreateImage(d, visual_, unsigned(depth_), ZPixmap, nullptr, &seg_, unsigned(w), unsigned(h));
  if (!probe) return false;
  size_t bytes = size_t(probe->bytes_per_line) * size_t(h);
  probe->data = nullptr;
  XDestroyImage(probe);
  seg_.shmid = shmget(IPC_PRIVATE, bytes, IPC_CREAT | 0600);
  if (seg_.shmid < 0) {
    spdlog::warn("x11: shmget of {} bytes failed ({}), capturing with XGetImage", bytes, std::strerror(errno));
    return false;
  }
  seg_.shmaddr = static_cast<char*>(shmat(seg_.shmid, nullptr, 0));
  if (seg_.shmaddr == reinterpret_cast<char*>(-1)) {
    shmctl(seg_.shmid, IPC_RMID, nullptr);
    seg_.shmaddr = nullptr;
    return false;
  }
  seg_.readOnly = False;
  bool ok;
  {
    X11Connection::ErrorTrap trap(conn_);
    XShmAttach(d, &seg_);
    ok = !trap.failed();
    if (!ok) spdlog::warn("x11: XShmAttach refused: {}; capturing with XGetImage", trap.describe());
  }
  // Marked for removal now: the kernel frees it when both we and the server have detached, even if we crash.
  shmctl(seg_.shmid, IPC_RMID, nullptr);
  if (!ok) {
    shmdt(seg_.shmaddr);
    seg_.shmaddr = nullptr;
    return false;
  }
  attached_ = true;
  seg_w_ = w;
  seg_h_ = h;
  return true;
}

void XShmCapture::detach() {
  if (!attached_) return;
  if (!conn_.lost()) {
    XShmDetach(conn_.dpy(), &seg_);
    XSync(conn_.dpy(), False);
  }
  shmdt(seg_.shmaddr);
  seg_.shmaddr = nullptr;
  attached_ = false;
}

Frame XShmCapture::copy_out(XImage* img, Rect r) {
  Frame f;
  f.width = r.w;
  f.height = r.h;
  f.stride = r.w * 4;
  f.origin = {r.x, r.y};
  f.pixels.resize(size_t(f.stride) * size_t(r.h));
  const bool native = img->bits_per_pixel == 32 && img->byte_order == LSBFirst && img->red_mask == 0xff0000 &&
                      img->green_mask == 0xff00 && img->blue_mask == 0xff;
  if (native) {  // already B,G,R,X in memory: rows are copied as they are
    if (img->bytes_per_line == f.stride) {
      std::memcpy(f.pixels.data(), img->data, f.pixels.size());
    } else {
      for (int y = 0; y < r.h; ++y)
        std::memcpy(f.pixels.data() + size_t(y) * f.stride, img->data + size_t(y) * img->bytes_per_line, f.stride);
    }
    return f;
  }
  Channel red(img->red_mask), green(img->green_mask), blue(img->blue_mask);
  for (int y = 0; y < r.h; ++y) {
    std::uint8_t* out = f.pixels.data() + size_t(y) * f.stride;
    for (int x = 0; x < r.w; ++x, out += 4) {
      unsigned long p = XGetPixel(img, x, y);
      out[0] = blue.get(p);
      out[1] = green.get(p);
      out[2] = red.get(p);
      out[3] = 0xff;
    }
  }
  return f;
}

Frame XShmCapture::capture(std::optional<Rect> region) {
  const char* doing = "capturing the screen";
  Rect scr = screen();
  Rect r = scr;
  if (region) {
    int x0 = std::max(region->x, 0), y0 = std::max(region->y, 0);
    int x1 = std::min(region->x + region->w, scr.w), y1 = std::min(region->y + region->h, scr.h);
    r = {x0, y0, x1 - x0, y1 - y0};
    if (r.empty()) {
      Frame f;
      f.origin = {region->x, region->y};
      return f;
    }
  }
  Display* d = conn_.dpy();
  if (shm_ok_ && (!attached_ || seg_w_ != scr.w || seg_h_ != scr.h)) shm_ok_ = attach(scr.w, scr.h);
  conn_.check(doing);
  if (shm_ok_) {
    // A header for exactly the region, pointing into the shared segment (sized for the whole screen).
    XImage* img = XShmCreateImage(d, visual_, unsigned(depth_), ZPixmap, seg_.shmaddr, &seg_, unsigned(r.w),
                                  unsigned(r.h));
    if (img) {
      Status ok = XShmGetImage(d, conn_.root(), img, r.x, r.y, AllPlanes);
      conn_.check(doing);
      if (ok) {
        Frame f = copy_out(img, r);
        img->data = nullptr;  // the segment is ours, not the image's
        XDestroyImage(img);
        return f;
      }
      img->data = nullptr;
      XDestroyImage(img);
    }
    spdlog::warn("x11: XShmGetImage failed, falling back to XGetImage");
    detach();
    shm_ok_ = false;
  }
  XImage* img = nullptr;
  {
    X11Connection::ErrorTrap trap(conn_);
    img = XGetImage(d, conn_.root(), r.x, r.y, unsigned(r.w), unsigned(r.h), AllPlanes, ZPixmap);
    conn_.check(doing);
    if (img && trap.failed()) {
      XDestroyImage(img);
      img = nullptr;
    }
    if (!img)
      throw DesktopError(std::string(doing) + ": XGetImage failed" + (trap.error_code() ? ": " + trap.describe() : ""));
  }
  Frame f = copy_out(img, r);
  XDestroyImage(img);
  return f;
}

}  // namespace dockhand::drivers::x11
