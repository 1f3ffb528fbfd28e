// The simulator's small parts: fault specs, token buckets, time, form decoding and Amazon-style errors.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace dockhand::sim {
using json = nlohmann::json;

// The faults switched on (--fault, /_sim/faults), for everyone or for one selling partner.
struct Faults {
  double error_5xx = 0, throttle = 0, drop = 0, slow_rate = 0;
  int slow_ms = 0;
  bool expire_tokens = false, lwa_down = false;
  std::vector<std::string> specs;
};

// Parses one fault spec into `faults`. Returns false for "expire-now" (handled by the caller), throws on bad specs.
bool apply_fault(Faults& faults, const std::string& spec);
// "SPEC@PARTNER" applies SPEC to that selling partner's requests only (their faults replace the global ones).
bool apply_scoped_fault(Faults& global, std::map<std::string, Faults>& by_partner, const std::string& spec);

// Amazon's rate limit of one operation for one selling partner.
struct Bucket {
  double rate, burst, tokens;
  std::chrono::steady_clock::time_point last = std::chrono::steady_clock::now();
  bool take();
};

long long now_ms();          // wall clock, ms since the epoch
std::string iso(long long ms);  // 2026-12-06T23:04:52.000Z
std::map<std::string, std::string> parse_form(const std::string& body);  // application/x-www-form-urlencoded
json amazon_errors(const std::string& code, const std::string& message, const std::string& details = "");

}  // namespace dockhand::sim
