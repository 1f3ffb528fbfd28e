#include "orchestrator/spapi/lwa_token_provider.h"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

namespace dockhand::spapi {

namespace {
HttpRequest lwa_request(const LwaConfig& config, std::string body) {
  HttpRequest request;
  request.method = "POST";
  request.url = config.endpoint;
  request.headers = {"Content-Type: application/x-www-form-urlencoded;charset=UTF-8", "Accept: application/json"};
  request.body = std::move(body) + "&client_id=" + url_encode(config.client_id) +
                 "&client_secret=" + url_encode(config.client_secret);
  request.timeout = config.timeout;
  request.connect_timeout = config.connect_timeout;
  return request;
}
}  // namespace

SpapiError lwa_refusal(const HttpResponse& response, const std::string& endpoint, const Redactor& redact) {
  // LWA answers {"error": "invalid_grant", "error_description": "..."}; keep those, never the body whole.
  std::string code = "HTTP " + std::to_string(response.status), description, lwa_code;
  auto parsed = nlohmann::json::parse(response.body, nullptr, false);
  if (parsed.is_object()) {
    if (parsed.contains("error") && parsed["error"].is_string()) lwa_code = parsed["error"].get<std::string>();
    if (!lwa_code.empty()) code = lwa_code;
    if (parsed.contains("error_description") && parsed["error_description"].is_string())
      description = parsed["error_description"].get<std::string>();
  }
  auto errors = nlohmann::json::array({{{"code", redact(code)}, {"message", redact(description)}}});
  const std::string what = redact("LWA token request refused (HTTP " + std::to_string(response.status) + " from " +
                                  endpoint + "): " + code + (description.empty() ? "" : " - " + description));
  SpapiError error(what, static_cast<int>(response.status), errors);
  if (lwa_code == "invalid_grant" || lwa_code == "invalid_client" || lwa_code == "unauthorized_client")
    error.auth_error = lwa_code;
  return error;
}

std::string exchange_authorization_code(HttpTransport& transport, const LwaConfig& lwa, const std::string& code,
                                        const std::string& redirect_uri, Redactor& redact) {
  redact.add(code);
  redact.add(lwa.client_secret);
  if (code.empty()) throw SpapiError("LWA: no spapi_oauth_code to exchange", 400);
  auto request = lwa_request(lwa, "grant_type=authorization_code&code=" + url_encode(code) +
                                      "&redirect_uri=" + url_encode(redirect_uri));
  HttpResponse response;
  try {
    response = transport.perform(request);
  } catch (const TransportError& e) {
    throw SpapiError(redact("LWA authorization code exchange failed: " + std::string(e.what())), 0);
  }
  if (response.status < 200 || response.status >= 300) throw lwa_refusal(response, lwa.endpoint, redact);
  auto parsed = nlohmann::json::parse(response.body, nullptr, false);
  if (!parsed.is_object() || !parsed.contains("refresh_token") || !parsed["refresh_token"].is_string() ||
      parsed["refresh_token"].get<std::string>().empty())
    throw SpapiError("LWA answer from " + lwa.endpoint + " to the authorization code has no refresh_token", 502);
  const auto token = parsed["refresh_token"].get<std::string>();
  redact.add(token);
  if (parsed.contains("access_token") && parsed["access_token"].is_string())
    redact.add(parsed["access_token"].get<std::string>());
  return token;
}

LwaTokenProvider::LwaTokenProvider(LwaConfig config, HttpTransport& transport, Redactor& redact,
                                   std::function<Clock::time_point()> now)
    : config_(std::move(config)), transport_(transport), redact_(redact), now_(std::move(now)) {
  redact_.add(config_.client_secret);
  redact_.add(config_.refresh_token);
}

std::string LwaTokenProvider::access_token() {
  std::lock_guard lock(mutex_);
  const auto now = now_();
  if (refusal_ && now < refusal_until_) throw *refusal_;
  if (!token_.empty() && now < refresh_at_) return token_;
  if (!token_.empty() && now < expires_at_) {
    try {
      refresh_locked();
    } catch (const SpapiError& e) {
      spdlog::warn("spapi: LWA early refresh failed, using the cached token until it expires: {}", e.what());
    }
    return token_;
  }
  refresh_locked();
  return token_;
}

void LwaTokenProvider::invalidate(const std::string& token) {
  std::lock_guard lock(mutex_);
  if (token == token_) token_.clear();
}

void LwaTokenProvider::set_refresh_token(const std::string& refresh_token) {
  std::lock_guard lock(mutex_);
  redact_.add(refresh_token);
  config_.refresh_token = refresh_token;
  token_.clear();
  refusal_.reset();
}

int LwaTokenProvider::refreshes() const {
  std::lock_guard lock(mutex_);
  return refreshes_;
}

void LwaTokenProvider::refresh_locked() {
  if (config_.client_id.empty() || config_.client_secret.empty() || config_.refresh_token.empty())
    throw SpapiError("LWA: client_id, client_secret and refresh_token must all be configured", 400);
  auto request = lwa_request(config_, "grant_type=refresh_token&refresh_token=" + url_encode(config_.refresh_token));
  const auto started = now_();
  HttpResponse response;
  try {
    response = transport_.perform(request);
  } catch (const TransportError& e) {
    throw SpapiError(redact_("LWA token request failed: " + std::string(e.what())), 0);
  }
  if (response.status < 200 || response.status >= 300) {
    auto error = lwa_refusal(response, config_.endpoint, redact_);
    if (error.authorization_refused()) {
      refusal_ = error;
      refusal_until_ = now_() + kRefusalRemembered;
    }
    throw error;
  }
  auto parsed = nlohmann::json::parse(response.body, nullptr, false);
  if (!parsed.is_object() || !parsed.contains("access_token") || !parsed["access_token"].is_string())
    throw SpapiError("LWA token response from " + redact_(config_.endpoint) + " has no access_token", 502);
  token_ = parsed["access_token"].get<std::string>();
  redact_.add(token_);
  long long expires_in = 3600;
  if (parsed.contains("expires_in") && parsed["expires_in"].is_number()) expires_in = parsed["expires_in"].get<long long>();
  const auto lifetime = std::chrono::seconds(std::max<long long>(expires_in, 1));
  const auto ahead = std::min<Clock::duration>(kRefreshAhead, lifetime / 2);
  expires_at_ = started + lifetime;
  refresh_at_ = expires_at_ - ahead;
  ++refreshes_;
  spdlog::info("spapi: LWA access token obtained (expires in {} s)", expires_in);
}

}  // namespace dockhand::spapi
