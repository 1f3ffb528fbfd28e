#include "reader.h"

#include "labels.h"
#include "text_scan.h"

#include <algorithm>
#include <map>

namespace dockhand::intake {
namespace {

bool has_word(const std::string& lower_line, std::initializer_list<const char*> ws) {
  for (const char* w : ws)
    if (scan::contains_word(lower_line, w)) return true;
  return false;
}

// "- x", "* x", "• x", "1. x", "2) x", "a) x" -> "x"
std::string_view strip_bullet(std::string_view line) {
  line = scan::trim(line);
  if (line.size() > 2 && (line[0] == '-' || line[0] == '*' || line[0] == '+' || line[0] == '>') && line[1] == ' ')
    return scan::trim(line.substr(2));
  if (line.size() > 4 && line.compare(0, 3, "\xE2\x80\xA2") == 0) return scan::trim(line.substr(3));
  std::size_t d = 0;
  while (d < line.size() && d < 3 && scan::is_digit(line[d])) ++d;
  if (d > 0 && d + 1 < line.size() && (line[d] == '.' || line[d] == ')') && line[d + 1] == ' ')
    return scan::trim(line.substr(d + 2));
  return line;
}

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

  ReadResult run() {
    const auto& lines = doc_.lines;
    for (std::size_t i = 0; i < lines.size(); ++i) {
      if (!history_ && lines[i].quoted) continue;
      std::string_view line = scan::trim(lines[i].text);
      if (line.empty()) continue;
      if (scan::is_rule_line(line)) continue;
      if (std::size_t used = try_table(i)) {
        i += used - 1;
        continue;
      }
      if (std::size_t used = try_transposed_table(i)) {
        i += used - 1;
        continue;
      }
      i += read_line(i);
    }
    apply_pending();
    check_windows();
    find_loose_tokens();
    out_.po_candidates = candidates_;
    out_.read_history = history_;
    return std::move(out_);
  }

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

  void warn(std::string w) {
    for (const auto& e : rr().warnings)
      if (e == w) return;
    rr().warnings.push_back(std::move(w));
  }

  // Adds (or finds) a PO; returns its index, or npos for a flagged one.
  std::size_t add_po(const scan::PoToken& t, const std::string& place) {
    ++candidates_;
    out_.po_tokens.insert(t.po);
    if (!t.valid) {
      warn(t.problem + ": flagged, not used (" + place + ")");
      return std::string::npos;
    }
    auto it = index_.find(t.po);
    if (it != index_.end()) return it->second;
    PurchaseOrderRequest po;
    po.po = t.po;
    po.sources["po"] = place;
    rr().purchase_orders.push_back(po);
    index_[t.po] = rr().purchase_orders.size() - 1;
    return rr().purchase_orders.size() - 1;
  }

  std::vector<std::size_t> add_pos(const std::vector<scan::PoToken>& tokens, const std::string& place) {
    std::vector<std::size_t> out;
    for (const auto& t : tokens) {
      std::size_t k = add_po(t, place);
      if (k != std::string::npos && std::find(out.begin(), out.end(), k) == out.end()) out.push_back(k);
    }
    return out;
  }

  // ---- values ------------------------------------------------------------------------------------------

