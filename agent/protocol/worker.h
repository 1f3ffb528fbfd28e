// The agent's side of the wire: connect a DEALER to the orchestrator, announce READY, heartbeat
// (Paranoid Pirate: 1 s, orchestrator presumed dead after 3 silent intervals), reconnect with backoff
// 1 s -> 32 s, run each JOB with a pluggable executor on its own thread, and deliver PROGRESS and RESULT.
// A RESULT is kept and re-sent after a reconnect until the orchestrator ACKs it, so a result is not lost
// when the orchestrator restarts while a job runs.
#pragma once

#include "protocol.h"
#include "wire.h"

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace dockhand::protocol {

struct WorkerConfig {
  std::string endpoint;  // tcp://HOST:PORT of the orchestrator's ROUTER
  std::string agent_id;
  std::string version = "0.1.0";
  std::vector<std::string> apps;
  std::vector<std::string> scripts;
  bool insecure = false;          // plain TCP, only with an explicit --insecure
  CurveKeyPair agent_keys;        // CURVE: our pair ...
  std::string server_public_key;  // ... and the orchestrator's public key
  std::chrono::milliseconds heartbeat_interval{1000};
  int heartbeat_liveness = 3;
  std::chrono::milliseconds reconnect_min{1000};
  std::chrono::milliseconds reconnect_max{32000};
  Limits limits;
  // Runs once on the job thread before the first job (e.g. load the OCR engine, which is per thread).
  std::function<void()> on_job_thread_start;
  // CONTROL messages (supervision, take-over, remote view) from the orchestrator this agent is bound to (the
  // session of its heartbeats), on the worker's thread: keep it short. Others are refused and counted.
  std::function<void(const Control&)> on_control;
  // Asked before a JOB is taken: a reason not to (e.g. "held by console:dana") makes the answer "busy".
  std::function<std::string()> refuse_jobs;
};

// What a running job can do besides returning its Result.
class JobControl {
 public:
  virtual ~JobControl() = default;
  virtual void progress(const std::string& step, const std::string& detail,
                        std::optional<Image> thumbnail = std::nullopt) = 0;
  virtual bool abort_requested() const = 0;
};

// Runs one job to its end. The worker fills in Result::job_id. Exceptions become application failures.
using JobExecutor = std::function<Result(const Job&, JobControl&)>;

struct WorkerStats {
  std::atomic<int> connects{0};
  std::atomic<int> jobs_started{0};
  std::atomic<int> results_sent{0};
  std::atomic<int> rejected_messages{0};
  std::atomic<int> closed_connections{0};  // closed by libzmq: orchestrator gone, oversized frame, protocol error
  std::atomic<int> refused_controls{0};    // CONTROL without the session of the orchestrator bound to
  std::atomic<int> posted_dropped{0};      // post()ed messages dropped: the outbox was full (not connected)
};

class Worker {
 public:
  Worker(WorkerConfig config, JobExecutor executor);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Runs until stop becomes true (checked at least every 100 ms). A job still running then is abandoned
  // (its thread finishes on its own; the result goes nowhere), like an agent that dies.
  void run(const std::atomic<bool>& stop);

  const WorkerStats& stats() const { return stats_; }

  // Sends a message from any thread (FRAME, PROGRESS with supervision state): best effort, in order; dropped
  // (oldest first) while the orchestrator cannot be reached.
  void post(const Message& message);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  WorkerStats stats_;
};

}  // namespace dockhand::protocol
