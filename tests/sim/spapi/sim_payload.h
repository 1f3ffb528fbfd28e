// What the simulator checks in a SubmitShipments body, kept apart from the HTTP plumbing.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace dockhand::sim {

// Synchronous checks (Amazon answers 400 InvalidInput): the model's required fields, enums, date-times,
// decimal strings. Returns Amazon-style errors [{code, message, details}], empty when the body is fine.
nlohmann::json validate_submit_shipments(const nlohmann::json& body);

// Asynchronous business checks (the transaction ends in Failure): errors for one shipment, empty if none.
//  - a purchaseOrderNumber that is not 8 characters [A-Z0-9]  -> INVALID_ORDER_ID
//  - shipToParty.partyId that is not a 4-character FC code     -> INVALID_SHIP_TO_PARTY
//  - totalCartonCount of 0                                     -> INVALID_CARTON_COUNT
//  - a vendorShipmentIdentifier containing "REJECT"            -> SHIPMENT_REJECTED (to force a Failure)
nlohmann::json business_errors(const nlohmann::json& shipment);

bool is_date_time(const std::string& s);

}  // namespace dockhand::sim
