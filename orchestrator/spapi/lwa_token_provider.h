// Login with Amazon: exchanges the refresh token for access tokens (refresh_token grant), caches the
// token, refreshes it ahead of expiry, and on demand after Amazon says it expired.
#pragma once

#include "orchestrator/spapi/http_transport.h"
#include "orchestrator/spapi/redactor.h"

#include <chrono>
#include <functional>
#include <mutex>
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

class LwaTokenProvider {
 public:
  using Clock = std::chrono::steady_clock;
  // How long before expiry a token is refreshed: 60 s, or half the token's lifetime when that is shorter.
  static constexpr std::chrono::seconds kRefreshAhead{60};

  LwaTokenProvider(LwaConfig config, HttpTransport& transport, Redactor& redact,
                   std::function<Clock::time_point()> now = Clock::now);

  // A valid access token: the cached one, or a fresh one. Throws SpapiError (retryable() for an LWA
  // outage, not for refused credentials). While the cached token is still valid, a failed early refresh
  // only logs a warning and the cached token is used.
  std::string access_token();
  // Amazon refused `token` as expired: forget it, so the next access_token() fetches a new one.
  void invalidate(const std::string& token);
  int refreshes() const;

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
};

}  // namespace dockhand::spapi
