// The store's part of following a confirmed shipment until it leaves (issue 23): Amazon's status at each
// look, the labels, the departure with its bill of lading, the ASN, and the deadlines (table
// shipment_followup, schema version 5). Each write is one transaction with its event, like store.cpp's.
#include "store.h"
#include "store_internal.h"

#include "crash_point.h"

#include <algorithm>

namespace dockhand::chain {

using sqlite::Transaction;
using namespace detail;

namespace {

// The request and identifier of a shipment that must be in `expected_state`.
std::int64_t request_of(sqlite::Database& db, std::int64_t shipment_id, std::string* identifier) {
  auto q = db.prepare("SELECT request, state, vendor_shipment_identifier FROM shipments WHERE id = ?1");
  q.bind(1, shipment_id);
  if (!q.step()) throw TransitionError("shipment #" + std::to_string(shipment_id) + " does not exist");
  if (q.text(1) != shipment_state::confirmed)
    throw TransitionError("shipment " + q.text(2) + " is " + q.text(1) + ", not CONFIRMED");
  if (identifier) *identifier = q.text(2);
  return q.integer(0);
}

void ensure_row(sqlite::Database& db, std::int64_t shipment_id) {
  db.prepare("INSERT OR IGNORE INTO shipment_followup (shipment) VALUES (?1)").bind(1, shipment_id).run();
}

std::string asn_state_of(sqlite::Database& db, std::int64_t shipment_id) {
  auto q = db.prepare("SELECT asn_state FROM shipment_followup WHERE shipment = ?1");
  q.bind(1, shipment_id);
  return q.step() ? q.text(0) : std::string();
}

// What Amazon's details say, in one line for the timeline.
std::string summary_of(const nlohmann::json& details) {
  const auto status = details.value("currentShipmentStatus", std::string("no status"));
  const auto transport = details.value("transportationDetails", nlohmann::json::object());
  const auto carrier = transport.value("carrierDetails", nlohmann::json::object());
  std::string out = status;
  const auto name = carrier.value("name", carrier.value("code", std::string()));
  out += name.empty() ? ", no carrier yet" : ", carrier " + name;
  const auto pickup = details.value("collectFreightPickupDetails", nlohmann::json::object());
  if (pickup.contains("scheduledPickUp") && pickup["scheduledPickUp"].is_string())
    out += ", pickup " + pickup["scheduledPickUp"].get<std::string>();
  if (details.contains("buyerReferenceNumber") && details["buyerReferenceNumber"].is_string())
    out += ", reference " + details["buyerReferenceNumber"].get<std::string>();
  return out;
}

}  // namespace

// How every write about one confirmed shipment opens: the store's lock, a transaction, the health scope, and
// the shipment's request and identifier (TransitionError if it is not CONFIRMED).
class Store::ShipmentWrite {
 public:
  ShipmentWrite(Store& store, std::int64_t shipment_id)
      : lock(store.mutex_), tx(*store.db_), write(store), request_id(request_of(*store.db_, shipment_id, &identifier)) {}
  std::lock_guard<std::recursive_mutex> lock;
  Transaction tx;
  WriteScope write;
  std::string identifier;
  std::int64_t request_id;
};

std::map<std::int64_t, Followup> Store::followups(std::int64_t request_id) {
  std::lock_guard lock(mutex_);
  std::map<std::int64_t, Followup> out;
  if (!has_followup_) return out;
  auto q = db_->prepare(
      "SELECT f.shipment, f.amazon_status, f.labels, f.departed_at, f.departed_by, f.bol, f.asn_state, "
      "f.asn_transaction_id, f.asn_sent_ms, f.asn_errors FROM shipment_followup f JOIN shipments s ON s.id = "
      "f.shipment WHERE s.request = ?1 ORDER BY f.shipment");
  q.bind(1, request_id);
  while (q.step()) {
    Followup f;
    f.shipment_id = q.integer(0);
    f.amazon_status = q.text(1);
    f.labels = static_cast<int>(q.integer(2));
    f.departed_at = q.text(3);
    f.departed_by = q.text(4);
    f.bol = q.text(5);
    f.asn_state = q.text(6);
    f.asn_transaction_id = q.optional_text(7);
    if (!q.is_null(8)) f.asn_sent_ms = q.integer(8);
    f.asn_errors = parse_or_null(q.optional_text(9));
    out[f.shipment_id] = std::move(f);
  }
  return out;
}

bool Store::record_followup_details(std::int64_t shipment_id, const nlohmann::json& details, const std::string& actor) {
  ShipmentWrite w(*this, shipment_id);
  auto before = db_->prepare(
      "SELECT s.details IS NULL, COALESCE(f.amazon_status, '') FROM shipments s LEFT JOIN shipment_followup f ON "
      "f.shipment = s.id WHERE s.id = ?1");
  before.bind(1, shipment_id);
  before.step();
  const bool first = before.integer(0) != 0;
  const std::string was = before.text(1);
  const std::string status = details.value("currentShipmentStatus", std::string());
  db_->prepare("UPDATE shipments SET details = ?2 WHERE id = ?1").bind(1, shipment_id).bind(2, details.dump()).run();
  ensure_row(*db_, shipment_id);
  db_->prepare("UPDATE shipment_followup SET amazon_status = ?2 WHERE shipment = ?1")
      .bind(1, shipment_id)
      .bind(2, status)
      .run();
  const bool changed = status != was;
  if (first)
    event_locked(w.request_id, actor, "DETAILS", w.identifier + ": " + summary_of(details));
  else if (changed)
    event_locked(w.request_id, actor, "AMAZON_STATUS", w.identifier + ": " + summary_of(details));
  w.tx.commit();
  if (first) detail::crash_point("DETAILS");
  return changed;
}

void Store::record_labels(std::int64_t shipment_id, const std::vector<std::pair<std::string, std::string>>& files,
                          const std::string& content_type, const std::string& actor, const std::string& detail) {
  ShipmentWrite w(*this, shipment_id);
  for (const auto& [name, bytes] : files)
    db_->prepare("INSERT INTO evidence (request, time, name, content_type, bytes) VALUES (?1, ?2, ?3, ?4, ?5)")
        .bind(1, w.request_id)
        .bind(2, iso_ms(clock_.now()))
        .bind(3, name)
        .bind(4, content_type)
        .bind_blob(5, bytes)
        .run();
  ensure_row(*db_, shipment_id);
  db_->prepare("UPDATE shipment_followup SET labels = ?2 WHERE shipment = ?1")
      .bind(1, shipment_id)
      .bind(2, static_cast<std::int64_t>(files.size()))
      .run();
  if (!detail.empty()) event_locked(w.request_id, actor, "LABELS", w.identifier + ": " + detail);  // none: no event
  w.tx.commit();
  detail::crash_point("LABELS");
}

std::optional<std::string> Store::departure_refusal_locked(std::int64_t id, const std::string& bol) {
  auto q = db_->prepare("SELECT state FROM requests WHERE id = ?1");
  q.bind(1, id);
  if (!q.step()) return "routing request #" + std::to_string(id) + " does not exist";
  const auto state = q.text(0);
  if (state != "CONFIRMED" && state != "CLOSING_OUT" && state != "NEEDS_ATTENTION")
    return "routing request #" + std::to_string(id) + " is " + state +
           ": only a confirmed request (CONFIRMED, CLOSING_OUT, or NEEDS_ATTENTION after confirmation) can depart";
  auto s = db_->prepare(
      "SELECT s.vendor_shipment_identifier, s.state, COALESCE(f.bol, ''), COALESCE(f.asn_state, '') FROM shipments s "
      "LEFT JOIN shipment_followup f ON f.shipment = s.id WHERE s.request = ?1 ORDER BY s.id");
  s.bind(1, id);
  bool any = false;
  while (s.step()) {
    if (s.text(1) == shipment_state::cancelled) continue;  // cancelled at Amazon: nothing leaves for it
    any = true;
    if (s.text(1) != shipment_state::confirmed)
      return "shipment " + s.text(0) + " is " + s.text(1) + ": Amazon has not confirmed it, so no ASN can be sent";
    if (!s.text(3).empty())
      return "shipment " + s.text(0) + " departed already (its ASN is " + s.text(3) + ")";
    if (s.text(2).empty() && bol.empty())
      return "shipment " + s.text(0) + " has no bill of lading yet (OpShip's close-out gives one): give it (--bol)";
  }
  if (!any) return "routing request #" + std::to_string(id) + " has no shipments";
  return std::nullopt;
}

std::optional<std::string> Store::departure_refusal(std::int64_t id, const std::string& bol) {
  std::lock_guard lock(mutex_);
  return departure_refusal_locked(id, bol);
}

void Store::departure_locked(std::int64_t id, std::initializer_list<State> from, const std::string& bol,
                             const nlohmann::json& outputs, const std::string& actor, const std::string& detail) {
  // The close-out's BOLs by shipment, then the one given for the shipments still without.
  std::map<std::string, std::string> bols;
  if (outputs.is_object())
    for (const auto& o : outputs.value("shipments", nlohmann::json::array()))
      if (o.is_object() && o.value("bol", std::string()) != "")
        bols[o.value("vendor_shipment_identifier", std::string())] = o["bol"].get<std::string>();
  transition_locked(id, from, State::DEPARTED, actor, detail);
  const auto now = iso_ms(clock_.now());
  auto s = db_->prepare(
      "SELECT id, vendor_shipment_identifier FROM shipments WHERE request = ?1 AND state = ?2 ORDER BY id");
  s.bind(1, id).bind(2, shipment_state::confirmed);
  while (s.step()) {
    const auto shipment = s.integer(0);
    ensure_row(*db_, shipment);
    auto known = bols.count(s.text(1)) ? bols[s.text(1)] : std::string();
    db_->prepare(
           "UPDATE shipment_followup SET departed_at = ?2, departed_by = ?3, bol = CASE WHEN ?4 != '' THEN ?4 WHEN "
           "bol = '' THEN ?5 ELSE bol END WHERE shipment = ?1")
        .bind(1, shipment)
        .bind(2, now)
        .bind(3, actor)
        .bind(4, known)
        .bind(5, bol)
        .run();
  }
  if (!outputs.is_null())
    db_->prepare("UPDATE requests SET outputs = ?2 WHERE id = ?1").bind(1, id).bind(2, outputs.dump()).run();
  // An operator's departure out of NEEDS_ATTENTION clears the reason it stopped for.
  db_->prepare("UPDATE requests SET reason = '', evidence = NULL WHERE id = ?1").bind(1, id).run();
}

void Store::record_departure(std::int64_t id, const std::string& bol, const nlohmann::json& outputs,
                             const std::string& actor, const std::string& detail) {
  std::lock_guard lock(mutex_);
  Transaction tx(*db_);
  WriteScope write(*this);
  if (auto refusal = departure_refusal_locked(id, bol)) throw ActionRefused(*refusal);
  departure_locked(id, {State::CONFIRMED, State::CLOSING_OUT, State::NEEDS_ATTENTION}, bol, outputs, actor, detail);
  tx.commit();
  detail::crash_point("DEPARTED");
}

void Store::finish_closeout(std::int64_t id, const nlohmann::json& outputs, const std::string& actor,
                            const std::string& detail) {
  std::lock_guard lock(mutex_);
  Transaction tx(*db_);
  WriteScope write(*this);
  // OpShip's close-out is the pickup confirmation: the freight left with the BOL OpShip printed.
  departure_locked(id, {State::CLOSING_OUT}, "", outputs, actor,
                   (detail.empty() ? outputs.dump() : detail) + "; departed (OpShip's pickup confirmation)");
  tx.commit();
  detail::crash_point("DEPARTED");
}

void Store::mark_asn_sending(std::int64_t shipment_id, const std::string& actor, const std::string& detail) {
  ShipmentWrite w(*this, shipment_id);
  ensure_row(*db_, shipment_id);
  const auto was = asn_state_of(*db_, shipment_id);
  if (!was.empty() && was != asn_state::sending)
    throw TransitionError("the ASN of shipment " + w.identifier + " is " + was + ", not to be sent again");
  db_->prepare("UPDATE shipment_followup SET asn_state = ?2, asn_sent_ms = ?3 WHERE shipment = ?1")
      .bind(1, shipment_id)
      .bind(2, asn_state::sending)
      .bind(3, clock_.now_ms())
      .run();
  event_locked(w.request_id, actor, was.empty() ? "ASN_SENDING" : "ASN_RESEND", w.identifier + ": " + detail);
  w.tx.commit();
  detail::crash_point("ASN_SENDING");
}

void Store::record_asn_sent(std::int64_t shipment_id, const std::optional<std::string>& transaction_id,
                            const std::string& actor, const std::string& detail) {
  ShipmentWrite w(*this, shipment_id);
  if (asn_state_of(*db_, shipment_id) != asn_state::sending)
    throw TransitionError("the ASN of shipment " + w.identifier + " is not being sent");
  db_->prepare("UPDATE shipment_followup SET asn_state = ?2, asn_transaction_id = ?3 WHERE shipment = ?1")
      .bind(1, shipment_id)
      .bind(2, asn_state::sent)
      .bind(3, transaction_id)
      .run();
  event_locked(w.request_id, actor, "ASN_SENT",
               w.identifier + ": " + (transaction_id ? "transaction " + *transaction_id : detail) +
                   (transaction_id && !detail.empty() ? " (" + detail + ")" : ""));
  w.tx.commit();
  detail::crash_point("ASN_SUBMITTED");
}

void Store::record_asn_result(std::int64_t shipment_id, bool accepted, const nlohmann::json& errors,
                              const std::string& actor, const std::string& detail) {
  ShipmentWrite w(*this, shipment_id);
  ensure_row(*db_, shipment_id);
  db_->prepare("UPDATE shipment_followup SET asn_state = ?2, asn_errors = ?3 WHERE shipment = ?1")
      .bind(1, shipment_id)
      .bind(2, accepted ? asn_state::accepted : asn_state::rejected)
      .bind(3, errors.is_null() ? std::optional<std::string>() : errors.dump())
      .run();
  if (!accepted) {
    const auto reason = "Amazon refused the ASN of shipment " + w.identifier + ": " + detail;
    transition_locked(w.request_id, {State::DEPARTED}, State::NEEDS_ATTENTION, actor, reason);
    db_->prepare("UPDATE requests SET reason = ?2, evidence = ?3 WHERE id = ?1")
        .bind(1, w.request_id)
        .bind(2, reason)
        .bind(3, nlohmann::json{{"stage", "asn"}, {"vendor_shipment_identifier", w.identifier}, {"errors", errors}}.dump())
        .run();
    w.tx.commit();
    return;
  }
  auto pending = db_->prepare(
      "SELECT COUNT(*) FROM shipments s LEFT JOIN shipment_followup f ON f.shipment = s.id WHERE s.request = ?1 AND "
      "s.state = ?2 AND COALESCE(f.asn_state, '') != ?3");
  pending.bind(1, w.request_id).bind(2, shipment_state::confirmed).bind(3, asn_state::accepted);
  pending.step();
  if (pending.integer(0) == 0)
    transition_locked(w.request_id, {State::DEPARTED}, State::DONE, actor, w.identifier + ": ASN accepted (" + detail + ")");
  else
    event_locked(w.request_id, actor, "ASN_ACCEPTED", w.identifier + ": " + detail);
  w.tx.commit();
}

bool Store::raise_deadline(std::int64_t id, const std::string& kind, const std::string& detail, bool attention,
                           const std::string& actor) {
  std::lock_guard lock(mutex_);
  Transaction tx(*db_);
  WriteScope write(*this);
  const std::string text = "late (" + kind + "): " + detail;
  auto seen = db_->prepare(
      "SELECT 1 FROM events WHERE request = ?1 AND step IN ('DEADLINE', 'NEEDS_ATTENTION') AND substr(detail, 1, "
      "length(?2)) = ?2 LIMIT 1");
  seen.bind(1, id).bind(2, "late (" + kind + ")");
  if (seen.step()) return false;
  if (attention) {
    transition_locked(id, {State::CONFIRMED, State::CLOSING_OUT}, State::NEEDS_ATTENTION, actor, text);
    db_->prepare("UPDATE requests SET reason = ?2, evidence = ?3 WHERE id = ?1")
        .bind(1, id)
        .bind(2, text)
        .bind(3, nlohmann::json{{"stage", "deadline"}, {"deadline", kind}}.dump())
        .run();
  } else {
    event_locked(id, actor, "DEADLINE", text);
  }
  tx.commit();
  return true;
}

std::set<std::int64_t> Store::late_requests() {
  std::lock_guard lock(mutex_);
  auto q = db_->prepare(
      "SELECT DISTINCT e.request FROM events e JOIN requests r ON r.id = e.request WHERE e.step IN ('DEADLINE', "
      "'NEEDS_ATTENTION') AND substr(e.detail, 1, 6) = 'late (' AND r.state NOT IN ('DONE', 'CANCELLED', "
      "'RESOLVED', 'REJECTED')");
  std::set<std::int64_t> out;
  while (q.step()) out.insert(q.integer(0));
  return out;
}

}  // namespace dockhand::chain
