#include "fleet.h"

#include "agent/protocol/wire.h"

#include <spdlog/spdlog.h>
#include <zmq.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <condition_variable>
#include <deque>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>

// Debian 12's libzmq 4.3.4 declares ZMQ_ZAP_ENFORCE_DOMAIN only under ZMQ_BUILD_DRAFT_API, but the library
// implements it; cppzmq has no sockopt for it. Without it a CURVE server with no ZAP handler reachable lets
// any client that knows the server key in. start() verifies the option took effect.
#ifndef ZMQ_ZAP_ENFORCE_DOMAIN
#define ZMQ_ZAP_ENFORCE_DOMAIN 93
#endif

namespace dockhand::fleet {
namespace {

using Clock = std::chrono::steady_clock;
using protocol::Outcome;
using namespace std::chrono_literals;

const char* const kZapEndpoint = "inproc://zeromq.zap.01";
const char* const kZapDomain = "dockhand";
constexpr int kMaxRequeues = 20;  // a job that keeps losing its agent (a poison job?) stops here
std::atomic<unsigned> fleet_counter{0};

std::string safe_name(std::string text) {
  for (char& c : text)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) c = '_';
  if (text.empty() || text[0] == '.') text.insert(text.begin(), '_');
  return text.substr(0, 120);
}

std::string printable(const std::string& id) {
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : id) {
    out += hex[c >> 4];
    out += hex[c & 15];
  }
  return out;
}

// Evidence names come from agents (sanitized by safe_name); the file is never written through a symlink
// someone left in the evidence folder.
void write_evidence_file(const std::filesystem::path& file, const std::string& bytes) {
  int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0640);
  if (fd < 0) throw std::runtime_error("cannot write " + file.string() + ": " + std::strerror(errno));
  std::size_t done = 0;
  while (done < bytes.size()) {
    auto n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = errno;
      ::close(fd);
      throw std::runtime_error("writing " + file.string() + " failed: " + std::strerror(err));
    }
    done += static_cast<std::size_t>(n);
  }
  ::close(fd);
}

bool contains(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

}  // namespace

