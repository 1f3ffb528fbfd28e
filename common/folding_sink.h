// common/: a log sink that folds repeated warnings and errors. Under attack or on a full disk the same line
// comes hundreds of times a minute; an operator needs the first one and then how often it came, not a
// flood that buries everything else.
//
// Wraps another sink. A warning or error (the threshold is configurable) whose level, logger and text
// were already written within the window is counted instead of written; once per window a summary line
// says "(repeated N times in the last 60 s)". Lines below the threshold pass through untouched. The
// summaries are written when a later line arrives or when the sink is flushed (spdlog::flush_every, the
// destructor), so a storm that stops is still counted.
#pragma once

#include <spdlog/sinks/sink.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace dockhand::common {

class FoldingSink : public spdlog::sinks::sink {
 public:
  using Clock = std::function<std::chrono::system_clock::time_point()>;

  explicit FoldingSink(spdlog::sink_ptr inner, std::chrono::seconds window = std::chrono::seconds(60),
                       spdlog::level::level_enum threshold = spdlog::level::warn, Clock now = {});
  ~FoldingSink() override;

  void log(const spdlog::details::log_msg& msg) override;
  void flush() override;  // writes the summaries of windows that ended, then flushes the inner sink
  void set_pattern(const std::string& pattern) override;
  void set_formatter(std::unique_ptr<spdlog::formatter> formatter) override;

  // Distinct lines tracked at most; beyond, the oldest is summed up and forgotten (bounded memory).
  static constexpr std::size_t kMaxTracked = 512;

 private:
  struct Seen {
    spdlog::level::level_enum level;
    std::string logger;
    std::string text;
    std::chrono::system_clock::time_point window_start;
    std::size_t folded = 0;  // lines counted, not written, in this window
  };
  void summarize_locked(std::chrono::system_clock::time_point now, bool all);
  void write_summary_locked(Seen& seen, std::chrono::system_clock::time_point now);

  spdlog::sink_ptr inner_;
  std::chrono::seconds window_;
  spdlog::level::level_enum threshold_;
  Clock now_;
  std::mutex mutex_;
  std::map<std::string, Seen> seen_;  // key: level, logger and text
};

// Wraps `inner` in a FoldingSink with the defaults (60 s, warnings and errors).
spdlog::sink_ptr folding(spdlog::sink_ptr inner);

}  // namespace dockhand::common
