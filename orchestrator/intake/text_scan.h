// Small hand-written scanners for the pieces of a routing request (dates, numbers, PO tokens, codes).
// Hand-written rather than std::regex: extraction runs on every email and must stay fast (bench goal
// 500 emails/s/core), and the grammar is small.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dockhand::intake::scan {

std::string lower(std::string_view s);
std::string upper(std::string_view s);
std::string_view trim(std::string_view s);
bool contains_word(std::string_view haystack_lower, std::string_view word_lower);

// A date as written in the mail. valid=false when it names a day that does not exist (02/30/2026) or is
// not a month/day/year date (24/11/2026); iso is then empty and `problem` says why.
struct DateHit {
  std::string raw;
  std::string iso;  // "2026-11-24"
  bool valid = false;
  std::string problem;
};
// Every date in s, in order: 11/24/2026, 11-24-2026, 11/24/26, 2026-11-24, 2026/11/24, 24.11.2026,
// Nov 24, 2026, November 24th 2026, 24 Nov 2026, Tue, Nov 24, 2026.
std::vector<DateHit> find_dates(std::string_view s);

// First integer in s ("1,200 cartons" -> 1200).
std::optional<long long> first_integer(std::string_view s);
// First decimal in s, converted to pounds when followed by kg/kgs/kilograms.
std::optional<double> first_weight_lb(std::string_view s);

// A PO candidate from a PO field: upper-cased token and whether it is a valid Amazon PO (8 letters/digits).
struct PoToken {
  std::string po;
  bool valid = false;
  std::string problem;
};
// Splits a PO list ("2k4gh7qz, 3L5HJ8RA 4M6JK9SB; #5N7KL0TC and 6P8LM1UD") into tokens. Only tokens with a
// digit count (words such as "and" or "below" are skipped); stops at '(' so "2K4GH7QZ (12 cartons)" works.
std::vector<PoToken> split_po_list(std::string_view s);
// True when the whole line is PO tokens (and bullets/separators), e.g. "- 2K4GH7QZ" or "2K4GH7QZ, 3L5HJ8RA".
bool is_po_list_line(std::string_view s);

// A fulfillment-center code (ABE8, ONT8, TEB9, LGB3, KRB1...) found in s: three letters and a digit.
// Upper-cased. Empty when none.
std::string find_fc_code(std::string_view s);

// Splits a row into cells: by tab, else by '|', else by runs of 2+ spaces. Cells are trimmed.
std::vector<std::string> split_cells(std::string_view line);
// A line of only table decoration (---, +===+, |:--|).
bool is_rule_line(std::string_view line);

}  // namespace dockhand::intake::scan
