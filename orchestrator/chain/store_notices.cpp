// The store's notices (schema version 5): what cancellation, change and chargeback emails did to the requests
// they name (notice_effects), and the Cancel transaction of each shipment cancelled after submission
// (cancellations). Each write is one transaction with its event on the request it touches, naming the email.
#include "store.h"
#include "store_internal.h"

#include "crash_point.h"

#include <algorithm>

namespace dockhand::chain {

using sqlite::Transaction;
using namespace detail;

namespace {

const char* const kCancellationColumns =
    "SELECT c.shipment, c.request, c.notice, s.vendor_shipment_identifier, c.state, c.transaction_id, c.sent_ms "
    "FROM cancellations c JOIN shipments s ON s.id = c.shipment ";

CancellationRecord read_cancellation(sqlite::Statement& q) {
  CancellationRecord c;
  c.shipment_id = q.integer(0);
  c.request_id = q.integer(1);
  c.notice = q.integer(2);
  c.vendor_shipment_identifier = q.text(3);
  c.state = q.text(4);
  c.transaction_id = q.optional_text(5);
  if (!q.is_null(6)) c.sent_ms = q.integer(6);
  return c;
}

// The cancellation under way for a shipment (the caller holds the store's lock).
CancellationRecord cancellation_of(sqlite::Database& db, std::int64_t shipment_id) {
  auto q = db.prepare(std::string(kCancellationColumns) + "WHERE c.shipment = ?1");
  q.bind(1, shipment_id);
  if (!q.step()) throw TransitionError("no cancellation for shipment #" + std::to_string(shipment_id));
  return read_cancellation(q);
}

std::string subject_of(sqlite::Database& db, std::int64_t notice) {
  auto q = db.prepare("SELECT extracted FROM requests WHERE id = ?1");
  q.bind(1, notice);
  if (!q.step()) return "";
  auto j = parse_or_null(q.optional_text(0));
  return j.is_object() && j.contains("subject") && j["subject"].is_string() ? j["subject"].get<std::string>() : "";
}

bool has_notice_tables(sqlite::Database& db) {
  auto q = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'notice_effects'");
  return q.step();
}

}  // namespace

// "email #12 'PO 3L5HJ8RA cancelled'": how an event names the notice that caused it.
static std::string cause(sqlite::Database& db, std::int64_t notice) {
  std::string subject = subject_of(db, notice);
  return "email #" + std::to_string(notice) + (subject.empty() ? "" : " '" + subject + "'");
}

static void insert_effect(sqlite::Database& db, const NoticeEffect& e, const std::string& now) {
  db.prepare(
        "INSERT INTO notice_effects (notice, kind, po, request, shipment, reason, brand, action, detail, created_at, "
        "updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)")
      .bind(1, e.notice)
      .bind(2, e.kind)
      .bind(3, e.po)
      .bind(4, e.request)
      .bind(5, e.shipment)
      .bind(6, e.reason)
      .bind(7, e.brand)
      .bind(8, e.action)
      .bind(9, e.detail)
      .bind(10, now)
      .run();
}

void Store::record_notice(std::int64_t id, const nlohmann::json& extracted, const std::string& reason,
                          const std::string& actor) {
  std::lock_guard lock(mutex_);
  Transaction tx(*db_);
  WriteScope write(*this);
  db_->prepare("UPDATE requests SET extracted = ?2, reason = ?3 WHERE id = ?1")
      .bind(1, id)
      .bind(2, extracted.dump())
      .bind(3, reason)
      .run();
  transition_locked(id, {State::RECEIVED}, State::NOTICE, actor, reason);
  // final, but due once more: its effects on the requests it names are applied next (finish_notice)
  db_->prepare("UPDATE requests SET next_attempt_ms = ?2 WHERE id = ?1").bind(1, id).bind(2, clock_.now_ms()).run();
  tx.commit();
  detail::crash_point("NOTICE");
}

std::vector<std::int64_t> Store::requests_holding(const std::string& kind, const std::string& term) {
  std::lock_guard lock(mutex_);
  std::string upper = term;
  std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char c) { return std::toupper(c); });
  auto q = db_->prepare(
      "SELECT DISTINCT k.request FROM search_keys k JOIN requests r ON r.id = k.request WHERE k.kind = ?1 AND "
      "k.term = ?2 AND r.state NOT IN ('NOTICE', 'OTHER', 'DUPLICATE', 'QUARANTINED', 'RECEIVED') ORDER BY k.request");
  q.bind(1, kind).bind(2, upper);
  std::vector<std::int64_t> out;
  while (q.step()) out.push_back(q.integer(0));
  return out;
}

