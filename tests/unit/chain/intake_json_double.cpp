// Test double: the JSON mapping of intake/routing_request.h, used only while intake/ has not landed.
#include "orchestrator/intake/routing_request.h"

namespace dockhand::intake {

namespace {
template <typename T>
nlohmann::json opt(const std::optional<T>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}
template <typename T>
std::optional<T> get_opt(const nlohmann::json& j, const char* key) {
  if (!j.contains(key) || j[key].is_null()) return std::nullopt;
  return j[key].get<T>();
}
}  // namespace

void to_json(nlohmann::json& j, const PurchaseOrderRequest& po) {
  j = {{"po", po.po},
       {"destination_fc", opt(po.destination_fc)},
       {"ship_window_start", opt(po.ship_window_start)},
       {"ship_window_end", opt(po.ship_window_end)},
       {"cartons", opt(po.cartons)},
       {"pallets", opt(po.pallets)},
       {"weight_lb", opt(po.weight_lb)}};
}
void from_json(const nlohmann::json& j, PurchaseOrderRequest& po) {
  po.po = j.at("po");
  po.destination_fc = get_opt<std::string>(j, "destination_fc");
  po.ship_window_start = get_opt<std::string>(j, "ship_window_start");
  po.ship_window_end = get_opt<std::string>(j, "ship_window_end");
  po.cartons = get_opt<int>(j, "cartons");
  po.pallets = get_opt<int>(j, "pallets");
  po.weight_lb = get_opt<double>(j, "weight_lb");
}
void to_json(nlohmann::json& j, const RoutingRequest& rr) {
  j = {{"classification", rr.classification},
       {"classification_reason", rr.classification_reason},
       {"vendor_code", opt(rr.vendor_code)},
       {"ship_from", opt(rr.ship_from)},
       {"freight_ready_date", opt(rr.freight_ready_date)},
       {"purchase_orders", rr.purchase_orders}};
}
void from_json(const nlohmann::json& j, RoutingRequest& rr) {
  rr.classification = j.at("classification");
  rr.classification_reason = j.value("classification_reason", "");
  rr.vendor_code = get_opt<std::string>(j, "vendor_code");
  rr.ship_from = get_opt<std::string>(j, "ship_from");
  rr.freight_ready_date = get_opt<std::string>(j, "freight_ready_date");
  rr.purchase_orders = j.at("purchase_orders").get<std::vector<PurchaseOrderRequest>>();
}

}  // namespace dockhand::intake
