#include "shipments.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <regex>
#include <set>
#include <stdexcept>

namespace dockhand::apps::opship {
namespace {

std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

const char* const kFcs[] = {"ABE8", "ONT8", "LGB3", "PHX6", "MDW2", "BFI4", "DFW7", "SWF1", "CLT2", "RIC2"};

}  // namespace

const std::vector<std::string>& known_carriers() {
  static const std::vector<std::string> carriers = {
      "Estes Express Lines", "ABF Freight",  "XPO Logistics",  "Old Dominion",   "R+L Carriers",
      "Saia LTL Freight",    "FedEx Freight", "TForce Freight", "Southeastern Freight Lines",
      "Averitt Express"};
  return carriers;
}

std::optional<std::string> canonical_carrier(const std::string& typed) {
  const std::string t = lower(trim(typed));
  for (const auto& c : known_carriers())
    if (lower(c) == t) return c;
  return std::nullopt;
}

bool valid_shipment_id(const std::string& id) {
  static const std::regex re("^[A-Z0-9-]{4,32}$");
  return std::regex_match(id, re);
}

bool valid_date(const std::string& s) {
  static const std::regex re("^([0-9]{4})-([0-9]{2})-([0-9]{2})$");
  std::smatch m;
  if (!std::regex_match(s, m, re)) return false;
  int y = std::stoi(m[1]), mo = std::stoi(m[2]), d = std::stoi(m[3]);
  if (y < 1990 || y > 2099 || mo < 1 || mo > 12 || d < 1) return false;
  static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int max = days[mo - 1] + (mo == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0) ? 1 : 0);
  return d <= max;
}