bool Store::has_effect(std::int64_t notice, const std::string& po, std::optional<std::int64_t> request) {
  std::lock_guard lock(mutex_);
  auto q = db_->prepare("SELECT 1 FROM notice_effects WHERE notice = ?1 AND po = ?2 AND request IS ?3");
  q.bind(1, notice).bind(2, po).bind(3, request);
  return q.step();
}

void Store::add_effect(const NoticeEffect& effect, const std::string& actor) {
  std::lock_guard lock(mutex_);
  Transaction tx(*db_);
  WriteScope write(*this);
  insert_effect(*db_, effect, iso_ms(clock_.now()));
  if (effect.request)
    event_locked(*effect.request, actor, effect.kind == "chargeback" ? "CHARGEBACK" : "NOTICE",
                 effect.detail + " (" + cause(*db_, effect.notice) + ")");
  tx.commit();
}

State Store::remove_po(const NoticeEffect& effect, const std::string& actor) {
  std::lock_guard lock(mutex_);
  Transaction tx(*db_);
  WriteScope write(*this);
  const std::int64_t id = *effect.request;
  auto q = db_->prepare("SELECT state, extracted FROM requests WHERE id = ?1");
  q.bind(1, id);
  if (!q.step()) throw TransitionError("routing request #" + std::to_string(id) + " does not exist");
  State state = state_from_string(q.text(0)).value_or(State::RECEIVED);
  auto extracted = parse_or_null(q.optional_text(1));
  auto sent = db_->prepare("SELECT COUNT(*) FROM shipments WHERE request = ?1 AND state NOT IN ('PLANNED', 'REJECTED')");
  sent.bind(1, id);
  sent.step();
  if (sent.integer(0) > 0)
    throw TransitionError("routing request #" + std::to_string(id) + " has a shipment at Amazon: its PO is cancelled there");
  nlohmann::json kept = nlohmann::json::array();
  if (extracted.is_object() && extracted.contains("purchase_orders") && extracted["purchase_orders"].is_array())
    for (const auto& p : extracted["purchase_orders"])
      if (!(p.is_object() && p.value("po", std::string()) == effect.po)) kept.push_back(p);
  if (extracted.is_object()) extracted["purchase_orders"] = kept;
  db_->prepare("UPDATE requests SET extracted = ?2 WHERE id = ?1").bind(1, id).bind(2, extracted.dump()).run();
  // planned shipments were built with the PO: planned again without it
  db_->prepare("DELETE FROM shipments WHERE request = ?1 AND state = 'PLANNED'").bind(1, id).run();
  NoticeEffect e = effect;
  const std::string why = "PO " + effect.po + " cancelled by " + cause(*db_, effect.notice);
  event_locked(id, actor, "PO_REMOVED", why + ": taken out of the request" + (effect.detail.empty() ? "" : " (" + effect.detail + ")"));
  if (kept.empty()) {
    e.action = "emptied";
    const std::string reason = "every PO of the request was cancelled (last: " + why + ")";
    db_->prepare("UPDATE requests SET reason = ?2 WHERE id = ?1").bind(1, id).bind(2, reason).run();
    if (state != State::CANCELLED) {
      transition_locked(id, {State::EXTRACTED, State::PLANNED, State::NEEDS_ATTENTION, State::REJECTED}, State::CANCELLED,
                        actor, reason);
      state = State::CANCELLED;
    }
  } else if (state == State::PLANNED) {
    transition_locked(id, {State::PLANNED}, State::EXTRACTED, actor, why + ": planned again without it");
    state = State::EXTRACTED;
  }
  insert_effect(*db_, e, iso_ms(clock_.now()));
  tx.commit();
  detail::crash_point("PO_REMOVED");
  return state;
}

