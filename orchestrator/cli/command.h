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
// Subcommands parse their arguments with CLI11 through cli::parse (args.h).

struct Registration {
  Registration(const std::string& name, std::string usage, std::string summary,
               std::function<int(const std::vector<std::string>&)> run) {
    commands()[name] = Command{std::move(usage), std::move(summary), std::move(run)};
  }
};

}  // namespace dockhand::cli
