// Classifier and extractor: reads the lines of a mail (mime_reader) as key: value lists, PO lists, per-PO
// blocks, "PO x to FC, n cartons" sentences and tables (text, HTML or CSV), then decides whether the mail
// asks for Amazon routing.
#include "mime_reader.h"
#include "routing_request.h"
#include "text_scan.h"

#include <spdlog/spdlog.h>

#include <map>

namespace dockhand::intake {
namespace {

enum class Field { None, Po, Fc, Window, WindowStart, WindowEnd, Cartons, Pallets, Weight, Vendor, ShipFrom, ReadyDate };

const char* field_name(Field f) {
  switch (f) {
    case Field::Fc: return "destination FC";
    case Field::Window: return "ship window";
    case Field::WindowStart: return "ship window start";
    case Field::WindowEnd: return "ship window end";
    case Field::Cartons: return "cartons";
    case Field::Pallets: return "pallets";
    case Field::Weight: return "weight";
    default: return "field";
  }
}

// "P.O. Number(s)" -> "po number s"
std::string normalize_key(std::string_view key) {
  std::string out;
  out.reserve(key.size());
  for (char c : key) {
    if (c == '.' || c == '\'') continue;
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) out += c;
    else if (c >= 'A' && c <= 'Z') out += char(c - 'A' + 'a');
    else if (!out.empty() && out.back() != ' ') out += ' ';
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

bool has(const std::string& s, std::string_view w) { return s.find(w) != std::string::npos; }
bool word(const std::string& s, std::string_view w) { return scan::contains_word(s, w); }

Field match_key(const std::string& k) {
  if (k.empty() || k.size() > 40) return Field::None;
  if (has(k, "vendor")) return (has(k, "name") || has(k, "contact")) ? Field::None : Field::Vendor;
  if (has(k, "ready")) return Field::ReadyDate;
  if (word(k, "weight") || word(k, "wt") || has(k, "weight") || word(k, "lbs")) return Field::Weight;
  if (has(k, "carton") || word(k, "ctn") || word(k, "ctns") || word(k, "cases") || word(k, "boxes") ||
      word(k, "case count"))
    return Field::Cartons;
  if (has(k, "pallet") || word(k, "plt") || word(k, "plts") || word(k, "skids")) return Field::Pallets;
  if (word(k, "start") || word(k, "earliest") || word(k, "begin") || (word(k, "window") && word(k, "from")) ||
      (word(k, "window") && word(k, "open")))
    return Field::WindowStart;
  if (word(k, "end") || word(k, "latest") || (word(k, "window") && (word(k, "to") || word(k, "close"))))
    return Field::WindowEnd;
  if (word(k, "window")) return Field::Window;
  if (has(k, "ship from") || word(k, "origin") || has(k, "pickup location") || has(k, "pick up location") ||
      word(k, "warehouse") || has(k, "ship point"))
    return Field::ShipFrom;
  if (word(k, "fc") || has(k, "destination") || word(k, "dest") || has(k, "ship to") || has(k, "fulfillment") ||
      has(k, "fulfilment") || word(k, "dc"))
    return Field::Fc;
  if (word(k, "po") || word(k, "pos") || word(k, "po s") || has(k, "purchase order") || word(k, "po number") ||
      word(k, "po numbers"))
    return Field::Po;
  return Field::None;
}

struct PoSlot {
  PurchaseOrderRequest po;
};

class Extractor {
 public:
  explicit Extractor(const MailDocument& doc) : doc_(doc) {}

  void run() {
    const auto& lines = doc_.lines;
    for (std::size_t i = 0; i < lines.size(); ++i) {
      std::string_view line = scan::trim(lines[i]);
      if (line.empty() || scan::is_rule_line(line)) continue;
      if (std::size_t used = try_table(i)) {
        i += used - 1;
        continue;
      }
      i += read_line(i);
    }
    apply_defaults();
    check_windows();
  }

  RoutingRequest result;
  std::size_t po_candidates = 0;  // valid and flagged

 private:
  const MailDocument& doc_;
  std::map<std::string, std::size_t> index_;  // po -> position in result.purchase_orders
  std::vector<std::size_t> group_;            // POs the following per-PO lines talk about
  std::map<Field, std::string> defaults_;     // per-PO values given before any PO

  void warn(std::string w) {
    for (const auto& e : result.warnings)
      if (e == w) return;
    result.warnings.push_back(std::move(w));
  }

  // Adds (or finds) a PO; returns its index, or npos for a flagged one.
  std::size_t add_po(const scan::PoToken& t) {
    ++po_candidates;
    if (!t.valid) {
      warn(t.problem + ": flagged, not used");
      return std::string::npos;
    }
    auto it = index_.find(t.po);
    if (it != index_.end()) return it->second;
    PurchaseOrderRequest po;
    po.po = t.po;
    result.purchase_orders.push_back(po);
    index_[t.po] = result.purchase_orders.size() - 1;
    return result.purchase_orders.size() - 1;
  }

  std::optional<std::string> one_date(std::string_view value, const std::string& what) {
    auto dates = scan::find_dates(value);
    if (dates.empty()) {
      if (!scan::trim(value).empty()) warn(what + ": no date found in '" + std::string(scan::trim(value)).substr(0, 60) + "'");
      return std::nullopt;
    }
    if (!dates[0].valid) {
      warn(what + ": date " + dates[0].raw + " is not valid (" + dates[0].problem + "): flagged, not used");
      return std::nullopt;
    }
    return dates[0].iso;
  }

  template <typename T>
  void set(std::optional<T>& slot, const T& value, const std::string& po, Field f) {
    if (!slot) {
      slot = value;
      return;
    }
    if (*slot != value) {
      nlohmann::json a = *slot, b = value;
      warn("PO " + po + ": " + field_name(f) + " given twice (" + a.dump() + " and " + b.dump() + "); kept " +
           a.dump());
    }
  }

  // Applies one per-PO field value to one PO.
  void apply(PurchaseOrderRequest& po, Field f, std::string_view value) {
    switch (f) {
      case Field::Fc: {
        std::string fc = scan::find_fc_code(value);
        if (fc.empty()) warn("PO " + po.po + ": destination FC '" + std::string(value).substr(0, 40) + "' is not an FC code");
        else set(po.destination_fc, fc, po.po, f);
        break;
      }
      case Field::Window: {
        auto dates = scan::find_dates(value);
        for (std::size_t k = 0; k < dates.size() && k < 2; ++k) {
          if (!dates[k].valid) {
            warn("PO " + po.po + ": ship window date " + dates[k].raw + " is not valid (" + dates[k].problem +
                 "): flagged, not used");
            continue;
          }
          set(k == 0 ? po.ship_window_start : po.ship_window_end, dates[k].iso, po.po,
              k == 0 ? Field::WindowStart : Field::WindowEnd);
        }
        if (dates.empty()) warn("PO " + po.po + ": ship window '" + std::string(value).substr(0, 40) + "' has no date");
        break;
      }
      case Field::WindowStart:
      case Field::WindowEnd: {
        auto d = one_date(value, "PO " + po.po + ": " + field_name(f));
        if (d) set(f == Field::WindowStart ? po.ship_window_start : po.ship_window_end, *d, po.po, f);
        break;
      }
      case Field::Cartons:
      case Field::Pallets: {
        auto n = scan::first_integer(value);
        if (!n) {
          if (!scan::trim(value).empty()) warn("PO " + po.po + ": " + field_name(f) + " '" + std::string(value).substr(0, 30) + "' is not a number");
        } else {
          set(f == Field::Cartons ? po.cartons : po.pallets, int(*n), po.po, f);
        }
        break;
      }
      case Field::Weight: {
        auto w = scan::first_weight_lb(value);
        if (w) set(po.weight_lb, *w, po.po, f);
        break;
      }
      default:
        break;
    }
  }

  void apply_global(Field f, std::string_view value) {
    value = scan::trim(value);
    if (value.empty()) return;
    if (f == Field::Vendor && !result.vendor_code) {
      auto tokens = split_words(value);
      if (!tokens.empty()) result.vendor_code = scan::upper(tokens[0]);
    } else if (f == Field::ShipFrom && !result.ship_from) {
      auto tokens = split_words(value);
      bool code = !tokens.empty() && tokens[0].size() >= 3 && tokens[0].size() <= 10;
      bool digit = false, all_upper = true;
      if (code)
        for (char c : tokens[0]) {
          digit |= c >= '0' && c <= '9';
          all_upper &= !(c >= 'a' && c <= 'z');
        }
      result.ship_from = (code && (digit || all_upper)) ? scan::upper(tokens[0]) : std::string(value);
    } else if (f == Field::ReadyDate && !result.freight_ready_date) {
      result.freight_ready_date = one_date(value, "freight ready date");
    }
  }

  static std::vector<std::string> split_words(std::string_view s) {
    std::vector<std::string> out;
    std::string cur;
    for (char c : s) {
      bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
      if (keep) cur += c;
      else if (!cur.empty()) out.push_back(std::move(cur)), cur.clear();
    }
    if (!cur.empty()) out.push_back(cur);
    return out;
  }

  // A per-PO value: to the PO(s) the text is talking about, or remembered for all POs when none yet.
  void apply_per_po(Field f, std::string_view value) {
    if (group_.empty()) {
      if (!defaults_.count(f)) defaults_[f] = std::string(value);
      return;
    }
    bool shared = f == Field::Fc || f == Field::Window || f == Field::WindowStart || f == Field::WindowEnd;
    if (group_.size() > 1 && !shared) {
      std::string pos;
      for (std::size_t k : group_) pos += (pos.empty() ? "" : ", ") + result.purchase_orders[k].po;
      warn(std::string(field_name(f)) + " '" + std::string(scan::trim(value)).substr(0, 30) + "' given for POs " +
           pos + " together: not split between them");
      return;
    }
    for (std::size_t k : group_) apply(result.purchase_orders[k], f, value);
  }

  void apply_defaults() {
    for (auto& [f, value] : defaults_) {
      bool shared = f == Field::Fc || f == Field::Window || f == Field::WindowStart || f == Field::WindowEnd;
      if (!shared && result.purchase_orders.size() > 1) {
        bool missing = false;
        for (auto& po : result.purchase_orders)
          missing |= f == Field::Cartons ? !po.cartons : f == Field::Pallets ? !po.pallets : !po.weight_lb;
        if (missing)
          warn(std::string(field_name(f)) + " '" + std::string(scan::trim(value)).substr(0, 30) + "' given for " +
               std::to_string(result.purchase_orders.size()) + " POs together: not split between them");
        continue;
      }
      for (auto& po : result.purchase_orders) {
        bool missing = f == Field::Fc ? !po.destination_fc
                       : f == Field::Window ? (!po.ship_window_start && !po.ship_window_end)
                       : f == Field::WindowStart ? !po.ship_window_start
                       : f == Field::WindowEnd ? !po.ship_window_end
                       : f == Field::Cartons ? !po.cartons
                       : f == Field::Pallets ? !po.pallets
                                             : !po.weight_lb;
        if (missing) apply(po, f, value);
      }
    }
  }

  void check_windows() {
    for (auto& po : result.purchase_orders)
      if (po.ship_window_start && po.ship_window_end && *po.ship_window_end < *po.ship_window_start)
        warn("PO " + po.po + ": ship window ends (" + *po.ship_window_end + ") before it starts (" +
             *po.ship_window_start + ")");
  }

  // Splits "Key: value" (or a two-cell "Key<TAB>value" row); key is "" when the line is not one.
  static std::pair<Field, std::string_view> key_value(std::string_view line, bool& ends_with_colon) {
    ends_with_colon = false;
    std::size_t colon = line.find(':');
    std::size_t tab = line.find('\t');
    std::size_t sep = std::min(colon, tab);
    // "PO 2K4GH7QZ ..." / "PO# 2K4GH7QZ" without a colon
    std::string_view head = line.substr(0, std::min<std::size_t>(line.size(), 5));
    std::string hl = scan::lower(head);
    if (sep == std::string_view::npos || sep > 45) {
      if (hl.rfind("po ", 0) == 0 || hl.rfind("po#", 0) == 0 || hl.rfind("pos ", 0) == 0) {
        std::size_t sp = line.find_first_of(" #");
        return {Field::Po, scan::trim(line.substr(sp + 1))};
      }
      return {Field::None, {}};
    }
    std::string_view raw_key = line.substr(0, sep);
    // "Routing request attached. Freight ready date: ..." -> the key is the last sentence before the colon
    std::size_t stop = raw_key.find_last_of(".!?");
    if (stop != std::string_view::npos && stop + 1 < raw_key.size() && raw_key[stop + 1] == ' ')
      raw_key = raw_key.substr(stop + 1);
    std::string key = normalize_key(raw_key);
    std::string_view value = scan::trim(line.substr(sep + 1));
    while (!value.empty() && (value.front() == ':' || value.front() == '#')) value = scan::trim(value.substr(1));
    Field f = match_key(key);
    std::size_t words = 1;
    for (char c : key) words += c == ' ';
    if (value.empty() && sep == colon) ends_with_colon = true;
    // "Please route the following POs:" introduces a list
    if (f == Field::None && ends_with_colon && (word(key, "pos") || word(key, "po") || has(key, "purchase order")))
      return {Field::Po, value};
    if (words > 5) return {Field::None, {}};
    if (f == Field::None && (hl.rfind("po ", 0) == 0 || hl.rfind("po#", 0) == 0)) {
      std::size_t sp = line.find_first_of(" #");
      return {Field::Po, scan::trim(line.substr(sp + 1))};
    }
    return {f, value};
  }

  // "- x", "* x", "• x", "1. x", "2) x" -> "x"
  static std::string_view strip_bullet(std::string_view line) {
    if (line.size() > 2 && (line[0] == '-' || line[0] == '*') && line[1] == ' ') return scan::trim(line.substr(2));
    if (line.size() > 4 && line.compare(0, 3, "\xE2\x80\xA2") == 0) return scan::trim(line.substr(3));
    std::size_t d = 0;
    while (d < line.size() && d < 3 && line[d] >= '0' && line[d] <= '9') ++d;
    if (d > 0 && d + 1 < line.size() && (line[d] == '.' || line[d] == ')') && line[d + 1] == ' ')
      return scan::trim(line.substr(d + 2));
    return line;
  }

  // Reads one line (and the continuation lines it owns); returns how many extra lines it consumed.
  std::size_t read_line(std::size_t i) {
    const auto& lines = doc_.lines;
    std::string_view line = strip_bullet(scan::trim(lines[i]));
    bool ends_with_colon = false;
    auto [f, value] = key_value(line, ends_with_colon);
    if (f == Field::None) return 0;
    std::size_t used = 0;
    if (f == Field::Po) {
      group_.clear();
      if (!value.empty() && !scan::is_po_list_line(value)) {
        read_inline_po(value);
        return 0;
      }
      add_group(value);
      // The list may go on over the next lines (one PO a line, bullets...).
      std::size_t j = i + 1;
      bool seen = !value.empty();
      while (j < lines.size()) {
        std::string_view next = scan::trim(lines[j]);
        if (next.empty() && !seen) {
          ++j;
          continue;
        }
        if (next.empty() || !scan::is_po_list_line(next)) break;
        add_group(next);
        seen = true;
        ++j;
      }
      if (seen) used = j - i - 1;
      return used;
    }
    if (value.empty()) {
      // "Ship window:" with the value on the next line
      if (i + 1 < lines.size()) {
        std::string_view next = scan::trim(lines[i + 1]);
        bool dummy;
        if (!next.empty() && key_value(next, dummy).first == Field::None) {
          value = next;
          used = 1;
        }
      }
      if (value.empty()) return 0;
    }
    if (f == Field::Vendor || f == Field::ShipFrom || f == Field::ReadyDate) apply_global(f, value);
    else apply_per_po(f, value);
    return used;
  }

  void add_group(std::string_view list) {
    for (const auto& t : scan::split_po_list(list)) {
      std::size_t k = add_po(t);
      if (k == std::string::npos) continue;
      bool dup = false;
      for (std::size_t g : group_) dup |= g == k;
      if (!dup) group_.push_back(k);
    }
  }

  // "2K4GH7QZ to ABE8, 12 cartons, 1 pallet, 340.5 lb, window 11/24/2026 - 11/28/2026"
  void read_inline_po(std::string_view value) {
    std::size_t end = 0;
    while (end < value.size() && value[end] != ' ' && value[end] != ',' && value[end] != '\t' && value[end] != ';' &&
           value[end] != ':')
      ++end;
    auto tokens = scan::split_po_list(value.substr(0, end));
    if (tokens.empty()) return;
    std::size_t k = add_po(tokens[0]);
    if (k == std::string::npos) return;
    group_ = {k};
    std::string_view rest = value.substr(end);
    PurchaseOrderRequest& po = result.purchase_orders[k];
    std::string fc = scan::find_fc_code(rest);
    if (!fc.empty()) set(po.destination_fc, fc, po.po, Field::Fc);
    auto dates = scan::find_dates(rest);
    if (!dates.empty()) apply(po, Field::Window, rest);
    std::string l = scan::lower(rest);
    if (auto n = number_near(l, {"carton", "ctn", "case", "box"})) set(po.cartons, int(*n), po.po, Field::Cartons);
    if (auto n = number_near(l, {"pallet", "plt", "skid"})) set(po.pallets, int(*n), po.po, Field::Pallets);
    if (auto pos = unit_pos(l)) {
      if (auto w = scan::first_weight_lb(rest.substr(*pos))) set(po.weight_lb, *w, po.po, Field::Weight);
    }
  }

  // Number just before "12 cartons" or just after "cartons: 12" one of the words.
  static std::optional<long long> number_near(const std::string& l, std::initializer_list<const char*> words) {
    for (const char* w : words) {
      std::size_t pos = 0;
      while ((pos = l.find(w, pos)) != std::string::npos) {
        std::size_t b = pos;
        while (b > 0 && l[b - 1] == ' ') --b;
        std::size_t e = b;
        while (b > 0 && ((l[b - 1] >= '0' && l[b - 1] <= '9') || l[b - 1] == ',')) --b;
        if (e > b && (b == 0 || !std::isalpha((unsigned char)l[b - 1]))) return scan::first_integer(l.substr(b, e - b));
        std::size_t a = pos;
        while (a < l.size() && std::isalpha((unsigned char)l[a])) ++a;
        while (a < l.size() && (l[a] == ' ' || l[a] == ':' || l[a] == '=')) ++a;
        if (a < l.size() && l[a] >= '0' && l[a] <= '9') return scan::first_integer(l.substr(a));
        pos += 1;
      }
    }
    return std::nullopt;
  }

  // Start of the number that a weight unit (lb, lbs, pounds, kg) follows.
  static std::optional<std::size_t> unit_pos(const std::string& l) {
    for (const char* u : {"lbs", "lb", "pounds", "kg"}) {
      std::size_t pos = 0;
      while ((pos = l.find(u, pos)) != std::string::npos) {
        std::size_t after = pos + std::string_view(u).size();
        bool right = after >= l.size() || !std::isalpha((unsigned char)l[after]);
        std::size_t b = pos;
        while (b > 0 && l[b - 1] == ' ') --b;
        std::size_t e = b;
        while (b > 0 && ((l[b - 1] >= '0' && l[b - 1] <= '9') || l[b - 1] == '.' || l[b - 1] == ',')) --b;
        if (right && e > b) return b;
        pos = after;
      }
    }
    return std::nullopt;
  }

  // A table whose header names a PO column and at least one other known column. Returns lines used (0: none).
  std::size_t try_table(std::size_t i) {
    const auto& lines = doc_.lines;
    auto header = scan::split_cells(lines[i]);
    if (header.size() < 2) return 0;
    std::vector<Field> cols;
    bool po_col = false;
    std::size_t known = 0;
    bool kg = false;
    for (const auto& h : header) {
      std::string k = normalize_key(h);
      Field f = match_key(k);
      if (f == Field::Po) {
        if (po_col) f = Field::None;  // a second PO-ish column (e.g. "PO type") is not the PO
        po_col = true;
      }
      if (f == Field::Weight && word(k, "kg")) kg = true;
      known += f != Field::None;
      cols.push_back(f);
    }
    if (!po_col || known < 2) return 0;
    group_.clear();
    std::size_t j = i + 1;
    for (; j < lines.size(); ++j) {
      std::string_view row = scan::trim(lines[j]);
      if (row.empty()) break;
      if (scan::is_rule_line(row)) continue;
      auto cells = scan::split_cells(row);
      if (cells.size() < 2) break;
      std::size_t po_index = std::string::npos;
      for (std::size_t c = 0; c < cols.size() && c < cells.size(); ++c) {
        if (cols[c] != Field::Po) continue;
        auto tokens = scan::split_po_list(cells[c]);
        if (!tokens.empty()) {
          po_index = add_po(tokens[0]);
          if (po_index == std::string::npos) po_index = std::string::npos - 1;  // flagged row
        }
      }
      if (po_index == std::string::npos) {
        std::string first = scan::lower(cells[0]);
        if (first.rfind("total", 0) == 0) continue;  // totals row
        break;
      }
      if (po_index == std::string::npos - 1) continue;
      for (std::size_t c = 0; c < cols.size() && c < cells.size(); ++c) {
        Field f = cols[c];
        if (f == Field::None || f == Field::Po || cells[c].empty()) continue;
        if (f == Field::Vendor || f == Field::ShipFrom || f == Field::ReadyDate) {
          apply_global(f, cells[c]);
        } else if (f == Field::Weight && kg && cells[c].find("lb") == std::string::npos &&
                   cells[c].find("kg") == std::string::npos) {
          apply(result.purchase_orders[po_index], f, cells[c] + " kg");
        } else {
          apply(result.purchase_orders[po_index], f, cells[c]);
        }
      }
    }
    return j - i;
  }
};

const char* find_any(const std::string& text, std::initializer_list<const char*> phrases) {
  for (const char* p : phrases)
    if (text.find(p) != std::string::npos) return p;
  return nullptr;
}

void classify(const MailDocument& doc, Extractor& ex, RoutingRequest& rr) {
  std::string subject = scan::lower(doc.subject);
  for (const auto& s : doc.inner_subjects) subject += " | " + scan::lower(s);
  std::string body;
  for (const auto& l : doc.lines) {
    body += scan::lower(l);
    body += '\n';
  }
  auto other = [&](std::string why) {
    rr.classification = "other";
    rr.classification_reason = std::move(why);
  };
  static const std::initializer_list<const char*> routing_phrases = {
      "routing request", "route request", "request routing", "please route", "route the following",
      "routing for",     "freight ready", "ready date",      "ship window",  "pickup request",
      "ready for pickup", "ready for pick-up", "routing instructions request"};
  static const std::initializer_list<const char*> strong_subject = {"routing request", "route request",
                                                                    "please route", "request routing"};
  if (!doc.auto_reply.empty()) return other("automatic reply (" + doc.auto_reply + ")");
  if (const char* p = find_any(subject, {"out of office", "automatic reply", "autoreply", "auto-reply", "auto reply"}))
    return other(std::string("automatic reply (subject says '") + p + "')");
  if (!doc.bulk.empty()) return other("bulk mail or newsletter (" + doc.bulk + ")");
  const char* strong = find_any(subject, strong_subject);
  if (const char* p = find_any(subject, {"chargeback", "charge back", "charge-back", "invoice", "newsletter",
                                         "remittance", "payment", "statement", "undeliverable", "webinar"}))
    if (!strong) return other(std::string("subject says '") + p + "', not a routing request");
  if (find_any(body, {"unsubscribe", "view this email in your browser", "view in browser"}))
    return other("newsletter (has an unsubscribe or view-in-browser link)");
  const char* subject_phrase = find_any(subject, routing_phrases);
  bool subject_routing = subject_phrase || scan::contains_word(subject, "routing") || scan::contains_word(subject, "route");
  if (!subject_routing)
    if (const char* p = find_any(body, {"chargeback", "charge-back", "invoice number", "amount due", "remittance"}))
      return other(std::string("about a ") + p + ", not a routing request");
  const char* body_phrase = find_any(body, routing_phrases);
  const char* phrase = subject_phrase ? subject_phrase : body_phrase;
  if (!phrase && subject_routing) phrase = scan::contains_word(subject, "routing") ? "routing" : "route";
  if (!phrase) {
    if (ex.po_candidates) return other("mentions purchase orders but does not ask for routing");
    return other("no routing-request wording and no purchase orders");
  }
  if (ex.po_candidates == 0) return other(std::string("says '") + phrase + "' but names no purchase order");
  rr.classification = "amazon_routing_request";
  rr.classification_reason = std::string("'") + phrase + "' in the " + (subject_phrase || subject_routing ? "subject" : "body") +
                             " and " + std::to_string(rr.purchase_orders.size()) + " purchase order" +
                             (rr.purchase_orders.size() == 1 ? "" : "s");
  if (rr.purchase_orders.empty()) rr.warnings.push_back("no valid purchase order: every PO given was flagged");
}

}  // namespace

RoutingRequest extract(const std::string& raw_message) { return extract(raw_message, ExtractOptions{}); }

RoutingRequest extract(const std::string& raw_message, const ExtractOptions& options) {
  MailDocument doc = read_mail(raw_message, options);
  Extractor ex(doc);
  ex.run();
  RoutingRequest rr = std::move(ex.result);
  if (!doc.subject.empty()) rr.subject = doc.subject;
  if (!doc.message_id.empty()) rr.message_id = doc.message_id;
  classify(doc, ex, rr);
  if (!rr.is_routing_request()) {
    // Not ours to route: nothing extracted is used, so field-level warnings would only be noise.
    rr.vendor_code.reset();
    rr.ship_from.reset();
    rr.freight_ready_date.reset();
    rr.purchase_orders.clear();
    rr.warnings.clear();
  }
  std::vector<std::string> all = doc.warnings;
  all.insert(all.end(), rr.warnings.begin(), rr.warnings.end());
  rr.warnings = std::move(all);
  return rr;
}

}  // namespace dockhand::intake
