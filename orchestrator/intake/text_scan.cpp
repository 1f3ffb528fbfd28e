#include "text_scan.h"

#include <array>
#include <cctype>
#include <cstdio>

namespace dockhand::intake::scan {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_alnum(char c) { return is_digit(c) || is_alpha(c); }
char to_lower(char c) { return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c; }

bool leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }
int days_in_month(int y, int m) {
  static const std::array<int, 12> days{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return (m == 2 && leap(y)) ? 29 : days[m - 1];
}

DateHit make_date(std::string raw, int y, int m, int d) {
  DateHit hit;
  hit.raw = std::move(raw);
  if (y < 100) y += 2000;
  if (m < 1 || m > 12) {
    hit.problem = "month " + std::to_string(m) + " does not exist";
  } else if (d < 1 || d > days_in_month(y, m)) {
    hit.problem = "day " + std::to_string(d) + " does not exist in " + std::to_string(y) + "-" +
                  (m < 10 ? "0" : "") + std::to_string(m);
  } else if (y < 2000 || y > 2099) {
    hit.problem = "year " + std::to_string(y) + " is out of range";
  } else {
    char buf[48];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", y, m, d);
    hit.iso = buf;
    hit.valid = true;
  }
  return hit;
}

// Month number for a month name or abbreviation ("nov", "november", "sept"), 0 if none.
int month_from_word(std::string_view w) {
  static const std::array<const char*, 12> names{"january", "february", "march",     "april",   "may",      "june",
                                                 "july",    "august",   "september", "october", "november", "december"};
  if (w.size() < 3) return 0;
  std::string l = lower(w);
  for (int i = 0; i < 12; ++i) {
    std::string_view full = names[i];
    if (l == full || l == full.substr(0, 3) || (i == 8 && l == "sept")) return i + 1;
  }
  return 0;
}

std::size_t digits_at(std::string_view s, std::size_t i) {
  std::size_t n = 0;
  while (i + n < s.size() && is_digit(s[i + n])) ++n;
  return n;
}
int to_int(std::string_view s) {
  int v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  return v;
}
std::size_t skip(std::string_view s, std::size_t i, std::string_view chars) {
  while (i < s.size() && chars.find(s[i]) != std::string_view::npos) ++i;
  return i;
}

}  // namespace

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = to_lower(c);
  return out;
}
std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'a' && c <= 'z') c = char(c - 'a' + 'A');
  return out;
}
std::string_view trim(std::string_view s) {
  auto space = [](unsigned char c) { return std::isspace(c) || c == 0xA0; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  // U+00A0 (NO-BREAK SPACE) in UTF-8 is C2 A0: strip stray C2 left behind.
  while (!s.empty() && (unsigned char)s.front() == 0xC2 && s.size() > 1 && (unsigned char)s[1] == 0xA0) s.remove_prefix(2);
  return s;
}

bool contains_word(std::string_view hay, std::string_view word) {
  std::size_t pos = 0;
  while ((pos = hay.find(word, pos)) != std::string_view::npos) {
    bool left = pos == 0 || !is_alnum(hay[pos - 1]);
    bool right = pos + word.size() >= hay.size() || !is_alnum(hay[pos + word.size()]);
    if (left && right) return true;
    ++pos;
  }
  return false;
}

std::vector<DateHit> find_dates(std::string_view s) {
  std::vector<DateHit> hits;
  std::size_t i = 0;
  while (i < s.size()) {
    char c = s[i];
    bool boundary = i == 0 || !is_alnum(s[i - 1]);
    if (boundary && is_digit(c)) {
      std::size_t n1 = digits_at(s, i);
      std::size_t j = i + n1;
      // Numeric forms: A<sep>B<sep>C with the same separator twice.
      if (j < s.size() && (s[j] == '/' || s[j] == '-' || s[j] == '.') && n1 <= 4) {
        char sep = s[j];
        std::size_t n2 = digits_at(s, j + 1);
        std::size_t k = j + 1 + n2;
        if (n2 >= 1 && n2 <= 2 && k < s.size() && s[k] == sep) {
          std::size_t n3 = digits_at(s, k + 1);
          std::size_t end = k + 1 + n3;
          bool right = end >= s.size() || !is_alnum(s[end]);
          int a = to_int(s.substr(i, n1)), b = to_int(s.substr(j + 1, n2)), c3 = to_int(s.substr(k + 1, n3));
          std::string raw(s.substr(i, end - i));
          if (right && n1 == 4 && n3 >= 1 && n3 <= 2 && sep != '.') {
            hits.push_back(make_date(raw, a, b, c3));
            i = end;
            continue;
          }
          if (right && n1 <= 2 && (n3 == 4 || n3 == 2)) {
            if (sep == '.') {
              hits.push_back(make_date(raw, c3, b, a));  // 24.11.2026 is day-first by convention
            } else {
              DateHit hit = make_date(raw, c3, a, b);
              if (!hit.valid && a > 12 && b <= 12) hit.problem = "not a month/day/year date (day first?)";
              hits.push_back(hit);
            }
            i = end;
            continue;
          }
        }
      }
      // "24 Nov 2026" / "24th November, 2026"
      if (n1 <= 2) {
        std::size_t k = j;
        if (k + 1 < s.size() && is_alpha(s[k]) && is_alpha(s[k + 1])) {
          std::string_view suf = s.substr(k, 2);
          std::string l = lower(suf);
          if (l == "st" || l == "nd" || l == "rd" || l == "th") k += 2;
        }
        std::size_t w = skip(s, k, " ");
        std::size_t we = w;
        while (we < s.size() && is_alpha(s[we])) ++we;
        int month = we > w ? month_from_word(s.substr(w, we - w)) : 0;
        if (month && we > k) {
          std::size_t y = skip(s, we, " .,");
          std::size_t ny = digits_at(s, y);
          if (ny == 4 && (y + 4 >= s.size() || !is_alnum(s[y + 4]))) {
            hits.push_back(make_date(std::string(s.substr(i, y + 4 - i)), to_int(s.substr(y, 4)), month,
                                     to_int(s.substr(i, n1))));
            i = y + 4;
            continue;
          }
        }
      }
      i = j;
      continue;
    }
    if (boundary && is_alpha(c)) {
      std::size_t we = i;
      while (we < s.size() && is_alpha(s[we])) ++we;
      int month = month_from_word(s.substr(i, we - i));
      if (month) {
        // "Nov 24, 2026", "November 24th 2026", "Nov. 24 2026"
        std::size_t d = skip(s, we, " .");
        std::size_t nd = digits_at(s, d);
        if (nd >= 1 && nd <= 2 && d > we) {
          std::size_t k = d + nd;
          if (k + 1 < s.size() && is_alpha(s[k]) && is_alpha(s[k + 1])) {
            std::string l = lower(s.substr(k, 2));
            if (l == "st" || l == "nd" || l == "rd" || l == "th") k += 2;
          }
          std::size_t y = skip(s, k, " ,");
          std::size_t ny = digits_at(s, y);
          if (y > k && ny == 4 && (y + 4 >= s.size() || !is_alnum(s[y + 4]))) {
            hits.push_back(make_date(std::string(s.substr(i, y + 4 - i)), to_int(s.substr(y, 4)), month,
                                     to_int(s.substr(d, nd))));
            i = y + 4;
            continue;
          }
        }
      }
      i = we;
      continue;
    }
    ++i;
  }
  return hits;
}

std::optional<long long> first_integer(std::string_view s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (!is_digit(s[i])) continue;
    if (i > 0 && (is_alpha(s[i - 1]))) {  // part of a code like ABE8
      while (i < s.size() && is_alnum(s[i])) ++i;
      continue;
    }
    long long v = 0;
    std::size_t j = i;
    while (j < s.size() && (is_digit(s[j]) || (s[j] == ',' && j + 3 < s.size() + 0 && digits_at(s, j + 1) == 3))) {
      if (s[j] != ',') v = v * 10 + (s[j] - '0');
      ++j;
      if (v > 1000000000LL) return std::nullopt;
    }
    if (j < s.size() && is_alpha(s[j]) && !(j + 1 < s.size() && is_alpha(s[j + 1]))) {
      continue;  // "2K4..." style token, not a count
    }
    return v;
  }
  return std::nullopt;
}

