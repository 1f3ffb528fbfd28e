#include "orchestrator/spapi/vendor_shipments.h"

#include "orchestrator/spapi/http_transport.h"
#include "orchestrator/spapi/lwa_token_provider.h"
#include "orchestrator/spapi/redactor.h"
#include "orchestrator/spapi/token_bucket.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <thread>

namespace dockhand::spapi {
namespace {

enum class Operation { SubmitShipments, GetShipmentDetails, GetTransaction, SubmitShipmentConfirmations, GetShipmentLabels };

const char* name_of(Operation op) {
  switch (op) {
    case Operation::SubmitShipments: return "submitShipments";
    case Operation::GetShipmentDetails: return "getShipmentDetails";
    case Operation::GetTransaction: return "getTransaction";
    case Operation::SubmitShipmentConfirmations: return "submitShipmentConfirmations";
    case Operation::GetShipmentLabels: return "getShipmentLabels";
  }
  return "?";
}

// Amazon's error list from a response body ({"errors": [...]}), or one synthetic entry when there is none.
nlohmann::json errors_of(const HttpResponse& response, const Redactor& redact) {
  auto parsed = nlohmann::json::parse(response.body, nullptr, false);
  if (parsed.is_object() && parsed.contains("errors") && parsed["errors"].is_array() && !parsed["errors"].empty())
    return nlohmann::json::parse(redact(parsed["errors"].dump()));
  std::string excerpt = response.body.substr(0, 300);
  return nlohmann::json::array({{{"code", "HTTP" + std::to_string(response.status)}, {"message", redact(excerpt)}}});
}

bool says_token_expired(const nlohmann::json& errors) {
  for (const auto& e : errors) {
    std::string text = e.value("code", std::string()) + " " + e.value("message", std::string()) + " " +
                       (e.contains("details") && e["details"].is_string() ? e["details"].get<std::string>() : "");
    std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
    if (text.find("expired") != std::string::npos) return true;
  }
  return false;
}

std::string query_escape(const std::string& v) { return url_encode(v); }

}  // namespace

std::string errors_text(const nlohmann::json& errors) {
  if (!errors.is_array()) return errors.is_null() ? "" : errors.dump();
  std::string out;
  for (const auto& e : errors) {
    if (!out.empty()) out += "; ";
    out += e.value("code", std::string("?")) + ": " + e.value("message", std::string());
    if (e.contains("details") && e["details"].is_string() && !e["details"].get<std::string>().empty())
      out += " (" + e["details"].get<std::string>() + ")";
  }
  return out;
}

struct VendorShipmentsClient::Impl {
  explicit Impl(SpapiConfig c)
      : config(std::move(c)),
        prefix(config.account.empty() ? "" : "[" + config.account + "] "),
        base(base_url(config)),
        lwa(LwaConfig{config.lwa_endpoint, config.client_id, config.client_secret, config.refresh_token,
                      config.request_timeout, config.connect_timeout},
            transport, redact),
        // Usage plans from Amazon's models: vendorShipments.json (10 rps, burst 10 for both operations)
        // and vendorTransactionStatus.json (getTransaction 10 rps, burst 20).
        submit_bucket(10, 10),
        details_bucket(10, 10),
        transaction_bucket(10, 20),
        confirmations_bucket(10, 10),
        labels_bucket(10, 10),
        rng(std::random_device{}()) {
    if (config.max_retries < 0) throw std::invalid_argument("SP-API max_retries must be >= 0");
  }

  TokenBucket& bucket(Operation op) {
    switch (op) {
      case Operation::SubmitShipments: return submit_bucket;
      case Operation::GetShipmentDetails: return details_bucket;
      case Operation::SubmitShipmentConfirmations: return confirmations_bucket;
      case Operation::GetShipmentLabels: return labels_bucket;
      default: return transaction_bucket;
    }
  }

