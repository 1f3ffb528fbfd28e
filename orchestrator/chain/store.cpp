// The store's transitions: each checks the current state, changes it and appends the event, in one
// transaction (store_open.cpp: the file, schema and health; store_queries.cpp: the reads).
#include "store.h"
#include "store_internal.h"

#include "crash_point.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace dockhand::chain {

using sqlite::Transaction;
using namespace detail;

void Store::event_locked(std::int64_t id, const std::string& actor, const std::string& step,
                         const std::string& detail) {
  db_->prepare("INSERT INTO events (request, time, actor, step, detail) VALUES (?1, ?2, ?3, ?4, ?5)")
      .bind(1, id)
      .bind(2, iso_ms(clock_.now()))
      .bind(3, actor)
      .bind(4, step)
      .bind(5, detail)
      .run();
}

void Store::transition_locked(std::int64_t id, std::initializer_list<State> from, State to,
                              const std::string& actor, const std::string& detail) {
  auto q = db_->prepare("SELECT state FROM requests WHERE id = ?1");
  q.bind(1, id);
  if (!q.step()) throw TransitionError("routing request #" + std::to_string(id) + " does not exist");
  std::string current = q.text(0);
  bool allowed = std::any_of(from.begin(), from.end(), [&](State s) { return to_string(s) == current; });
  if (!allowed)
    throw TransitionError("routing request #" + std::to_string(id) + " is " + current + ", cannot move to " +
                          std::string(to_string(to)));
  db_->prepare(
         "UPDATE requests SET state = ?2, updated_at = ?3, attempts = 0, last_error = '', next_attempt_ms = ?4 "
         "WHERE id = ?1")
      .bind(1, id)
      .bind(2, to_string(to))
      .bind(3, iso_ms(clock_.now()))
      .bind(4, is_final(to) || to == State::CLOSING_OUT ? std::optional<std::int64_t>() : clock_.now_ms())
      .run();
  if (!observers_.empty()) note_transition_locked(id, state_from_string(current).value_or(State::RECEIVED), to);
  event_locked(id, actor, std::string(to_string(to)), detail);
}

Received Store::receive(const mail::RawMessage& message, const std::string& actor) {
  std::lock_guard lock(mutex_);
  std::string key = dedupe_key(message.bytes);
  Transaction tx(*db_);
  WriteScope write(*this);
  // The same source message again: a crash came between storing it and marking it handled.
  auto again = db_->prepare(
      "SELECT r.id, r.state FROM messages m JOIN requests r ON r.message = m.id "
      "WHERE m.source_id = ?1 AND m.dedupe_key = ?2");
  again.bind(1, message.source_id).bind(2, key);
  if (again.step()) return {again.integer(0), state_from_string(again.text(1)).value_or(State::RECEIVED), true};

  std::optional<std::int64_t> original;
  auto earlier = db_->prepare(
      "SELECT r.id FROM messages m JOIN requests r ON r.message = m.id WHERE m.dedupe_key = ?1 ORDER BY r.id LIMIT 1");
  earlier.bind(1, key);
  if (earlier.step()) original = earlier.integer(0);

  auto now = iso_ms(clock_.now());
  db_->prepare("INSERT INTO messages (source_id, dedupe_key, message_id, raw, received_at) VALUES (?1, ?2, ?3, ?4, ?5)")
      .bind(1, message.source_id)
      .bind(2, key)
      .bind(3, message_id_of(message.bytes))
      .bind_blob(4, message.bytes)
      .bind(5, now)
      .run();
  auto message_row = db_->last_insert_id();
  State state = original ? State::DUPLICATE : State::RECEIVED;
  auto insert = db_->prepare(
      "INSERT INTO requests (message, state, reason, duplicate_of, created_at, updated_at, next_attempt_ms) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6)");
  insert.bind(1, message_row).bind(2, to_string(state)).bind(5, now);
  if (original) {
    insert.bind(3, "duplicate of routing request #" + std::to_string(*original) + " (" + key.substr(0, 60) + ")");
    insert.bind(4, *original).bind_null(6);
  } else {
    insert.bind(3, "").bind_null(4).bind(6, clock_.now_ms());
  }
  insert.run();
  auto id = db_->last_insert_id();
  std::string detail = message.source_id + " (" + std::to_string(message.bytes.size()) + " bytes)";
  if (original) detail += ": duplicate of #" + std::to_string(*original);
  event_locked(id, actor, std::string(to_string(state)), detail);
  tx.commit();
  detail::crash_point(to_string(state));
  return {id, state, false};
}

