// The warehouse order data: a documented SQLite schema (docs/configuration.md) and its CSV import.
#include "pretender.h"
#include "sqlite_db.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

namespace dockhand::pretender {

const char* OrderDatabase::schema_sql() {
  return R"sql(
CREATE TABLE IF NOT EXISTS orders (
  po                TEXT PRIMARY KEY,
  vendor_code       TEXT NOT NULL,
  ship_from         TEXT NOT NULL,
  destination_fc    TEXT NOT NULL,
  ship_window_start TEXT NOT NULL,
  ship_window_end   TEXT NOT NULL,
  status            TEXT NOT NULL DEFAULT 'Open'
);
CREATE TABLE IF NOT EXISTS order_lines (
  po  TEXT NOT NULL REFERENCES orders(po) ON DELETE CASCADE,
  sku TEXT NOT NULL,
  qty INTEGER NOT NULL CHECK (qty > 0),
  PRIMARY KEY (po, sku)
);
CREATE TABLE IF NOT EXISTS cartons (
  po        TEXT NOT NULL REFERENCES orders(po) ON DELETE CASCADE,
  carton_id TEXT PRIMARY KEY,
  weight_lb REAL NOT NULL,
  length_in REAL NOT NULL,
  width_in  REAL NOT NULL,
  height_in REAL NOT NULL,
  pallet_id TEXT
);
CREATE INDEX IF NOT EXISTS cartons_po ON cartons(po);
)sql";
}

OrderDatabase::OrderDatabase(const std::string& path, bool create)
    : OrderDatabase(path, create ? sqlite::Access::create : sqlite::Access::read_only) {}

OrderDatabase::OrderDatabase(const std::string& path, sqlite::Access access) {
  if (access != sqlite::Access::create) {
    auto reason = sqlite::unreadable_reason(path);
    if (reason == "no such file")
      throw PretenderError("warehouse order data " + path + " does not exist (create it with 'orders import')");
    if (!reason.empty()) throw PretenderError("cannot read the warehouse order data " + path + ": " + reason);
  }
  db_ = std::make_unique<sqlite::Database>(path, access);
  if (access == sqlite::Access::create) {
    db_->exec(schema_sql());
    return;
  }
  try {
    auto q = db_->prepare("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'orders'");
    if (q.step() && q.integer(0) == 1) return;
  } catch (const sqlite::SqliteError& e) {
    throw PretenderError(path + " is not warehouse order data: " + e.what());
  }
  throw PretenderError(path + " is not warehouse order data (it has no orders table; 'dockhand-orchestrator orders " +
                       "schema' shows what it holds, 'orders import' fills it)");
}

OrderDatabase::~OrderDatabase() = default;
OrderDatabase::OrderDatabase(OrderDatabase&&) noexcept = default;

std::optional<Order> OrderDatabase::find(const std::string& po) const {
  auto q = db_->prepare(
      "SELECT po, vendor_code, ship_from, destination_fc, ship_window_start, ship_window_end, status "
      "FROM orders WHERE po = ?1");
  q.bind(1, po);
  if (!q.step()) return std::nullopt;
  Order order{q.text(0), q.text(1), q.text(2), q.text(3), q.text(4), q.text(5), q.text(6), {}, {}};
  auto lines = db_->prepare("SELECT sku, qty FROM order_lines WHERE po = ?1 ORDER BY rowid");
  lines.bind(1, po);
  while (lines.step()) order.lines.push_back({lines.text(0), static_cast<int>(lines.integer(1))});
  auto cartons = db_->prepare(
      "SELECT carton_id, weight_lb, length_in, width_in, height_in, pallet_id FROM cartons WHERE po = ?1 "
      "ORDER BY carton_id");
  cartons.bind(1, po);
  while (cartons.step())
    order.cartons.push_back({cartons.text(0), cartons.real(1), cartons.real(2), cartons.real(3), cartons.real(4),
                             cartons.optional_text(5)});
  return order;
}

