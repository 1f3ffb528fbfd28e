// common/: a log file that rotates by size, for programs that run unattended for months (the agent on a Windows
// VM has no journald to collect its stderr): FILE, then FILE's older parts as name.1.ext ... name.N.ext, the
// oldest dropped. spdlog's rotating sink does the work; this fixes the naming, the limits and the errors.
#pragma once

#include <spdlog/common.h>

#include <cstddef>
#include <string>

namespace dockhand::common {

struct LogFileOptions {
  std::string path;                          // e.g. C:\Dockhand\logs\agent.log or /var/log/dockhand/agent.log
  std::size_t max_bytes = 10 * 1024 * 1024;  // one file's size before it rotates
  std::size_t files = 5;                     // older files kept besides the current one
};

// Opens (creating the folder) the file for appending. Throws std::runtime_error naming the file and the reason
// (no such folder and cannot create it, not writable), or the option when a limit is out of range.
spdlog::sink_ptr rotating_log_sink(const LogFileOptions& options);

}  // namespace dockhand::common