std::string Store::raw_message(std::int64_t request_id) {
  std::lock_guard lock(mutex_);
  auto q = db_->prepare("SELECT m.raw FROM requests r JOIN messages m ON m.id = r.message WHERE r.id = ?1");
  q.bind(1, request_id);
  if (!q.step()) throw TransitionError("routing request #" + std::to_string(request_id) + " does not exist");
  return q.text(0);
}

void Store::record_extraction(std::int64_t id, const nlohmann::json& extracted, bool routing_request,
                              const std::string& reason, const std::string& actor) {
  std::lock_guard lock(mutex_);
  Transaction tx(*db_);
  WriteScope write(*this);
  State to = routing_request ? State::EXTRACTED : State::OTHER;
  std::string detail;
  if (routing_request) {
    std::string pos;
    for (const auto& po : extracted.value("purchase_orders", nlohmann::json::array()))
      pos += (pos.empty() ? "" : " ") + po.value("po", std::string("?"));
    detail = "POs " + pos;
  } else {
    detail = "not a routing request: " + reason;
  }
  transition_locked(id, {State::RECEIVED}, to, actor, detail);
  db_->prepare("UPDATE requests SET extracted = ?2, reason = ?3 WHERE id = ?1")
      .bind(1, id)
      .bind(2, extracted.dump())
      .bind(3, routing_request ? std::string() : reason)
      .run();
  tx.commit();
  detail::crash_point(to_string(to));
}

void Store::record_doubtful_extraction(std::int64_t id, const nlohmann::json& extracted, const std::string& reason,
                                       const nlohmann::json& evidence, const std::string& actor) {
  std::lock_guard lock(mutex_);
  Transaction tx(*db_);
  transition_locked(id, {State::RECEIVED}, State::NEEDS_ATTENTION, actor, reason);
  db_->prepare("UPDATE requests SET extracted = ?2, reason = ?3, evidence = ?4 WHERE id = ?1")
      .bind(1, id)
      .bind(2, extracted.dump())
      .bind(3, reason)
      .bind(4, evidence.dump())
      .run();
  tx.commit();
}

void Store::quarantine(std::int64_t id, const std::string& reason, const std::string& actor) {
  std::lock_guard lock(mutex_);
  Transaction tx(*db_);
  WriteScope write(*this);
  transition_locked(id, {State::RECEIVED}, State::QUARANTINED, actor, reason);
  db_->prepare("UPDATE requests SET reason = ?2 WHERE id = ?1").bind(1, id).bind(2, reason).run();
  tx.commit();
}