std::optional<double> first_weight_lb(std::string_view s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (!is_digit(s[i]) || (i > 0 && is_alpha(s[i - 1]))) continue;
    std::string num;
    std::size_t j = i;
    while (j < s.size() && (is_digit(s[j]) || s[j] == '.' || (s[j] == ',' && digits_at(s, j + 1) == 3))) {
      if (s[j] != ',') num += s[j];
      ++j;
    }
    if (!num.empty() && num.back() == '.') num.pop_back();
    double v = 0;
    try {
      v = std::stod(num);
    } catch (...) {
      return std::nullopt;
    }
    std::size_t u = skip(s, j, " ");
    std::size_t ue = u;
    while (ue < s.size() && is_alpha(s[ue])) ++ue;
    std::string unit = lower(s.substr(u, ue - u));
    if (unit == "kg" || unit == "kgs" || unit == "kilograms" || unit == "kilogram") {
      v = v * 2.2046226218;
      v = double((long long)(v * 10 + 0.5)) / 10;  // one decimal, as written weights are
    }
    return v;
  }
  return std::nullopt;
}

std::vector<PoToken> split_po_list(std::string_view s) {
  std::vector<PoToken> out;
  std::size_t stop = s.find('(');
  if (stop != std::string_view::npos) s = s.substr(0, stop);
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && !is_alnum(s[i]) && s[i] != '-' && s[i] != '_') ++i;
    std::size_t j = i;
    while (j < s.size() && (is_alnum(s[j]) || s[j] == '-' || s[j] == '_')) ++j;
    std::string_view tok = s.substr(i, j - i);
    i = j;
    while (!tok.empty() && (tok.back() == '-' || tok.back() == '_')) tok.remove_suffix(1);
    while (!tok.empty() && (tok.front() == '-' || tok.front() == '_')) tok.remove_prefix(1);
    if (tok.empty()) continue;
    bool has_digit = false;
    for (char c : tok) has_digit |= is_digit(c);
    if (!has_digit) continue;
    PoToken t;
    t.po = upper(tok);
    bool alnum = true;
    for (char c : tok) alnum &= is_alnum(c);
    if (!alnum) {
      t.problem = "PO " + t.po + " has characters other than letters and digits";
    } else if (t.po.size() != 8) {
      t.problem = "PO " + t.po + " is " + std::to_string(t.po.size()) + " characters, Amazon POs have 8";
    } else {
      t.valid = true;
    }
    out.push_back(std::move(t));
  }
  return out;
}

