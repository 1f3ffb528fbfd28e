// JobLog (internal.h): the fleet's job events in memory, and in a JSON-lines journal beside the store.
#include "internal.h"

#include "orchestrator/fleet/fleet.h"

#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <unistd.h>

namespace dockhand::console {

using json = nlohmann::json;

namespace {

// The whole line, or an error: a short write leaves no half line behind a later one.
bool write_all(int fd, const std::string& text) {
  std::size_t done = 0;
  while (done < text.size()) {
    auto n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

// Lines the journal may hold beyond twice what memory keeps before it is rewritten.
constexpr std::size_t kSlack = 1000;

int open_journal(const std::string& path, int flags) { return ::open(path.c_str(), flags | O_WRONLY | O_CLOEXEC, 0600); }

}  // namespace

JobLog::JobLog(std::string journal, std::size_t max_jobs, std::size_t max_events)
    : journal_(std::move(journal)), max_jobs_(max_jobs), max_events_(max_events) {
  if (journal_.empty()) return;
  std::lock_guard lock(m_);
  std::ifstream in(journal_);
  std::string line;
  std::size_t bad = 0;
  while (std::getline(in, line)) {
    auto j = json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("job") || !j["job"].is_string()) {
      ++bad;  // a line cut by a crash mid-write
      continue;
    }
    const auto job = j["job"].get<std::string>();
    j.erase("job");
    keep_locked(job, j);
    ++journal_lines_;
  }
  if (bad) spdlog::warn("console: job log {}: {} unreadable line(s) skipped", journal_, bad);
  fd_ = open_journal(journal_, O_CREAT | O_APPEND);
  if (fd_ < 0) spdlog::warn("console: job log {} cannot be written ({}): jobs are kept in memory only", journal_, std::strerror(errno));
  else if (journal_lines_ > 2 * kept_ + kSlack) compact_locked();
}

JobLog::~JobLog() {
  if (fd_ >= 0) ::close(fd_);
}

bool JobLog::keep_locked(const std::string& job_id, const json& event) {
  auto it = jobs_.find(job_id);
  if (it == jobs_.end()) {
    if (order_.size() >= max_jobs_) {
      kept_ -= jobs_[order_.front()].size();
      jobs_.erase(order_.front());
      order_.pop_front();
    }
    order_.push_back(job_id);
    it = jobs_.emplace(job_id, json::array()).first;
  }
  if (it->second.size() >= max_events_) return false;
  it->second.push_back(event);
  ++kept_;
  return true;
}

void JobLog::append_locked(const std::string& job_id, const json& event) {
  if (fd_ < 0) return;
  json line = event;
  line["job"] = job_id;
  if (!write_all(fd_, line.dump(-1, ' ', false, json::error_handler_t::replace) + "\n")) {
    spdlog::warn("console: job log {} cannot be written ({}): jobs are kept in memory only", journal_, std::strerror(errno));
    ::close(fd_);
    fd_ = -1;
    return;
  }
  if (++journal_lines_ > 2 * kept_ + kSlack) compact_locked();
}

// The journal rewritten from what memory keeps: a new file renamed over the old, so a crash leaves one whole.
void JobLog::compact_locked() {
  const std::string temp = journal_ + ".new";
  int fd = open_journal(temp, O_CREAT | O_TRUNC);
  if (fd < 0) return;
  std::string text;
  std::size_t lines = 0;
  for (const auto& job : order_)
    for (const auto& e : jobs_[job]) {
      json line = e;
      line["job"] = job;
      text += line.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
      ++lines;
    }
  const bool written = write_all(fd, text) && ::fsync(fd) == 0;
  if (::close(fd) != 0 || !written || std::rename(temp.c_str(), journal_.c_str()) != 0) {
    spdlog::warn("console: job log {} could not be compacted ({})", journal_, std::strerror(errno));
    ::unlink(temp.c_str());
    return;
  }
  ::close(fd_);
  fd_ = open_journal(journal_, O_APPEND);
  journal_lines_ = lines;
}

void JobLog::add(const fleet::FleetEvent& e, const std::string& time) {
  if (e.job_id.empty() || e.kind == "progress") return;
  std::lock_guard lock(m_);
  json event{{"time", time}, {"kind", e.kind}, {"agent", e.agent_id}, {"detail", e.detail}};
  if (keep_locked(e.job_id, event)) append_locked(e.job_id, event);
}

void JobLog::note(const std::string& job_id, const std::string& kind, const std::string& detail, const std::string& time) {
  add(fleet::FleetEvent{kind, job_id, "", detail}, time);
}

std::optional<json> JobLog::events(const std::string& job_id) const {
  std::lock_guard lock(m_);
  auto it = jobs_.find(job_id);
  if (it == jobs_.end()) return std::nullopt;
  return it->second;
}

}  // namespace dockhand::console
