// The website authorization workflow (Amazon's "OAuth" for SP-API), served by the orchestrator: a brand's
// person opens /authorize?brand=BRAND, is sent to Vendor Central's consent page with a fresh `state` bound
// to their browser session (a cookie), and Amazon sends them back to /callback with that state, their
// selling_partner_id and an spapi_oauth_code. The callback checks the state against the session (wrong,
// missing, expired or replayed: refused), exchanges the code at LWA for the refresh token and hands it to
// `accept` (serve stores it in the account's 0600 secret file and uses it at once). Neither the code nor
// the token is ever logged or shown.
#pragma once

#include "orchestrator/spapi/vendor_shipments.h"

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace dockhand::spapi {

struct AuthorizationSettings {
  std::string listen_host = "127.0.0.1";
  int listen_port = 7620;  // 0: any free port (tests)
  // The address the brand's browser reaches this server at (a reverse proxy with TLS in production); the
  // redirect URI registered with the application is public_url + "/callback". "" = http://HOST:PORT.
  std::string public_url;
  std::string application_id;  // the SP-API application's id (amzn1.sp.solution...), not the LWA client id
  std::string consent_url = "https://vendorcentral.amazon.com/apps/authorize/consent";
  bool beta = false;  // version=beta: the application is still a draft
  std::chrono::seconds session_ttl{600};
  // LWA: endpoint, client id and secret, timeouts (the refresh token is what this workflow obtains).
  std::string lwa_endpoint = "https://api.amazon.com/auth/o2/token";
  std::string client_id;
  std::string client_secret;
  std::chrono::milliseconds timeout{15000};
};

struct NewAuthorization {
  std::string brand;
  std::string selling_partner_id;
  std::string refresh_token;  // secret
};

class AuthorizationServer {
 public:
  // Stores and uses the new refresh token; returns a sentence for the page. Throws std::exception to refuse
  // (e.g. the selling partner is not the one the account names); its message is shown and logged.
  using Accept = std::function<std::string(const NewAuthorization&)>;

  AuthorizationServer(AuthorizationSettings settings, std::vector<std::string> brands, Accept accept);
  ~AuthorizationServer();  // stops serving
  AuthorizationServer(const AuthorizationServer&) = delete;
  AuthorizationServer& operator=(const AuthorizationServer&) = delete;

  // Binds and serves on a thread of its own. Throws std::runtime_error when the address cannot be bound.
  void start();
  int port() const;
  std::string redirect_uri() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dockhand::spapi
