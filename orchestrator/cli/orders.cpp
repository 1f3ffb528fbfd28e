// dockhand-orchestrator orders import CSV... --db DB: fills the warehouse order data from CSV files.
#include "command.h"

#include "args.h"

#include "orchestrator/pretender/pretender.h"
#include "orchestrator/pretender/sqlite_db.h"

#include <iostream>
#include <memory>

namespace {

using namespace dockhand;
namespace cli = dockhand::cli;

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
    "  show    prints one order with its lines and cartons as JSON (DB is opened read-only)\n"
    "  schema  prints the SQL schema\n"
    "\n"
    "Exit status: 0 done; 1 no such PO (show); 2 bad arguments, or a file cannot be read (the reason is\n"
    "given) or holds rows that do not fit (nothing of that file is imported).\n";

int run_orders(const std::vector<std::string>& args) {
  std::string verb, db;
  std::vector<std::string> rest;
  CLI::App app{"", "dockhand-orchestrator orders"};
  app.add_option("COMMAND", verb)->transform(cli::one_of("an orders command", {"import", "show", "schema"}));
  app.add_option("ARGS", rest);
  app.add_option("--db", db);
  if (auto code = cli::parse(app, args, kHelp)) return *code;
  if (verb.empty()) throw cli::UsageError("COMMAND is missing: import, show or schema");
  if (verb == "schema" && rest.empty()) {
    std::cout << pretender::OrderDatabase::schema_sql();
    return 0;
  }
  if (db.empty()) throw cli::UsageError("orders " + verb + ": --db DB is missing: the order data file (SQLite)");
  if (verb == "import") {
    if (rest.empty()) throw cli::UsageError("orders import: FILE.csv is missing: which CSV files to import?");
    for (const auto& file : rest) cli::read_input(file, "FILE.csv");  // every file readable before any import
    pretender::OrderDatabase orders(db, true);
    for (const auto& file : rest) {
      std::size_t n = 0;
      try {
        n = orders.import_csv(file);
      } catch (const pretender::PretenderError& e) {
        throw cli::UsageError(e.what());
      }
      std::cout << file << ": " << cli::count(static_cast<long long>(n), "row") << " imported\n";
    }
    return 0;
  }
  if (verb == "show") {
    if (rest.size() != 1) throw cli::UsageError("orders show: give one PO (e.g. orders show 2K4GH7QZ --db orders.sqlite)");
    std::unique_ptr<pretender::OrderDatabase> opened;
    try {
      opened = std::make_unique<pretender::OrderDatabase>(db, sqlite::Access::read_once);
    } catch (const std::exception& e) {
      throw cli::UsageError(std::string("--db: ") + e.what());
    }
    auto& orders = *opened;
    auto order = orders.find(rest[0]);
    if (!order) {
      std::cerr << "orders show: no PO " << rest[0] << " in " << db << "\n";
      return cli::exit_code::failed;
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
  throw cli::UsageError("orders schema takes no arguments");
}

const dockhand::cli::Registration reg{"orders", "import FILE.csv... --db DB | show PO --db DB | schema",
                                      "Import and inspect the warehouse order data (SQLite)", run_orders};

}  // namespace
