// dockhand-orchestrator plan FILE.eml --orders DB: what the chain would submit for one email, or why not.
#include "command.h"

#include "args.h"

#include "orchestrator/pretender/pretender.h"
#include "orchestrator/pretender/sqlite_db.h"

#include <chrono>
#include <memory>
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
    "The order data and the rules are only read (the order data is opened read-only).\n"
    "\n"
    "Exit status: 0 the payload was printed (it would be submitted); 2 bad arguments, or FILE.eml, DB or\n"
    "the rules file cannot be read (the reason is given) or is not what it should be; 3 quarantined (the\n"
    "email cannot be read); 4 rule failures (it would not be submitted; NEEDS_ATTENTION in serve); 5 not a\n"
    "routing request (OTHER); 1 other errors.\n";

std::chrono::system_clock::time_point parse_day(const std::string& day) {
  int y = 0;
  unsigned m = 0, d = 0;
  char dash1 = 0, dash2 = 0;
  std::istringstream in(day);
  in >> y >> dash1 >> m >> dash2 >> d;
  std::chrono::year_month_day ymd{std::chrono::year(y), std::chrono::month(m), std::chrono::day(d)};
  if (!in || dash1 != '-' || dash2 != '-' || !in.eof() || !ymd.ok())
    throw std::invalid_argument("\"" + day + "\" is not a date that exists (YYYY-MM-DD, e.g. --today 2026-12-07)");
  return std::chrono::sys_days(ymd) + std::chrono::hours(12);
}

int run_plan(const std::vector<std::string>& args) {
  std::string file, orders_path, rules_path, today;
  auto now = std::chrono::system_clock::now();
  bool as_json = false;
  CLI::App app{"", "dockhand-orchestrator plan"};
  app.add_option("FILE.eml", file);
  app.add_option("--orders", orders_path);
  app.add_option("--rules", rules_path);
  app.add_option("--today", today)->check(CLI::Validator(
      [](std::string& day) {
        try {
          parse_day(day);
          return std::string();
        } catch (const std::invalid_argument& e) {
          return std::string(e.what());
        }
      },
      "DATE"));
  app.add_flag("--json", as_json);
  if (auto code = cli::parse(app, args, kHelp)) return *code;
  if (file.empty()) throw cli::UsageError("FILE.eml is missing: which email? (\"-\" reads stdin)");
  if (orders_path.empty())
    throw cli::UsageError("--orders DB is missing: the warehouse order data to plan against (see 'orders --help')");
  if (!today.empty()) now = parse_day(today);
  std::string raw = cli::read_input(file, "FILE.eml");
  // The order data and the rules before the email: a wrong file named on the command line is a usage error.
  std::unique_ptr<pretender::OrderDatabase> orders;
  try {
    orders = std::make_unique<pretender::OrderDatabase>(orders_path, sqlite::Access::read_once);
  } catch (const std::exception& e) {
    throw cli::UsageError(std::string("--orders: ") + e.what());
  }
  pretender::Rules rules = pretender::Rules::defaults();
  if (!rules_path.empty()) {
    cli::read_input(rules_path, "--rules");  // says why a file cannot be read
    try {
      rules = pretender::Rules::from_file(rules_path);
    } catch (const std::exception& e) {
      throw cli::UsageError(std::string("--rules: ") + e.what());
    }
  }
  intake::RoutingRequest request;
  try {
    request = intake::extract(raw);
  } catch (const intake::QuarantineError& e) {
    std::cout << nlohmann::json{{"quarantined", true}, {"reason", e.what()}, {"file", file}}.dump(2) << "\n";
    return cli::exit_code::unreadable;
  }
  for (const auto& w : request.warnings) std::cerr << "plan: intake warning: " << w << "\n";
  if (!request.is_routing_request()) {
    std::cout << nlohmann::json{{"classification", request.classification},
                                {"reason", request.classification_reason}}
                     .dump(2)
              << "\n";
    return cli::exit_code::not_routing;
  }
  auto planned = pretender::plan(request, *orders, rules, now);
  if (as_json) {
    std::cout << nlohmann::json(planned).dump(2) << "\n";
    return planned.ok() ? cli::exit_code::ok : cli::exit_code::stopped;
  }
  if (!planned.ok()) {
    for (const auto& f : planned.findings)
      std::cout << f.severity << " [" << f.rule << "]" << (f.po.empty() ? "" : " PO " + f.po) << ": " << f.message
                << "\n";
    return cli::exit_code::stopped;
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
