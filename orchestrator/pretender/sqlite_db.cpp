#include "sqlite_db.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <thread>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

namespace dockhand::sqlite {

namespace {
thread_local int last_code = 0;
thread_local std::uint64_t errors = 0;

[[noreturn]] void fail(sqlite3* db, std::string_view what) {
  last_code = db ? sqlite3_extended_errcode(db) : SQLITE_NOMEM;
  ++errors;
  throw SqliteError(std::string(what) + ": " + (db ? sqlite3_errmsg(db) : "out of memory") +
                    (db && sqlite3_db_filename(db, "main") ? std::string(" (") + sqlite3_db_filename(db, "main") + ")"
                                                          : std::string()));
}
}  // namespace

int last_error_code() { return last_code; }
std::uint64_t error_count() { return errors; }

Statement::Statement(sqlite3* db, std::string_view sql) : db_(db) {
  if (sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &stmt_, nullptr) != SQLITE_OK)
    fail(db, "preparing '" + std::string(sql.substr(0, 80)) + "'");
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement::Statement(Statement&& other) noexcept : db_(other.db_), stmt_(other.stmt_) { other.stmt_ = nullptr; }

Statement& Statement::bind(int index, std::string_view text) {
  if (sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT) != SQLITE_OK)
    fail(db_, "binding text");
  return *this;
}
Statement& Statement::bind(int index, std::int64_t value) {
  if (sqlite3_bind_int64(stmt_, index, value) != SQLITE_OK) fail(db_, "binding integer");
  return *this;
}
Statement& Statement::bind(int index, double value) {
  if (sqlite3_bind_double(stmt_, index, value) != SQLITE_OK) fail(db_, "binding real");
  return *this;
}
Statement& Statement::bind_blob(int index, std::string_view bytes) {
  if (sqlite3_bind_blob64(stmt_, index, bytes.data(), bytes.size(), SQLITE_TRANSIENT) != SQLITE_OK)
    fail(db_, "binding blob");
  return *this;
}
Statement& Statement::bind_null(int index) {
  if (sqlite3_bind_null(stmt_, index) != SQLITE_OK) fail(db_, "binding null");
  return *this;
}
Statement& Statement::bind(int index, const std::optional<std::string>& text) {
  return text ? bind(index, std::string_view(*text)) : bind_null(index);
}

bool Statement::step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  fail(db_, std::string("running '") + std::string(sqlite3_sql(stmt_)).substr(0, 80) + "'");
}
void Statement::run() {
  while (step()) {
  }
}
void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

std::string Statement::text(int column) const {
  auto* p = sqlite3_column_blob(stmt_, column);
  int n = sqlite3_column_bytes(stmt_, column);
  return p ? std::string(static_cast<const char*>(p), static_cast<std::size_t>(n)) : std::string();
}
std::optional<std::string> Statement::optional_text(int column) const {
  if (is_null(column)) return std::nullopt;
  return text(column);
}
std::int64_t Statement::integer(int column) const { return sqlite3_column_int64(stmt_, column); }
double Statement::real(int column) const { return sqlite3_column_double(stmt_, column); }
bool Statement::is_null(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }

namespace {
std::string lower_first(std::string text) {
  if (!text.empty()) text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  return text;
}
}  // namespace

std::string unreadable_reason(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return errno == ENOENT ? "no such file" : lower_first(std::strerror(errno));
  if (S_ISDIR(st.st_mode)) return "is a directory, not a file";
  if (::access(path.c_str(), R_OK) != 0) return lower_first(std::strerror(errno));  // "permission denied"
  return "";
}

namespace {
// A file URI for sqlite3_open_v2 (so mode=ro and immutable can be asked for); '?', '#' and '%' in the
// path must not be read as URI syntax.
std::string file_uri(const std::string& path, bool immutable) {
  std::string uri = "file:";
  for (char c : path) {
    if (c == '?' || c == '#' || c == '%') {
      char hex[4];
      std::snprintf(hex, sizeof hex, "%%%02X", static_cast<unsigned char>(c));
      uri += hex;
    } else {
      uri += c;
    }
  }
  return uri + "?mode=ro" + (immutable ? "&immutable=1" : "");
}
}  // namespace

Database::Database(const std::string& path, bool create, int busy_timeout_ms)
    : Database(path, create ? Access::create : Access::read_write, busy_timeout_ms) {}

Database::Database(const std::string& path, Access access, int busy_timeout_ms)
    : path_(path), read_only_(access == Access::read_only || access == Access::read_once) {
  std::error_code ec;
  if (access != Access::create || std::filesystem::exists(path, ec)) {
    auto reason = unreadable_reason(path);
    if (!reason.empty()) throw SqliteError("cannot open " + path + ": " + reason);
  }
  int flags = SQLITE_OPEN_FULLMUTEX;
  std::string name = path;
  if (read_only_) {
    // Without a -wal file no writer has the database open: reading it as immutable takes no locks and
    // leaves no -shm/-wal behind. A writer starting meanwhile writes to its own -wal, not to this file.
    bool at_rest = !std::filesystem::exists(path + "-wal", ec);
    flags |= SQLITE_OPEN_READONLY | SQLITE_OPEN_URI;
    name = file_uri(path, access == Access::read_once && at_rest);
  } else {
    flags |= SQLITE_OPEN_READWRITE | (access == Access::create ? SQLITE_OPEN_CREATE : 0);
  }
  if (sqlite3_open_v2(name.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
    std::string message = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw SqliteError("opening " + path + ": " + message);
  }
  sqlite3_busy_timeout(db_, busy_timeout_ms);
  if (!read_only_) {
    // Two connections switching a new file to WAL at once: SQLite answers BUSY at once, without the busy
    // handler (which could deadlock there), so try again within the busy timeout.
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(busy_timeout_ms);
    for (;;) {
      try {
        exec("PRAGMA journal_mode=WAL");
        break;
      } catch (const SqliteError&) {
        if ((last_code & 0xff) != SQLITE_BUSY || std::chrono::steady_clock::now() >= until) throw;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }
    exec("PRAGMA synchronous=FULL");
  }
  exec("PRAGMA foreign_keys=ON");
}

Database::~Database() { sqlite3_close(db_); }

void Database::exec(std::string_view sql) {
  char* error = nullptr;
  std::string statement(sql);
  if (sqlite3_exec(db_, statement.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
    std::string message = error ? error : "unknown error";
    sqlite3_free(error);
    last_code = sqlite3_extended_errcode(db_);
    ++errors;
    throw SqliteError("running '" + statement.substr(0, 80) + "' on " + path_ + ": " + message);
  }
}

std::int64_t Database::last_insert_id() const { return sqlite3_last_insert_rowid(db_); }
int Database::changes() const { return sqlite3_changes(db_); }

Transaction::Transaction(Database& db) : db_(db) { db_.exec("BEGIN IMMEDIATE"); }
Transaction::~Transaction() {
  if (!done_) {
    try {
      db_.exec("ROLLBACK");
    } catch (...) {
    }
  }
}
void Transaction::commit() {
  db_.exec("COMMIT");
  done_ = true;
}

}  // namespace dockhand::sqlite