  std::optional<std::string> date_value(const FieldValue& fv, std::size_t nth, std::size_t* count = nullptr) {
    std::string_view v = scan::trim(fv.value);
    if (auto n = scan::first_number(v); n && n->begin == 0 && n->end == v.size() && n->value > 36526 && n->value < 73051) {
      if (count) *count = 1;
      if (nth == 0) return scan::excel_serial_date(n->value);  // a spreadsheet date
      return std::nullopt;
    }
    auto dates = scan::find_dates(v, doc_.date, true);  // the label says it is a date: "2/6" is one
    if (count) *count = dates.size();
    if (nth >= dates.size()) {
      if (nth == 0 && fv.explicit_ && !v.empty())
        warn(std::string(field_name(fv.field)) + ": no date found in '" + std::string(v).substr(0, 60) + "' (" + fv.place + ")");
      return std::nullopt;
    }
    if (!dates[nth].valid) {
      warn(std::string(field_name(fv.field)) + ": date " + dates[nth].raw + " is not valid (" + dates[nth].problem +
           "): flagged, not used (" + fv.place + ")");
      return std::nullopt;
    }
    return dates[nth].iso;
  }

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
  void apply(PurchaseOrderRequest& po, const FieldValue& fv) {
    const std::string& v = fv.value;
    switch (fv.field) {
      case Field::Fc: {
        std::string fc = scan::find_fc_code(v);
        if (!fc.empty()) set(po.destination_fc, fc, po, "destination_fc", "destination FC", fv.place);
        else if (fv.explicit_ && !scan::trim(v).empty())
          warn("PO " + po.po + ": destination FC '" + std::string(scan::trim(v)).substr(0, 40) + "' is not an FC code (" + fv.place + ")");
        break;
      }
      case Field::Window: {
        std::size_t count = 0;
        auto start = date_value(fv, 0, &count);
        if (start) set(po.ship_window_start, *start, po, "ship_window_start", "ship window start", fv.place);
        if (count > 1)
          if (auto end = date_value(fv, 1)) set(po.ship_window_end, *end, po, "ship_window_end", "ship window end", fv.place);
        break;
      }
      case Field::WindowStart:
        if (auto d = date_value(fv, 0)) set(po.ship_window_start, *d, po, "ship_window_start", "ship window start", fv.place);
        break;
      case Field::WindowEnd:
        if (auto d = date_value(fv, 0)) set(po.ship_window_end, *d, po, "ship_window_end", "ship window end", fv.place);
        break;
      case Field::Cartons:
      case Field::Pallets: {
        auto n = scan::first_integer(v);
        if (!n) {
          if (fv.explicit_ && !scan::trim(v).empty())
            warn("PO " + po.po + ": " + field_name(fv.field) + " '" + std::string(scan::trim(v)).substr(0, 30) + "' is not a number (" + fv.place + ")");
        } else if (fv.field == Field::Cartons) {
          set(po.cartons, int(*n), po, "cartons", "cartons", fv.place);
        } else {
          set(po.pallets, int(*n), po, "pallets", "pallets", fv.place);
        }
        break;
      }
      case Field::Weight:
        if (auto w = scan::first_weight_lb(v, fv.kg)) set(po.weight_lb, *w, po, "weight_lb", "weight", fv.place);
        break;
      default:
        break;
    }
  }

