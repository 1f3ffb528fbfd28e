#include "config.h"
#include "args.h"
#include "config_section.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>

#include <cerrno>
#include <cstring>

#include <fstream>
#include <set>
#include <sstream>

namespace dockhand::cli {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {


std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::toupper(c); });
  return s;
}
std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

AccountConfig parse_account(const json& value, const std::string& where, const OrchestratorConfig& c) {
  Section a(value, where);
  AccountConfig account;
  account.sandbox = c.spapi.sandbox;
  a.string("brand", account.brand);
  a.strings("vendor_codes", account.vendor_codes);
  a.strings("sender_domains", account.sender_domains);
  a.string("region", account.region);
  a.string("marketplace_id", account.marketplace_id);
  a.boolean("sandbox", account.sandbox);
  a.string("refresh_token_file", account.refresh_token_file);
  a.string("selling_partner_id", account.selling_partner_id);
  a.finish();
  if (account.brand.empty() || account.brand.size() > 64)
    throw ConfigError(a.path("brand") + " must be a name of 1 to 64 characters");
  for (unsigned char ch : account.brand)
    if (std::iscntrl(ch)) throw ConfigError(a.path("brand") + " must not hold control characters");
  for (auto& code : account.vendor_codes) {
    code = upper(code);
    if (code.empty() || code.size() > 16 ||
        !std::all_of(code.begin(), code.end(), [](unsigned char ch) { return std::isalnum(ch); }))
      throw ConfigError(a.path("vendor_codes") + ": '" + code + "' is not a vendor code (letters and digits)");
  }
  for (auto& domain : account.sender_domains) {
    domain = lower(domain);
    if (domain.find('.') == std::string::npos || domain.front() == '.' ||
        !std::all_of(domain.begin(), domain.end(), [](unsigned char ch) { return std::isalnum(ch) || ch == '.' || ch == '-'; }))
      throw ConfigError(a.path("sender_domains") + ": '" + domain + "' is not a domain name (e.g. acme-brands.com)");
  }
  const std::string from_marketplace = region_of_marketplace(account.marketplace_id);
  if (!account.marketplace_id.empty() && from_marketplace.empty() && account.region.empty())
    throw ConfigError(a.path("marketplace_id") + ": '" + account.marketplace_id +
                      "' is not a marketplace this program knows; give the account's region too");
  if (!account.region.empty() && account.region != "na" && account.region != "eu" && account.region != "fe")
    throw ConfigError(a.path("region") + " must be one of na, eu, fe, got '" + account.region + "'");
  if (!account.region.empty() && !from_marketplace.empty() && account.region != from_marketplace)
    throw ConfigError(where + ": marketplace " + account.marketplace_id + " is in region " + from_marketplace +
                      ", not " + account.region);
  if (account.region.empty()) account.region = from_marketplace.empty() ? c.spapi.region : from_marketplace;
  if (account.refresh_token_file.empty())
    throw ConfigError(a.path("refresh_token_file") + " is not set (the secret file with " + account.brand +
                      "'s refresh token)");
  return account;
}

std::string resolve_against(const fs::path& base, const std::string& p) {
  if (p.empty()) return p;
  fs::path path(p);
  return path.is_absolute() ? path.string() : (base / path).lexically_normal().string();
}

}  // namespace

fs::path OrchestratorConfig::resolve(const std::string& path) const { return resolve_against(base_dir, path); }

std::vector<std::string> OrchestratorConfig::secrets() const {
  std::vector<std::string> out;
  for (const auto* s : {&mail.imap.password, &mail.imap.xoauth2_bearer, &spapi.client_secret, &spapi.refresh_token})
    if (!s->empty()) out.push_back(*s);
  for (const auto& a : accounts)
    if (!a.refresh_token.empty() && std::find(out.begin(), out.end(), a.refresh_token) == out.end())
      out.push_back(a.refresh_token);
  if (alerts && alerts->settings.email && !alerts->settings.email->password.empty())
    out.push_back(alerts->settings.email->password);
  if (alerts && alerts->settings.webhook && !alerts->settings.webhook->bearer_token.empty())
    out.push_back(alerts->settings.webhook->bearer_token);
  return out;
}

