#include "store.h"

#include "crash_point.h"
#include "search_keys.h"
#include "orchestrator/pretender/sqlite_db.h"

#include <spdlog/spdlog.h>

#include <fcntl.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <iterator>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <exception>
#include <filesystem>

namespace dockhand::chain {

using sqlite::Transaction;

namespace {

constexpr std::size_t kHealthFileBytes = 512;
constexpr std::uint64_t kRoomToRecover = 256 * 1024;  // free bytes (disk and size cap) to count as writable

const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS messages (
  id          INTEGER PRIMARY KEY,
  source_id   TEXT NOT NULL,
  dedupe_key  TEXT NOT NULL,
  message_id  TEXT,
  raw         BLOB NOT NULL,
  received_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_dedupe ON messages(dedupe_key);
CREATE TABLE IF NOT EXISTS requests (
  id              INTEGER PRIMARY KEY,
  message         INTEGER NOT NULL UNIQUE REFERENCES messages(id),
  state           TEXT NOT NULL,
  reason          TEXT NOT NULL DEFAULT '',
  evidence        TEXT,
  extracted       TEXT,
  findings        TEXT,
  outputs         TEXT,
  duplicate_of    INTEGER REFERENCES requests(id),
  created_at      TEXT NOT NULL,
  updated_at      TEXT NOT NULL,
  next_attempt_ms INTEGER,
  attempts        INTEGER NOT NULL DEFAULT 0,
  last_error      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS requests_due ON requests(next_attempt_ms) WHERE next_attempt_ms IS NOT NULL;
CREATE INDEX IF NOT EXISTS requests_state ON requests(state);
CREATE TABLE IF NOT EXISTS shipments (
  id                         INTEGER PRIMARY KEY,
  request                    INTEGER NOT NULL REFERENCES requests(id),
  vendor_shipment_identifier TEXT NOT NULL,
  state                      TEXT NOT NULL,
  planned                    TEXT NOT NULL,
  transaction_id             TEXT,
  submitted_ms               INTEGER,
  errors                     TEXT,
  details                    TEXT
);
CREATE INDEX IF NOT EXISTS shipments_request ON shipments(request);
CREATE INDEX IF NOT EXISTS shipments_identifier ON shipments(vendor_shipment_identifier);
CREATE TABLE IF NOT EXISTS events (
  id      INTEGER PRIMARY KEY,
  request INTEGER NOT NULL REFERENCES requests(id),
  time    TEXT NOT NULL,
  actor   TEXT NOT NULL,
  step    TEXT NOT NULL,
  detail  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS events_request ON events(request);
CREATE TRIGGER IF NOT EXISTS events_append_only_update BEFORE UPDATE ON events
  BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS events_append_only_delete BEFORE DELETE ON events
  BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
CREATE TABLE IF NOT EXISTS evidence (
  id           INTEGER PRIMARY KEY,
  request      INTEGER NOT NULL REFERENCES requests(id),
  time         TEXT NOT NULL,
  name         TEXT NOT NULL,
  content_type TEXT NOT NULL,
  bytes        BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS evidence_request ON evidence(request);
)sql";

std::string iso_ms(std::chrono::system_clock::time_point t) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count() % 1000;
  auto base = pretender::iso_timestamp(t);
  char buffer[8];
  std::snprintf(buffer, sizeof buffer, ".%03d", static_cast<int>(ms < 0 ? ms + 1000 : ms));
  return base.substr(0, base.size() - 1) + buffer + "Z";
}

nlohmann::json parse_or_null(const std::optional<std::string>& text) {
  if (!text || text->empty()) return nullptr;
  return nlohmann::json::parse(*text, nullptr, false);
}

// The header block of an RFC 5322 message, unfolded into (lower-case name, value) pairs.
std::vector<std::pair<std::string, std::string>> headers_of(const std::string& raw) {
  std::vector<std::pair<std::string, std::string>> headers;
  std::size_t pos = 0;
  while (pos < raw.size()) {
    std::size_t end = raw.find('\n', pos);
    if (end == std::string::npos) end = raw.size();
    std::string line = raw.substr(pos, end - pos);
    pos = end + 1;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) break;  // end of the header block
    if ((line[0] == ' ' || line[0] == '\t') && !headers.empty()) {
      headers.back().second += " " + line.substr(line.find_first_not_of(" \t"));
      continue;
    }
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = line.substr(0, colon);
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(" \t"));
    headers.emplace_back(name, value);
  }
  return headers;
}

std::optional<std::string> message_id_of(const std::string& raw) {
  for (const auto& [name, value] : headers_of(raw))
    if (name == "message-id") {
      auto v = value;
      while (!v.empty() && std::isspace(static_cast<unsigned char>(v.back()))) v.pop_back();
      if (!v.empty()) return v;
    }
  return std::nullopt;
}

// A reader of a store from before accounts (schema version 1, opened read-only so not migrated) sees no
// account: NULL in its place.
std::string request_columns(bool has_account) {
  return std::string(
             "r.id, r.message, m.source_id, m.message_id, r.state, r.reason, r.evidence, r.extracted, r.findings, "
             "r.outputs, r.duplicate_of, r.created_at, r.updated_at, r.next_attempt_ms, r.attempts, r.last_error, ") +
         (has_account ? "r.account" : "NULL");
}

RequestRecord read_request(sqlite::Statement& q) {
  RequestRecord r;
  r.id = q.integer(0);
  r.message_row = q.integer(1);
  r.source_id = q.text(2);
  r.message_id = q.optional_text(3);
  r.state = state_from_string(q.text(4)).value_or(State::NEEDS_ATTENTION);
  r.reason = q.text(5);
  r.evidence = parse_or_null(q.optional_text(6));
  r.extracted = parse_or_null(q.optional_text(7));
  r.findings = parse_or_null(q.optional_text(8));
  r.outputs = parse_or_null(q.optional_text(9));
  if (!q.is_null(10)) r.duplicate_of = q.integer(10);
  r.created_at = q.text(11);
  r.updated_at = q.text(12);
  if (!q.is_null(13)) r.next_attempt_ms = q.integer(13);
  r.attempts = static_cast<int>(q.integer(14));
  r.last_error = q.text(15);
  if (!q.is_null(16)) r.account = q.text(16);
  return r;
}

}  // namespace

std::string Store::dedupe_key(const std::string& raw_message) {
  if (auto id = message_id_of(raw_message)) return "message-id:" + *id;
  std::string canonical;
  for (const auto& [name, value] : headers_of(raw_message)) {
    if (name == "received" || name == "return-path" || name == "delivered-to" || name == "x-original-to") continue;
    canonical += name + ":" + value + "\n";
  }
  if (canonical.empty()) canonical = raw_message;  // no headers at all: the bytes are all we have
  return "headers:" + pretender::sha256_hex(canonical);
}

// Held by every write: one that ends by an exception after SQLite failed with SQLITE_FULL within it means
// the store is full; one that ends normally having changed rows means it is writable.
class Store::WriteScope {
 public:
  explicit WriteScope(Store& store)
      : store_(store),
        errors_before_(sqlite::error_count()),
        exceptions_(std::uncaught_exceptions()),
        changes_(sqlite3_total_changes64(store.db_->handle())) {}
  ~WriteScope() {
    bool failed = std::uncaught_exceptions() > exceptions_;
    if (failed && (sqlite::error_count() == errors_before_ || (sqlite::last_error_code() & 0xff) != SQLITE_FULL))
      return;
    if (!failed && sqlite3_total_changes64(store_.db_->handle()) == changes_) return;
    try {
      store_.note_write_locked(failed);
    } catch (...) {
    }
  }
  WriteScope(const WriteScope&) = delete;
  WriteScope& operator=(const WriteScope&) = delete;

