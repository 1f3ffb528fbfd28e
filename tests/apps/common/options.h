// Command-line flags shared by the simulated legacy programs (see tests/apps/README.md).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace dockhand::apps {

struct DelayRange {
  int min_ms = 0;
  int max_ms = 0;
};

struct CommonOptions {
  std::string state_path;              // --state; empty = a file in /tmp named after the program and pid
  std::string orders_path;             // --orders; empty = built-in list
  std::string backend_path;            // --backend; empty = no back end shared with other instances
  std::uint64_t seed = 0;              // --seed; chosen at random (and printed) when not given
  bool seed_given = false;
  double scale = 1.0;                  // --scale
  DelayRange delay;                    // --delay MIN:MAX (hazard default 200:3000)
  double session_expired_rate = 0.0;   // --session-expired RATE (hazard default 0.1)
  bool random_position = false;        // --random-position
  std::optional<int> rows;             // --rows N (hazard default 400)
  std::string unexpected_modal;        // --unexpected-modal TEXT
  std::optional<int> exit_after_ms;    // --exit-after-ms N
  std::optional<std::pair<int, int>> position;  // --position X,Y
};

// A flag only one program knows (e.g. OpShip's --shipments).
struct ExtraFlag {
  std::string name;       // "--shipments"
  std::string value_name; // "FILE"; empty = the flag takes no value
  std::string help;
  std::function<void(const std::string& value)> apply;  // throws std::invalid_argument on a bad value
};

enum class ParseOutcome { run, help_shown, error };

// Parses argv into `out`. On --help prints usage to stdout; on a bad flag prints the problem and a hint to
// stderr. `about` is the first help paragraph.
ParseOutcome parse_options(int argc, char** argv, const std::string& program, const std::string& about,
                           const std::vector<ExtraFlag>& extra, CommonOptions& out);

}  // namespace dockhand::apps
