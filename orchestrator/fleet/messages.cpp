// What agents send: READY, ACK, PROGRESS, RESULT (with retries of application failures), and the connections libzmq closes.
#include "fleet_impl.h"

#include <spdlog/spdlog.h>

namespace dockhand::fleet {

using namespace internal;
using protocol::Outcome;
using namespace std::chrono_literals;

void Fleet::Impl::on_message(const std::string& routing_id, const std::vector<std::string>& frames) {
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
          if (!m.supervision.empty()) {
            on_supervision(agent_it->second, m);
            return;
          }
          if (agent_it->second.job_id == m.job_id) agent_it->second.step = m.step;
          event("progress", m.job_id, agent_it->second.info.agent_id, m.step + (m.detail.empty() ? "" : ": " + m.detail));
        } else if constexpr (std::is_same_v<T, protocol::Frame>) {
          relay_frame(routing_id, m);
        } else if constexpr (std::is_same_v<T, protocol::Heartbeat>) {
        } else {
          spdlog::warn("fleet: unexpected {} from agent {}, ignored", protocol::type_name(m), agent_it->second.info.agent_id);
        }
      },
      *decoded.message);
}

void Fleet::Impl::on_ready(const std::string& routing_id, const protocol::Ready& ready, Clock::time_point now) {
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
  send(routing_id, protocol::Heartbeat{session});  // the agent knows at once that it is registered
}

void Fleet::Impl::on_result(const std::string& routing_id, const protocol::Result& result, Clock::time_point now) {
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
  // An aborted job (an operator's Abort, a hand-back that fails it) is final: a person decided, so it is not
  // run again behind their back; a close-out goes to the needs-attention queue with the reason.
  if (result.outcome == Outcome::application) {
    ++job.failures;
    if (job.failures < config.max_attempts && result.category != "aborted") {
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

void Fleet::Impl::on_socket_events() {
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

}  // namespace dockhand::fleet