void OrderDatabase::upsert(const Order& order) {
  sqlite::Transaction tx(*db_);
  db_->prepare("DELETE FROM orders WHERE po = ?1").bind(1, order.po).run();
  db_->prepare(
         "INSERT INTO orders (po, vendor_code, ship_from, destination_fc, ship_window_start, ship_window_end, "
         "status) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")
      .bind(1, order.po)
      .bind(2, order.vendor_code)
      .bind(3, order.ship_from)
      .bind(4, order.destination_fc)
      .bind(5, order.ship_window_start)
      .bind(6, order.ship_window_end)
      .bind(7, order.status)
      .run();
  for (const auto& line : order.lines)
    db_->prepare("INSERT INTO order_lines (po, sku, qty) VALUES (?1, ?2, ?3)")
        .bind(1, order.po)
        .bind(2, line.sku)
        .bind(3, line.qty)
        .run();
  for (const auto& c : order.cartons)
    db_->prepare(
           "INSERT INTO cartons (po, carton_id, weight_lb, length_in, width_in, height_in, pallet_id) "
           "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")
        .bind(1, order.po)
        .bind(2, c.carton_id)
        .bind(3, c.weight_lb)
        .bind(4, c.length_in)
        .bind(5, c.width_in)
        .bind(6, c.height_in)
        .bind(7, c.pallet_id)
        .run();
  tx.commit();
}

namespace {

// RFC 4180 rows: quoted fields may hold commas, quotes ("") and line breaks.
std::vector<std::vector<std::string>> parse_csv(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string field;
  bool quoted = false, any = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
      continue;
    }
    if (c == '"') {
      quoted = true;
      any = true;
    } else if (c == ',') {
      row.push_back(std::move(field));
      field.clear();
      any = true;
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      if (any || !field.empty()) row.push_back(std::move(field));
      if (!row.empty()) rows.push_back(std::move(row));
      row.clear();
      field.clear();
      any = false;
    } else {
      field += c;
      any = true;
    }
  }
  if (quoted) throw PretenderError("unterminated quoted field");
  if (any || !field.empty()) row.push_back(std::move(field));
  if (!row.empty()) rows.push_back(std::move(row));
  return rows;
}

std::string trim(std::string s) {
  auto notspace = [](unsigned char c) { return !std::isspace(c); };
  s.erase(s.begin(), std::find_if(s.begin(), s.end(), notspace));
  s.erase(std::find_if(s.rbegin(), s.rend(), notspace).base(), s.end());
  return s;
}

std::string upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

bool iso_date(const std::string& s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  for (int i : {0, 1, 2, 3, 5, 6, 8, 9})
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
  int month = std::stoi(s.substr(5, 2)), day = std::stoi(s.substr(8, 2)), year = std::stoi(s.substr(0, 4));
  static const int days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12 || day < 1 || day > days[month - 1]) return false;
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return !(month == 2 && day == 29 && !leap);
}

double number(const std::string& s, const std::string& where) {
  double value = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size() || value < 0)
    throw PretenderError(where + ": '" + s + "' is not a non-negative number");
  return value;
}

}  // namespace

