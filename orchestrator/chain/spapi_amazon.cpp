// The real Amazon for the chain: a thin adapter over spapi::VendorShipmentsClient.
#include "chain.h"

namespace dockhand::chain {

SpapiAmazon::SpapiAmazon(spapi::SpapiConfig config)
    : client_(std::make_unique<spapi::VendorShipmentsClient>(std::move(config))) {}
SpapiAmazon::~SpapiAmazon() = default;

std::string SpapiAmazon::submit_shipments(const nlohmann::json& body) { return client_->submit_shipments(body); }
spapi::TransactionStatus SpapiAmazon::get_transaction(const std::string& transaction_id) {
  return client_->get_transaction(transaction_id);
}
std::optional<nlohmann::json> SpapiAmazon::get_shipment_details(const std::string& vendor_shipment_identifier) {
  return client_->get_shipment_details(vendor_shipment_identifier);
}

std::string SpapiAmazon::submit_shipment_confirmations(const nlohmann::json& body) {
  return client_->submit_shipment_confirmations(body);
}
std::vector<spapi::ShipmentLabel> SpapiAmazon::get_shipment_labels(const std::string& vendor_shipment_identifier) {
  return client_->get_shipment_labels(vendor_shipment_identifier);
}

}  // namespace dockhand::chain
