// Store: an operator's actions from the console (docs/console.md). Each is one transaction that checks the
// request's state, changes it and appends the event naming the operator, like every other transition. They
// only take requests out of NEEDS_ATTENTION and REJECTED, states the chain and the close-out never move a
// request out of, so they cannot race the chain's own work on a request.
#include "store.h"
#include "store_internal.h"

#include "orchestrator/pretender/sqlite_db.h"

#include <algorithm>

namespace dockhand::chain {

using sqlite::Transaction;

namespace {

std::string with_comment(const std::string& what, const std::string& comment) {
  return comment.empty() ? what : what + ": " + comment;
}

bool is_stage(const std::string& step) {
  for (auto s : {State::RECEIVED, State::EXTRACTED, State::PLANNED, State::SUBMITTED, State::CONFIRMED, State::CLOSING_OUT,
                 State::DEPARTED})
    if (step == to_string(s)) return true;
  return false;
}

// The first shipment of the request that reached Amazon, or may have: why it must not be sent again ("" if none).
std::string sent_shipment(sqlite::Database& db, std::int64_t id) {
  auto q = db.prepare(
      "SELECT vendor_shipment_identifier, state FROM shipments WHERE request = ?1 AND state IN (?2, ?3, ?4) "
      "ORDER BY id LIMIT 1");
  q.bind(1, id).bind(2, shipment_state::submitting).bind(3, shipment_state::submitted).bind(4, shipment_state::confirmed);
  if (!q.step()) return "";
  if (q.text(1) == shipment_state::submitting)
    return "shipment " + q.text(0) + " may have reached Amazon (its submission's answer was lost): the chain asks "
           "Amazon before anything is sent again; retry it instead";
  return "shipment " + q.text(0) + " already reached Amazon (" + q.text(1) + "): it is never sent twice";
}

}  // namespace

std::optional<State> Store::retry_target_locked(std::int64_t id, const RequestRecord& r) {
  if (r.state != State::NEEDS_ATTENTION) return std::nullopt;
  // Amazon refused the ASN of freight that left: sending it again changes nothing; a person corrects it.
  if (r.evidence.is_object() && r.evidence.value("stage", std::string()) == "asn") return std::nullopt;
  // Stopped for an account problem: where the chain said it stopped (chain/accounts.h).
  if (r.evidence.is_object() && r.evidence.contains("resume_state") && r.evidence["resume_state"].is_string())
    if (auto s = state_from_string(r.evidence["resume_state"].get<std::string>()); s && !is_final(*s)) return s;
  // Otherwise the stage whose transition came last before it went to NEEDS_ATTENTION.
  auto q = db_->prepare(
      "SELECT step FROM events WHERE request = ?1 AND id < (SELECT MAX(id) FROM events WHERE request = ?1 AND "
      "step = 'NEEDS_ATTENTION') ORDER BY id DESC");
  q.bind(1, id);
  while (q.step()) {
    auto step = q.text(0);
    if (!is_stage(step)) continue;
    auto stage = *state_from_string(step);
    // A close-out that failed goes back to CONFIRMED: the chain dispatches the close-out again from there.
    return stage == State::CLOSING_OUT ? State::CONFIRMED : stage;
  }
  return std::nullopt;
}

std::vector<std::string> Store::operator_actions(std::int64_t id) {
  std::lock_guard lock(mutex_);
  auto r = request(id);
  if (!r) return {};
  // The freight left (OpShip, or a person saw the truck go): allowed with a BOL once Amazon confirmed.
  const bool can_depart = !departure_refusal_locked(id, "BOL-GIVEN");
  if (r->state != State::NEEDS_ATTENTION && r->state != State::REJECTED) {
    if (can_depart) return {"depart"};
    return {};
  }
  std::vector<std::string> actions;
  if (can_depart) actions.push_back("depart");
  if (retry_target_locked(id, *r)) actions.push_back("retry");
  actions.push_back("cancel");
  if (sent_shipment(*db_, id).empty()) actions.push_back("resubmit");
  actions.push_back("resolve");
  return actions;
}

State Store::operator_retry(std::int64_t id, const std::string& actor, const std::string& comment) {
  std::lock_guard lock(mutex_);
  Transaction tx(*db_);
  WriteScope write(*this);
  auto r = request(id);
  if (!r) throw TransitionError("routing request #" + std::to_string(id) + " does not exist");
  if (r->state != State::NEEDS_ATTENTION)
    throw ActionRefused("routing request #" + std::to_string(id) + " is " + std::string(to_string(r->state)) +
                        (r->state == State::REJECTED ? ": Amazon refused it; edit and resubmit it instead"
                                                     : ": only a request that needs attention can be retried"));
  auto target = retry_target_locked(id, *r);
  if (!target)
    throw ActionRefused("routing request #" + std::to_string(id) + ": no stage to retry is known (it never got past "
                        "intake); edit and resubmit it instead");
  transition_locked(id, {State::NEEDS_ATTENTION}, *target, actor, with_comment("retried by the operator", comment));
  db_->prepare("UPDATE requests SET reason = '', evidence = NULL WHERE id = ?1").bind(1, id).run();
  tx.commit();
  return *target;
}

void Store::operator_close_locked(std::int64_t id, State to, const std::string& actor, const std::string& comment) {
  Transaction tx(*db_);
  WriteScope write(*this);
  auto q = db_->prepare("SELECT state FROM requests WHERE id = ?1");
  q.bind(1, id);
  if (!q.step()) throw TransitionError("routing request #" + std::to_string(id) + " does not exist");
  auto state = q.text(0);
  if (state != to_string(State::NEEDS_ATTENTION) && state != to_string(State::REJECTED))
    throw ActionRefused("routing request #" + std::to_string(id) + " is " + state + ": only a request in "
                        "NEEDS_ATTENTION or REJECTED can be " + (to == State::CANCELLED ? "cancelled" : "resolved"));
  const std::string verb = to == State::CANCELLED ? "cancelled by " : "resolved by ";
  const std::string who = actor.rfind("console:", 0) == 0 ? actor.substr(8) : actor;
  transition_locked(id, {State::NEEDS_ATTENTION, State::REJECTED}, to, actor, comment);
  db_->prepare("UPDATE requests SET reason = ?2 WHERE id = ?1").bind(1, id).bind(2, with_comment(verb + who, comment)).run();
  tx.commit();
}

void Store::operator_cancel(std::int64_t id, const std::string& actor, const std::string& comment) {
  std::lock_guard lock(mutex_);
  operator_close_locked(id, State::CANCELLED, actor, comment);
}

void Store::operator_resolve(std::int64_t id, const std::string& actor, const std::string& comment) {
  std::lock_guard lock(mutex_);
  operator_close_locked(id, State::RESOLVED, actor, comment);
}

std::optional<std::string> Store::resubmit_refusal(std::int64_t id) {
  std::lock_guard lock(mutex_);
  auto q = db_->prepare("SELECT state FROM requests WHERE id = ?1");
  q.bind(1, id);
  if (!q.step()) throw TransitionError("routing request #" + std::to_string(id) + " does not exist");
  if (q.text(0) != to_string(State::NEEDS_ATTENTION) && q.text(0) != to_string(State::REJECTED))
    return "routing request #" + std::to_string(id) + " is " + q.text(0) +
           ": only a request in NEEDS_ATTENTION or REJECTED can be resubmitted";
  if (auto sent = sent_shipment(*db_, id); !sent.empty()) return "routing request #" + std::to_string(id) + ": " + sent;
  return std::nullopt;
}

void Store::operator_resubmit(std::int64_t id, const nlohmann::json& extracted, const std::string& actor,
                              const std::string& comment) {
  std::lock_guard lock(mutex_);
  Transaction tx(*db_);
  WriteScope write(*this);
  auto r = request(id);
  if (!r) throw TransitionError("routing request #" + std::to_string(id) + " does not exist");
  if (auto refusal = resubmit_refusal(id)) throw ActionRefused(*refusal);
  // What changed, for the event: the top-level fields the operator edited.
  std::string changed;
  if (extracted.is_object())
    for (auto it = extracted.begin(); it != extracted.end(); ++it)
      if (!r->extracted.is_object() || !r->extracted.contains(it.key()) || r->extracted[it.key()] != it.value())
        changed += (changed.empty() ? "" : ", ") + it.key();
  if (r->extracted.is_object())
    for (auto it = r->extracted.begin(); it != r->extracted.end(); ++it)
      if (!extracted.contains(it.key())) changed += (changed.empty() ? "" : ", ") + it.key() + " (removed)";
  // Never sent (PLANNED) or refused by Amazon (REJECTED): planned again from the new fields.
  db_->prepare("DELETE FROM shipments WHERE request = ?1").bind(1, id).run();
  db_->prepare("UPDATE requests SET extracted = ?2, findings = NULL, reason = '', evidence = NULL WHERE id = ?1")
      .bind(1, id)
      .bind(2, extracted.dump())
      .run();
  transition_locked(id, {State::NEEDS_ATTENTION, State::REJECTED}, State::EXTRACTED, actor,
                    with_comment("resubmitted by the operator with edited fields (" +
                                     (changed.empty() ? std::string("none changed") : changed) + ")",
                                 comment));
  tx.commit();
}

}  // namespace dockhand::chain
