// Store: what the console browses (the requests list with keyset paging and search, counts, evidence).
// Reads only; the console runs them on a read-only Store of its own, so they never wait on the chain's lock.
#include "search_keys.h"
#include "store.h"

#include "orchestrator/pretender/sqlite_db.h"

#include <algorithm>
#include <cctype>

namespace dockhand::chain {

namespace detail {

namespace {
// Each trigger and its backfill select the same terms: NEW.x in the trigger, the row's x in the backfill.
const char* kSearchKeysSchema = R"sql(
CREATE TABLE IF NOT EXISTS search_keys (
  request INTEGER NOT NULL REFERENCES requests(id),
  kind    TEXT NOT NULL,  -- po | shipment | transaction | reference
  term    TEXT NOT NULL   -- upper case
);
CREATE INDEX IF NOT EXISTS search_keys_term ON search_keys(term);
CREATE INDEX IF NOT EXISTS search_keys_request ON search_keys(request);
CREATE INDEX IF NOT EXISTS requests_state_id ON requests(state, id);
CREATE TRIGGER IF NOT EXISTS search_keys_extracted AFTER UPDATE OF extracted ON requests BEGIN
  DELETE FROM search_keys WHERE request = NEW.id AND kind = 'po';
  INSERT INTO search_keys (request, kind, term)
    SELECT NEW.id, 'po', upper(json_extract(p.value, '$.po'))
    FROM json_each(CASE WHEN json_valid(NEW.extracted) THEN NEW.extracted ELSE '{}' END, '$.purchase_orders') p
    WHERE CASE WHEN p.type = 'object' THEN json_type(p.value, '$.po') = 'text' ELSE 0 END;
END;
CREATE TRIGGER IF NOT EXISTS search_keys_outputs AFTER UPDATE OF outputs ON requests
  WHEN json_valid(NEW.outputs) BEGIN
  INSERT INTO search_keys (request, kind, term)
    SELECT NEW.id, 'reference', upper(t.atom) FROM json_tree(NEW.outputs) t
    WHERE t.type = 'text' AND (t.atom LIKE 'BOL%' OR t.atom LIKE 'PT-%');
END;
CREATE TRIGGER IF NOT EXISTS search_keys_shipment AFTER INSERT ON shipments BEGIN
  INSERT INTO search_keys (request, kind, term) VALUES (NEW.request, 'shipment', upper(NEW.vendor_shipment_identifier));
END;
CREATE TRIGGER IF NOT EXISTS search_keys_shipment_gone AFTER DELETE ON shipments BEGIN
  DELETE FROM search_keys WHERE request = OLD.request AND kind IN ('shipment', 'transaction')
    AND term IN (upper(OLD.vendor_shipment_identifier), upper(coalesce(OLD.transaction_id, '')));
END;
CREATE TRIGGER IF NOT EXISTS search_keys_transaction AFTER UPDATE OF transaction_id ON shipments
  WHEN NEW.transaction_id IS NOT NULL BEGIN
  INSERT INTO search_keys (request, kind, term) VALUES (NEW.request, 'transaction', upper(NEW.transaction_id));
END;
CREATE TRIGGER IF NOT EXISTS search_keys_details AFTER UPDATE OF details ON shipments
  WHEN json_valid(NEW.details) BEGIN
  INSERT INTO search_keys (request, kind, term)
    SELECT NEW.request, 'reference', upper(t.atom) FROM json_tree(NEW.details) t
    WHERE t.type = 'text' AND t.key IN ('buyerReferenceNumber', 'shipmentReferenceNumber', 'billOfLadingNumber',
                                        'proNumber', 'amazonReferenceNumber');
END;
)sql";

const char* kSearchKeysBackfill = R"sql(
DELETE FROM search_keys;
INSERT INTO search_keys (request, kind, term)
  SELECT r.id, 'po', upper(json_extract(p.value, '$.po'))
  FROM requests r, json_each(CASE WHEN json_valid(r.extracted) THEN r.extracted ELSE '{}' END, '$.purchase_orders') p
  WHERE CASE WHEN p.type = 'object' THEN json_type(p.value, '$.po') = 'text' ELSE 0 END;
INSERT INTO search_keys (request, kind, term)
  SELECT r.id, 'reference', upper(t.atom) FROM requests r, json_tree(r.outputs) t
  WHERE json_valid(r.outputs) AND t.type = 'text' AND (t.atom LIKE 'BOL%' OR t.atom LIKE 'PT-%');
INSERT INTO search_keys (request, kind, term) SELECT request, 'shipment', upper(vendor_shipment_identifier) FROM shipments;
INSERT INTO search_keys (request, kind, term)
  SELECT request, 'transaction', upper(transaction_id) FROM shipments WHERE transaction_id IS NOT NULL;
INSERT INTO search_keys (request, kind, term)
  SELECT s.request, 'reference', upper(t.atom) FROM shipments s, json_tree(s.details) t
  WHERE json_valid(s.details) AND t.type = 'text' AND t.key IN ('buyerReferenceNumber', 'shipmentReferenceNumber',
                                                               'billOfLadingNumber', 'proNumber', 'amazonReferenceNumber');
)sql";
}  // namespace

