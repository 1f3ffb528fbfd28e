// The agent's desk in `serve`: what the orchestrator's CONTROL messages act on. The running job's supervision
// (supervised replay, pause, skip, abort), the take-over (a person's pointer and keys through the same
// desktop driver scripts use; the agent takes no job while held), and the remote view (frames only while
// watched). Everything it reports goes out through Worker::post.
#pragma once

#include "agent/protocol/worker.h"
#include "agent/remote_view.h"
#include "agent/supervision.h"

#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace dockhand::agent_cli {

class Desk {
 public:
  struct Options {
    std::string display;
    std::chrono::milliseconds hold_when_stuck{0};  // a stuck step waits this long for a take-over
    agent::ViewStreamer::Options view;
  };
  Desk(Options options, protocol::Worker*& worker);
  ~Desk();

  // The job thread: a supervision for this job (stopped before step 1 when the job is supervised).
  std::shared_ptr<agent::Supervision> begin_job(const protocol::Job& job);
  void end_job();

  // The worker thread.
  void on_control(const protocol::Control& control);
  std::string refuse_jobs() const;  // "" or why not (held while idle)

 private:
  void apply_input(const nlohmann::json& events);
  void report(const agent::Supervision::State& s, nlohmann::json extra = nlohmann::json::object());
  nlohmann::json overlay_locked() const;
  void post_frame(const agent::EncodedFrame& frame, std::int64_t captured_ms);
  std::string take_over(const std::string& who);
  std::string hand_back(const std::string& how);

  Options o_;
  protocol::Worker*& worker_;
  mutable std::mutex m_;
  std::string job_id_;
  std::shared_ptr<agent::Supervision> supervision_;
  agent::Supervision::State last_;  // the running job's, for the overlay
  // The take-over: who, since when, how many input events (never what they were: they may be passwords).
  std::string held_by_;
  std::chrono::steady_clock::time_point held_since_{};
  int input_events_ = 0;
  std::unique_ptr<drivers::Desktop> input_;  // opened at the first input event
  std::uint64_t seq_ = 0;
  int width_ = 0, height_ = 0;  // the screen, from the last frame
  std::unique_ptr<agent::ViewStreamer> view_;  // last: its thread calls post_frame
};

}  // namespace dockhand::agent_cli