std::optional<std::vector<std::string>> parse_pos(const std::string& s, std::string& bad) {
  static const std::regex po_re("^[A-Z0-9]{8}$");
  std::vector<std::string> out;
  if (trim(s).empty()) return out;
  std::size_t start = 0;
  while (start <= s.size()) {
    auto comma = s.find(',', start);
    std::string po = trim(s.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    std::transform(po.begin(), po.end(), po.begin(), [](unsigned char c) { return std::toupper(c); });
    if (!std::regex_match(po, po_re)) {
      bad = po;
      return std::nullopt;
    }
    out.push_back(po);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

std::string join_pos(const std::vector<std::string>& pos) {
  std::string s;
  for (const auto& p : pos) s += (s.empty() ? "" : ",") + p;
  return s;
}

std::optional<int> parse_count(const std::string& s, int lo, int hi) {
  const std::string t = trim(s);
  if (t.empty() || t.size() > 6 || !std::all_of(t.begin(), t.end(), [](unsigned char c) { return std::isdigit(c); }))
    return std::nullopt;
  int n = std::stoi(t);
  if (n < lo || n > hi) return std::nullopt;
  return n;
}

std::vector<Shipment> builtin_shipments() {
  // IDs shaped like Dockhand's vendorShipmentIdentifier: DH-<PO>-<FC>-<8 hex>. Open, with what the booking
  // already knew (POs and cartons); carrier, pickup date, pallets and reference are for the clerk to fill.
  std::vector<Shipment> v = {
      {"DH-2K4GH7QZ-CLT2-1A2B3C4D", "Open", "2K4GH7QZ", "", "", "139", "", "", ""},
      {"DH-7HXQ3M2P-BFI4-5E6F7A8B", "Open", "7HXQ3M2P", "", "", "39", "", "", ""},
      {"DH-9LMN4R8T-BFI4-9C0D1E2F", "Open", "9LMN4R8T", "", "", "149", "", "", ""},
      {"DH-HBRPOIG8-SWF1-3A4B5C6D", "Open", "HBRPOIG8", "", "", "282", "", "", ""},
      {"DH-F1CBFNO6-RIC2-7E8F9A0B", "Open", "F1CBFNO6", "", "", "338", "", "", ""},
      {"DH-AK1VRJNV-MDW2-C1D2E3F4", "Open", "AK1VRJNV", "", "", "343", "", "", ""},
      {"DH-GFYGWWQC-LGB3-05A6B7C8", "Open", "GFYGWWQC", "", "", "139", "", "", ""},
      {"DH-38HYF9SX-ONT8-D9E0F1A2", "Open", "38HYF9SX", "", "", "287", "", "", ""},
      {"DH-MECOSFOG-MDW2-B3C4D5E6", "Open", "MECOSFOG", "", "", "148", "", "", ""},
      {"DH-YR3XKXWN-PHX6-F7A8B9C0", "Open", "YR3XKXWN", "", "", "179", "", "", ""},
      {"DH-REK8PK3Y-MDW2-1D2E3F4A", "Open", "REK8PK3Y", "", "", "262", "", "", ""},
      {"DH-R9OUDOCU-MDW2-5B6C7D8E", "Open", "R9OUDOCU", "", "", "30", "", "", ""},
      {"DH-ZRENUN5Z-DFW7-9F0A1B2C", "Open", "ZRENUN5Z", "", "", "145", "", "", ""},
      {"DH-3JQIP98Q-ABE8-3D4E5F6A", "Open", "3JQIP98Q", "", "", "174", "", "", ""},
      {"DH-1ZXOI65F-MDW2-7B8C9D0E", "Open", "1ZXOI65F", "", "", "86", "", "", ""},
      {"DH-DHJK1EYY-CLT2-A1B2C3D4", "Open", "DHJK1EYY", "", "", "222", "", "", ""},
      {"DH-VHS1K3AQ-LGB3-E5F6A7B8", "Open", "VHS1K3AQ", "", "", "283", "", "", ""},
      {"DH-6L6GT6MJ-BFI4-C9D0E1F2", "Open", "6L6GT6MJ,XK87AU5B", "", "", "526", "", "", ""},
      {"DH-HXTPDPFF-ABE8-A3B4C5D6", "Open", "HXTPDPFF", "", "", "161", "", "", ""},
      {"DH-5E8II49K-ABE8-E7F8A9B0", "Open", "5E8II49K", "", "", "187", "", "", ""},
      {"DH-Q71N8MTZ-PHX6-1C2D3E4F", "Open", "Q71N8MTZ", "", "", "345", "", "", ""},
      {"DH-X272HPOE-BFI4-5A6B7C8D", "Open", "X272HPOE", "", "", "290", "", "", ""},
      {"DH-VB9OOAED-RIC2-9E0F1A2B", "Open", "VB9OOAED", "", "", "83", "", "", ""},
      {"DH-OECVE6PR-LGB3-3C4D5E6F", "Open", "OECVE6PR", "", "", "94", "", "", ""},
      {"DH-5N8I4P40-ABE8-7A8B9C0D", "Open", "5N8I4P40", "", "", "95", "", "", ""},
      {"DH-MGG1W103-DFW7-E1F2A3B4", "Open", "MGG1W103", "", "", "346", "", "", ""},
      {"DH-M82I1LR3-DFW7-C5D6E7F8", "Open", "M82I1LR3", "", "", "23", "", "", ""},
      {"DH-PE29GD8A-PHX6-A9B0C1D2", "Open", "PE29GD8A", "", "", "106", "", "", ""},
      {"DH-FPK054NZ-BFI4-E3F4A5B6", "Open", "FPK054NZ", "", "", "160", "", "", ""},
      {"DH-DKYAYQ3S-PHX6-C7D8E9F0", "Open", "DKYAYQ3S", "", "", "16", "", "", ""},
  };
  return v;
}

std::vector<Shipment> load_shipments(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("--shipments " + path + ": cannot open the file");
  nlohmann::json j;
  try {
    in >> j;
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error("--shipments " + path + ": not JSON: " + e.what());
  }
  if (!j.is_array()) throw std::runtime_error("--shipments " + path + ": wants a JSON list of shipments");
  static const std::regex bol_re("^BOL[0-9]{7}$");
  std::vector<Shipment> out;
  std::set<std::string> seen;
  for (std::size_t i = 0; i < j.size(); ++i) {
    const auto& e = j[i];
    const auto where = "--shipments " + path + ": entry " + std::to_string(i);
    if (!e.is_object()) throw std::runtime_error(where + " is not an object");
    for (auto it = e.begin(); it != e.end(); ++it) {
      static const std::set<std::string> keys = {"id", "status", "pos", "carrier", "pickup_date",
                                                 "cartons", "pallets", "reference", "bol"};
      if (!keys.count(it.key())) throw std::runtime_error(where + ": unknown field \"" + it.key() + "\"");
    }
    auto str = [&](const char* key) -> std::string {
      if (!e.contains(key)) return "";
      if (e[key].is_number_integer() && e[key].get<long long>() >= 0) return std::to_string(e[key].get<long long>());
      if (!e[key].is_string()) throw std::runtime_error(where + ": \"" + key + "\" must be a string");
      return e[key].get<std::string>();
    };
    Shipment s;
    s.id = str("id");
    if (!valid_shipment_id(s.id))
      throw std::runtime_error(where + ": \"id\" must be 4-32 characters A-Z 0-9 -, got '" + s.id + "'");
    if (!seen.insert(s.id).second) throw std::runtime_error(where + ": shipment " + s.id + " appears twice");
    s.status = str("status");
    if (s.status.empty()) s.status = "Open";
    if (s.status != "Open" && s.status != "Closed")
      throw std::runtime_error(where + ": \"status\" must be Open or Closed, got '" + s.status + "'");
    std::string bad;
    s.pos = str("pos");
    auto pos = parse_pos(s.pos, bad);
    if (!pos) throw std::runtime_error(where + ": \"pos\" has a PO that is not 8 characters A-Z 0-9: '" + bad + "'");
    s.pos = join_pos(*pos);
    s.carrier = str("carrier");
    s.pickup_date = str("pickup_date");
    s.cartons = str("cartons");
    s.pallets = str("pallets");
    s.reference = str("reference");
    s.bol = str("bol");
    if (!s.bol.empty() && !std::regex_match(s.bol, bol_re))
      throw std::runtime_error(where + ": \"bol\" must be BOL + 7 digits, got '" + s.bol + "'");
    if (s.status == "Closed" && s.bol.empty()) throw std::runtime_error(where + ": a Closed shipment needs \"bol\"");
    out.push_back(std::move(s));
  }
  return out;
}

void pad_shipments(std::vector<Shipment>& shipments, int rows, std::uint64_t seed) {
  std::mt19937_64 rng(seed ^ 0x5bd1e995a1b2c3d4ULL);
  static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  static const char hex[] = "0123456789ABCDEF";
  std::set<std::string> seen;
  for (const auto& s : shipments) seen.insert(s.id);
  std::uniform_int_distribution<int> ch(0, 35), hx(0, 15), fc(0, 9), cartons(1, 400);
  while (static_cast<int>(shipments.size()) < rows) {
    std::string po, tail;
    for (int i = 0; i < 8; ++i) po += alphabet[ch(rng)];
    for (int i = 0; i < 8; ++i) tail += hex[hx(rng)];
    std::string id = "DH-" + po + "-" + kFcs[fc(rng)] + "-" + tail;
    if (!seen.insert(id).second) continue;
    shipments.push_back({id, "Open", po, "", "", std::to_string(cartons(rng)), "", "", ""});
  }
}

}  // namespace dockhand::apps::opship