  // Full jitter: a uniform wait in [0, min(cap, base * 2^attempt)].
  std::chrono::microseconds backoff_delay(int attempt) {
    const double ceiling = std::min<double>(static_cast<double>(config.backoff_cap.count()),
                                            static_cast<double>(config.backoff_base.count()) * std::ldexp(1.0, attempt));
    double wait_ms;
    {
      std::lock_guard lock(rng_mutex);
      wait_ms = std::uniform_real_distribution<double>(0, std::max(0.0, ceiling))(rng);
    }
    return std::chrono::microseconds(static_cast<long long>(wait_ms * 1000));
  }
  void backoff(int attempt) { std::this_thread::sleep_for(backoff_delay(attempt)); }

  // The rate limit asks for a longer wait than this call may spend: give up now (retryable), so the chain
  // reschedules the request and goes on with other requests (other selling partners' above all).
  SpapiError throttled(const std::string& what, std::chrono::steady_clock::duration wait, bool after_429) {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(wait).count();
    return SpapiError(what + ": " + (after_429 ? "throttled by Amazon (HTTP 429)" : "rate limit reached") +
                          ", next slot in " + std::to_string(ms) + " ms; not waiting here (spapi.throttle_wait_max_ms)",
                      429, nlohmann::json::array({{{"code", "QuotaExceeded"}, {"message", "throttled"}}}));
  }

  void note_rate_limit(Operation op, const HttpResponse& response) {
    const std::string limit = response.header("x-amzn-ratelimit-limit");
    if (limit.empty()) return;
    try {
      size_t used = 0;
      const double rate = std::stod(limit, &used);
      if (used > 0 && rate > 0 && std::isfinite(rate) && rate != bucket(op).rate()) {
        spdlog::debug("spapi: {} rate limit is now {} requests/s (x-amzn-RateLimit-Limit)", name_of(op), rate);
        bucket(op).set_rate(rate);
      }
    } catch (const std::exception&) {
      // not a number (e.g. a mock server's placeholder): keep the current rate
    }
  }