bool is_po_list_line(std::string_view s) {
  s = trim(s);
  while (!s.empty() && (s.front() == '-' || s.front() == '*' || s.front() == '\xE2' || s.front() == '\x80' ||
                        s.front() == '\xA2' || s.front() == ' '))
    s.remove_prefix(1);  // bullets, including U+2022 as E2 80 A2
  if (s.empty()) return false;
  std::size_t tokens = 0;
  std::size_t i = 0;
  while (i < s.size()) {
    if (s[i] == ',' || s[i] == ';' || s[i] == ' ' || s[i] == '\t' || s[i] == '#' || s[i] == '/' || s[i] == '|' || s[i] == '&') {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < s.size() && is_alnum(s[j])) ++j;
    if (j == i) return false;
    std::string_view tok = s.substr(i, j - i);
    bool digit = false;
    for (char c : tok) digit |= is_digit(c);
    std::string l = lower(tok);
    // "1." numbering is fine; anything else must look like a PO.
    if (j < s.size() && s[j] == '.' && tokens == 0 && tok.size() <= 2 && digit) {
      i = j + 1;
      continue;
    }
    if (!digit && l != "and") return false;
    if (digit && (tok.size() < 5 || tok.size() > 12)) return false;
    if (digit) ++tokens;
    i = j;
  }
  return tokens > 0;
}

std::string find_fc_code(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && !is_alnum(s[i])) ++i;
    std::size_t j = i;
    while (j < s.size() && is_alnum(s[j])) ++j;
    std::string_view tok = s.substr(i, j - i);
    if (tok.size() == 4 && is_alpha(tok[0]) && is_alpha(tok[1]) && is_alpha(tok[2]) && is_digit(tok[3]))
      return upper(tok);
    i = j;
  }
  return {};
}

std::vector<std::string> split_cells(std::string_view line) {
  std::vector<std::string> cells;
  auto push = [&](std::string_view c) { cells.emplace_back(trim(c)); };
  if (line.find('\t') != std::string_view::npos) {
    std::size_t start = 0, pos;
    while ((pos = line.find('\t', start)) != std::string_view::npos) {
      push(line.substr(start, pos - start));
      start = pos + 1;
    }
    push(line.substr(start));
    return cells;
  }
  if (line.find('|') != std::string_view::npos) {
    std::string_view t = trim(line);
    if (!t.empty() && t.front() == '|') t.remove_prefix(1);
    if (!t.empty() && t.back() == '|') t.remove_suffix(1);
    std::size_t start = 0, pos;
    while ((pos = t.find('|', start)) != std::string_view::npos) {
      push(t.substr(start, pos - start));
      start = pos + 1;
    }
    push(t.substr(start));
    return cells;
  }
  std::string_view t = trim(line);
  std::size_t start = 0;
  for (std::size_t i = 0; i + 1 < t.size(); ++i) {
    if (t[i] == ' ' && t[i + 1] == ' ') {
      push(t.substr(start, i - start));
      while (i < t.size() && t[i] == ' ') ++i;
      start = i;
    }
  }
  push(t.substr(start));
  return cells;
}

bool is_rule_line(std::string_view line) {
  line = trim(line);
  if (line.size() < 3) return false;
  for (char c : line)
    if (c != '-' && c != '=' && c != '+' && c != '|' && c != ':' && c != ' ' && c != '\t') return false;
  return true;
}

}  // namespace dockhand::intake::scan
