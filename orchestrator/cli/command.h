// Subcommands of dockhand-orchestrator. Each lives in its own cli/*.cpp and registers itself:
//   static const dockhand::cli::Registration reg{"extract", "FILE.eml", "Print what an email says", run_extract};
// so adding one never means editing a shared list.
#pragma once

#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace dockhand::cli {

struct Command {
  std::string usage;    // arguments, e.g. "FILE.eml [--json]"
  std::string summary;  // one line for --help
  std::function<int(const std::vector<std::string>& args)> run;  // args after the command name
};

std::map<std::string, Command>& commands();

// The value after option args[i] ("--orders DB"); moves i onto it. Throws std::invalid_argument when missing.
inline std::string option_value(const std::vector<std::string>& args, std::size_t& i) {
  if (i + 1 >= args.size()) throw std::invalid_argument(args[i] + " needs a value");
  return args[++i];
}

struct Registration {
  Registration(const std::string& name, std::string usage, std::string summary,
               std::function<int(const std::vector<std::string>&)> run) {
    commands()[name] = Command{std::move(usage), std::move(summary), std::move(run)};
  }
};

}  // namespace dockhand::cli
