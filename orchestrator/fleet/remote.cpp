// Remote view and supervision at the fleet: relaying an agent's FRAMEs to whoever watches it (the agent
// sends them only while watched), sending a person's CONTROL messages with this orchestrator's session, and
// keeping what the agents report of their supervision (stopped at a step, held by someone, stuck).
#include "fleet_impl.h"

#include <spdlog/spdlog.h>

namespace dockhand::fleet {

using namespace internal;
using namespace std::chrono_literals;

namespace {
constexpr auto kWatchRenewal = 3s;  // well inside the agent's watch lease (protocol::kWatchLeaseMs)

// Actions that are a person's decision about a run: each is an event. Input events never are (they may be a
// password); the hand-back reports their count and time.
bool is_decision(const std::string& action) {
  return action == "pause" || action == "step" || action == "resume" || action == "skip" || action == "abort" ||
         action == "takeover" || action == "handback";
}
}  // namespace

int Fleet::Impl::watcher_count(const std::string& agent_id) const {
  int n = 0;
  for (const auto& [id, w] : watchers) n += w.agent_id == agent_id ? 1 : 0;
  return n;
}

Fleet::Impl::Agent* Fleet::Impl::by_agent_id(const std::string& agent_id) {
  for (auto& [rid, a] : agents)
    if (a.info.agent_id == agent_id) return &a;
  return nullptr;
}

void Fleet::Impl::queue_control(const std::string& agent_id, protocol::Control control) {
  std::lock_guard lock(submit_mutex);
  controls.emplace_back(agent_id, std::move(control));
  if (wake_tx) protocol::send_frames(*wake_tx, {"w"}, nullptr, true);
}

void Fleet::Impl::send_controls() {
  std::deque<std::pair<std::string, protocol::Control>> batch;
  {
    std::lock_guard lock(submit_mutex);
    batch.swap(controls);
  }
  for (auto& [agent_id, control] : batch) {
    Agent* agent = by_agent_id(agent_id);
    if (!agent) continue;
    control.session = session;
    if (!send(agent->routing_id, control))
      spdlog::warn("fleet: CONTROL {} to agent {} could not be sent", control.action, agent_id);
  }
}

void Fleet::Impl::renew_watches(Clock::time_point now) {
  if (now < next_watch_renewal) return;
  next_watch_renewal = now + kWatchRenewal;
  std::set<std::string> watched;
  {
    std::lock_guard lock(watch_mutex);
    for (const auto& [id, w] : watchers) watched.insert(w.agent_id);
  }
  for (const auto& agent_id : watched)
    if (Agent* a = by_agent_id(agent_id)) send(a->routing_id, protocol::Control{"watch", "", {}, session});
}

void Fleet::Impl::relay_frame(const std::string& routing_id, const protocol::Frame& frame) {
  auto it = agents.find(routing_id);
  if (it == agents.end()) return;
  auto shared = std::make_shared<const protocol::Frame>(frame);
  std::lock_guard lock(watch_mutex);
  for (const auto& [id, w] : watchers)
    if (w.agent_id == it->second.info.agent_id) w.sink(shared);
}

void Fleet::Impl::on_supervision(Agent& agent, const protocol::Progress& p) {
  const auto& s = p.supervision;
  const auto text = [&](const char* key) {
    auto f = s.find(key);
    return f != s.end() && f->is_string() ? f->get<std::string>() : std::string();
  };
  const std::string before_mode = agent.supervision.is_object() ? agent.supervision.value("mode", "") : "";
  const std::string before_step = agent.supervision.is_object() ? agent.supervision.value("step", "") : "";
  agent.supervision = s;
  agent.held_by = text("held_by");
  const std::string mode = text("mode");
  std::string detail;
  if (s.contains("handed_back")) {
    detail = "handed back (" + text("handed_back") + ") by " + text("held_by") + ": " +
             std::to_string(s.value("input_events", 0)) + " input events in " +
             std::to_string(s.value("held_ms", 0LL)) + " ms";
    agent.held_by.clear();
    agent.supervision["held_by"] = "";
  } else if (mode == before_mode && text("step") == before_step) {
    return;  // the same state (a target found, say): no event
  } else if (mode == "stopped") {
    detail = "stopped before " + text("step") + ": " + text("what");
  } else if (mode == "held") {
    detail = "held by " + text("held_by") + (text("step").empty() ? "" : " at " + text("step"));
  } else if (mode == "stuck") {
    detail = "stuck at " + text("step") + ": " + text("stuck_reason") + " (waiting for a take-over)";
  } else {
    return;
  }
  event("supervision", p.job_id, agent.info.agent_id, detail);
}

std::uint64_t Fleet::watch(const std::string& agent_id, FrameSink sink) {
  auto& d = *impl_;
  {
    std::lock_guard state(d.state_mutex);
    bool known = false;
    for (const auto& [rid, a] : d.agents) known = known || a.info.agent_id == agent_id;
    if (!known) return 0;
  }
  std::uint64_t id;
  {
    std::lock_guard lock(d.watch_mutex);
    id = d.next_watch_id++;
    d.watchers[id] = {agent_id, std::move(sink)};
  }
  d.queue_control(agent_id, protocol::Control{"watch", "", {}, ""});
  d.queue_control(agent_id, protocol::Control{"keyframe", "", {}, ""});  // the newcomer starts from a whole screen
  return id;
}

void Fleet::unwatch(std::uint64_t watch_id) {
  auto& d = *impl_;
  std::string agent_id;
  {
    std::lock_guard lock(d.watch_mutex);
    auto it = d.watchers.find(watch_id);
    if (it == d.watchers.end()) return;
    agent_id = it->second.agent_id;
    d.watchers.erase(it);
    if (d.watcher_count(agent_id) > 0) return;
  }
  d.queue_control(agent_id, protocol::Control{"unwatch", "", {}, ""});  // nobody left: no more frames
}

void Fleet::request_keyframe(const std::string& agent_id) {
  impl_->queue_control(agent_id, protocol::Control{"keyframe", "", {}, ""});
}

std::string Fleet::control(const std::string& agent_id, protocol::Control control, const std::string& actor) {
  auto& d = *impl_;
  {
    std::lock_guard state(d.state_mutex);
    Impl::Agent* a = d.by_agent_id(agent_id);
    if (!a) return "no agent " + agent_id;
    const bool held = !a->held_by.empty();
    if (control.action == "takeover") {
      if (held) return "already held by " + a->held_by;
      a->held_by = actor;  // at once: nothing is dispatched to it from now on
      control.input["who"] = actor;
    } else if (control.action == "input" || control.action == "handback") {
      if (!held) return "agent " + agent_id + " is not taken over";
      if (a->held_by != actor) return "held by " + a->held_by + ", not " + actor;
    } else if (control.action != "watch" && control.action != "unwatch" && control.action != "keyframe") {
      if (a->job_id.empty()) return "agent " + agent_id + " runs no job";
      if (control.job_id.empty()) control.job_id = a->job_id;
      if (control.job_id != a->job_id) return "agent " + agent_id + " runs " + a->job_id + ", not " + control.job_id;
      control.input["who"] = actor;
    }
    if (is_decision(control.action)) {
      std::string detail = control.action + " by " + actor;
      if (control.action == "handback") detail += " (" + control.input.value("how", std::string("resume")) + ")";
      d.event("control", a->job_id, agent_id, detail);
    }
  }
  d.queue_control(agent_id, std::move(control));
  return "";
}

std::optional<AgentInfo> Fleet::agent(const std::string& agent_id) const {
  for (auto& a : agents())
    if (a.agent_id == agent_id) return a;
  return std::nullopt;
}

}  // namespace dockhand::fleet
