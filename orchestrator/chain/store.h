// chain/: the durable store of routing requests (SQLite, WAL, BEGIN IMMEDIATE). Every state change is one
// transaction that also appends to the event log, so the log and the state can never disagree, and the
// orchestrator can be killed at any moment and resume where it was. Thread-safe (one mutex).
#pragma once

#include "orchestrator/chain/clock.h"
#include "orchestrator/chain/state.h"
#include "orchestrator/mail/mail_source.h"
#include "orchestrator/pretender/pretender.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace dockhand::sqlite {
class Database;
}

namespace dockhand::chain {

// A transition asked from a state the request is not in (someone else moved it first).
class TransitionError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The file given is not a Dockhand store (another program's database, not SQLite at all, empty), or its schema
// is newer than this program knows. The message says which, and what to do.
class StoreFormatError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// read_write: serve (creates the store, migrates an older schema forward). read_only: a reader that stays
// (status --follow). read_once: a one-shot reader (status): see sqlite::Access. The read-only ways open the
// file with SQLITE_OPEN_READONLY and never write to it, and refuse a file that is not a Dockhand store.
enum class StoreAccess { read_write, read_only, read_once };

struct Event {
  std::int64_t id = 0;
  std::int64_t request_id = 0;
  std::string time;  // ISO-8601 UTC with milliseconds
  std::string actor;
  std::string step;
  std::string detail;
};

struct ShipmentRecord {
  std::int64_t id = 0;
  std::int64_t request_id = 0;
  std::string vendor_shipment_identifier;
  std::string state;  // shipment_state::*
  pretender::PlannedShipment planned;
  std::optional<std::string> transaction_id;
  std::optional<std::int64_t> submitted_ms;  // when SUBMITTING was marked
  nlohmann::json errors;   // Amazon's errors when REJECTED
  nlohmann::json details;  // getShipmentDetails once CONFIRMED (null until fetched)
};

// What happened to a confirmed shipment after confirmation (store_followup.cpp, schema version 5): Amazon's
// status as last seen, the labels kept, the departure and its ASN.
struct Followup {
  std::int64_t shipment_id = 0;
  std::string amazon_status;  // currentShipmentStatus last seen ("" : not looked at since confirmation)
  int labels = -1;            // labels kept as evidence; -1: not fetched yet
  std::string departed_at;    // ISO-8601 UTC; "" : not departed
  std::string departed_by;    // the actor that said so (fleet close-out, console:NAME, operator:USER)
  std::string bol;            // the bill of lading (OpShip's, or the operator's)
  std::string asn_state;      // asn_state::* ("" : not sent)
  std::optional<std::string> asn_transaction_id;
  std::optional<std::int64_t> asn_sent_ms;  // when SENDING was marked
  nlohmann::json asn_errors;                // Amazon's errors when REJECTED
};

struct RequestRecord {
  std::int64_t id = 0;
  std::int64_t message_row = 0;
  std::string source_id;
  std::optional<std::string> message_id;
  State state = State::RECEIVED;
  std::string reason;         // why NEEDS_ATTENTION / REJECTED / OTHER / QUARANTINED / DUPLICATE
  nlohmann::json evidence;    // supporting data for the reason (rule findings, Amazon errors, ...)
  nlohmann::json extracted;   // the intake JSON
  nlohmann::json findings;    // rule findings (warnings included) from planning
  nlohmann::json outputs;     // close-out references (pre-tender reference, BOL, ...)
  std::optional<std::int64_t> duplicate_of;
  std::string created_at, updated_at;
  std::optional<std::int64_t> next_attempt_ms;  // null: nothing scheduled
  int attempts = 0;
  std::string last_error;
  std::string account;  // the brand whose authorization it runs under ("" until bound)
};

// Whether the store can be written. "disk_full" while writes fail with SQLITE_FULL (the disk is full, or
// the store reached its size limit); the next write that succeeds makes it "ok" again. The process that
// sees a change logs it once and writes it to PATH.health, so `status` (another process) can show it.
struct StoreHealth {
  std::string state = "ok";  // "ok" | "disk_full"
  std::string detail;        // the error, while disk_full
  std::string since;         // ISO-8601 UTC time of the change
  long pid = 0;              // the process that saw it
};

// --- what the console (orchestrator/console) browses -------------------------------------------------------
struct RequestFilter {
  std::vector<State> states;         // empty: any
  std::optional<std::string> brand;  // the account ("" : not bound yet); nullopt: any
  // A PO, an ARN / reference number, a vendor shipment identifier or a transaction id: a case-insensitive
  // prefix of any of them (the search_keys table); an all-digits text also matches that request id.
  std::string search;
  std::optional<std::int64_t> before;  // only ids below this (keyset paging, newest first)
  std::size_t limit = 50;
};

struct RequestPage {
  std::vector<RequestRecord> items;       // newest first
  std::optional<std::int64_t> next_before;  // pass as `before` for the next page; nullopt: last page
  std::int64_t total = 0;                 // every request matching the filter
};

struct EvidenceInfo {
  std::int64_t id = 0;
  std::string time, name, content_type;
  std::int64_t size = 0;
};

// An operator's action (console) the request's state does not allow, or that would send a submission to
// Amazon twice: the message says why.
class ActionRefused : public TransitionError {
 public:
  using TransitionError::TransitionError;
};

// A request changed state (seen by observers once the transaction that changed it committed). `entered_ms`:
// when the request last entered each state it has been in before this one (from the event log; RECEIVED is
// when it was stored), so an observer can measure a stage such as SUBMITTED -> CONFIRMED -> ... -> DONE.
struct Transition {
  std::int64_t request_id = 0;
  State from = State::RECEIVED;
  State to = State::RECEIVED;
  std::string account;  // the brand ("" while unbound)
  std::int64_t at_ms = 0;
  std::map<State, std::int64_t> entered_ms;
};
using TransitionObserver = std::function<void(const Transition&)>;

// One alert to send on one channel (alerts/): an item (a request that entered NEEDS_ATTENTION or REJECTED,
// an agent gone silent) is remembered per channel, so a restart never sends it again.
struct AlertRecord {
  std::string item;     // "request-ID-event-EVENT" or whatever the caller named it ("agent-...")
  std::string channel;  // "email", "webhook"
  nlohmann::json content;  // kind, request, state, reason, brand, time, ...
  int attempts = 0;
  std::string last_error;
};

// What one notice email (cancellation, change, chargeback) did to one request it names (table notice_effects).
struct NoticeEffect {
  std::int64_t id = 0;
  std::int64_t notice = 0;                // the notice's own request row (the email)
  std::string kind;                       // cancellation | change | chargeback
  std::string po;                         // the PO (or "" when it named only a shipment, or nothing)
  std::optional<std::int64_t> request;    // the request it matched; nullopt: none holds the PO (recorded)
  std::string shipment;                   // the vendor shipment identifier concerned, if any
  std::string reason;                     // chargeback reason: late_asn | routing | labels | other
  std::string brand;                      // the matched request's account ("" when unknown)
  // removed (PO taken out before submission) | emptied (the request had no PO left: CANCELLED) | held
  // (NEEDS_ATTENTION) | cancel_pending | cancelled (Amazon accepted the Cancel) | cancel_refused | unknown_po |
  // chargeback
  std::string action;
  std::string detail;
  std::string subject;                    // the notice email's subject
  std::string created_at, updated_at;
};

// A Cancel transaction for one shipment (table cancellations).
struct CancellationRecord {
  std::int64_t shipment_id = 0;
  std::int64_t request_id = 0;
  std::int64_t notice = 0;
  std::string vendor_shipment_identifier;
  std::string state;  // PENDING | SENDING (marked before the call) | SENT | CANCELLED | REFUSED
  std::optional<std::string> transaction_id;
  std::optional<std::int64_t> sent_ms;
};

struct Received {
  std::int64_t request_id;
  State state;      // RECEIVED or DUPLICATE
  bool redelivery;  // this very source message was stored before (crash before mark_handled): nothing new
};

class Store {
 public:
  // A store is marked with PRAGMA application_id = kApplicationId and its schema version is PRAGMA
  // user_version. A store written before stores were marked (no application_id, the store's tables) is read
  // as version 0 and adopted (marked) by the first read_write open.
  static constexpr std::int32_t kApplicationId = 0x44484E44;  // "DHND"
  // 2: requests.account (issue 22); 3: alerts, 4: search_keys (issue 9); 5: notice_effects, cancellations,
  // 6: shipment_followup (issue 23)
  static constexpr int kSchemaVersion = 6;

  Store(const std::string& path, const Clock& clock, StoreAccess access = StoreAccess::read_write);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  const std::string& path() const { return path_; }
  // The schema version the file had when opened read_write, when it was migrated forward (or adopted: 0);
  // nullopt when it already was current or is new.
  std::optional<int> migrated_from() const { return migrated_from_; }

  // Caps the store's size (PRAGMA max_page_count): beyond it writes fail as on a full disk, so the store
  // never takes a shared disk's last bytes. 0: no cap.
  void limit_size(std::uint64_t max_bytes);
  StoreHealth health();
  // What the last process writing the store at `store_path` said of its health (nullopt: never written).
  static std::optional<StoreHealth> read_health(const std::string& store_path);

  // Stores the raw bytes and creates the request (RECEIVED, or DUPLICATE of an earlier one) in one transaction.
  Received receive(const mail::RawMessage& message, const std::string& actor);
  std::string raw_message(std::int64_t request_id);

  // --- transitions (each: check the current state, change it, append the event, one transaction) -------
  void record_extraction(std::int64_t id, const nlohmann::json& extracted, bool routing_request,
                         const std::string& reason, const std::string& actor);
  // RECEIVED -> NEEDS_ATTENTION: the intake found signs of a routing request it could not read in full.
  // The extraction is stored beside the reason and the evidence (what was found, what is missing).
  void record_doubtful_extraction(std::int64_t id, const nlohmann::json& extracted, const std::string& reason,
                                  const nlohmann::json& evidence, const std::string& actor);
  void quarantine(std::int64_t id, const std::string& reason, const std::string& actor);
  // EXTRACTED -> PLANNED with one row per shipment, or NEEDS_ATTENTION when the plan has errors or a shipment
  // identifier belongs to another live request (so the same shipment is never submitted twice).
  State record_plan(std::int64_t id, const pretender::Plan& plan, const std::string& actor);
  void mark_submitting(std::int64_t shipment_id, const std::string& actor);
  // Still SUBMITTING, about to be sent again (RESUBMIT event): the send time moves to now.
  void record_resend(std::int64_t shipment_id, const std::string& actor, const std::string& detail);
  // SUBMITTING -> SUBMITTED with the transactionId (nullopt: resolved as already at Amazon); the request
  // moves to SUBMITTED once all its shipments are.
  void record_submission(std::int64_t shipment_id, const std::optional<std::string>& transaction_id,
                         const std::string& actor, const std::string& detail);
  // SUBMITTED -> CONFIRMED; the request moves to CONFIRMED once all its shipments are.
  void record_confirmation(std::int64_t shipment_id, const std::string& actor, const std::string& detail);
  // Amazon said Failure (or refused the payload): the shipment and the request become REJECTED.
  void record_rejection(std::int64_t shipment_id, const nlohmann::json& errors, const std::string& actor,
                        const std::string& detail);
  // Amazon's details of a CONFIRMED shipment (record_followup_details, below).
  void record_details(std::int64_t shipment_id, const nlohmann::json& details, const std::string& actor);
  void needs_attention(std::int64_t id, const std::string& reason, const nlohmann::json& evidence,
                       const std::string& actor);
  void begin_closeout(std::int64_t id, const std::string& actor, const std::string& detail);
  void finish_closeout(std::int64_t id, const nlohmann::json& outputs, const std::string& actor,
                       const std::string& detail);
  // Binds the request to an account (event BOUND with `detail`; none when `detail` is empty). Refused (TransitionError) when the request
  // is final (other than NEEDS_ATTENTION), or when a shipment of it already went to Amazon under another
  // account (polling it under a new one would ask the wrong selling partner).
  void bind_account(std::int64_t id, const std::string& account, const std::string& actor, const std::string& detail);
  // NEEDS_ATTENTION for an account problem (evidence "resume_state", chain/accounts.h) -> back to the state
  // it stopped in, due now (its event says "resumed: DETAIL"). TransitionError for any other request.
  State resume(std::int64_t id, const std::string& actor, const std::string& detail);

  // --- bookkeeping -------------------------------------------------------------------------------------
  void add_event(std::int64_t id, const std::string& actor, const std::string& step, const std::string& detail);
  std::int64_t add_evidence(std::int64_t id, const std::string& name, const std::string& content_type,
                            const std::string& bytes, const std::string& actor);
  // Schedules the next attempt; a retry also records the error (and an event when the error changes).
  void schedule(std::int64_t id, std::optional<std::int64_t> next_attempt_ms, bool count_attempt = false);
  // Start-up: every request the worker still owns (not final, not CLOSING_OUT; DEPARTED too) becomes due at now_ms.
  std::size_t reschedule_unfinished(std::int64_t now_ms);
  void record_retry(std::int64_t id, std::int64_t next_attempt_ms, const std::string& error, const std::string& actor);

  // --- queries -----------------------------------------------------------------------------------------
  std::optional<RequestRecord> request(std::int64_t id);
  std::vector<RequestRecord> requests(std::size_t limit = 0);  // all, oldest first (limit 0: no limit)
  // Requests due at now_ms: new work (RECEIVED, EXTRACTED, PLANNED) before polls of Amazon (SUBMITTED,
  // CONFIRMED), so a backlog of polls held up by Amazon's rate limits never delays a new submission.
  std::vector<std::int64_t> due(std::int64_t now_ms, std::size_t limit = 256);
  std::optional<std::int64_t> next_due_ms();
  std::vector<std::int64_t> in_state(State state);
  std::vector<ShipmentRecord> shipments(std::int64_t request_id);
  std::vector<Event> events(std::int64_t request_id);
  // Events of every request appended after `after_event_id`, oldest first (status --follow).
  std::vector<Event> events_after(std::int64_t after_event_id, std::size_t limit = 1000);
  std::size_t count_requests();
  // How many requests are in each (state, brand); brand "" while unbound. One short read.
  std::map<std::pair<std::string, std::string>, std::int64_t> count_by_state_and_account();

  // --- observers (store_watch.cpp) ----------------------------------------------------------------------
  // Called on the writing thread, under the store's lock, once the transaction committed: keep it short and
  // do not call the store from it (count, queue, wake a thread).
  void on_transition(TransitionObserver observer);

  // --- alerts (store_watch.cpp; the table `alerts`, schema version 3) --------------------------------------
  // Every event since the last call that put a request in NEEDS_ATTENTION or REJECTED becomes one alert per
  // channel (kept until sent). The first call on a store starts from its last event: what entered those
  // states before alerts were on is not announced. Returns how many items were added.
  std::size_t collect_request_alerts(const std::vector<std::string>& channels);
  // Adds an item of the caller's own (an agent gone silent) on each channel, unless it is known already.
  bool add_alert(const std::string& item, const nlohmann::json& content, const std::vector<std::string>& channels);
  // The channel's alerts not sent yet and due at now_ms, oldest first.
  std::vector<AlertRecord> due_alerts(const std::string& channel, std::int64_t now_ms, std::size_t limit = 20);
  std::optional<std::int64_t> next_alert_due_ms(const std::string& channel);
  void alert_sent(const std::string& item, const std::string& channel);
  void alert_failed(const std::string& item, const std::string& channel, const std::string& error,
                    std::int64_t next_attempt_ms);
  // Every alert row (tests, status): item, channel, sent (bool), attempts, last_error.
  std::vector<nlohmann::json> alerts();

  // --- the console: browsing (store_browse.cpp) ------------------------------------------------------------
  RequestPage browse(const RequestFilter& filter);
  std::vector<EvidenceInfo> evidence_of(std::int64_t request_id);
  // {content_type, bytes} of one evidence row of this request; nullopt when it is not this request's.
  std::optional<std::pair<std::string, std::string>> evidence_bytes(std::int64_t request_id, std::int64_t evidence_id);
  // The request's events with an id above `after_event_id`, oldest first.
  std::vector<Event> events(std::int64_t request_id, std::int64_t after_event_id);

  // --- the console: an operator's actions (store_operator.cpp) ----------------------------------------------
  // Each is one transaction whose event names `actor` ("console:NAME"); ActionRefused (a TransitionError)
  // when the request's state does not allow it. See docs/console.md.
  // The actions allowed now: a subset of {"retry", "cancel", "resubmit", "resolve"}.
  std::vector<std::string> operator_actions(std::int64_t id);
  // NEEDS_ATTENTION -> the state it stopped in (a close-out failure: CONFIRMED, so it is dispatched again),
  // due now. Returns that state.
  State operator_retry(std::int64_t id, const std::string& actor, const std::string& comment);
  // NEEDS_ATTENTION or REJECTED -> CANCELLED / RESOLVED (final), the comment as the reason.
  void operator_cancel(std::int64_t id, const std::string& actor, const std::string& comment);
  void operator_resolve(std::int64_t id, const std::string& actor, const std::string& comment);
  // NEEDS_ATTENTION or REJECTED -> EXTRACTED with new extracted fields, due now; the shipments that never
  // reached Amazon (PLANNED, REJECTED) are dropped. Refused when any shipment is SUBMITTING, SUBMITTED or
  // CONFIRMED: a submission that reached Amazon (or may have) is never sent twice. The caller checks the
  // new fields against the pre-tender rules first.
  void operator_resubmit(std::int64_t id, const nlohmann::json& extracted, const std::string& actor,
                         const std::string& comment);
  // Why operator_resubmit would refuse the request now (its state, a shipment that reached Amazon); nullopt: it
  // would not. TransitionError when the request does not exist.
  std::optional<std::string> resubmit_refusal(std::int64_t id);

  // --- following a confirmed shipment until it leaves, and its ASN (store_followup.cpp) ----------------------
  // By shipment id; a shipment without a row yet has none (read as Followup{} by the caller).
  std::map<std::int64_t, Followup> followups(std::int64_t request_id);
  // Amazon's details of a CONFIRMED shipment, stored at each look. Event DETAILS the first time (crash point
  // DETAILS), AMAZON_STATUS when currentShipmentStatus changed; nothing when the same. True when it changed.
  bool record_followup_details(std::int64_t shipment_id, const nlohmann::json& details, const std::string& actor);
  // The shipment's labels kept as evidence (name, bytes), and how many, in one transaction (event LABELS
  // with `detail`; none when it is empty).
  void record_labels(std::int64_t shipment_id, const std::vector<std::pair<std::string, std::string>>& files,
                     const std::string& content_type, const std::string& actor, const std::string& detail);
  // CONFIRMED, CLOSING_OUT or NEEDS_ATTENTION (with every shipment CONFIRMED) -> DEPARTED: the freight left.
  // `bol`: a BOL for the shipments that have none yet ("" : none given). Refused (ActionRefused) when a
  // shipment would be left without a BOL. `outputs`: the close-out's references (null: keep them).
  void record_departure(std::int64_t id, const std::string& bol, const nlohmann::json& outputs,
                        const std::string& actor, const std::string& detail);
  // Why record_departure would refuse the request now; nullopt: it would not.
  std::optional<std::string> departure_refusal(std::int64_t id, const std::string& bol);
  // The ASN: marked SENDING before the call (event ASN_SENDING; a resend moves the send time to now)...
  void mark_asn_sending(std::int64_t shipment_id, const std::string& actor, const std::string& detail);
  // ... SENT with the transactionId (nullopt: found at Amazon after an uncertain send) (event ASN_SENT) ...
  void record_asn_sent(std::int64_t shipment_id, const std::optional<std::string>& transaction_id,
                       const std::string& actor, const std::string& detail);
  // ... ACCEPTED (the request moves DEPARTED -> DONE once every shipment's is) or REJECTED (the request moves
  // to NEEDS_ATTENTION with Amazon's errors: the freight is gone, a person must correct the ASN).
  void record_asn_result(std::int64_t shipment_id, bool accepted, const nlohmann::json& errors,
                         const std::string& actor, const std::string& detail);
  // A deadline passed (chain/follow.cpp): event DEADLINE "late (KIND): detail", or, with `attention`, the request
  // moves to NEEDS_ATTENTION with that reason. Once per request and kind; false when raised before.
  bool raise_deadline(std::int64_t id, const std::string& kind, const std::string& detail, bool attention,
                      const std::string& actor);
  // Requests a deadline was raised for that are not finished (DONE, CANCELLED, RESOLVED, REJECTED).
  std::set<std::int64_t> late_requests();
  // --- notices: cancellations, changes, chargebacks (store_notices.cpp; schema version 5) ---------------------
  // RECEIVED -> NOTICE with the extraction; due now, so its effects are applied next (finish_notice ends it).
  void record_notice(std::int64_t id, const nlohmann::json& extracted, const std::string& reason, const std::string& actor);
  // The requests whose search keys hold `term` (kind "po", "shipment", "reference", "transaction"), notices and
  // mail that is not a routing request left out, oldest first.
  std::vector<std::int64_t> requests_holding(const std::string& kind, const std::string& term);
  // Whether this notice already had its effect on (po, request) (a notice applied again after a crash).
  bool has_effect(std::int64_t notice, const std::string& po, std::optional<std::int64_t> request);
  // Records an effect that changes nothing else (unknown_po, chargeback): its event on the matched request.
  void add_effect(const NoticeEffect& effect, const std::string& actor);
  // Before submission: the PO taken out of the request's extraction (planned shipments dropped, a PLANNED
  // request back to EXTRACTED to be planned again); no PO left: CANCELLED. Returns the request's new state.
  State remove_po(const NoticeEffect& effect, const std::string& actor);
  // After submission: a Cancel of the shipment is due (cancellations row PENDING), the request due now.
  void request_cancel(std::int64_t shipment_id, const NoticeEffect& effect, const std::string& actor);
  // The request held for a human (NEEDS_ATTENTION unless final), the effect recorded with the reason.
  void hold_for_notice(const NoticeEffect& effect, const std::string& reason, const std::string& actor);
  void finish_notice(std::int64_t id, const std::string& summary, const std::string& actor);
  std::vector<CancellationRecord> cancellations(std::int64_t request_id);
  void mark_cancel_sending(std::int64_t shipment_id, const std::string& actor);
  void record_cancel_sent(std::int64_t shipment_id, const std::string& transaction_id, const std::string& actor);
  // Amazon accepted the Cancel: the shipment CANCELLED; every shipment of the request cancelled: the request
  // CANCELLED too, unless `hold_reason` (close-out work already done) sends it to NEEDS_ATTENTION.
  void record_cancelled(std::int64_t shipment_id, const std::string& detail, const std::string& hold_reason,
                        const std::string& actor);
  // Amazon refused the Cancel: the request NEEDS_ATTENTION with its errors.
  void record_cancel_refused(std::int64_t shipment_id, const nlohmann::json& errors, const std::string& detail,
                             const std::string& actor);
  // The effects of notices, newest first: of one request (as notice or as the request matched), or all.
  std::vector<NoticeEffect> notice_effects(std::optional<std::int64_t> request_id = std::nullopt, std::size_t limit = 200);
  // Chargebacks counted per (brand, reason): one per PO a chargeback names (one when it names none).
  std::map<std::pair<std::string, std::string>, std::int64_t> chargeback_counts();

  // Message-ID, else "headers:" + SHA-256 of the headers without the trace headers a delivery adds
  // (Received, Return-Path, Delivered-To, X-Original-To).
  static std::string dedupe_key(const std::string& raw_message);

 private:
  void transition_locked(std::int64_t id, std::initializer_list<State> from, State to, const std::string& actor,
                         const std::string& detail);
  void event_locked(std::int64_t id, const std::string& actor, const std::string& step, const std::string& detail);
  class WriteScope;
  class ShipmentWrite;  // store_followup.cpp
  void note_write_locked(bool failed);
  std::uint64_t room_locked();  // bytes the store can still grow by (size cap and disk)
  void set_health_locked(StoreHealth health);

  void open_for_writing();
  std::optional<State> retry_target_locked(std::int64_t id, const RequestRecord& r);
  void operator_close_locked(std::int64_t id, State to, const std::string& actor, const std::string& comment);
  void note_transition_locked(std::int64_t id, State from, State to);
  static int on_commit(void* store);
  static void on_rollback(void* store);

  std::vector<TransitionObserver> observers_;
  std::vector<Transition> uncommitted_;  // transitions of the open transaction, told once it commits

  std::string path_;
  const Clock& clock_;
  std::optional<int> migrated_from_;
  bool has_account_ = true;  // false: a store from before accounts, read without migrating
  bool has_followup_ = true;  // false: a store from before schema 5, read without migrating
  void departure_locked(std::int64_t id, std::initializer_list<State> from, const std::string& bol,
                        const nlohmann::json& outputs, const std::string& actor, const std::string& detail);
  std::optional<std::string> departure_refusal_locked(std::int64_t id, const std::string& bol);
  std::unique_ptr<sqlite::Database> db_;
  std::recursive_mutex mutex_;
  StoreHealth health_;
  int health_fd_ = -1;  // PATH.health, its space reserved at the first write (a full disk can still take it)
};

}  // namespace dockhand::chain
