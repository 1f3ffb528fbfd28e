// dockhand-agent run SCRIPT.json --var k=v ... [--evidence DIR] [--display :N]
#include "agent/cli/args.h"
#include "agent/cli/command.h"
#include "agent/cli/terminal_supervisor.h"
#include "agent/runner.h"

#include <iostream>
#include <memory>

namespace {

int run_run(const std::vector<std::string>& argv) {
  dockhand::cli::Args args(argv);
  std::string file;
  dockhand::agent::RunOptions options;
  bool supervise = false;
  while (args.next()) {
    if (args.help()) {
      std::cout
          << "usage: dockhand-agent run SCRIPT.json [--var name=value ...] [--evidence DIR] [--display :N] [--supervise]\n"
             "Validates the script and its variables, then runs it on the X display ($DISPLAY or --display).\n"
             "Prints the result as JSON: {status, outputs, failed_step, reason, category, evidence}.\n"
             "  status   ok | failed | invalid (refused before anything ran; see \"problems\")\n"
             "  category business (the program said no) | application (timeout, unexpected screen) |\n"
             "           aborted (a person aborted it: final, the orchestrator does not retry it)\n"
             "  evidence folder with screen.png, looked-for.png / searched.png and result.json (failures)\n"
             "--evidence DIR  where evidence folders go (default ./evidence)\n"
             "--supervise     stop before every step, print it and its target on stderr, and read what to do\n"
             "                from stdin: Enter = run the step, c = continue without stopping, s = skip the\n"
             "                step, a = abort, p = stop again before the next step (stdin at its end: continue)\n"
             "Values given with --var are typed literally: {ENTER}, \\n, %s or ${x} stay as written.\n"
             "Exit: 0 ok, 1 failed, 2 invalid script or variables, 3 no display or display lost.\n";
      return 0;
    }
    if (args.is("--var")) dockhand::cli::parse_var(args.value(), options.vars);
    else if (args.is("--evidence")) options.evidence_dir = args.value();
    else if (args.is("--display")) options.display = args.value();
    else if (args.is("--supervise")) supervise = true;
    else if (file.empty() && args.arg().rfind("--", 0) != 0) file = args.arg();
    else {
      std::cerr << "dockhand-agent run: unexpected argument " << args.arg() << " (see --help)\n";
      return 2;
    }
  }
  if (file.empty()) {
    std::cerr << "dockhand-agent run: no script given (usage: run SCRIPT.json --var k=v ...)\n";
    return 2;
  }
  std::shared_ptr<dockhand::agent::Supervision> supervision;
  if (supervise) {
    supervision = std::make_shared<dockhand::agent::Supervision>(true);
    options.supervision = supervision.get();
    dockhand::agent_cli::supervise_from_terminal(supervision, std::cin, std::cerr);
  }
  auto result = dockhand::agent::run_script_file(file, options);
  std::cout << result.to_json().dump(2) << std::endl;
  if (result.status == "invalid")
    for (const auto& p : result.problems) std::cerr << p.str() << "\n";
  if (!result.ok()) std::cerr << "dockhand-agent run: " << result.status << ": " << result.reason << "\n";
  return result.exit_code();
}

const dockhand::cli::Registration reg{"run", "SCRIPT.json [--var k=v ...] [--evidence DIR] [--display :N] [--supervise]",
                                      "Run a screen script; prints a JSON result", run_run};

}  // namespace
