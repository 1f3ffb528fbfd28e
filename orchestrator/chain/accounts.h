// chain/: which selling partner's authorization a routing request runs under. A 3PL ships for many brands,
// each of which authorized the 3PL's SP-API application separately; every call to Amazon for a request
// must carry its own brand's token. The request is bound to an account by the vendor code the email names,
// else by the sender's domain; no match or several matches is for a human, never a guess.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace dockhand::chain {

struct AccountRule {
  std::string brand;                        // the account's name (unique)
  std::vector<std::string> vendor_codes;    // upper case
  std::vector<std::string> sender_domains;  // lower case; a subdomain matches too
};

struct BindingDecision {
  std::optional<std::string> brand;  // bound to this account
  std::string how;                   // why this account ("vendor code ABCDE", "sender domain acme.example")
  std::string problem;               // not bound: why not, for the operator
};

// The decision for one request. `vendor_code` is what the email names (nullopt or "" when it names none);
// `sender_domain` the From address's domain ("" when unknown). With a single account that declares no
// vendor code and no sender domain (a configuration from before accounts), everything is bound to it.
BindingDecision decide_account(const std::vector<AccountRule>& accounts, const std::optional<std::string>& vendor_code,
                               const std::string& sender_domain);

// The domain of the first address in the From header of a raw RFC 5322 message, lower case; "" if none.
std::string sender_domain(const std::string& raw_message);

// Where a request stopped for an account problem, so a new binding or a new authorization can resume it.
// NEEDS_ATTENTION evidence: {"account_problem": one of these, "account": BRAND, "resume_state": STATE}.
namespace account_problem {
inline constexpr const char* unbound = "unbound";          // no account matches
inline constexpr const char* ambiguous = "ambiguous";      // several accounts match
inline constexpr const char* unknown = "unknown_account";  // bound to an account the config no longer has
inline constexpr const char* vendor_mismatch = "vendor_mismatch";  // a PO's vendor is not the account's
inline constexpr const char* revoked = "revoked";          // LWA refused the refresh token (invalid_grant...)
inline constexpr const char* refused = "refused";          // SP-API refused the authorization (role, partner)
}  // namespace account_problem

}  // namespace dockhand::chain
