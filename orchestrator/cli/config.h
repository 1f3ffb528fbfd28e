// The orchestrator's configuration file (JSON), documented key by key in docs/configuration.md.
// Every key has a default; relative paths are relative to the folder holding the config file. Secrets are
// never in the file itself: it names files holding them, and those must not be readable by group or others.
#pragma once

#include "orchestrator/alerts/alerts.h"
#include "orchestrator/chain/chain.h"
#include "orchestrator/spapi/authorization.h"
#include "orchestrator/intake/routing_request.h"
#include "orchestrator/mail/imap_source.h"
#include "orchestrator/mail/maildir_source.h"
#include "orchestrator/spapi/vendor_shipments.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

namespace dockhand::cli {

class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct LoggingConfig {
  std::string level = "info";  // trace | debug | info | warn | error | critical | off
  std::string format = "text";  // text (one readable line) | json (one JSON object a line)
  std::string file;             // empty: stderr
};

struct MailConfig {
  std::string source = "maildir";  // maildir | imap
  std::chrono::milliseconds poll_interval{5000};
  std::size_t batch = 10;  // messages read and stored per poll at most (each is held in memory until stored)
  mail::MaildirOptions maildir;
  mail::ImapOptions imap;  // password / xoauth2_bearer filled by load_secrets()
  std::string imap_password_file;
  std::string imap_oauth_token_file;
};

// One selling partner's authorization of the 3PL's SP-API application: a brand (spapi.accounts[]). A config
// from before accounts (spapi.refresh_token_file) is one implicit account named "default".
struct AccountConfig {
  std::string brand;
  std::vector<std::string> vendor_codes;    // upper case
  std::vector<std::string> sender_domains;  // lower case
  std::string region;                       // na | eu | fe (from marketplace_id, else spapi.region)
  std::string marketplace_id;               // e.g. ATVPDKIKX0DER; "" when not given
  bool sandbox = false;
  std::string refresh_token_file;
  std::string selling_partner_id;  // when set, a new authorization must come from this selling partner
  bool implicit = false;           // the "default" account of a config from before accounts
  std::string refresh_token;       // filled by load_secrets(); never logged

  chain::AccountRule rule() const { return {brand, vendor_codes, sender_domains}; }
};

// The website authorization workflow's server (spapi.authorization; null: not served).
struct AuthorizationConfig {
  std::string listen = "127.0.0.1:7620";
  std::string public_url;
  std::string application_id;
  std::string consent_url = "https://vendorcentral.amazon.com/apps/authorize/consent";
  bool beta = false;
  std::chrono::seconds session_ttl{600};
};

// The "alerts" section (issue 9): who is told when something needs a human. Absent or null: nobody.
struct AlertsConfig {
  alerts::AlertSettings settings;  // passwords / tokens filled by load_secrets()
  std::string email_password_file;
  std::string webhook_token_file;
};

struct OrchestratorConfig {
  std::filesystem::path file;      // the config file read ("" when built from defaults)
  std::filesystem::path base_dir;  // relative paths are resolved against this
  std::string store = "dockhand.sqlite";
  std::uint64_t store_max_bytes = 0;  // the store never grows past this (0: no cap); reaching it is "disk full"
  MailConfig mail;
  std::string orders_db = "orders.sqlite";
  std::string rules_file;  // empty: the built-in rules (orchestrator/pretender/default_rules.json)
  intake::ExtractOptions intake;
  spapi::SpapiConfig spapi;  // the LWA client (one for all accounts): client_secret filled by load_secrets()
  std::string spapi_client_secret_file;
  std::string spapi_refresh_token_file;  // a config from before accounts: the implicit account's
  std::vector<AccountConfig> accounts;
  std::optional<AuthorizationConfig> authorization;
  chain::ChainOptions chain;
  std::size_t chain_batch = 8;  // requests advanced between two looks at the mailbox and the signals
  LoggingConfig logging;
  // The close-out stage's section (issue 4, branch fleet). null or absent: requests stay CONFIRMED.
  nlohmann::json fleet;
  // The Operator Console's section (issue 9, console::options_from_json). null or absent: no console.
  nlohmann::json console;
  std::optional<AlertsConfig> alerts;

  // Every secret loaded so far (for the log scrubber); never printed.
  std::vector<std::string> secrets() const;
  // What the config says, for the start-up log line: paths, endpoints, timings; no secret.
  nlohmann::json summary() const;
  std::filesystem::path resolve(const std::string& path) const;
  // The SP-API settings one account's client runs with: the shared LWA client and timings, the account's
  // region, sandbox and refresh token.
  spapi::SpapiConfig spapi_for(const AccountConfig& account) const;
  const AccountConfig* account(const std::string& brand) const;
  // The authorization server's settings (requires `authorization`).
  spapi::AuthorizationSettings authorization_settings() const;
};

// The region a marketplace id belongs to ("na", "eu", "fe"), or "" for an id this program does not know.
std::string region_of_marketplace(const std::string& marketplace_id);

// Writes a secret file as read_secret_file wants it: mode 0600 from the start, atomically (a temporary
// file beside it, fsync, rename), the folder created (0700) when missing. Throws ConfigError.
void write_secret_file(const std::filesystem::path& path, const std::string& secret, const std::string& what);

// Parses a config document (unknown keys are an error, so typos do not go unnoticed; keys starting with
// "_" are comments). base_dir resolves relative paths. Throws ConfigError naming the key.
OrchestratorConfig config_from_json(const nlohmann::json& document, const std::filesystem::path& base_dir);
OrchestratorConfig load_config(const std::filesystem::path& file);
// The store a command reads: --store, else --config's "store", else ./dockhand.sqlite. Both given, or a config
// that cannot be read: cli::UsageError.
std::string store_path_from(const std::string& store_option, const std::string& config_option);
// Reads the secret files the config names (IMAP password or OAuth token, LWA client secret, refresh token).
// A secret shorter than kMinTokenLength (kMinPasswordLength for the IMAP password) is a ConfigError: no real
// one is that short, and the log scrubber must never have to hide a value that short.
inline constexpr std::size_t kMinTokenLength = 16;
inline constexpr std::size_t kMinPasswordLength = 8;
void load_secrets(OrchestratorConfig& config);
// One account's refresh token, from its secret file (private, and long enough to be real). Throws ConfigError.
std::string read_refresh_token(const AccountConfig& account);

// The contents of a secret file without its trailing newline. Throws ConfigError when the file is missing,
// empty, not a regular file, or readable/writable by group or others (the message says how to fix it; it
// never contains the secret).
std::string read_secret_file(const std::filesystem::path& path, const std::string& what);

// The config with every default, as a JSON document (docs/configuration.md shows it; `serve --defaults`).
nlohmann::json default_config_json();

}  // namespace dockhand::cli