struct Fleet::Impl {
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
    return it != agents.end() ? it->second.info.agent_id : "peer-" + printable(routing_id);
  }

  // ---- ZAP (RFC 27) ----
  void zap_loop() {
    while (!stopping) {
      zmq::pollitem_t item{zap->handle(), 0, ZMQ_POLLIN, 0};
      zmq::poll(&item, 1, 100ms);
      if (!(item.revents & ZMQ_POLLIN)) continue;
      auto frames = protocol::recv_frames(*zap);
      if (!frames || frames->size() < 6) continue;
      const auto& version = (*frames)[0];
      const auto& request_id = (*frames)[1];
      const auto& domain = (*frames)[2];
      const auto& address = (*frames)[3];
      const auto& mechanism = (*frames)[5];
      std::string status = "400", text, user, why;
      if (version != "1.0") {
        text = "unsupported ZAP version";
        why = "unsupported ZAP version " + version;
      } else if (domain != kZapDomain) {
        text = "wrong ZAP domain";
        why = "wrong ZAP domain";
      } else if (mechanism != "CURVE" || frames->size() < 7 || (*frames)[6].size() != 32) {
        text = "CURVE required";
        why = "it did not offer CURVE (" + mechanism.substr(0, 16) + ")";
      } else {
        char z85[41];
        zmq_z85_encode(z85, reinterpret_cast<const uint8_t*>((*frames)[6].data()), 32);
        if (allowed_keys.count(z85)) {
          status = "200";
          text = "OK";
          user = z85;
        } else {
          text = "key not allow-listed";
          why = "its CURVE public key is not allow-listed";
          ++refused_keys;
          // An unknown key is named once (so an operator can allow-list a new agent), at most a few an hour;
          // the refusal itself is one line that the log folds when it repeats.
          if (Clock::now() - unknown_keys_hour > 1h) {
            unknown_keys_named.clear();
            unknown_keys_hour = Clock::now();
          }
          if (unknown_keys_named.size() < kMaxUnknownKeysNamed && unknown_keys_named.insert(z85).second)
            spdlog::warn("fleet: an agent key that is not allow-listed: {}, first seen from {} (to let this agent "
                         "in, add its .pub file to the fleet's agent_keys)", z85, address);
        }
      }
      if (status != "200") spdlog::warn("fleet: refused a connection from {}: {}", address, why);
      protocol::send_frames(*zap, {"1.0", request_id, status, text, user, ""}, nullptr, false);
    }
  }

  // ---- sending ----
  bool send(const std::string& routing_id, const protocol::Message& m) {
    return protocol::send_frames(*router, protocol::encode(m), &routing_id);
  }

  void requeue(Job& job, const std::string& why) {
    if (job.state == JobState::queued) return;
    auto agent = agents.find(job.routing_id);
    if (agent != agents.end() && agent->second.job_id == job.request.job_id && job.state == JobState::sent)
      agent->second.job_id.clear();
    job.state = JobState::queued;
    job.routing_id.clear();
    ++job.requeues;
    ++stats.requeued;
    event("requeued", job.request.job_id, "", why);
    if (job.requeues > kMaxRequeues) {
      finish(job, Outcome::application, {}, "", "job requeued " + std::to_string(job.requeues) + " times; last: " + why,
             "lost", nlohmann::json::object(), {}, "");
      return;
    }
    queue.push_front(job.request.job_id);  // it waited already: first in line
  }

  void drop_agent(const std::string& routing_id, const std::string& why) {
    auto it = agents.find(routing_id);
    if (it == agents.end()) return;
    std::string name = it->second.info.agent_id;
    spdlog::warn("fleet: agent {} lost: {}", name, why);
    ++stats.agents_lost;
    event("agent_lost", it->second.job_id, name, why);
    agents.erase(routing_id);
    std::vector<std::string> held;  // requeue() may finish (erase) a job: not while iterating
    for (const auto& [id, job] : jobs)
      if (job.routing_id == routing_id && job.state != JobState::queued) held.push_back(id);
    for (const auto& id : held) requeue(jobs.at(id), "agent " + name + " lost: " + why);
  }

  // ---- outcomes ----
  std::vector<std::filesystem::path> store_evidence(const JobRequest& request, int attempt,
                                                    const protocol::Result& result, const std::string& agent_id) {
    std::vector<std::filesystem::path> files;
    if (config.evidence_dir.empty()) return files;
    try {
      auto dir = config.evidence_dir / safe_name(request.evidence_key.empty() ? request.job_id : request.evidence_key);
      std::filesystem::create_directories(dir);
      auto prefix = safe_name(request.job_id) + "-a" + std::to_string(attempt) + "-";
      int index = 0;
      for (const auto& image : result.images) {
        auto file = dir / (prefix + std::to_string(index++) + "-" + safe_name(image.name));
        write_evidence_file(file, image.bytes);
        files.push_back(file);
      }
      nlohmann::json record{{"job_id", request.job_id}, {"script", request.script}, {"attempt", attempt},
                            {"agent", agent_id}, {"outcome", protocol::to_string(result.outcome)},
                            {"outputs", result.outputs}, {"failed_step", result.failed_step},
                            {"reason", result.reason}, {"category", result.category}, {"evidence", result.evidence}};
      nlohmann::json names = nlohmann::json::array();
      for (const auto& f : files) names.push_back(f.filename().string());
      record["images"] = names;
      auto file = dir / (prefix + "result.json");
      write_evidence_file(file, record.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
      files.push_back(file);
    } catch (const std::exception& e) {
      spdlog::error("fleet: could not store evidence of job {} under {}: {}", request.job_id,
                    config.evidence_dir.string(), e.what());
    }
    return files;
  }

  void finish(Job& job, Outcome outcome, std::map<std::string, std::string> outputs, std::string failed_step,
              std::string reason, std::string category, nlohmann::json evidence,
              std::vector<std::filesystem::path> files, std::string agent_id,
              std::vector<protocol::Image> images = {}) {
    JobOutcome out{job.request.job_id, outcome, std::move(outputs), std::move(failed_step), std::move(reason),
                   std::move(category), std::move(evidence), std::move(files), std::move(images),
                   std::move(agent_id), job.failures + (outcome == Outcome::application ? 0 : 1)};
    std::string id = job.request.job_id;
    queue.erase(std::remove(queue.begin(), queue.end(), id), queue.end());
    jobs.erase(id);
    ++stats.completed;
    {
      std::lock_guard lock(submit_mutex);
      open_ids.erase(id);
    }
    {
      std::lock_guard lock(outcome_mutex);
      outcomes.push_back(std::move(out));
    }
    outcome_cv.notify_all();
  }

  // ---- incoming ----
  void on_message(const std::string& routing_id, const std::vector<std::string>& frames) {
    auto decoded = protocol::decode(frames, config.limits);
    auto agent_it = agents.find(routing_id);
    if (!decoded) {
      ++stats.rejected_messages;
      spdlog::warn("fleet: dropped a malformed message from {}: {}", agent_name(routing_id), decoded.error);
      event("rejected_message", "", agent_name(routing_id), decoded.error);
      return;
    }
    auto now = Clock::now();
    if (agent_it != agents.end()) {
      agent_it->second.expiry = now + config.heartbeat_interval * config.heartbeat_liveness;
      agent_it->second.last_heard = std::chrono::system_clock::now();
    }

    std::visit(
        [&](const auto& m) {
          using T = std::decay_t<decltype(m)>;
          if constexpr (std::is_same_v<T, protocol::Ready>) {
            on_ready(routing_id, m, now);
          } else if constexpr (std::is_same_v<T, protocol::Result>) {
            on_result(routing_id, m, now);
          } else if (agent_it == agents.end()) {
            // Not registered (e.g. we restarted): stay silent; the agent misses our heartbeats and re-registers.
          } else if constexpr (std::is_same_v<T, protocol::Ack>) {
            auto job = jobs.find(m.job_id);
            if (job != jobs.end() && job->second.routing_id == routing_id && job->second.state == JobState::sent) {
              job->second.state = JobState::running;
              job->second.deadline = now + lease_of(job->second.request);
              event("acked", m.job_id, agent_it->second.info.agent_id, "");
            }
          } else if constexpr (std::is_same_v<T, protocol::Progress>) {
            if (agent_it->second.job_id == m.job_id) agent_it->second.step = m.step;
            event("progress", m.job_id, agent_it->second.info.agent_id, m.step + (m.detail.empty() ? "" : ": " + m.detail));
          } else if constexpr (std::is_same_v<T, protocol::Heartbeat> || std::is_same_v<T, protocol::Frame>) {
          } else {
            spdlog::warn("fleet: unexpected {} from agent {}, ignored", protocol::type_name(m), agent_it->second.info.agent_id);
          }
        },
        *decoded.message);
  }

  std::chrono::milliseconds lease_of(const JobRequest& r) const {
    return r.lease.count() > 0 ? r.lease : config.default_lease;
  }

  void on_ready(const std::string& routing_id, const protocol::Ready& ready, Clock::time_point now) {
    // The same agent under a new connection: the old one is gone.
    for (auto it = agents.begin(); it != agents.end(); ++it) {
      if (it->first != routing_id && it->second.info.agent_id == ready.agent_id) {
        std::string old = it->first;
        auto held = it->second.job_id;
        if (!held.empty() && held == ready.busy_job) {
          auto job = jobs.find(held);
          if (job != jobs.end() && job->second.routing_id == old) job->second.routing_id = routing_id;
          it->second.job_id.clear();
        }
        drop_agent(old, "reconnected");
        break;
      }
    }
    bool known = agents.count(routing_id) > 0;
    auto& agent = agents[routing_id];
    agent.routing_id = routing_id;
    agent.info = ready;
    agent.expiry = now + config.heartbeat_interval * config.heartbeat_liveness;
    agent.job_id = ready.busy_job;
    agent.last_heard = std::chrono::system_clock::now();
    if (!ready.busy_job.empty()) {
      auto job = jobs.find(ready.busy_job);
      if (job != jobs.end()) {
        // It is running (or has run) that job: let it finish rather than start it a second time elsewhere.
        if (job->second.state == JobState::queued)
          queue.erase(std::remove(queue.begin(), queue.end(), ready.busy_job), queue.end());
        else if (job->second.routing_id != routing_id)
          spdlog::warn("fleet: job {} is also held by agent {}", ready.busy_job, agent_name(job->second.routing_id));
        job->second.state = JobState::running;
        job->second.routing_id = routing_id;
        agent.script = job->second.request.script;
        job->second.deadline = now + lease_of(job->second.request);
      }
    }
    if (!known) {
      std::string apps;
      for (const auto& a : ready.apps) apps += (apps.empty() ? "" : ",") + a;
      spdlog::info("fleet: agent {} ({}) ready, drives [{}]{}", ready.agent_id, ready.version, apps,
                   ready.busy_job.empty() ? "" : ", still running " + ready.busy_job);
      event("agent_joined", ready.busy_job, ready.agent_id, apps);
    }
    send(routing_id, protocol::Heartbeat{});  // the agent knows at once that it is registered
  }

  void on_result(const std::string& routing_id, const protocol::Result& result, Clock::time_point now) {
    send(routing_id, protocol::Ack{result.job_id});  // the agent may forget it now
    auto agent = agents.find(routing_id);
    std::string agent_id = agent_name(routing_id);
    if (agent != agents.end() && agent->second.job_id == result.job_id) agent->second.job_id.clear();
    count_result(agent_id, result.outcome == Outcome::ok);
    auto it = jobs.find(result.job_id);
    if (it == jobs.end()) {
      spdlog::info("fleet: result of job {} from {} ignored: the job is not pending (done already, or unknown)",
                   result.job_id, agent_id);
      return;
    }
    Job& job = it->second;
    bool from_holder = job.routing_id == routing_id;
    if (result.outcome == Outcome::application && result.category == "busy") {
      if (from_holder) requeue(job, agent_id + " was busy");
      return;
    }
    if (result.outcome == Outcome::application && !from_holder) {
      spdlog::info("fleet: application failure of job {} from {} ignored: the job moved to another agent",
                   result.job_id, agent_id);
      return;
    }
    int attempt = job.failures + 1;
    auto files = store_evidence(job.request, attempt, result, agent_id);
    if (result.outcome == Outcome::application) {
      ++job.failures;
      if (job.failures < config.max_attempts) {
        auto delay = config.retry_backoff * (1 << std::min(job.failures - 1, 20));
        delay = std::min<std::chrono::milliseconds>(delay, config.retry_backoff_max);
        job.state = JobState::queued;
        job.routing_id.clear();
        job.not_before = now + delay;
        queue.push_back(job.request.job_id);
        ++stats.retries;
        spdlog::warn("fleet: job {} failed on {} at {} ({}): {}; retry {} of {} in {} ms", result.job_id, agent_id,
                     result.failed_step, result.category, result.reason, job.failures, config.max_attempts - 1,
                     delay.count());
        event("retry", result.job_id, agent_id, result.reason);
        return;
      }
    }
    finish(job, result.outcome, result.outputs, result.failed_step, result.reason, result.category, result.evidence,
           std::move(files), agent_id, result.images);
  }

  void on_socket_events() {
    for (const auto& e : monitor->read()) {
      auto closed = connections.feed(e);
      if (!closed) continue;
      ++stats.closed_connections;
      // A refusal by the ZAP handler was logged there, with the peer and the reason.
      if (closed->failed_event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) continue;
      auto line = closed->describe();
      spdlog::warn("fleet: {}", line);
      event("connection_closed", "", "", line);
    }
  }

  // ---- timers and dispatch ----
  void take_submissions() {
    std::deque<JobRequest> batch;
    {
      std::lock_guard lock(submit_mutex);
      batch.swap(submitted);
    }
    for (auto& request : batch) {
      std::string id = request.job_id;
      Job job;
      job.request = std::move(request);
      jobs.emplace(id, std::move(job));
      queue.push_back(id);
    }
  }

  void dispatch(Clock::time_point now) {
    // Nothing to do without an idle agent: with thousands of jobs queued and every agent busy, this is
    // the common case and must not scan the queue.
    std::size_t idle = 0;
    for (const auto& [rid, agent] : agents) idle += agent.job_id.empty() ? 1 : 0;
    for (auto q = queue.begin(); q != queue.end() && idle > 0;) {
      Job& job = jobs.at(*q);
      if (job.not_before > now) {
        ++q;
        continue;
      }
      Agent* best = nullptr;
      for (auto& [rid, agent] : agents) {
        if (!agent.job_id.empty() || !contains(agent.info.apps, job.request.app)) continue;
        if (!agent.info.scripts.empty() && !contains(agent.info.scripts, job.request.script)) continue;
        if (!best || agent.last_dispatch < best->last_dispatch) best = &agent;
      }
      if (!best) {
        ++q;
        continue;
      }
      protocol::Job message{job.request.job_id, job.request.script, job.request.vars, lease_of(job.request).count(),
                            job.request.supervised, job.failures + 1};
      if (!send(best->routing_id, message)) {
        drop_agent(best->routing_id, "unroutable (disconnected or not reading)");
        q = queue.begin();  // drop_agent may have requeued jobs at the front
        continue;
      }
      best->job_id = job.request.job_id;
      best->script = job.request.script;
      best->step.clear();
      best->last_dispatch = now;
      job.state = JobState::sent;
      job.routing_id = best->routing_id;
      job.deadline = now + config.ack_timeout;
      ++stats.dispatched;
      event("dispatched", job.request.job_id, best->info.agent_id,
            job.request.script + " attempt " + std::to_string(job.failures + 1));
      q = queue.erase(q);
      --idle;
    }
  }

  void check_timers(Clock::time_point now, Clock::time_point& next_heartbeat) {
    // ACK timeouts and leases are seconds long: scanning every job on every loop turn (thousands of
    // messages a second) would cost more than the work itself.
    if (now < next_timer_check) return;
    next_timer_check = now + std::chrono::milliseconds(20);
    std::vector<std::string> dead;
    for (const auto& [rid, agent] : agents)
      if (now > agent.expiry) dead.push_back(rid);
    for (const auto& rid : dead) drop_agent(rid, "no heartbeat for " + std::to_string(config.heartbeat_liveness) + " intervals");
    std::vector<std::pair<std::string, std::string>> overdue;
    for (const auto& [id, job] : jobs) {
      if (job.state == JobState::sent && now > job.deadline)
        overdue.emplace_back(id, "no ACK from " + agent_name(job.routing_id) + " within " +
                                     std::to_string(config.ack_timeout.count()) + " ms");
      else if (job.state == JobState::running && now > job.deadline)
        overdue.emplace_back(id, "lease of " + std::to_string(lease_of(job.request).count()) + " ms ran out on " +
                                     agent_name(job.routing_id));
    }
    for (const auto& [id, why] : overdue)
      if (jobs.count(id)) requeue(jobs.at(id), why);
    if (now >= next_heartbeat) {
      std::vector<std::string> unroutable;
      for (const auto& [rid, agent] : agents)
        if (!send(rid, protocol::Heartbeat{})) unroutable.push_back(rid);
      for (const auto& rid : unroutable) drop_agent(rid, "unroutable (disconnected)");
      next_heartbeat = now + config.heartbeat_interval;
    }
  }

  void loop() {
    auto next_heartbeat = Clock::now() + config.heartbeat_interval;
    while (!stopping) {
      zmq::pollitem_t items[] = {{router->handle(), 0, ZMQ_POLLIN, 0},
                                 {wake_rx->handle(), 0, ZMQ_POLLIN, 0},
                                 {monitor->handle(), 0, ZMQ_POLLIN, 0}};
      zmq::poll(items, 3, 50ms);
      std::lock_guard lock(state_mutex);
      if (items[2].revents & ZMQ_POLLIN) on_socket_events();
      if (items[1].revents & ZMQ_POLLIN) {
        while (protocol::recv_frames(*wake_rx)) {
        }
        take_submissions();
      }
      if (items[0].revents & ZMQ_POLLIN) {
        for (int budget = 0; budget < 1000; ++budget) {
          auto frames = protocol::recv_frames(*router);
          if (!frames) break;
          if (frames->size() < 2) continue;
          std::string rid = frames->front();
          frames->erase(frames->begin());
          on_message(rid, *frames);
        }
      }
      auto now = Clock::now();
      check_timers(now, next_heartbeat);
      dispatch(now);
    }
  }
};

