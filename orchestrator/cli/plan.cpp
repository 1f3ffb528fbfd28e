// dockhand-orchestrator plan FILE.eml --orders DB: what the chain would submit for one email, or why not.
#include "command.h"

#include "orchestrator/pretender/pretender.h"

#include <chrono>
#include <fstream>
#include <iostream>
#include <sstream>

namespace {

using namespace dockhand;

const char* kHelp =
    "usage: dockhand-orchestrator plan FILE.eml --orders DB [--rules FILE] [--today YYYY-MM-DD] [--json]\n"
    "\n"
    "Runs one email through the intake and the pre-tender exactly as serve would, without submitting:\n"
    "extracts the routing request, looks the POs up in the warehouse order data, groups them into shipments,\n"
    "counts cartons, pallets and weight, checks the rules, and prints the SubmitShipments body it would send\n"
    "({\"shipments\": [...]}, Amazon's model). When a rule with severity error fails, it prints the failures\n"
    "instead, one per line: severity, rule id, PO, message. Warnings go to stderr.\n"
    "\n"
    "  --orders DB        the warehouse order data (SQLite; see 'dockhand-orchestrator orders --help')\n"
    "  --rules FILE       a rules file (default: the built-in rules, docs/configuration.md)\n"
    "  --today DATE       judge ship windows as if today were DATE (default: today, UTC)\n"
    "  --json             print the whole plan as JSON (ok, shipments with counts and payload, findings)\n"
    "\n"
    "Exit status: 0 the payload was printed (it would be submitted), 4 rule failures (it would not be\n"
    "submitted; NEEDS_ATTENTION in serve), 5 not a routing request (OTHER), 3 quarantined (cannot be\n"
    "read), 2 bad arguments or unreadable file, 1 other errors (e.g. no order data).\n";

std::string slurp(const std::string& path) {
  std::ostringstream ss;
  if (path == "-") {
    ss << std::cin.rdbuf();
  } else {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::invalid_argument("cannot read " + path);
    ss << in.rdbuf();
  }
  return ss.str();
}

std::chrono::system_clock::time_point parse_day(const std::string& day) {
  int y = 0;
  unsigned m = 0, d = 0;
  char dash1 = 0, dash2 = 0;
  std::istringstream in(day);
  in >> y >> dash1 >> m >> dash2 >> d;
  std::chrono::year_month_day ymd{std::chrono::year(y), std::chrono::month(m), std::chrono::day(d)};
  if (!in || dash1 != '-' || dash2 != '-' || !in.eof() || !ymd.ok())
    throw std::invalid_argument("--today wants a date that exists, YYYY-MM-DD, got '" + day + "'");
  return std::chrono::sys_days(ymd) + std::chrono::hours(12);
}

int run_plan(const std::vector<std::string>& args) {
  std::string file, orders_path, rules_path;
  auto now = std::chrono::system_clock::now();
  bool as_json = false;
  try {
    for (std::size_t i = 0; i < args.size(); ++i) {
      const auto& a = args[i];
      auto value = [&] { return dockhand::cli::option_value(args, i); };
      if (a == "--help" || a == "-h") {
        std::cout << kHelp;
        return 0;
      } else if (a == "--orders") orders_path = value();
      else if (a == "--rules") rules_path = value();
      else if (a == "--today") now = parse_day(value());
      else if (a == "--json") as_json = true;
      else if ((a.empty() || a[0] != '-' || a == "-") && file.empty()) file = a;
      else throw std::invalid_argument("unknown argument '" + a + "'");
    }
    if (file.empty()) throw std::invalid_argument("no email given");
    if (orders_path.empty()) throw std::invalid_argument("--orders DB is required");
  } catch (const std::exception& e) {
    std::cerr << "plan: " << e.what() << "\n\n" << kHelp;
    return 2;
  }
  std::string raw;
  try {
    raw = slurp(file);
  } catch (const std::exception& e) {
    std::cerr << "plan: " << e.what() << "\n";
    return 2;
  }
  intake::RoutingRequest request;
  try {
    request = intake::extract(raw);
  } catch (const intake::QuarantineError& e) {
    std::cout << nlohmann::json{{"quarantined", true}, {"reason", e.what()}, {"file", file}}.dump(2) << "\n";
    return 3;
  }
  for (const auto& w : request.warnings) std::cerr << "plan: intake warning: " << w << "\n";
  if (!request.is_routing_request()) {
    std::cout << nlohmann::json{{"classification", request.classification},
                                {"reason", request.classification_reason}}
                     .dump(2)
              << "\n";
    return 5;
  }
  pretender::OrderDatabase orders(orders_path, false);
  auto rules = rules_path.empty() ? pretender::Rules::defaults() : pretender::Rules::from_file(rules_path);
  auto planned = pretender::plan(request, orders, rules, now);
  if (as_json) {
    std::cout << nlohmann::json(planned).dump(2) << "\n";
    return planned.ok() ? 0 : 4;
  }
  if (!planned.ok()) {
    for (const auto& f : planned.findings)
      std::cout << f.severity << " [" << f.rule << "]" << (f.po.empty() ? "" : " PO " + f.po) << ": " << f.message
                << "\n";
    return 4;
  }
  for (const auto& f : planned.findings)
    std::cerr << "plan: " << f.severity << " [" << f.rule << "]" << (f.po.empty() ? "" : " PO " + f.po) << ": "
              << f.message << "\n";
  std::cout << planned.submit_body().dump(2) << "\n";
  return 0;
}

const dockhand::cli::Registration reg{"plan", "FILE.eml --orders DB [--rules FILE]",
                                      "Print the SubmitShipments payload an email would lead to, or the rule failures",
                                      run_plan};

}  // namespace
