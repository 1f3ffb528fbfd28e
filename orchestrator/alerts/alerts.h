// alerts/: tells people when something needs a human (issue 9, item 5). A routing request entering
// NEEDS_ATTENTION or REJECTED, or a desktop agent gone silent, is ONE alert per item and channel: remembered
// in the store (chain::Store, table `alerts`) before it is sent, so neither a poll nor a restart sends it
// twice. Channels: email through SMTP (libcurl, TLS, login from a secret file) and a webhook POST with JSON.
// Each channel has its own thread: a channel that fails is retried with backoff and logged, and never stops
// or slows the chain (the chain only wakes the threads).
#pragma once

#include "orchestrator/chain/store.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace dockhand::alerts {

struct EmailSettings {
  std::string url;  // smtps://host:465 (TLS) or smtp://host:587 (STARTTLS required unless allow_plaintext)
  std::string from;
  std::vector<std::string> to;
  std::string user;      // empty: no login
  std::string password;  // secret (from password_file): never logged
  std::string ca_file;
  bool verify_peer = true;
  bool allow_plaintext = false;  // smtp:// without TLS: a sink on loopback in tests only
  std::chrono::milliseconds timeout{30000};
};

struct WebhookSettings {
  std::string url;           // https://... (http:// only with allow_plaintext)
  std::string bearer_token;  // secret (from token_file): "Authorization: Bearer ..."; empty: none
  std::string ca_file;
  bool verify_peer = true;
  bool allow_plaintext = false;
  std::chrono::milliseconds timeout{10000};
};

struct AlertSettings {
  std::optional<EmailSettings> email;
  std::optional<WebhookSettings> webhook;
  bool agent_silent = true;  // alert when an agent goes silent past its heartbeat liveness
  std::chrono::milliseconds retry_initial{10000};  // a failed delivery waits this long, doubling ...
  std::chrono::milliseconds retry_max{600000};     // ... up to this
  std::string console_url;  // the console's public address: each alert links to its item there ("": no link)

  std::vector<std::string> channels() const;  // "email", "webhook": the configured ones
};

// One message as the channels send it.
struct Alert {
  std::string item;
  std::string subject;  // one line
  std::string text;     // the email body: what, why, when, the link
  nlohmann::json json;  // the webhook body
};

// What an item's content (chain::AlertRecord::content) says, in words and JSON, with the console link.
Alert compose(const std::string& item, const nlohmann::json& content, const std::string& console_url);

// A channel: sends one alert or throws std::runtime_error with the reason (no secret in it).
class Channel {
 public:
  virtual ~Channel() = default;
  virtual std::string name() const = 0;
  virtual void send(const Alert& alert) = 0;
};
std::unique_ptr<Channel> email_channel(EmailSettings settings);
std::unique_ptr<Channel> webhook_channel(WebhookSettings settings);

class Alerter {
 public:
  // on_attempt(channel, delivered): each delivery attempt (metrics). Looks at the store once at once (the
  // first look on a store marks where alerting starts), then starts one thread per channel.
  Alerter(AlertSettings settings, chain::Store& store,
          std::function<void(const std::string& channel, bool delivered)> on_attempt = {});
  // For tests: channels of one's own (their names are the channels).
  Alerter(AlertSettings settings, chain::Store& store, std::vector<std::unique_ptr<Channel>> channels,
          std::function<void(const std::string& channel, bool delivered)> on_attempt = {});
  ~Alerter();  // stops the threads (a send in progress finishes or times out first)
  Alerter(const Alerter&) = delete;
  Alerter& operator=(const Alerter&) = delete;

  // Something may need announcing (a transition to NEEDS_ATTENTION or REJECTED): wakes the threads. Cheap,
  // never blocks; any thread (the store's transition observer calls it).
  void wake();
  // An agent went silent (the fleet's "agent_lost"): one alert for this loss. Any thread; never blocks.
  void agent_silent(const std::string& agent_id, const std::string& detail);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dockhand::alerts
