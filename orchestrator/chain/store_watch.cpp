// The store's side for watchers (issue 9): transition observers (metrics: stage latencies), counts per state
// and brand (metrics: requests by state), and the alerts table (alerts/: one alert per item and channel,
// remembered across restarts). Apart from store.cpp, which is the chain's own writing.
#include "store_internal.h"

#include <sqlite3.h>

#include <ctime>

namespace dockhand::chain {

using sqlite::Transaction;

namespace {

// A DEADLINE event (chain/follow.cpp: a request late) is alerted like a state a person must look at.
const char* const kAlertStates = "('NEEDS_ATTENTION', 'REJECTED', 'DEADLINE')";

}  // namespace

void Store::on_transition(TransitionObserver observer) {
  std::lock_guard lock(mutex_);
  if (observers_.empty()) {
    sqlite3_commit_hook(db_->handle(), &Store::on_commit, this);
    sqlite3_rollback_hook(db_->handle(), &Store::on_rollback, this);
  }
  observers_.push_back(std::move(observer));
}

// Within the transaction that moves the request: when it last entered each state, from the event log.
void Store::note_transition_locked(std::int64_t id, State from, State to) {
  Transition t;
  t.request_id = id;
  t.from = from;
  t.to = to;
  t.at_ms = clock_.now_ms();
  auto r = db_->prepare(has_account_ ? "SELECT created_at, COALESCE(account, '') FROM requests WHERE id = ?1"
                                     : "SELECT created_at, '' FROM requests WHERE id = ?1");
  r.bind(1, id);
  if (r.step()) {
    if (auto ms = iso_to_ms_utc(r.text(0))) t.entered_ms[State::RECEIVED] = *ms;
    t.account = r.text(1);
  }
  // SQLite's bare column beside max(): the time of the latest event of each step.
  auto q = db_->prepare("SELECT step, max(id), time FROM events WHERE request = ?1 GROUP BY step");
  q.bind(1, id);
  while (q.step())
    if (auto state = state_from_string(q.text(0)))
      if (auto ms = iso_to_ms_utc(q.text(2))) t.entered_ms[*state] = *ms;
  uncommitted_.push_back(std::move(t));
}

// SQLite calls these on the writing thread, under the store's lock (every write holds it). Observers must
// not use the connection (they count and wake threads).
int Store::on_commit(void* self) {
  auto& store = *static_cast<Store*>(self);
  auto committed = std::move(store.uncommitted_);
  store.uncommitted_.clear();
  for (const auto& t : committed)
    for (const auto& observer : store.observers_) {
      try {
        observer(t);
      } catch (...) {
        // an observer's failure never undoes a committed step
      }
    }
  return 0;
}

void Store::on_rollback(void* self) { static_cast<Store*>(self)->uncommitted_.clear(); }

std::map<std::pair<std::string, std::string>, std::int64_t> Store::count_by_state_and_account() {
  std::lock_guard lock(mutex_);
  auto q = db_->prepare(has_account_ ? "SELECT state, COALESCE(account, ''), COUNT(*) FROM requests GROUP BY 1, 2"
                                     : "SELECT state, '', COUNT(*) FROM requests GROUP BY 1");
  std::map<std::pair<std::string, std::string>, std::int64_t> out;
  while (q.step()) out[{q.text(0), q.text(1)}] = q.integer(2);
  return out;
}

std::size_t Store::collect_request_alerts(const std::vector<std::string>& channels) {
  std::lock_guard lock(mutex_);
  Transaction tx(*db_);
  auto cursor = db_->prepare("SELECT last_event FROM alert_cursor WHERE id = 1");
  if (!cursor.step()) {
    // The first look: start from now, so turning alerts on never announces the store's whole history.
    db_->exec("INSERT INTO alert_cursor (id, last_event) SELECT 1, COALESCE(MAX(id), 0) FROM events");
    tx.commit();
    return 0;
  }
  const std::int64_t after = cursor.integer(0);
  auto q = db_->prepare(std::string("SELECT e.id, e.request, e.step, e.time, e.detail, r.reason, ") +
                        (has_account_ ? "COALESCE(r.account, '')" : "''") +
                        " FROM events e JOIN requests r ON r.id = e.request WHERE e.id > ?1 AND e.step IN " +
                        kAlertStates + " ORDER BY e.id LIMIT 500");
  q.bind(1, after);
  auto insert = db_->prepare(
      "INSERT OR IGNORE INTO alerts (item, channel, content, created_at) VALUES (?1, ?2, ?3, ?4)");
  std::size_t added = 0;
  std::int64_t last = after;
  bool full = false;
  std::size_t rows = 0;
  while (q.step()) {
    ++rows;
    last = q.integer(0);
    nlohmann::json content = {{"kind", "request"},       {"request", q.integer(1)}, {"state", q.text(2)},
                              {"time", q.text(3)},       {"detail", q.text(4)},     {"reason", q.text(5)},
                              {"brand", q.text(6)},      {"event", last}};
    const std::string item = "request-" + std::to_string(q.integer(1)) + "-event-" + std::to_string(last);
    for (const auto& channel : channels) {
      insert.bind(1, item).bind(2, channel).bind(3, content.dump()).bind(4, q.text(3));
      insert.run();
      insert.reset();
    }
    ++added;
  }
  full = rows == 500;
  if (!full) {
    // Nothing more of interest up to the log's end: the next look starts there.
    auto end = db_->prepare("SELECT COALESCE(MAX(id), 0) FROM events");
    end.step();
    last = std::max(last, end.integer(0));
  }
  db_->prepare("UPDATE alert_cursor SET last_event = ?1 WHERE id = 1").bind(1, last).run();
  tx.commit();
  return added;
}

bool Store::add_alert(const std::string& item, const nlohmann::json& content, const std::vector<std::string>& channels) {
  std::lock_guard lock(mutex_);
  Transaction tx(*db_);
  bool added = false;
  auto insert = db_->prepare(
      "INSERT OR IGNORE INTO alerts (item, channel, content, created_at) VALUES (?1, ?2, ?3, ?4)");
  for (const auto& channel : channels) {
    insert.bind(1, item).bind(2, channel).bind(3, content.dump()).bind(4, detail::iso_ms(clock_.now()));
    insert.run();
    insert.reset();
    added = added || sqlite3_changes(db_->handle()) > 0;
  }
  tx.commit();
  return added;
}

std::vector<AlertRecord> Store::due_alerts(const std::string& channel, std::int64_t now_ms, std::size_t limit) {
  std::lock_guard lock(mutex_);
  auto q = db_->prepare(
      "SELECT item, content, attempts, last_error FROM alerts WHERE channel = ?1 AND sent_at IS NULL "
      "AND next_attempt_ms <= ?2 ORDER BY created_at, item LIMIT ?3");
  q.bind(1, channel).bind(2, now_ms).bind(3, static_cast<std::int64_t>(limit));
  std::vector<AlertRecord> out;
  while (q.step())
    out.push_back({q.text(0), channel, nlohmann::json::parse(q.text(1), nullptr, false),
                   static_cast<int>(q.integer(2)), q.text(3)});
  return out;
}

std::optional<std::int64_t> Store::next_alert_due_ms(const std::string& channel) {
  std::lock_guard lock(mutex_);
  auto q = db_->prepare("SELECT MIN(next_attempt_ms) FROM alerts WHERE channel = ?1 AND sent_at IS NULL");
  q.bind(1, channel);
  if (!q.step() || q.is_null(0)) return std::nullopt;
  return q.integer(0);
}

void Store::alert_sent(const std::string& item, const std::string& channel) {
  std::lock_guard lock(mutex_);
  db_->prepare("UPDATE alerts SET sent_at = ?3, attempts = attempts + 1, last_error = '' WHERE item = ?1 AND channel = ?2")
      .bind(1, item)
      .bind(2, channel)
      .bind(3, detail::iso_ms(clock_.now()))
      .run();
}

void Store::alert_failed(const std::string& item, const std::string& channel, const std::string& error,
                         std::int64_t next_attempt_ms) {
  std::lock_guard lock(mutex_);
  db_->prepare(
         "UPDATE alerts SET attempts = attempts + 1, last_error = ?3, next_attempt_ms = ?4 "
         "WHERE item = ?1 AND channel = ?2")
      .bind(1, item)
      .bind(2, channel)
      .bind(3, error)
      .bind(4, next_attempt_ms)
      .run();
}

std::vector<nlohmann::json> Store::alerts() {
  std::lock_guard lock(mutex_);
  auto q = db_->prepare("SELECT item, channel, sent_at IS NOT NULL, attempts, last_error, content FROM alerts "
                        "ORDER BY created_at, item, channel");
  std::vector<nlohmann::json> out;
  while (q.step())
    out.push_back({{"item", q.text(0)},
                   {"channel", q.text(1)},
                   {"sent", q.integer(2) != 0},
                   {"attempts", q.integer(3)},
                   {"last_error", q.text(4)},
                   {"content", nlohmann::json::parse(q.text(5), nullptr, false)}});
  return out;
}

}  // namespace dockhand::chain
