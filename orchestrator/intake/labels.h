// The words vendors use for each field of a routing request, as data: one table (labels.cpp), easy to
// extend. Used for "Label: value" lines, several labelled fields on one line, table headers, key/value
// cells and fields inside sentences ("12 cartons", "ship between Feb 2 and Feb 6").
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace dockhand::intake {

enum class Field {
  None,
  Po,
  Fc,
  Window,       // a range: start and end
  WindowStart,
  WindowEnd,
  ReadyDate,
  ShipFrom,
  Vendor,
  Cartons,
  Pallets,
  Weight,
  OtherReference,  // a number that is not a PO (invoice, BOL, ASN, tracking...): its tokens are accounted for
};

const char* field_name(Field f);          // "destination FC", "cartons"...
const char* field_json_name(Field f);     // "destination_fc", "cartons"...
bool is_request_level(Field f);           // vendor, ship from, ready date: one per request
bool is_shared(Field f);                  // FC and window: the same for POs given together
bool is_quantity(Field f);                // cartons, pallets, weight: per PO, never split

// "P.O. Number(s)" -> "po number s": lower case, letters and digits, single spaces.
std::string normalize_label(std::string_view text);

// The field a whole label names (a table header, a key cell, the text before a colon): the longest
// synonym found in it as whole words. None when nothing matches or the text is too long to be a label.
Field match_label(std::string_view text);

// Every label found inside a line, in order, not overlapping (longest first).
struct LabelHit {
  Field field = Field::None;
  std::size_t begin = 0, end = 0;  // the label's span in the line
  bool unit_word = false;          // a word that may follow its number ("12 cartons", "2 skids")
};
std::vector<LabelHit> find_labels(std::string_view line);

}  // namespace dockhand::intake
