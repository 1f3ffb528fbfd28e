// The store's queries, and the helpers that read a request's row.
#include "store.h"
#include "store_internal.h"

#include <algorithm>
#include <cctype>
#include <cstdio>

namespace dockhand::chain {

namespace detail {

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

// The header block of an RFC 5322 message, unfolded into (lower-case name, value) pairs.
static std::vector<std::pair<std::string, std::string>> headers_of(const std::string& raw) {
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

}  // namespace detail

using namespace detail;


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
      "ORDER BY state IN ('SUBMITTED', 'CONFIRMED', 'DEPARTED'), next_attempt_ms, id LIMIT ?2");
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
