// fleet/ -> chain: the close-out stage (issue 4, deliverable 5; chain/closeout.h describes the seam).
//
// For each CloseoutJob, per shipment: one `erp-closeout` job per PO (job id "<request>-<shipment>-erp-<po>"),
// then, once all of them succeeded, one `opship-closeout` job ("<request>-<shipment>-opship") with the
// confirmed shipment data as variables. ERP jobs of all shipments go out at once (several agents work in
// parallel); a shipment's OpShip job waits for its own ERP jobs. When every job succeeded the request moves
// to DONE with {"shipments":[{"vendor_shipment_identifier", "erp":{PO: reference}, "bol"}]}.
//
// A business failure (the screen said no), an application failure after the fleet's retries, or data that
// cannot be typed into the programs moves the request to NEEDS_ATTENTION with the evidence: the images of
// the failed attempt go into the store (store.add_evidence) and the reason, step and evidence ids into the
// request's record.
//
// Restarts: every finished job is recorded as a JOB_DONE event with its outputs. A resumed dispatch (after
// an orchestrator restart) skips the jobs recorded as done and submits the rest under the same job ids;
// the screen scripts are idempotent (a PO already finalized, a shipment already closed is read back, not
// done again), so a job that finished on screen but not in the store is safe to run again.
//
// FleetCloseout takes every outcome of the Fleet (it is the only caller of Fleet::next_outcome) on its own
// thread, and records the fleet's events about its jobs (dispatched, progress, retry, requeued) as request
// events so the timeline shows them.
#pragma once

#include "orchestrator/chain/closeout.h"
#include "orchestrator/chain/store.h"
#include "orchestrator/fleet/fleet.h"

#include <charconv>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace dockhand::fleet {

struct CloseoutOptions {
  std::string actor = "fleet";
  std::string erp_app = "erp";
  std::string erp_script = "erp-closeout";
  std::string opship_app = "opship";
  std::string opship_script = "opship-closeout";
  std::chrono::milliseconds lease{0};  // per job; 0: the fleet's default_lease
  bool progress_events = true;         // one request event per PROGRESS step
};

class FleetCloseout : public chain::CloseoutStage {
 public:
  // fleet: started (or about to be); store: the chain's store. Starts the outcome thread.
  FleetCloseout(Fleet& fleet, chain::Store& store, CloseoutOptions options = {});
  ~FleetCloseout() override;  // stops the outcome thread; jobs in flight stay with the fleet
  FleetCloseout(const FleetCloseout&) = delete;
  FleetCloseout& operator=(const FleetCloseout&) = delete;

  // Thread-safe, returns at once. A request already being closed out here is left alone.
  void dispatch(const chain::CloseoutJob& job) override;

  // A cancelled shipment's jobs: those no agent started are withdrawn (from the fleet's queue too), the others
  // reported as run (their outcomes are no longer waited for). Thread-safe.
  chain::WithdrawResult withdraw(std::int64_t request_id, const std::vector<std::string>& shipments) override;

  // Requests whose close-out is in flight.
  std::size_t active() const;

  static std::string erp_job_id(std::int64_t request_id, const std::string& shipment, const std::string& po);
  static std::string opship_job_id(std::int64_t request_id, const std::string& shipment);
  // The routing request a close-out job id names (its leading number); nullopt for any other job. Inline:
  // the console reads job ids without linking the close-out stage.
  static std::optional<std::int64_t> request_of_job(const std::string& job_id) {
    const auto dash = job_id.find('-');
    if (dash == 0 || dash == std::string::npos) return std::nullopt;
    std::int64_t id = 0;
    auto [end, ec] = std::from_chars(job_id.data(), job_id.data() + dash, id);
    if (ec != std::errc() || end != job_id.data() + dash) return std::nullopt;
    return id;
  }

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace dockhand::fleet
