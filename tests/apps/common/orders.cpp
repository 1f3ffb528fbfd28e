#include "orders.h"

#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <random>
#include <regex>
#include <set>
#include <stdexcept>

namespace dockhand::apps {
namespace {

const char* const kVendors[] = {"Acme Housewares",     "Blue Ridge Outdoor",   "Cedar Lane Toys",
                                "Delta Kitchen Co",    "Evergreen Pet Supply", "Falcon Tools Inc",
                                "Granite Home Goods",  "Harbor Light Apparel", "Iron Oak Furniture",
                                "Juniper Beauty"};
const char* const kFcs[] = {"ABE8", "ONT8", "LGB3", "PHX6", "MDW2", "BFI4", "DFW7", "SWF1", "CLT2", "RIC2"};

}  // namespace

std::string reference_for_preloaded(const std::string& po) {
  unsigned h = static_cast<unsigned>(std::hash<std::string>{}(po) % 900000u) + 100000u;
  return "PT-" + std::to_string(h);
}

std::vector<Order> builtin_orders() {
  std::vector<Order> v = {
      {"2K4GH7QZ", "Delta Kitchen Co", "CLT2", 139, "Open", ""},
      {"7HXQ3M2P", "Cedar Lane Toys", "BFI4", 39, "Open", ""},
      {"9LMN4R8T", "Delta Kitchen Co", "BFI4", 149, "Open", ""},
      {"HBRPOIG8", "Cedar Lane Toys", "SWF1", 282, "Open", ""},
      {"F1CBFNO6", "Evergreen Pet Supply", "RIC2", 338, "Open", ""},
      {"B9M80O2R", "Iron Oak Furniture", "ABE8", 345, "Finalized", ""},
      {"AK1VRJNV", "Iron Oak Furniture", "MDW2", 343, "Open", ""},
      {"GFYGWWQC", "Blue Ridge Outdoor", "LGB3", 139, "Open", ""},
      {"38HYF9SX", "Blue Ridge Outdoor", "ONT8", 287, "Open", ""},
      {"MECOSFOG", "Cedar Lane Toys", "MDW2", 148, "Open", ""},
      {"YR3XKXWN", "Juniper Beauty", "PHX6", 179, "Open", ""},
      {"REK8PK3Y", "Delta Kitchen Co", "MDW2", 262, "Open", ""},
      {"R9OUDOCU", "Harbor Light Apparel", "MDW2", 30, "Open", ""},
      {"ZRENUN5Z", "Blue Ridge Outdoor", "DFW7", 145, "Open", ""},
      {"3JQIP98Q", "Acme Housewares", "ABE8", 174, "Open", ""},
      {"1ZXOI65F", "Cedar Lane Toys", "MDW2", 86, "Open", ""},
      {"DHJK1EYY", "Harbor Light Apparel", "CLT2", 222, "Open", ""},
      {"37Q9AH8R", "Iron Oak Furniture", "ABE8", 61, "Finalized", ""},
      {"VHS1K3AQ", "Blue Ridge Outdoor", "LGB3", 283, "Open", ""},
      {"6L6GT6MJ", "Acme Housewares", "BFI4", 302, "Open", ""},
      {"XK87AU5B", "Iron Oak Furniture", "LGB3", 224, "Open", ""},
      {"HXTPDPFF", "Cedar Lane Toys", "ABE8", 161, "Open", ""},
      {"5E8II49K", "Falcon Tools Inc", "ABE8", 187, "Open", ""},
      {"Q71N8MTZ", "Delta Kitchen Co", "PHX6", 345, "Open", ""},
      {"X272HPOE", "Blue Ridge Outdoor", "BFI4", 290, "Open", ""},
      {"VB9OOAED", "Granite Home Goods", "RIC2", 83, "Open", ""},
      {"OECVE6PR", "Delta Kitchen Co", "LGB3", 94, "Open", ""},
      {"5N8I4P40", "Granite Home Goods", "ABE8", 95, "Open", ""},
      {"MGG1W103", "Falcon Tools Inc", "DFW7", 346, "Open", ""},
      {"DGDZVGPM", "Delta Kitchen Co", "MDW2", 85, "Finalized", ""},
      {"M82I1LR3", "Blue Ridge Outdoor", "DFW7", 23, "Open", ""},
      {"PE29GD8A", "Harbor Light Apparel", "PHX6", 106, "Open", ""},
      {"FPK054NZ", "Harbor Light Apparel", "BFI4", 160, "Open", ""},
      {"DKYAYQ3S", "Delta Kitchen Co", "PHX6", 16, "Open", ""},
      {"195JMSND", "Delta Kitchen Co", "DFW7", 172, "Open", ""},
      {"8DUDD467", "Evergreen Pet Supply", "ONT8", 146, "Open", ""},
      {"KD6FLEEP", "Falcon Tools Inc", "CLT2", 208, "Open", ""},
      {"ZHPCF07U", "Iron Oak Furniture", "BFI4", 18, "Open", ""},
      {"QNUPQZIT", "Blue Ridge Outdoor", "MDW2", 95, "Open", ""},
      {"3UEA3GE8", "Juniper Beauty", "MDW2", 23, "Open", ""},
  };
  for (auto& o : v)
    if (o.status == "Finalized") o.reference = reference_for_preloaded(o.po);
  return v;
}

std::vector<Order> load_orders(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("--orders " + path + ": cannot open the file");
  nlohmann::json j;
  try {
    in >> j;
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error("--orders " + path + ": not JSON: " + e.what());
  }
  if (!j.is_array()) throw std::runtime_error("--orders " + path + ": wants a JSON list of POs");
  static const std::regex po_re("^[A-Z0-9]{8}$");
  std::vector<Order> out;
  std::set<std::string> seen;
  for (std::size_t i = 0; i < j.size(); ++i) {
    const auto& e = j[i];
    auto where = "--orders " + path + ": entry " + std::to_string(i);
    if (!e.is_object()) throw std::runtime_error(where + " is not an object");
    auto str = [&](const char* key, bool required) -> std::string {
      if (!e.contains(key)) {
        if (required) throw std::runtime_error(where + ": missing \"" + key + "\"");
        return "";
      }
      if (!e[key].is_string()) throw std::runtime_error(where + ": \"" + key + "\" must be a string");
      return e[key].get<std::string>();
    };
    Order o;
    o.po = str("po", true);
    if (!std::regex_match(o.po, po_re))
      throw std::runtime_error(where + ": \"po\" must be 8 characters A-Z 0-9, got '" + o.po + "'");
    if (!seen.insert(o.po).second) throw std::runtime_error(where + ": PO " + o.po + " appears twice");
    o.vendor = str("vendor", false);
    o.fc = str("fc", false);
    if (e.contains("cartons")) {
      if (!e["cartons"].is_number_integer() || e["cartons"].get<long long>() < 0)
        throw std::runtime_error(where + ": \"cartons\" must be a whole number >= 0");
      o.cartons = e["cartons"].get<int>();
    }
    o.status = str("status", false);
    if (o.status.empty()) o.status = "Open";
    if (o.status != "Open" && o.status != "Finalized")
      throw std::runtime_error(where + ": \"status\" must be Open or Finalized, got '" + o.status + "'");
    o.reference = str("reference", false);
    if (o.status == "Finalized" && o.reference.empty()) o.reference = reference_for_preloaded(o.po);
    out.push_back(std::move(o));
  }
  return out;
}

void pad_orders(std::vector<Order>& orders, int rows, std::uint64_t seed) {
  std::mt19937_64 rng(seed ^ 0x9e3779b97f4a7c15ULL);
  static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  std::set<std::string> seen;
  for (const auto& o : orders) seen.insert(o.po);
  std::uniform_int_distribution<int> ch(0, 35), vendor(0, 9), fc(0, 9), cartons(1, 400);
  while (static_cast<int>(orders.size()) < rows) {
    std::string po;
    for (int i = 0; i < 8; ++i) po += alphabet[ch(rng)];
    if (!seen.insert(po).second) continue;
    orders.push_back({po, kVendors[vendor(rng)], kFcs[fc(rng)], cartons(rng), "Open", ""});
  }
}

}  // namespace dockhand::apps