 private:
  Store& store_;
  std::uint64_t errors_before_;  // only a SQLite failure within this scope counts
  int exceptions_;
  sqlite3_int64 changes_;
};

void Store::note_write_locked(bool failed) {
  if (failed) {
    if (health_.state == "disk_full") return;
    set_health_locked({"disk_full", std::string(sqlite3_errmsg(db_->handle())) + " (" + path_ + ")",
                       iso_ms(std::chrono::system_clock::now()), static_cast<long>(::getpid())});
    return;
  }
  if (health_fd_ < 0 && !path_.empty() && path_ != ":memory:") {
    // Created, with its bytes reserved, while there is room: on a full disk it is overwritten in place.
    health_fd_ = ::open((path_ + ".health").c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (health_fd_ >= 0) {
      ::posix_fallocate(health_fd_, 0, kHealthFileBytes);
      health_.since = iso_ms(std::chrono::system_clock::now());
      health_.pid = static_cast<long>(::getpid());
      set_health_locked(health_);
    }
  }
  // A small write can still fit on a full store (an update in place): "ok" again only once there is room.
  if (health_.state != "ok" && room_locked() >= kRoomToRecover)
    set_health_locked({"ok", "", iso_ms(std::chrono::system_clock::now()), static_cast<long>(::getpid())});
}

std::uint64_t Store::room_locked() {
  auto pragma = [&](const char* name) {
    auto q = db_->prepare(std::string("PRAGMA ") + name);
    return q.step() ? static_cast<std::uint64_t>(std::max<std::int64_t>(q.integer(0), 0)) : 0;
  };
  auto page = pragma("page_size"), count = pragma("page_count"), max = pragma("max_page_count");
  std::uint64_t room = max > count ? (max - count) * page : 0;
  struct statvfs fs {};
  if (::statvfs(std::filesystem::path(path_).parent_path().empty() ? "." : std::filesystem::path(path_).parent_path().c_str(), &fs) == 0)
    room = std::min<std::uint64_t>(room, static_cast<std::uint64_t>(fs.f_bavail) * fs.f_frsize);
  return room;
}

void Store::set_health_locked(StoreHealth health) {
  if (health.state == "disk_full" && health_.state != "disk_full")
    spdlog::error("store {}: the disk is full ({}): new mail stays in the mailbox and requests wait where they "
                  "are, nothing is lost; Dockhand goes on by itself once there is room (free disk space, or raise "
                  "store_max_bytes)", path_, health.detail);
  else if (health.state == "ok" && health_.state == "disk_full")
    spdlog::info("store {}: writable again (it was full since {})", path_, health_.since);
  health_ = std::move(health);
  if (health_fd_ < 0) return;
  nlohmann::json j = {{"state", health_.state}, {"detail", health_.detail.substr(0, 300)},
                      {"since", health_.since}, {"pid", health_.pid}};
  std::string text = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  text.resize(kHealthFileBytes - 1, ' ');
  text += '\n';
  [[maybe_unused]] auto written = ::pwrite(health_fd_, text.data(), text.size(), 0);
}

StoreHealth Store::health() {
  std::lock_guard lock(mutex_);
  return health_;
}

std::optional<StoreHealth> Store::read_health(const std::string& store_path) {
  int fd = ::open((store_path + ".health").c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0) return std::nullopt;
  char buffer[kHealthFileBytes];
  auto n = ::read(fd, buffer, sizeof buffer);
  ::close(fd);
  if (n <= 0) return std::nullopt;
  auto j = nlohmann::json::parse(std::string(buffer, static_cast<std::size_t>(n)), nullptr, false);
  if (!j.is_object()) return std::nullopt;
  StoreHealth h;
  h.state = j.value("state", std::string("ok"));
  h.detail = j.value("detail", std::string());
  h.since = j.value("since", std::string());
  h.pid = j.value("pid", 0L);
  return h;
}

void Store::limit_size(std::uint64_t max_bytes) {
  if (max_bytes == 0) return;
  std::lock_guard lock(mutex_);
  auto q = db_->prepare("PRAGMA page_size");
  q.step();
  auto page = static_cast<std::uint64_t>(std::max<std::int64_t>(q.integer(0), 512));
  db_->exec("PRAGMA max_page_count = " + std::to_string(std::max<std::uint64_t>(max_bytes / page, 1)));
}

namespace {

const char* const kStoreTables[] = {"events", "evidence", "messages", "requests", "shipments"};

bool has_column(sqlite::Database& db, const char* table, const char* column) {
  for (auto q = db.prepare(std::string("PRAGMA table_info(") + table + ")"); q.step();)
    if (q.text(1) == column) return true;
  return false;
}

void to_version_1(sqlite::Database& db) { db.exec(kSchema); }
// Version 2 (issue 22): each request is bound to an account (a brand's Amazon authorization); NULL until
// the chain binds it, which it does the first time it works on a request stored before.
void to_version_2(sqlite::Database& db) {
  if (!has_column(db, "requests", "account")) db.exec("ALTER TABLE requests ADD COLUMN account TEXT");
  db.exec("CREATE INDEX IF NOT EXISTS requests_account ON requests(account)");
}

// The schema, version by version: migrations[i] takes a store from version i to i + 1. Version 1 is the
// schema stores had before they were marked, so adopting one of those only marks it.
using Migration = void (*)(sqlite::Database&);
// Version 3 (issue 9): search_keys, what the console finds requests by (search_keys.h).
void to_version_3(sqlite::Database& db) { detail::add_search_keys(db); }
const Migration kMigrations[] = {to_version_1, to_version_2, to_version_3};
static_assert(std::size(kMigrations) == Store::kSchemaVersion);

struct Identity {
  enum Kind { empty, dockhand, unmarked_dockhand } kind = empty;
  int version = 0;
};

std::string join_names(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

// What the file is; throws StoreFormatError when it is not a store this program can read.
Identity identify(sqlite::Database& db, const std::string& path) {
  std::int64_t application_id = 0, version = 0;
  std::vector<std::string> tables;
  try {
    auto q = db.prepare("PRAGMA application_id");
    if (q.step()) application_id = q.integer(0);
    auto v = db.prepare("PRAGMA user_version");
    if (v.step()) version = v.integer(0);
    auto t = db.prepare(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name");
    while (t.step()) tables.push_back(t.text(0));
  } catch (const sqlite::SqliteError& e) {
    throw StoreFormatError(path + " is not a Dockhand store: it cannot be read as an SQLite database (" + e.what() +
                           ")");
  }
  const std::string expected = "; give the store serve writes (the config's \"store\", e.g. --store dockhand.sqlite)";
  if (application_id == Store::kApplicationId) {
    if (version > Store::kSchemaVersion)
      throw StoreFormatError(path + " is a Dockhand store of schema version " + std::to_string(version) +
                             ", newer than this program knows (schema version " +
                             std::to_string(Store::kSchemaVersion) +
                             "): it was written by a newer Dockhand; use that version or a later one");
    return {Identity::dockhand, static_cast<int>(version)};
  }
  if (application_id != 0) {
    char hex[16];
    std::snprintf(hex, sizeof hex, "0x%08X", static_cast<unsigned>(application_id));
    throw StoreFormatError(path + " is not a Dockhand store: it is another program's SQLite database (application_id " +
                           hex + ")" + expected);
  }
  if (tables.empty()) return {Identity::empty, 0};
  bool all = std::all_of(std::begin(kStoreTables), std::end(kStoreTables), [&](const char* name) {
    return std::find(tables.begin(), tables.end(), name) != tables.end();
  });
  if (all) return {Identity::unmarked_dockhand, 0};
  throw StoreFormatError(path + " is not a Dockhand store: it is an SQLite database with the tables " +
                         join_names(tables) + expected);
}

bool has_content(const std::string& path) {
  std::error_code ec;
  return std::filesystem::is_regular_file(path, ec) && std::filesystem::file_size(path, ec) > 0;
}

}  // namespace

Store::Store(const std::string& path, const Clock& clock, StoreAccess access) : path_(path), clock_(clock) {
  if (access == StoreAccess::read_write) {
    open_for_writing();
    return;
  }
  db_ = std::make_unique<sqlite::Database>(
      path, access == StoreAccess::read_only ? sqlite::Access::read_only : sqlite::Access::read_once);
  if (identify(*db_, path).kind == Identity::empty)
    throw StoreFormatError(path + " is an empty SQLite file, not a Dockhand store yet (serve makes the store)");
  has_account_ = has_column(*db_, "requests", "account");
}

void Store::open_for_writing() {
  // Look before writing anything: another program's database must come out of this unchanged.
  if (has_content(path_)) {
    sqlite::Database look(path_, sqlite::Access::read_once);
    identify(look, path_);
  }
  db_ = std::make_unique<sqlite::Database>(path_, sqlite::Access::create);
  Transaction tx(*db_);
  auto id = identify(*db_, path_);  // again, under the write lock: another serve may have just made it
  int version = id.kind == Identity::dockhand ? id.version : 0;
  if (version == kSchemaVersion) return;
  for (int v = version; v < kSchemaVersion; ++v) kMigrations[v](*db_);
  db_->exec("PRAGMA application_id = " + std::to_string(kApplicationId));
  db_->exec("PRAGMA user_version = " + std::to_string(kSchemaVersion));
  tx.commit();
  if (id.kind != Identity::empty) migrated_from_ = version;
}

Store::~Store() {
  if (health_fd_ >= 0) ::close(health_fd_);
}

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

bool all_shipments_in(sqlite::Database& db, std::int64_t request_id, const char* state) {
  auto q = db.prepare("SELECT COUNT(*) FROM shipments WHERE request = ?1 AND state != ?2");
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

std::optional<RequestRecord> Store::request(std::int64_t id) {
  std::lock_guard lock(mutex_);
  auto q = db_->prepare("SELECT " + request_columns(has_account_) +
                        " FROM requests r JOIN messages m ON m.id = r.message WHERE r.id = ?1");
  q.bind(1, id);
  if (!q.step()) return std::nullopt;
  return read_request(q);
}

std::vector<RequestRecord> Store::requests(std::size_t limit) {
  std::lock_guard lock(mutex_);
  auto q = db_->prepare("SELECT " + request_columns(has_account_) +
                        " FROM requests r JOIN messages m ON m.id = r.message ORDER BY r.id" +
                        (limit ? " LIMIT " + std::to_string(limit) : std::string()));
  std::vector<RequestRecord> out;
  while (q.step()) out.push_back(read_request(q));
  return out;
}

std::vector<std::int64_t> Store::due(std::int64_t now_ms, std::size_t limit) {
  std::lock_guard lock(mutex_);
  auto q = db_->prepare(
      "SELECT id FROM requests WHERE next_attempt_ms IS NOT NULL AND next_attempt_ms <= ?1 "
      "ORDER BY state IN ('SUBMITTED', 'CONFIRMED'), next_attempt_ms, id LIMIT ?2");
  q.bind(1, now_ms).bind(2, static_cast<std::int64_t>(limit));
  std::vector<std::int64_t> out;
  while (q.step()) out.push_back(q.integer(0));
  return out;
}

std::optional<std::int64_t> Store::next_due_ms() {
  std::lock_guard lock(mutex_);
  auto q = db_->prepare("SELECT MIN(next_attempt_ms) FROM requests WHERE next_attempt_ms IS NOT NULL");
  if (!q.step() || q.is_null(0)) return std::nullopt;
  return q.integer(0);
}

std::vector<std::int64_t> Store::in_state(State state) {
  std::lock_guard lock(mutex_);
  auto q = db_->prepare("SELECT id FROM requests WHERE state = ?1 ORDER BY id");
  q.bind(1, to_string(state));
  std::vector<std::int64_t> out;
  while (q.step()) out.push_back(q.integer(0));
  return out;
}

std::vector<ShipmentRecord> Store::shipments(std::int64_t request_id) {
  std::lock_guard lock(mutex_);
  auto q = db_->prepare(
      "SELECT id, request, vendor_shipment_identifier, state, planned, transaction_id, submitted_ms, errors, "
      "details FROM shipments WHERE request = ?1 ORDER BY id");
  q.bind(1, request_id);
  std::vector<ShipmentRecord> out;
  while (q.step()) {
    ShipmentRecord s;
    s.id = q.integer(0);
    s.request_id = q.integer(1);
    s.vendor_shipment_identifier = q.text(2);
    s.state = q.text(3);
    s.planned = nlohmann::json::parse(q.text(4)).get<pretender::PlannedShipment>();
    s.transaction_id = q.optional_text(5);
    if (!q.is_null(6)) s.submitted_ms = q.integer(6);
    s.errors = parse_or_null(q.optional_text(7));
    s.details = parse_or_null(q.optional_text(8));
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<Event> Store::events(std::int64_t request_id) {
  std::lock_guard lock(mutex_);
  auto q = db_->prepare("SELECT id, request, time, actor, step, detail FROM events WHERE request = ?1 ORDER BY id");
  q.bind(1, request_id);
  std::vector<Event> out;
  while (q.step()) out.push_back({q.integer(0), q.integer(1), q.text(2), q.text(3), q.text(4), q.text(5)});
  return out;
}

std::vector<Event> Store::events_after(std::int64_t after_event_id, std::size_t limit) {
  std::lock_guard lock(mutex_);
  auto q = db_->prepare(
      "SELECT id, request, time, actor, step, detail FROM events WHERE id > ?1 ORDER BY id LIMIT ?2");
  q.bind(1, after_event_id);
  q.bind(2, static_cast<std::int64_t>(limit));
  std::vector<Event> out;
  while (q.step()) out.push_back({q.integer(0), q.integer(1), q.text(2), q.text(3), q.text(4), q.text(5)});
  return out;
}

std::size_t Store::count_requests() {
  std::lock_guard lock(mutex_);
  auto q = db_->prepare("SELECT COUNT(*) FROM requests");
  q.step();
  return static_cast<std::size_t>(q.integer(0));
}

}  // namespace dockhand::chain
