// A token bucket per SP-API operation: `rate` requests per second, up to `burst` at once.
// Seeded from the models' usage plans, updated from x-amzn-RateLimit-Limit, drained on a 429.
#pragma once

#include <chrono>
#include <functional>
#include <mutex>

namespace dockhand::spapi {

class TokenBucket {
 public:
  using Clock = std::chrono::steady_clock;
  TokenBucket(double rate, double burst, std::function<Clock::time_point()> now = Clock::now);

  // Takes one token. Returns how long the caller must wait before sending (zero when a token was ready);
  // the token is reserved either way, so concurrent callers queue up fairly.
  Clock::duration reserve();
  // Blocks until a token is available, then takes it.
  void acquire();
  void set_rate(double rate);  // from x-amzn-RateLimit-Limit
  void drain();                // Amazon said 429: the bucket is empty, whatever we thought
  // Amazon said 429 again: no token for `pause` from now (the backoff), whatever the rate says.
  void pause_for(Clock::duration pause);
  // Returns a token reserve() took when the caller decided not to wait for it after all.
  void give_back();
  double rate() const;
  double burst() const;

 private:
  void refill(Clock::time_point now);
  mutable std::mutex mutex_;
  double rate_, burst_, tokens_;
  Clock::time_point last_, paused_until_{};
  std::function<Clock::time_point()> now_;
};

}  // namespace dockhand::spapi
