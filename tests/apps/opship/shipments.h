// The shipments OpShip knows (a built-in list of 30, or --shipments FILE, padded by --rows), the carriers it
// accepts, and the checks "Close shipment" makes on the form's values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dockhand::apps::opship {

struct Shipment {
  std::string id;           // Shipment ID, [A-Z0-9-]{4,32}
  std::string status;       // "Open" | "Closed" ("New" only on the form, for an ID OpShip did not know)
  std::string pos;          // "2K4GH7QZ,7HXQ3M2P"
  std::string carrier;
  std::string pickup_date;  // YYYY-MM-DD
  std::string cartons;      // as shown in the form (digits or empty)
  std::string pallets;
  std::string reference;
  std::string bol;          // "BOL" + 7 digits once closed
};

const std::vector<std::string>& known_carriers();
// The canonical name of a carrier OpShip knows (case and surrounding blanks ignored), or nullopt.
std::optional<std::string> canonical_carrier(const std::string& typed);

bool valid_shipment_id(const std::string& id);  // ^[A-Z0-9-]{4,32}$
bool valid_date(const std::string& s);          // YYYY-MM-DD, a real calendar date
// "2k4gh7qz, 7HXQ3M2P" -> {"2K4GH7QZ","7HXQ3M2P"}; nullopt (and the bad entry in `bad`) if one is not 8 [A-Z0-9].
std::optional<std::vector<std::string>> parse_pos(const std::string& s, std::string& bad);
std::string join_pos(const std::vector<std::string>& pos);
// Digits only, value in [lo, hi].
std::optional<int> parse_count(const std::string& s, int lo, int hi);

std::vector<Shipment> builtin_shipments();
// Reads [{"id","status","pos","carrier","pickup_date","cartons","pallets","reference","bol"}]; throws
// std::runtime_error naming the file, the entry index and the field on bad input.
std::vector<Shipment> load_shipments(const std::string& path);
// Appends generated Open shipments (from `seed`) until there are `rows`.
void pad_shipments(std::vector<Shipment>& shipments, int rows, std::uint64_t seed);

}  // namespace dockhand::apps::opship
