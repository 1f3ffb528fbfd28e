// console/: the HTTP server: TLS or not, the access guard in front of every API route, static files, JSON
// errors, a thread of its own (httplib's pool serves the requests).
#include "internal.h"

#include "orchestrator/fleet/fleet.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <thread>

#ifndef DOCKHAND_CONSOLE_WEB_DIR
#define DOCKHAND_CONSOLE_WEB_DIR ""
#endif

namespace dockhand::console {

using json = nlohmann::json;

void send_json(httplib::Response& response, int status, const json& body) {
  response.status = status;
  response.set_header("Cache-Control", "no-store");
  response.set_content(body.dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
}

void send_error(httplib::Response& response, int status, const std::string& message) {
  send_json(response, status, {{"error", message}});
}

std::optional<std::int64_t> id_of(const httplib::Request& request, httplib::Response& response, int match) {
  std::int64_t value = 0;
  if (static_cast<int>(request.matches.size()) > match) {
    const std::string text = request.matches[match];
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec == std::errc() && end == text.data() + text.size()) return value;
  }
  send_error(response, 404, "no such request id");
  return std::nullopt;
}

namespace {

bool needs_token(const std::string& path) {
  return (path.rfind("/api/", 0) == 0 && path != "/api/login" && path != "/api/logout") || path == "/metrics";
}

}  // namespace

struct Server::Impl {
  Context context;
  std::unique_ptr<httplib::Server> http;
  std::thread thread;
  int port = 0;
  std::optional<std::string> generated;
  bool running = false;

  void build() {
    const auto& o = context.options;
    if (o.tls_cert.empty() != o.tls_key.empty())
      throw std::runtime_error("console: tls_cert and tls_key go together (both, or neither)");
    if (!o.tls_cert.empty()) {
#ifdef CPPHTTPLIB_OPENSSL_SUPPORT
      auto ssl = std::make_unique<httplib::SSLServer>(o.tls_cert.c_str(), o.tls_key.c_str());
      if (!ssl->is_valid())
        throw std::runtime_error("console: cannot use the TLS certificate " + o.tls_cert.string() + " and key " +
                                 o.tls_key.string() + " (unreadable, not PEM, or not a pair)");
      http = std::move(ssl);
#else
      throw std::runtime_error("console: tls_cert and tls_key are set, but this build's cpp-httplib has no "
                               "OpenSSL support; put a TLS reverse proxy in front instead (docs/operations.md)");
#endif
    } else {
      http = std::make_unique<httplib::Server>();
    }
    const int threads = std::max(1, o.threads);
    http->new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<std::size_t>(threads)); };
    http->set_payload_max_length(o.max_body_bytes);
    http->set_read_timeout(10, 0);
    http->set_write_timeout(10, 0);
    http->set_keep_alive_timeout(2);  // an idle kept-alive connection holds a thread: let it go soon

    // Access: every API route and /metrics need a valid token; acting needs the operator role.
    http->set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
      res.set_header("X-Content-Type-Options", "nosniff");
      res.set_header("X-Frame-Options", "DENY");
      res.set_header("Referrer-Policy", "no-referrer");
      if (!needs_token(req.path)) return httplib::Server::HandlerResponse::Unhandled;
      auto who = authenticate(context, req);
      if (!who) {
        res.set_header("WWW-Authenticate", "Bearer realm=\"dockhand\"");
        send_error(res, 401, "a valid token is needed (Authorization: Bearer TOKEN, or log in)");
        return httplib::Server::HandlerResponse::Handled;
      }
      if (req.method != "GET" && req.method != "HEAD" && who->role != Role::operator_) {
        send_error(res, 403, who->name + " is a viewer: only an operator can act");
        return httplib::Server::HandlerResponse::Handled;
      }
      return httplib::Server::HandlerResponse::Unhandled;
    });
    // Errors without a body of their own (no route, a body over the limit) get a JSON one.
    http->set_error_handler(httplib::Server::HandlerWithResponse([this](const httplib::Request& req, httplib::Response& res) {
      if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
      if (res.status == 413) {
        send_error(res, 400, "the body is larger than " + std::to_string(context.options.max_body_bytes) + " bytes");
      } else if (res.status == 404) {
        send_error(res, 404, "no such page: " + req.path);
      } else {
        send_error(res, res.status, "the request could not be served (HTTP " + std::to_string(res.status) + ")");
      }
      return httplib::Server::HandlerResponse::Handled;
    }));
    http->set_exception_handler([](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
      std::string what = "unknown error";
      try {
        std::rethrow_exception(ep);
      } catch (const std::exception& e) {
        what = e.what();
      } catch (...) {
      }
      spdlog::error("console: {} {} failed: {}", req.method, req.path, what);
      send_error(res, 500, "the console failed to answer: " + what);
    });

    add_read_routes(*http, context);
    add_action_routes(*http, context);
    add_remote_routes(*http, context);

    auto root = o.web_root.empty() ? std::filesystem::path(DOCKHAND_CONSOLE_WEB_DIR) : o.web_root;
    if (root.empty() || !http->set_mount_point("/", root.string()))
      spdlog::warn("console: no web page to serve: the folder {} does not exist (the API is served)", root.string());
  }
};

Server::Server(Options options) : impl_(std::make_unique<Impl>()) { impl_->context.options = std::move(options); }

Server::~Server() { stop(); }

void Server::start() {
  auto& d = *impl_;
  if (d.running) return;
  auto& o = d.context.options;
  if (o.store_path.empty()) throw std::runtime_error("console: no store to read");
  d.context.tokens = Tokens::load_or_create(o.tokens_file, d.generated);
  d.context.sessions = std::make_unique<Sessions>(o.session_ttl);
  d.context.reader = std::make_unique<chain::Store>(o.store_path, d.context.clock, chain::StoreAccess::read_only);
  if (!d.context.jobs) d.context.jobs = std::make_shared<JobLog>(o.store_path + ".jobs.jsonl");
  d.build();
  if (o.fleet) {
    std::weak_ptr<JobLog> jobs = d.context.jobs;
    o.fleet->on_event([jobs](const fleet::FleetEvent& e) {
      if (auto log = jobs.lock()) log->add(e, now_iso());
    });
  }
  d.port = o.port == 0 ? d.http->bind_to_any_port(o.bind) : (d.http->bind_to_port(o.bind, o.port) ? o.port : -1);
  if (d.port <= 0)
    throw std::runtime_error("console: cannot listen on " + o.bind + ":" + std::to_string(o.port) +
                             " (in use, or not an address of this machine)");
  d.thread = std::thread([&d] { d.http->listen_after_bind(); });
  // stop() only stops a server that runs: wait until it does (it is bound already, so no connection is lost).
  for (int i = 0; i < 5000 && !d.http->is_running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  d.running = true;
  spdlog::info("console: serving {} ({} token(s), {})", url(), d.context.tokens.size(),
               o.tls_cert.empty() ? "plain HTTP" : "TLS");
}

void Server::stop() {
  auto& d = *impl_;
  if (d.http) d.http->stop();
  if (d.thread.joinable()) d.thread.join();
  d.running = false;
}

int Server::port() const { return impl_->port; }

std::string Server::url() const {
  const auto& o = impl_->context.options;
  if (!o.public_url.empty()) return o.public_url;
  auto host = o.bind.find(':') != std::string::npos ? "[" + o.bind + "]" : o.bind;
  return (o.tls_cert.empty() ? "http://" : "https://") + host + ":" + std::to_string(impl_->port);
}

std::optional<std::string> Server::generated_token() const { return impl_->generated; }

}  // namespace dockhand::console
