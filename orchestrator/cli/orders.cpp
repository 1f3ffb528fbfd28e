// dockhand-orchestrator orders import CSV... --db DB: fills the warehouse order data from CSV files.
#include "command.h"

#include "orchestrator/pretender/pretender.h"

#include <iostream>

namespace {

using namespace dockhand;

const char* kHelp =
    "usage: dockhand-orchestrator orders import FILE.csv... --db DB\n"
    "       dockhand-orchestrator orders show PO --db DB\n"
    "       dockhand-orchestrator orders schema\n"
    "\n"
    "The warehouse order data the pre-tender reads (SQLite; schema in docs/configuration.md).\n"
    "  import  imports CSV files into DB (created when missing). The header row of each file says which\n"
    "          table it fills: orders (po, vendor_code, ship_from, destination_fc, ship_window_start,\n"
    "          ship_window_end, status), order_lines (po, sku, qty) or cartons (po, carton_id, weight_lb,\n"
    "          length_in, width_in, height_in, pallet_id). All or nothing per file; import orders first.\n"
    "  show    prints one order with its lines and cartons as JSON\n"
    "  schema  prints the SQL schema\n";

int run_orders(const std::vector<std::string>& args) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::cout << kHelp;
    return args.empty() ? 2 : 0;
  }
  std::string verb = args[0], db;
  std::vector<std::string> rest;
  for (std::size_t i = 1; i < args.size(); ++i) {
    if (args[i] == "--help" || args[i] == "-h") {
      std::cout << kHelp;
      return 0;
    } else if (args[i] == "--db" && i + 1 < args.size()) {
      db = args[++i];
    } else if (!args[i].empty() && args[i][0] == '-') {
      std::cerr << "orders: unknown option " << args[i] << "\n\n" << kHelp;
      return 2;
    } else {
      rest.push_back(args[i]);
    }
  }
  if (verb == "schema") {
    std::cout << pretender::OrderDatabase::schema_sql();
    return 0;
  }
  if (db.empty()) {
    std::cerr << "orders " << verb << ": --db DB is required\n";
    return 2;
  }
  if (verb == "import") {
    if (rest.empty()) {
      std::cerr << "orders import: no CSV file given\n";
      return 2;
    }
    pretender::OrderDatabase orders(db, true);
    for (const auto& file : rest) {
      auto n = orders.import_csv(file);
      std::cout << file << ": " << n << " row(s) imported\n";
    }
    return 0;
  }
  if (verb == "show" && rest.size() == 1) {
    pretender::OrderDatabase orders(db, false);
    auto order = orders.find(rest[0]);
    if (!order) {
      std::cerr << "orders show: no PO " << rest[0] << " in " << db << "\n";
      return 1;
    }
    nlohmann::json lines = nlohmann::json::array(), cartons = nlohmann::json::array();
    for (const auto& l : order->lines) lines.push_back({{"sku", l.sku}, {"qty", l.qty}});
    for (const auto& c : order->cartons)
      cartons.push_back({{"carton_id", c.carton_id}, {"weight_lb", c.weight_lb}, {"length_in", c.length_in},
                         {"width_in", c.width_in}, {"height_in", c.height_in},
                         {"pallet_id", c.pallet_id ? nlohmann::json(*c.pallet_id) : nlohmann::json()}});
    std::cout << nlohmann::json{{"po", order->po}, {"vendor_code", order->vendor_code}, {"ship_from", order->ship_from},
                                {"destination_fc", order->destination_fc},
                                {"ship_window_start", order->ship_window_start},
                                {"ship_window_end", order->ship_window_end}, {"status", order->status},
                                {"lines", lines}, {"cartons", cartons}}
                     .dump(2)
              << "\n";
    return 0;
  }
  std::cerr << "orders: unknown or incomplete command\n\n" << kHelp;
  return 2;
}

const dockhand::cli::Registration reg{"orders", "import FILE.csv... --db DB | show PO --db DB | schema",
                                      "Import and inspect the warehouse order data (SQLite)", run_orders};

}  // namespace