  // One SP-API call with rate limiting, token handling and retries. `idempotent` is false for
  // submitShipments: an answer lost after the request was sent is then reported as uncertain, not repeated.
  HttpResponse call(Operation op, const std::string& method, const std::string& path, const std::string& body,
                    bool idempotent) {
    const std::string what = prefix + name_of(op) + " " + method + " " + path;
    bool refreshed_after_refusal = false, throttled_by_amazon = false;
    auto throttle_budget = std::chrono::duration_cast<std::chrono::steady_clock::duration>(config.throttle_wait_max);
    for (int attempt = 0;; ++attempt) {
      const bool last = attempt >= config.max_retries;
      const auto wait = bucket(op).reserve();
      if (wait > throttle_budget) {
        bucket(op).give_back();
        throw throttled(what, wait, throttled_by_amazon);
      }
      if (wait > std::chrono::steady_clock::duration::zero()) {
        std::this_thread::sleep_for(wait);
        throttle_budget -= wait;
      }
      std::string token;
      try {
        token = lwa.access_token();
      } catch (const SpapiError& e) {
        if (!e.retryable() || last) {
          SpapiError error(redact(what + ": " + e.what()), e.http_status, e.errors);
          error.auth_error = e.auth_error;
          throw error;
        }
        spdlog::warn("spapi: {} waiting for LWA (attempt {}/{}): {}", what, attempt + 1, config.max_retries + 1,
                     redact(e.what()));
        backoff(attempt);
        continue;
      }
      HttpRequest request;
      request.method = method;
      request.url = base + path;
      request.body = body;
      request.timeout = config.request_timeout;
      request.connect_timeout = config.connect_timeout;
      request.headers = {"x-amz-access-token: " + token, "Accept: application/json",
                         "User-Agent: dockhand/0.1 (Language=C++)"};
      if (!body.empty()) request.headers.push_back("Content-Type: application/json");
      HttpResponse response;
      const auto started = std::chrono::steady_clock::now();
      try {
        response = transport.perform(request);
      } catch (const TransportError& e) {
        observe(op, 0, started);
        if (!idempotent && e.request_sent) {
          SpapiError error(redact(what + ": no answer after the request was sent (" + e.what() +
                                  "); it may have reached Amazon - check getShipmentDetails before resubmitting"),
                           0);
          error.uncertain = true;
          spdlog::error("spapi: {}", error.what());
          throw error;
        }
        if (last)
          throw SpapiError(redact(what + ": gave up after " + std::to_string(attempt + 1) + " attempts: " + e.what()), 0);
        spdlog::warn("spapi: {} transport error (attempt {}/{}): {}", what, attempt + 1, config.max_retries + 1,
                     redact(e.what()));
        backoff(attempt);
        continue;
      }
      const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
      note_rate_limit(op, response);
      const int status = static_cast<int>(response.status);
      observe(op, status, started);
      spdlog::debug("spapi: {} -> {} in {} ms (request id {})", what, status, ms.count(),
                    redact(response.header("x-amzn-requestid")));
      if (status >= 200 && status < 300) return response;

      const auto errors = errors_of(response, redact);
      const bool refused = status == 401 || status == 403;
      if (refused && !refreshed_after_refusal) {
        // Once per call: the token expired (or was revoked): a fresh one from LWA settles it, or LWA itself
        // says the authorization is gone (invalid_grant). A second refusal right after is a real problem.
        spdlog::info("spapi: {} access token refused (HTTP {}: {}), getting a new one", what, status, errors_text(errors));
        refreshed_after_refusal = true;
        lwa.invalidate(token);
        --attempt;
        continue;
      }
      const bool retryable = status == 429 || status >= 500;
      if (status == 429) {
        // Amazon's bucket is empty: ours too, and nothing is sent before the backoff is over.
        throttled_by_amazon = true;
        bucket(op).drain();
        bucket(op).pause_for(backoff_delay(attempt));
        if (!last) {
          spdlog::warn("spapi: {} HTTP 429 (attempt {}/{}): {}", what, attempt + 1, config.max_retries + 1,
                       errors_text(errors));
          continue;
        }
      }
      if (!retryable || last) {
        std::string message = what + ": HTTP " + std::to_string(status);
        if (retryable) message += " after " + std::to_string(attempt + 1) + " attempts";
        message += ": " + errors_text(errors);
        spdlog::error("spapi: {}", redact(message));
        SpapiError error(redact(message), status, errors);
        if (refused && !says_token_expired(errors)) error.auth_error = "Unauthorized";
        throw error;
      }
      spdlog::warn("spapi: {} HTTP {} (attempt {}/{}), backing off: {}", what, status, attempt + 1,
                   config.max_retries + 1, errors_text(errors));
      backoff(attempt);
    }
  }

  void observe(Operation op, int status, std::chrono::steady_clock::time_point started) {
    if (!config.observe_call) return;
    try {
      config.observe_call({name_of(op), status,
                           std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started)});
    } catch (...) {
      // counting never fails a call
    }
  }

  nlohmann::json parse_json(const HttpResponse& response, const std::string& what) {
    auto parsed = nlohmann::json::parse(response.body, nullptr, false);
    if (parsed.is_discarded())
      throw SpapiError(what + ": HTTP " + std::to_string(response.status) + " with a body that is not JSON", 502);
    return parsed;
  }

  // GET `path`?vendorShipmentIdentifier=ID (getShipmentDetails, getShipmentLabels): the answer's payload object.
  nlohmann::json shipment_payload(Operation op, const std::string& what, const std::string& path,
                                  const std::string& vendor_shipment_identifier) {
    if (vendor_shipment_identifier.empty()) throw SpapiError(what + ": empty vendorShipmentIdentifier", 400);
    auto response = call(op, "GET", path + "?vendorShipmentIdentifier=" + query_escape(vendor_shipment_identifier), "", true);
    auto parsed = parse_json(response, what);
    if (!parsed.is_object() || !parsed.contains("payload") || !parsed["payload"].is_object())
      throw SpapiError(what + " " + vendor_shipment_identifier + ": response has no payload", 502);
    return parsed["payload"];
  }