void Store::request_cancel(std::int64_t shipment_id, const NoticeEffect& effect, const std::string& actor) {
  std::lock_guard lock(mutex_);
  Transaction tx(*db_);
  WriteScope write(*this);
  auto q = db_->prepare("SELECT request, vendor_shipment_identifier FROM shipments WHERE id = ?1");
  q.bind(1, shipment_id);
  if (!q.step()) throw TransitionError("shipment #" + std::to_string(shipment_id) + " does not exist");
  const std::int64_t request = q.integer(0);
  const std::string identifier = q.text(1);
  db_->prepare("INSERT OR IGNORE INTO cancellations (shipment, request, notice, state) VALUES (?1, ?2, ?3, 'PENDING')")
      .bind(1, shipment_id)
      .bind(2, request)
      .bind(3, effect.notice)
      .run();
  insert_effect(*db_, effect, iso_ms(clock_.now()));
  event_locked(request, actor, "CANCEL_PENDING",
               identifier + ": PO " + effect.po + " cancelled by " + cause(*db_, effect.notice) +
                   ": a Cancel of the shipment goes to Amazon");
  db_->prepare("UPDATE requests SET next_attempt_ms = ?2 WHERE id = ?1").bind(1, request).bind(2, clock_.now_ms()).run();
  tx.commit();
}

void Store::hold_for_notice(const NoticeEffect& effect, const std::string& reason, const std::string& actor) {
  std::lock_guard lock(mutex_);
  Transaction tx(*db_);
  WriteScope write(*this);
  const std::int64_t id = *effect.request;
  const std::string why = reason + " (" + cause(*db_, effect.notice) + ")";
  auto q = db_->prepare("SELECT state FROM requests WHERE id = ?1");
  q.bind(1, id);
  if (!q.step()) throw TransitionError("routing request #" + std::to_string(id) + " does not exist");
  State state = state_from_string(q.text(0)).value_or(State::RECEIVED);
  if (state == State::NEEDS_ATTENTION || state == State::CANCELLED || state == State::RESOLVED) {
    event_locked(id, actor, "NOTICE", why);
  } else {
    transition_locked(id,
                      {State::EXTRACTED, State::PLANNED, State::SUBMITTED, State::CONFIRMED, State::CLOSING_OUT,
                       State::DEPARTED, State::DONE, State::REJECTED},
                      State::NEEDS_ATTENTION, actor, why);
    nlohmann::json evidence{{"notice", effect.notice}, {"kind", effect.kind}, {"po", effect.po},
                            {"resume_state", std::string(to_string(state))}};
    db_->prepare("UPDATE requests SET reason = ?2, evidence = ?3 WHERE id = ?1")
        .bind(1, id)
        .bind(2, why)
        .bind(3, evidence.dump())
        .run();
  }
  NoticeEffect e = effect;
  e.detail = reason;
  insert_effect(*db_, e, iso_ms(clock_.now()));
  tx.commit();
}

void Store::finish_notice(std::int64_t id, const std::string& summary, const std::string& actor) {
  std::lock_guard lock(mutex_);
  Transaction tx(*db_);
  WriteScope write(*this);
  db_->prepare("UPDATE requests SET next_attempt_ms = NULL, outputs = ?2 WHERE id = ?1")
      .bind(1, id)
      .bind(2, nlohmann::json{{"applied", true}, {"summary", summary}}.dump())
      .run();
  event_locked(id, actor, "NOTICE_APPLIED", summary);
  tx.commit();
}

std::vector<CancellationRecord> Store::cancellations(std::int64_t request_id) {
  std::lock_guard lock(mutex_);
  auto q = db_->prepare(std::string(kCancellationColumns) + "WHERE c.request = ?1 ORDER BY c.shipment");
  q.bind(1, request_id);
  std::vector<CancellationRecord> out;
  while (q.step()) out.push_back(read_cancellation(q));
  return out;
}

void Store::mark_cancel_sending(std::int64_t shipment_id, const std::string& actor) {
  std::lock_guard lock(mutex_);
  Transaction tx(*db_);
  WriteScope write(*this);
  auto c = cancellation_of(*db_, shipment_id);
  db_->prepare("UPDATE cancellations SET state = 'SENDING', sent_ms = ?2 WHERE shipment = ?1")
      .bind(1, shipment_id)
      .bind(2, clock_.now_ms())
      .run();
  event_locked(c.request_id, actor, "CANCEL_SENDING", c.vendor_shipment_identifier + ": sending submitShipments (Cancel)");
  tx.commit();
  detail::crash_point("CANCEL_SENDING");
}