  // A request-level value (vendor, ship from, ready date). Values in running text must look like codes.
  void apply_request(const FieldValue& fv) {
    std::string_view value = scan::trim(fv.value);
    while (!value.empty() && (value.front() == '#' || value.front() == ':' || value.front() == '-')) value = scan::trim(value.substr(1));
    if (value.empty()) return;
    // words, keeping hyphenated codes whole ("ATL-DC")
    std::vector<scan::Word> ws;
    for (std::size_t i = 0; i < value.size();) {
      while (i < value.size() && !scan::is_alnum(value[i])) ++i;
      std::size_t j = i;
      while (j < value.size() && (scan::is_alnum(value[j]) || (value[j] == '-' && j + 1 < value.size() && scan::is_alnum(value[j + 1])))) ++j;
      if (j > i) ws.push_back({value.substr(i, j - i), i, j});
      i = j;
    }
    auto code_like = [&](std::string_view w) {
      if (w.size() < 3 || w.size() > 12) return false;
      bool digit = false, lower = false;
      for (char c : w) digit |= scan::is_digit(c), lower |= (c >= 'a' && c <= 'z');
      return (!lower || digit) && scan::is_alnum(w.front());
    };
    if (fv.field == Field::Vendor && !rr().vendor_code) {
      if (ws.empty() || (!fv.explicit_ && !code_like(ws[0].text))) return;
      rr().vendor_code = scan::upper(ws[0].text);
      rr().sources["vendor_code"] = fv.place;
      accounted_.insert(*rr().vendor_code);
    } else if (fv.field == Field::ShipFrom && !rr().ship_from) {
      if (ws.empty()) return;
      bool code = code_like(ws[0].text) && ws[0].begin == 0 && ws[0].text.size() <= 10;
      bool digit = false, all_upper = true, letter = false;
      for (char c : ws[0].text)
        digit |= scan::is_digit(c), all_upper &= !(c >= 'a' && c <= 'z'), letter |= scan::is_alpha(c);
      // a code stands alone or before its description ("ORL1 - Orlando", "WH01 (Reno)", "DC2, Dallas");
      // "123 Industrial Pkwy" is an address
      std::string_view after = value.substr(ws[0].end);
      bool alone = after.empty() || after.front() == ',' || after.front() == ';' || after.front() == '(' ||
                   after.rfind(" -", 0) == 0 || after.rfind(" (", 0) == 0 || after.rfind(" /", 0) == 0 ||
                   after.rfind(" |", 0) == 0 || after.front() == '.' || (!fv.explicit_ && after.front() == ' ');
      code &= letter && alone;
      if (code && (digit || all_upper)) rr().ship_from = scan::upper(ws[0].text);
      else if (fv.explicit_) {
        std::string text(value);
        while (!text.empty() && (text.back() == '.' || text.back() == ',')) text.pop_back();
        rr().ship_from = text;
      } else {
        return;
      }
      rr().sources["ship_from"] = fv.place;
    } else if (fv.field == Field::ReadyDate && !rr().freight_ready_date) {
      FieldValue copy = fv;
      copy.value = std::string(value);
      if (auto d = date_value(copy, 0)) {
        rr().freight_ready_date = *d;
        rr().sources["freight_ready_date"] = fv.place;
      }
    }
  }

  static std::string pos_text(const std::vector<std::size_t>& group, const RoutingRequest& r) {
    std::string pos;
    for (std::size_t k : group) pos += (pos.empty() ? "" : ", ") + r.purchase_orders[k].po;
    return pos;
  }

  // A per-PO value for the POs in `targets` ("each": the value holds for each one).
  void apply_to(const std::vector<std::size_t>& targets, const FieldValue& fv, bool each) {
    if (targets.size() > 1 && is_quantity(fv.field) && !each) {
      warn(std::string(field_name(fv.field)) + " '" + std::string(scan::trim(fv.value)).substr(0, 30) + "' given for POs " +
           pos_text(targets, rr()) + " together: not split between them (" + fv.place + ")");
      return;
    }
    for (std::size_t k : targets) apply(rr().purchase_orders[k], fv);
  }

  void apply_pending() {
    std::vector<std::size_t> all;
    for (std::size_t k = 0; k < rr().purchase_orders.size(); ++k) all.push_back(k);
    for (const auto& p : pending_) {
      std::vector<std::size_t> missing;
      for (std::size_t k : all) {
        const auto& po = rr().purchase_orders[k];
        bool lacks = false;
        switch (p.fv.field) {
          case Field::Fc: lacks = !po.destination_fc; break;
          case Field::Window: lacks = !po.ship_window_start && !po.ship_window_end; break;
          case Field::WindowStart: lacks = !po.ship_window_start; break;
          case Field::WindowEnd: lacks = !po.ship_window_end; break;
          case Field::Cartons: lacks = !po.cartons; break;
          case Field::Pallets: lacks = !po.pallets; break;
          case Field::Weight: lacks = !po.weight_lb; break;
          default: break;
        }
        if (lacks) missing.push_back(k);
      }
      if (missing.empty()) continue;
      // A quantity stated once for several POs is a total unless it says "each".
      if (is_quantity(p.fv.field) && all.size() > 1 && !p.each) {
        warn(std::string(field_name(p.fv.field)) + " '" + std::string(scan::trim(p.fv.value)).substr(0, 30) + "' given for " +
             std::to_string(all.size()) + " POs together: not split between them (" + p.fv.place + ")");
        continue;
      }
      for (std::size_t k : missing) apply(rr().purchase_orders[k], p.fv);
    }
  }

