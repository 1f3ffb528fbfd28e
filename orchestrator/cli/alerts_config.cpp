// The "alerts" section of the config file (docs/configuration.md, "alerts").
#include "config_section.h"

namespace dockhand::cli {
namespace {

// An address for a channel: the scheme it must have, no login in it (the login goes in a secret file, so it
// never shows in a log line that names the address).
void check_url(const std::string& url, const std::string& key, const char* tls_scheme, const char* plain_scheme,
               bool allow_plaintext) {
  if (url.empty()) throw ConfigError(key + " is required");
  const std::string tls = std::string(tls_scheme) + "://", plain = std::string(plain_scheme) + "://";
  const bool is_tls = url.rfind(tls, 0) == 0, is_plain = url.rfind(plain, 0) == 0;
  if (!is_tls && !is_plain) throw ConfigError(key + " must start with " + tls + " or " + plain + ", got '" + url + "'");
  const auto rest = url.substr(url.find("://") + 3);
  if (rest.substr(0, rest.find('/')).find('@') != std::string::npos)
    throw ConfigError(key + " must not hold a user or password (use the section's user and secret file)");
  // smtp:// still does STARTTLS (required); plain http:// and smtp:// without TLS need allow_plaintext.
  if (is_plain && std::string(plain_scheme) == "http" && !allow_plaintext)
    throw ConfigError(key + " is plain http://: use https://, or set allow_plaintext (a receiver on loopback only)");
}

// What both channels read the same way: the receiver's address, its CA, TLS checks and timeout; the address
// checked and the CA file resolved against the config's folder once the section is read.
template <class Channel>
void read_transport(Section& section, Channel& c) {
  section.string("url", c.url);
  section.string("ca_file", c.ca_file);
  section.boolean("verify_peer", c.verify_peer);
  section.boolean("allow_plaintext", c.allow_plaintext);
  section.duration("timeout_ms", c.timeout, 1000, 600000);
}
template <class Channel>
void check_transport(Channel& c, const std::string& key, const char* tls_scheme, const char* plain_scheme,
                     const OrchestratorConfig& config) {
  check_url(c.url, key + ".url", tls_scheme, plain_scheme, c.allow_plaintext);
  if (!c.ca_file.empty()) c.ca_file = config.resolve(c.ca_file).string();
}

}  // namespace

AlertsConfig parse_alerts(Section a, const OrchestratorConfig& config) {
  AlertsConfig out;
  auto& s = out.settings;
  if (auto email = a.find("email")) {
    Section e(*email, "alerts.email");
    alerts::EmailSettings m;
    read_transport(e, m);
    e.string("from", m.from);
    e.strings("to", m.to);
    e.string("user", m.user);
    e.string("password_file", out.email_password_file);
    e.finish();
    check_transport(m, "alerts.email", "smtps", "smtp", config);
    if (m.from.empty() || m.from.find('@') == std::string::npos)
      throw ConfigError("alerts.email.from must be an email address");
    if (m.to.empty()) throw ConfigError("alerts.email.to must name at least one address");
    for (const auto& to : m.to)
      if (to.find('@') == std::string::npos || to.find_first_of("<>\r\n,") != std::string::npos)
        throw ConfigError("alerts.email.to: '" + to + "' is not one plain email address");
    if (m.user.empty() != out.email_password_file.empty())
      throw ConfigError("alerts.email: user and password_file go together (both, or neither for no login)");
    if (!out.email_password_file.empty()) out.email_password_file = config.resolve(out.email_password_file).string();
    s.email = m;
  }
  if (auto webhook = a.find("webhook")) {
    Section w(*webhook, "alerts.webhook");
    alerts::WebhookSettings h;
    read_transport(w, h);
    w.string("token_file", out.webhook_token_file);
    w.finish();
    check_transport(h, "alerts.webhook", "https", "http", config);
    if (!out.webhook_token_file.empty()) out.webhook_token_file = config.resolve(out.webhook_token_file).string();
    s.webhook = h;
  }
  a.boolean("agent_silent", s.agent_silent);
  a.duration("retry_initial_ms", s.retry_initial, 100, 3600000);
  a.duration("retry_max_ms", s.retry_max, 100, 24LL * 3600000);
  a.string("console_url", s.console_url);
  a.finish();
  if (s.retry_max < s.retry_initial) throw ConfigError("alerts.retry_max_ms is below alerts.retry_initial_ms");
  return out;
}

void load_alert_secrets(AlertsConfig& alerts) {
  if (alerts.settings.email && !alerts.email_password_file.empty()) {
    alerts.settings.email->password = read_secret_file(alerts.email_password_file, "alerts.email.password_file");
    if (alerts.settings.email->password.size() < kMinPasswordLength)
      throw ConfigError("alerts.email.password_file: the password in " + alerts.email_password_file +
                        " is too short to be real (at least " + std::to_string(kMinPasswordLength) + " characters)");
  }
  if (alerts.settings.webhook && !alerts.webhook_token_file.empty()) {
    alerts.settings.webhook->bearer_token = read_secret_file(alerts.webhook_token_file, "alerts.webhook.token_file");
    if (alerts.settings.webhook->bearer_token.size() < kMinTokenLength)
      throw ConfigError("alerts.webhook.token_file: the token in " + alerts.webhook_token_file +
                        " is too short to be real (at least " + std::to_string(kMinTokenLength) + " characters)");
  }
}

nlohmann::json default_alerts_json() {
  alerts::AlertSettings d;
  return {{"email", nullptr},
          {"webhook", nullptr},
          {"agent_silent", d.agent_silent},
          {"retry_initial_ms", d.retry_initial.count()},
          {"retry_max_ms", d.retry_max.count()},
          {"console_url", nullptr}};
}

}  // namespace dockhand::cli
