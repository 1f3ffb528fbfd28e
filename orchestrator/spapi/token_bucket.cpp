#include "orchestrator/spapi/token_bucket.h"

#include <algorithm>
#include <stdexcept>
#include <thread>

namespace dockhand::spapi {

TokenBucket::TokenBucket(double rate, double burst, std::function<Clock::time_point()> now)
    : rate_(rate), burst_(std::max(1.0, burst)), tokens_(std::max(1.0, burst)), now_(std::move(now)) {
  if (!(rate > 0)) throw std::invalid_argument("token bucket rate must be positive");
  last_ = now_();
}

void TokenBucket::refill(Clock::time_point now) {
  if (now > last_) {
    const double elapsed = std::chrono::duration<double>(now - last_).count();
    tokens_ = std::min(burst_, tokens_ + elapsed * rate_);
    last_ = now;
  }
}

TokenBucket::Clock::duration TokenBucket::reserve() {
  std::lock_guard lock(mutex_);
  const auto now = now_();
  refill(now);
  tokens_ -= 1.0;  // may go negative: that is the queue of callers already waiting
  const auto paused = paused_until_ > now ? paused_until_ - now : Clock::duration::zero();
  if (tokens_ >= 0) return paused;
  return std::max(paused, std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(-tokens_ / rate_)));
}

void TokenBucket::pause_for(Clock::duration pause) {
  std::lock_guard lock(mutex_);
  paused_until_ = std::max(paused_until_, now_() + pause);
}

void TokenBucket::give_back() {
  std::lock_guard lock(mutex_);
  tokens_ = std::min(burst_, tokens_ + 1.0);
}

void TokenBucket::acquire() {
  const auto wait = reserve();
  if (wait > Clock::duration::zero()) std::this_thread::sleep_for(wait);
}

void TokenBucket::set_rate(double rate) {
  if (!(rate > 0)) return;
  std::lock_guard lock(mutex_);
  refill(now_());
  rate_ = rate;
}

void TokenBucket::drain() {
  std::lock_guard lock(mutex_);
  refill(now_());
  tokens_ = std::min(tokens_, 0.0);
}

double TokenBucket::rate() const {
  std::lock_guard lock(mutex_);
  return rate_;
}

double TokenBucket::burst() const {
  std::lock_guard lock(mutex_);
  return burst_;
}

}  // namespace dockhand::spapi
