#include "sim_auth.h"

#include <algorithm>
#include <stdexcept>

namespace dockhand::sim {

using nlohmann::json;

namespace {

json lwa_error(const std::string& error, const std::string& description) {
  return {{"error", error}, {"error_description", description}};
}

bool holds(const json& list, const std::string& value) {
  return list.is_array() && std::find(list.begin(), list.end(), value) != list.end();
}

// The partner a refresh token belongs to ("" none), and whether it was revoked.
std::pair<std::string, bool> owner_of(const json& data, const std::string& refresh_token) {
  if (!data.contains("partners")) return {"", false};
  for (auto it = data["partners"].begin(); it != data["partners"].end(); ++it) {
    if (holds((*it)["refresh_tokens"], refresh_token)) return {it.key(), false};
    if (holds((*it)["revoked_refresh_tokens"], refresh_token)) return {it.key(), true};
  }
  return {"", false};
}

}  // namespace

json parse_partner_spec(const std::string& spec) {
  const auto first = spec.find(':');
  const auto second = first == std::string::npos ? std::string::npos : spec.find(':', first + 1);
  if (first == 0 || second == std::string::npos || second + 1 >= spec.size())
    throw std::invalid_argument("--partner wants ID:CODE[,CODE...]:REFRESH_TOKEN, got '" + spec + "'");
  json codes = json::array();
  const std::string list = spec.substr(first + 1, second - first - 1);
  for (std::size_t i = 0, j; i <= list.size(); i = j + 1) {
    j = list.find(',', i);
    if (j == std::string::npos) j = list.size();
    if (j > i) codes.push_back(list.substr(i, j - i));
  }
  return {{"id", spec.substr(0, first)},
          {"vendor_codes", codes},
          {"refresh_tokens", json::array({spec.substr(second + 1)})},
          {"revoked_refresh_tokens", json::array()},
          {"vendor_role", true}};
}

SimAuth::SimAuth(std::string client_id, std::string client_secret, std::string application_id, int token_ttl_s,
                 std::function<std::string(int)> random_hex, std::function<long long()> now_ms)
    : client_id_(std::move(client_id)),
      client_secret_(std::move(client_secret)),
      application_id_(std::move(application_id)),
      token_ttl_s_(token_ttl_s),
      random_hex_(std::move(random_hex)),
      now_ms_(std::move(now_ms)) {}

LwaAnswer SimAuth::token(json& data, const std::map<std::string, std::string>& form, bool any_refresh_token) {
  auto field = [&](const char* name) {
    auto it = form.find(name);
    return it == form.end() ? std::string() : it->second;
  };
  const std::string grant = field("grant_type");
  if (grant != "refresh_token" && grant != "authorization_code")
    return {400, lwa_error("unsupported_grant_type", "grant_type must be refresh_token or authorization_code")};
  if (field("client_id").empty() || field("client_secret").empty())
    return {400, lwa_error("invalid_request", "client_id and client_secret are required")};
  if ((!client_id_.empty() && field("client_id") != client_id_) ||
      (!client_secret_.empty() && field("client_secret") != client_secret_))
    return {401, lwa_error("invalid_client", "Client authentication failed")};

  std::string partner, refresh_token;
  if (grant == "refresh_token") {
    refresh_token = field("refresh_token");
    if (refresh_token.empty()) return {400, lwa_error("invalid_request", "refresh_token is required")};
    auto [owner, revoked] = owner_of(data, refresh_token);
    if (revoked) return {400, lwa_error("invalid_grant", "The refresh token has been revoked")};
    if (owner.empty() && !any_refresh_token)
      return {400, lwa_error("invalid_grant", "The request has an invalid grant parameter : refresh_token")};
    partner = owner.empty() ? "default" : owner;
  } else {
    const std::string code = field("code");
    auto& codes = data["codes"];
    if (code.empty() || !codes.contains(code))
      return {400, lwa_error("invalid_grant", "The request has an invalid grant parameter : code")};
    json entry = codes[code];
    codes.erase(code);  // single use, whatever happens next
    if (now_ms_() >= entry["expires"].get<long long>())
      return {400, lwa_error("invalid_grant", "The authorization code has expired")};
    if (!field("redirect_uri").empty() && field("redirect_uri") != entry["redirect_uri"].get<std::string>())
      return {400, lwa_error("invalid_grant", "redirect_uri does not match the authorization request")};
    partner = entry["partner"].get<std::string>();
    refresh_token = "Atzr|sim-" + partner + "-" + random_hex_(40);
    data["partners"][partner]["refresh_tokens"].push_back(refresh_token);
    auto& c = data["counters"];
    c["authorizations"] = c.value("authorizations", 0) + 1;
  }
  const std::string access = "Atza|sim-" + random_hex_(48);
  data["tokens"][access] = {{"expires", now_ms_() + token_ttl_s_ * 1000LL}, {"partner", partner}};
  auto& issued = data["counters"]["tokens_by_partner"];
  if (!issued.is_object()) issued = json::object();
  issued[partner] = issued.value(partner, 0) + 1;
  return {200, {{"access_token", access}, {"token_type", "bearer"}, {"expires_in", token_ttl_s_},
                {"refresh_token", refresh_token}}};
}

std::pair<int, std::string> SimAuth::consent(json& data, const std::string& application_id, const std::string& state,
                                             const std::string& redirect_uri) {
  if (application_id.empty() || (!application_id_.empty() && application_id != application_id_))
    return {400, "unknown application_id '" + application_id + "'"};
  if (redirect_uri.rfind("http://", 0) != 0 && redirect_uri.rfind("https://", 0) != 0)
    return {400, "redirect_uri must be an http(s) URL"};
  const std::string partner = data.value("signed_in", std::string());
  if (partner.empty() || !data["partners"].contains(partner))
    return {401, "nobody is signed in to Vendor Central (POST /_sim/sign-in)"};
  const std::string code = random_hex_(32);
  data["codes"][code] = {{"partner", partner}, {"redirect_uri", redirect_uri}, {"expires", now_ms_() + 5 * 60 * 1000LL}};
  std::string url = redirect_uri + (redirect_uri.find('?') == std::string::npos ? "?" : "&");
  // The state goes back exactly as it came; the others are plain tokens.
  std::string escaped;
  static const char* hex = "0123456789ABCDEF";
  for (unsigned char c : state) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') escaped += static_cast<char>(c);
    else escaped += std::string("%") + hex[c >> 4] + hex[c & 15];
  }
  url += "state=" + escaped + "&selling_partner_id=" + partner + "&spapi_oauth_code=" + code;
  return {302, url};
}