  void check_windows() {
    for (auto& po : rr().purchase_orders)
      if (po.ship_window_start && po.ship_window_end && *po.ship_window_end < *po.ship_window_start)
        warn("PO " + po.po + ": ship window ends (" + *po.ship_window_end + ") before it starts (" +
             *po.ship_window_start + ")");
  }

  // PO-shaped tokens in what was read that no layout accounted for (neither a PO nor another reference).
  void find_loose_tokens() {
    std::set<std::string> seen;
    for (std::size_t i = 0; i < doc_.lines.size(); ++i) {
      if (skip(i)) continue;
      const auto& line = doc_.lines[i];
      const std::string& t0 = line.text;
      for (const auto& w : scan::words(t0)) {
        if (!scan::is_po_shaped(w.text)) continue;
        // a token standing on its own, not part of an address, a URL or an identifier
        char before = w.begin > 0 ? t0[w.begin - 1] : ' ';
        char after = w.end < t0.size() ? t0[w.end] : ' ';
        char after2 = w.end + 1 < t0.size() ? t0[w.end + 1] : ' ';
        if (std::string_view("@/_=-&?%+.:<").find(before) != std::string_view::npos) continue;
        if (std::string_view("@/_=-&?%+>").find(after) != std::string_view::npos) continue;
        if ((after == '.' || after == ':') && after2 != ' ' && after2 != '\t') continue;
        std::string t = scan::upper(w.text);
        if (out_.po_tokens.count(t) || accounted_.count(t) || !seen.insert(t).second) continue;
        out_.loose_tokens.push_back(t + " (" + line.place() + ")");
      }
    }
  }

  // ---- lines -------------------------------------------------------------------------------------------

  struct LineFields {
    std::vector<FieldValue> fields;
    std::vector<scan::PoToken> pos;
    bool po_label_open = false;  // "POs:" with the list on the next lines
    std::vector<bool> used;      // characters accounted for (labels, values, POs, dates)
  };

  static std::size_t number_before(std::string_view s, std::size_t label_begin) {
    std::size_t b = label_begin;
    while (b > 0 && (s[b - 1] == ' ' || s[b - 1] == '(')) --b;
    std::size_t e = b;
    while (b > 0 && (scan::is_digit(s[b - 1]) || s[b - 1] == ',' || s[b - 1] == '.')) --b;
    while (b < e && !scan::is_digit(s[b])) ++b;
    if (e > b && (b == 0 || !scan::is_alnum(s[b - 1]))) return b;
    return std::string_view::npos;
  }

  // How much of a value its field reads (from the value's start).
  std::size_t consumed(Field f, std::string_view value, bool explicit_) const {
    switch (f) {
      case Field::Fc:
        for (const auto& w : scan::words(value))
          if (scan::is_fc_shaped(w.text)) return w.end;
        return 0;
      case Field::Cartons:
      case Field::Pallets:
        if (auto n = scan::first_number(value)) return n->end;
        return 0;
      case Field::Weight:
        if (auto n = scan::first_number(value)) {
          std::size_t end = n->end;
          if (scan::weight_unit_at(value, n->end, &end) == 0) end = n->end;
          return end;
        }
        return 0;
      case Field::Window:
      case Field::WindowStart:
      case Field::WindowEnd:
      case Field::ReadyDate: {
        auto dates = scan::find_dates(value, doc_.date, true);
        if (dates.empty()) return explicit_ ? value.size() : 0;
        std::size_t last = f == Field::Window && dates.size() > 1 ? 1 : 0;
        return dates[last].end;
      }
      default:
        return value.size();
    }
  }

