// The store's file: opening it (refusing another program's database), its schema and migrations, its size
// cap and its health (disk full).
#include "store.h"
#include "store_internal.h"
#include "search_keys.h"

#include <spdlog/spdlog.h>

#include <fcntl.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iterator>

namespace dockhand::chain {

using sqlite::Transaction;
using namespace detail;

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

}  // namespace

void Store::note_write_locked(bool failed) {
  // Opened at the first write, failed or not: a store that is full from its very first write (a low
  // store_max_bytes, a disk filled while serve was down) must still say so.
  if (health_fd_ < 0 && !path_.empty() && path_ != ":memory:") {
    // Created, with its bytes reserved, while there is room: on a full disk it is overwritten in place.
    health_fd_ = ::open((path_ + ".health").c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (health_fd_ >= 0) {
      ::posix_fallocate(health_fd_, 0, kHealthFileBytes);
      health_.since = iso_ms(std::chrono::system_clock::now());
      health_.pid = static_cast<long>(::getpid());
      if (!failed) set_health_locked(health_);
    }
  }
  if (failed) {
    if (health_.state == "disk_full") return;
    set_health_locked({"disk_full", std::string(sqlite3_errmsg(db_->handle())) + " (" + path_ + ")",
                       iso_ms(std::chrono::system_clock::now()), static_cast<long>(::getpid())});
    return;
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
// Version 3 (issue 9): alerts remembered per item and channel, so a restart never sends one twice; the
// cursor is the last event looked at for requests entering NEEDS_ATTENTION or REJECTED.
void to_version_3(sqlite::Database& db) {
  db.exec(R"sql(
CREATE TABLE IF NOT EXISTS alerts (
  item            TEXT NOT NULL,
  channel         TEXT NOT NULL,
  content         TEXT NOT NULL,
  created_at      TEXT NOT NULL,
  sent_at         TEXT,
  attempts        INTEGER NOT NULL DEFAULT 0,
  last_error      TEXT NOT NULL DEFAULT '',
  next_attempt_ms INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (item, channel)
);
CREATE INDEX IF NOT EXISTS alerts_due ON alerts(channel, next_attempt_ms) WHERE sent_at IS NULL;
CREATE TABLE IF NOT EXISTS alert_cursor (
  id         INTEGER PRIMARY KEY CHECK (id = 1),
  last_event INTEGER NOT NULL
);
)sql");
}

// Version 4 (issue 9): search_keys, what the console finds requests by (search_keys.h).
void to_version_4(sqlite::Database& db) { detail::add_search_keys(db); }
// Version 5 (issue 23): notices. notice_effects: what each cancellation, change or chargeback email did to
// the requests it names (chargebacks counted from it); cancellations: the Cancel transaction per shipment.
// A notice's POs become search keys too ('notice_po'), so the console finds the emails about a PO.
void to_version_5(sqlite::Database& db) {
  db.exec(R"sql(
CREATE TABLE IF NOT EXISTS notice_effects (
  id         INTEGER PRIMARY KEY,
  notice     INTEGER NOT NULL REFERENCES requests(id),
  kind       TEXT NOT NULL,
  po         TEXT NOT NULL DEFAULT '',
  request    INTEGER REFERENCES requests(id),
  shipment   TEXT NOT NULL DEFAULT '',
  reason     TEXT NOT NULL DEFAULT '',
  brand      TEXT NOT NULL DEFAULT '',
  action     TEXT NOT NULL,
  detail     TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS notice_effects_notice ON notice_effects(notice);
CREATE INDEX IF NOT EXISTS notice_effects_request ON notice_effects(request);
CREATE TABLE IF NOT EXISTS cancellations (
  shipment       INTEGER PRIMARY KEY REFERENCES shipments(id),
  request        INTEGER NOT NULL REFERENCES requests(id),
  notice         INTEGER NOT NULL REFERENCES requests(id),
  state          TEXT NOT NULL,
  transaction_id TEXT,
  sent_ms        INTEGER,
  errors         TEXT
);
CREATE INDEX IF NOT EXISTS cancellations_request ON cancellations(request);
CREATE TRIGGER IF NOT EXISTS search_keys_notice AFTER UPDATE OF extracted ON requests BEGIN
  DELETE FROM search_keys WHERE request = NEW.id AND kind = 'notice_po';
  INSERT INTO search_keys (request, kind, term)
    SELECT NEW.id, 'notice_po', upper(p.value)
    FROM json_each(CASE WHEN json_valid(NEW.extracted) THEN NEW.extracted ELSE '{}' END, '$.notice.pos') p
    WHERE p.type = 'text';
END;
)sql");
}
// Version 6 (issue 23): what happened to each confirmed shipment after confirmation: Amazon's status, its
// labels, the departure (BOL) and the ASN (store_followup.cpp).
void to_version_6(sqlite::Database& db) {
  db.exec(R"sql(
CREATE TABLE IF NOT EXISTS shipment_followup (
  shipment           INTEGER PRIMARY KEY REFERENCES shipments(id),
  amazon_status      TEXT NOT NULL DEFAULT '',
  labels             INTEGER NOT NULL DEFAULT -1,
  departed_at        TEXT NOT NULL DEFAULT '',
  departed_by        TEXT NOT NULL DEFAULT '',
  bol                TEXT NOT NULL DEFAULT '',
  asn_state          TEXT NOT NULL DEFAULT '',
  asn_transaction_id TEXT,
  asn_sent_ms        INTEGER,
  asn_errors         TEXT
);
)sql");
}
const Migration kMigrations[] = {to_version_1, to_version_2, to_version_3, to_version_4, to_version_5,
                                 to_version_6};
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
  {
    auto t = db_->prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'shipment_followup'");
    has_followup_ = t.step();
  }
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

}  // namespace dockhand::chain
