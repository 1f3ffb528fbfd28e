// A labelled value applied to the POs it belongs to, or to the request (vendor, ship from, ready date).
#include "reader_internal.h"

#include <nlohmann/json.hpp>

namespace dockhand::intake::reader_detail {

std::optional<std::string> Reader::date_value(const FieldValue& fv, std::size_t nth, std::size_t* count) {
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

void Reader::apply(PurchaseOrderRequest& po, const FieldValue& fv) {
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

void Reader::apply_request(const FieldValue& fv) {
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

std::string Reader::pos_text(const std::vector<std::size_t>& group, const RoutingRequest& r) {
  std::string pos;
  for (std::size_t k : group) pos += (pos.empty() ? "" : ", ") + r.purchase_orders[k].po;
  return pos;
}

void Reader::apply_to(const std::vector<std::size_t>& targets, const FieldValue& fv, bool each) {
  if (targets.size() > 1 && is_quantity(fv.field) && !each) {
    warn(std::string(field_name(fv.field)) + " '" + std::string(scan::trim(fv.value)).substr(0, 30) + "' given for POs " +
         pos_text(targets, rr()) + " together: not split between them (" + fv.place + ")");
    return;
  }
  for (std::size_t k : targets) apply(rr().purchase_orders[k], fv);
}

void Reader::apply_pending() {
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

void Reader::check_windows() {
  for (auto& po : rr().purchase_orders)
    if (po.ship_window_start && po.ship_window_end && *po.ship_window_end < *po.ship_window_start)
      warn("PO " + po.po + ": ship window ends (" + *po.ship_window_end + ") before it starts (" +
           *po.ship_window_start + ")");
}

}  // namespace dockhand::intake::reader_detail