spapi::SpapiConfig OrchestratorConfig::spapi_for(const AccountConfig& account) const {
  auto s = spapi;
  s.region = account.region;
  s.sandbox = account.sandbox;
  s.refresh_token = account.refresh_token;
  s.account = account.implicit ? "" : account.brand;
  return s;
}

const AccountConfig* OrchestratorConfig::account(const std::string& brand) const {
  for (const auto& a : accounts)
    if (a.brand == brand) return &a;
  for (const auto& a : accounts)
    if (lower(a.brand) == lower(brand)) return &a;
  return nullptr;
}

spapi::AuthorizationSettings OrchestratorConfig::authorization_settings() const {
  if (!authorization) throw ConfigError("spapi.authorization is not configured");
  spapi::AuthorizationSettings s;
  const auto colon = authorization->listen.rfind(':');
  s.listen_host = authorization->listen.substr(0, colon);
  s.listen_port = std::stoi(authorization->listen.substr(colon + 1));
  s.public_url = authorization->public_url;
  s.application_id = authorization->application_id;
  s.consent_url = authorization->consent_url;
  s.beta = authorization->beta;
  s.session_ttl = authorization->session_ttl;
  s.lwa_endpoint = spapi.lwa_endpoint;
  s.client_id = spapi.client_id;
  s.client_secret = spapi.client_secret;
  s.timeout = spapi.request_timeout;
  return s;
}

std::string region_of_marketplace(const std::string& marketplace_id) {
  // Amazon's marketplace ids (SP-API "Marketplace IDs"), by the region whose endpoint serves them.
  static const std::pair<const char*, const char*> known[] = {
      {"ATVPDKIKX0DER", "na"},  {"A2EUQ1WTGCTBG2", "na"}, {"A1AM78C64UM0Y8", "na"}, {"A2Q3Y263D00KWC", "na"},
      {"A1RKKUPIHCS9HS", "eu"}, {"A1F83G8C2ARO7P", "eu"}, {"A13V1IB3VIYZZH", "eu"}, {"AMEN7PMS3EDWL", "eu"},
      {"A1805IZSGTT6HS", "eu"}, {"A1PA6795UKMFR9", "eu"}, {"APJ6JRA9NG5V4", "eu"},  {"A2NODRKZP88ZB9", "eu"},
      {"AE08WJ6YKNBMC", "eu"},  {"A1C3SOZRARQ6R3", "eu"}, {"ARBP9OOSHTCHU", "eu"},  {"A33AVAJ2PDY3EV", "eu"},
      {"A17E79C6D8DWNP", "eu"}, {"A2VIGQ35RCS4UG", "eu"}, {"A21TJRUUN4KGV", "eu"},  {"A19VAU5U5O7RUS", "fe"},
      {"A39IBJ37TRP1C6", "fe"}, {"A1VC38T7YXB528", "fe"}};
  for (const auto& [id, region] : known)
    if (marketplace_id == id) return region;
  return "";
}