State Store::record_plan(std::int64_t id, const pretender::Plan& plan, const std::string& actor) {
  std::lock_guard lock(mutex_);
  Transaction tx(*db_);
  WriteScope write(*this);
  nlohmann::json findings = plan.findings;
  db_->prepare("UPDATE requests SET findings = ?2 WHERE id = ?1").bind(1, id).bind(2, findings.dump()).run();

  std::string reason;
  nlohmann::json evidence = nlohmann::json::array();
  if (!plan.ok()) {
    for (const auto& f : plan.findings)
      if (f.severity == "error") {
        reason += (reason.empty() ? "" : "; ") + f.message;
        evidence.push_back(f);
      }
  } else if (plan.shipments.empty()) {
    reason = "nothing to submit: no shipment could be planned";
  } else {
    for (const auto& s : plan.shipments) {
      auto other = db_->prepare(
          "SELECT s.request FROM shipments s JOIN requests r ON r.id = s.request "
          "WHERE s.vendor_shipment_identifier = ?1 AND s.request != ?2 AND r.state != 'REJECTED' "
          "AND NOT (r.state = 'CANCELLED' AND s.state IN ('PLANNED', 'REJECTED')) LIMIT 1");
      other.bind(1, s.vendor_shipment_identifier).bind(2, id);
      if (other.step()) {
        reason += (reason.empty() ? "" : "; ") + std::string("shipment ") + s.vendor_shipment_identifier +
                  " (POs already planned) belongs to routing request #" + std::to_string(other.integer(0)) +
                  ": not submitting it twice";
        evidence.push_back({{"vendor_shipment_identifier", s.vendor_shipment_identifier},
                            {"other_request", other.integer(0)}});
      }
    }
  }
  if (!reason.empty()) {
    transition_locked(id, {State::EXTRACTED}, State::NEEDS_ATTENTION, actor, reason);
    db_->prepare("UPDATE requests SET reason = ?2, evidence = ?3 WHERE id = ?1")
        .bind(1, id)
        .bind(2, reason)
        .bind(3, evidence.dump())
        .run();
    tx.commit();
    return State::NEEDS_ATTENTION;
  }
  std::string detail;
  for (const auto& s : plan.shipments) {
    db_->prepare(
           "INSERT INTO shipments (request, vendor_shipment_identifier, state, planned) VALUES (?1, ?2, ?3, ?4)")
        .bind(1, id)
        .bind(2, s.vendor_shipment_identifier)
        .bind(3, shipment_state::planned)
        .bind(4, nlohmann::json(s).dump())
        .run();
    detail += (detail.empty() ? "" : "; ") + s.vendor_shipment_identifier + ": " + std::to_string(s.pos.size()) +
              " PO, " + std::to_string(s.cartons) + " cartons, " + std::to_string(s.pallets) + " pallets, " +
              pretender::decimal_string(s.weight_lb) + " lb";
  }
  transition_locked(id, {State::EXTRACTED}, State::PLANNED, actor, detail);
  tx.commit();
  detail::crash_point("PLANNED");
  return State::PLANNED;
}

namespace {
std::int64_t request_of_shipment(sqlite::Database& db, std::int64_t shipment_id, const char* expected_state,
                                 std::string* identifier = nullptr) {
  auto q = db.prepare("SELECT request, state, vendor_shipment_identifier FROM shipments WHERE id = ?1");
  q.bind(1, shipment_id);
  if (!q.step()) throw TransitionError("shipment #" + std::to_string(shipment_id) + " does not exist");
  if (expected_state && q.text(1) != expected_state)
    throw TransitionError("shipment " + q.text(2) + " is " + q.text(1) + ", expected " + expected_state);
  if (identifier) *identifier = q.text(2);
  return q.integer(0);
}

// A cancelled shipment (notices) no longer holds its request back.
bool all_shipments_in(sqlite::Database& db, std::int64_t request_id, const char* state) {
  auto q = db.prepare("SELECT COUNT(*) FROM shipments WHERE request = ?1 AND state != ?2 AND state != 'CANCELLED'");
  q.bind(1, request_id).bind(2, state);
  q.step();
  return q.integer(0) == 0;
}
}  // namespace

void Store::mark_submitting(std::int64_t shipment_id, const std::string& actor) {
  std::lock_guard lock(mutex_);
  Transaction tx(*db_);
  WriteScope write(*this);
  std::string identifier;
  auto request_id = request_of_shipment(*db_, shipment_id, shipment_state::planned, &identifier);
  db_->prepare("UPDATE shipments SET state = ?2, submitted_ms = ?3 WHERE id = ?1")
      .bind(1, shipment_id)
      .bind(2, shipment_state::submitting)
      .bind(3, clock_.now_ms())
      .run();
  event_locked(request_id, actor, "SUBMITTING", identifier + ": sending submitShipments");
  tx.commit();
  detail::crash_point("SUBMITTING");
}

