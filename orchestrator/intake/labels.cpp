#include "labels.h"

#include "text_scan.h"

#include <algorithm>
#include <unordered_map>

namespace dockhand::intake {
namespace {

// How a synonym may be used. Strict ones are only labels when a separator follows (':', '=', a tab, a
// table header): "Start: 2/2" is a field, "we start loading" is not.
enum Use : unsigned { Plain = 0, Strict = 1, Unit = 2 };

struct Synonym {
  Field field;
  const char* words;  // normalized: lower case, single spaces
  unsigned use = Plain;
};

// The table. Add a synonym here and every reader (lines, tables, sentences, attachments) knows it.
const Synonym kSynonyms[] = {
    // purchase orders
    {Field::Po, "po"}, {Field::Po, "pos"}, {Field::Po, "p o"}, {Field::Po, "p o s"}, {Field::Po, "po number"},
    {Field::Po, "po numbers"}, {Field::Po, "po no"}, {Field::Po, "po nos"}, {Field::Po, "purchase order"},
    {Field::Po, "purchase orders"}, {Field::Po, "purchase order number"}, {Field::Po, "purchase order numbers"},
    {Field::Po, "purchase order no"}, {Field::Po, "amazon po"}, {Field::Po, "amazon pos"}, {Field::Po, "po id"},
    // destination
    {Field::Fc, "fc"}, {Field::Fc, "fcs"}, {Field::Fc, "destination fc"}, {Field::Fc, "destination"},
    {Field::Fc, "dest"}, {Field::Fc, "dest fc"}, {Field::Fc, "ship to"}, {Field::Fc, "ship to fc"},
    {Field::Fc, "fulfillment center"}, {Field::Fc, "fulfilment center"}, {Field::Fc, "fulfillment centre"},
    {Field::Fc, "fulfilment centre"}, {Field::Fc, "amazon fc"}, {Field::Fc, "deliver to"}, {Field::Fc, "delivery fc"},
    {Field::Fc, "destination warehouse"}, {Field::Fc, "receiving fc"}, {Field::Fc, "fc code"},
    {Field::Fc, "destination fulfillment center"},
    // ship window
    {Field::Window, "ship window"}, {Field::Window, "shipping window"}, {Field::Window, "shipment window"},
    {Field::Window, "delivery window"}, {Field::Window, "pickup window"}, {Field::Window, "pick up window"},
    {Field::Window, "window"}, {Field::Window, "ship between"}, {Field::Window, "ships between"},
    {Field::Window, "ship dates"}, {Field::Window, "ship date range"}, {Field::Window, "deliver between"},
    {Field::Window, "delivery between"}, {Field::Window, "ship window dates"}, {Field::Window, "delivery dates"},
    {Field::WindowStart, "ship window start"}, {Field::WindowStart, "window start"}, {Field::WindowStart, "start", Strict},
    {Field::WindowStart, "start date", Strict}, {Field::WindowStart, "ship start"}, {Field::WindowStart, "ship start date"},
    {Field::WindowStart, "earliest ship date"}, {Field::WindowStart, "earliest ship"}, {Field::WindowStart, "earliest", Strict},
    {Field::WindowStart, "window open"},
    {Field::WindowStart, "window opens"}, {Field::WindowStart, "ship not before"}, {Field::WindowStart, "not before"},
    {Field::WindowStart, "first ship date"}, {Field::WindowStart, "delivery window start"},
    {Field::WindowStart, "delivery start"}, {Field::WindowStart, "window begin"}, {Field::WindowStart, "window begins"},
    {Field::WindowStart, "ship window begin"}, {Field::WindowStart, "ship window open"},
    {Field::WindowEnd, "ship window end"}, {Field::WindowEnd, "window end"}, {Field::WindowEnd, "end", Strict},
    {Field::WindowEnd, "end date", Strict}, {Field::WindowEnd, "ship end"}, {Field::WindowEnd, "ship end date"},
    {Field::WindowEnd, "latest ship date"}, {Field::WindowEnd, "latest ship"}, {Field::WindowEnd, "latest", Strict},
    {Field::WindowEnd, "window close"},
    {Field::WindowEnd, "window closes"}, {Field::WindowEnd, "ship not after"}, {Field::WindowEnd, "not after"},
    {Field::WindowEnd, "last ship date"}, {Field::WindowEnd, "delivery window end"}, {Field::WindowEnd, "delivery end"},
    {Field::WindowEnd, "ship window close"},
    // freight ready
    {Field::ReadyDate, "freight ready"}, {Field::ReadyDate, "freight ready date"}, {Field::ReadyDate, "cargo ready"},
    {Field::ReadyDate, "cargo ready date"}, {Field::ReadyDate, "ready date"}, {Field::ReadyDate, "ready"},
    {Field::ReadyDate, "ready on"}, {Field::ReadyDate, "ready by"}, {Field::ReadyDate, "ready for pickup"},
    {Field::ReadyDate, "ready for pick up"}, {Field::ReadyDate, "ready to ship"}, {Field::ReadyDate, "goods ready"},
    {Field::ReadyDate, "goods ready date"}, {Field::ReadyDate, "crd"}, {Field::ReadyDate, "available for pickup"},
    {Field::ReadyDate, "pickup ready date"}, {Field::ReadyDate, "freight available"}, {Field::ReadyDate, "cargo available"},
    {Field::ReadyDate, "freight ready date frd"}, {Field::ReadyDate, "frd"}, {Field::ReadyDate, "available date"},
    {Field::ReadyDate, "ready for pickup date"}, {Field::ReadyDate, "freight available date"},
    {Field::ReadyDate, "ready to ship date"},
    // ship from
    {Field::ShipFrom, "ship from"}, {Field::ShipFrom, "ships from"}, {Field::ShipFrom, "shipping from"},
    {Field::ShipFrom, "shipped from"}, {Field::ShipFrom, "origin", Strict}, {Field::ShipFrom, "pickup location"},
    {Field::ShipFrom, "pick up location"}, {Field::ShipFrom, "pickup from"}, {Field::ShipFrom, "pick up from"},
    {Field::ShipFrom, "pickup address", Strict}, {Field::ShipFrom, "ship point"}, {Field::ShipFrom, "ship from location"},
    {Field::ShipFrom, "origin warehouse"}, {Field::ShipFrom, "ship from warehouse"}, {Field::ShipFrom, "warehouse", Strict},
    {Field::ShipFrom, "ship from dc"}, {Field::ShipFrom, "origin location"}, {Field::ShipFrom, "pickup site"},
    // vendor
    {Field::Vendor, "vendor"}, {Field::Vendor, "vendor code"}, {Field::Vendor, "vendor id"},
    {Field::Vendor, "vendor number"}, {Field::Vendor, "vendor no"}, {Field::Vendor, "amazon vendor code"},
    {Field::Vendor, "supplier code"}, {Field::Vendor, "vendor cd"},
    // quantities
    {Field::Cartons, "cartons", Unit}, {Field::Cartons, "carton", Unit}, {Field::Cartons, "ctns", Unit},
    {Field::Cartons, "ctn", Unit}, {Field::Cartons, "cases", Unit}, {Field::Cartons, "case", Unit | Strict},
    {Field::Cartons, "boxes", Unit}, {Field::Cartons, "box", Unit | Strict}, {Field::Cartons, "carton count"},
    {Field::Cartons, "case count"}, {Field::Cartons, "box count"}, {Field::Cartons, "number of cartons"},
    {Field::Cartons, "no of cartons"}, {Field::Cartons, "total cartons"}, {Field::Cartons, "cs", Unit | Strict},
    {Field::Cartons, "carton qty"}, {Field::Cartons, "cartons qty"}, {Field::Cartons, "qty cartons"},
    {Field::Cartons, "number of cases"}, {Field::Cartons, "total cases"}, {Field::Cartons, "number of boxes"},
    {Field::Pallets, "pallets", Unit}, {Field::Pallets, "pallet", Unit}, {Field::Pallets, "plts", Unit},
    {Field::Pallets, "plt", Unit}, {Field::Pallets, "skids", Unit}, {Field::Pallets, "skid", Unit},
    {Field::Pallets, "pallet count"}, {Field::Pallets, "skid count"}, {Field::Pallets, "number of pallets"},
    {Field::Pallets, "total pallets"}, {Field::Pallets, "pallet qty"}, {Field::Pallets, "number of skids"},
    {Field::Pallets, "total skids"}, {Field::Pallets, "pallets qty"},
    {Field::Weight, "weight"}, {Field::Weight, "wt"}, {Field::Weight, "gross weight"}, {Field::Weight, "gross wt"},
    {Field::Weight, "total weight"}, {Field::Weight, "shipment weight"}, {Field::Weight, "weight lb"},
    {Field::Weight, "weight lbs"}, {Field::Weight, "weight kg"}, {Field::Weight, "weight kgs"},
    {Field::Weight, "gw", Strict}, {Field::Weight, "lbs", Unit}, {Field::Weight, "lb", Unit},
    {Field::Weight, "pounds", Unit}, {Field::Weight, "kg", Unit}, {Field::Weight, "kgs", Unit},
    {Field::Weight, "kilograms", Unit}, {Field::Weight, "est weight"}, {Field::Weight, "estimated weight"},
    {Field::Weight, "total wt"}, {Field::Weight, "gross weight lbs"}, {Field::Weight, "gross weight kg"},
    // numbers that are not POs
    {Field::OtherReference, "invoice"}, {Field::OtherReference, "invoice number"}, {Field::OtherReference, "bol"},
    {Field::OtherReference, "bill of lading"}, {Field::OtherReference, "asn"}, {Field::OtherReference, "tracking"},
    {Field::OtherReference, "tracking number"}, {Field::OtherReference, "pro number"}, {Field::OtherReference, "pro", Strict},
    {Field::OtherReference, "reference", Strict}, {Field::OtherReference, "ref", Strict},
    {Field::OtherReference, "reference number"}, {Field::OtherReference, "load number"}, {Field::OtherReference, "load id"},
    {Field::OtherReference, "appointment"}, {Field::OtherReference, "appointment number"},
    {Field::OtherReference, "confirmation number"}, {Field::OtherReference, "seal", Strict},
    {Field::OtherReference, "trailer", Strict}, {Field::OtherReference, "isa"}, {Field::OtherReference, "arn"},
    {Field::OtherReference, "shipment id"}, {Field::OtherReference, "case number"}, {Field::OtherReference, "ticket"},
};

struct Entry {
  Field field;
  std::vector<std::string> words;
  unsigned use;
};

// first word -> synonyms starting with it, longest first
const std::unordered_map<std::string, std::vector<Entry>>& index() {
  static const auto table = [] {
    std::unordered_map<std::string, std::vector<Entry>> t;
    for (const auto& s : kSynonyms) {
      Entry e{s.field, {}, s.use};
      std::string_view w = s.words;
      std::size_t pos = 0;
      while (pos < w.size()) {
        std::size_t sp = w.find(' ', pos);
        if (sp == std::string_view::npos) sp = w.size();
        e.words.emplace_back(w.substr(pos, sp - pos));
        pos = sp + 1;
      }
      t[e.words[0]].push_back(std::move(e));
    }
    for (auto& [k, v] : t)
      std::stable_sort(v.begin(), v.end(), [](const Entry& a, const Entry& b) { return a.words.size() > b.words.size(); });
    return t;
  }();
  return table;
}

struct LowerWord {
  std::string text;
  std::size_t begin, end;
};

// Words for label matching: "P.O." -> "p", "o"; "PO#" -> "po"; "Ctns." -> "ctns".
std::vector<LowerWord> label_words(std::string_view s) {
  std::vector<LowerWord> out;
  for (const auto& w : scan::words(s)) out.push_back({scan::lower(w.text), w.begin, w.end});
  return out;
}

}  // namespace

const char* field_name(Field f) {
  switch (f) {
    case Field::Po: return "PO";
    case Field::Fc: return "destination FC";
    case Field::Window: return "ship window";
    case Field::WindowStart: return "ship window start";
    case Field::WindowEnd: return "ship window end";
    case Field::ReadyDate: return "freight ready date";
    case Field::ShipFrom: return "ship from";
    case Field::Vendor: return "vendor code";
    case Field::Cartons: return "cartons";
    case Field::Pallets: return "pallets";
    case Field::Weight: return "weight";
    case Field::OtherReference: return "reference";
    default: return "field";
  }
}

const char* field_json_name(Field f) {
  switch (f) {
    case Field::Po: return "po";
    case Field::Fc: return "destination_fc";
    case Field::Window:
    case Field::WindowStart: return "ship_window_start";
    case Field::WindowEnd: return "ship_window_end";
    case Field::ReadyDate: return "freight_ready_date";
    case Field::ShipFrom: return "ship_from";
    case Field::Vendor: return "vendor_code";
    case Field::Cartons: return "cartons";
    case Field::Pallets: return "pallets";
    case Field::Weight: return "weight_lb";
    default: return "";
  }
}

bool is_request_level(Field f) { return f == Field::Vendor || f == Field::ShipFrom || f == Field::ReadyDate; }
bool is_shared(Field f) {
  return f == Field::Fc || f == Field::Window || f == Field::WindowStart || f == Field::WindowEnd;
}
bool is_quantity(Field f) { return f == Field::Cartons || f == Field::Pallets || f == Field::Weight; }

std::string normalize_label(std::string_view key) {
  std::string out;
  out.reserve(key.size());
  for (char c : key) {
    if (c == '\'') continue;
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) out += c;
    else if (c >= 'A' && c <= 'Z') out += char(c - 'A' + 'a');
    else if (!out.empty() && out.back() != ' ') out += ' ';
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

Field match_label(std::string_view text) {
  auto ws = label_words(text);
  if (ws.empty() || ws.size() > 7) return Field::None;
  const auto& idx = index();
  Field best = Field::None;
  std::size_t best_len = 0;
  for (std::size_t i = 0; i < ws.size(); ++i) {
    auto it = idx.find(ws[i].text);
    if (it == idx.end()) continue;
    for (const auto& e : it->second) {
      if (e.words.size() <= best_len || i + e.words.size() > ws.size()) continue;
      bool all = true;
      for (std::size_t k = 1; k < e.words.size() && all; ++k) all = ws[i + k].text == e.words[k];
      if (all) {
        best = e.field;
        best_len = e.words.size();
      }
    }
  }
  return best;
}

std::vector<LabelHit> find_labels(std::string_view line) {
  std::vector<LabelHit> hits;
  auto ws = label_words(line);
  const auto& idx = index();
  for (std::size_t i = 0; i < ws.size();) {
    auto it = idx.find(ws[i].text);
    const Entry* match = nullptr;
    if (it != idx.end()) {
      for (const auto& e : it->second) {
        if (i + e.words.size() > ws.size()) continue;
        bool all = true;
        for (std::size_t k = 1; k < e.words.size() && all; ++k) {
          // words of one label are next to each other (only spaces, dots, '/', '-' or '#' between)
          std::string_view gap = line.substr(ws[i + k - 1].end, ws[i + k].begin - ws[i + k - 1].end);
          all = ws[i + k].text == e.words[k] && gap.size() <= 3 && gap.find_first_not_of(" .-/#_") == std::string_view::npos;
        }
        if (all) {
          match = &e;
          break;
        }
      }
    }
    if (!match) {
      ++i;
      continue;
    }
    std::size_t last = i + match->words.size() - 1;
    LabelHit hit{match->field, ws[i].begin, ws[last].end, (match->use & Unit) != 0};
    // "PO#", "Ctns." and "(lbs)": the label's own punctuation belongs to it.
    while (hit.end < line.size() && (line[hit.end] == '#' || line[hit.end] == '.' || line[hit.end] == ')') &&
           !(hit.end + 1 < line.size() && scan::is_digit(line[hit.end + 1]) && line[hit.end] == '.'))
      ++hit.end;
    if (match->use & Strict) {
      // only with a separator after it
      std::size_t k = hit.end;
      while (k < line.size() && line[k] == ' ') ++k;
      bool sep = k < line.size() && (line[k] == ':' || line[k] == '=' || line[k] == '\t');
      bool unit_before = (match->use & Unit) && i > 0 && scan::is_digit(line[ws[i - 1].end - 1]);
      if (!sep && !unit_before && hit.end < line.size() && line[hit.end] != '\t') {
        i = last + 1;
        continue;
      }
    }
    hits.push_back(hit);
    i = last + 1;
  }
  return hits;
}

}  // namespace dockhand::intake