OrchestratorConfig config_from_json(const json& document, const fs::path& base_dir) {
  OrchestratorConfig c;
  c.base_dir = base_dir.empty() ? fs::current_path() : fs::absolute(base_dir);
  c.mail.maildir.root = "inbox";
  c.mail.imap.state_file = "imap-state.json";
  c.chain.retry_initial = std::chrono::milliseconds(1000);

  Section top(document, "");
  top.string("store", c.store);
  top.integer("store_max_bytes", c.store_max_bytes, 0, 1LL << 50);
  top.string("orders_db", c.orders_db);
  top.string("rules", c.rules_file);
  {
    auto m = top.child("mail");
    m.choice("source", c.mail.source, {"maildir", "imap"});
    m.duration("poll_interval_ms", c.mail.poll_interval, 50, 24LL * 3600 * 1000);
    m.integer("batch", c.mail.batch, 1, 10000);
    m.integer("max_message_bytes", c.intake.max_message_bytes, 1024, 1LL << 32);
    auto md = m.child("maildir");
    std::string root = c.mail.maildir.root.string();
    md.string("path", root);
    c.mail.maildir.root = root;
    md.string("handled_folder", c.mail.maildir.handled_folder);
    md.boolean("create", c.mail.maildir.create);
    md.string("quarantine_folder", c.mail.maildir.quarantine_folder);
    md.integer("max_file_bytes", c.mail.maildir.max_file_bytes, 1024, 1LL << 32);
    md.finish();
    auto im = m.child("imap");
    im.string("url", c.mail.imap.url);
    im.string("mailbox", c.mail.imap.mailbox);
    im.string("handled_mailbox", c.mail.imap.handled_mailbox);
    im.string("user", c.mail.imap.user);
    im.string("password_file", c.mail.imap_password_file);
    im.string("oauth_token_file", c.mail.imap_oauth_token_file);
    im.string("ca_file", c.mail.imap.ca_file);
    im.boolean("verify_peer", c.mail.imap.verify_peer);
    im.boolean("allow_plaintext", c.mail.imap.allow_plaintext);
    im.boolean("use_move", c.mail.imap.use_move);
    im.string("state_file", c.mail.imap.state_file);
    im.integer("connect_timeout_ms", c.mail.imap.connect_timeout_ms, 100, 600000);
    im.integer("timeout_ms", c.mail.imap.timeout_ms, 100, 3600000);
    im.finish();
    m.finish();
  }
  {
    auto s = top.child("spapi");
    s.choice("region", c.spapi.region, {"na", "eu", "fe"});
    s.boolean("sandbox", c.spapi.sandbox);
    s.string("endpoint", c.spapi.endpoint);
    s.string("lwa_endpoint", c.spapi.lwa_endpoint);
    s.string("client_id", c.spapi.client_id);
    s.string("client_secret_file", c.spapi_client_secret_file);
    s.string("refresh_token_file", c.spapi_refresh_token_file);
    s.duration("request_timeout_ms", c.spapi.request_timeout, 100, 600000);
    s.duration("connect_timeout_ms", c.spapi.connect_timeout, 100, 600000);
    s.integer("max_retries", c.spapi.max_retries, 0, 100);
    s.duration("backoff_base_ms", c.spapi.backoff_base, 1, 600000);
    s.duration("backoff_cap_ms", c.spapi.backoff_cap, 1, 3600000);
    s.duration("throttle_wait_max_ms", c.spapi.throttle_wait_max, 0, 600000);
    if (auto accounts = s.find("accounts")) {
      if (!accounts->is_array()) throw ConfigError("spapi.accounts must be a list of accounts");
      for (std::size_t i = 0; i < accounts->size(); ++i)
        c.accounts.push_back(parse_account((*accounts)[i], "spapi.accounts[" + std::to_string(i) + "]", c));
    }
    if (auto auth = s.find("authorization")) {
      Section a(*auth, "spapi.authorization");
      AuthorizationConfig ac;
      long long ttl = ac.session_ttl.count();
      a.string("listen", ac.listen);
      a.string("public_url", ac.public_url);
      a.string("application_id", ac.application_id);
      a.string("consent_url", ac.consent_url);
      a.boolean("beta", ac.beta);
      a.integer("session_ttl_s", ttl, 60, 3600);
      a.finish();
      ac.session_ttl = std::chrono::seconds(ttl);
      if (ac.application_id.empty())
        throw ConfigError("spapi.authorization.application_id is not set (the SP-API application's id, "
                          "amzn1.sp.solution...)");
      const auto colon = ac.listen.rfind(':');
      if (colon == std::string::npos || colon == 0 || ac.listen.find_first_not_of("0123456789", colon + 1) != std::string::npos ||
          colon + 1 == ac.listen.size())
        throw ConfigError("spapi.authorization.listen must be HOST:PORT, got '" + ac.listen + "'");
      c.authorization = ac;
    }
    s.finish();
  }
  if (!c.accounts.empty() && !c.spapi_refresh_token_file.empty())
    throw ConfigError("spapi.refresh_token_file and spapi.accounts both given: with accounts, each account names "
                      "its own refresh_token_file");
  if (c.accounts.empty() && !c.spapi_refresh_token_file.empty()) {
    AccountConfig implicit;
    implicit.brand = "default";
    implicit.implicit = true;
    implicit.region = c.spapi.region;
    implicit.sandbox = c.spapi.sandbox;
    implicit.refresh_token_file = c.spapi_refresh_token_file;
    c.accounts.push_back(implicit);
  }
  for (std::size_t i = 0; i < c.accounts.size(); ++i)
    for (std::size_t j = 0; j < i; ++j) {
      if (lower(c.accounts[i].brand) == lower(c.accounts[j].brand))
        throw ConfigError("spapi.accounts: brand '" + c.accounts[i].brand + "' is named twice");
      if (c.resolve(c.accounts[i].refresh_token_file) == c.resolve(c.accounts[j].refresh_token_file))
        throw ConfigError("spapi.accounts: " + c.accounts[j].brand + " and " + c.accounts[i].brand +
                          " name the same refresh_token_file; each brand authorizes separately");
    }
  {
    auto ch = top.child("chain");
    ch.duration("poll_initial_ms", c.chain.poll_initial, 1, 3600000);
    ch.duration("poll_max_ms", c.chain.poll_max, 1, 3600000);
    ch.duration("retry_initial_ms", c.chain.retry_initial, 1, 3600000);
    ch.duration("retry_max_ms", c.chain.retry_max, 1, 24LL * 3600000);
    ch.duration("processing_counts_as_success_min", c.chain.processing_counts_as_success, 1, 24 * 60);
    ch.duration("processing_escalates_min", c.chain.processing_escalates, 1, 7 * 24 * 60);
    ch.duration("uncertain_grace_ms", c.chain.uncertain_grace, 0, 24LL * 3600000);
    ch.duration("follow_poll_initial_ms", c.chain.follow_poll_initial, 1, 24LL * 3600000);
    ch.duration("follow_poll_max_ms", c.chain.follow_poll_max, 1, 24LL * 3600000);
    ch.duration("confirm_before_window_min", c.chain.confirm_before_window, 0, 30 * 24 * 60);
    ch.duration("deadline_check_ms", c.chain.deadline_check, 0, 24LL * 3600000);
    ch.integer("batch", c.chain_batch, 1, 10000);
    ch.string("actor", c.chain.actor);
    ch.finish();
    if (c.chain.poll_max < c.chain.poll_initial) throw ConfigError("chain.poll_max_ms is below chain.poll_initial_ms");
    if (c.chain.follow_poll_max < c.chain.follow_poll_initial)
      throw ConfigError("chain.follow_poll_max_ms is below chain.follow_poll_initial_ms");
    if (c.chain.retry_max < c.chain.retry_initial)
      throw ConfigError("chain.retry_max_ms is below chain.retry_initial_ms");
    if (c.chain.processing_escalates <= c.chain.processing_counts_as_success)
      throw ConfigError("chain.processing_escalates_min must be above chain.processing_counts_as_success_min");
  }
  {
    auto l = top.child("logging");
    l.choice("level", c.logging.level, {"trace", "debug", "info", "warn", "error", "critical", "off"});
    l.choice("format", c.logging.format, {"text", "json"});
    l.string("file", c.logging.file);
    l.finish();
  }
  if (auto fleet = top.find("fleet")) {
    if (!fleet->is_object()) throw ConfigError("fleet must be a JSON object or null");
    c.fleet = *fleet;
  }
  if (auto console = top.find("console")) {
    if (!console->is_object()) throw ConfigError("console must be a JSON object or null");
    c.console = *console;
  }
  if (auto section = top.find("alerts")) c.alerts = parse_alerts(Section(*section, "alerts"), c);
  top.finish();

  if (c.mail.source == "imap") {
    if (c.mail.imap.url.empty()) throw ConfigError("mail.source is imap but mail.imap.url is not set");
    if (c.mail.imap.user.empty()) throw ConfigError("mail.source is imap but mail.imap.user is not set");
    if (c.mail.imap_password_file.empty() == c.mail.imap_oauth_token_file.empty())
      throw ConfigError("mail.imap needs exactly one of password_file and oauth_token_file");
  }

  // Relative paths: against the config file's folder.
  c.store = c.resolve(c.store).string();
  c.orders_db = c.resolve(c.orders_db).string();
  c.rules_file = c.resolve(c.rules_file).string();
  c.mail.maildir.root = c.resolve(c.mail.maildir.root.string());
  c.mail.imap.state_file = c.resolve(c.mail.imap.state_file).string();
  c.mail.imap.ca_file = c.resolve(c.mail.imap.ca_file).string();
  c.mail.imap_password_file = c.resolve(c.mail.imap_password_file).string();
  c.mail.imap_oauth_token_file = c.resolve(c.mail.imap_oauth_token_file).string();
  c.spapi_client_secret_file = c.resolve(c.spapi_client_secret_file).string();
  c.spapi_refresh_token_file = c.resolve(c.spapi_refresh_token_file).string();
  for (auto& a : c.accounts) a.refresh_token_file = c.resolve(a.refresh_token_file).string();
  c.logging.file = c.resolve(c.logging.file).string();
  return c;
}

