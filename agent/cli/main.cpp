#include "command.h"

#include "agent/cli/args.h"
#include "common/folding_sink.h"
#include "common/log_file.h"

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
  std::cout << "usage: dockhand-agent COMMAND [ARGS...]\n"
               "       dockhand-agent --log-file FILE [--log-max-kb N] [--log-files N] COMMAND [ARGS...]\n\n"
               "  --log-file FILE   log to FILE instead of stderr, rotated by size (an unattended agent: a Windows\n"
               "                    logon task has no console); --log-max-kb per file (default 10240), --log-files\n"
               "                    older files kept as FILE's name.1 ... name.N (default 5)\n\ncommands:\n";
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
  // Options of the program itself come before the command.
  dockhand::common::LogFileOptions log_file;
  int first = 1;
  try {
    for (; first < argc; ++first) {
      std::string a = argv[first];
      if (a != "--log-file" && a != "--log-max-kb" && a != "--log-files") break;
      if (first + 1 >= argc) throw dockhand::cli::UsageError(a + " needs a value");
      std::string v = argv[++first];
      if (a == "--log-file")
        log_file.path = v;
      else if (a == "--log-max-kb")
        log_file.max_bytes = std::size_t(dockhand::cli::whole_number(a, v, "a size in KB", "--log-max-kb 10240", 1)) * 1024;
      else
        log_file.files = std::size_t(dockhand::cli::whole_number(a, v, "a number of files", "--log-files 5", 1));
    }
  } catch (const dockhand::cli::UsageError& e) {
    std::cerr << "dockhand-agent: " << e.what() << "\n";
    return dockhand::cli::exit_code::usage;
  }
  argc -= first - 1;
  argv += first - 1;
  if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h" ||
      std::string(argv[1]) == "help") {
    print_help();
    return argc < 2 ? 2 : 0;
  }
  // Logs go to stderr, or to the log file: stdout carries results (JSON) that callers parse.
  // Repeated warnings and errors (an orchestrator away for hours) are folded: the first, then a count a minute.
  spdlog::sink_ptr sink;
  try {
    sink = log_file.path.empty() ? spdlog::sink_ptr(std::make_shared<spdlog::sinks::stderr_color_sink_mt>())
                                 : dockhand::common::rotating_log_sink(log_file);
  } catch (const std::exception& e) {
    std::cerr << "dockhand-agent: --log-file: " << e.what() << "\n";
    return dockhand::cli::exit_code::usage;
  }
  auto logger = std::make_shared<spdlog::logger>("dockhand-agent", dockhand::common::folding(sink));
  // A crash or a kill loses no line already logged. (No spdlog::flush_every: its thread would be started before
  // `serve` blocks SIGTERM for all threads but its signal waiter, and would take the signal and die with it.)
  if (!log_file.path.empty()) logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
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
