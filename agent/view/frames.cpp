// FrameEncoder and ViewStreamer (agent/remote_view.h).
#include "agent/remote_view.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>

namespace dockhand::agent {

std::size_t EncodedFrame::bytes() const {
  std::size_t n = 0;
  for (const auto& t : tiles) n += t.jpeg.size();
  return n;
}

namespace {

std::string jpeg_of(const cv::Mat& bgra, const cv::Rect& r, int quality) {
  cv::Mat bgr;
  cv::cvtColor(bgra(r), bgr, cv::COLOR_BGRA2BGR);
  std::vector<std::uint8_t> out;
  cv::imencode(".jpg", bgr, out, {cv::IMWRITE_JPEG_QUALITY, quality});
  return std::string(out.begin(), out.end());
}

}  // namespace

EncodedFrame FrameEncoder::encode(const drivers::Frame& screen, bool key) {
  EncodedFrame out;
  out.width = screen.width;
  out.height = screen.height;
  if (screen.empty()) return out;
  cv::Mat now(screen.height, screen.width, CV_8UC4, const_cast<std::uint8_t*>(screen.pixels.data()), screen.stride);
  const std::size_t row = static_cast<std::size_t>(screen.width) * 4;
  const bool size_changed = screen.width != width_ || screen.height != height_;
  if (key || size_changed || previous_.empty()) {
    out.key = true;
    out.tiles.push_back({{0, 0, screen.width, screen.height}, jpeg_of(now, {0, 0, screen.width, screen.height}, o_.quality)});
  } else {
    // Which tiles changed: a row of a tile compared with memcmp (the screen mostly holds still).
    const int t = std::max(8, o_.tile);
    const int cols = (screen.width + t - 1) / t, rows = (screen.height + t - 1) / t;
    std::vector<char> changed(static_cast<std::size_t>(cols) * rows, 0);
    for (int ty = 0; ty < rows; ++ty)
      for (int tx = 0; tx < cols; ++tx) {
        const int x0 = tx * t, w = std::min(t, screen.width - x0);
        for (int y = ty * t; y < std::min((ty + 1) * t, screen.height); ++y)
          if (std::memcmp(now.ptr(y) + x0 * 4, previous_.data() + y * row + x0 * 4, static_cast<std::size_t>(w) * 4)) {
            changed[static_cast<std::size_t>(ty) * cols + tx] = 1;
            break;
          }
      }
    // Runs of changed tiles in each tile row, then runs with the same columns in consecutive rows joined.
    std::vector<cv::Rect> areas;
    for (int ty = 0; ty < rows; ++ty)
      for (int tx = 0; tx < cols;) {
        if (!changed[static_cast<std::size_t>(ty) * cols + tx]) {
          ++tx;
          continue;
        }
        int end = tx;
        while (end < cols && changed[static_cast<std::size_t>(ty) * cols + end]) ++end;
        cv::Rect run(tx * t, ty * t, (end - tx) * t, t);
        bool joined = false;
        for (auto& a : areas)
          if (a.x == run.x && a.width == run.width && a.y + a.height == run.y) {
            a.height += t;
            joined = true;
            break;
          }
        if (!joined) areas.push_back(run);
        tx = end;
      }
    if (areas.size() > o_.max_tiles) {
      cv::Rect all = areas.front();
      for (const auto& a : areas) all |= a;
      areas = {all};
    }
    const cv::Rect whole(0, 0, screen.width, screen.height);
    for (auto a : areas) {
      a &= whole;
      out.tiles.push_back({{a.x, a.y, a.width, a.height}, jpeg_of(now, a, o_.quality)});
    }
  }
  if (!out.tiles.empty() || size_changed || previous_.empty()) {
    width_ = screen.width;
    height_ = screen.height;
    previous_.resize(row * screen.height);
    for (int y = 0; y < screen.height; ++y) std::memcpy(previous_.data() + y * row, now.ptr(y), row);
  }
  return out;
}

ViewStreamer::ViewStreamer(Options options, Send send) : o_(std::move(options)), send_(std::move(send)) {
  thread_ = std::thread([this] { loop(); });
}

ViewStreamer::~ViewStreamer() {
  {
    std::lock_guard lock(m_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void ViewStreamer::watch() {
  {
    std::lock_guard lock(m_);
    if (std::chrono::steady_clock::now() >= watched_until_) key_ = true;  // a new watch starts with the whole screen
    watched_until_ = std::chrono::steady_clock::now() + std::chrono::milliseconds(o_.watch_lease_ms);
  }
  cv_.notify_all();
}

void ViewStreamer::unwatch() {
  {
    std::lock_guard lock(m_);
    watched_until_ = {};
  }
  cv_.notify_all();
}

void ViewStreamer::keyframe() {
  {
    std::lock_guard lock(m_);
    key_ = true;
  }
  cv_.notify_all();
}

bool ViewStreamer::watched() const {
  std::lock_guard lock(m_);
  return std::chrono::steady_clock::now() < watched_until_;
}

std::uint64_t ViewStreamer::frames_sent() const {
  std::lock_guard lock(m_);
  return sent_;
}

std::uint64_t ViewStreamer::frames_captured() const {
  std::lock_guard lock(m_);
  return captured_;
}

void ViewStreamer::loop() {
  using Clock = std::chrono::steady_clock;
  std::unique_ptr<drivers::Desktop> desktop;
  FrameEncoder encoder(o_.encoder);
  Clock::time_point last_key{};
  bool deltas_since_key = false;  // changed tiles sent since the last key frame
  const auto period = std::chrono::milliseconds(1000 / std::max(1, o_.fps));
  std::unique_lock lock(m_);
  while (!stop_) {
    // Not watched: sleep until someone watches (no capture, no cost).
    if (Clock::now() >= watched_until_) {
      cv_.wait(lock, [&] { return stop_ || Clock::now() < watched_until_; });
      continue;
    }
    // The periodic key frame resyncs a viewer that lost a delta: after no delta there is nothing to resync,
    // so a still screen sends nothing at all. Asked for (a new viewer, a viewer that fell behind): at once.
    const bool key = key_ || (deltas_since_key && Clock::now() - last_key >= std::chrono::milliseconds(o_.key_every_ms));
    key_ = false;
    ++captured_;
    lock.unlock();
    const auto started = Clock::now();
    try {
      if (!desktop) desktop = drivers::open_desktop(o_.display);
      auto screen = desktop->capture();
      const auto captured_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch()).count();
      auto frame = encoder.encode(screen, key);
      if (frame.key) last_key = started;
      if (!frame.tiles.empty()) {
        deltas_since_key = !frame.key;
        send_(frame, captured_ms);
        std::lock_guard count(m_);
        ++sent_;
      }
    } catch (const std::exception& e) {
      spdlog::warn("agent: remote view: {}", e.what());
      desktop.reset();
      lock.lock();
      cv_.wait_for(lock, std::chrono::seconds(2), [&] { return stop_; });
      continue;
    }
    lock.lock();
    cv_.wait_until(lock, started + period, [&] { return stop_ || key_; });
  }
}

}  // namespace dockhand::agent