OrchestratorConfig load_config(const fs::path& file) {
  std::ifstream in(file);
  if (!in) throw ConfigError("cannot read the config file " + file.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  json document;
  try {
    document = json::parse(ss.str());
  } catch (const json::parse_error& e) {
    throw ConfigError("config file " + file.string() + " is not valid JSON: " + e.what());
  }
  try {
    auto c = config_from_json(document, fs::absolute(file).parent_path());
    c.file = fs::absolute(file);
    return c;
  } catch (const ConfigError& e) {
    throw ConfigError("config file " + file.string() + ": " + e.what());
  }
}

std::string read_secret_file(const fs::path& path, const std::string& what) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    throw ConfigError(what + ": cannot read the secret file " + path.string() + " (" + std::strerror(errno) + ")");
  if (!S_ISREG(st.st_mode)) throw ConfigError(what + ": " + path.string() + " is not a regular file");
  if (st.st_mode & 077) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    throw ConfigError(what + ": the secret file " + path.string() + " has mode " + mode +
                      "; it must not be readable or writable by group or others (chmod 600 " + path.string() + ")");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(what + ": cannot read the secret file " + path.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  std::string secret = ss.str();
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r' || secret.back() == ' ')) secret.pop_back();
  if (secret.empty()) throw ConfigError(what + ": the secret file " + path.string() + " is empty");
  return secret;
}

namespace {
// A secret shorter than any real one is a wrong file (or a placeholder): refused, so the log scrubber never
// has to hide a value short enough to be part of ordinary words. The message never shows the secret.
std::string long_enough(std::string secret, const fs::path& file, const std::string& what, std::size_t min,
                        const std::string& real) {
  if (secret.size() < min)
    throw ConfigError(what + ": the secret in " + file.string() + " is " + std::to_string(secret.size()) +
                      " character" + (secret.size() == 1 ? "" : "s") + " long, too short to be real (at least " +
                      std::to_string(min) + "; " + real + "): is it the right file?");
  return secret;
}
}  // namespace

void load_secrets(OrchestratorConfig& c) {
  if (c.mail.source == "imap") {
    if (!c.mail.imap_password_file.empty())
      c.mail.imap.password = long_enough(read_secret_file(c.mail.imap_password_file, "mail.imap.password_file"),
                                         c.mail.imap_password_file, "mail.imap.password_file", kMinPasswordLength,
                                         "a mailbox password");
    if (!c.mail.imap_oauth_token_file.empty())
      c.mail.imap.xoauth2_bearer =
          long_enough(read_secret_file(c.mail.imap_oauth_token_file, "mail.imap.oauth_token_file"),
                      c.mail.imap_oauth_token_file, "mail.imap.oauth_token_file", kMinTokenLength,
                      "OAuth access tokens are far longer");
  }
  if (c.spapi.client_id.empty()) throw ConfigError("spapi.client_id is not set (the LWA application's client id)");
  if (c.spapi_client_secret_file.empty()) throw ConfigError("spapi.client_secret_file is not set");
  if (c.accounts.empty())
    throw ConfigError("no Amazon account: spapi.accounts is empty (or, for one account, set spapi.refresh_token_file)");
  c.spapi.client_secret =
      long_enough(read_secret_file(c.spapi_client_secret_file, "spapi.client_secret_file"),
                  c.spapi_client_secret_file, "spapi.client_secret_file", kMinTokenLength,
                  "Login with Amazon client secrets are about 80 characters, amzn1.oa2-cs.v1.<64 hex digits>");
  if (c.alerts) load_alert_secrets(*c.alerts);
  for (auto& a : c.accounts) {
    a.refresh_token = read_refresh_token(a);
    if (a.implicit) c.spapi.refresh_token = a.refresh_token;
  }
}

std::string read_refresh_token(const AccountConfig& a) {
  const std::string what = a.implicit ? "spapi.refresh_token_file" : a.brand + "'s refresh_token_file";
  return long_enough(read_secret_file(a.refresh_token_file, what), a.refresh_token_file, what, kMinTokenLength,
                     "Login with Amazon refresh tokens are hundreds of characters, Atzr|...");
}

void write_secret_file(const fs::path& path, const std::string& secret, const std::string& what) {
  std::error_code ec;
  if (!path.parent_path().empty() && !fs::exists(path.parent_path(), ec)) {
    fs::create_directories(path.parent_path(), ec);
    if (ec) throw ConfigError(what + ": cannot create the folder " + path.parent_path().string() + " (" + ec.message() + ")");
    fs::permissions(path.parent_path(), fs::perms::owner_all, ec);
  }
  const fs::path tmp = path.string() + ".tmp-" + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) throw ConfigError(what + ": cannot write " + tmp.string() + " (" + std::strerror(errno) + ")");
  ::fchmod(fd, 0600);  // O_CREAT's mode only applies to a new file
  const std::string content = secret + "\n";
  bool ok = ::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size()) && ::fsync(fd) == 0;
  ok = ::close(fd) == 0 && ok;
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    ::unlink(tmp.c_str());
    throw ConfigError(what + ": cannot write the secret file " + path.string() + " (" + why + ")");
  }
}

