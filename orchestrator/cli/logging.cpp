#include "logging.h"

#include "common/folding_sink.h"
#include "orchestrator/spapi/redactor.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <unistd.h>

#include <ctime>
#include <memory>
#include <mutex>

namespace dockhand::cli {

namespace {

using Secrets = spapi::Redactor;

std::shared_ptr<Secrets>& current_secrets() {
  static std::shared_ptr<Secrets> secrets = std::make_shared<Secrets>();
  return secrets;
}

class Formatter : public spdlog::formatter {
 public:
  Formatter(bool json, std::shared_ptr<Secrets> secrets) : json_(json), secrets_(std::move(secrets)) {}

  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    std::string text = (*secrets_)(std::string(msg.payload.data(), msg.payload.size()));
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(msg.time.time_since_epoch()).count();
    std::time_t secs = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char stamp[64];
    std::snprintf(stamp, sizeof stamp, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
    auto level = spdlog::level::to_string_view(msg.level);
    std::string line;
    if (json_) {
      nlohmann::json j = {{"time", stamp},
                          {"level", std::string(level.data(), level.size())},
                          {"logger", std::string(msg.logger_name.data(), msg.logger_name.size())},
                          {"pid", static_cast<long>(::getpid())},
                          {"msg", text}};
      line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    } else {
      line = std::string(stamp) + " " + std::string(level.data(), level.size()) + " " + text;
    }
    line += '\n';
    dest.append(line.data(), line.data() + line.size());
  }

  std::unique_ptr<spdlog::formatter> clone() const override { return std::make_unique<Formatter>(json_, secrets_); }

 private:
  bool json_;
  std::shared_ptr<Secrets> secrets_;
};

}  // namespace

void setup_logging(const LoggingConfig& config, const std::vector<std::string>& secrets) {
  spdlog::sink_ptr sink;
  if (config.file.empty())
    sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  else
    sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(config.file);
  // Repeated warnings and errors (an attack, a full disk) are folded: the first, then a count a minute.
  auto logger = std::make_shared<spdlog::logger>("orchestrator", common::folding(sink));
  auto scrub = std::make_shared<Secrets>();
  for (const auto& s : secrets) scrub->add(s);
  current_secrets() = scrub;
  logger->set_formatter(std::make_unique<Formatter>(config.format == "json", scrub));
  logger->set_level(spdlog::level::from_str(config.level));
  logger->flush_on(spdlog::level::trace);  // a crash (or kill -9) loses no line already logged
  spdlog::set_default_logger(logger);
  spdlog::flush_every(std::chrono::seconds(5));  // writes the folded counts even when nothing else is logged
}

void add_log_secret(const std::string& secret) {
  if (secret.empty()) return;
  current_secrets()->add(secret);
}

}  // namespace dockhand::cli
