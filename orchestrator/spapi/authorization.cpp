#include "orchestrator/spapi/authorization.h"

#include "orchestrator/spapi/http_transport.h"
#include "orchestrator/spapi/lwa_token_provider.h"
#include "orchestrator/spapi/redactor.h"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <random>
#include <thread>

namespace dockhand::spapi {

namespace {

constexpr const char* kCookie = "dockhand_authorization";
constexpr std::size_t kMaxSessions = 1000;  // a flood of /authorize cannot grow memory without bound

std::string random_hex(std::size_t bytes) {
  static std::mutex mutex;
  static std::random_device device;  // the kernel's random source
  static const char* hex = "0123456789abcdef";
  std::lock_guard lock(mutex);
  std::string out;
  for (std::size_t i = 0; i < bytes; ++i) {
    const auto b = static_cast<unsigned>(device()) & 0xff;
    out += hex[b >> 4];
    out += hex[b & 15];
  }
  return out;
}

// Compares two secrets in time that depends only on their lengths.
bool same_secret(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

std::string html_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string page(const std::string& title, const std::string& body_html) {
  return "<!doctype html><html><head><meta charset=\"utf-8\"><title>" + html_escape(title) +
         "</title></head><body><h1>" + html_escape(title) + "</h1>" + body_html + "</body></html>\n";
}

std::string cookie_value(const httplib::Request& req, const std::string& name) {
  const std::string header = req.get_header_value("Cookie");
  std::size_t pos = 0;
  while (pos < header.size()) {
    auto end = header.find(';', pos);
    if (end == std::string::npos) end = header.size();
    std::string pair = header.substr(pos, end - pos);
    pair.erase(0, pair.find_first_not_of(' '));
    const auto eq = pair.find('=');
    if (eq != std::string::npos && pair.substr(0, eq) == name) return pair.substr(eq + 1);
    pos = end + 1;
  }
  return "";
}

}  // namespace

struct AuthorizationServer::Impl {
  struct Session {
    std::string state, brand;
    std::chrono::steady_clock::time_point expires;
  };

  AuthorizationSettings settings;
  std::vector<std::string> brands;
  Accept accept;
  httplib::Server server;
  std::thread thread;
  int port = 0;
  std::mutex mutex;
  std::map<std::string, Session> sessions;  // by session id (the cookie)
  HttpTransport transport;

  std::string base() const {
    if (!settings.public_url.empty()) {
      auto url = settings.public_url;
      while (!url.empty() && url.back() == '/') url.pop_back();
      return url;
    }
    return "http://" + settings.listen_host + ":" + std::to_string(port);
  }
  std::string redirect_uri() const { return base() + "/callback"; }
  bool secure() const { return base().rfind("https://", 0) == 0; }

  void refuse(httplib::Response& res, int status, const std::string& why) {
    spdlog::warn("authorization: refused a request: {}", why);
    res.status = status;
    res.set_content(page("Authorization refused", "<p>" + html_escape(why) + "</p>"), "text/html; charset=utf-8");
  }

  void index(const httplib::Request&, httplib::Response& res) {
    std::string list;
    for (const auto& b : brands)
      list += "<li><a href=\"" + html_escape(base() + "/authorize?brand=" + url_encode(b)) + "\">" + html_escape(b) +
              "</a></li>";
    res.set_content(page("Authorize Dockhand for a brand",
                         "<p>Choose the brand you sign in to Vendor Central for:</p><ul>" + list + "</ul>"),
                    "text/html; charset=utf-8");
  }

  void authorize(const httplib::Request& req, httplib::Response& res) {
    const std::string brand = req.get_param_value("brand");
    if (std::find(brands.begin(), brands.end(), brand) == brands.end())
      return refuse(res, 404, "no account for brand '" + brand + "' is configured");
    const std::string id = random_hex(32), state = random_hex(32);
    {
      std::lock_guard lock(mutex);
      const auto now = std::chrono::steady_clock::now();
      for (auto it = sessions.begin(); it != sessions.end();) it = it->second.expires <= now ? sessions.erase(it) : ++it;
      if (sessions.size() >= kMaxSessions) return refuse(res, 503, "too many authorizations in progress; try later");
      sessions[id] = {state, brand, now + settings.session_ttl};
    }
    std::string url = settings.consent_url + "?application_id=" + url_encode(settings.application_id) +
                      "&state=" + state + "&redirect_uri=" + url_encode(redirect_uri());
    if (settings.beta) url += "&version=beta";
    res.set_header("Set-Cookie", std::string(kCookie) + "=" + id + "; Path=/; HttpOnly; SameSite=Lax; Max-Age=" +
                                     std::to_string(settings.session_ttl.count()) + (secure() ? "; Secure" : ""));
    res.set_header("Cache-Control", "no-store");
    res.set_redirect(url, 302);
    spdlog::info("authorization: {} sent to Amazon's consent page", brand);
  }

