// The fleet's face (fleet.h): start and stop, the fleet thread's loop, and the calls other threads make.
#include "fleet_impl.h"

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
#include <random>
#include <thread>

// Debian 12's libzmq 4.3.4 declares ZMQ_ZAP_ENFORCE_DOMAIN only under ZMQ_BUILD_DRAFT_API, but the library
// implements it; cppzmq has no sockopt for it. Without it a CURVE server with no ZAP handler reachable lets
// any client that knows the server key in. start() verifies the option took effect.
#ifndef ZMQ_ZAP_ENFORCE_DOMAIN
#define ZMQ_ZAP_ENFORCE_DOMAIN 93
#endif

namespace dockhand::fleet {
namespace {
std::atomic<unsigned> fleet_counter{0};
}  // namespace

using namespace internal;
using namespace std::chrono_literals;

void Fleet::Impl::loop() {
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
      send_controls();
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
  {
    // This start's session: agents take CONTROL only with it (one relayed by the orchestrator they are bound to).
    std::random_device random;
    static const char* hex = "0123456789abcdef";
    d.session.clear();
    for (int i = 0; i < 32; ++i) d.session += hex[random() & 15];
  }
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
    info.state = now - a.last_heard > 2 * impl_->config.heartbeat_interval ? "silent"
                 : !a.held_by.empty()                                         ? "held"
                 : a.job_id.empty()                                           ? "idle"
                                                                              : "busy";
    info.held_by = a.held_by;
    info.supervision = a.supervision;
    if (!a.job_id.empty()) {
      info.job_script = a.script;
      info.job_step = a.step;
    }
    info.last_heard = a.last_heard;
    if (auto c = impl_->day_counts.find(a.info.agent_id); c != impl_->day_counts.end() && c->second.day == today) {
      info.done_today = c->second.done;
      info.failed_today = c->second.failed;
    }
    {
      std::lock_guard watch(impl_->watch_mutex);
      info.watchers = impl_->watcher_count(a.info.agent_id);
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
