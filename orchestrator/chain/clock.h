// The chain's notion of now. Injected so tests can jump 15 or 30 minutes without waiting.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <optional>
#include <string>

namespace dockhand::chain {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::chrono::system_clock::time_point now() const = 0;
  std::int64_t now_ms() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(now().time_since_epoch()).count();
  }
};

class SystemClock : public Clock {
 public:
  std::chrono::system_clock::time_point now() const override { return std::chrono::system_clock::now(); }
};

// A clock that only moves when told to.
class ManualClock : public Clock {
 public:
  explicit ManualClock(std::chrono::system_clock::time_point start) : ms_(to_ms(start)) {}
  std::chrono::system_clock::time_point now() const override {
    return std::chrono::system_clock::time_point(std::chrono::milliseconds(ms_.load()));
  }
  void advance(std::chrono::milliseconds by) { ms_ += by.count(); }

 private:
  static std::int64_t to_ms(std::chrono::system_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  }
  std::atomic<std::int64_t> ms_;
};

// "2026-12-06T20:01:02.123Z" (the event log's times; "2026-12-06" alone is that day's midnight) -> milliseconds
// since the epoch, UTC; nullopt if not one.
inline std::optional<std::int64_t> iso_to_ms_utc(const std::string& text) {
  std::tm tm{};
  int ms = 0;
  const int read = std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%3d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                               &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms);
  if (read != 3 && read < 6) return std::nullopt;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<std::int64_t>(::timegm(&tm)) * 1000 + ms;
}

}  // namespace dockhand::chain
