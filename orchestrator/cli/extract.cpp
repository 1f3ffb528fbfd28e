// dockhand-orchestrator extract FILE.eml: what the intake reads from one email, as JSON.
#include "command.h"

#include "routing_request.h"

#include <fstream>
#include <iostream>
#include <sstream>

namespace {

const char* kHelp =
    "usage: dockhand-orchestrator extract FILE.eml [--max-bytes N]\n"
    "\n"
    "Classifies one email (amazon_routing_request or other, with the reason) and prints what it says as JSON:\n"
    "vendor_code, ship_from, freight_ready_date and purchase_orders (po, destination_fc, ship_window_start,\n"
    "ship_window_end, cartons, pallets, weight_lb); absent fields are null. Values that could not be trusted\n"
    "(a PO that is not 8 characters, a date that does not exist) are left out and listed in \"warnings\".\n"
    "\n"
    "Exit status: 0 extracted (either classification), 3 quarantined: the message cannot be read (empty,\n"
    "over the size limit, broken beyond repair); it prints {\"quarantined\": true, \"reason\": ...}.\n"
    "2 bad arguments or unreadable file.\n"
    "\n"
    "  --max-bytes N   quarantine messages larger than N bytes (default 26214400 = 25 MB)\n";

int run_extract(const std::vector<std::string>& args) {
  std::string path;
  dockhand::intake::ExtractOptions options;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--help" || args[i] == "-h") {
      std::cout << kHelp;
      return 0;
    }
    if (args[i] == "--max-bytes" && i + 1 < args.size()) {
      options.max_message_bytes = std::stoull(args[++i]);
    } else if (!args[i].empty() && args[i][0] == '-' && args[i] != "-") {
      std::cerr << "extract: unknown option " << args[i] << "\n" << kHelp;
      return 2;
    } else if (path.empty()) {
      path = args[i];
    } else {
      std::cerr << "extract: one file at a time\n";
      return 2;
    }
  }
  if (path.empty()) {
    std::cerr << kHelp;
    return 2;
  }
  std::string raw;
  if (path == "-") {
    std::ostringstream ss;
    ss << std::cin.rdbuf();
    raw = ss.str();
  } else {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      std::cerr << "extract: cannot read " << path << "\n";
      return 2;
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    raw = ss.str();
  }
  try {
    nlohmann::json j = dockhand::intake::extract(raw, options);
    std::cout << j.dump(2) << "\n";
    return 0;
  } catch (const dockhand::intake::QuarantineError& e) {
    nlohmann::json j{{"quarantined", true}, {"reason", e.what()}, {"file", path}};
    std::cout << j.dump(2) << "\n";
    return 3;
  }
}

const dockhand::cli::Registration reg{"extract", "FILE.eml", "Classify an email and print the routing request as JSON",
                                      run_extract};

}  // namespace
