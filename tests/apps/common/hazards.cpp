#include "hazards.h"

#include <algorithm>

namespace dockhand::apps {

Hazards::Hazards(const CommonOptions& opts) : opts_(opts), rng_(opts.seed) {}

int Hazards::load_delay_ms() {
  if (opts_.delay.max_ms <= 0) return 0;
  return std::uniform_int_distribution<int>(opts_.delay.min_ms, opts_.delay.max_ms)(rng_);
}

bool Hazards::session_expires_now() {
  if (opts_.session_expired_rate <= 0.0) return false;
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng_) < opts_.session_expired_rate;
}

std::pair<int, int> Hazards::window_position(int w, int h, int screen_w, int screen_h) {
  if (opts_.position) return *opts_.position;
  if (!opts_.random_position) return {40, 30};
  int max_x = std::max(0, screen_w - w), max_y = std::max(0, screen_h - h);
  return {std::uniform_int_distribution<int>(0, max_x)(rng_), std::uniform_int_distribution<int>(0, max_y)(rng_)};
}

std::string Hazards::digits(int count) {
  std::string s;
  std::uniform_int_distribution<int> d(0, 9);
  for (int i = 0; i < count; ++i) s += static_cast<char>('0' + d(rng_));
  return s;
}

}  // namespace dockhand::apps
