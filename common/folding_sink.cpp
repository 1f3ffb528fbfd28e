#include "folding_sink.h"

#include <algorithm>

namespace dockhand::common {

FoldingSink::FoldingSink(spdlog::sink_ptr inner, std::chrono::seconds window, spdlog::level::level_enum threshold,
                         Clock now)
    : inner_(std::move(inner)),
      window_(window),
      threshold_(threshold),
      now_(now ? std::move(now) : Clock([] { return std::chrono::system_clock::now(); })) {}

FoldingSink::~FoldingSink() {
  try {
    std::lock_guard lock(mutex_);
    summarize_locked(now_(), true);
    inner_->flush();
  } catch (...) {
  }
}

void FoldingSink::log(const spdlog::details::log_msg& msg) {
  std::lock_guard lock(mutex_);
  const auto now = msg.time;
  summarize_locked(now, false);
  if (msg.level < threshold_ || msg.level == spdlog::level::off) {
    inner_->log(msg);
    return;
  }
  std::string text(msg.payload.data(), msg.payload.size());
  std::string logger(msg.logger_name.data(), msg.logger_name.size());
  std::string key = std::to_string(static_cast<int>(msg.level)) + '\x1f' + logger + '\x1f' + text;
  auto it = seen_.find(key);
  if (it != seen_.end()) {
    ++it->second.folded;
    return;
  }
  if (seen_.size() >= kMaxTracked) {
    auto oldest = std::min_element(seen_.begin(), seen_.end(), [](const auto& a, const auto& b) {
      return a.second.window_start < b.second.window_start;
    });
    write_summary_locked(oldest->second, now);
    seen_.erase(oldest);
  }
  seen_.emplace(std::move(key), Seen{msg.level, std::move(logger), std::move(text), now, 0});
  inner_->log(msg);
}

void FoldingSink::flush() {
  std::lock_guard lock(mutex_);
  summarize_locked(now_(), false);
  inner_->flush();
}

void FoldingSink::set_pattern(const std::string& pattern) { inner_->set_pattern(pattern); }

void FoldingSink::set_formatter(std::unique_ptr<spdlog::formatter> formatter) {
  inner_->set_formatter(std::move(formatter));
}

// Windows that ended: their count is written and a new window starts if lines were folded; a line that
// came only once is forgotten, so when it comes again it is written again.
void FoldingSink::summarize_locked(std::chrono::system_clock::time_point now, bool all) {
  for (auto it = seen_.begin(); it != seen_.end();) {
    auto& seen = it->second;
    if (!all && now - seen.window_start < window_) {
      ++it;
      continue;
    }
    if (seen.folded == 0) {
      it = seen_.erase(it);
      continue;
    }
    write_summary_locked(seen, now);
    seen.window_start = now;
    seen.folded = 0;
    ++it;
  }
}

void FoldingSink::write_summary_locked(Seen& seen, std::chrono::system_clock::time_point now) {
  if (seen.folded == 0) return;
  auto seconds = std::chrono::duration_cast<std::chrono::seconds>(now - seen.window_start).count();
  std::string text = seen.text + " (repeated " + std::to_string(seen.folded) + " time" +
                     (seen.folded == 1 ? "" : "s") + " in the last " + std::to_string(std::max<long long>(seconds, 1)) +
                     " s)";
  spdlog::details::log_msg summary(seen.logger, seen.level, text);
  summary.time = now;
  inner_->log(summary);
  seen.folded = 0;
}

spdlog::sink_ptr folding(spdlog::sink_ptr inner) { return std::make_shared<FoldingSink>(std::move(inner)); }

}  // namespace dockhand::common
