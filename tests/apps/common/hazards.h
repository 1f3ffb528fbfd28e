// The switchable troubles of a legacy program: load delays, "Session expired", a random window position.
// Every draw comes from one generator seeded by --seed, so a run with the same seed and the same actions
// behaves the same.
#pragma once

#include <cstdint>
#include <random>
#include <string>

#include "options.h"

namespace dockhand::apps {

class Hazards {
 public:
  explicit Hazards(const CommonOptions& opts);

  int load_delay_ms();          // uniform in --delay MIN:MAX
  bool session_expires_now();   // true with probability --session-expired per call
  // Top-left corner for a w x h window on a screen_w x screen_h screen (random, fixed, or default 40,30).
  std::pair<int, int> window_position(int w, int h, int screen_w, int screen_h);
  // "PT-" / "BOL" style numbers: `digits` random decimal digits.
  std::string digits(int count);
  std::mt19937_64& rng() { return rng_; }

 private:
  const CommonOptions& opts_;
  std::mt19937_64 rng_;
};

}  // namespace dockhand::apps
