#include "backend.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace dockhand::apps {
namespace {

std::runtime_error io_error(const std::string& what, const std::string& path) {
  return std::runtime_error("shared back end " + path + ": " + what + ": " + std::strerror(errno));
}

// Holds FILE.lock exclusively for its lifetime (readers and writers alike).
class Lock {
 public:
  explicit Lock(const std::string& path) : fd_(::open((path + ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644)) {
    if (fd_ < 0) throw io_error("cannot open the lock file", path);
    while (::flock(fd_, LOCK_EX) != 0)
      if (errno != EINTR) throw io_error("cannot lock", path);
  }
  ~Lock() { ::close(fd_); }
  Lock(const Lock&) = delete;
  Lock& operator=(const Lock&) = delete;

 private:
  int fd_;
};

nlohmann::json load(const std::string& path) {
  std::ifstream in(path);
  if (!in) return nlohmann::json::object();
  std::stringstream text;
  text << in.rdbuf();
  if (text.str().empty()) return nlohmann::json::object();
  auto doc = nlohmann::json::parse(text.str(), nullptr, false);
  if (!doc.is_object()) throw std::runtime_error("shared back end " + path + ": not a JSON object");
  return doc;
}

void save(const std::string& path, const nlohmann::json& doc) {
  const std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw io_error("cannot write", tmp);
  const std::string text = doc.dump(2) + "\n";
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) throw io_error("cannot save", path);
}

}  // namespace

SharedBackend::SharedBackend(std::string path) : path_(std::move(path)) {}

nlohmann::json SharedBackend::read(const std::string& key) const {
  if (!enabled()) return nlohmann::json::object();
  Lock lock(path_);
  auto doc = load(path_);
  return doc.contains(key) ? doc[key] : nlohmann::json::object();
}

void SharedBackend::update(const std::string& key, const std::function<void(nlohmann::json&)>& change) const {
  if (!enabled()) return;
  Lock lock(path_);
  auto doc = load(path_);
  if (!doc.contains(key) || !doc[key].is_object()) doc[key] = nlohmann::json::object();
  change(doc[key]);
  save(path_, doc);
}

}  // namespace dockhand::apps
