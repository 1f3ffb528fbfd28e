#include "reader_internal.h"

#include <algorithm>

namespace dockhand::intake {
namespace reader_detail {

ReadResult Reader::run() {
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

void Reader::warn(std::string w) {
  for (const auto& e : rr().warnings)
    if (e == w) return;
  rr().warnings.push_back(std::move(w));
}

std::size_t Reader::add_po(const scan::PoToken& t, const std::string& place) {
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

std::vector<std::size_t> Reader::add_pos(const std::vector<scan::PoToken>& tokens, const std::string& place) {
  std::vector<std::size_t> out;
  for (const auto& t : tokens) {
    std::size_t k = add_po(t, place);
    if (k != std::string::npos && std::find(out.begin(), out.end(), k) == out.end()) out.push_back(k);
  }
  return out;
}

void Reader::find_loose_tokens() {
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

}  // namespace reader_detail

using reader_detail::Reader;

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

