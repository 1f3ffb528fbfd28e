// The runner: executes a validated screen script against a Desktop.
// It never clicks or types unless the thing it looked for was found and nothing unexpected is in front
// of it; on failure it stops and writes an evidence folder (full screenshot, what it looked for, the step
// path, the reason and the category).
#pragma once

#include "agent/script.h"
#include "agent/supervision.h"
#include "drivers/desktop.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace dockhand::agent {

struct StepTiming {
  std::string path;
  double total_ms = 0;    // the whole step
  double waiting_ms = 0;  // time spent waiting for the program (polls that did not find it, sleeps)
  double overhead_ms() const { return total_ms - waiting_ms; }
};

struct RunResult {
  std::string status;    // "ok" | "failed" | "invalid" (refused before running)
  std::string category;  // failed: "business" | "application"; invalid: "script"; ok: ""
  Vars outputs;          // the script's declared outputs (on success, and whatever was read on failure)
  std::string message;   // done: its message
  std::string failed_step;  // step path, e.g. "steps[6].click"
  std::string reason;
  std::string evidence;  // evidence folder (failures only)
  bool desktop_lost = false;  // the display could not be reached or went away
  std::vector<Problem> problems;  // invalid: every problem
  std::vector<StepTiming> timings;
  double elapsed_ms = 0;

  bool ok() const { return status == "ok"; }
  nlohmann::json to_json() const;
  // 0 ok, 1 failed (business/application), 2 invalid script or variables, 3 no desktop / desktop lost.
  int exit_code() const;
};

// Thrown from RunOptions::before_step to stop a run (the result says "aborted", category application).
class RunAborted : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct RunOptions {
  Vars vars;
  // Evidence folders are created under this directory, one per failed run: <dir>/<script>-<time>/.
  std::filesystem::path evidence_dir = "evidence";
  // Display for programs started by `launch` (empty: inherit DISPLAY).
  std::string display;
  // Called before every step (and handler step) with its path; may block (pause) or throw RunAborted.
  std::function<void(const std::string& step_path)> before_step;
  // Supervised replay, pause and take-over (agent/supervision.h); null: the run is never stopped or held.
  Supervision* supervision = nullptr;
};

// Runs a loaded script. Checks the variables first (status "invalid" if they do not fit the script).
RunResult run_script(const Script& script, drivers::Desktop& desktop, const RunOptions& options);

// Loads, validates and runs SCRIPT.json on the desktop named by `display` (empty = $DISPLAY).
RunResult run_script_file(const std::filesystem::path& file, const RunOptions& options);

}  // namespace dockhand::agent