void Store::record_resend(std::int64_t shipment_id, const std::string& actor, const std::string& detail) {
  std::lock_guard lock(mutex_);
  Transaction tx(*db_);
  WriteScope write(*this);
  std::string identifier;
  auto request_id = request_of_shipment(*db_, shipment_id, shipment_state::submitting, &identifier);
  db_->prepare("UPDATE shipments SET submitted_ms = ?2 WHERE id = ?1").bind(1, shipment_id).bind(2, clock_.now_ms()).run();
  event_locked(request_id, actor, "RESUBMIT", identifier + ": " + detail);
  tx.commit();
}

void Store::record_submission(std::int64_t shipment_id, const std::optional<std::string>& transaction_id,
                              const std::string& actor, const std::string& detail) {
  std::lock_guard lock(mutex_);
  Transaction tx(*db_);
  WriteScope write(*this);
  std::string identifier;
  auto request_id = request_of_shipment(*db_, shipment_id, shipment_state::submitting, &identifier);
  db_->prepare("UPDATE shipments SET state = ?2, transaction_id = ?3 WHERE id = ?1")
      .bind(1, shipment_id)
      .bind(2, shipment_state::submitted)
      .bind(3, transaction_id)
      .run();
  std::string what = identifier + ": " + (transaction_id ? "transactionId " + *transaction_id : detail);
  if (all_shipments_in(*db_, request_id, shipment_state::submitted))
    transition_locked(request_id, {State::PLANNED}, State::SUBMITTED, actor, what);
  else
    event_locked(request_id, actor, "SHIPMENT_SUBMITTED", what);
  tx.commit();
  detail::crash_point("SUBMITTED");
}

void Store::record_confirmation(std::int64_t shipment_id, const std::string& actor, const std::string& detail) {
  std::lock_guard lock(mutex_);
  Transaction tx(*db_);
  WriteScope write(*this);
  std::string identifier;
  auto request_id = request_of_shipment(*db_, shipment_id, shipment_state::submitted, &identifier);
  db_->prepare("UPDATE shipments SET state = ?2 WHERE id = ?1")
      .bind(1, shipment_id)
      .bind(2, shipment_state::confirmed)
      .run();
  if (all_shipments_in(*db_, request_id, shipment_state::confirmed))
    transition_locked(request_id, {State::SUBMITTED}, State::CONFIRMED, actor, identifier + ": " + detail);
  else
    event_locked(request_id, actor, "SHIPMENT_CONFIRMED", identifier + ": " + detail);
  tx.commit();
  detail::crash_point("CONFIRMED");
}

void Store::record_rejection(std::int64_t shipment_id, const nlohmann::json& errors, const std::string& actor,
                             const std::string& detail) {
  std::lock_guard lock(mutex_);
  Transaction tx(*db_);
  WriteScope write(*this);
  std::string identifier;
  auto request_id = request_of_shipment(*db_, shipment_id, nullptr, &identifier);
  db_->prepare("UPDATE shipments SET state = ?2, errors = ?3 WHERE id = ?1")
      .bind(1, shipment_id)
      .bind(2, shipment_state::rejected)
      .bind(3, errors.dump())
      .run();
  std::string reason = "Amazon rejected shipment " + identifier + ": " + detail;
  transition_locked(request_id, {State::PLANNED, State::SUBMITTED}, State::REJECTED, actor, reason);
  db_->prepare("UPDATE requests SET reason = ?2, evidence = ?3 WHERE id = ?1")
      .bind(1, request_id)
      .bind(2, reason)
      .bind(3, nlohmann::json{{"vendor_shipment_identifier", identifier}, {"errors", errors}}.dump())
      .run();
  tx.commit();
}