  // Labels, their values and the POs in one line.
  LineFields scan_line(std::string_view text, const std::string& place, bool cells) {
    LineFields lf;
    lf.used.assign(text.size(), false);
    auto mark = [&](std::size_t b, std::size_t e) {
      for (std::size_t k = b; k < e && k < text.size(); ++k) lf.used[k] = true;
    };
    auto hits = find_labels(text);
    // where each label's claim starts (a unit word claims the number before it)
    std::vector<std::size_t> claim(hits.size());
    std::vector<std::size_t> before(hits.size(), std::string_view::npos);
    for (std::size_t h = 0; h < hits.size(); ++h) {
      claim[h] = hits[h].begin;
      // a tab separates a label from its value only when the label starts its cell ("Cases<TAB>18")
      bool starts_cell = hits[h].begin == 0 || text[hits[h].begin - 1] == '\t';
      bool separator_after = false;
      for (std::size_t k = hits[h].end; k < text.size() && !separator_after; ++k) {
        if (text[k] == ':' || text[k] == '=' || (text[k] == '\t' && starts_cell)) separator_after = true;
        else if (text[k] != ' ') break;
      }
      // "12 cartons" claims the number before; "Cartons: 12" does not (the 12 before it is someone else's)
      if (hits[h].unit_word && !separator_after) {
        std::size_t nb = number_before(text, hits[h].begin);
        if (nb != std::string_view::npos && (h == 0 || nb >= hits[h - 1].end)) before[h] = claim[h] = nb;
      }
    }
    for (std::size_t h = 0; h < hits.size(); ++h) {
      const auto& hit = hits[h];
      std::size_t limit = h + 1 < hits.size() ? claim[h + 1] : text.size();
      FieldValue fv;
      fv.field = hit.field;
      fv.place = place;
      std::string lab = scan::lower(text.substr(hit.begin, hit.end - hit.begin));
      fv.kg = lab.find("kg") != std::string::npos || lab.find("kilo") != std::string::npos;
      mark(hit.begin, hit.end);
      if (before[h] != std::string_view::npos) {
        fv.value = std::string(text.substr(before[h], hit.begin - before[h]));
        if (hit.field == Field::Weight && !fv.kg) fv.value += " lb";
        mark(before[h], hit.begin);
        lf.fields.push_back(fv);
        continue;
      }
      std::size_t v = hit.end;
      // The label may go on to its colon: "Ship From Address:", "Freight Ready Date (FRD):", "Weight (lbs):".
      for (std::size_t k = hit.end; k < limit && k < hit.end + 32; ++k) {
        char c = text[k];
        if (c == ':') {
          // not when the words before the colon are a code ("Vendor code ACMEW: ...")
          bool code = false;
          for (const auto& w : scan::words(text.substr(hit.end, k - hit.end))) {
            bool all_upper = w.text.size() >= 3;
            for (char ch : w.text) all_upper &= ch >= 'A' && ch <= 'Z';
            std::string lw = scan::lower(w.text);
            code |= all_upper && lw != "frd" && lw != "lbs" && lw != "kgs" && lw != "crd" && lw != "fc";
          }
          if (code) break;
          std::string tail = scan::lower(text.substr(hit.end, k - hit.end));
          fv.kg |= scan::contains_word(tail, "kg") || scan::contains_word(tail, "kgs");
          v = k;
          break;
        }
        if (!(scan::is_alpha(c) || c == ' ' || c == '(' || c == ')' || c == '#' || c == '.' || c == '/')) break;
      }
      while (v < limit && (text[v] == ' ' || text[v] == '(' || text[v] == ')')) ++v;
      if (v < limit && (text[v] == ':' || text[v] == '=' || text[v] == '\t')) {
        fv.explicit_ = true;
        ++v;
      } else if (hit.end < text.size() && text[hit.end] == '\t' && (hit.begin == 0 || text[hit.begin - 1] == '\t')) {
        fv.explicit_ = true;
      }
      if (cells) fv.explicit_ = true;
      std::string_view value = text.substr(std::min(v, limit), limit - std::min(v, limit));
      // filler words between a label and its value
      for (bool again = true; again;) {
        again = false;
        value = scan::trim(value);
        while (!value.empty() && (value.front() == ':' || value.front() == '#' || value.front() == '-' || value.front() == '='))
          value = scan::trim(value.substr(1)), again = true;
        for (const char* f : {"is ", "are ", "was ", "will be ", "of ", "on ", "at ", "by ", "approx ", "approx. ",
                              "approximately ", "about ", "est ", "est. ", "~", "will ", "be ", "for "}) {
          std::string lv = scan::lower(value.substr(0, std::min<std::size_t>(value.size(), 16)));
          if (lv.rfind(f, 0) == 0 && hit.field != Field::Po) {
            value = value.substr(std::string_view(f).size());
            again = true;
          }
        }
      }
      if (hit.field == Field::Po) {
        auto tokens = scan::split_po_list(value);
        if (tokens.empty() && value.empty() && fv.explicit_) lf.po_label_open = true;
        if (tokens.empty() && value.empty() && h + 1 == hits.size()) lf.po_label_open = true;
        std::size_t offset = value.data() - text.data();
        for (auto& t : tokens) {
          mark(offset + t.begin, offset + t.end);
          lf.pos.push_back(t);
        }
        continue;
      }
      if (hit.field == Field::OtherReference) {
        for (const auto& w : scan::words(value)) {
          accounted_.insert(scan::upper(w.text));
          break;
        }
        continue;
      }
      fv.value = std::string(value);
      lf.fields.push_back(fv);
      // Only what the field reads is accounted for; the rest of the span stays free for unlabelled pieces
      // ("Deliver to ATL6 between 1/29 and 2/2": the FC takes ATL6, the dates are still there).
      std::size_t offset = value.data() - text.data();
      std::size_t used = consumed(fv.field, value, fv.explicit_);
      if (used) mark(offset, offset + used);
    }
    return lf;
  }

