#include "settings.h"

#include <set>

namespace dockhand::fleet {
namespace {

using json = nlohmann::json;

class Section {
 public:
  explicit Section(const json& j) : j_(j) {
    if (!j_.is_object()) throw SettingsError("fleet must be a JSON object");
  }
  const json* find(const std::string& key) {
    known_.insert(key);
    auto it = j_.find(key);
    return it == j_.end() || it->is_null() ? nullptr : &*it;
  }
  void string(const std::string& key, std::string& out) {
    if (auto v = find(key)) {
      if (!v->is_string()) throw SettingsError("fleet." + key + " must be a string");
      out = v->get<std::string>();
    }
  }
  void boolean(const std::string& key, bool& out) {
    if (auto v = find(key)) {
      if (!v->is_boolean()) throw SettingsError("fleet." + key + " must be true or false");
      out = v->get<bool>();
    }
  }
  void integer(const std::string& key, long long& out, long long min, long long max) {
    if (auto v = find(key)) {
      if (!v->is_number_integer()) throw SettingsError("fleet." + key + " must be a whole number");
      auto n = v->get<long long>();
      if (n < min || n > max)
        throw SettingsError("fleet." + key + " must be between " + std::to_string(min) + " and " + std::to_string(max));
      out = n;
    }
  }
  void millis(const std::string& key, std::chrono::milliseconds& out, long long min, long long max) {
    long long n = out.count();
    integer(key, n, min, max);
    out = std::chrono::milliseconds(n);
  }
  void finish() {
    for (auto it = j_.begin(); it != j_.end(); ++it) {
      if (it.key().rfind('_', 0) == 0 || known_.count(it.key())) continue;
      std::string list;
      for (const auto& k : known_) list += (list.empty() ? "" : ", ") + k;
      throw SettingsError("unknown key fleet." + it.key() + " (known here: " + list + ")");
    }
  }

 private:
  const json& j_;
  std::set<std::string> known_;
};

constexpr const char* kDefaultServerKey = "keys/orchestrator.key";
constexpr const char* kDefaultAgentKeys = "keys/agents";
constexpr const char* kDefaultEvidence = "evidence";

}  // namespace

FleetSettings fleet_settings_from_json(const json& section,
                                       const std::function<std::filesystem::path(const std::string&)>& resolve) {
  FleetSettings s;
  Section f(section);
  auto& c = s.fleet;
  f.string("bind", c.bind);
  if (c.bind.rfind("tcp://", 0) != 0) throw SettingsError("fleet.bind must be tcp://HOST:PORT (got '" + c.bind + "')");
  f.boolean("insecure", c.insecure);
  std::string server_key = kDefaultServerKey, agent_keys = kDefaultAgentKeys, evidence = kDefaultEvidence;
  f.string("server_secret_key", server_key);
  f.string("agent_keys", agent_keys);
  f.string("evidence_dir", evidence);
  if (!c.insecure) {
    c.server_secret_key = resolve(server_key);
    c.agent_keys = resolve(agent_keys);
  }
  if (!evidence.empty()) c.evidence_dir = resolve(evidence);
  f.millis("heartbeat_ms", c.heartbeat_interval, 100, 60000);
  long long liveness = c.heartbeat_liveness;
  f.integer("heartbeat_liveness", liveness, 2, 100);
  c.heartbeat_liveness = static_cast<int>(liveness);
  f.millis("ack_timeout_ms", c.ack_timeout, 100, 600000);
  f.millis("lease_ms", c.default_lease, 1000, 24LL * 3600 * 1000);
  long long attempts = c.max_attempts;
  f.integer("max_attempts", attempts, 1, 100);
  c.max_attempts = static_cast<int>(attempts);
  f.millis("retry_backoff_ms", c.retry_backoff, 0, 3600000);
  f.millis("retry_backoff_max_ms", c.retry_backoff_max, 0, 24LL * 3600 * 1000);
  if (c.retry_backoff_max < c.retry_backoff) throw SettingsError("fleet.retry_backoff_max_ms is below fleet.retry_backoff_ms");
  f.boolean("progress_events", s.closeout.progress_events);
  f.finish();
  return s;
}

json default_fleet_settings_json() {
  FleetConfig c;
  CloseoutOptions o;
  return {{"bind", c.bind},
          {"insecure", c.insecure},
          {"server_secret_key", kDefaultServerKey},
          {"agent_keys", kDefaultAgentKeys},
          {"evidence_dir", kDefaultEvidence},
          {"heartbeat_ms", c.heartbeat_interval.count()},
          {"heartbeat_liveness", c.heartbeat_liveness},
          {"ack_timeout_ms", c.ack_timeout.count()},
          {"lease_ms", c.default_lease.count()},
          {"max_attempts", c.max_attempts},
          {"retry_backoff_ms", c.retry_backoff.count()},
          {"retry_backoff_max_ms", c.retry_backoff_max.count()},
          {"progress_events", o.progress_events}};
}

}  // namespace dockhand::fleet