Fleet::Fleet(FleetConfig config) : impl_(std::make_unique<Impl>()) { impl_->config = std::move(config); }

Fleet::~Fleet() { stop(); }

void Fleet::on_event(std::function<void(const FleetEvent&)> callback) {
  std::lock_guard lock(impl_->listeners_mutex);
  impl_->listeners.push_back(std::move(callback));
}

void Fleet::start() {
  auto& d = *impl_;
  if (d.started) return;
  auto& cfg = d.config;
  d.router.emplace(d.context, zmq::socket_type::router);
  protocol::apply_limits(*d.router, cfg.limits);
  d.router->set(zmq::sockopt::router_mandatory, 1);
  d.router->set(zmq::sockopt::sndhwm, 100000);
  d.router->set(zmq::sockopt::rcvhwm, 100000);
  if (cfg.insecure) {
    spdlog::warn("fleet: --insecure: plain TCP without authentication; any client reaching {} can pose as an agent",
                 cfg.bind);
  } else {
    if (cfg.server_secret_key.empty())
      throw std::runtime_error("fleet: no server secret key configured (run 'dockhand-orchestrator keygen', or --insecure)");
    auto keys = protocol::read_secret_key(cfg.server_secret_key);
    for (const auto& k : cfg.allowed_agent_keys) {
      if (!protocol::is_z85_key(k)) throw std::runtime_error("fleet: allow-listed key '" + k + "' is not a Z85 key");
      d.allowed_keys.insert(k);
    }
    if (!cfg.agent_keys.empty())
      for (const auto& k : protocol::read_public_keys(cfg.agent_keys)) d.allowed_keys.insert(k);
    if (d.allowed_keys.empty())
      spdlog::warn("fleet: no agent keys allow-listed ({}); every agent will be refused", cfg.agent_keys.string());
    d.zap.emplace(d.context, zmq::socket_type::rep);
    d.zap->set(zmq::sockopt::linger, 0);
    d.zap->bind(kZapEndpoint);
    d.router->set(zmq::sockopt::curve_server, 1);
    d.router->set(zmq::sockopt::curve_secretkey, keys.secret_key);
    d.router->set(zmq::sockopt::zap_domain, kZapDomain);
    int one = 1, check = 0;
    size_t size = sizeof check;
    if (zmq_setsockopt(d.router->handle(), ZMQ_ZAP_ENFORCE_DOMAIN, &one, sizeof one) != 0 ||
        zmq_getsockopt(d.router->handle(), ZMQ_ZAP_ENFORCE_DOMAIN, &check, &size) != 0 || check != 1)
      throw std::runtime_error(std::string("fleet: this libzmq does not support ZMQ_ZAP_ENFORCE_DOMAIN: ") +
                               zmq_strerror(zmq_errno()));
    spdlog::info("fleet: CURVE on, server key {}, {} agent key(s) allow-listed", keys.public_key, d.allowed_keys.size());
  }
  d.monitor.emplace(d.context, *d.router, ZMQ_EVENT_ACCEPTED);
  try {
    d.router->bind(cfg.bind);
  } catch (const zmq::error_t& e) {
    throw std::runtime_error("fleet: cannot bind " + cfg.bind + ": " + e.what());
  }
  d.bound_endpoint = d.router->get(zmq::sockopt::last_endpoint);
  std::string wake = "inproc://dockhand-fleet-wake-" + std::to_string(fleet_counter++);
  d.wake_rx.emplace(d.context, zmq::socket_type::pair);
  d.wake_rx->set(zmq::sockopt::linger, 0);
  d.wake_rx->bind(wake);
  d.wake_tx.emplace(d.context, zmq::socket_type::pair);
  d.wake_tx->set(zmq::sockopt::linger, 0);
  d.wake_tx->set(zmq::sockopt::sndhwm, 0);
  d.wake_tx->connect(wake);
  d.stopping = false;
  if (d.zap) d.zap_thread = std::thread([&d] { d.zap_loop(); });
  d.fleet_thread = std::thread([&d] { d.loop(); });
  d.started = true;
  spdlog::info("fleet: listening on {}", d.bound_endpoint);
}

