#include "common/log_file.h"

#include <spdlog/sinks/rotating_file_sink.h>

#include <filesystem>
#include <stdexcept>

namespace dockhand::common {

spdlog::sink_ptr rotating_log_sink(const LogFileOptions& options) {
  if (options.path.empty()) throw std::runtime_error("log file: no path given");
  if (options.max_bytes < 1024) throw std::runtime_error("log file: a file must be allowed at least 1 KB");
  if (options.files < 1 || options.files > 100)
    throw std::runtime_error("log file: keep between 1 and 100 older files (got " + std::to_string(options.files) + ")");
  std::filesystem::path file(options.path);
  std::error_code ec;
  if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path(), ec);
  if (ec) throw std::runtime_error("log file " + options.path + ": cannot create its folder: " + ec.message());
  try {
    return std::make_shared<spdlog::sinks::rotating_file_sink_mt>(options.path, options.max_bytes, options.files);
  } catch (const spdlog::spdlog_ex& e) {
    throw std::runtime_error("log file " + options.path + ": " + e.what());
  }
}

}  // namespace dockhand::common