void Store::record_cancel_sent(std::int64_t shipment_id, const std::string& transaction_id, const std::string& actor) {
  std::lock_guard lock(mutex_);
  Transaction tx(*db_);
  WriteScope write(*this);
  auto c = cancellation_of(*db_, shipment_id);
  db_->prepare("UPDATE cancellations SET state = 'SENT', transaction_id = ?2 WHERE shipment = ?1")
      .bind(1, shipment_id)
      .bind(2, transaction_id)
      .run();
  event_locked(c.request_id, actor, "CANCEL_SENT", c.vendor_shipment_identifier + ": transactionId " + transaction_id);
  tx.commit();
  detail::crash_point("CANCEL_SENT");
}

void Store::record_cancelled(std::int64_t shipment_id, const std::string& detail, const std::string& hold_reason,
                             const std::string& actor) {
  std::lock_guard lock(mutex_);
  Transaction tx(*db_);
  WriteScope write(*this);
  auto c = cancellation_of(*db_, shipment_id);
  db_->prepare("UPDATE cancellations SET state = 'CANCELLED' WHERE shipment = ?1").bind(1, shipment_id).run();
  db_->prepare("UPDATE shipments SET state = ?2 WHERE id = ?1").bind(1, shipment_id).bind(2, shipment_state::cancelled).run();
  db_->prepare("UPDATE notice_effects SET action = 'cancelled', updated_at = ?3 WHERE request = ?1 AND shipment = ?2 "
               "AND action = 'cancel_pending'")
      .bind(1, c.request_id)
      .bind(2, c.vendor_shipment_identifier)
      .bind(3, iso_ms(clock_.now()))
      .run();
  const std::string what = c.vendor_shipment_identifier + " cancelled at Amazon (" + cause(*db_, c.notice) + "): " + detail;
  auto left = db_->prepare("SELECT COUNT(*) FROM shipments WHERE request = ?1 AND state != 'CANCELLED'");
  left.bind(1, c.request_id);
  left.step();
  auto state_q = db_->prepare("SELECT state FROM requests WHERE id = ?1");
  state_q.bind(1, c.request_id);
  state_q.step();
  State state = state_from_string(state_q.text(0)).value_or(State::RECEIVED);
  const std::initializer_list<State> live = {State::PLANNED, State::SUBMITTED, State::CONFIRMED, State::CLOSING_OUT,
                                             State::DEPARTED, State::DONE, State::NEEDS_ATTENTION};
  bool is_live = std::find(live.begin(), live.end(), state) != live.end();
  if (!hold_reason.empty() && is_live && state != State::NEEDS_ATTENTION) {
    transition_locked(c.request_id, live, State::NEEDS_ATTENTION, actor, what + "; " + hold_reason);
    db_->prepare("UPDATE requests SET reason = ?2, evidence = ?3 WHERE id = ?1")
        .bind(1, c.request_id)
        .bind(2, what + "; " + hold_reason)
        .bind(3, nlohmann::json{{"notice", c.notice}, {"shipment", c.vendor_shipment_identifier}}.dump())
        .run();
  } else if (left.integer(0) == 0 && is_live && state != State::NEEDS_ATTENTION) {
    transition_locked(c.request_id, live, State::CANCELLED, actor, what + "; every shipment of the request is cancelled");
    db_->prepare("UPDATE requests SET reason = ?2 WHERE id = ?1")
        .bind(1, c.request_id)
        .bind(2, "every shipment cancelled at Amazon (" + cause(*db_, c.notice) + ")")
        .run();
  } else {
    event_locked(c.request_id, actor, "SHIPMENT_CANCELLED", what + (hold_reason.empty() ? "" : "; " + hold_reason));
  }
  tx.commit();
  detail::crash_point("CANCELLED");
}

