// dockhand-agent validate SCRIPT.json [--var k=v ...]: every problem of a script, without running it.
#include "agent/cli/args.h"
#include "agent/cli/command.h"
#include "agent/script.h"

#include <iostream>

namespace {

int run_validate(const std::vector<std::string>& argv) {
  dockhand::cli::Args args(argv);
  std::string file;
  dockhand::agent::Vars vars;
  bool check_values = false;
  while (args.next()) {
    if (args.help()) {
      std::cout << "usage: dockhand-agent validate SCRIPT.json [--var name=value ...]\n"
                   "Checks a screen script (steps, fields, templates, regexes, variables) and lists every\n"
                   "problem with its path. With --var, also checks the values against the script's vars.\n"
                   "Exit: 0 valid, 2 problems.\n";
      return 0;
    }
    if (args.is("--var")) {
      dockhand::cli::parse_var(args.value(), vars);
      check_values = true;
    } else if (file.empty() && args.arg().rfind("--", 0) != 0) {
      file = args.arg();
    } else {
      std::cerr << "dockhand-agent validate: unexpected argument " << args.arg() << "\n";
      return 2;
    }
  }
  if (file.empty()) {
    std::cerr << "dockhand-agent validate: no script given (usage: validate SCRIPT.json)\n";
    return 2;
  }
  auto loaded = dockhand::agent::load_script(file);
  auto problems = loaded.problems;
  if (loaded.ok() && check_values) problems = dockhand::agent::check_vars(*loaded.script, vars);
  for (const auto& p : problems) std::cout << p.str() << "\n";
  if (!problems.empty()) {
    std::cerr << file << ": " << problems.size() << " problem(s)\n";
    return 2;
  }
  std::cout << file << ": ok (" << loaded.script->steps.size() << " steps)\n";
  return 0;
}

const dockhand::cli::Registration reg{"validate", "SCRIPT.json [--var k=v ...]",
                                      "Check a screen script and list every problem", run_validate};

}  // namespace