json OrchestratorConfig::summary() const {
  json mail_json = {{"source", mail.source}, {"poll_interval_ms", mail.poll_interval.count()}};
  if (mail.source == "imap")
    mail_json["imap"] = {{"url", mail.imap.url},
                         {"user", mail.imap.user},
                         {"mailbox", mail.imap.mailbox},
                         {"handled_mailbox", mail.imap.handled_mailbox},
                         {"auth", mail.imap_password_file.empty() ? "xoauth2" : "password"}};
  else
    mail_json["maildir"] = {{"path", mail.maildir.root.string()}, {"handled_folder", mail.maildir.handled_folder}};
  json accounts_summary = json::array();
  for (const auto& a : accounts)
    accounts_summary.push_back({{"brand", a.brand}, {"vendor_codes", a.vendor_codes}, {"region", a.region}});
  std::string endpoint;
  try {
    endpoint = spapi::base_url(spapi);
  } catch (const std::exception&) {
    endpoint = "?";
  }
  return {{"config", file.string()},
          {"store", store},
          {"orders_db", orders_db},
          {"rules", rules_file.empty() ? "built-in" : rules_file},
          {"mail", mail_json},
          {"spapi",
           {{"endpoint", endpoint},
            {"lwa_endpoint", spapi.lwa_endpoint},
            {"client_id", spapi.client_id},
            {"accounts", accounts_summary},
            {"authorization", authorization ? json(authorization->listen) : json("off")}}},
          {"chain",
           {{"poll_initial_ms", chain.poll_initial.count()},
            {"poll_max_ms", chain.poll_max.count()},
            {"retry_initial_ms", chain.retry_initial.count()},
            {"retry_max_ms", chain.retry_max.count()}}},
          {"closeout", fleet.is_null() ? "none (requests stay CONFIRMED)" : "fleet"},
          {"console", console.is_null() ? "off" : "on"}};
}

