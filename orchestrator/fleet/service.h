// fleet/: the close-out as `dockhand-orchestrator serve` runs it: the "fleet" section of the config ->
// a started Fleet (ROUTER, CURVE + ZAP allow-list) and the FleetCloseout stage on top of it, as one
// chain::CloseoutStage. Destroying it stops both (jobs in flight are resumed at the next start).
#pragma once

#include "orchestrator/fleet/closeout_stage.h"
#include "orchestrator/fleet/settings.h"

#include <filesystem>
#include <functional>
#include <memory>

namespace dockhand::fleet {

class FleetService : public chain::CloseoutStage {
 public:
  // Throws SettingsError (bad section) or std::runtime_error (unreadable key, address in use, ...).
  FleetService(const nlohmann::json& section, const std::function<std::filesystem::path(const std::string&)>& resolve,
               chain::Store& store);
  FleetService(FleetSettings settings, chain::Store& store);
  ~FleetService() override;

  void dispatch(const chain::CloseoutJob& job) override { closeout_->dispatch(job); }
  chain::WithdrawResult withdraw(std::int64_t request_id, const std::vector<std::string>& shipments) override {
    return closeout_->withdraw(request_id, shipments);
  }
  Fleet& fleet() { return *fleet_; }

 private:
  std::unique_ptr<Fleet> fleet_;
  std::unique_ptr<FleetCloseout> closeout_;
};

}  // namespace dockhand::fleet
