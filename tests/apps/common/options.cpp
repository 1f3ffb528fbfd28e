#include "options.h"

#include <charconv>
#include <iostream>
#include <random>
#include <sstream>
#include <stdexcept>

namespace dockhand::apps {
namespace {

constexpr DelayRange kHazardDelay{200, 3000};
constexpr double kHazardSessionExpiredRate = 0.1;
constexpr int kHazardRows = 400;

long long parse_int(const std::string& flag, const std::string& v, long long lo, long long hi) {
  long long n = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || p != v.data() + v.size() || n < lo || n > hi) {
    throw std::invalid_argument(flag + " wants a whole number from " + std::to_string(lo) + " to " +
                                std::to_string(hi) + ", got '" + v + "'");
  }
  return n;
}

double parse_double(const std::string& flag, const std::string& v, double lo, double hi) {
  try {
    std::size_t used = 0;
    double d = std::stod(v, &used);
    if (used == v.size() && d >= lo && d <= hi) return d;
  } catch (const std::exception&) {
  }
  std::ostringstream msg;
  msg << flag << " wants a number from " << lo << " to " << hi << ", got '" << v << "'";
  throw std::invalid_argument(msg.str());
}

struct Flag {
  std::string name, value_name, help;
  std::function<void(const std::string&)> apply;
};

}  // namespace

ParseOutcome parse_options(int argc, char** argv, const std::string& program, const std::string& about,
                           const std::vector<ExtraFlag>& extra, CommonOptions& out) {
  bool hazards = false;
  std::optional<DelayRange> delay;
  std::optional<double> rate;
  bool random_position = false;

  std::vector<Flag> flags = {
      {"--state", "FILE", "JSON state file, rewritten atomically on every change (default /tmp/<program>-<pid>.json)",
       [&](const std::string& v) { out.state_path = v; }},
      {"--orders", "FILE", "JSON list of POs: [{\"po\",\"vendor\",\"fc\",\"cartons\",\"status\"}] (default: built-in 40)",
       [&](const std::string& v) { out.orders_path = v; }},
      {"--backend", "FILE",
       "data shared with other instances (one company's ERP/OpShip behind several agent desktops)",
       [&](const std::string& v) { out.backend_path = v; }},
      {"--seed", "N", "seed for every random choice (default: random, printed at start)",
       [&](const std::string& v) {
         out.seed = static_cast<std::uint64_t>(parse_int("--seed", v, 0, (1LL << 62)));
         out.seed_given = true;
       }},
      {"--scale", "F", "scale every size and font: 1.0, 1.25, 1.5 (any value from 0.75 to 3)",
       [&](const std::string& v) { out.scale = parse_double("--scale", v, 0.75, 3.0); }},
      {"--hazards", "", "all hazards on: --delay 200:3000 --session-expired 0.1 --random-position --rows 400",
       [&](const std::string&) { hazards = true; }},
      {"--delay", "MIN:MAX", "random load delay in ms around every search/find/finalize/close (default 0:0)",
       [&](const std::string& v) {
         auto colon = v.find(':');
         if (colon == std::string::npos) throw std::invalid_argument("--delay wants MIN_MS:MAX_MS, got '" + v + "'");
         DelayRange d{static_cast<int>(parse_int("--delay", v.substr(0, colon), 0, 600000)),
                      static_cast<int>(parse_int("--delay", v.substr(colon + 1), 0, 600000))};
         if (d.max_ms < d.min_ms) throw std::invalid_argument("--delay MIN must not exceed MAX, got '" + v + "'");
         delay = d;
       }},
      {"--session-expired", "RATE", "probability (0..1) per action of a \"Session expired\" modal (default 0)",
       [&](const std::string& v) { rate = parse_double("--session-expired", v, 0.0, 1.0); }},
      {"--random-position", "", "open the window at a random position on the screen",
       [&](const std::string&) { random_position = true; }},
      {"--position", "X,Y", "open the window at X,Y (default 40,30)",
       [&](const std::string& v) {
         auto comma = v.find(',');
         if (comma == std::string::npos) throw std::invalid_argument("--position wants X,Y, got '" + v + "'");
         out.position = std::pair<int, int>{static_cast<int>(parse_int("--position", v.substr(0, comma), 0, 20000)),
                                            static_cast<int>(parse_int("--position", v.substr(comma + 1), 0, 20000))};
       }},
      {"--rows", "N", "length of the PO list; padded with generated POs (default: the list's length)",
       [&](const std::string& v) { out.rows = static_cast<int>(parse_int("--rows", v, 1, 100000)); }},
      {"--unexpected-modal", "TEXT", "after the first search/find, show a modal with TEXT and Retry/Cancel",
       [&](const std::string& v) {
         if (v.empty()) throw std::invalid_argument("--unexpected-modal wants a non-empty TEXT");
         out.unexpected_modal = v;
       }},
      {"--exit-after-ms", "N", "exit cleanly after N ms (SIGTERM and SIGINT also exit cleanly)",
       [&](const std::string& v) { out.exit_after_ms = static_cast<int>(parse_int("--exit-after-ms", v, 0, 1 << 30)); }},
  };
  for (const auto& e : extra) flags.push_back({e.name, e.value_name, e.help, e.apply});

  auto usage = [&](std::ostream& os) {
    os << "usage: " << program << " [FLAGS]\n\n" << about << "\n\nflags:\n";
    for (const auto& f : flags) {
      std::string left = "  " + f.name + (f.value_name.empty() ? "" : " " + f.value_name);
      if (left.size() < 28) left.resize(28, ' ');
      else left += "\n" + std::string(28, ' ');
      os << left << f.help << "\n";
    }
    os << "  --help                    show this help\n";
  };

  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      usage(std::cout);
      return ParseOutcome::help_shown;
    }
    std::string value;
    bool inline_value = false;
    if (auto eq = arg.find('='); arg.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
      inline_value = true;
    }
    const Flag* flag = nullptr;
    for (const auto& f : flags)
      if (f.name == arg) flag = &f;
    if (!flag) {
      std::cerr << program << ": unknown flag '" << argv[i] << "' (see --help)\n";
      return ParseOutcome::error;
    }
    if (!flag->value_name.empty() && !inline_value) {
      if (i + 1 >= argc) {
        std::cerr << program << ": " << arg << " needs a value " << flag->value_name << " (see --help)\n";
        return ParseOutcome::error;
      }
      value = argv[++i];
    } else if (flag->value_name.empty() && inline_value) {
      std::cerr << program << ": " << arg << " takes no value (see --help)\n";
      return ParseOutcome::error;
    }
    try {
      flag->apply(value);
    } catch (const std::invalid_argument& e) {
      std::cerr << program << ": " << e.what() << "\n";
      return ParseOutcome::error;
    }
  }

  // Individual flags win over --hazards, whatever their order.
  out.delay = delay.value_or(hazards ? kHazardDelay : DelayRange{});
  out.session_expired_rate = rate.value_or(hazards ? kHazardSessionExpiredRate : 0.0);
  out.random_position = random_position || hazards;
  if (!out.rows && hazards) out.rows = kHazardRows;
  if (!out.seed_given) out.seed = std::random_device{}() & 0x7fffffff;
  return ParseOutcome::run;
}

}  // namespace dockhand::apps
