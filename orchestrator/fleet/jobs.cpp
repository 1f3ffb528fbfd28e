// The job queue: taking submissions, dispatching to idle agents, ACK and lease timers, heartbeats, requeues and final outcomes.
#include "fleet_impl.h"

#include <spdlog/spdlog.h>

namespace dockhand::fleet {

using namespace internal;
using protocol::Outcome;
using namespace std::chrono_literals;

void Fleet::Impl::requeue(Job& job, const std::string& why) {
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

void Fleet::Impl::drop_agent(const std::string& routing_id, const std::string& why) {
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

void Fleet::Impl::finish(Job& job, Outcome outcome, std::map<std::string, std::string> outputs, std::string failed_step,
                         std::string reason, std::string category, nlohmann::json evidence,
            std::vector<std::filesystem::path> files, std::string agent_id,
            std::vector<protocol::Image> images) {
  JobOutcome out{job.request.job_id, outcome, std::move(outputs), std::move(failed_step), std::move(reason),
                 std::move(category), std::move(evidence), std::move(files), std::move(images),
                 std::move(agent_id), job.failures + (outcome == Outcome::application ? 0 : 1)};
  std::string id = job.request.job_id;
  queue.erase(std::remove(queue.begin(), queue.end(), id), queue.end());
  jobs.erase(id);
  event("finished", id, out.agent_id,
        std::string(protocol::to_string(out.outcome)) + (out.reason.empty() ? "" : ": " + out.reason));
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

void Fleet::Impl::take_submissions() {
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

void Fleet::Impl::dispatch(Clock::time_point now) {
  // Nothing to do without an idle agent: with thousands of jobs queued and every agent busy, this is
  // the common case and must not scan the queue.
  std::size_t idle = 0;
  for (const auto& [rid, agent] : agents) idle += agent.job_id.empty() && agent.held_by.empty() ? 1 : 0;
  for (auto q = queue.begin(); q != queue.end() && idle > 0;) {
    Job& job = jobs.at(*q);
    if (job.not_before > now) {
      ++q;
      continue;
    }
    Agent* best = nullptr;
    for (auto& [rid, agent] : agents) {
      if (!agent.job_id.empty() || !agent.held_by.empty() || !contains(agent.info.apps, job.request.app)) continue;
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

void Fleet::Impl::check_timers(Clock::time_point now, Clock::time_point& next_heartbeat) {
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
      if (!send(rid, protocol::Heartbeat{session})) unroutable.push_back(rid);
    for (const auto& rid : unroutable) drop_agent(rid, "unroutable (disconnected)");
    next_heartbeat = now + config.heartbeat_interval;
  }
  renew_watches(now);
}

}  // namespace dockhand::fleet
