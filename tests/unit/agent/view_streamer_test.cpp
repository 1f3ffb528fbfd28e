// The remote view's streamer (agent/remote_view.h) on a real X server (ctest runs it under with-xvfb.sh):
// a still screen sends one key frame when the watch starts and then nothing, not even the periodic key frame;
// a change sends its tiles and, a key period later, a key frame (a viewer that dropped a delta resyncs); a key
// frame asked for comes at once on a still screen. Time is counted in captures (each at least one frame
// period after the one before), so a slow machine waits longer instead of failing.
#include "agent/remote_view.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include <X11/Xlib.h>  // last: its macros (None, Bool) clash with gtest

namespace {

using dockhand::agent::EncodedFrame;
using dockhand::agent::ViewStreamer;
using namespace std::chrono_literals;

struct Sent {
  bool key;
  std::size_t tiles;
};

class Recorder {
 public:
  void add(const EncodedFrame& f) {
    std::lock_guard lock(m_);
    frames_.push_back({f.key, f.tiles.size()});
    cv_.notify_all();
  }
  std::vector<Sent> frames() {
    std::lock_guard lock(m_);
    return frames_;
  }
  // Waits (generously) until `pred(frames)`; false if it never held.
  template <class Pred>
  bool wait(Pred pred) {
    std::unique_lock lock(m_);
    return cv_.wait_for(lock, 120s, [&] { return pred(frames_); });
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  std::vector<Sent> frames_;
};

// Waits until the streamer captured `n` more screens: at least n frame periods of screen time went by.
bool captures_pass(const ViewStreamer& view, std::uint64_t n) {
  const auto until = std::chrono::steady_clock::now() + 120s;
  const auto target = view.frames_captured() + n;
  while (view.frames_captured() < target)
    if (std::chrono::steady_clock::now() > until) return false;
    else std::this_thread::sleep_for(5ms);
  return true;
}

void paint_root(unsigned long pixel, int x, int y) {
  Display* dpy = XOpenDisplay(nullptr);
  ASSERT_NE(dpy, nullptr) << "no X display (DISPLAY unset?)";
  Window root = DefaultRootWindow(dpy);
  GC gc = XCreateGC(dpy, root, 0, nullptr);
  XSetForeground(dpy, gc, pixel);
  XSetSubwindowMode(dpy, gc, IncludeInferiors);
  XFillRectangle(dpy, root, gc, x, y, 40, 30);
  XSync(dpy, False);
  XFreeGC(dpy, gc);
  XCloseDisplay(dpy);
}

TEST(ViewStreamer, AStillScreenSendsOneKeyFrameThenNothingAChangeIsFollowedByAKeyFrameOneAskedForComesAtOnce) {
  paint_root(0x336699, 0, 0);
  ViewStreamer::Options options;
  options.fps = 20;            // a capture every 50 ms
  options.key_every_ms = 150;  // the periodic key frame would come every 3 captures
  options.watch_lease_ms = 600000;
  Recorder sent;
  ViewStreamer view(options, [&](const EncodedFrame& f, std::int64_t) { sent.add(f); });
  EXPECT_EQ(view.frames_captured(), 0u) << "nothing is captured before someone watches";

  view.watch();
  ASSERT_TRUE(sent.wait([](const auto& f) { return !f.empty(); })) << "no frame after watch()";
  ASSERT_TRUE(sent.frames()[0].key) << "a watch starts with the whole screen";

  // Still: more than 6 key periods of captures, and still only the first key frame.
  ASSERT_TRUE(captures_pass(view, 20));
  EXPECT_EQ(sent.frames().size(), 1u) << "a still screen sent " << sent.frames().size() - 1
                                      << " frames after the first key frame (a periodic key frame with nothing to resync?)";

  // A change: its tiles, then a key frame a key period later (a viewer that dropped the delta resyncs).
  paint_root(0xcc2200, 300, 200);
  ASSERT_TRUE(sent.wait([](const auto& f) { return f.size() >= 2; }));
  EXPECT_FALSE(sent.frames()[1].key);
  EXPECT_EQ(sent.frames()[1].tiles, 1u);
  ASSERT_TRUE(sent.wait([](const auto& f) { return f.size() >= 3; })) << "no key frame after the delta";
  EXPECT_TRUE(sent.frames()[2].key);

  // Still again: the resync was sent, nothing more to send.
  ASSERT_TRUE(captures_pass(view, 20));
  EXPECT_EQ(sent.frames().size(), 3u);

  // Asked for: at once, though nothing changed.
  view.keyframe();
  ASSERT_TRUE(sent.wait([](const auto& f) { return f.size() >= 4; })) << "no key frame on demand";
  EXPECT_TRUE(sent.frames()[3].key);

  view.unwatch();
  EXPECT_FALSE(view.watched());
}

}  // namespace