void Fleet::stop() {
  auto& d = *impl_;
  if (!d.started) return;
  d.stopping = true;
  if (d.fleet_thread.joinable()) d.fleet_thread.join();
  if (d.zap_thread.joinable()) d.zap_thread.join();
  d.monitor.reset();
  d.router.reset();
  d.zap.reset();
  d.wake_rx.reset();
  d.wake_tx.reset();
  d.started = false;
  d.outcome_cv.notify_all();
}

std::string Fleet::endpoint() const { return impl_->bound_endpoint; }

bool Fleet::submit(JobRequest request) {
  auto& d = *impl_;
  if (request.job_id.empty()) throw std::invalid_argument("fleet: a job needs a job_id");
  std::lock_guard lock(d.submit_mutex);
  if (!d.open_ids.insert(request.job_id).second) return false;
  d.submitted.push_back(std::move(request));
  if (d.wake_tx) protocol::send_frames(*d.wake_tx, {"w"}, nullptr, true);  // a full pipe already wakes it
  return true;
}

bool Fleet::withdraw(const std::string& job_id) {
  auto& d = *impl_;
  {
    std::lock_guard lock(d.submit_mutex);
    auto it = std::find_if(d.submitted.begin(), d.submitted.end(), [&](const JobRequest& r) { return r.job_id == job_id; });
    if (it != d.submitted.end()) {
      d.submitted.erase(it);
      d.open_ids.erase(job_id);
      return true;
    }
  }
  std::lock_guard lock(d.state_mutex);  // the fleet thread's order: state, then submit
  auto it = d.jobs.find(job_id);
  if (it == d.jobs.end() || it->second.state != Impl::JobState::queued) return false;
  d.queue.erase(std::remove(d.queue.begin(), d.queue.end(), job_id), d.queue.end());
  d.jobs.erase(it);
  std::lock_guard submit_lock(d.submit_mutex);
  d.open_ids.erase(job_id);
  return true;
}