  // The POs a line names without a PO label: a list line, or a PO-shaped token heading the line.
  static std::vector<scan::PoToken> bare_pos(std::string_view text) {
    if (scan::is_po_list_line(text)) return scan::split_po_list(text);
    auto ws = scan::words(text);
    if (!ws.empty() && ws[0].begin <= 2 && scan::is_po_shaped(ws[0].text)) {
      scan::PoToken t;
      t.po = scan::upper(ws[0].text);
      t.valid = true;
      t.begin = ws[0].begin;
      t.end = ws[0].end;
      return {t};
    }
    return {};
  }

  // Reads one line (and the list lines a "POs:" label opens); returns how many extra lines it consumed.
  std::size_t read_line(std::size_t i) {
    const auto& lines = doc_.lines;
    const TextLine& tl = lines[i];
    std::string_view text = strip_bullet(tl.text);
    std::string place = tl.place();
    LineFields lf = scan_line(text, place, false);
    std::size_t used = 0;
    if (lf.pos.empty() && !lf.po_label_open) {
      auto bare = bare_pos(text);
      for (auto& t : bare)
        for (std::size_t k = t.begin; k < t.end && k < lf.used.size(); ++k) lf.used[k] = true;
      lf.pos = std::move(bare);
    }
    if (lf.po_label_open) {
      // "Please route the following POs:" then one PO (or a few) a line
      std::size_t j = i + 1;
      bool seen = false;
      while (j < lines.size()) {
        std::string_view next = scan::trim(lines[j].text);
        if (skip(j)) break;
        if (next.empty() && !seen) {
          ++j;
          continue;
        }
        if (next.empty() || !scan::is_po_list_line(next)) break;
        auto more = scan::split_po_list(strip_bullet(next));
        lf.pos.insert(lf.pos.end(), more.begin(), more.end());
        seen = true;
        ++j;
      }
      if (seen) used = j - i - 1;
    }

    // Values whose label ends the line ("Ship window:") are on the next line.
    if (!lf.fields.empty() && scan::trim(lf.fields.back().value).empty() && lf.fields.back().explicit_ && i + 1 < lines.size() &&
        !skip(i + 1)) {
      std::string_view next = scan::trim(lines[i + 1].text);
      if (!next.empty() && find_labels(next).empty() && !scan::is_po_list_line(next)) {
        lf.fields.back().value = std::string(next);
        used = std::max<std::size_t>(used, 1);
      }
    }

    std::string l = scan::lower(text);
    bool each = has_word(l, {"each", "per po", "apiece", "every po", "per purchase order"});
    bool all = each || has_word(l, {"all", "every", "both"});

    std::vector<std::size_t> line_group;
    if (!lf.pos.empty()) {
      line_group = add_pos(lf.pos, place);
      bool any_flagged = line_group.size() < lf.pos.size();
      if (!line_group.empty() || any_flagged) group_ = line_group;
    }

    // Unlabelled pieces in a line that names POs: an FC code, a date range.
    bool has_fc = false, has_window = false;
    for (const auto& fv : lf.fields) {
      has_fc |= fv.field == Field::Fc;
      has_window |= fv.field == Field::Window || fv.field == Field::WindowStart || fv.field == Field::WindowEnd;
    }
    std::vector<FieldValue> extra;
    auto ws = scan::words(text);
    for (std::size_t w = 0; w < ws.size(); ++w) {
      if (!scan::is_fc_shaped(ws[w].text) || lf.used[ws[w].begin]) continue;
      bool to = w > 0 && has_word(scan::lower(ws[w - 1].text), {"to", "at", "into", "for", "fc"});
      if (has_fc || (line_group.empty() && !to)) continue;
      extra.push_back({Field::Fc, std::string(ws[w].text), false, false, place});
      for (std::size_t k = ws[w].begin; k < ws[w].end; ++k) lf.used[k] = true;
      has_fc = true;
    }
    if (!line_group.empty() && !has_window) {
      std::string rest(text);
      for (std::size_t k = 0; k < rest.size(); ++k)
        if (lf.used[k]) rest[k] = ' ';
      auto dates = scan::find_dates(rest, doc_.date, true);
      if (dates.size() == 2) {
        extra.push_back({Field::Window, rest.substr(dates[0].begin, dates[1].end - dates[0].begin), false, false, place});
        for (std::size_t k = dates[0].begin; k < dates[1].end; ++k) lf.used[k] = true;
      }
    }
    // "1,900#": pounds written with the pound sign
    for (std::size_t k = 0; k < text.size(); ++k) {
      if (lf.used[k] || !scan::is_digit(text[k]) || (k > 0 && (scan::is_alnum(text[k - 1]) || text[k - 1] == '.' || text[k - 1] == ','))) continue;
      auto n = scan::number_at(text, k);
      if (n && n->end < text.size() && text[n->end] == '#') {
        extra.push_back({Field::Weight, std::string(text.substr(k, n->end + 1 - k)), false, false, place});
        for (std::size_t q = k; q <= n->end; ++q) lf.used[q] = true;
      }
      if (n) k = n->end;
    }
    lf.fields.insert(lf.fields.end(), extra.begin(), extra.end());

    for (const auto& fv : lf.fields) {
      out_.fields_seen.push_back(std::string(field_name(fv.field)) + " (" + place + ")");
      if (is_request_level(fv.field)) {
        apply_request(fv);
      } else if (!line_group.empty()) {
        apply_to(line_group, fv, each || line_group.size() == 1);
      } else if (all || group_.empty()) {
        pending_.push_back({fv, each});
      } else {
        apply_to(group_, fv, each);
      }
    }

    // Numbers left over in a line about POs: a layout we do not know. Worth a human's look.
    if (!line_group.empty()) {
      std::string left;
      for (std::size_t k = 0; k < text.size(); ++k) {
        if (lf.used[k] || !scan::is_digit(text[k]) || (k > 0 && scan::is_alnum(text[k - 1]))) continue;
        std::size_t e = k;
        while (e < text.size() && (scan::is_alnum(text[e]) || text[e] == '.' || text[e] == ',' || text[e] == '/')) ++e;
        while (e > k && !scan::is_alnum(text[e - 1])) --e;
        bool inside_used = false;
        for (std::size_t q = k; q < e; ++q) inside_used |= lf.used[q];
        if (!inside_used) left += (left.empty() ? "" : ", ") + std::string(text.substr(k, e - k));
        k = e;
      }
      if (!left.empty())
        warn("PO " + pos_text(line_group, rr()) + ": values " + left + " not understood (" + place + ")");
    }
    return used;
  }