void Store::record_details(std::int64_t shipment_id, const nlohmann::json& details, const std::string& actor) {
  std::lock_guard lock(mutex_);
  Transaction tx(*db_);
  WriteScope write(*this);
  std::string identifier;
  auto request_id = request_of_shipment(*db_, shipment_id, shipment_state::confirmed, &identifier);
  db_->prepare("UPDATE shipments SET details = ?2 WHERE id = ?1").bind(1, shipment_id).bind(2, details.dump()).run();
  const auto& carrier = details.value("transportationDetails", nlohmann::json::object())
                            .value("carrierDetails", nlohmann::json::object());
  std::string summary = identifier + ": carrier " + carrier.value("name", carrier.value("code", std::string("?")));
  const auto& pickup = details.value("collectFreightPickupDetails", nlohmann::json::object());
  if (pickup.contains("scheduledPickUp")) summary += ", pickup " + pickup["scheduledPickUp"].get<std::string>();
  if (details.contains("buyerReferenceNumber"))
    summary += ", reference " + details["buyerReferenceNumber"].get<std::string>();
  event_locked(request_id, actor, "DETAILS", summary);
  tx.commit();
  detail::crash_point("DETAILS");
}

void Store::needs_attention(std::int64_t id, const std::string& reason, const nlohmann::json& evidence,
                            const std::string& actor) {
  std::lock_guard lock(mutex_);
  Transaction tx(*db_);
  WriteScope write(*this);
  transition_locked(id,
                    {State::RECEIVED, State::EXTRACTED, State::PLANNED, State::SUBMITTED, State::CONFIRMED,
                     State::CLOSING_OUT},
                    State::NEEDS_ATTENTION, actor, reason);
  db_->prepare("UPDATE requests SET reason = ?2, evidence = ?3 WHERE id = ?1")
      .bind(1, id)
      .bind(2, reason)
      .bind(3, evidence.dump())
      .run();
  tx.commit();
}

void Store::begin_closeout(std::int64_t id, const std::string& actor, const std::string& detail) {
  std::lock_guard lock(mutex_);
  Transaction tx(*db_);
  WriteScope write(*this);
  transition_locked(id, {State::CONFIRMED}, State::CLOSING_OUT, actor, detail);
  tx.commit();
  detail::crash_point("CLOSING_OUT");
}

void Store::finish_closeout(std::int64_t id, const nlohmann::json& outputs, const std::string& actor,
                            const std::string& detail) {
  std::lock_guard lock(mutex_);
  Transaction tx(*db_);
  WriteScope write(*this);
  transition_locked(id, {State::CLOSING_OUT}, State::DONE, actor, detail.empty() ? outputs.dump() : detail);
  db_->prepare("UPDATE requests SET outputs = ?2 WHERE id = ?1").bind(1, id).bind(2, outputs.dump()).run();
  tx.commit();
}

void Store::bind_account(std::int64_t id, const std::string& account, const std::string& actor,
                         const std::string& detail) {
  std::lock_guard lock(mutex_);
  Transaction tx(*db_);
  auto q = db_->prepare("SELECT state, account FROM requests WHERE id = ?1");
  q.bind(1, id);
  if (!q.step()) throw TransitionError("routing request #" + std::to_string(id) + " does not exist");
  const auto state = state_from_string(q.text(0)).value_or(State::NEEDS_ATTENTION);
  const std::string current = q.is_null(1) ? "" : q.text(1);
  if (is_final(state) && state != State::NEEDS_ATTENTION)
    throw TransitionError("routing request #" + std::to_string(id) + " is " + std::string(to_string(state)) +
                          ": nothing more is sent for it, so it is not bound again");
  if (!current.empty() && current != account) {
    auto sent = db_->prepare("SELECT COUNT(*) FROM shipments WHERE request = ?1 AND state != ?2");
    sent.bind(1, id).bind(2, shipment_state::planned);
    sent.step();
    if (sent.integer(0) > 0)
      throw TransitionError("routing request #" + std::to_string(id) + " already went to Amazon under " + current +
                            "'s authorization; it cannot move to " + account);
  }
  db_->prepare("UPDATE requests SET account = ?2, updated_at = ?3 WHERE id = ?1")
      .bind(1, id)
      .bind(2, account)
      .bind(3, iso_ms(clock_.now()))
      .run();
  if (!detail.empty()) event_locked(id, actor, "BOUND", detail);
  tx.commit();
}

