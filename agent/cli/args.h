// Small argument helpers shared by the agent's subcommands.
#pragma once

#include "agent/script.h"

#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace dockhand::cli {

// Exit codes: the same table as dockhand-orchestrator's (docs/operations.md, "Exit codes").
namespace exit_code {
inline constexpr int ok = 0;
inline constexpr int failed = 1;      // it ran and did not succeed (a script failed, a template not found)
inline constexpr int usage = 2;       // an argument, option value or named file is wrong; nothing was done
inline constexpr int unreadable = 3;  // no X display, or the display was lost
}  // namespace exit_code

// A usage error: main prints it after the command's name and exits 2.
class UsageError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// Walks "--name value" options; positional arguments are collected in order.
class Args {
 public:
  explicit Args(const std::vector<std::string>& args) : args_(args) {}
  bool next() { return ++i_ < args_.size(); }
  const std::string& arg() const { return args_[i_]; }
  bool is(const char* name) const { return args_[i_] == name; }
  bool help() const { return is("--help") || is("-h"); }
  std::string value() {
    if (i_ + 1 >= args_.size()) throw UsageError(args_[i_] + " needs a value");
    return args_[++i_];
  }

 private:
  const std::vector<std::string>& args_;
  std::size_t i_ = static_cast<std::size_t>(-1);
};

// "--heartbeat-ms: \"x\" is not a whole number of milliseconds (e.g. --heartbeat-ms 1000)".
inline long long whole_number(const std::string& option, const std::string& value, const std::string& what,
                              const std::string& example, long long min = 0) {
  std::size_t used = 0;
  long long n = 0;
  try {
    n = std::stoll(value, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (value.empty() || used != value.size())
    throw UsageError(option + ": \"" + value + "\" is not " + what + " (e.g. " + example + ")");
  if (n < min) throw UsageError(option + ": \"" + value + "\" is too small: at least " + std::to_string(min));
  return n;
}

// A decimal number, e.g. a score: "--score: \"high\" is not a number (e.g. --score 0.9)".
inline double real_number(const std::string& option, const std::string& value, const std::string& example) {
  std::size_t used = 0;
  double d = 0;
  try {
    d = std::stod(value, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (value.empty() || used != value.size())
    throw UsageError(option + ": \"" + value + "\" is not a number (e.g. " + example + ")");
  return d;
}

// "x,y,w,h" -> four ints.
struct Region {
  int x = 0, y = 0, w = 0, h = 0;
};
inline Region parse_region(const std::string& s) {
  Region r;
  char c1, c2, c3;
  std::istringstream is(s);
  if (!(is >> r.x >> c1 >> r.y >> c2 >> r.w >> c3 >> r.h) || c1 != ',' || c2 != ',' || c3 != ',' || r.w <= 0 ||
      r.h <= 0 || !is.eof())
    throw UsageError("--region: \"" + s + "\" is not a region (x,y,w,h with w,h > 0, e.g. --region 10,20,300,40)");
  return r;
}

// "k=v" -> into vars; the value is kept exactly as given (no unescaping).
inline void parse_var(const std::string& s, agent::Vars& vars) {
  auto eq = s.find('=');
  if (eq == std::string::npos || eq == 0)
    throw UsageError("--var: \"" + s + "\" is not a variable (name=value, e.g. --var po=2K4GH7QZ)");
  vars[s.substr(0, eq)] = s.substr(eq + 1);
}

}  // namespace dockhand::cli
