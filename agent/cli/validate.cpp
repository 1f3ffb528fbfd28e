// dockhand-agent validate SCRIPT.json [--var k=v ...] [--screen FILE.png ...] [--live [--display :N]]:
// every problem of a script, without running it; with a screenshot, how each template fares on it.
#include "agent/authoring.h"
#include "agent/cli/args.h"
#include "agent/cli/command.h"
#include "agent/script.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#ifdef DOCKHAND_AGENT_RUNNER
#include "drivers/desktop.h"
#endif

#include <iostream>

namespace {

// Prints each template's line; returns how many are ambiguous on this screen.
int check_screen(const dockhand::agent::Script& script, const cv::Mat& screen, const std::string& name) {
  std::cout << name << ":\n";
  int ambiguous = 0;
  for (const auto& t : dockhand::agent::check_templates(script, screen)) {
    std::cout << "  " << t.str() << "\n";
    if (t.candidates.ambiguous) ++ambiguous;
  }
  return ambiguous;
}

cv::Mat live_screen(const std::string& display) {
#ifdef DOCKHAND_AGENT_RUNNER
  auto desktop = dockhand::drivers::open_desktop(display);
  auto frame = desktop->capture();
  cv::Mat bgra(frame.height, frame.width, CV_8UC4, frame.pixels.data(), frame.stride);
  return bgra.clone();
#else
  (void)display;
  throw std::runtime_error("--live needs the desktop driver, which this build lacks");
#endif
}

int run_validate(const std::vector<std::string>& argv) {
  dockhand::cli::Args args(argv);
  std::string file, display;
  std::vector<std::string> screens;
  bool live = false;
  dockhand::agent::Vars vars;
  bool check_values = false;
  while (args.next()) {
    if (args.help()) {
      std::cout << "usage: dockhand-agent validate SCRIPT.json [--var name=value ...] [--screen FILE.png ...]\n"
                   "                               [--live [--display :N]]\n"
                   "Checks a screen script (steps, fields, templates, regexes, variables) and lists every\n"
                   "problem with its path. With --var, also checks the values against the script's vars.\n"
                   "--screen FILE.png  how each template fares on this screenshot: found or not, its best score\n"
                   "                   and place, the runner-up, and whether it is ambiguous (repeatable)\n"
                   "--live             the same on the screen as it is now\n"
                   "Exit: 0 valid, 2 problems (an ambiguous template on a screenshot is one).\n";
      return 0;
    }
    if (args.is("--var")) {
      dockhand::cli::parse_var(args.value(), vars);
      check_values = true;
    } else if (args.is("--screen")) {
      screens.push_back(args.value());
    } else if (args.is("--live")) {
      live = true;
    } else if (args.is("--display")) {
      display = args.value();
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
  int ambiguous = 0;
  for (const auto& name : screens) {
    cv::Mat screen = cv::imread(name, cv::IMREAD_COLOR);
    if (screen.empty()) {
      std::cerr << "dockhand-agent validate: cannot read image " << name << "\n";
      return 2;
    }
    ambiguous += check_screen(*loaded.script, screen, name);
  }
  if (live) ambiguous += check_screen(*loaded.script, live_screen(display), "the live screen");
  if (ambiguous > 0) {
    std::cerr << file << ": " << ambiguous << " ambiguous template(s) on the screen(s) given\n";
    return 2;
  }
  std::cout << file << ": ok (" << loaded.script->steps.size() << " steps)\n";
  return 0;
}

const dockhand::cli::Registration reg{"validate", "SCRIPT.json [--var k=v ...] [--screen FILE.png ...] [--live]",
                                      "Check a screen script and list every problem", run_validate};

}  // namespace
