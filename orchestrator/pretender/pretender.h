// pretender/: from an extracted routing request to the SubmitShipments payload.
//   enrich  - look each PO up in the warehouse order data (OrderDatabase, schema in docs/configuration.md)
//   group   - POs with the same ship-from and destination FC and overlapping ship windows form one shipment
//   count   - cartons, pallets, gross weight (lb) and volume (cu ft) per shipment
//   validate- a rules file (JSON data: which checks, their limits, their messages; see default_rules_json())
//   payload - Amazon's Shipment model (vendorShipments.json) with a deterministic vendorShipmentIdentifier
#pragma once

#include "orchestrator/intake/routing_request.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace dockhand::sqlite {
class Database;
enum class Access;  // sqlite_db.h
}

namespace dockhand::pretender {

class PretenderError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// ---- warehouse order data -------------------------------------------------------------------------------
struct Carton {
  std::string carton_id;
  double weight_lb = 0;
  double length_in = 0, width_in = 0, height_in = 0;
  std::optional<std::string> pallet_id;
};

struct OrderLine {
  std::string sku;
  int qty = 0;
};

struct Order {
  std::string po;
  std::string vendor_code;
  std::string ship_from;
  std::string destination_fc;
  std::string ship_window_start;  // ISO date
  std::string ship_window_end;
  std::string status = "Open";
  std::vector<OrderLine> lines;
  std::vector<Carton> cartons;
};

class OrderDatabase {
 public:
  // Opens the SQLite file; create=true makes the schema when missing (import), false requires the file and
  // opens it read-only (serve and plan never write the warehouse's data).
  explicit OrderDatabase(const std::string& path, bool create = false);
  // As above with the access spelled out (sqlite::Access::read_once for one-shot commands such as plan).
  // A file that is not order data (no orders table) is a PretenderError saying so.
  OrderDatabase(const std::string& path, sqlite::Access access);
  ~OrderDatabase();
  OrderDatabase(OrderDatabase&&) noexcept;

  std::optional<Order> find(const std::string& po) const;
  void upsert(const Order& order);  // replaces the order, its lines and its cartons

  // Imports one CSV file; the header row says which table it fills (orders, order_lines or cartons,
  // columns as in the schema). Returns the number of rows imported. All or nothing per file.
  std::size_t import_csv(const std::string& csv_path);

  static const char* schema_sql();

 private:
  std::unique_ptr<sqlite::Database> db_;
};

// ---- rules ----------------------------------------------------------------------------------------------
struct RuleFinding {
  std::string rule;      // the rule's id in the rules file
  std::string severity;  // "error" blocks the submission, "warning" is recorded only
  std::string po;        // empty when the finding is about the whole request
  std::string message;   // for an operator: what is wrong, where, what the limit is
};
void to_json(nlohmann::json& j, const RuleFinding& f);

struct Rules {
  nlohmann::json rules = nlohmann::json::array();  // [{id, check, severity, message, limit?, values?}]
  static Rules from_json_text(const std::string& text, const std::string& origin = "rules");
  static Rules from_file(const std::string& path);
  static Rules defaults();
};
const char* default_rules_json();

// ---- plan -----------------------------------------------------------------------------------------------
struct PlannedShipment {
  std::string vendor_shipment_identifier;
  std::string vendor_code, ship_from, destination_fc;
  std::string ship_window_start, ship_window_end;  // the intersection of the POs' windows
  std::vector<std::string> pos;
  int cartons = 0;
  int pallets = 0;
  double weight_lb = 0;
  double volume_cuft = 0;
  nlohmann::json payload;  // one Shipment object of Amazon's model
};
void to_json(nlohmann::json& j, const PlannedShipment& s);
void from_json(const nlohmann::json& j, PlannedShipment& s);

struct Plan {
  std::vector<PlannedShipment> shipments;
  std::vector<RuleFinding> findings;
  bool ok() const;  // no finding with severity "error"
  nlohmann::json submit_body() const;  // {"shipments":[...]} for submitShipments
};
void to_json(nlohmann::json& j, const Plan& p);

// Deterministic: the same vendor, ship-from, FC and set of POs always give the same identifier
// ("DH-<first PO>-<FC>-<8 hex of SHA-256>"), so a retried submission can never create a second shipment.
std::string vendor_shipment_identifier(const std::string& vendor_code, const std::string& ship_from,
                                       const std::string& destination_fc, std::vector<std::string> pos);

Plan plan(const intake::RoutingRequest& request, const OrderDatabase& orders, const Rules& rules,
          std::chrono::system_clock::time_point now);

// ---- ASN ------------------------------------------------------------------------------------------------
// What is known when a shipment departs: the bill of lading it left with, when, and Amazon's details of it
// (getShipmentDetails: carrier SCAC and PRO number, buyerReferenceNumber).
struct Departure {
  std::string bol;
  std::chrono::system_clock::time_point shipped_at;
  nlohmann::json amazon_details;
};
// One ShipmentConfirmation of Amazon's model (submitShipmentConfirmations) for a departed shipment: its items,
// cartons and pallets from the warehouse order data. PretenderError when a PO is no longer in the order data.
nlohmann::json shipment_confirmation(const PlannedShipment& shipment, const OrderDatabase& orders,
                                     const Departure& departure, std::chrono::system_clock::time_point now);

// Helpers shared with chain/.
std::string sha256_hex(std::string_view bytes);
std::string iso_timestamp(std::chrono::system_clock::time_point t);  // 2026-11-24T10:00:00Z
std::string decimal_string(double value);  // Amazon's Decimal: "340.5", "12"

}  // namespace dockhand::pretender
