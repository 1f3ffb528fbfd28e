#include "service.h"

#include <spdlog/spdlog.h>

namespace dockhand::fleet {

FleetService::FleetService(const nlohmann::json& section,
                           const std::function<std::filesystem::path(const std::string&)>& resolve, chain::Store& store)
    : FleetService(fleet_settings_from_json(section, resolve), store) {}

FleetService::FleetService(FleetSettings settings, chain::Store& store) {
  if (!settings.fleet.evidence_dir.empty()) std::filesystem::create_directories(settings.fleet.evidence_dir);
  fleet_ = std::make_unique<Fleet>(settings.fleet);
  fleet_->start();
  closeout_ = std::make_unique<FleetCloseout>(*fleet_, store, settings.closeout);
  spdlog::info("fleet: close-out stage on: jobs go to agents at {} ({}), evidence in {}", fleet_->endpoint(),
               settings.fleet.insecure ? "plain TCP" : "CURVE", settings.fleet.evidence_dir.string());
}

FleetService::~FleetService() {
  closeout_.reset();
  fleet_.reset();
}

}  // namespace dockhand::fleet
