// spapi/: Amazon Selling Partner API, Vendor Shipments + Vendor Transaction Status, with LWA tokens,
// per-operation token buckets and retries (docs/architecture.md).
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace dockhand::spapi {

// One HTTP exchange with SP-API, for whoever counts them (metrics): every attempt, 429s and 5xx included.
struct CallObservation {
  std::string operation;  // "submitShipments", "getTransaction", "getShipmentDetails"
  int status = 0;         // the HTTP status; 0: no answer (connection failed, timeout)
  std::chrono::milliseconds took{0};
};

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
  // The longest one call waits for a rate limit (its bucket, or the backoff after a 429). Beyond that the
  // call gives up at once with a retryable 429 and the chain reschedules the request, so a throttled
  // selling partner never holds up the others' requests (they share the chain's loop).
  std::chrono::milliseconds throttle_wait_max{200};
  // Who these credentials act for, for messages ("authorization for BRAND was revoked"); "" if unnamed.
  std::string account;
  // Told of every HTTP exchange (on the calling thread; keep it short). Empty: nobody listens.
  std::function<void(const CallObservation&)> observe_call;
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
  // Added (brands): the selling partner's authorization itself was refused: LWA said invalid_grant (the
  // refresh token was revoked or is wrong), invalid_client or unauthorized_client, or SP-API answered 401/403
  // for a reason other than an expired access token (a missing role, a token for another selling partner).
  // Waiting does not help; a human must re-authorize. `auth_error` is LWA's error code or "Unauthorized".
  std::string auth_error;
  bool authorization_refused() const { return !auth_error.empty(); }
};

// Amazon's ErrorList as one line for messages and events: "code: message (details); ...". Anything that is
// not a list is shown as its JSON ("" for null), so nothing Amazon said is lost.
std::string errors_text(const nlohmann::json& errors);

struct TransactionStatus {
  std::string transaction_id;
  std::string status;  // "Processing" | "Success" | "Failure"
  nlohmann::json errors = nlohmann::json::array();  // Amazon's ErrorList on Failure
};

// One transport label from getShipmentLabels, decoded (the model sends it base64-encoded).
struct ShipmentLabel {
  int sequence = 0;
  std::string format;  // "PDF"
  std::string carrier_code, tracking_id;
  std::string bytes;   // the printable file
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
  // submitShipmentConfirmations (the ASN): POST /vendor/shipping/v1/shipmentConfirmations with
  // {"shipmentConfirmations":[...]}. Returns the transactionId (followed with get_transaction). Never
  // repeated by the client: an answer lost after sending is SpapiError with uncertain (or status 0).
  std::string submit_shipment_confirmations(const nlohmann::json& body);
  // GET /vendor/shipping/v1/transportLabels?vendorShipmentIdentifier=... : the labels Amazon offers for the
  // shipment (none: an empty list).
  std::vector<ShipmentLabel> get_shipment_labels(const std::string& vendor_shipment_identifier);
  // One harmless read (getShipmentDetails with limit=1): proves the token exchange works and the
  // authorization covers the Vendor Shipments API. Throws SpapiError (authorization_refused() for a revoked
  // token or a missing role).
  void check_access();
  // The selling partner authorized again (a new refresh token): forget the cached access token and any
  // remembered refusal.
  void set_refresh_token(const std::string& refresh_token);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Added (spapi helper): formatting the model asks for, for whoever builds payloads.
// ISO-8601 UTC with Z and milliseconds, e.g. "2026-11-24T15:00:00.000Z".
std::string iso8601_utc(std::chrono::system_clock::time_point t);
// A decimal string as the model's Decimal wants it (no exponent, no trailing zeros), e.g. 340.5 -> "340.5".
std::string decimal_string(double value, int max_decimals = 2);
// Standard or URL-safe base64, line breaks allowed; nullopt when it is not base64.
std::optional<std::string> base64_decode(const std::string& text);
// The base URL requests go to: config.endpoint if set, else the regional (or sandbox) host.
// Throws std::invalid_argument for an unknown region.
std::string base_url(const SpapiConfig& config);

}  // namespace dockhand::spapi
