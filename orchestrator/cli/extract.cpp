// dockhand-orchestrator extract FILE.eml: what the intake reads from one email, as JSON.
#include "command.h"

#include "args.h"

#include "routing_request.h"

#include <iostream>

namespace {

const char* kHelp =
    "usage: dockhand-orchestrator extract FILE.eml [--max-bytes N] [--json]\n"
    "\n"
    "Classifies one email (amazon_routing_request, possible_routing_request or other, with the reason) and\n"
    "prints what it says as JSON (numbers as numbers, absent fields as null): vendor_code, ship_from,\n"
    "freight_ready_date and purchase_orders (po, destination_fc, ship_window_start, ship_window_end, cartons,\n"
    "pallets, weight_lb), each value's place in \"sources\". Values that could not be trusted (a PO that is\n"
    "not 8 characters, a date that does not exist) are left out and listed in \"warnings\". \"attention\" is\n"
    "null, or says why a human must look (what was found, what is missing): serve sends such mail to\n"
    "NEEDS_ATTENTION. FILE.eml \"-\" reads the email from stdin. Nothing is stored.\n"
    "\n"
    "  --max-bytes N   quarantine messages larger than N bytes (default 26214400 = 25 MB)\n"
    "  --json          the output is JSON (the default; for scripts that say so)\n"
    "\n"
    "Exit status: 0 extracted (either classification); 2 bad arguments, or FILE.eml cannot be read (the\n"
    "reason is given: no such file, permission denied, is a directory); 3 quarantined: the message cannot be\n"
    "read as an email (empty, over the size limit, broken beyond repair); it prints\n"
    "{\"quarantined\": true, \"reason\": ...}.\n";

int run_extract(const std::vector<std::string>& args) {
  std::string path;
  bool as_json = true;
  dockhand::intake::ExtractOptions options;
  CLI::App app{"", "dockhand-orchestrator extract"};
  app.add_option("FILE.eml", path);
  app.add_option("--max-bytes", options.max_message_bytes)
      ->check(dockhand::cli::whole_number("a number of bytes", "--max-bytes 1048576", 1));
  app.add_flag("--json", as_json);
  if (auto code = dockhand::cli::parse(app, args, kHelp)) return *code;
  if (path.empty()) throw dockhand::cli::UsageError("FILE.eml is missing: which email? (\"-\" reads stdin)");
  std::string raw = dockhand::cli::read_input(path, "FILE.eml");
  try {
    nlohmann::json j = dockhand::intake::extract(raw, options);
    std::cout << j.dump(2) << "\n";
    return dockhand::cli::exit_code::ok;
  } catch (const dockhand::intake::QuarantineError& e) {
    nlohmann::json j{{"quarantined", true}, {"reason", e.what()}, {"file", path}};
    std::cout << j.dump(2) << "\n";
    return dockhand::cli::exit_code::unreadable;
  }
}

const dockhand::cli::Registration reg{"extract", "FILE.eml [--json]",
                                      "Classify an email and print the routing request as JSON", run_extract};

}  // namespace
