// Small argument helpers shared by the agent's subcommands.
#pragma once

#include "agent/script.h"

#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace dockhand::cli {

// Walks "--name value" options; positional arguments are collected in order.
class Args {
 public:
  explicit Args(const std::vector<std::string>& args) : args_(args) {}
  bool next() { return ++i_ < args_.size(); }
  const std::string& arg() const { return args_[i_]; }
  bool is(const char* name) const { return args_[i_] == name; }
  bool help() const { return is("--help") || is("-h"); }
  std::string value() {
    if (i_ + 1 >= args_.size()) throw std::invalid_argument(args_[i_] + " needs a value");
    return args_[++i_];
  }

 private:
  const std::vector<std::string>& args_;
  std::size_t i_ = static_cast<std::size_t>(-1);
};

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
    throw std::invalid_argument("bad region \"" + s + "\" (expected x,y,w,h with w,h > 0)");
  return r;
}

// "k=v" -> into vars; the value is kept exactly as given (no unescaping).
inline void parse_var(const std::string& s, agent::Vars& vars) {
  auto eq = s.find('=');
  if (eq == std::string::npos || eq == 0) throw std::invalid_argument("bad --var \"" + s + "\" (expected name=value)");
  vars[s.substr(0, eq)] = s.substr(eq + 1);
}

}  // namespace dockhand::cli
