// Three brands (issue 22) for serve tests: the simulator knows three selling partners, the config has one
// account each (vendor code, sender domain, refresh-token file). Used by the brands tests and by the fleet's
// three-brand close-out test.
#pragma once

#include "serve_harness.h"

#include <map>
#include <string>
#include <vector>

namespace dockhand::serve_testing {

struct Brand {
  std::string name, partner, vendor, domain, refresh_token;
};
inline const std::vector<Brand> kBrands = {
    {"Acme", "A1ACMEPARTNER", "ACME1", "acme-brands.example", "Atzr|IwEBI-Acme-Refresh/Token+One=77aa01"},
    {"Bolt Outdoor", "A2BOLTPARTNER", "BOLT2", "bolt-outdoor.example", "Atzr|IwEBI-Bolt-Refresh/Token+Two=88bb02"},
    {"Crisp", "A3CRISPPARTNER", "CRSP3", "crisp.example", "Atzr|IwEBI-Crisp-Refresh/Token+Three=99cc03"}};

// A PO of `brand`: 8 characters, 2 of its vendor code, the tag padded with 0 to 4, 2 digits.
inline std::string brand_po(const Brand& b, const std::string& tag, int n) {
  char digits[8];
  std::snprintf(digits, sizeof digits, "%02d", n % 100);
  return b.vendor.substr(0, 2) + (tag + "0000").substr(0, 4) + digits;
}

// The simulator's partners and the config's spapi.accounts for kBrands (instead of the single refresh token).
inline void use_three_brands(spapi::testing::SimAdmin& sim, ServeEnv& env) {
  nlohmann::json partners = nlohmann::json::array();
  for (const auto& b : kBrands)
    partners.push_back({{"id", b.partner}, {"vendor_codes", {b.vendor}}, {"refresh_token", b.refresh_token}});
  sim.partners(partners);
  env.config["spapi"].erase("refresh_token_file");
  nlohmann::json accounts = nlohmann::json::array();
  for (const auto& b : kBrands) {
    env.secret("refresh-" + b.vendor, b.refresh_token);
    accounts.push_back({{"brand", b.name},
                        {"vendor_codes", {b.vendor}},
                        {"sender_domains", {b.domain}},
                        {"marketplace_id", "ATVPDKIKX0DER"},
                        {"refresh_token_file", "refresh-" + b.vendor}});
  }
  env.config["spapi"]["accounts"] = accounts;
}

// One email per brand, each with one PO (FC ABE8) put in the warehouse data; the shipment identifiers by brand.
inline std::map<std::string, std::string> one_email_per_brand(ServeEnv& env, const std::string& tag) {
  std::map<std::string, std::string> shipments;
  for (const auto& b : kBrands) {
    const auto po = brand_po(b, tag, 1);
    add_order(*env.orders, po, "ABE8", 4, b.vendor);
    env.deliver(routing_email(tag + "-" + b.vendor + "@amazon.example", {{po, "ABE8"}}, 4, b.vendor));
    shipments[b.name] = shipment_id("ABE8", {po}, b.vendor);
  }
  return shipments;
}

}  // namespace dockhand::serve_testing
