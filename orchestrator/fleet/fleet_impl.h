// The fleet's inside (fleet.h is the room's face): the state the fleet thread keeps and the parts of its work,
// one file each: fleet.cpp (start, stop, the loop, the public calls), messages.cpp (what agents send),
// jobs.cpp (queue, dispatch, timers, requeue, outcomes), evidence_store.cpp (RESULT images on disk), zap.cpp
// (the CURVE allow-list). Only the fleet's own files include this.
#pragma once

#include "fleet.h"

#include "agent/protocol/wire.h"

#include <zmq.hpp>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <set>
#include <thread>

namespace dockhand::fleet {

namespace internal {
using Clock = std::chrono::steady_clock;
inline const char* const kZapEndpoint = "inproc://zeromq.zap.01";
inline const char* const kZapDomain = "dockhand";
inline constexpr int kMaxRequeues = 20;  // a job that keeps losing its agent (a poison job?) stops here

// A file or folder name from text that came from an agent.
std::string safe_name(std::string text);
// Writes a file without following a symbolic link someone left there.
void write_evidence_file(const std::filesystem::path& file, const std::string& bytes);
std::string printable(const std::string& id);  // a routing id in hex
inline bool contains(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}
}  // namespace internal

struct Fleet::Impl {
  using Clock = internal::Clock;
  using Outcome = protocol::Outcome;
  FleetConfig config;
  zmq::context_t context{1};
  std::optional<zmq::socket_t> router;
  std::optional<zmq::socket_t> zap;
  std::optional<protocol::SocketMonitor> monitor;  // connections libzmq closes on its own (oversized frames)
  protocol::ConnectionTracker connections;         // names the peer of each closed connection
  std::optional<zmq::socket_t> wake_rx;  // fleet thread
  std::optional<zmq::socket_t> wake_tx;  // submitters, under submit_mutex
  std::string bound_endpoint;
  std::thread fleet_thread, zap_thread;
  std::atomic<bool> stopping{false};
  bool started = false;

  // ZAP allow-list (read by the ZAP thread only after start()).
  std::set<std::string> allowed_keys;
  std::set<std::string> unknown_keys_named;  // this hour's; a key-rotating attacker adds no more lines
  Clock::time_point unknown_keys_hour{};
  static constexpr std::size_t kMaxUnknownKeysNamed = 3;

  // Submissions waiting for the fleet thread, and ids not yet final.
  std::mutex submit_mutex;
  std::deque<JobRequest> submitted;
  std::set<std::string> open_ids;

  std::mutex outcome_mutex;
  std::condition_variable outcome_cv;
  std::deque<JobOutcome> outcomes;

  std::mutex listeners_mutex;
  std::vector<std::function<void(const FleetEvent&)>> listeners;

  // Fleet-thread state, also read by agents()/stats() under state_mutex.
  mutable std::mutex state_mutex;
  struct Agent {
    std::string routing_id;
    protocol::Ready info;
    Clock::time_point expiry;
    Clock::time_point last_dispatch{};
    std::string job_id;
    std::string script, step;  // the current job's script and last PROGRESS step
    std::chrono::system_clock::time_point last_heard{};
    std::string held_by;          // who took its desktop over
    nlohmann::json supervision;   // its last supervision report
  };
  // Results per agent id (kept across reconnections) for the current UTC day.
  struct DayCount {
    long day = 0;
    int done = 0, failed = 0;
  };
  std::map<std::string, DayCount> day_counts;
  static long utc_day(std::chrono::system_clock::time_point t) {
    return static_cast<long>(std::chrono::duration_cast<std::chrono::hours>(t.time_since_epoch()).count() / 24);
  }
  void count_result(const std::string& agent_id, bool ok) {
    auto& c = day_counts[agent_id];
    if (auto today = utc_day(std::chrono::system_clock::now()); c.day != today) c = {today, 0, 0};
    ++(ok ? c.done : c.failed);
  }
  enum class JobState { queued, sent, running };
  struct Job {
    JobRequest request;
    JobState state = JobState::queued;
    int failures = 0;  // application failures so far
    int requeues = 0;
    Clock::time_point not_before{};
    Clock::time_point deadline{};
    std::string routing_id;
  };
  std::map<std::string, Agent> agents;  // by routing id
  std::map<std::string, Job> jobs;      // by job id, until final
  std::deque<std::string> queue;        // queued job ids, oldest first
  FleetStats stats;
  std::atomic<std::uint64_t> refused_keys{0};
  Clock::time_point next_timer_check{};

  void event(std::string kind, std::string job_id, std::string agent_id, std::string detail) {
    FleetEvent e{std::move(kind), std::move(job_id), std::move(agent_id), std::move(detail)};
    std::lock_guard lock(listeners_mutex);
    for (const auto& listener : listeners) listener(e);
  }

  std::string agent_name(const std::string& routing_id) const {
    auto it = agents.find(routing_id);
    return it != agents.end() ? it->second.info.agent_id : "peer-" + internal::printable(routing_id);
  }

  // ---- ZAP (RFC 27) ----
  void zap_loop();

  // ---- sending ----
  bool send(const std::string& routing_id, const protocol::Message& m) {
    return protocol::send_frames(*router, protocol::encode(m), &routing_id);
  }

  void requeue(Job& job, const std::string& why);

  void drop_agent(const std::string& routing_id, const std::string& why);

  // ---- outcomes ----
  std::vector<std::filesystem::path> store_evidence(const JobRequest& request, int attempt,
                                                    const protocol::Result& result, const std::string& agent_id);

  void finish(Job& job, Outcome outcome, std::map<std::string, std::string> outputs, std::string failed_step,
              std::string reason, std::string category, nlohmann::json evidence,
              std::vector<std::filesystem::path> files, std::string agent_id,
              std::vector<protocol::Image> images = {});

  // ---- incoming ----
  void on_message(const std::string& routing_id, const std::vector<std::string>& frames);

  std::chrono::milliseconds lease_of(const JobRequest& r) const {
    return r.lease.count() > 0 ? r.lease : config.default_lease;
  }

  void on_ready(const std::string& routing_id, const protocol::Ready& ready, Clock::time_point now);

  void on_result(const std::string& routing_id, const protocol::Result& result, Clock::time_point now);

  void on_socket_events();

  // ---- timers and dispatch ----
  void take_submissions();

  void dispatch(Clock::time_point now);

  void check_timers(Clock::time_point now, Clock::time_point& next_heartbeat);

  void loop();

  // ---- remote view and supervision (remote.cpp) ----
  std::string session;  // random per start: agents accept CONTROL only with it
  mutable std::mutex watch_mutex;
  struct Watcher {
    std::string agent_id;
    FrameSink sink;
  };
  std::map<std::uint64_t, Watcher> watchers;
  std::uint64_t next_watch_id = 1;
  std::deque<std::pair<std::string, protocol::Control>> controls;  // to send (agent id), under submit_mutex
  Clock::time_point next_watch_renewal{};
  int watcher_count(const std::string& agent_id) const;  // under watch_mutex
  void queue_control(const std::string& agent_id, protocol::Control control);  // any thread
  void send_controls();                                    // fleet thread
  void renew_watches(Clock::time_point now);               // fleet thread
  void relay_frame(const std::string& routing_id, const protocol::Frame& frame);
  void on_supervision(Agent& agent, const protocol::Progress& progress);
  Agent* by_agent_id(const std::string& agent_id);
};

}  // namespace dockhand::fleet
