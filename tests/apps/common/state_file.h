// The JSON state file tests and recordings check: rewritten atomically (temp file + fsync + rename) on
// every change, with a "version" that goes up by one per write and an "events" log.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace dockhand::apps {

std::string utc_now_iso();  // "2026-11-22T20:15:03.123Z"

class StateFile {
 public:
  StateFile(std::string path, std::string app);

  // Reads an existing file at the path (a previous run). Returns false when there is none; throws
  // std::runtime_error when it exists but is not a state file, so a bad file is never overwritten.
  bool load_existing();

  nlohmann::json& data() { return data_; }  // app-specific keys at the top level
  const std::string& path() const { return path_; }

  // Appends {"seq", "time", "type", ...detail} to "events" and saves.
  void event(const std::string& type, const nlohmann::json& detail = nlohmann::json::object());
  void save();  // version + 1, then write atomically; throws std::runtime_error naming the file on failure

 private:
  std::string path_;
  nlohmann::json data_;
};

}  // namespace dockhand::apps
