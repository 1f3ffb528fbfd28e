// The ASN (submitShipmentConfirmations) of a departed shipment, from the warehouse order data: its items,
// cartons and pallets, with Amazon's carrier and references and the bill of lading the freight left with.
#include "pretender.h"

#include <cstdio>
#include <map>
#include <regex>

namespace dockhand::pretender {

namespace {

std::string sequence(int n) {
  char text[16];
  std::snprintf(text, sizeof text, "%03d", n);
  return text;
}

// The model's identification types: an SSCC is 18 digits (the "00" application identifier may lead). A
// warehouse's own label that is not an SSCC goes as a container identifier (CID).
nlohmann::json container_id(const std::string& id) {
  static const std::regex sscc("^(00)?[0-9]{18}$");
  return {{"containerIdentificationType", std::regex_match(id, sscc) ? "SSCC" : "CID"},
          {"containerIdentificationNumber", id}};
}

}  // namespace

nlohmann::json shipment_confirmation(const PlannedShipment& s, const OrderDatabase& orders, const Departure& departure,
                                     std::chrono::system_clock::time_point now) {
  nlohmann::json items = nlohmann::json::array(), cartons = nlohmann::json::array();
  std::map<std::string, nlohmann::json> pallets;  // pallet id -> carton sequence numbers
  int item_number = 0, carton_number = 0;
  double weight = 0, volume_cuin = 0;
  for (const auto& po : s.pos) {
    auto order = orders.find(po);
    if (!order) throw PretenderError("PO " + po + " of shipment " + s.vendor_shipment_identifier +
                                     " is no longer in the warehouse order data: its ASN cannot be built");
    const int first_item = item_number + 1;
    for (const auto& line : order->lines)
      items.push_back({{"itemSequenceNumber", sequence(++item_number)},
                       {"vendorProductIdentifier", line.sku},
                       {"shippedQuantity", {{"amount", line.qty}, {"unitOfMeasure", "Eaches"}, {"unitSize", 1}}},
                       {"itemDetails", {{"purchaseOrderNumber", po}}}});
    // What each carton holds is known only when the PO has one item packed evenly; otherwise the items stay
    // at the shipment level (the model allows either).
    const bool even = order->lines.size() == 1 && !order->cartons.empty() &&
                      order->lines[0].qty % static_cast<int>(order->cartons.size()) == 0;
    for (const auto& c : order->cartons) {
      nlohmann::json carton = {{"cartonIdentifiers", nlohmann::json::array({container_id(c.carton_id)})},
                               {"cartonSequenceNumber", sequence(++carton_number)},
                               {"weight", {{"unitOfMeasure", "Lb"}, {"value", decimal_string(c.weight_lb)}}},
                               {"items", nlohmann::json::array()}};
      if (c.length_in > 0 && c.width_in > 0 && c.height_in > 0)
        carton["dimensions"] = {{"length", decimal_string(c.length_in)},
                                {"width", decimal_string(c.width_in)},
                                {"height", decimal_string(c.height_in)},
                                {"unitOfMeasure", "In"}};
      if (even)
        carton["items"].push_back(
            {{"itemReference", sequence(first_item)},
             {"shippedQuantity",
              {{"amount", order->lines[0].qty / static_cast<int>(order->cartons.size())}, {"unitOfMeasure", "Eaches"}, {"unitSize", 1}}},
             {"itemDetails", {{"purchaseOrderNumber", po}}}});
      weight += c.weight_lb;
      volume_cuin += c.length_in * c.width_in * c.height_in;
      if (c.pallet_id && !c.pallet_id->empty()) pallets[*c.pallet_id].push_back(carton["cartonSequenceNumber"]);
      cartons.push_back(std::move(carton));
    }
  }
  nlohmann::json measurements = {{"grossShipmentWeight", {{"unitOfMeasure", "Lb"}, {"value", decimal_string(weight)}}},
                                 {"shipmentVolume", {{"unitOfMeasure", "CuFt"}, {"value", decimal_string(volume_cuin / 1728.0)}}}};
  if (pallets.empty()) measurements["cartonCount"] = static_cast<int>(cartons.size());
  else measurements["palletCount"] = static_cast<int>(pallets.size());

  const auto& details = departure.amazon_details.is_object() ? departure.amazon_details : nlohmann::json::object();
  const auto transport = details.value("transportationDetails", nlohmann::json::object());
  const auto carrier = transport.value("carrierDetails", nlohmann::json::object());
  nlohmann::json transportation = {{"transportationMode", "Road"}};
  if (!departure.bol.empty()) transportation["billOfLadingNumber"] = departure.bol;
  if (carrier.contains("code") && carrier["code"].is_string()) transportation["carrierScac"] = carrier["code"];
  if (carrier.contains("shipmentReferenceNumber") && carrier["shipmentReferenceNumber"].is_string())
    transportation["carrierShipmentReferenceNumber"] = carrier["shipmentReferenceNumber"];

  // The departure is never in the future (the model says so): a clock ahead of ours is taken as now.
  const auto shipped = std::min(departure.shipped_at, now);
  nlohmann::json confirmation = {
      {"shipmentIdentifier", s.vendor_shipment_identifier},
      {"shipmentConfirmationType", "Original"},
      {"shipmentType", s.pallets >= 12 ? "TruckLoad" : "LessThanTruckLoad"},
      {"shipmentStructure", pallets.empty() ? "LooseAssortmentCase" : "PalletizedAssortmentCase"},
      {"transportationDetails", transportation},
      {"shipmentConfirmationDate", iso_timestamp(now)},
      {"shippedDate", iso_timestamp(shipped)},
      {"sellingParty", {{"partyId", s.vendor_code}}},
      {"shipFromParty", {{"partyId", s.ship_from}}},
      {"shipToParty", {{"partyId", s.destination_fc}}},
      {"shipmentMeasurements", measurements},
      {"shippedItems", items},
      {"cartons", cartons}};
  if (details.contains("buyerReferenceNumber") && details["buyerReferenceNumber"].is_string())
    confirmation["amazonReferenceNumber"] = details["buyerReferenceNumber"];
  if (!pallets.empty()) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& [id, refs] : pallets)
      list.push_back({{"palletIdentifiers", nlohmann::json::array({container_id(id)})},
                      {"cartonReferenceDetails", {{"cartonCount", static_cast<int>(refs.size())}, {"cartonReferenceNumbers", refs}}}});
    confirmation["pallets"] = list;
  }
  return confirmation;
}

}  // namespace dockhand::pretender
