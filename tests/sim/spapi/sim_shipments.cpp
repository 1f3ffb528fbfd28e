// Amazon's side of the Vendor Shipments flow: submitShipments, the transaction it starts (getTransaction) and
// the shipments it creates (getShipmentDetails).
#include "sim_payload.h"
#include "simulator.h"

#include <ctime>

namespace dockhand::sim {


std::string Simulator::new_transaction_id() {
  const long long n = data_["next"].get<long long>();
  data_["next"] = n + 1;
  std::time_t secs = now_ms() / 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d%02d%02d%02d%02d%02d-%08llx-sim0-%04x", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, n,
                std::uniform_int_distribution<int>(0, 0xffff)(rng_));
  return buf;
}

std::optional<json> Simulator::valid_body(const httplib::Request& req, httplib::Response& res,
                                          json (*validate)(const json&)) {
  auto body = json::parse(req.body, nullptr, false);
  auto errors = body.is_discarded() ? amazon_errors("InvalidInput", "Request body is not valid JSON")["errors"]
                                    : validate(body);
  if (errors.empty()) return body;
  res.status = 400;
  res.set_content(json{{"errors", errors}}.dump(), "application/json");
  log(req, 400);
  return std::nullopt;
}

void Simulator::submit(const httplib::Request& req, httplib::Response& res) {
  auto parsed = valid_body(req, res, validate_submit_shipments);
  if (!parsed) return;
  json body = std::move(*parsed);
  // An access token acts for its own selling partner only: another partner's vendor code is refused.
  std::vector<std::string> vendors;
  for (const auto& s : body["shipments"]) vendors.push_back(s["sellingParty"]["partyId"].get<std::string>());
  const std::string partner = partner_of(req);
  if (const auto refusal = SimAuth::refusal(data_, data_["tokens"][req.get_header_value("x-amz-access-token")], vendors);
      !refusal.empty()) {
    data_["counters"]["refused_other_partner"] = data_["counters"]["refused_other_partner"].get<int>() + 1;
    res.status = 403;
    res.set_content(amazon_errors("Unauthorized", "Access to requested resource is denied.", refusal).dump(),
                    "application/json");
    log(req, 403);
    return;
  }
  const std::string id = new_transaction_id();
  json failures = json::array(), ids = json::array(), cancels = json::array();
  for (const auto& s : body["shipments"]) {
    const std::string vsid = s["vendorShipmentIdentifier"];
    ids.push_back(vsid);
    if (s["transactionType"] == "Cancel") {  // settled when the transaction ends (look_at)
      auto& counted = data_["cancels"];
      if (!counted.is_object()) counted = json::object();
      counted[vsid] = counted.value(vsid, 0) + 1;
      cancels.push_back(vsid);
      for (const auto& e : cancel_errors(vsid, partner)) failures.push_back(e);
      continue;
    }
    data_["submissions"][vsid] = data_["submissions"].value(vsid, 0) + 1;
    auto& mine = data_["submissions_by_partner"][partner];
    if (!mine.is_object()) mine = json::object();
    mine[vsid] = mine.value(vsid, 0) + 1;
    if (!data_["submitted_ms"].contains(vsid)) data_["submitted_ms"][vsid] = now_ms();  // for latency benchmarks
    json stored = s;
    stored["currentShipmentStatus"] = "Created";
    stored["shipmentCreateDate"] = iso(now_ms());
    data_["shipments"][vsid] = {{"shipment", stored}, {"transactionId", id}, {"partner", partner}};
    for (const auto& e : business_errors(s)) failures.push_back(e);
  }
  data_["transactions"][id] = {{"status", "Processing"}, {"polls", 0},        {"shipments", ids},
                               {"cancels", cancels},   {"pending_errors", failures}, {"partner", partner}};
  save();
  res.status = 202;
  res.set_content(json{{"payload", {{"transactionId", id}}}}.dump(), "application/json");
  log(req, 202);
}

// Why Amazon refuses to cancel a shipment: it has none of this partner's by that identifier (never sent,
// rejected, cancelled already), or the freight has left.
json Simulator::cancel_errors(const std::string& vsid, const std::string& partner) {
  json errors = json::array();
  const auto& shipments = data_["shipments"];
  const bool known = shipments.contains(vsid) && shipments[vsid].value("partner", partner) == partner &&
                     shipments[vsid]["shipment"].value("currentShipmentStatus", std::string()) != "Rejected" &&
                     !shipments[vsid].value("cancelled", false);
  if (!known)
    errors.push_back({{"code", "INVALID_SHIPMENT_ID"}, {"message", "No shipment to cancel with this identifier."},
                      {"details", "vendorShipmentIdentifier " + vsid}});
  else if (shipments[vsid]["shipment"].value("currentShipmentStatus", std::string()) == "Shipped")
    errors.push_back({{"code", "SHIPMENT_ALREADY_SHIPPED"}, {"message", "A shipped shipment cannot be cancelled."},
                      {"details", "vendorShipmentIdentifier " + vsid}});
  return errors;
}

