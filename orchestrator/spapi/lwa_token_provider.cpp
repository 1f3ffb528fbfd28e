#include "orchestrator/spapi/lwa_token_provider.h"

#include "orchestrator/spapi/vendor_shipments.h"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

namespace dockhand::spapi {

LwaTokenProvider::LwaTokenProvider(LwaConfig config, HttpTransport& transport, Redactor& redact,
                                   std::function<Clock::time_point()> now)
    : config_(std::move(config)), transport_(transport), redact_(redact), now_(std::move(now)) {
  redact_.add(config_.client_secret);
  redact_.add(config_.refresh_token);
}

std::string LwaTokenProvider::access_token() {
  std::lock_guard lock(mutex_);
  const auto now = now_();
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

int LwaTokenProvider::refreshes() const {
  std::lock_guard lock(mutex_);
  return refreshes_;
}

void LwaTokenProvider::refresh_locked() {
  if (config_.client_id.empty() || config_.client_secret.empty() || config_.refresh_token.empty())
    throw SpapiError("LWA: client_id, client_secret and refresh_token must all be configured", 400);
  HttpRequest request;
  request.method = "POST";
  request.url = config_.endpoint;
  request.headers = {"Content-Type: application/x-www-form-urlencoded;charset=UTF-8", "Accept: application/json"};
  request.body = "grant_type=refresh_token&refresh_token=" + url_encode(config_.refresh_token) +
                 "&client_id=" + url_encode(config_.client_id) +
                 "&client_secret=" + url_encode(config_.client_secret);
  request.timeout = config_.timeout;
  request.connect_timeout = config_.connect_timeout;
  const auto started = now_();
  HttpResponse response;
  try {
    response = transport_.perform(request);
  } catch (const TransportError& e) {
    throw SpapiError(redact_("LWA token request failed: " + std::string(e.what())), 0);
  }
  if (response.status < 200 || response.status >= 300) {
    // LWA answers {"error": "invalid_grant", "error_description": "..."}; keep those, never the body whole.
    std::string code = "HTTP " + std::to_string(response.status), description;
    auto parsed = nlohmann::json::parse(response.body, nullptr, false);
    if (parsed.is_object()) {
      code = parsed.value("error", code);
      description = parsed.value("error_description", std::string());
    }
    auto errors = nlohmann::json::array({{{"code", redact_(code)}, {"message", redact_(description)}}});
    const std::string what = redact_("LWA token request refused (HTTP " + std::to_string(response.status) +
                                     " from " + config_.endpoint + "): " + code +
                                     (description.empty() ? "" : " - " + description));
    throw SpapiError(what, static_cast<int>(response.status), errors);
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
