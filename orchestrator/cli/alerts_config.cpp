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

}  // namespace

AlertsConfig parse_alerts(Section a, const OrchestratorConfig& config) {
  AlertsConfig out;
  auto& s = out.settings;
  if (auto email = a.find("email")) {
    Section e(*email, "alerts.email");
    alerts::EmailSettings m;
    e.string("url", m.url);
    e.string("from", m.from);
    e.strings("to", m.to);
    e.string("user", m.user);
    e.string("password_file", out.email_password_file);
    e.string("ca_file", m.ca_file);
    e.boolean("verify_peer", m.verify_peer);
    e.boolean("allow_plaintext", m.allow_plaintext);
    e.duration("timeout_ms", m.timeout, 1000, 600000);
    e.finish();
    check_url(m.url, "alerts.email.url", "smtps", "smtp", m.allow_plaintext);
    if (m.from.empty() || m.from.find('@') == std::string::npos)
      throw ConfigError("alerts.email.from must be an email address");
    if (m.to.empty()) throw ConfigError("alerts.email.to must name at least one address");
    for (const auto& to : m.to)
      if (to.find('@') == std::string::npos || to.find_first_of("<>\r\n,") != std::string::npos)
        throw ConfigError("alerts.email.to: '" + to + "' is not one plain email address");
    if (m.user.empty() != out.email_password_file.empty())
      throw ConfigError("alerts.email: user and password_file go together (both, or neither for no login)");
    if (!out.email_password_file.empty()) out.email_password_file = config.resolve(out.email_password_file).string();
    if (!m.ca_file.empty()) m.ca_file = config.resolve(m.ca_file).string();
    s.email = m;
  }
  if (auto webhook = a.find("webhook")) {
    Section w(*webhook, "alerts.webhook");
    alerts::WebhookSettings h;
    w.string("url", h.url);
    w.string("token_file", out.webhook_token_file);
    w.string("ca_file", h.ca_file);
    w.boolean("verify_peer", h.verify_peer);
    w.boolean("allow_plaintext", h.allow_plaintext);
    w.duration("timeout_ms", h.timeout, 1000, 600000);
    w.finish();
    check_url(h.url, "alerts.webhook.url", "https", "http", h.allow_plaintext);
    if (!out.webhook_token_file.empty()) out.webhook_token_file = config.resolve(out.webhook_token_file).string();
    if (!h.ca_file.empty()) h.ca_file = config.resolve(h.ca_file).string();
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
