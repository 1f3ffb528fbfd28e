// Labels, their values and the POs in one line of running text (sentences, "Label: value", lists).
#include "reader_internal.h"

#include <algorithm>

namespace dockhand::intake::reader_detail {

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

}  // namespace

std::size_t Reader::number_before(std::string_view s, std::size_t label_begin) {
  std::size_t b = label_begin;
  while (b > 0 && (s[b - 1] == ' ' || s[b - 1] == '(')) --b;
  std::size_t e = b;
  while (b > 0 && (scan::is_digit(s[b - 1]) || s[b - 1] == ',' || s[b - 1] == '.')) --b;
  while (b < e && !scan::is_digit(s[b])) ++b;
  if (e > b && (b == 0 || !scan::is_alnum(s[b - 1]))) return b;
  return std::string_view::npos;
}

std::size_t Reader::consumed(Field f, std::string_view value, bool explicit_) const {
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

Reader::LineFields Reader::scan_line(std::string_view text, const std::string& place, bool cells) {
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

std::vector<scan::PoToken> Reader::bare_pos(std::string_view text) {
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

std::size_t Reader::read_line(std::size_t i) {
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

}  // namespace dockhand::intake::reader_detail
