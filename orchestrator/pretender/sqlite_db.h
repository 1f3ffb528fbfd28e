// A small RAII wrapper over the SQLite C API, shared by pretender/ (order data) and chain/ (the store).
// Errors throw SqliteError carrying the file and the statement that failed.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace dockhand::sqlite {

class SqliteError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The SQLite result code (e.g. SQLITE_FULL) of the last SqliteError thrown on this thread (0 before any),
// and how many were thrown: lets a caller that only sees an exception unwind tell a full disk from others.
int last_error_code();
std::uint64_t error_count();

class Statement {
 public:
  Statement(sqlite3* db, std::string_view sql);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Statement(Statement&& other) noexcept;

  // Binds are 1-based like SQLite's; each returns *this so calls chain.
  Statement& bind(int index, std::string_view text);
  Statement& bind(int index, const std::string& text) { return bind(index, std::string_view(text)); }
  Statement& bind(int index, const char* text) { return bind(index, std::string_view(text)); }
  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, int value) { return bind(index, static_cast<std::int64_t>(value)); }
  Statement& bind(int index, double value);
  Statement& bind_blob(int index, std::string_view bytes);
  Statement& bind_null(int index);
  Statement& bind(int index, const std::optional<std::string>& text);
  Statement& bind(int index, std::optional<std::int64_t> value) { return value ? bind(index, *value) : bind_null(index); }

  bool step();  // true while a row is available
  void run();   // steps to completion
  void reset();

  std::string text(int column) const;
  std::optional<std::string> optional_text(int column) const;
  std::int64_t integer(int column) const;
  double real(int column) const;
  bool is_null(int column) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

// How a file is opened. The read-only ways open it with SQLITE_OPEN_READONLY: nothing can write to it.
enum class Access {
  create,      // read-write, created when missing; set to WAL
  read_write,  // read-write, must exist; set to WAL
  read_only,   // read-only, for a reader that stays (sees what writers commit; may add SQLite's -shm/-wal
               // side files beside a WAL file, as any reader does)
  read_once,   // read-only, for a one-shot command: when no writer has the file open (no -wal beside it)
               // it is opened immutable, so not even the side files appear; otherwise like read_only
};

class Database {
 public:
  // Opens (creating when asked) the file; sets WAL, busy_timeout and foreign keys.
  explicit Database(const std::string& path, bool create = true, int busy_timeout_ms = 10000);
  // A file that is missing, unreadable or a directory is an SqliteError saying which.
  Database(const std::string& path, Access access, int busy_timeout_ms = 10000);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  void exec(std::string_view sql);
  Statement prepare(std::string_view sql) { return Statement(db_, sql); }
  std::int64_t last_insert_id() const;
  int changes() const;
  const std::string& path() const { return path_; }
  sqlite3* handle() { return db_; }
  bool read_only() const { return read_only_; }

 private:
  sqlite3* db_ = nullptr;
  std::string path_;
  bool read_only_ = false;
};

// Why `path` cannot be opened for reading, in words ("no such file", "permission denied", "is a directory"),
// or "" when it can.
std::string unreadable_reason(const std::string& path);

// BEGIN IMMEDIATE ... COMMIT; rolls back when destroyed without commit() (an exception unwound it).
class Transaction {
 public:
  explicit Transaction(Database& db);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit();

 private:
  Database& db_;
  bool done_ = false;
};

}  // namespace dockhand::sqlite