void add_search_keys(sqlite::Database& db) {
  db.exec(kSearchKeysSchema);
  db.exec(kSearchKeysBackfill);
}

}  // namespace detail

namespace {

bool has_table(sqlite::Database& db, const char* name) {
  auto q = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1");
  q.bind(1, name);
  return q.step();
}

std::string upper(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::toupper(c); });
  return text;
}

}  // namespace

RequestPage Store::browse(const RequestFilter& filter) {
  std::lock_guard lock(mutex_);
  const bool has_account = has_account_;
  std::vector<std::string> values;
  std::string where = "1";
  auto param = [&values](std::string value) {
    values.push_back(std::move(value));
    return "?" + std::to_string(values.size());
  };
  if (!filter.states.empty()) {
    std::string list;
    for (auto s : filter.states) list += (list.empty() ? "" : ", ") + param(std::string(to_string(s)));
    where += " AND r.state IN (" + list + ")";
  }
  if (filter.brand) where += std::string(" AND ") + (has_account ? "coalesce(r.account, '')" : "''") + " = " + param(*filter.brand);
  std::string search = filter.search;
  search.erase(0, search.find_first_not_of(" \t#"));
  while (!search.empty() && std::isspace(static_cast<unsigned char>(search.back()))) search.pop_back();
  if (!search.empty()) {
    std::string match = "0";
    if (has_table(*db_, "search_keys")) {
      auto term = upper(search);
      auto low = param(term), high = param(term + "\xff");
      match = "r.id IN (SELECT request FROM search_keys WHERE term >= " + low + " AND term < " + high + ")";
    } else {
      // A store from before search_keys, read without migrating: the slow way, the extracted JSON's text.
      match = "r.extracted LIKE " + param("%" + search + "%");
    }
    if (search.size() <= 18 && std::all_of(search.begin(), search.end(), [](unsigned char c) { return std::isdigit(c); }))
      match += " OR r.id = " + param(search);
    where += " AND (" + match + ")";
  }
  auto bind_all = [&values](sqlite::Statement& q) {
    for (std::size_t i = 0; i < values.size(); ++i) q.bind(static_cast<int>(i + 1), values[i]);
  };

  RequestPage page;
  {
    auto q = db_->prepare("SELECT COUNT(*) FROM requests r WHERE " + where);
    bind_all(q);
    if (q.step()) page.total = q.integer(0);
  }
  std::string paged = where;
  if (filter.before) paged += " AND r.id < " + std::to_string(*filter.before);
  const std::size_t limit = std::max<std::size_t>(filter.limit, 1);
  auto q = db_->prepare("SELECT r.id FROM requests r WHERE " + paged + " ORDER BY r.id DESC LIMIT " +
                        std::to_string(limit + 1));
  bind_all(q);
  std::vector<std::int64_t> ids;
  while (q.step()) ids.push_back(q.integer(0));
  if (ids.size() > limit) {
    ids.resize(limit);
    page.next_before = ids.back();
  }
  for (auto id : ids)
    if (auto r = request(id)) page.items.push_back(std::move(*r));
  return page;
}

std::vector<EvidenceInfo> Store::evidence_of(std::int64_t request_id) {
  std::lock_guard lock(mutex_);
  auto q = db_->prepare(
      "SELECT id, time, name, content_type, length(bytes) FROM evidence WHERE request = ?1 ORDER BY id");
  q.bind(1, request_id);
  std::vector<EvidenceInfo> out;
  while (q.step()) out.push_back({q.integer(0), q.text(1), q.text(2), q.text(3), q.integer(4)});
  return out;
}

std::optional<std::pair<std::string, std::string>> Store::evidence_bytes(std::int64_t request_id,
                                                                         std::int64_t evidence_id) {
  std::lock_guard lock(mutex_);
  auto q = db_->prepare("SELECT content_type, bytes FROM evidence WHERE id = ?1 AND request = ?2");
  q.bind(1, evidence_id).bind(2, request_id);
  if (!q.step()) return std::nullopt;
  return std::make_pair(q.text(0), q.text(1));
}

std::vector<Event> Store::events(std::int64_t request_id, std::int64_t after_event_id) {
  std::lock_guard lock(mutex_);
  auto q = db_->prepare(
      "SELECT id, request, time, actor, step, detail FROM events WHERE request = ?1 AND id > ?2 ORDER BY id");
  q.bind(1, request_id).bind(2, after_event_id);
  std::vector<Event> out;
  while (q.step()) out.push_back({q.integer(0), q.integer(1), q.text(2), q.text(3), q.text(4), q.text(5)});
  return out;
}

}  // namespace dockhand::chain
