// Tables: a header row with a PO column and another known column (text, HTML, CSV, XLSX, PDF alike), or
// one column per PO.
#include "reader_internal.h"

namespace dockhand::intake::reader_detail {

bool Reader::names_kilograms(const std::string& label) {
  std::string k = normalize_label(label);
  return scan::contains_word(k, "kg") || scan::contains_word(k, "kgs") || scan::contains_word(k, "kilograms");
}

std::vector<std::string> Reader::row_cells(std::string_view row, const std::vector<std::size_t>& starts, std::size_t n) {
  auto cells = scan::split_cells(row);
  if (cells.size() == n || starts.empty() || row.find('\t') != std::string_view::npos ||
      row.find('|') != std::string_view::npos)
    return cells;
  std::vector<std::string> by_pos;
  for (std::size_t c = 0; c < starts.size(); ++c) {
    std::size_t b = std::min(starts[c], row.size());
    // a value may start a little before its header: back up to the space that begins it
    while (b > 0 && b < row.size() && row[b - 1] != ' ') --b;
    std::size_t e = c + 1 < starts.size() ? std::min(starts[c + 1], row.size()) : row.size();
    while (e > b && e < row.size() && row[e - 1] != ' ') --e;
    by_pos.emplace_back(scan::trim(row.substr(b, e > b ? e - b : 0)));
  }
  return by_pos;
}

std::size_t Reader::try_table(std::size_t i) {
  const auto& lines = doc_.lines;
  std::string_view head = scan::trim(lines[i].text);
  auto header = scan::split_cells(head);
  if (header.size() < 2) return 0;
  std::vector<Column> cols;
  bool po_col = false;
  std::size_t known = 0;
  for (const auto& h : header) {
    // A header cell names a column; "PO: 2K4GH7QZ" or "FC ABE8" are fields with their values.
    for (char ch : h)
      if (scan::is_digit(ch) && !(h.size() > 2 && (scan::lower(h).find("lb") != std::string::npos))) return 0;
    if (h.find(':') != std::string::npos && h.find(':') + 1 < h.size()) return 0;
    Column c;
    c.header = h;
    c.field = h.empty() ? Field::None : match_label(h);
    if (c.field == Field::Po) {
      if (po_col) c.field = Field::None;  // a second PO-ish column (e.g. "PO type") is not the PO
      po_col = true;
    }
    c.kg = names_kilograms(h);
    known += c.field != Field::None;
    cols.push_back(c);
  }
  if (!po_col || known < 2) return 0;
  std::vector<std::size_t> starts;
  if (head.find('\t') == std::string_view::npos && head.find('|') == std::string_view::npos) {
    std::size_t pos = 0;
    for (const auto& h : header) {
      pos = head.find(h, pos);
      starts.push_back(pos);
      pos += h.size();
    }
  }
  group_.clear();
  return walk_rows(i, [&](std::size_t j, std::string_view row) {
    auto cells = row_cells(row, starts, cols.size());
    if (cells.size() < 2) return false;
    std::string place = lines[j].place();
    std::vector<std::size_t> targets;
    bool po_cell = false;
    for (std::size_t c = 0; c < cols.size() && c < cells.size(); ++c) {
      if (cols[c].field != Field::Po) continue;
      auto tokens = scan::split_po_list(cells[c]);
      if (!tokens.empty()) {
        po_cell = true;
        targets = add_pos(tokens, place + ", column '" + cols[c].header + "'");
      }
    }
    if (!po_cell) {
      std::string first = scan::lower(cells[0]);
      return first.rfind("total", 0) == 0 || first.empty();  // a totals row, or a wrapped cell: go on
    }
    for (std::size_t c = 0; c < cols.size() && c < cells.size(); ++c) {
      const Column& col = cols[c];
      if (col.field == Field::None || col.field == Field::Po || col.field == Field::OtherReference || cells[c].empty())
        continue;
      FieldValue fv{col.field, cells[c], true, col.kg, place + ", column '" + col.header + "'"};
      out_.fields_seen.push_back(std::string(field_name(fv.field)) + " (" + fv.place + ")");
      if (is_request_level(col.field)) apply_request(fv);
      else apply_to(targets, fv, true);
    }
    for (std::size_t c = 0; c < cols.size() && c < cells.size(); ++c)
      if (cols[c].field == Field::OtherReference)
        for (const auto& w : scan::words(cells[c])) accounted_.insert(scan::upper(w.text));
    return true;
  });
}

std::size_t Reader::try_transposed_table(std::size_t i) {
  const auto& lines = doc_.lines;
  auto first = scan::split_cells(scan::trim(lines[i].text));
  if (first.size() < 2 || match_label(first[0]) != Field::Po) return 0;
  std::vector<std::size_t> columns;  // PO index per value column, npos when flagged
  std::string place = lines[i].place();
  for (std::size_t c = 1; c < first.size(); ++c) {
    auto tokens = scan::split_po_list(first[c]);
    if (tokens.size() != 1) return 0;
    columns.push_back(c);
  }
  std::vector<std::size_t> po_of(first.size(), std::string::npos);
  for (std::size_t c = 1; c < first.size(); ++c)
    po_of[c] = add_po(scan::split_po_list(first[c])[0], place + ", column " + std::to_string(c + 1));
  group_.clear();
  return walk_rows(i, [&](std::size_t j, std::string_view row) {
    auto cells = scan::split_cells(row);
    Field f = cells.empty() ? Field::None : match_label(cells[0]);
    if (f == Field::None || f == Field::Po || cells.size() < 2) return false;
    bool kg = names_kilograms(cells[0]);
    for (std::size_t c = 1; c < cells.size() && c < po_of.size(); ++c) {
      if (cells[c].empty()) continue;
      FieldValue fv{f, cells[c], true, kg, lines[j].place() + ", column " + std::to_string(c + 1)};
      if (is_request_level(f)) apply_request(fv);
      else if (po_of[c] != std::string::npos) apply(rr().purchase_orders[po_of[c]], fv);
    }
    return true;
  });
}

}  // namespace dockhand::intake::reader_detail
