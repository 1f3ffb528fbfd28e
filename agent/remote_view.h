// The remote view: the desktop as JPEG tiles, only the parts that changed since the last frame, with a key
// frame (the whole screen) a few seconds after changes and on demand; captured at a few frames a second while
// someone watches, nothing at all otherwise. Implemented in agent/view/.
#pragma once

#include "drivers/desktop.h"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace dockhand::agent {

struct EncodedTile {
  drivers::Rect rect;
  std::string jpeg;
};

struct EncodedFrame {
  bool key = false;
  int width = 0, height = 0;
  std::vector<EncodedTile> tiles;  // empty: nothing changed
  std::size_t bytes() const;
};

// Compares each frame with the one before, tile by tile, and encodes what changed. Pure: no I/O.
class FrameEncoder {
 public:
  struct Options {
    int tile = 64;                // tile size in pixels
    int quality = 75;             // JPEG quality
    std::size_t max_tiles = 16;   // more changed areas than this are sent as their bounding box
  };
  FrameEncoder() = default;
  explicit FrameEncoder(Options options) : o_(options) {}
  // `key`: the whole screen (also the first frame, and after the screen's size changed).
  EncodedFrame encode(const drivers::Frame& screen, bool key);

 private:
  Options o_;
  std::vector<std::uint8_t> previous_;  // the last frame's pixels, packed rows (width * 4)
  int width_ = 0, height_ = 0;
};

// Captures the screen on a thread of its own, with a Desktop of its own, while watched, and hands every
// frame that has something in it to `send` (on that thread). A still screen sends nothing: the periodic key
// frame only follows deltas (to resync a viewer that dropped one); keyframe() sends one at once.
class ViewStreamer {
 public:
  struct Options {
    std::string display;       // as drivers::open_desktop
    int fps = 5;
    int key_every_ms = 4000;   // while watched, a key frame this long after the last one if deltas were sent since
    int watch_lease_ms = 10000;  // watched until this long after the last watch()
    FrameEncoder::Options encoder;
  };
  using Send = std::function<void(const EncodedFrame& frame, std::int64_t captured_ms)>;
  ViewStreamer(Options options, Send send);
  ~ViewStreamer();
  ViewStreamer(const ViewStreamer&) = delete;
  ViewStreamer& operator=(const ViewStreamer&) = delete;

  void watch();     // start, or renew the lease (the next frame is a key frame when it starts)
  void unwatch();   // stop now
  void keyframe();  // the next frame is a key frame, at once
  bool watched() const;
  std::uint64_t frames_sent() const;      // frames handed to `send` (something changed, or a key frame)
  std::uint64_t frames_captured() const;  // screens captured (only while watched)

 private:
  void loop();
  Options o_;
  Send send_;
  mutable std::mutex m_;
  std::condition_variable cv_;
  bool stop_ = false, key_ = false;
  std::chrono::steady_clock::time_point watched_until_{};
  std::uint64_t sent_ = 0, captured_ = 0;
  std::thread thread_;
};

}  // namespace dockhand::agent
