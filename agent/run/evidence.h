// The evidence folder of a failed run: the screen, what was looked for, the area searched, the result.
#pragma once

#include "agent/run/common.h"
#include "agent/runner.h"

#include <filesystem>
#include <string>

namespace dockhand::agent::run {

struct EvidenceShots {
  cv::Mat screen;   // BGRA, the whole screen at the failure (empty when the display is gone)
  cv::Mat trigger;  // BGRA, the screen that set off the handler that failed the run (or empty)
  std::string looked_for_file;  // the template of an image locator (or empty)
};

// Creates <evidence_dir>/<script>-<time>/ and writes screen.png (the area searched outlined in red, just outside
// it), searched.png (that area, cropped exactly), trigger.png, looked-for.png.
// Returns the folder (written as far as possible: a disk problem is logged, never thrown).
std::filesystem::path write_evidence(const std::filesystem::path& evidence_dir, const std::string& script_name,
                                     const Failure& failure, const EvidenceShots& shots);
// <evidence>/result.json: the run's result, with the script file and `details` (what was looked for, the area
// searched); "looked_for" is null only when the failure looked for nothing.
void write_result_json(const RunResult& result, const std::filesystem::path& script_file,
                       const nlohmann::json& details);

}  // namespace dockhand::agent::run