std::size_t OrderDatabase::import_csv(const std::string& csv_path) {
  std::ifstream in(csv_path, std::ios::binary);
  if (!in) throw PretenderError("cannot read " + csv_path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::vector<std::vector<std::string>> rows;
  try {
    rows = parse_csv(buffer.str());
  } catch (const PretenderError& e) {
    throw PretenderError(csv_path + ": " + e.what());
  }
  if (rows.empty()) throw PretenderError(csv_path + ": empty file (expected a header row)");

  std::map<std::string, std::size_t> col;
  for (std::size_t i = 0; i < rows[0].size(); ++i) {
    auto name = trim(rows[0][i]);
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (i == 0 && name.rfind("\xEF\xBB\xBF", 0) == 0) name = name.substr(3);  // UTF-8 BOM from spreadsheets
    col[name] = i;
  }
  auto has = [&](std::initializer_list<const char*> names) {
    return std::all_of(names.begin(), names.end(), [&](const char* n) { return col.count(n) > 0; });
  };
  enum class Kind { orders, lines, cartons } kind;
  if (has({"po", "vendor_code", "ship_from", "destination_fc", "ship_window_start", "ship_window_end"}))
    kind = Kind::orders;
  else if (has({"po", "carton_id", "weight_lb", "length_in", "width_in", "height_in"}))
    kind = Kind::cartons;
  else if (has({"po", "sku", "qty"}))
    kind = Kind::lines;
  else
    throw PretenderError(csv_path +
                         ": the header row matches no table; expected the columns of orders (po, vendor_code, "
                         "ship_from, destination_fc, ship_window_start, ship_window_end[, status]), order_lines "
                         "(po, sku, qty) or cartons (po, carton_id, weight_lb, length_in, width_in, height_in"
                         "[, pallet_id])");

  sqlite::Transaction tx(*db_);
  std::size_t imported = 0;
  for (std::size_t r = 1; r < rows.size(); ++r) {
    const auto& row = rows[r];
    std::string where_row = csv_path + ":" + std::to_string(r + 1);
    auto get = [&](const char* name, bool required = true) -> std::string {
      auto it = col.find(name);
      std::string v = (it != col.end() && it->second < row.size()) ? trim(row[it->second]) : "";
      if (required && v.empty()) throw PretenderError(where_row + ": column " + name + " is empty");
      return v;
    };
    if (std::all_of(row.begin(), row.end(), [](const std::string& f) { return trim(f).empty(); })) continue;
    std::string po = upper(get("po"));
    try {
      if (kind == Kind::orders) {
        auto start = get("ship_window_start"), end = get("ship_window_end");
        for (const auto& [name, d] : {std::pair{"ship_window_start", start}, std::pair{"ship_window_end", end}})
          if (!iso_date(d)) throw PretenderError(std::string("column ") + name + ": '" + d + "' is not a date YYYY-MM-DD");
        if (end < start) throw PretenderError("ship_window_end " + end + " is before ship_window_start " + start);
        std::string status = get("status", false);
        db_->prepare(
               "INSERT INTO orders (po, vendor_code, ship_from, destination_fc, ship_window_start, "
               "ship_window_end, status) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT(po) DO UPDATE SET "
               "vendor_code=excluded.vendor_code, ship_from=excluded.ship_from, "
               "destination_fc=excluded.destination_fc, ship_window_start=excluded.ship_window_start, "
               "ship_window_end=excluded.ship_window_end, status=excluded.status")
            .bind(1, po)
            .bind(2, upper(get("vendor_code")))
            .bind(3, upper(get("ship_from")))
            .bind(4, upper(get("destination_fc")))
            .bind(5, start)
            .bind(6, end)
            .bind(7, status.empty() ? std::string("Open") : status)
            .run();
      } else if (kind == Kind::lines) {
        double qty = number(get("qty"), "column qty");
        if (qty < 1 || qty != static_cast<int>(qty)) throw PretenderError("column qty: must be a whole number > 0");
        db_->prepare("INSERT OR REPLACE INTO order_lines (po, sku, qty) VALUES (?1, ?2, ?3)")
            .bind(1, po)
            .bind(2, get("sku"))
            .bind(3, static_cast<int>(qty))
            .run();
      } else {
        auto pallet = get("pallet_id", false);
        db_->prepare(
               "INSERT INTO cartons (po, carton_id, weight_lb, length_in, width_in, height_in, pallet_id) "
               "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT(carton_id) DO UPDATE SET po=excluded.po, "
               "weight_lb=excluded.weight_lb, length_in=excluded.length_in, width_in=excluded.width_in, "
               "height_in=excluded.height_in, pallet_id=excluded.pallet_id")
            .bind(1, po)
            .bind(2, get("carton_id"))
            .bind(3, number(get("weight_lb"), "column weight_lb"))
            .bind(4, number(get("length_in"), "column length_in"))
            .bind(5, number(get("width_in"), "column width_in"))
            .bind(6, number(get("height_in"), "column height_in"))
            .bind(7, pallet.empty() ? std::optional<std::string>() : std::optional<std::string>(pallet))
            .run();
      }
    } catch (const sqlite::SqliteError& e) {
      std::string what = e.what();
      if (what.find("FOREIGN KEY") != std::string::npos)
        throw PretenderError(where_row + ": PO " + po + " is not in the orders table (import the orders CSV first)");
      throw PretenderError(where_row + ": " + what);
    } catch (const PretenderError& e) {
      std::string what = e.what();
      if (what.rfind(csv_path, 0) == 0) throw;
      throw PretenderError(where_row + ": " + what);
    }
    ++imported;
  }
  tx.commit();
  return imported;
}

}  // namespace dockhand::pretender
