// Logging for the orchestrator's long-running commands: spdlog with one line per record, as readable text
// or as one JSON object per line (time, level, logger, pid, msg), to stderr or a file. Every registered
// secret is replaced by "[redacted]" in every record, whoever logs it.
#pragma once

#include "config.h"

#include <string>
#include <vector>

namespace dockhand::cli {

// Installs the default spdlog logger. Secrets (typically config.secrets()) are scrubbed from every line.
void setup_logging(const LoggingConfig& config, const std::vector<std::string>& secrets);
// A secret learnt later (e.g. a refreshed OAuth token): scrubbed from every line from now on.
void add_log_secret(const std::string& secret);

}  // namespace dockhand::cli