std::optional<JobOutcome> Fleet::next_outcome(std::chrono::milliseconds timeout) {
  auto& d = *impl_;
  std::unique_lock lock(d.outcome_mutex);
  if (!d.outcome_cv.wait_for(lock, timeout, [&] { return !d.outcomes.empty(); })) return std::nullopt;
  auto out = std::move(d.outcomes.front());
  d.outcomes.pop_front();
  return out;
}

std::vector<AgentInfo> Fleet::agents() const {
  std::lock_guard lock(impl_->state_mutex);
  std::vector<AgentInfo> out;
  const auto now = std::chrono::system_clock::now();
  const auto today = Impl::utc_day(now);
  for (const auto& [rid, a] : impl_->agents) {
    AgentInfo info;
    info.agent_id = a.info.agent_id;
    info.version = a.info.version;
    info.apps = a.info.apps;
    info.scripts = a.info.scripts;
    info.job_id = a.job_id;
    info.state = now - a.last_heard > 2 * impl_->config.heartbeat_interval ? "silent" : a.job_id.empty() ? "idle" : "busy";
    if (!a.job_id.empty()) {
      info.job_script = a.script;
      info.job_step = a.step;
    }
    info.last_heard = a.last_heard;
    if (auto c = impl_->day_counts.find(a.info.agent_id); c != impl_->day_counts.end() && c->second.day == today) {
      info.done_today = c->second.done;
      info.failed_today = c->second.failed;
    }
    out.push_back(std::move(info));
  }
  return out;
}

std::size_t Fleet::pending_jobs() const {
  std::lock_guard lock(impl_->submit_mutex);
  return impl_->open_ids.size();
}

FleetStats Fleet::stats() const {
  std::lock_guard lock(impl_->state_mutex);
  FleetStats s = impl_->stats;
  s.refused_keys = impl_->refused_keys;
  return s;
}

}  // namespace dockhand::fleet
