// chain/ -> close-out: the seam the fleet room plugs into (issue 4, deliverable 5).
//
// Once a routing request is CONFIRMED and the shipment details are stored, the chain moves it to
// CLOSING_OUT (one transaction, with its event) and calls CloseoutStage::dispatch with the confirmed data.
// At start-up the chain calls dispatch again, with resumed=true, for every request still CLOSING_OUT, so a
// close-out interrupted by a crash is finished. The stage reports back through the Store, from any thread:
//   store.add_event(id, actor, step, detail)                          progress (PROGRESS, job dispatched...)
//   store.add_evidence(id, name, content_type, bytes, actor)          screenshots, crops (kept in the store)
//   store.finish_closeout(id, outputs_json, actor, detail)            CLOSING_OUT -> DONE with the references
//   store.needs_attention(id, reason, evidence_json, actor)           CLOSING_OUT -> NEEDS_ATTENTION
// Each is one transaction; finish_closeout/needs_attention throw TransitionError when the request is no
// longer CLOSING_OUT (so a late duplicate result cannot move it twice).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace dockhand::chain {

struct CloseoutShipment {
  std::string vendor_shipment_identifier;  // also the OpShip shipment ID
  std::string destination_fc;
  std::vector<std::string> pos;
  int cartons = 0;
  int pallets = 0;
  double weight_lb = 0;
  std::string carrier;           // carrierDetails name (or SCAC code) from getShipmentDetails; may be empty
  std::string pickup_date;       // YYYY-MM-DD of scheduledPickUp (else requestedPickUp); may be empty
  std::string amazon_reference;  // buyerReferenceNumber (else carrier PRO number); may be empty
  nlohmann::json details;        // Amazon's full shipment, as fetched
};

struct CloseoutJob {
  std::int64_t request_id = 0;
  std::string vendor_code;
  std::string ship_from;
  std::vector<CloseoutShipment> shipments;
  bool resumed = false;  // true when re-dispatched after an orchestrator restart
};

// What withdrawing a cancelled shipment's close-out did (issue 23).
struct WithdrawResult {
  std::vector<std::string> withdrawn;  // jobs taken back before any agent started them
  std::vector<std::string> ran;        // jobs an agent has run or is running: their work is in the programs
};

class CloseoutStage {
 public:
  virtual ~CloseoutStage() = default;
  // Called on the chain's thread. Must return quickly (queue the jobs) and be idempotent.
  virtual void dispatch(const CloseoutJob& job) = 0;
  // A shipment of a request being closed out was cancelled: its jobs not started yet are withdrawn, the
  // others reported (a human undoes them). Called on the chain's thread; the default has nothing to withdraw.
  virtual WithdrawResult withdraw(std::int64_t request_id, const std::vector<std::string>& shipments) {
    (void)request_id;
    (void)shipments;
    return {};
  }
};

}  // namespace dockhand::chain
