// The back end several instances of one simulated program share, like agent VMs that each run an ERP
// client in front of one company's ERP server: what was finalized (ERP) or closed (OpShip) lives here, so
// an instance sees what another did. A JSON object in a file, read and replaced under an exclusive lock
// (FILE.lock), always written whole (temp file + rename) so a test reading it never sees half a write.
#pragma once

#include <nlohmann/json.hpp>

#include <functional>
#include <string>

namespace dockhand::apps {

class SharedBackend {
 public:
  explicit SharedBackend(std::string path = {});  // empty: no shared back end (the program is alone)
  bool enabled() const { return !path_.empty(); }
  const std::string& path() const { return path_; }

  // The records under `key` ({} when none). Throws std::runtime_error naming the file on I/O errors.
  nlohmann::json read(const std::string& key) const;
  // Runs `change` on the records under `key` while holding the lock, then saves them.
  void update(const std::string& key, const std::function<void(nlohmann::json& records)>& change) const;

 private:
  std::string path_;
};

}  // namespace dockhand::apps
