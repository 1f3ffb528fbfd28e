#include "worker.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <deque>
#include <mutex>
#include <thread>

namespace dockhand::protocol {
namespace {

using Clock = std::chrono::steady_clock;
const std::string kStop = "STOP";

std::atomic<unsigned> worker_counter{0};

long long ms_since(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count();
}

class PairControl : public JobControl {
 public:
  PairControl(zmq::socket_t& pair, const std::string& job_id, const std::atomic<bool>& abort)
      : pair_(pair), job_id_(job_id), abort_(abort) {}
  void progress(const std::string& step, const std::string& detail, std::optional<Image> thumbnail) override {
    send_frames(pair_, encode(Progress{job_id_, step, detail, std::move(thumbnail)}), nullptr, false);
  }
  bool abort_requested() const override { return abort_.load(); }

 private:
  zmq::socket_t& pair_;
  const std::string& job_id_;
  const std::atomic<bool>& abort_;
};

}  // namespace

struct Worker::Impl {
  WorkerConfig config;
  JobExecutor executor;
  zmq::context_t context{1};
  std::string pair_address = "inproc://dockhand-worker-" + std::to_string(worker_counter++);
  zmq::socket_t pair{context, zmq::socket_type::pair};  // main loop side
  std::thread job_thread;
  std::atomic<bool> abort{false};
  // post(): messages from other threads, and the wake-up of the loop.
  static constexpr std::size_t kOutboxLimit = 256;
  std::mutex outbox_mutex;
  std::deque<std::vector<std::string>> outbox;
  std::string wake_address = "inproc://dockhand-worker-wake-" + std::to_string(worker_counter++);
  zmq::socket_t wake_rx{context, zmq::socket_type::pair};
  zmq::socket_t wake_tx{context, zmq::socket_type::pair};

