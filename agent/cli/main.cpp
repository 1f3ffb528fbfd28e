#include "command.h"

#include "agent/cli/args.h"
#include "common/folding_sink.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <iostream>

namespace dockhand::cli {
std::map<std::string, Command>& commands() {
  static std::map<std::string, Command> table;
  return table;
}
}  // namespace dockhand::cli

namespace {
void print_help() {
  std::cout << "usage: dockhand-agent COMMAND [ARGS...]\n\ncommands:\n";
  for (const auto& [name, command] : dockhand::cli::commands())
    std::cout << "  " << name << " " << command.usage << "\n      " << command.summary << "\n";
  std::cout << "\nRun 'dockhand-agent COMMAND --help' for a command's options.\n"
               "\nExit status, every command: 0 done; 1 it ran and the answer is no (not found, failed, needs a\n"
               "person); 2 wrong usage, nothing done (the message says what and how); 3 the input cannot be read\n"
               "(quarantined email, no display); 4 stopped by the rules or the clock; 5 not a routing request.\n"
               "(docs/operations.md, \"Exit codes\")\n";
}
}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h" ||
      std::string(argv[1]) == "help") {
    print_help();
    return argc < 2 ? 2 : 0;
  }
  // Logs go to stderr: stdout carries results (JSON) that callers parse.
  // Repeated warnings and errors (an orchestrator away for hours) are folded: the first, then a count a minute.
  spdlog::set_default_logger(std::make_shared<spdlog::logger>(
      "dockhand-agent", dockhand::common::folding(std::make_shared<spdlog::sinks::stderr_color_sink_mt>())));
  auto& table = dockhand::cli::commands();
  auto it = table.find(argv[1]);
  if (it == table.end()) {
    std::string known;
    for (const auto& [name, command] : table) known += (known.empty() ? "" : ", ") + name;
    std::cerr << "dockhand-agent: \"" << argv[1] << "\" is not a command; the commands are " << known
              << " ('dockhand-agent --help' says what each does)\n";
    return dockhand::cli::exit_code::usage;
  }
  try {
    return it->second.run(std::vector<std::string>(argv + 2, argv + argc));
  } catch (const dockhand::cli::UsageError& e) {
    std::cerr << "dockhand-agent " << argv[1] << ": " << e.what() << " ('dockhand-agent " << argv[1]
              << " --help' says more)\n";
    return dockhand::cli::exit_code::usage;
  } catch (const std::exception& e) {
    std::cerr << "dockhand-agent " << argv[1] << ": " << e.what() << "\n";
    return 1;
  }
}
