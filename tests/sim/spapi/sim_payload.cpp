#include "sim_payload.h"

#include <regex>

namespace dockhand::sim {
namespace {

using nlohmann::json;

const std::regex kDecimal(R"(^-?(0|([1-9]\d*))(\.\d+)?([eE][+-]?\d+)?$)");
const std::regex kDateTime(R"(^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$)");

void add(json& errors, const std::string& message, const std::string& field) {
  errors.push_back({{"code", "InvalidInput"}, {"message", message}, {"details", field}});
}

void require_party(json& errors, const json& s, const char* key, const std::string& at) {
  if (!s.contains(key) || !s[key].is_object()) return add(errors, std::string("Missing required field ") + key, at + "." + key);
  const auto& p = s[key];
  if (!p.contains("partyId") || !p["partyId"].is_string() || p["partyId"].get<std::string>().empty())
    add(errors, "Missing required field partyId", at + "." + key + ".partyId");
  if (p.contains("address")) {
    const auto& a = p["address"];
    for (const char* f : {"name", "addressLine1", "countryCode"})
      if (!a.is_object() || !a.contains(f) || !a[f].is_string())
        add(errors, std::string("Missing required field ") + f, at + "." + key + ".address." + f);
  }
}

// Walks the shipment: decimals (Weight/Volume/Dimensions/Money) must be strings, date-times ISO-8601.
void walk(json& errors, const json& v, const std::string& at) {
  if (v.is_array()) {
    for (size_t i = 0; i < v.size(); ++i) walk(errors, v[i], at + "[" + std::to_string(i) + "]");
    return;
  }
  if (!v.is_object()) return;
  auto decimal = [&](const char* key) {
    if (!v.contains(key)) return;
    if (!v[key].is_string() || !std::regex_match(v[key].get<std::string>(), kDecimal))
      add(errors, std::string("Value must be a decimal string, e.g. \"12.5\""), at + "." + key);
  };
  if (v.contains("unitOfMeasure") && !v.contains("unitSize") && !v.contains("amount")) {
    decimal("value");
    decimal("length");
    decimal("width");
    decimal("height");
  }
  if (v.contains("currencyCode")) decimal("amount");
  for (auto it = v.begin(); it != v.end(); ++it) {
    const std::string& k = it.key();
    const bool date_key = k == "transactionDate" || k == "requestedPickUp" || k == "scheduledPickUp" ||
                          k == "carrierAssignmentDate" || k == "purchaseOrderDate" || k == "shippedDate" ||
                          k == "estimatedDeliveryDate" || k == "shipmentDeliveryDate" || k == "estimatedShipByDate";
    if (date_key && (!it->is_string() || !is_date_time(it->get<std::string>())))
      add(errors, "Value must be an ISO-8601 date-time, e.g. 2026-11-24T15:00:00Z", at + "." + k);
    if ((k == "totalCartonCount" || k == "totalPalletStackable" || k == "totalPalletNonStackable") &&
        !it->is_number_integer())
      add(errors, "Value must be an integer", at + "." + k);
    if (it->is_structured()) walk(errors, *it, at + "." + k);
  }
}

}  // namespace

bool is_date_time(const std::string& s) { return std::regex_match(s, kDateTime); }

json validate_submit_shipments(const json& body) {
  json errors = json::array();
  if (!body.is_object() || !body.contains("shipments") || !body["shipments"].is_array() || body["shipments"].empty()) {
    add(errors, "Request body must contain a non-empty shipments array", "shipments");
    return errors;
  }
  const auto& shipments = body["shipments"];
  for (size_t i = 0; i < shipments.size(); ++i) {
    const auto& s = shipments[i];
    const std::string at = "shipments[" + std::to_string(i) + "]";
    if (!s.is_object()) {
      add(errors, "Shipment must be an object", at);
      continue;
    }
    if (!s.contains("vendorShipmentIdentifier") || !s["vendorShipmentIdentifier"].is_string() ||
        s["vendorShipmentIdentifier"].get<std::string>().empty())
      add(errors, "Missing required field vendorShipmentIdentifier", at + ".vendorShipmentIdentifier");
    else if (s["vendorShipmentIdentifier"] == "MOCKSHIPID")
      add(errors, "Invalid Vendor Shipment ID", at + ".vendorShipmentIdentifier");
    if (!s.contains("transactionType") || !s["transactionType"].is_string() ||
        (s["transactionType"] != "New" && s["transactionType"] != "Cancel"))
      add(errors, "transactionType must be New or Cancel", at + ".transactionType");
    if (!s.contains("transactionDate")) add(errors, "Missing required field transactionDate", at + ".transactionDate");
    require_party(errors, s, "sellingParty", at);
    require_party(errors, s, "shipFromParty", at);
    require_party(errors, s, "shipToParty", at);
    if (s.contains("shipmentFreightTerm") && s["shipmentFreightTerm"] != "Collect" && s["shipmentFreightTerm"] != "Prepaid")
      add(errors, "shipmentFreightTerm must be Collect or Prepaid", at + ".shipmentFreightTerm");
    walk(errors, s, at);
  }
  return errors;
}

json business_errors(const json& s) {
  static const std::regex po_re("^[A-Z0-9]{8}$"), fc_re("^[A-Z0-9]{4}$");
  json errors = json::array();
  const std::string id = s.value("vendorShipmentIdentifier", std::string());
  if (id.find("REJECT") != std::string::npos)
    errors.push_back({{"code", "SHIPMENT_REJECTED"}, {"message", "The shipment was rejected by the buyer."},
                      {"details", "vendorShipmentIdentifier " + id}});
  if (s.contains("purchaseOrders") && s["purchaseOrders"].is_array())
    for (const auto& po : s["purchaseOrders"]) {
      const std::string number = po.is_object() ? po.value("purchaseOrderNumber", std::string()) : "";
      if (!std::regex_match(number, po_re))
        errors.push_back({{"code", "INVALID_ORDER_ID"}, {"message", "Invalid order ID."},
                          {"details", "purchaseOrderNumber '" + number + "' in shipment " + id}});
    }
  const auto& to = s.value("shipToParty", json::object());
  const std::string fc = to.is_object() ? to.value("partyId", std::string()) : "";
  if (!std::regex_match(fc, fc_re))
    errors.push_back({{"code", "INVALID_SHIP_TO_PARTY"}, {"message", "Unknown fulfillment center."},
                      {"details", "shipToParty.partyId '" + fc + "' in shipment " + id}});
  if (s.contains("shipmentMeasurements") && s["shipmentMeasurements"].is_object() &&
      s["shipmentMeasurements"].value("totalCartonCount", 1) == 0)
    errors.push_back({{"code", "INVALID_CARTON_COUNT"}, {"message", "Carton count must be greater than zero."},
                      {"details", "shipmentMeasurements.totalCartonCount in shipment " + id}});
  return errors;
}

}  // namespace dockhand::sim
