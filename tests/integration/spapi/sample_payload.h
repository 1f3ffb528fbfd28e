// A SubmitShipments body built the way the pre-tender builds one (orchestrator/pretender owns the real
// builder): one shipment per ship-from + FC, its POs, carton and pallet counts, weight and volume as
// decimal strings, ISO-8601 Z timestamps. Used by the spapi and conformance tests.
#pragma once

#include "orchestrator/spapi/vendor_shipments.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace dockhand::spapi::testing {

struct SamplePo {
  std::string po;
  int cartons;
};

inline nlohmann::json sample_shipment(const std::string& vendor_shipment_identifier, const std::string& fc = "ABE8",
                                      std::vector<SamplePo> pos = {{"2K4GH7QZ", 12}}) {
  using nlohmann::json;
  const auto now = std::chrono::system_clock::now();
  int cartons = 0;
  json purchase_orders = json::array();
  for (const auto& p : pos) {
    cartons += p.cartons;
    purchase_orders.push_back({{"purchaseOrderNumber", p.po},
                               {"items", json::array({{{"itemSequenceNumber", "001"},
                                                       {"vendorProductIdentifier", "9782700001659"},
                                                       {"shippedQuantity", {{"amount", p.cartons}, {"unitOfMeasure", "Cases"}, {"unitSize", 1}}}}})}});
  }
  return {{"vendorShipmentIdentifier", vendor_shipment_identifier},
          {"transactionType", "New"},
          {"transactionDate", iso8601_utc(now)},
          {"shipmentFreightTerm", "Collect"},
          {"sellingParty", {{"partyId", "ABCDE"}}},
          {"shipFromParty",
           {{"partyId", "ORL1"},
            {"address", {{"name", "Dockhand 3PL Orlando"}, {"addressLine1", "100 Warehouse Way"}, {"city", "Orlando"},
                         {"stateOrRegion", "FL"}, {"postalCode", "32824"}, {"countryCode", "US"}}}}},
          {"shipToParty", {{"partyId", fc}}},
          {"shipmentMeasurements",
           {{"totalCartonCount", cartons},
            {"totalPalletStackable", 1},
            {"totalPalletNonStackable", 0},
            {"shipmentWeight", {{"unitOfMeasure", "Lb"}, {"value", decimal_string(28.375 * cartons)}}},
            {"shipmentVolume", {{"unitOfMeasure", "CuFt"}, {"value", decimal_string(1.75 * cartons)}}}}},
          {"collectFreightPickupDetails", {{"requestedPickUp", iso8601_utc(now + std::chrono::hours(48))}}},
          {"purchaseOrders", purchase_orders}};
}

inline nlohmann::json sample_body(const std::string& vendor_shipment_identifier) {
  return {{"shipments", nlohmann::json::array({sample_shipment(vendor_shipment_identifier)})}};
}

}  // namespace dockhand::spapi::testing
