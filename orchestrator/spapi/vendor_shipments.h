// spapi/: Amazon Selling Partner API, Vendor Shipments + Vendor Transaction Status, with LWA tokens,
// per-operation token buckets and retries (docs/architecture.md).
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

namespace dockhand::spapi {

struct SpapiConfig {
  std::string region = "na";  // na | eu | fe
  bool sandbox = false;
  std::string endpoint;       // overrides the regional host, e.g. "http://127.0.0.1:8443"
  std::string lwa_endpoint = "https://api.amazon.com/auth/o2/token";
  std::string client_id;
  std::string client_secret;  // secret: never logged
  std::string refresh_token;  // secret: never logged
  std::chrono::milliseconds request_timeout{15000};
  int max_retries = 6;
  // Added (spapi helper): connection timeout, and the retry backoff (exponential, full jitter, capped).
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds backoff_base{250};
  std::chrono::milliseconds backoff_cap{30000};
};

// A 4xx other than 429 (or retries exhausted): carries the HTTP status and Amazon's error list.
class SpapiError : public std::runtime_error {
 public:
  SpapiError(const std::string& what, int http_status, nlohmann::json errors = nlohmann::json::array())
      : std::runtime_error(what), http_status(http_status), errors(std::move(errors)) {}
  int http_status;
  nlohmann::json errors;
  bool retryable() const { return http_status == 0 || http_status == 429 || http_status >= 500; }
  // Added: true when submitShipments may have reached Amazon although no answer came back (timeout or
  // connection dropped after the request was sent). Never resubmit blindly: ask getShipmentDetails first.
  bool uncertain = false;
};

struct TransactionStatus {
  std::string transaction_id;
  std::string status;  // "Processing" | "Success" | "Failure"
  nlohmann::json errors = nlohmann::json::array();  // Amazon's ErrorList on Failure
};

class VendorShipmentsClient {
 public:
  explicit VendorShipmentsClient(SpapiConfig config);
  ~VendorShipmentsClient();
  VendorShipmentsClient(const VendorShipmentsClient&) = delete;
  VendorShipmentsClient& operator=(const VendorShipmentsClient&) = delete;

  // submitShipments: POST /vendor/shipping/v1/shipments with {"shipments":[...]}. Returns the transactionId.
  std::string submit_shipments(const nlohmann::json& body);
  // GET /vendor/transactions/v1/transactions/{transactionId}
  TransactionStatus get_transaction(const std::string& transaction_id);
  // GET /vendor/shipping/v1/shipments?vendorShipmentIdentifier=... ; the shipment, or nullopt if Amazon
  // has none with that identifier (used to resolve an uncertain submission).
  std::optional<nlohmann::json> get_shipment_details(const std::string& vendor_shipment_identifier);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Added (spapi helper): formatting the model asks for, for whoever builds payloads.
// ISO-8601 UTC with Z and milliseconds, e.g. "2026-11-24T15:00:00.000Z".
std::string iso8601_utc(std::chrono::system_clock::time_point t);
// A decimal string as the model's Decimal wants it (no exponent, no trailing zeros), e.g. 340.5 -> "340.5".
std::string decimal_string(double value, int max_decimals = 2);
// The base URL requests go to: config.endpoint if set, else the regional (or sandbox) host.
// Throws std::invalid_argument for an unknown region.
std::string base_url(const SpapiConfig& config);

}  // namespace dockhand::spapi