State Store::resume(std::int64_t id, const std::string& actor, const std::string& detail) {
  std::lock_guard lock(mutex_);
  Transaction tx(*db_);
  auto q = db_->prepare("SELECT state, evidence, reason FROM requests WHERE id = ?1");
  q.bind(1, id);
  if (!q.step()) throw TransitionError("routing request #" + std::to_string(id) + " does not exist");
  const auto evidence = parse_or_null(q.optional_text(1));
  const auto to = evidence.is_object() && evidence.contains("resume_state") && evidence["resume_state"].is_string()
                      ? state_from_string(evidence["resume_state"].get<std::string>())
                      : std::nullopt;
  if (q.text(0) != to_string(State::NEEDS_ATTENTION) || !to)
    throw TransitionError("routing request #" + std::to_string(id) + " is " + q.text(0) +
                          (q.text(2).empty() ? "" : " (" + q.text(2) + ")") +
                          ", not stopped for an account problem: nothing to resume");
  const State target = *to;
  transition_locked(id, {State::NEEDS_ATTENTION}, target, actor, "resumed: " + detail);
  db_->prepare("UPDATE requests SET reason = '', evidence = NULL WHERE id = ?1").bind(1, id).run();
  tx.commit();
  return target;
}

void Store::add_event(std::int64_t id, const std::string& actor, const std::string& step, const std::string& detail) {
  std::lock_guard lock(mutex_);
  Transaction tx(*db_);
  WriteScope write(*this);
  event_locked(id, actor, step, detail);
  tx.commit();
}

std::int64_t Store::add_evidence(std::int64_t id, const std::string& name, const std::string& content_type,
                                 const std::string& bytes, const std::string& actor) {
  std::lock_guard lock(mutex_);
  Transaction tx(*db_);
  WriteScope write(*this);
  db_->prepare("INSERT INTO evidence (request, time, name, content_type, bytes) VALUES (?1, ?2, ?3, ?4, ?5)")
      .bind(1, id)
      .bind(2, iso_ms(clock_.now()))
      .bind(3, name)
      .bind(4, content_type)
      .bind_blob(5, bytes)
      .run();
  auto evidence_id = db_->last_insert_id();
  event_locked(id, actor, "EVIDENCE", name + " (" + std::to_string(bytes.size()) + " bytes, evidence #" +
                                          std::to_string(evidence_id) + ")");
  tx.commit();
  return evidence_id;
}

void Store::schedule(std::int64_t id, std::optional<std::int64_t> next_attempt_ms, bool count_attempt) {
  std::lock_guard lock(mutex_);
  WriteScope write(*this);
  db_->prepare(count_attempt ? "UPDATE requests SET next_attempt_ms = ?2, attempts = attempts + 1 WHERE id = ?1"
                             : "UPDATE requests SET next_attempt_ms = ?2 WHERE id = ?1")
      .bind(1, id)
      .bind(2, next_attempt_ms)
      .run();
}

std::size_t Store::reschedule_unfinished(std::int64_t now_ms) {
  std::lock_guard lock(mutex_);
  WriteScope write(*this);
  db_->prepare(
         "UPDATE requests SET next_attempt_ms = ?1 WHERE state IN ('RECEIVED', 'EXTRACTED', 'PLANNED', "
         "'SUBMITTED', 'CONFIRMED')")
      .bind(1, now_ms)
      .run();
  return static_cast<std::size_t>(db_->changes());
}

void Store::record_retry(std::int64_t id, std::int64_t next_attempt_ms, const std::string& error,
                         const std::string& actor) {
  std::lock_guard lock(mutex_);
  Transaction tx(*db_);
  WriteScope write(*this);
  auto q = db_->prepare("SELECT last_error FROM requests WHERE id = ?1");
  q.bind(1, id);
  bool same = q.step() && q.text(0) == error;
  db_->prepare(
         "UPDATE requests SET next_attempt_ms = ?2, attempts = attempts + 1, last_error = ?3 WHERE id = ?1")
      .bind(1, id)
      .bind(2, next_attempt_ms)
      .bind(3, error)
      .run();
  // One event per new kind of trouble, not one per attempt: a 429 storm must not flood the log.
  if (!same) event_locked(id, actor, "RETRY", error);
  tx.commit();
}

}  // namespace dockhand::chain