// Amazon's side of a confirmed shipment: carrier, pickup and references, derived from the identifier
// so that a restarted simulator tells the same story.
void Simulator::confirm(json& stored) {
  static const std::pair<const char*, const char*> carriers[] = {
      {"Estes Express Lines", "EXLA"}, {"ABF Freight", "ABFS"}, {"XPO Logistics", "CNWY"}, {"Old Dominion", "ODFL"}};
  const std::string vsid = stored.value("vendorShipmentIdentifier", std::string());
  const size_t h = std::hash<std::string>{}(vsid);
  const auto& carrier = carriers[h % 4];
  char ref[16], pro[16];
  std::snprintf(ref, sizeof ref, "%010llu", static_cast<unsigned long long>(h % 10000000000ULL));
  std::snprintf(pro, sizeof pro, "%09llu", static_cast<unsigned long long>((h / 7) % 1000000000ULL));
  stored["currentShipmentStatus"] = "CarrierAssigned";
  stored["currentshipmentStatusDate"] = iso(now_ms());
  stored["shipmentConfirmDate"] = iso(now_ms());
  if (!stored.contains("buyerReferenceNumber")) stored["buyerReferenceNumber"] = ref;
  auto& pickup = stored["collectFreightPickupDetails"];
  if (!pickup.is_object()) pickup = json::object();
  const std::string requested = pickup.value("requestedPickUp", iso(now_ms() + 24LL * 3600 * 1000));
  pickup["requestedPickUp"] = requested;
  pickup["scheduledPickUp"] = requested;
  pickup["carrierAssignmentDate"] = iso(now_ms());
  auto& transport = stored["transportationDetails"];
  if (!transport.is_object()) transport = json::object();
  transport["shipMode"] = transport.value("shipMode", std::string("LessThanTruckLoad"));
  transport["transportationMode"] = "Road";
  transport["carrierDetails"] = {{"name", carrier.first}, {"code", carrier.second},
                                 {"shipmentReferenceNumber", std::string("PRO") + pro}};
}

// Amazon works on a transaction whether anyone asks or not; here each look at it (getTransaction, or
// getShipmentDetails of one of its shipments) is one step of that work. After processing_polls looks it
// ends: Failure (its shipments are Rejected and no longer listed) or Success (carrier assigned).
void Simulator::look_at(const std::string& id) {
  auto& tx = data_["transactions"][id];
  tx["polls"] = tx["polls"].get<int>() + 1;
  if (tx["status"] != "Processing" || tx["polls"].get<int>() <= opt_.processing_polls) return;
  const bool failed = !tx["pending_errors"].empty();
  tx["status"] = failed ? "Failure" : "Success";
  // A Cancel accepted: the shipment is withdrawn and no longer listed (the model has no Cancelled status).
  if (!failed)
    for (const auto& vsid : tx.value("cancels", json::array()))
      data_["shipments"][vsid.get<std::string>()]["cancelled"] = true;
  for (const auto& vsid : tx["shipments"]) {
    auto& entry = data_["shipments"][vsid.get<std::string>()];
    if (entry["transactionId"] != id) continue;  // superseded by a later submission
    if (failed) entry["shipment"]["currentShipmentStatus"] = "Rejected";
    else accepted(entry);
  }
}

void Simulator::transaction(const httplib::Request& req, httplib::Response& res) {
  const std::string id = req.matches[1];
  auto& txs = data_["transactions"];
  if (!txs.contains(id) || txs[id].value("partner", partner_of(req)) != partner_of(req)) {
    res.status = 404;
    res.set_content(amazon_errors("NotFound", "The resource specified does not exist.", "transactionId " + id).dump(),
                    "application/json");
    log(req, 404);
    return;
  }
  auto& tx = txs[id];
  look_at(id);
  save();
  json status = {{"transactionId", id}, {"status", tx["status"]}};
  if (tx["status"] == "Failure") status["errors"] = tx["pending_errors"];
  res.set_content(json{{"payload", {{"transactionStatus", status}}}}.dump(), "application/json");
  log(req, 200);
}

void Simulator::details(const httplib::Request& req, httplib::Response& res) {
  const std::string wanted = req.get_param_value("vendorShipmentIdentifier");
  json list = json::array();
  bool looked = false;
  for (auto it = data_["shipments"].begin(); it != data_["shipments"].end(); ++it) {
    if (!wanted.empty() && it.key() != wanted) continue;
    if (it->value("partner", partner_of(req)) != partner_of(req)) continue;  // another selling partner's
    if (!wanted.empty() && it->contains("transactionId")) {
      carrier_pending(*it);
      look_at((*it)["transactionId"].get<std::string>());
      looked = true;
      data_["details_looks"][it.key()] = data_["details_looks"].value(it.key(), 0) + 1;
    }
    const auto& s = (*it)["shipment"];
    if (s.value("currentShipmentStatus", std::string()) == "Rejected") continue;  // Amazon never took it
    if (it->value("cancelled", false)) continue;                                  // cancelled by the vendor
    list.push_back(s);
    if (list.size() >= 50) break;
  }
  if (looked) save();
  res.set_content(json{{"payload", {{"shipments", list}}}}.dump(), "application/json");
  log(req, 200);
}

}  // namespace dockhand::sim