  SpapiConfig config;
  std::string prefix;  // "[BRAND] " when the account is named
  std::string base;
  HttpTransport transport;
  Redactor redact;
  LwaTokenProvider lwa;
  TokenBucket submit_bucket, details_bucket, transaction_bucket, confirmations_bucket, labels_bucket;
  std::mutex rng_mutex;
  std::mt19937_64 rng;
};

VendorShipmentsClient::VendorShipmentsClient(SpapiConfig config) : impl_(std::make_unique<Impl>(std::move(config))) {}
VendorShipmentsClient::~VendorShipmentsClient() = default;

std::string VendorShipmentsClient::submit_shipments(const nlohmann::json& body) {
  if (!body.is_object() || !body.contains("shipments") || !body["shipments"].is_array() || body["shipments"].empty())
    throw SpapiError("submitShipments: the body must be {\"shipments\": [...]} with at least one shipment", 400);
  auto response = impl_->call(Operation::SubmitShipments, "POST", "/vendor/shipping/v1/shipments", body.dump(), false);
  auto parsed = impl_->parse_json(response, "submitShipments");
  const auto* id = parsed.is_object() && parsed.contains("payload") && parsed["payload"].is_object() &&
                           parsed["payload"].contains("transactionId") && parsed["payload"]["transactionId"].is_string()
                       ? &parsed["payload"]["transactionId"]
                       : nullptr;
  if (!id) {
    // Accepted but no id to follow: the chain must treat it like an uncertain submission.
    SpapiError error("submitShipments: HTTP " + std::to_string(response.status) +
                         " without payload.transactionId; check getShipmentDetails before resubmitting",
                     static_cast<int>(response.status));
    error.uncertain = true;
    throw error;
  }
  spdlog::info("spapi: submitShipments accepted {} shipment(s), transactionId {}", body["shipments"].size(),
               id->get<std::string>());
  return id->get<std::string>();
}

TransactionStatus VendorShipmentsClient::get_transaction(const std::string& transaction_id) {
  if (transaction_id.empty()) throw SpapiError("getTransaction: empty transactionId", 400);
  auto response = impl_->call(Operation::GetTransaction, "GET",
                              "/vendor/transactions/v1/transactions/" + query_escape(transaction_id), "", true);
  auto parsed = impl_->parse_json(response, "getTransaction");
  const nlohmann::json* t = nullptr;
  if (parsed.is_object() && parsed.contains("payload") && parsed["payload"].is_object() &&
      parsed["payload"].contains("transactionStatus") && parsed["payload"]["transactionStatus"].is_object())
    t = &parsed["payload"]["transactionStatus"];
  if (!t || !t->contains("status") || !(*t)["status"].is_string())
    throw SpapiError("getTransaction " + transaction_id + ": response has no payload.transactionStatus.status", 502);
  TransactionStatus status;
  status.transaction_id = t->value("transactionId", transaction_id);
  status.status = (*t)["status"].get<std::string>();
  if (t->contains("errors") && (*t)["errors"].is_array()) status.errors = (*t)["errors"];
  spdlog::debug("spapi: transaction {} is {}", status.transaction_id, status.status);
  return status;
}

std::optional<nlohmann::json> VendorShipmentsClient::get_shipment_details(const std::string& vendor_shipment_identifier) {
  const auto payload = impl_->shipment_payload(Operation::GetShipmentDetails, "getShipmentDetails",
                                               "/vendor/shipping/v1/shipments", vendor_shipment_identifier);
  if (payload.contains("shipments") && payload["shipments"].is_array()) {
    for (const auto& s : payload["shipments"])
      if (s.is_object() && s.value("vendorShipmentIdentifier", std::string()) == vendor_shipment_identifier) return s;
  }
  return std::nullopt;
}

