#include "checks.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <map>
#include <set>
#include <tuple>

namespace dockhand::pretender {

std::string sha256_hex(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr) != 1)
    throw PretenderError("SHA-256 failed");
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    out += hex[digest[i] >> 4];
    out += hex[digest[i] & 15];
  }
  return out;
}

std::string iso_timestamp(std::chrono::system_clock::time_point t) {
  std::time_t seconds = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buffer;
}

std::string decimal_string(double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.2f", std::round(value * 100.0) / 100.0);
  std::string s = buffer;
  if (s.find('.') != std::string::npos) {
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
  }
  if (s == "-0") s = "0";
  return s;
}

std::string vendor_shipment_identifier(const std::string& vendor_code, const std::string& ship_from,
                                       const std::string& destination_fc, std::vector<std::string> pos) {
  std::sort(pos.begin(), pos.end());
  pos.erase(std::unique(pos.begin(), pos.end()), pos.end());
  std::string key = vendor_code + "|" + ship_from + "|" + destination_fc;
  for (const auto& po : pos) key += "|" + po;
  std::string hash = sha256_hex(key).substr(0, 8);
  for (auto& c : hash) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return "DH-" + (pos.empty() ? std::string("NOPO") : pos.front()) + "-" + destination_fc + "-" + hash;
}

bool Plan::ok() const {
  return std::none_of(findings.begin(), findings.end(), [](const RuleFinding& f) { return f.severity == "error"; });
}

nlohmann::json Plan::submit_body() const {
  nlohmann::json shipments_json = nlohmann::json::array();
  for (const auto& s : shipments) shipments_json.push_back(s.payload);
  return {{"shipments", shipments_json}};
}

void to_json(nlohmann::json& j, const PlannedShipment& s) {
  j = {{"vendor_shipment_identifier", s.vendor_shipment_identifier},
       {"vendor_code", s.vendor_code},
       {"ship_from", s.ship_from},
       {"destination_fc", s.destination_fc},
       {"ship_window_start", s.ship_window_start},
       {"ship_window_end", s.ship_window_end},
       {"pos", s.pos},
       {"cartons", s.cartons},
       {"pallets", s.pallets},
       {"weight_lb", s.weight_lb},
       {"volume_cuft", s.volume_cuft},
       {"payload", s.payload}};
}

void from_json(const nlohmann::json& j, PlannedShipment& s) {
  s.vendor_shipment_identifier = j.at("vendor_shipment_identifier");
  s.vendor_code = j.at("vendor_code");
  s.ship_from = j.at("ship_from");
  s.destination_fc = j.at("destination_fc");
  s.ship_window_start = j.at("ship_window_start");
  s.ship_window_end = j.at("ship_window_end");
  s.pos = j.at("pos").get<std::vector<std::string>>();
  s.cartons = j.at("cartons");
  s.pallets = j.at("pallets");
  s.weight_lb = j.at("weight_lb");
  s.volume_cuft = j.at("volume_cuft");
  s.payload = j.at("payload");
}

void to_json(nlohmann::json& j, const Plan& p) {
  j = {{"ok", p.ok()}, {"shipments", p.shipments}, {"findings", p.findings}};
}

namespace {

struct PoLine {
  const intake::PurchaseOrderRequest* email;
  Order order;
  std::string vendor, ship_from, fc, start, end;
};

std::string today(std::chrono::system_clock::time_point now) { return iso_timestamp(now).substr(0, 10); }

nlohmann::json shipment_payload(const PlannedShipment& s, const std::vector<const PoLine*>& members,
                                const intake::RoutingRequest& request, std::chrono::system_clock::time_point now) {
  nlohmann::json purchase_orders = nlohmann::json::array();
  for (const auto* m : members) {
    nlohmann::json items = nlohmann::json::array();
    int sequence = 0;
    for (const auto& line : m->order.lines) {
      char number[16];
      std::snprintf(number, sizeof number, "%03d", ++sequence % 1000);
      items.push_back({{"itemSequenceNumber", number},
                       {"vendorProductIdentifier", line.sku},
                       {"shippedQuantity", {{"amount", line.qty}, {"unitOfMeasure", "Eaches"}, {"unitSize", 1}}}});
    }
    nlohmann::json po = {{"purchaseOrderNumber", m->order.po},
                         {"shipWindow", m->start + "T00:00:00Z--" + m->end + "T23:59:59Z"}};
    if (!items.empty()) po["items"] = items;
    purchase_orders.push_back(po);
  }
  // Freight is ready on the date the email gives, but never before the window opens.
  std::string pickup = std::max(request.freight_ready_date.value_or(s.ship_window_start), s.ship_window_start);
  nlohmann::json measurements = {
      {"totalCartonCount", s.cartons},
      {"shipmentWeight", {{"unitOfMeasure", "Lb"}, {"value", decimal_string(s.weight_lb)}}},
      {"shipmentVolume", {{"unitOfMeasure", "CuFt"}, {"value", decimal_string(s.volume_cuft)}}}};
  if (s.pallets > 0) measurements["totalPalletStackable"] = s.pallets;
  return {{"vendorShipmentIdentifier", s.vendor_shipment_identifier},
          {"transactionType", "New"},
          {"transactionDate", iso_timestamp(now)},
          {"shipmentFreightTerm", "Collect"},
          {"sellingParty", {{"partyId", s.vendor_code}}},
          {"shipFromParty", {{"partyId", s.ship_from}}},
          {"shipToParty", {{"partyId", s.destination_fc}}},
          {"shipmentMeasurements", measurements},
          {"collectFreightPickupDetails", {{"requestedPickUp", pickup + "T00:00:00Z"}}},
          {"purchaseOrders", purchase_orders},
          {"transportationDetails",
           {{"shipMode", s.pallets >= 12 ? "TruckLoad" : "LessThanTruckLoad"}, {"transportationMode", "Road"}}}};
}

}  // namespace

