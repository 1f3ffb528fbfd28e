// chain/'s own header: what the store's source files share (time stamps, reading a request row, the scope
// every write holds). Not a public header: only store*.cpp include it.
#pragma once

#include "store.h"

#include "orchestrator/pretender/sqlite_db.h"

#include <chrono>
#include <exception>
#include <optional>
#include <string>

namespace dockhand::chain {
namespace detail {

std::string iso_ms(std::chrono::system_clock::time_point t);  // ISO-8601 UTC with milliseconds
nlohmann::json parse_or_null(const std::optional<std::string>& text);
// The columns read_request reads, from `requests r JOIN messages m`.
std::string request_columns(bool has_account);
RequestRecord read_request(sqlite::Statement& q);
// The Message-ID header of a raw RFC 5322 message (nullopt: none).
std::optional<std::string> message_id_of(const std::string& raw);

}  // namespace detail

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

}  // namespace dockhand::chain