  // The executor's thread: receives JOBs over the pair, answers with PROGRESS and RESULT.
  void job_loop() {
    zmq::socket_t side(context, zmq::socket_type::pair);
    side.set(zmq::sockopt::linger, 0);
    side.connect(pair_address);
    if (config.on_job_thread_start) {
      try {
        config.on_job_thread_start();
      } catch (const std::exception& e) {
        spdlog::warn("agent {}: preparing the job thread failed: {}", config.agent_id, e.what());
      }
    }
    while (true) {
      auto frames = recv_frames(side, true);
      if (!frames) continue;
      if (frames->size() == 1 && frames->front() == kStop) return;
      auto decoded = decode(*frames, config.limits);
      if (!decoded || !std::holds_alternative<Job>(*decoded.message)) continue;
      const Job job = std::get<Job>(*decoded.message);
      abort = false;
      PairControl control(side, job.job_id, abort);
      Result result;
      try {
        result = executor(job, control);
      } catch (const std::exception& e) {
        result = Result{};
        result.outcome = Outcome::application;
        result.reason = std::string("the job failed with an exception: ") + e.what();
        result.category = "exception";
      }
      result.job_id = job.job_id;
      send_frames(side, encode(result), nullptr, false);
    }
  }
};

Worker::Worker(WorkerConfig config, JobExecutor executor) : impl_(std::make_unique<Impl>()) {
  impl_->config = std::move(config);
  impl_->executor = std::move(executor);
  impl_->pair.set(zmq::sockopt::linger, 0);
  impl_->pair.bind(impl_->pair_address);
  impl_->wake_rx.set(zmq::sockopt::linger, 0);
  impl_->wake_rx.bind(impl_->wake_address);
  impl_->wake_tx.set(zmq::sockopt::linger, 0);
  impl_->wake_tx.set(zmq::sockopt::sndhwm, 0);
  impl_->wake_tx.connect(impl_->wake_address);
  impl_->job_thread = std::thread([this] { impl_->job_loop(); });
}

Worker::~Worker() {
  impl_->abort = true;
  send_frames(impl_->pair, {kStop}, nullptr, false);
  if (impl_->job_thread.joinable()) impl_->job_thread.join();
}

void Worker::post(const Message& message) {
  auto frames = encode(message);
  std::lock_guard lock(impl_->outbox_mutex);
  if (impl_->outbox.size() >= Impl::kOutboxLimit) {
    impl_->outbox.pop_front();
    ++stats_.posted_dropped;
  }
  impl_->outbox.push_back(std::move(frames));
  send_frames(impl_->wake_tx, {"w"}, nullptr, true);  // a full pipe already wakes the loop
}

void Worker::run(const std::atomic<bool>& stop) {
  auto& cfg = impl_->config;
  auto log = spdlog::default_logger();
  const auto interval = cfg.heartbeat_interval;
  const auto silence_limit = interval * cfg.heartbeat_liveness;
  auto backoff = cfg.reconnect_min;
  std::string running_job;                 // handed to the executor, no RESULT yet
  std::optional<std::vector<std::string>> unacked_result;  // RESULT frames until the orchestrator ACKs them
  std::string unacked_job;

  auto sleep_interruptible = [&](std::chrono::milliseconds total) {
    auto until = Clock::now() + total;
    while (!stop && Clock::now() < until) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  };

  while (!stop) {
    zmq::socket_t dealer(impl_->context, zmq::socket_type::dealer);
    apply_limits(dealer, cfg.limits);
    dealer.set(zmq::sockopt::reconnect_ivl, static_cast<int>(cfg.reconnect_min.count()));
    dealer.set(zmq::sockopt::reconnect_ivl_max, static_cast<int>(cfg.reconnect_max.count()));
    if (!cfg.insecure) make_curve_client(dealer, cfg.agent_keys, cfg.server_public_key);
    std::optional<SocketMonitor> monitor;
    monitor.emplace(impl_->context, dealer);
    dealer.connect(cfg.endpoint);
    ++stats_.connects;
    log->info("agent {}: connecting to {} ({})", cfg.agent_id, cfg.endpoint, cfg.insecure ? "plain TCP" : "CURVE");

    auto send = [&](const Message& m) { return send_frames(dealer, encode(m)); };
    send(Ready{cfg.agent_id, cfg.version, cfg.apps, cfg.scripts, !running_job.empty() ? running_job : unacked_job});
    if (unacked_result) send_frames(dealer, *unacked_result);

    auto last_heard = Clock::now();
    auto next_heartbeat = Clock::now() + interval;
    bool heard_since_connect = false;
    bool reconnect = false;
    std::string session;  // the orchestrator's, from its first heartbeat on this connection
    while (!stop && !reconnect) {
      auto now = Clock::now();
      auto wait = std::clamp(std::chrono::duration_cast<std::chrono::milliseconds>(next_heartbeat - now),
                             std::chrono::milliseconds(0), std::chrono::milliseconds(100));
      zmq::pollitem_t items[] = {{dealer.handle(), 0, ZMQ_POLLIN, 0},
                                 {impl_->pair.handle(), 0, ZMQ_POLLIN, 0},
                                 {monitor->handle(), 0, ZMQ_POLLIN, 0},
                                 {impl_->wake_rx.handle(), 0, ZMQ_POLLIN, 0}};
      try {
        zmq::poll(items, 4, wait);
      } catch (const zmq::error_t& e) {
        if (e.num() != EINTR) throw;
        continue;  // a signal (e.g. SIGTERM): look at stop again
      }

      if (items[0].revents & ZMQ_POLLIN) {
        while (auto frames = recv_frames(dealer)) {
          auto decoded = decode(*frames, cfg.limits);
          if (!decoded) {
            ++stats_.rejected_messages;
            log->warn("agent {}: dropped a malformed message from the orchestrator: {}", cfg.agent_id, decoded.error);
            continue;
          }
          last_heard = Clock::now();
          if (!heard_since_connect) {
            heard_since_connect = true;
            backoff = cfg.reconnect_min;
            log->info("agent {}: orchestrator answered", cfg.agent_id);
          }
          std::visit(
              [&](auto& m) {
                using T = std::decay_t<decltype(m)>;
                if constexpr (std::is_same_v<T, Job>) {
                  if (auto why = cfg.refuse_jobs ? cfg.refuse_jobs() : std::string(); !why.empty()) {
                    Result busy;
                    busy.job_id = m.job_id;
                    busy.outcome = Outcome::application;
                    busy.category = "busy";
                    busy.reason = "agent " + cfg.agent_id + " takes no job now: " + why;
                    send(busy);
                    return;
                  }
                  if (!running_job.empty() || unacked_result) {
                    if (m.job_id == running_job) {
                      send(Ack{m.job_id});  // the same job again (e.g. after a reconnect): already running
                      return;
                    }
                    Result busy;
                    busy.job_id = m.job_id;
                    busy.outcome = Outcome::application;
                    busy.category = "busy";
                    busy.reason = "agent " + cfg.agent_id + " is busy with " + (running_job.empty() ? unacked_job : running_job);
                    send(busy);
                    return;
                  }
                  running_job = m.job_id;
                  send(Ack{m.job_id});
                  ++stats_.jobs_started;
                  send_frames(impl_->pair, *frames, nullptr, false);
                } else if constexpr (std::is_same_v<T, Ack>) {
                  if (unacked_result && m.job_id == unacked_job) {
                    unacked_result.reset();
                    unacked_job.clear();
                  }
                } else if constexpr (std::is_same_v<T, Control>) {
                  if (session.empty() || m.session != session) {
                    ++stats_.refused_controls;
                    log->warn("agent {}: refused a CONTROL {} that does not carry the session of the orchestrator "
                              "this agent is bound to", cfg.agent_id, m.action);
                    return;
                  }
                  if (m.action == "abort" && (m.job_id.empty() || m.job_id == running_job)) impl_->abort = true;
                  if (cfg.on_control) cfg.on_control(m);
                } else if constexpr (std::is_same_v<T, Heartbeat>) {
                  if (session.empty() && !m.session.empty()) session = m.session;
                } else {
                  log->warn("agent {}: unexpected {} from the orchestrator, ignored", cfg.agent_id, type_name(m));
                }
              },
              *decoded.message);
        }
      }

      // After the orchestrator's messages: what it sent before a connection broke is read first.
      if (items[2].revents & ZMQ_POLLIN) {
        for (const auto& e : monitor->read()) {
          ++stats_.closed_connections;
          if (e.event != ZMQ_EVENT_DISCONNECTED) {
            log->warn("agent {}: {}", cfg.agent_id, e.describe());
            continue;
          }
          // libzmq would reconnect this socket on its own, but the orchestrator would then see a new peer
          // that never said READY. Start a fresh session at once, whatever the quiet timer says.
          reconnect = true;
          log->warn("agent {}: connection to {} closed by ZeroMQ: the orchestrator went away, or sent a message "
                    "over this agent's limit of {} bytes (dropped unread, from its size prefix), or broke the "
                    "protocol{}; reconnecting with a fresh READY in {} ms",
                    cfg.agent_id, cfg.endpoint, cfg.limits.max_total_bytes,
                    heard_since_connect ? fmt::format(" (it had answered {} ms before)", ms_since(last_heard)) : "",
                    backoff.count());
        }
      }

      if (items[1].revents & ZMQ_POLLIN) {
        while (auto frames = recv_frames(impl_->pair)) {
          if (!frames->empty() && frames->front() == "RESULT") {
            auto decoded = decode(*frames, cfg.limits);
            unacked_job = decoded ? std::get<Result>(*decoded.message).job_id : running_job;
            unacked_result = *frames;
            running_job.clear();
            send_frames(dealer, *frames);
            ++stats_.results_sent;
          } else {
            send_frames(dealer, *frames);  // PROGRESS: best effort
          }
        }
      }

      // Posted messages: every post() sends a wake after it queued, so the outbox is looked at only when woken
      // (an idle agent's loop, 10 times a second, then takes no lock and makes no queue).
      if (items[3].revents & ZMQ_POLLIN) {
        while (recv_frames(impl_->wake_rx)) {
        }
        std::deque<std::vector<std::string>> posted;
        {
          std::lock_guard lock(impl_->outbox_mutex);
          posted.swap(impl_->outbox);
        }
        for (const auto& frames : posted) send_frames(dealer, frames);  // best effort, like PROGRESS
      }

      now = Clock::now();
      if (now >= next_heartbeat) {
        send(Heartbeat{});
        next_heartbeat = now + interval;
      }
      if (!reconnect && now - last_heard > silence_limit) {
        log->warn("agent {}: no word from the orchestrator at {} for {} ms (is this agent's key allow-listed?); "
                  "reconnecting in {} ms",
                  cfg.agent_id, cfg.endpoint, silence_limit.count(), backoff.count());
        reconnect = true;
      }
    }
    monitor.reset();
    dealer.close();
    if (reconnect) {
      sleep_interruptible(backoff);
      backoff = std::min(backoff * 2, cfg.reconnect_max);
    }
  }
}

}  // namespace dockhand::protocol