Plan plan(const intake::RoutingRequest& request, const OrderDatabase& orders, const Rules& rules,
          std::chrono::system_clock::time_point now) {
  Plan result;
  if (!request.is_routing_request())
    throw PretenderError("not a routing request (" + request.classification + "): nothing to plan");
  if (request.purchase_orders.empty()) {
    result.findings.push_back({"has-pos", "error", "", "The routing request lists no purchase orders"});
    return result;
  }
  // Request-level: values the intake could not trust (a PO that is not 8 characters, a date that does not
  // exist, a part it had to skip). The rest of the email may look fine, but what it asked for is not all known.
  for (const auto& rule : rules.rules) {
    if (rule["check"] != "email_values_readable") continue;
    for (const auto& warning : request.warnings) {
      std::string message = rule["message"];
      for (auto pos = message.find("{value}"); pos != std::string::npos; pos = message.find("{value}", pos + warning.size()))
        message.replace(pos, 7, warning);
      result.findings.push_back({rule["id"], rule.value("severity", "error"), "", message});
    }
  }
  std::string day = today(now);
  std::vector<PoLine> lines;
  for (const auto& email_po : request.purchase_orders) {
    auto order = orders.find(email_po.po);
    detail::check_po(rules, {email_po, order ? &*order : nullptr, request.vendor_code, day}, result.findings);
    if (!order) continue;
    PoLine line{&email_po, *order, request.vendor_code.value_or(order->vendor_code),
                request.ship_from.value_or(order->ship_from), email_po.destination_fc.value_or(order->destination_fc),
                email_po.ship_window_start.value_or(order->ship_window_start),
                email_po.ship_window_end.value_or(order->ship_window_end)};
    if (line.end < line.start) {
      result.findings.push_back({"ship-window", "error", email_po.po,
                                 "The ship window of PO " + email_po.po + " ends (" + line.end +
                                     ") before it starts (" + line.start + ")"});
      continue;
    }
    lines.push_back(std::move(line));
  }

  // Group: same vendor, ship-from and FC; within that, POs whose windows overlap share a shipment.
  std::map<std::tuple<std::string, std::string, std::string>, std::vector<const PoLine*>> by_lane;
  for (const auto& line : lines) by_lane[{line.vendor, line.ship_from, line.fc}].push_back(&line);
  for (auto& [lane, members] : by_lane) {
    std::stable_sort(members.begin(), members.end(),
                     [](const PoLine* a, const PoLine* b) { return a->start < b->start; });
    std::vector<std::vector<const PoLine*>> groups;
    std::string start, end;
    for (const auto* m : members) {
      std::string new_start = std::max(start, m->start), new_end = std::min(end, m->end);
      if (groups.empty() || new_start > new_end) {
        groups.push_back({m});
        start = m->start;
        end = m->end;
      } else {
        groups.back().push_back(m);
        start = new_start;
        end = new_end;
      }
    }
    for (const auto& group : groups) {
      PlannedShipment s;
      std::tie(s.vendor_code, s.ship_from, s.destination_fc) = lane;
      s.ship_window_start = group.front()->start;
      s.ship_window_end = group.front()->end;
      std::set<std::string> pallets;
      double cubic_inches = 0;
      for (const auto* m : group) {
        s.ship_window_start = std::max(s.ship_window_start, m->start);
        s.ship_window_end = std::min(s.ship_window_end, m->end);
        s.pos.push_back(m->order.po);
        s.cartons += static_cast<int>(m->order.cartons.size());
        int po_pallets = 0;
        for (const auto& c : m->order.cartons) {
          s.weight_lb += c.weight_lb;
          cubic_inches += c.length_in * c.width_in * c.height_in;
          if (c.pallet_id && pallets.insert(*c.pallet_id).second) ++po_pallets;
        }
        // Loose cartons in the warehouse data: trust the pallet count Amazon was told in the email.
        if (po_pallets == 0 && m->email->pallets) po_pallets = *m->email->pallets;
        s.pallets += po_pallets;
      }
      s.volume_cuft = cubic_inches / 1728.0;
      s.vendor_shipment_identifier =
          vendor_shipment_identifier(s.vendor_code, s.ship_from, s.destination_fc, s.pos);
      s.payload = shipment_payload(s, group, request, now);
      result.shipments.push_back(std::move(s));
    }
  }
  return result;
}

}  // namespace dockhand::pretender
