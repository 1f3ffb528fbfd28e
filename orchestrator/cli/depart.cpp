// dockhand-orchestrator depart ID [--bol BOL]: an operator says the freight of a confirmed request left the
// warehouse (the truck is gone): the request moves to DEPARTED and serve sends its ASN to Amazon.
#include "command.h"

#include "args.h"
#include "config.h"

#include "orchestrator/chain/store.h"

#include <cstdlib>
#include <filesystem>
#include <iostream>

namespace {

using namespace dockhand;
namespace fs = std::filesystem;

const char* kHelp =
    "usage: dockhand-orchestrator depart ID [--bol BOL] [--comment TEXT] [--store FILE | --config FILE]\n"
    "\n"
    "Marks routing request ID departed: its freight left the warehouse. Allowed once Amazon confirmed it\n"
    "(CONFIRMED, CLOSING_OUT, or NEEDS_ATTENTION after confirmation). serve then sends the ASN\n"
    "(submitShipmentConfirmations) with the shipment's POs, items, cartons and pallets and the bill of\n"
    "lading, and the request is DONE once Amazon accepted it. OpShip's close-out does this by itself; this\n"
    "is for freight that left without it.\n"
    "\n"
    "  --bol BOL      the bill of lading, for the shipments OpShip's close-out gave none\n"
    "  --comment TEXT written to the event log\n"
    "  --store FILE   the store (default: the config's \"store\", else ./dockhand.sqlite)\n"
    "  --config FILE  take the store path from this config\n"
    "\n"
    "Exit status: 0 departed; 1 refused (the reason is printed); 2 bad arguments or no store.\n";

int run_depart(const std::vector<std::string>& args) {
  std::string id_text, bol, comment, store_path, config_file;
  CLI::App app{"", "dockhand-orchestrator depart"};
  cli::request_id_argument(app, id_text, "depart 12 --bol BOL4710001");
  app.add_option("--bol", bol);
  app.add_option("--comment", comment);
  app.add_option("--store", store_path);
  app.add_option("--config", config_file);
  if (auto code = cli::parse(app, args, kHelp)) return *code;
  if (id_text.empty()) throw cli::UsageError("depart: give the request ID (depart 12)");
  store_path = cli::store_path_from(store_path, config_file);
  if (!fs::exists(store_path)) throw cli::UsageError("depart: no store at " + store_path);
  const std::int64_t id = std::stoll(id_text);
  chain::SystemClock clock;
  chain::Store store(store_path, clock);
  const char* user = std::getenv("USER");
  const std::string actor = std::string("operator:") + (user ? user : "unknown");
  try {
    store.record_departure(id, bol, nullptr, actor,
                           "departed (marked by the operator)" + (comment.empty() ? "" : ": " + comment));
  } catch (const chain::TransitionError& e) {
    std::cerr << "depart: " << e.what() << "\n";
    return cli::exit_code::failed;
  }
  std::cout << "#" << id << " DEPARTED: serve sends its ASN to Amazon\n";
  return cli::exit_code::ok;
}

const dockhand::cli::Registration reg{"depart", "ID [--bol BOL] [--store FILE | --config FILE]",
                                      "Mark a confirmed request's freight departed (serve sends the ASN)", run_depart};

}  // namespace
