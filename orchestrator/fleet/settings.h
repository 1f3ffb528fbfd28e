// fleet/: the "fleet" section of the orchestrator's config file (docs/configuration.md) -> FleetConfig and
// CloseoutOptions. Strict: an unknown key or a value of the wrong type is an error naming "fleet.<key>".
#pragma once

#include "orchestrator/fleet/closeout_stage.h"
#include "orchestrator/fleet/fleet.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <functional>
#include <stdexcept>
#include <string>

namespace dockhand::fleet {

struct FleetSettings {
  FleetConfig fleet;
  CloseoutOptions closeout;
};

class SettingsError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// resolve: turns a relative path of the file into a real one (relative to the config file's folder).
FleetSettings fleet_settings_from_json(const nlohmann::json& section,
                                       const std::function<std::filesystem::path(const std::string&)>& resolve);

// The section with every default (for docs and `serve --defaults`).
nlohmann::json default_fleet_settings_json();

}  // namespace dockhand::fleet
