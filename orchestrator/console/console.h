// console/: the Operator Console (docs/console.md): an HTTP server (cpp-httplib, threads of its own) serving
// the web page's static files and a JSON API over the store: the requests, a request's page with its live
// timeline, the needs-attention queue with an operator's actions (retry, cancel, edit and resubmit,
// resolve), the fleet and /metrics. Every API route needs a token (Bearer or a session cookie); tokens are
// kept as SHA-256 hashes in a secret file, compared in constant time and never logged.
//
// Reads go through a read-only Store of its own (its own SQLite connection, short read transactions), so
// the console never waits on the chain's lock nor holds it; an action is one short write transaction on
// the chain's Store.
#pragma once

#include "orchestrator/chain/store.h"
#include "orchestrator/pretender/pretender.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

namespace dockhand::fleet {
class Fleet;
}

namespace dockhand::console {

class SettingsError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Options {
  // ---- from the config's "console" section (docs/configuration.md) ----
  std::string bind = "127.0.0.1";
  int port = 7630;                     // 0: any free port (port() tells which)
  std::filesystem::path tokens_file;   // SHA256-HEX NAME ROLE per line; made (0600) with one operator token if missing
  std::filesystem::path tls_cert;      // both set: HTTPS
  std::filesystem::path tls_key;
  std::string public_url;              // links in alerts and the start-up line; "" = http(s)://BIND:PORT
  std::filesystem::path web_root;      // the page's files; "" = the built-in folder (orchestrator/console/web)
  std::chrono::seconds session_ttl{12 * 3600};
  std::size_t max_body_bytes = 64 * 1024;
  int threads = 16;  // a browser keeps up to 6 connections alive, each holding a thread while it lives

  // ---- wiring (serve, tests) ----
  std::string store_path;              // opened read-only for every read
  chain::Store* store = nullptr;       // the chain's store: the actions write through it
  // Resubmit's check: the edited request planned with the chain's pre-tender rules and order data. Must be
  // callable from the console's threads (its own order-data connection). Unset: resubmit answers 503.
  std::function<pretender::Plan(const intake::RoutingRequest&)> plan;
  fleet::Fleet* fleet = nullptr;  // nullptr: /api/fleet lists no agent, no remote view
  std::function<std::string()> metrics;  // the Prometheus text; unset: /metrics is 404
  std::function<void()> wake;            // an action made a request due now: wake the chain
};

// The "console" section of the config -> Options (the config part). Strict: unknown keys and wrong types are
// errors naming "console.<key>". resolve: a relative path of the file -> a real one.
Options options_from_json(const nlohmann::json& section,
                          const std::function<std::filesystem::path(const std::string&)>& resolve);
nlohmann::json default_options_json();

class Server {
 public:
  explicit Server(Options options);
  ~Server();  // stops
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Reads (or makes) the tokens file, opens the store for reading, binds and serves on threads of its own.
  // Throws std::runtime_error with the reason (address in use, unreadable tokens or TLS files, ...).
  void start();
  void stop();
  int port() const;
  std::string url() const;  // public_url, or http(s)://BIND:PORT
  // The operator token made at this start because there was no tokens file: to be shown once (stdout),
  // never logged. nullopt when the file existed.
  std::optional<std::string> generated_token() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dockhand::console
