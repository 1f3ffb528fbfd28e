// Login with Amazon: exchanges the refresh token for access tokens (refresh_token grant), caches the
// token, refreshes it ahead of expiry, and on demand after Amazon says it expired. Also the website
// authorization workflow's code exchange (authorization_code grant).
#pragma once

#include "orchestrator/spapi/http_transport.h"
#include "orchestrator/spapi/redactor.h"
#include "orchestrator/spapi/vendor_shipments.h"

#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

namespace dockhand::spapi {

struct LwaConfig {
  std::string endpoint;
  std::string client_id;
  std::string client_secret;
  std::string refresh_token;
  std::chrono::milliseconds timeout{15000};
  std::chrono::milliseconds connect_timeout{5000};
};

// LWA answered a grant with an error: an SpapiError with LWA's error code and description (never the body
// whole, never a secret). invalid_grant, invalid_client and unauthorized_client are authorization_refused().
SpapiError lwa_refusal(const HttpResponse& response, const std::string& endpoint, const Redactor& redact);

// The website authorization workflow's last step: exchanges an spapi_oauth_code (single use, valid minutes)
// for the selling partner's refresh token (grant_type=authorization_code). The code and the token are added
// to `redact` before anything can be logged. Throws SpapiError.
std::string exchange_authorization_code(HttpTransport& transport, const LwaConfig& lwa, const std::string& code,
                                        const std::string& redirect_uri, Redactor& redact);

class LwaTokenProvider {
 public:
  using Clock = std::chrono::steady_clock;
  // How long before expiry a token is refreshed: 60 s, or half the token's lifetime when that is shorter.
  static constexpr std::chrono::seconds kRefreshAhead{60};
  // After LWA refused the credentials (invalid_grant...), the refusal is remembered this long, so each of a
  // revoked partner's requests does not ask LWA again; set_refresh_token() forgets it at once.
  static constexpr std::chrono::seconds kRefusalRemembered{30};

  LwaTokenProvider(LwaConfig config, HttpTransport& transport, Redactor& redact,
                   std::function<Clock::time_point()> now = Clock::now);

  // A valid access token: the cached one, or a fresh one. Throws SpapiError (retryable() for an LWA
  // outage, authorization_refused() for refused credentials). While the cached token is still valid, a
  // failed early refresh only logs a warning and the cached token is used.
  std::string access_token();
  // Amazon refused `token` as expired: forget it, so the next access_token() fetches a new one.
  void invalidate(const std::string& token);
  int refreshes() const;
  // A new refresh token (the selling partner authorized the application again).
  void set_refresh_token(const std::string& refresh_token);

 private:
  void refresh_locked();
  LwaConfig config_;
  HttpTransport& transport_;
  Redactor& redact_;
  std::function<Clock::time_point()> now_;
  mutable std::mutex mutex_;
  std::string token_;
  Clock::time_point expires_at_{}, refresh_at_{};
  int refreshes_ = 0;
  std::optional<SpapiError> refusal_;
  Clock::time_point refusal_until_{};
};

}  // namespace dockhand::spapi
