// fleet/: hands screen-script jobs to desktop agents over ZeroMQ (docs/architecture.md, "The agent protocol").
// One ROUTER (ZMQ_ROUTER_MANDATORY, so an unroutable send is an error, not a silent drop); agents register
// with READY and the programs they can drive; a job goes to an idle agent that can drive its app; the agent
// ACKs it (no ACK in time → dispatched again) and runs it under a lease. Paranoid-Pirate heartbeats: 1 s,
// an agent silent for 3 intervals is dead and its job goes back to the queue. Application failures are
// retried (capped, exponential backoff); business failures and exhausted retries come out as final outcomes
// with the evidence images stored under evidence_dir. CurveZMQ is on unless insecure: agents are
// allow-listed by public key through a ZAP handler, with ZMQ_ZAP_ENFORCE_DOMAIN set.
#pragma once

#include "agent/protocol/protocol.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace dockhand::fleet {

struct FleetConfig {
  std::string bind = "tcp://127.0.0.1:7610";  // tcp://HOST:PORT; port * picks a free one (see endpoint())
  bool insecure = false;                       // plain TCP, no authentication: only with --insecure
  std::filesystem::path server_secret_key;     // orchestrator.key (CURVE), required unless insecure
  std::filesystem::path agent_keys;            // directory of *.pub (or a file, one key a line): the allow-list
  std::vector<std::string> allowed_agent_keys;  // more allow-listed keys (Z85), e.g. from tests
  std::chrono::milliseconds heartbeat_interval{1000};
  int heartbeat_liveness = 3;                    // intervals of silence before an agent is dead
  std::chrono::milliseconds ack_timeout{3000};   // JOB sent, no ACK → dispatch again
  std::chrono::milliseconds default_lease{600000};  // a job running longer is given to another agent
  int max_attempts = 3;                             // application failures: tries in all
  std::chrono::milliseconds retry_backoff{2000};    // doubled per retry ...
  std::chrono::milliseconds retry_backoff_max{60000};  // ... up to this
  std::filesystem::path evidence_dir;  // RESULT images go to evidence_dir/<evidence_key>/; empty: not stored
  protocol::Limits limits;
};

struct JobRequest {
  std::string job_id;  // stable and unique (e.g. "<request>-erp-closeout"): a second submit is ignored
  std::string app;     // the program an agent must be able to drive: "erp", "opship"
  std::string script;  // screen script name: "erp-closeout"
  std::map<std::string, std::string> vars;
  std::chrono::milliseconds lease{0};  // 0: default_lease
  bool supervised = false;
  std::string evidence_key;  // folder under evidence_dir (e.g. the routing request id); empty: job_id
};

// A job's final word: ok, business (the screen said no), or application after max_attempts.
struct JobOutcome {
  std::string job_id;
  protocol::Outcome outcome = protocol::Outcome::ok;
  std::map<std::string, std::string> outputs;
  std::string failed_step;
  std::string reason;
  std::string category;
  nlohmann::json evidence = nlohmann::json::object();
  std::vector<std::filesystem::path> evidence_files;  // stored images and result.json (evidence_dir set)
  std::vector<protocol::Image> images;                // the final attempt's images (screenshot, crop)
  std::string agent_id;
  int attempts = 0;
};

// Things worth a line in a timeline: "agent_joined", "agent_lost", "dispatched", "acked", "progress",
// "retry", "requeued", "refused_key", "rejected_message", "connection_closed", "finished" (a final outcome),
// "control" (a person's supervision action: detail "step by console:dana"), "supervision" (the agent stopped at
// a step, was taken over, handed back with its input count and time, got stuck).
struct FleetEvent {
  std::string kind;
  std::string job_id;
  std::string agent_id;
  std::string detail;
};

struct AgentInfo {
  std::string agent_id;
  std::string version;
  std::vector<std::string> apps;
  std::vector<std::string> scripts;
  std::string job_id;  // empty when idle
  // For the console's fleet view (a snapshot under the fleet's lock).
  std::string state;       // "idle", "busy", or "silent" (nothing heard for two heartbeat intervals)
  std::string job_script;  // the current job's script and the last step it reported ("" when none)
  std::string job_step;
  std::chrono::system_clock::time_point last_heard{};  // its last message (heartbeats included)
  int done_today = 0;    // results this UTC day: ok ...
  int failed_today = 0;  // ... and failed (business, or application, retried or not)
  // Supervision and take-over: who holds its desktop ("" when nobody; state is then "held"), its last
  // supervision report (mode, step, what, target, ...; null before any), and how many watch its screen.
  std::string held_by;
  nlohmann::json supervision;
  int watchers = 0;
};

struct FleetStats {
  std::uint64_t dispatched = 0;
  std::uint64_t completed = 0;
  std::uint64_t retries = 0;
  std::uint64_t requeued = 0;          // agent died, lease ran out, ACK missing, unroutable
  std::uint64_t rejected_messages = 0;
  std::uint64_t refused_keys = 0;
  std::uint64_t agents_lost = 0;
  std::uint64_t closed_connections = 0;  // closed by libzmq: peer gone, oversized frame, protocol error
};

class Fleet {
 public:
  explicit Fleet(FleetConfig config);
  ~Fleet();  // stops
  Fleet(const Fleet&) = delete;
  Fleet& operator=(const Fleet&) = delete;

  // Loads keys, starts the ZAP handler (unless insecure), binds and starts the fleet thread.
  // Throws with the reason (bad key file, address in use, ...).
  void start();
  void stop();
  std::string endpoint() const;  // the bound endpoint, with the real port

  // Thread-safe. Returns false (and does nothing) if a job with this id is pending already.
  bool submit(JobRequest request);
  // Thread-safe. Takes back a job no agent has been given yet (true); false when an agent has it (or had it:
  // sent, running, final) or the id is unknown. A withdrawn job has no outcome.
  bool withdraw(const std::string& job_id);
  // Thread-safe. The next final outcome, waiting up to timeout.
  std::optional<JobOutcome> next_outcome(std::chrono::milliseconds timeout);
  // Adds a listener (any time, thread-safe); every listener sees every event. Called on the fleet thread:
  // keep it short (queue the work elsewhere).
  void on_event(std::function<void(const FleetEvent&)> callback);

  std::vector<AgentInfo> agents() const;
  std::optional<AgentInfo> agent(const std::string& agent_id) const;

  // ---- remote view and supervision (thread-safe) ----
  // Frames of one agent's screen go to `sink` (on the fleet thread: it must not block) until unwatch(). The
  // agent sends frames only while it has watchers, and a key frame for every new one. 0: no such agent.
  using FrameSink = std::function<void(const std::shared_ptr<const protocol::Frame>& frame)>;
  std::uint64_t watch(const std::string& agent_id, FrameSink sink);
  void unwatch(std::uint64_t watch_id);
  void request_keyframe(const std::string& agent_id);
  // Sends CONTROL `action` to an agent on behalf of `actor` (a "control" event says who did what; input events
  // are not events). Returns "" when sent, else why not (no such agent, not held by this actor, ...).
  std::string control(const std::string& agent_id, protocol::Control control, const std::string& actor);
  std::size_t pending_jobs() const;
  FleetStats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dockhand::fleet
