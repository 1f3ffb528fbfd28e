// dockhand-agent find SCREEN.png TEMPLATE.png [--score S] [--scales 1,1.25,1.5] [--all]
#include "agent/authoring.h"
#include "agent/cli/args.h"
#include "agent/cli/command.h"
#include "vision/vision.h"

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include <iostream>

namespace {

int run_find(const std::vector<std::string>& argv) {
  dockhand::cli::Args args(argv);
  std::vector<std::string> files;
  dockhand::vision::FindOptions fo;
  fo.scales = {1.0, 1.25, 1.5};
  bool all = false;
  while (args.next()) {
    if (args.help()) {
      std::cout << "usage: dockhand-agent find SCREEN.png TEMPLATE.png [--score S] [--scales 1,1.25,1.5] [--all]\n"
                   "Prints, as JSON, the best places for TEMPLATE on SCREEN whatever their score (best, runner_up,\n"
                   "candidates: region, center, score, scale), whether one passes the score (found), and whether\n"
                   "the template is ambiguous there (why). Exit 1 if none passes the score.\n"
                   "--score S   minimum score 0..1 (default 0.9)\n"
                   "--scales    template scales to try (default 1,1.25,1.5)\n"
                   "--all       every match at or above the score, best first (a list)\n";
      return 0;
    }
    if (args.is("--score")) fo.min_score = dockhand::cli::real_number("--score", args.value(), "--score 0.9");
    else if (args.is("--scales")) {
      fo.scales.clear();
      std::stringstream ss(args.value());
      for (std::string part; std::getline(ss, part, ',');) fo.scales.push_back(dockhand::cli::real_number("--scales", part, "--scales 1,1.25"));
    } else if (args.is("--all")) all = true;
    else if (args.arg().rfind("--", 0) != 0) files.push_back(args.arg());
    else {
      std::cerr << "dockhand-agent find: unexpected argument " << args.arg() << "\n";
      return 2;
    }
  }
  if (files.size() != 2) {
    std::cerr << "dockhand-agent find: give SCREEN.png and TEMPLATE.png\n";
    return 2;
  }
  cv::Mat screen = cv::imread(files[0], cv::IMREAD_COLOR);
  if (screen.empty()) {
    std::cerr << "dockhand-agent find: cannot read image " << files[0] << "\n";
    return 2;
  }
  auto pattern = dockhand::vision::Pattern::load(files[1]);
  if (!all) {
    auto report = dockhand::agent::find_report(screen, pattern, fo);
    std::cout << report.dump(2) << "\n";
    return report["found"].get<bool>() ? 0 : 1;
  }
  auto matches = dockhand::vision::find_all(screen, pattern, fo);
  auto out = nlohmann::json::array();
  for (const auto& m : matches)
    out.push_back({{"region", {m.region.x, m.region.y, m.region.width, m.region.height}},
                   {"center", {m.region.x + m.region.width / 2, m.region.y + m.region.height / 2}},
                   {"score", std::round(m.score * 1000) / 1000},
                   {"scale", m.scale}});
  std::cout << out.dump(2) << "\n";
  return matches.empty() ? 1 : 0;
}

const dockhand::cli::Registration reg{"find", "SCREEN.png TEMPLATE.png [--score S] [--scales LIST] [--all]",
                                      "Find a template on a screenshot (for script authors)", run_find};

}  // namespace
