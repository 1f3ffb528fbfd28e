#include "routing_request.h"

namespace dockhand::intake {
namespace {

template <typename T>
nlohmann::json opt(const std::optional<T>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}
template <typename T>
void read_opt(const nlohmann::json& j, const char* key, std::optional<T>& v) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) v.reset();
  else v = it->get<T>();
}

}  // namespace

void to_json(nlohmann::json& j, const PurchaseOrderRequest& po) {
  j = nlohmann::json{{"po", po.po},
                     {"destination_fc", opt(po.destination_fc)},
                     {"ship_window_start", opt(po.ship_window_start)},
                     {"ship_window_end", opt(po.ship_window_end)},
                     {"cartons", opt(po.cartons)},
                     {"pallets", opt(po.pallets)},
                     {"weight_lb", opt(po.weight_lb)},
                     {"sources", po.sources}};
}

void from_json(const nlohmann::json& j, PurchaseOrderRequest& po) {
  po.po = j.at("po").get<std::string>();
  read_opt(j, "destination_fc", po.destination_fc);
  read_opt(j, "ship_window_start", po.ship_window_start);
  read_opt(j, "ship_window_end", po.ship_window_end);
  read_opt(j, "cartons", po.cartons);
  read_opt(j, "pallets", po.pallets);
  read_opt(j, "weight_lb", po.weight_lb);
  po.sources = j.value("sources", std::map<std::string, std::string>{});
}

void to_json(nlohmann::json& j, const Attention& a) {
  j = nlohmann::json{{"reason", a.reason}, {"found", a.found}, {"missing", a.missing}};
}

void from_json(const nlohmann::json& j, Attention& a) {
  a.reason = j.value("reason", std::string());
  a.found = j.value("found", std::vector<std::string>{});
  a.missing = j.value("missing", std::vector<std::string>{});
}

void to_json(nlohmann::json& j, const Notice& n) {
  j = nlohmann::json{{"kind", n.kind},     {"pos", n.pos},
                     {"references", n.references}, {"reason", n.reason.empty() ? nlohmann::json() : nlohmann::json(n.reason)},
                     {"po_reasons", n.po_reasons}, {"amount", opt(n.amount)}, {"statement", n.statement},
                     {"sources", n.sources}};
}

void from_json(const nlohmann::json& j, Notice& n) {
  n.kind = j.at("kind").get<std::string>();
  n.pos = j.value("pos", std::vector<std::string>{});
  n.references = j.value("references", std::vector<std::string>{});
  n.reason = j.contains("reason") && j["reason"].is_string() ? j["reason"].get<std::string>() : std::string();
  n.po_reasons = j.value("po_reasons", std::map<std::string, std::string>{});
  read_opt(j, "amount", n.amount);
  n.statement = j.value("statement", std::string());
  n.sources = j.value("sources", std::map<std::string, std::string>{});
}

void to_json(nlohmann::json& j, const RoutingRequest& rr) {
  j = nlohmann::json{{"classification", rr.classification},
                     {"classification_reason", rr.classification_reason},
                     {"message_id", opt(rr.message_id)},
                     {"subject", opt(rr.subject)},
                     {"vendor_code", opt(rr.vendor_code)},
                     {"ship_from", opt(rr.ship_from)},
                     {"freight_ready_date", opt(rr.freight_ready_date)},
                     {"purchase_orders", rr.purchase_orders},
                     {"warnings", rr.warnings},
                     {"sources", rr.sources},
                     {"attention", opt(rr.attention)}};
  if (rr.notice) j["notice"] = *rr.notice;  // only on notices: routing requests keep their JSON as it was
}

void from_json(const nlohmann::json& j, RoutingRequest& rr) {
  rr.classification = j.at("classification").get<std::string>();
  rr.classification_reason = j.value("classification_reason", std::string());
  read_opt(j, "message_id", rr.message_id);
  read_opt(j, "subject", rr.subject);
  read_opt(j, "vendor_code", rr.vendor_code);
  read_opt(j, "ship_from", rr.ship_from);
  read_opt(j, "freight_ready_date", rr.freight_ready_date);
  rr.purchase_orders = j.value("purchase_orders", std::vector<PurchaseOrderRequest>{});
  rr.warnings = j.value("warnings", std::vector<std::string>{});
  rr.sources = j.value("sources", std::map<std::string, std::string>{});
  read_opt(j, "attention", rr.attention);
  read_opt(j, "notice", rr.notice);
}

}  // namespace dockhand::intake