std::string VendorShipmentsClient::submit_shipment_confirmations(const nlohmann::json& body) {
  if (!body.is_object() || !body.contains("shipmentConfirmations") || !body["shipmentConfirmations"].is_array() ||
      body["shipmentConfirmations"].empty())
    throw SpapiError("submitShipmentConfirmations: the body must be {\"shipmentConfirmations\": [...]} with at least one",
                     400);
  auto response = impl_->call(Operation::SubmitShipmentConfirmations, "POST", "/vendor/shipping/v1/shipmentConfirmations",
                              body.dump(), false);
  auto parsed = impl_->parse_json(response, "submitShipmentConfirmations");
  if (!parsed.is_object() || !parsed.contains("payload") || !parsed["payload"].is_object() ||
      !parsed["payload"].contains("transactionId") || !parsed["payload"]["transactionId"].is_string()) {
    // Taken but nothing to follow: the chain treats it like an answer lost (asks Amazon before sending again).
    SpapiError error("submitShipmentConfirmations: HTTP " + std::to_string(response.status) +
                         " without payload.transactionId",
                     static_cast<int>(response.status));
    error.uncertain = true;
    throw error;
  }
  const auto id = parsed["payload"]["transactionId"].get<std::string>();
  spdlog::info("spapi: submitShipmentConfirmations accepted {} confirmation(s), transactionId {}",
               body["shipmentConfirmations"].size(), id);
  return id;
}

std::vector<ShipmentLabel> VendorShipmentsClient::get_shipment_labels(const std::string& vendor_shipment_identifier) {
  const auto payload = impl_->shipment_payload(Operation::GetShipmentLabels, "getShipmentLabels",
                                               "/vendor/shipping/v1/transportLabels", vendor_shipment_identifier);
  std::vector<ShipmentLabel> labels;
  const auto transport = payload.value("transportLabels", nlohmann::json::array());
  for (const auto& t : transport) {
    if (!t.is_object()) continue;
    for (const auto& d : t.value("labelData", nlohmann::json::array())) {
      if (!d.is_object() || !d.contains("label") || !d["label"].is_string()) continue;
      ShipmentLabel label;
      label.sequence = d.value("labelSequenceNumber", static_cast<int>(labels.size()) + 1);
      label.format = d.value("labelFormat", std::string("PDF"));
      label.carrier_code = d.value("carrierCode", std::string());
      label.tracking_id = d.value("trackingId", std::string());
      auto bytes = base64_decode(d["label"].get<std::string>());
      if (!bytes)
        throw SpapiError("getShipmentLabels " + vendor_shipment_identifier + ": label " +
                             std::to_string(label.sequence) + " is not base64",
                         502);
      label.bytes = std::move(*bytes);
      labels.push_back(std::move(label));
    }
  }
  return labels;
}

std::optional<std::string> base64_decode(const std::string& text) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
  };
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  bool padding = false;
  for (char c : text) {
    if (c == '\r' || c == '\n' || c == ' ' || c == '\t') continue;
    if (c == '=') {
      padding = true;
      continue;
    }
    const int v = value(c);
    if (v < 0 || padding) return std::nullopt;  // a foreign character, or data after the padding
    buffer = (buffer << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xFF));
    }
  }
  if (bits >= 6) return std::nullopt;  // a lone trailing character cannot be a byte
  return out;
}

void VendorShipmentsClient::check_access() {
  auto response = impl_->call(Operation::GetShipmentDetails, "GET", "/vendor/shipping/v1/shipments?limit=1", "", true);
  auto parsed = impl_->parse_json(response, "getShipmentDetails");
  if (!parsed.is_object() || !parsed.contains("payload"))
    throw SpapiError("getShipmentDetails (access check): response has no payload", 502);
}

void VendorShipmentsClient::set_refresh_token(const std::string& refresh_token) {
  impl_->lwa.set_refresh_token(refresh_token);
}

}  // namespace dockhand::spapi
