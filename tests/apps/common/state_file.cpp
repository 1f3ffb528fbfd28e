#include "state_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <stdexcept>

namespace dockhand::apps {

std::string utc_now_iso() {
  using namespace std::chrono;
  auto now = system_clock::now();
  std::time_t t = system_clock::to_time_t(now);
  int ms = static_cast<int>(duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
  return buf;
}

StateFile::StateFile(std::string path, std::string app) : path_(std::move(path)) {
  data_ = {{"app", std::move(app)}, {"version", 0}, {"events", nlohmann::json::array()}};
}

bool StateFile::load_existing() {
  std::ifstream in(path_);
  if (!in) return false;
  nlohmann::json old;
  try {
    in >> old;
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error("state file " + path_ + " exists but is not JSON (" + e.what() +
                             "); move it away or pass another --state");
  }
  if (!old.is_object() || old.value("app", "") != data_["app"] || !old.contains("version") ||
      !old["events"].is_array()) {
    throw std::runtime_error("state file " + path_ + " is not a " + data_["app"].get<std::string>() +
                             " state file; move it away or pass another --state");
  }
  data_ = std::move(old);
  return true;
}

void StateFile::event(const std::string& type, const nlohmann::json& detail) {
  auto& events = data_["events"];
  nlohmann::json e = {{"seq", events.size() + 1}, {"time", utc_now_iso()}, {"type", type}};
  for (auto it = detail.begin(); it != detail.end(); ++it) e[it.key()] = it.value();
  events.push_back(std::move(e));
  save();
}

void StateFile::save() {
  data_["version"] = data_["version"].get<long long>() + 1;
  data_["updated"] = utc_now_iso();
  const std::string text = data_.dump(2) + "\n";
  const std::string tmp = path_ + ".tmp." + std::to_string(getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error("cannot write state file " + tmp + ": " + std::strerror(errno));
  std::size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      throw std::runtime_error("cannot write state file " + tmp + ": " + std::strerror(err));
    }
    done += static_cast<std::size_t>(n);
  }
  ::fsync(fd);
  ::close(fd);
  if (::rename(tmp.c_str(), path_.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    throw std::runtime_error("cannot replace state file " + path_ + ": " + std::strerror(err));
  }
}

}  // namespace dockhand::apps
