// The simulator's selling partners and Login with Amazon: which partner each refresh token and access
// token belongs to, which vendor codes a partner acts for, revocation, and the website authorization
// workflow (Vendor Central's consent page -> spapi_oauth_code -> authorization_code grant). Kept apart from
// the HTTP plumbing; every call is made under the simulator's lock, on its state document.
#pragma once

#include <nlohmann/json.hpp>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace dockhand::sim {

// A selling partner as the simulator knows it (state document: data["partners"][id]).
//   vendor_codes:    the vendor codes it acts for ([] = any: the partner of a simulator started the old way)
//   refresh_tokens:  refresh tokens LWA accepts for it; revoked_refresh_tokens: ones it no longer accepts
//   vendor_role:     false = the application lacks the vendor role for it (SP-API answers 403)
// "ID:CODE[,CODE...]:REFRESH_TOKEN" (--partner); the token is everything after the second colon.
nlohmann::json parse_partner_spec(const std::string& spec);

struct LwaAnswer {
  int status = 200;
  nlohmann::json body;
};

class SimAuth {
 public:
  // `any_refresh_token`: no --refresh-token and no partner given: any refresh token is a "default" partner's.
  SimAuth(std::string client_id, std::string client_secret, std::string application_id, int token_ttl_s,
          std::function<std::string(int hex_digits)> random_hex, std::function<long long()> now_ms);

  void set_token_ttl(int seconds) { token_ttl_s_ = seconds; }
  // POST /auth/o2/token: refresh_token and authorization_code grants. Access tokens go to data["tokens"].
  LwaAnswer token(nlohmann::json& data, const std::map<std::string, std::string>& form, bool any_refresh_token);
  // GET /apps/authorize/consent: the partner signed in (data["signed_in"]) consents; returns the redirect
  // URL with state, selling_partner_id and spapi_oauth_code, or an error (status, message).
  std::pair<int, std::string> consent(nlohmann::json& data, const std::string& application_id, const std::string& state,
                                      const std::string& redirect_uri);

  // The partner an access token was issued for, and whether SP-API takes it for `vendor_codes`:
  // "" when fine, else Amazon's refusal details (403).
  static std::string refusal(const nlohmann::json& data, const nlohmann::json& token_entry,
                             const std::vector<std::string>& vendor_codes);
  // Revokes every refresh token of `partner` and every access token issued for it. False: no such partner.
  static bool revoke(nlohmann::json& data, const std::string& partner);

 private:
  std::string client_id_, client_secret_, application_id_;
  int token_ttl_s_;
  std::function<std::string(int)> random_hex_;
  std::function<long long()> now_ms_;
};

}  // namespace dockhand::sim
