#include "text_scan.h"

#include <array>
#include <cctype>
#include <cmath>
#include <cstdio>

namespace dockhand::intake::scan {
namespace {

char to_lower(char c) { return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c; }

bool leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }
int days_in_month(int y, int m) {
  static const std::array<int, 12> days{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return (m == 2 && leap(y)) ? 29 : days[m - 1];
}

DateHit make_date(std::string_view raw, std::size_t begin, std::size_t end, int y, int m, int d) {
  DateHit hit;
  hit.raw = std::string(raw);
  hit.begin = begin;
  hit.end = end;
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

// A date written without its year: the year that puts it nearest after the email's date (a date up to
// three months before the email is taken as past, in the email's year).
DateHit make_yearless(std::string_view raw, std::size_t begin, std::size_t end, int m, int d, const DateContext& ctx) {
  if (ctx.year == 0) {
    DateHit hit;
    hit.raw = std::string(raw);
    hit.begin = begin;
    hit.end = end;
    hit.problem = "no year written and the email has no date to take it from";
    return hit;
  }
  int y = ctx.year;
  int diff = (m - ctx.month) * 31 + (d - ctx.day);
  if (diff < -92) ++y;
  else if (diff > 275) --y;
  return make_date(raw, begin, end, y, m, d);
}

// Month number for a month name or abbreviation ("nov", "november", "sept"), 0 if none.
int month_from_word(std::string_view w) {
  static const std::array<const char*, 12> names{"january", "february", "march",     "april",   "may",      "june",
                                                 "july",    "august",   "september", "october", "november", "december"};
  if (w.size() < 3 || w.size() > 9) return 0;
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
// After a day number: "st", "nd", "rd", "th".
std::size_t skip_ordinal(std::string_view s, std::size_t k) {
  if (k + 1 < s.size() && is_alpha(s[k]) && is_alpha(s[k + 1]) && (k + 2 >= s.size() || !is_alpha(s[k + 2]))) {
    std::string l = lower(s.substr(k, 2));
    if (l == "st" || l == "nd" || l == "rd" || l == "th") return k + 2;
  }
  return k;
}
// A four-digit year at s[y] standing alone.
bool year_at(std::string_view s, std::size_t y) {
  return digits_at(s, y) == 4 && (y + 4 >= s.size() || !is_alnum(s[y + 4]));
}

}  // namespace

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_alnum(char c) { return is_digit(c) || is_alpha(c); }

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

std::vector<DateHit> find_dates(std::string_view s, const DateContext& ctx, bool loose) {
  std::vector<DateHit> hits;
  std::size_t i = 0;
  while (i < s.size()) {
    char c = s[i];
    bool boundary = i == 0 || !is_alnum(s[i - 1]);
    if (boundary && is_digit(c) && (i == 0 || (s[i - 1] != '/' && s[i - 1] != '.'))) {
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
          std::string_view raw = s.substr(i, end - i);
          if (right && n1 == 4 && n3 >= 1 && n3 <= 2 && sep != '.') {
            hits.push_back(make_date(raw, i, end, a, b, c3));
            i = end;
            continue;
          }
          if (right && n1 <= 2 && (n3 == 4 || n3 == 2)) {
            if (sep == '.') {
              hits.push_back(make_date(raw, i, end, c3, b, a));  // 24.11.2026 is day-first by convention
            } else {
              DateHit hit = make_date(raw, i, end, c3, a, b);
              if (!hit.valid && a > 12 && b <= 12) hit.problem = "not a month/day/year date (day first?)";
              hits.push_back(hit);
            }
            i = end;
            continue;
          }
        }
        // "2/6" (month/day) in a value labelled as a date.
        if (loose && sep == '/' && n1 <= 2 && n2 >= 1 && n2 <= 2 && (k >= s.size() || (!is_alnum(s[k]) && s[k] != '/'))) {
          int a = to_int(s.substr(i, n1)), b = to_int(s.substr(j + 1, n2));
          if (a >= 1 && a <= 12 && b >= 1 && b <= 31) {
            hits.push_back(make_yearless(s.substr(i, k - i), i, k, a, b, ctx));
            i = k;
            continue;
          }
        }
      }
      // "24 Nov 2026", "24th November, 2026", "2nd of February", "2-6 Feb 2027"
      if (n1 <= 2) {
        std::size_t k = skip_ordinal(s, j);
        std::size_t d2_begin = 0, n_d2 = 0;
        if (k < s.size() && s[k] == '-' && digits_at(s, k + 1) >= 1 && digits_at(s, k + 1) <= 2) {
          d2_begin = k + 1;
          n_d2 = digits_at(s, d2_begin);
          k = skip_ordinal(s, d2_begin + n_d2);
        }
        std::size_t w = skip(s, k, " ");
        if (w + 3 <= s.size() && lower(s.substr(w, 3)) == "of ") w = skip(s, w + 3, " ");
        std::size_t we = w;
        while (we < s.size() && is_alpha(s[we])) ++we;
        int month = (we > w && w > k) ? month_from_word(s.substr(w, we - w)) : 0;
        if (month) {
          std::size_t y = skip(s, we, " .,");
          int day = to_int(s.substr(i, n1));
          int day2 = n_d2 ? to_int(s.substr(d2_begin, n_d2)) : 0;
          if (year_at(s, y)) {
            int year = to_int(s.substr(y, 4));
            hits.push_back(make_date(s.substr(i, y + 4 - i), i, y + 4, year, month, day));
            if (day2) hits.push_back(make_date(s.substr(i, y + 4 - i), i, y + 4, year, month, day2));
            i = y + 4;
          } else {
            hits.push_back(make_yearless(s.substr(i, we - i), i, we, month, day, ctx));
            if (day2) hits.push_back(make_yearless(s.substr(i, we - i), i, we, month, day2, ctx));
            i = we;
          }
          continue;
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
        // "Nov 24, 2026", "November 24th 2026", "Nov. 24 2026", "Feb 2", "Feb 2-6, 2027"
        std::size_t d = skip(s, we, " .");
        std::size_t nd = digits_at(s, d);
        if (nd >= 1 && nd <= 2 && d > we && (d + nd >= s.size() || (s[d + nd] != '/' && s[d + nd] != ':' && s[d + nd] != '.') ||
                                             (s[d + nd] == '.' && !(d + nd + 1 < s.size() && is_digit(s[d + nd + 1]))))) {
          int day = to_int(s.substr(d, nd));
          std::size_t k = skip_ordinal(s, d + nd);
          int day2 = 0;
          std::size_t after_range = k;
          {
            std::size_t r = skip(s, k, " ");
            if (r < s.size() && s[r] == '-') {
              std::size_t r2 = skip(s, r + 1, " ");
              std::size_t n2 = digits_at(s, r2);
              if (n2 >= 1 && n2 <= 2 && (r2 + n2 >= s.size() || !is_alnum(s[r2 + n2]) || is_alpha(s[r2 + n2]))) {
                std::size_t k2 = skip_ordinal(s, r2 + n2);
                if (k2 >= s.size() || !is_alpha(s[k2])) {
                  day2 = to_int(s.substr(r2, n2));
                  after_range = k2;
                }
              }
            }
          }
          std::size_t y = skip(s, after_range, " ,");
          if (y > after_range && year_at(s, y)) {
            int year = to_int(s.substr(y, 4));
            hits.push_back(make_date(s.substr(i, y + 4 - i), i, y + 4, year, month, day));
            if (day2) hits.push_back(make_date(s.substr(i, y + 4 - i), i, y + 4, year, month, day2));
            i = y + 4;
          } else {
            hits.push_back(make_yearless(s.substr(i, after_range - i), i, after_range, month, day, ctx));
            if (day2) hits.push_back(make_yearless(s.substr(i, after_range - i), i, after_range, month, day2, ctx));
            i = after_range;
          }
          continue;
        }
      }
      i = we;
      continue;
    }
    ++i;
  }
  // A range written "Dec 28 - Jan 3": the end takes the year after when inference put it before the start.
  return hits;
}

std::string excel_serial_date(double serial) {
  if (!(serial > 36526 && serial < 73051)) return {};  // 2000 .. 2099
  long days = long(serial) - 25569;                     // Excel day 25569 = 1970-01-01
  // civil_from_days (H. Hinnant)
  long z = days + 719468;
  long era = (z >= 0 ? z : z - 146096) / 146097;
  unsigned doe = unsigned(z - era * 146097);
  unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  long y = long(yoe) + era * 400;
  unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  unsigned mp = (5 * doy + 2) / 153;
  unsigned d = doy - (153 * mp + 2) / 5 + 1;
  unsigned m = mp < 10 ? mp + 3 : mp - 9;
  if (m <= 2) ++y;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04ld-%02u-%02u", y, m, d);
  return buf;
}

std::optional<Number> number_at(std::string_view s, std::size_t i) {
  if (i >= s.size() || !is_digit(s[i])) return std::nullopt;
  std::size_t j = i;
  std::string digits;  // with '.' as the decimal point once decided
  std::vector<std::pair<char, std::size_t>> seps;  // separator and how many digits follow it
  std::string raw;
  while (j < s.size()) {
    if (is_digit(s[j])) {
      raw += s[j++];
      continue;
    }
    if ((s[j] == ',' || s[j] == '.') && j + 1 < s.size() && is_digit(s[j + 1])) {
      std::size_t n = digits_at(s, j + 1);
      seps.emplace_back(s[j], n);
      raw += s[j++];
      continue;
    }
    break;
  }
  // Decide which separator (if any) is the decimal point.
  char decimal = 0;
  if (!seps.empty()) {
    char last = seps.back().first;
    bool mixed = false;
    for (auto& [c, n] : seps) mixed |= c != last;
    if (mixed) decimal = last;
    else if (seps.size() == 1 && (last == '.' || seps.back().second != 3)) decimal = last;
  }
  double v = 0, scale = 0;
  for (char ch : raw) {
    if (is_digit(ch)) {
      if (scale > 0) {
        v += (ch - '0') / scale;
        scale *= 10;
      } else {
        v = v * 10 + (ch - '0');
      }
    } else if (ch == decimal) {
      scale = 10;
    }
  }
  return Number{v, i, j};
}

std::optional<Number> first_number(std::string_view s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (!is_digit(s[i])) continue;
    if (i > 0 && is_alpha(s[i - 1])) {  // part of a code like ABE8
      while (i < s.size() && is_alnum(s[i])) ++i;
      continue;
    }
    auto n = number_at(s, i);
    std::size_t j = n->end;
    if (j < s.size() && is_alpha(s[j]) && j + 1 < s.size() && is_digit(s[j + 1])) {  // "2K4..." style token
      while (j < s.size() && is_alnum(s[j])) ++j;
      i = j;
      continue;
    }
    return n;
  }
  return std::nullopt;
}

std::optional<long long> first_integer(std::string_view s) {
  auto n = first_number(s);
  if (!n || n->value > 1e9) return std::nullopt;
  return (long long)std::floor(n->value + 1e-9);
}

double kg_to_lb(double kg) {
  double v = kg * 2.2046226218;
  return double((long long)(v * 10 + 0.5)) / 10;  // one decimal, as written weights are
}

int weight_unit_at(std::string_view s, std::size_t i, std::size_t* end) {
  if (i < s.size() && s[i] == '#') {
    if (end) *end = i + 1;
    return 1;
  }
  std::size_t u = skip(s, i, " ");
  if (u < s.size() && s[u] == '(') ++u;
  std::size_t ue = u;
  while (ue < s.size() && is_alpha(s[ue])) ++ue;
  std::string unit = lower(s.substr(u, ue - u));
  if (ue < s.size() && s[ue] == '.') ++ue;
  if (end) *end = ue;
  if (unit == "lb" || unit == "lbs" || unit == "pounds" || unit == "pound" || unit == "lbr") return 1;
  if (unit == "kg" || unit == "kgs" || unit == "kilograms" || unit == "kilogram" || unit == "kilos" || unit == "kilo")
    return 2;
  return 0;
}

std::optional<double> first_weight_lb(std::string_view s, bool default_kg) {
  auto n = first_number(s);
  if (!n) return std::nullopt;
  int unit = weight_unit_at(s, n->end);
  if (unit == 2 || (unit == 0 && default_kg)) return kg_to_lb(n->value);
  return n->value;
}

bool is_po_shaped(std::string_view tok) {
  if (tok.size() != 8) return false;
  bool digit = false, alpha = false;
  for (char c : tok) {
    if (!is_alnum(c)) return false;
    digit |= is_digit(c);
    alpha |= is_alpha(c);
  }
  return digit && alpha;
}

bool is_fc_shaped(std::string_view tok) {
  return tok.size() == 4 && is_alpha(tok[0]) && is_alpha(tok[1]) && is_alpha(tok[2]) && is_digit(tok[3]);
}

std::vector<PoToken> split_po_list(std::string_view s) {
  std::vector<PoToken> out;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && !is_alnum(s[i]) && s[i] != '(') {
      // '.' or ':' right after a token ends the list ("2K4GH7QZ. Thanks"), a ':' before any token does not.
      if ((s[i] == '.' && (i + 1 >= s.size() || s[i + 1] == ' ')) && !out.empty()) return out;
      ++i;
    }
    if (i >= s.size() || s[i] == '(') break;
    std::size_t j = i;
    while (j < s.size() && (is_alnum(s[j]) || ((s[j] == '-' || s[j] == '_') && j + 1 < s.size() && is_alnum(s[j + 1])))) ++j;
    std::string_view tok = s.substr(i, j - i);
    std::size_t begin = i;
    i = j;
    std::string l = lower(tok);
    if (l == "and" || l == "po" || l == "pos" || l == "no" || l == "nos" || l == "number" || l == "numbers" || l == "amp")
      continue;
    bool has_digit = false, alnum = true;
    for (char c : tok) has_digit |= is_digit(c), alnum &= is_alnum(c);
    if (!has_digit || tok.size() < 6 || tok.size() > 12) break;  // not a PO candidate: the list ended
    PoToken t;
    t.po = upper(tok);
    t.begin = begin;
    t.end = j;
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
    if (s[i] == ',' || s[i] == ';' || s[i] == ' ' || s[i] == '\t' || s[i] == '#' || s[i] == '/' || s[i] == '|' ||
        s[i] == '&' || (s[i] == '.' && i + 1 == s.size())) {
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
    if (j < s.size() && (s[j] == '.' || s[j] == ')') && tokens == 0 && tok.size() <= 2 && digit) {
      i = j + 1;
      continue;
    }
    if (!digit && l != "and" && l != "po") return false;
    if (digit && (tok.size() < 6 || tok.size() > 12)) return false;
    if (digit) ++tokens;
    i = j;
  }
  return tokens > 0;
}

std::string find_fc_code(std::string_view s) {
  for (const auto& w : words(s))
    if (is_fc_shaped(w.text)) return upper(w.text);
  return {};
}

std::vector<Word> words(std::string_view s) {
  std::vector<Word> out;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && !is_alnum(s[i])) ++i;
    std::size_t j = i;
    while (j < s.size() && is_alnum(s[j])) ++j;
    if (j > i) out.push_back({s.substr(i, j - i), i, j});
    i = j;
  }
  return out;
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
    if (c != '-' && c != '=' && c != '+' && c != '|' && c != ':' && c != ' ' && c != '\t' && c != '_') return false;
  return true;
}

}  // namespace dockhand::intake::scan
