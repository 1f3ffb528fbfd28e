// Small hand-written scanners for the pieces of a routing request (dates, numbers, PO tokens, codes).
// Hand-written rather than std::regex: extraction runs on every email and must stay fast (bench goal
// 1,000 emails/s/core), and the grammar is small.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dockhand::intake::scan {

bool is_digit(char c);
bool is_alpha(char c);
bool is_alnum(char c);
std::string lower(std::string_view s);
std::string upper(std::string_view s);
std::string_view trim(std::string_view s);
bool contains_word(std::string_view haystack_lower, std::string_view word_lower);

// The email's own date: a date written without a year takes the year that puts it nearest after it
// (routing requests talk about the coming days). year == 0: unknown, such dates are flagged.
struct DateContext {
  int year = 0, month = 0, day = 0;
};

// A date as written in the mail. valid=false when it names a day that does not exist (02/30/2026) or is
// not a month/day/year date (24/11/2026); iso is then empty and `problem` says why.
struct DateHit {
  std::string raw;
  std::string iso;  // "2026-11-24"
  bool valid = false;
  std::string problem;
  std::size_t begin = 0, end = 0;  // where in the scanned text
};
// Every date in s, in order: 11/24/2026, 11-24-2026, 11/24/26, 2026-11-24, 2026/11/24, 24.11.2026,
// Nov 24, 2026, November 24th 2026, 24 Nov 2026, Tue, Nov 24, 2026, 2nd of February; without a year
// ("Feb 2", "Tuesday, Feb 2") when ctx knows the email's date; day ranges ("Feb 2-6", "2-6 Feb") give two.
// loose: also bare month/day ("2/6"), for values whose label says they are dates.
std::vector<DateHit> find_dates(std::string_view s, const DateContext& ctx = {}, bool loose = false);
// An Excel serial day number (45000 = 2023-03-15), as spreadsheets store dates; empty when out of range.
std::string excel_serial_date(double serial);

// A number as written: "1,200", "2,310.5", "675,5" (decimal comma), "1.200,5". nullopt if none.
struct Number {
  double value = 0;
  std::size_t begin = 0, end = 0;
};
std::optional<Number> number_at(std::string_view s, std::size_t i);
std::optional<Number> first_number(std::string_view s);
// First integer in s ("1,200 cartons" -> 1200); digits inside codes (ABE8) do not count.
std::optional<long long> first_integer(std::string_view s);
// Pounds per kilogram; kg weights are converted and rounded to one decimal.
double kg_to_lb(double kg);
// Weight unit word at s[i] ("lb", "lbs", "pounds", "#", "kg", "kgs", "kilos"...): 1 pounds, 2 kilograms, 0 none.
int weight_unit_at(std::string_view s, std::size_t i, std::size_t* end = nullptr);
// First number in s, converted to pounds when its unit is kg (or `default_kg` and no unit is written).
std::optional<double> first_weight_lb(std::string_view s, bool default_kg = false);

// A PO candidate from a PO field: upper-cased token and whether it is a valid Amazon PO (8 letters/digits).
struct PoToken {
  std::string po;
  bool valid = false;
  std::string problem;
  std::size_t begin = 0, end = 0;
};
// Splits a PO list ("2k4gh7qz, 3L5HJ8RA 4M6JK9SB; #5N7KL0TC and 6P8LM1UD") into tokens, stopping at the first
// word that is not a PO candidate (a candidate is 6 to 12 letters/digits with a digit). Separators: , ; / & |
// "and", spaces, '#', bullets.
std::vector<PoToken> split_po_list(std::string_view s);
// True when the whole line is PO tokens (and bullets/separators), e.g. "- 2K4GH7QZ" or "2K4GH7QZ, 3L5HJ8RA".
bool is_po_list_line(std::string_view s);
// The shape of an Amazon PO wherever it stands: 8 letters/digits with at least one digit and one letter.
bool is_po_shaped(std::string_view token);
// Fulfillment-center code shape: three letters and a digit (ABE8, ONT8, TEB9).
bool is_fc_shaped(std::string_view token);

// A fulfillment-center code found in s, upper-cased; empty when none.
std::string find_fc_code(std::string_view s);

// Splits a row into cells: by tab, else by '|', else by runs of 2+ spaces. Cells are trimmed.
std::vector<std::string> split_cells(std::string_view line);
// A line of only table decoration (---, +===+, |:--|).
bool is_rule_line(std::string_view line);

// Words of s (letters/digits runs) with their positions.
struct Word {
  std::string_view text;
  std::size_t begin = 0, end = 0;
};
std::vector<Word> words(std::string_view s);

}  // namespace dockhand::intake::scan
