// The reader's insides, shared by its files: reader.cpp (the walk over the lines, the POs, reply history),
// reader_values.cpp (a labelled value applied to its POs or to the request), reader_lines.cpp (labels and
// POs in one line of running text), reader_tables.cpp (tables with a PO column, or one column per PO).
// Not a public header: only the reader's own files include it.
#pragma once

#include "labels.h"
#include "reader.h"
#include "text_scan.h"

#include <nlohmann/json.hpp>

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace dockhand::intake::reader_detail {

// One labelled value found in a line.
struct FieldValue {
  Field field = Field::None;
  std::string value;
  bool explicit_ = false;  // "Label: value" (or a table cell): an unreadable value is worth a warning
  bool kg = false;         // the label or header says the weight is in kg
  std::string place;
};

// A value applied to POs that were not named yet (before any PO, or "for all of them").
struct Pending {
  FieldValue fv;
  bool each = false;
};

class Reader {
 public:
  Reader(const MailDocument& doc, bool include_history) : doc_(doc), history_(include_history) {}

  ReadResult run();

 private:
  const MailDocument& doc_;
  bool history_;
  ReadResult out_;
  std::size_t candidates_ = 0;
  std::map<std::string, std::size_t> index_;  // po -> position in purchase_orders
  std::vector<std::size_t> group_;            // POs the following lines talk about
  std::vector<Pending> pending_;               // values for every PO (stated before any PO, or "for all")
  std::set<std::string> accounted_;            // tokens that are not POs (references, vendor codes...)

  RoutingRequest& rr() { return out_.request; }

  bool skip(std::size_t i) const { return !history_ && doc_.lines[i].quoted; }

  void warn(std::string w);

  // Adds (or finds) a PO; returns its index, or npos for a flagged one.
  std::size_t add_po(const scan::PoToken& t, const std::string& place);

  std::vector<std::size_t> add_pos(const std::vector<scan::PoToken>& tokens, const std::string& place);

  // ---- values ------------------------------------------------------------------------------------------

  std::optional<std::string> date_value(const FieldValue& fv, std::size_t nth, std::size_t* count = nullptr);

  template <typename T>
  void set(std::optional<T>& slot, const T& value, PurchaseOrderRequest& po, const char* json_name,
           const std::string& what, const std::string& place) {
    if (!slot) {
      slot = value;
      po.sources[json_name] = place;
      return;
    }
    if (*slot != value) {
      nlohmann::json a = *slot, b = value;
      warn("PO " + po.po + ": " + what + " given twice (" + a.dump() + " at " + po.sources[json_name] + " and " +
           b.dump() + " at " + place + "); kept " + a.dump());
    }
  }

  // Applies one per-PO value to one PO.
  void apply(PurchaseOrderRequest& po, const FieldValue& fv);

  // A request-level value (vendor, ship from, ready date). Values in running text must look like codes.
  void apply_request(const FieldValue& fv);

  static std::string pos_text(const std::vector<std::size_t>& group, const RoutingRequest& r);

  // A per-PO value for the POs in `targets` ("each": the value holds for each one).
  void apply_to(const std::vector<std::size_t>& targets, const FieldValue& fv, bool each);

  void apply_pending();

  void check_windows();

  // PO-shaped tokens in what was read that no layout accounted for (neither a PO nor another reference).
  void find_loose_tokens();

  // ---- lines -------------------------------------------------------------------------------------------

  struct LineFields {
    std::vector<FieldValue> fields;
    std::vector<scan::PoToken> pos;
    bool po_label_open = false;  // "POs:" with the list on the next lines
    std::vector<bool> used;      // characters accounted for (labels, values, POs, dates)
  };

  static std::size_t number_before(std::string_view s, std::size_t label_begin);

  // How much of a value its field reads (from the value's start).
  std::size_t consumed(Field f, std::string_view value, bool explicit_) const;

  // Labels, their values and the POs in one line.
  LineFields scan_line(std::string_view text, const std::string& place, bool cells);

  // The POs a line names without a PO label: a list line, or a PO-shaped token heading the line.
  static std::vector<scan::PoToken> bare_pos(std::string_view text);

  // Reads one line (and the list lines a "POs:" label opens); returns how many extra lines it consumed.
  std::size_t read_line(std::size_t i);

  // ---- tables ------------------------------------------------------------------------------------------

  struct Column {
    Field field = Field::None;
    std::string header;
    bool kg = false;
  };

  // A label that says its weights are in kilograms ("Weight (kg)", "Gross KGS").
  static bool names_kilograms(const std::string& label);

  // The rows of the table whose header is line i: each line after it, until a blank or skipped line (rule
  // lines are stepped over), is offered to `row(line, text)`, which returns false when the line is not a row.
  // Returns the lines the table uses, its header included.
  template <class Row>
  std::size_t walk_rows(std::size_t i, Row&& row) {
    const auto& lines = doc_.lines;
    std::size_t j = i + 1;
    for (; j < lines.size(); ++j) {
      if (skip(j)) break;
      std::string_view text = scan::trim(lines[j].text);
      if (text.empty()) break;
      if (scan::is_rule_line(text)) continue;
      if (!row(j, text)) break;
    }
    return j - i;
  }

  // Cells of a row; an aligned-columns text table is cut where the header's columns start.
  static std::vector<std::string> row_cells(std::string_view row, const std::vector<std::size_t>& starts, std::size_t n);

  // A table whose header names a PO column and at least one other known column. Returns lines used (0: none).
  std::size_t try_table(std::size_t i);

  // A table with one column per PO: "PO | 2K4GH7QZ | 3L5HJ8RA", then "FC | ABE8 | ONT8", ...
  std::size_t try_transposed_table(std::size_t i);
};

}  // namespace dockhand::intake::reader_detail