  // ---- tables ------------------------------------------------------------------------------------------

  struct Column {
    Field field = Field::None;
    std::string header;
    bool kg = false;
  };

  // A label that says its weights are in kilograms ("Weight (kg)", "Gross KGS").
  static bool names_kilograms(const std::string& label) {
    std::string k = normalize_label(label);
    return scan::contains_word(k, "kg") || scan::contains_word(k, "kgs") || scan::contains_word(k, "kilograms");
  }

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
  static std::vector<std::string> row_cells(std::string_view row, const std::vector<std::size_t>& starts, std::size_t n) {
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

  // A table whose header names a PO column and at least one other known column. Returns lines used (0: none).
  std::size_t try_table(std::size_t i) {
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

  // A table with one column per PO: "PO | 2K4GH7QZ | 3L5HJ8RA", then "FC | ABE8 | ONT8", ...
  std::size_t try_transposed_table(std::size_t i) {
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
};

}  // namespace

ReadResult read_request(const MailDocument& doc) {
  // New text first: a reply's history is read only when the new text names no PO of its own.
  bool any_quoted = false;
  for (const auto& l : doc.lines) any_quoted |= l.quoted;
  ReadResult fresh = Reader(doc, false).run();
  if (!any_quoted) return fresh;
  ReadResult all = Reader(doc, true).run();
  if (fresh.po_candidates == 0) return all;
  // The new text has its own POs: those count. What it leaves unsaid (the vendor, a PO's FC...) may still
  // come from the history it answers, each value with its place.
  RoutingRequest& r = fresh.request;
  const RoutingRequest& h = all.request;
  auto fill = [](auto& slot, const auto& from, std::map<std::string, std::string>& sources,
                 const std::map<std::string, std::string>& from_sources, const char* key) {
    if (slot || !from) return;
    slot = from;
    auto it = from_sources.find(key);
    if (it != from_sources.end()) sources[key] = it->second;
  };
  fill(r.vendor_code, h.vendor_code, r.sources, h.sources, "vendor_code");
  fill(r.ship_from, h.ship_from, r.sources, h.sources, "ship_from");
  fill(r.freight_ready_date, h.freight_ready_date, r.sources, h.sources, "freight_ready_date");
  for (auto& po : r.purchase_orders)
    for (const auto& old : h.purchase_orders) {
      if (old.po != po.po) continue;
      fill(po.destination_fc, old.destination_fc, po.sources, old.sources, "destination_fc");
      fill(po.ship_window_start, old.ship_window_start, po.sources, old.sources, "ship_window_start");
      fill(po.ship_window_end, old.ship_window_end, po.sources, old.sources, "ship_window_end");
      fill(po.cartons, old.cartons, po.sources, old.sources, "cartons");
      fill(po.pallets, old.pallets, po.sources, old.sources, "pallets");
      fill(po.weight_lb, old.weight_lb, po.sources, old.sources, "weight_lb");
    }
  return fresh;
}

}  // namespace dockhand::intake