std::string SimAuth::refusal(const json& data, const json& token_entry, const std::vector<std::string>& vendor_codes) {
  const std::string partner = token_entry.value("partner", std::string("default"));
  if (token_entry.value("revoked", false)) return "The access token you provided is revoked, malformed or invalid.";
  if (!data.contains("partners") || !data["partners"].contains(partner)) return "";
  const auto& p = data["partners"][partner];
  if (!p.value("vendor_role", true))
    return "The application is not authorized for the vendor role of selling partner " + partner + ".";
  const auto& codes = p["vendor_codes"];
  if (codes.empty()) return "";
  for (const auto& v : vendor_codes)
    if (!holds(codes, v))
      return "The access token was issued for selling partner " + partner + ", which does not act for vendor code " + v + ".";
  return "";
}

bool SimAuth::revoke(json& data, const std::string& partner) {
  if (!data.contains("partners") || !data["partners"].contains(partner)) return false;
  auto& p = data["partners"][partner];
  for (const auto& t : p["refresh_tokens"]) p["revoked_refresh_tokens"].push_back(t);
  p["refresh_tokens"] = json::array();
  for (auto it = data["tokens"].begin(); it != data["tokens"].end(); ++it)
    if (it->value("partner", std::string("default")) == partner) (*it)["revoked"] = true;
  return true;
}

}  // namespace dockhand::sim