void Store::record_cancel_refused(std::int64_t shipment_id, const nlohmann::json& errors, const std::string& detail,
                                  const std::string& actor) {
  std::lock_guard lock(mutex_);
  Transaction tx(*db_);
  WriteScope write(*this);
  auto c = cancellation_of(*db_, shipment_id);
  db_->prepare("UPDATE cancellations SET state = 'REFUSED', errors = ?2 WHERE shipment = ?1")
      .bind(1, shipment_id)
      .bind(2, errors.dump())
      .run();
  db_->prepare("UPDATE notice_effects SET action = 'cancel_refused', detail = ?3, updated_at = ?4 WHERE request = ?1 "
               "AND shipment = ?2 AND action = 'cancel_pending'")
      .bind(1, c.request_id)
      .bind(2, c.vendor_shipment_identifier)
      .bind(3, detail)
      .bind(4, iso_ms(clock_.now()))
      .run();
  const std::string reason = "Amazon did not cancel shipment " + c.vendor_shipment_identifier + " (" +
                             cause(*db_, c.notice) + "): " + detail;
  auto state_q = db_->prepare("SELECT state FROM requests WHERE id = ?1");
  state_q.bind(1, c.request_id);
  state_q.step();
  if (state_q.text(0) == "NEEDS_ATTENTION" || state_q.text(0) == "CANCELLED" || state_q.text(0) == "RESOLVED") {
    event_locked(c.request_id, actor, "CANCEL_REFUSED", reason);
  } else {
    transition_locked(c.request_id,
                      {State::PLANNED, State::SUBMITTED, State::CONFIRMED, State::CLOSING_OUT, State::DEPARTED,
                       State::DONE, State::REJECTED},
                      State::NEEDS_ATTENTION, actor, reason);
    db_->prepare("UPDATE requests SET reason = ?2, evidence = ?3 WHERE id = ?1")
        .bind(1, c.request_id)
        .bind(2, reason)
        .bind(3, nlohmann::json{{"notice", c.notice}, {"errors", errors}}.dump())
        .run();
  }
  tx.commit();
}

std::vector<NoticeEffect> Store::notice_effects(std::optional<std::int64_t> request_id, std::size_t limit) {
  std::lock_guard lock(mutex_);
  std::string sql =
      "SELECT e.id, e.notice, e.kind, e.po, e.request, e.shipment, e.reason, e.brand, e.action, e.detail, "
      "e.created_at, e.updated_at, n.extracted FROM notice_effects e JOIN requests n ON n.id = e.notice ";
  if (request_id) sql += "WHERE e.notice = ?1 OR e.request = ?1 ";
  sql += "ORDER BY e.id DESC LIMIT ?2";
  if (!has_notice_tables(*db_)) return {};  // a store of an older schema, read without migrating
  auto q = db_->prepare(sql);
  if (request_id) q.bind(1, *request_id);
  q.bind(2, static_cast<std::int64_t>(limit));
  std::vector<NoticeEffect> out;
  while (q.step()) {
    NoticeEffect e;
    e.id = q.integer(0);
    e.notice = q.integer(1);
    e.kind = q.text(2);
    e.po = q.text(3);
    if (!q.is_null(4)) e.request = q.integer(4);
    e.shipment = q.text(5);
    e.reason = q.text(6);
    e.brand = q.text(7);
    e.action = q.text(8);
    e.detail = q.text(9);
    e.created_at = q.text(10);
    e.updated_at = q.text(11);
    auto extracted = parse_or_null(q.optional_text(12));
    if (extracted.is_object() && extracted.contains("subject") && extracted["subject"].is_string())
      e.subject = extracted["subject"].get<std::string>();
    out.push_back(std::move(e));
  }
  return out;
}

std::map<std::pair<std::string, std::string>, std::int64_t> Store::chargeback_counts() {
  std::lock_guard lock(mutex_);
  if (!has_notice_tables(*db_)) return {};
  auto q = db_->prepare("SELECT brand, reason, COUNT(*) FROM notice_effects WHERE kind = 'chargeback' GROUP BY brand, reason");
  std::map<std::pair<std::string, std::string>, std::int64_t> out;
  while (q.step()) out[{q.text(0), q.text(1)}] = q.integer(2);
  return out;
}

}  // namespace dockhand::chain