  void callback(const httplib::Request& req, httplib::Response& res) {
    res.set_header("Cache-Control", "no-store");
    const std::string id = cookie_value(req, kCookie), state = req.get_param_value("state");
    Session session;
    {
      // The session is used up here, whatever follows: a replayed callback finds none.
      std::lock_guard lock(mutex);
      auto it = id.empty() ? sessions.end() : sessions.find(id);
      if (it == sessions.end())
        return refuse(res, 400, "no authorization in progress in this browser (already used, expired, or started "
                                "elsewhere): start again from the authorize link");
      session = it->second;
      if (state.empty() || !same_secret(state, session.state))
        return refuse(res, 400, "the state Amazon sent back does not belong to this browser's authorization");
      sessions.erase(it);
    }
    if (std::chrono::steady_clock::now() >= session.expires)
      return refuse(res, 400, "this authorization took too long; start again from the authorize link");
    const std::string code = req.get_param_value("spapi_oauth_code");
    const std::string partner = req.get_param_value("selling_partner_id");
    if (code.empty()) return refuse(res, 400, "Amazon sent no spapi_oauth_code: the authorization was not given");
    Redactor redact;
    NewAuthorization authorization{session.brand, partner, ""};
    std::string outcome;
    try {
      LwaConfig lwa{settings.lwa_endpoint, settings.client_id, settings.client_secret, "", settings.timeout,
                    settings.timeout};
      authorization.refresh_token = exchange_authorization_code(transport, lwa, code, redirect_uri(), redact);
      outcome = accept(authorization);
    } catch (const std::exception& e) {
      return refuse(res, 502, redact("authorization for " + session.brand + " failed: " + e.what()));
    }
    spdlog::info("authorization: {} authorized (selling partner {})", session.brand, partner);
    res.set_content(page(session.brand + " is authorized", "<p>" + html_escape(outcome) + "</p>"),
                    "text/html; charset=utf-8");
  }
};

AuthorizationServer::AuthorizationServer(AuthorizationSettings settings, std::vector<std::string> brands, Accept accept)
    : impl_(std::make_unique<Impl>()) {
  impl_->settings = std::move(settings);
  impl_->brands = std::move(brands);
  impl_->accept = std::move(accept);
  auto* impl = impl_.get();
  impl_->server.Get("/", [impl](const httplib::Request& req, httplib::Response& res) { impl->index(req, res); });
  impl_->server.Get("/authorize", [impl](const httplib::Request& req, httplib::Response& res) { impl->authorize(req, res); });
  impl_->server.Get("/callback", [impl](const httplib::Request& req, httplib::Response& res) { impl->callback(req, res); });
}

AuthorizationServer::~AuthorizationServer() {
  impl_->server.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

void AuthorizationServer::start() {
  auto& s = impl_->settings;
  impl_->port = s.listen_port == 0 ? impl_->server.bind_to_any_port(s.listen_host)
                                   : (impl_->server.bind_to_port(s.listen_host, s.listen_port) ? s.listen_port : -1);
  if (impl_->port <= 0)
    throw std::runtime_error("authorization: cannot listen on " + s.listen_host + ":" + std::to_string(s.listen_port));
  impl_->thread = std::thread([impl = impl_.get()] { impl->server.listen_after_bind(); });
  spdlog::info("authorization: serving the authorization workflow on {}:{} (redirect URI {})", s.listen_host,
               impl_->port, impl_->redirect_uri());
}

int AuthorizationServer::port() const { return impl_->port; }
std::string AuthorizationServer::redirect_uri() const { return impl_->redirect_uri(); }

}  // namespace dockhand::spapi