json default_config_json() {
  OrchestratorConfig d = config_from_json(json::object(), "/");
  spapi::SpapiConfig s;
  return {
      {"store", "dockhand.sqlite"},
      {"store_max_bytes", 0},
      {"orders_db", "orders.sqlite"},
      {"rules", nullptr},
      {"mail",
       {{"source", d.mail.source},
        {"poll_interval_ms", d.mail.poll_interval.count()},
        {"batch", d.mail.batch},
        {"max_message_bytes", d.intake.max_message_bytes},
        {"maildir",
         {{"path", "inbox"},
          {"handled_folder", d.mail.maildir.handled_folder},
          {"create", true},
          {"quarantine_folder", d.mail.maildir.quarantine_folder},
          {"max_file_bytes", d.mail.maildir.max_file_bytes}}},
        {"imap",
         {{"url", nullptr},
          {"mailbox", d.mail.imap.mailbox},
          {"handled_mailbox", d.mail.imap.handled_mailbox},
          {"user", nullptr},
          {"password_file", nullptr},
          {"oauth_token_file", nullptr},
          {"ca_file", nullptr},
          {"verify_peer", d.mail.imap.verify_peer},
          {"allow_plaintext", d.mail.imap.allow_plaintext},
          {"use_move", d.mail.imap.use_move},
          {"state_file", "imap-state.json"},
          {"connect_timeout_ms", d.mail.imap.connect_timeout_ms},
          {"timeout_ms", d.mail.imap.timeout_ms}}}}},
      {"spapi",
       {{"region", s.region},
        {"sandbox", s.sandbox},
        {"endpoint", nullptr},
        {"lwa_endpoint", s.lwa_endpoint},
        {"client_id", nullptr},
        {"client_secret_file", nullptr},
        {"refresh_token_file", nullptr},
        {"request_timeout_ms", s.request_timeout.count()},
        {"connect_timeout_ms", s.connect_timeout.count()},
        {"max_retries", s.max_retries},
        {"backoff_base_ms", s.backoff_base.count()},
        {"backoff_cap_ms", s.backoff_cap.count()},
        {"throttle_wait_max_ms", s.throttle_wait_max.count()},
        {"accounts", json::array()},
        {"authorization", nullptr}}},
      {"chain",
       {{"poll_initial_ms", d.chain.poll_initial.count()},
        {"poll_max_ms", d.chain.poll_max.count()},
        {"retry_initial_ms", d.chain.retry_initial.count()},
        {"retry_max_ms", d.chain.retry_max.count()},
        {"processing_counts_as_success_min", d.chain.processing_counts_as_success.count()},
        {"processing_escalates_min", d.chain.processing_escalates.count()},
        {"uncertain_grace_ms", d.chain.uncertain_grace.count()},
        {"follow_poll_initial_ms", d.chain.follow_poll_initial.count()},
        {"follow_poll_max_ms", d.chain.follow_poll_max.count()},
        {"confirm_before_window_min", d.chain.confirm_before_window.count()},
        {"deadline_check_ms", d.chain.deadline_check.count()},
        {"batch", d.chain_batch},
        {"actor", d.chain.actor}}},
      {"logging", {{"level", d.logging.level}, {"format", d.logging.format}, {"file", nullptr}}},
      {"fleet", nullptr},
      {"console", nullptr},
      {"alerts", default_alerts_json()}};
}

std::string store_path_from(const std::string& store_option, const std::string& config_option) {
  if (!store_option.empty() && !config_option.empty())
    throw UsageError("--store and --config both say where the store is: give one");
  if (!store_option.empty()) return store_option;
  if (config_option.empty()) return "dockhand.sqlite";
  try {
    return load_config(config_option).store;
  } catch (const ConfigError& e) {
    throw UsageError(std::string("--config: ") + e.what());
  }
}

}  // namespace dockhand::cli
