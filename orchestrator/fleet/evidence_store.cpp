// Evidence on disk: the images and result.json of each RESULT, under evidence_dir/<evidence key>/.
#include "fleet_impl.h"

#include <spdlog/spdlog.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace dockhand::fleet {

namespace internal {

std::string safe_name(std::string text) {
  for (char& c : text)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) c = '_';
  if (text.empty() || text[0] == '.') text.insert(text.begin(), '_');
  return text.substr(0, 120);
}

std::string printable(const std::string& id) {
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : id) {
    out += hex[c >> 4];
    out += hex[c & 15];
  }
  return out;
}

// Evidence names come from agents (sanitized by safe_name); the file is never written through a symlink
// someone left in the evidence folder.
void write_evidence_file(const std::filesystem::path& file, const std::string& bytes) {
  int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0640);
  if (fd < 0) throw std::runtime_error("cannot write " + file.string() + ": " + std::strerror(errno));
  std::size_t done = 0;
  while (done < bytes.size()) {
    auto n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = errno;
      ::close(fd);
      throw std::runtime_error("writing " + file.string() + " failed: " + std::strerror(err));
    }
    done += static_cast<std::size_t>(n);
  }
  ::close(fd);
}

}  // namespace internal

using namespace internal;

std::vector<std::filesystem::path> Fleet::Impl::store_evidence(const JobRequest& request, int attempt,
                                                              const protocol::Result& result, const std::string& agent_id) {
  std::vector<std::filesystem::path> files;
  if (config.evidence_dir.empty()) return files;
  try {
    auto dir = config.evidence_dir / safe_name(request.evidence_key.empty() ? request.job_id : request.evidence_key);
    std::filesystem::create_directories(dir);
    auto prefix = safe_name(request.job_id) + "-a" + std::to_string(attempt) + "-";
    int index = 0;
    for (const auto& image : result.images) {
      auto file = dir / (prefix + std::to_string(index++) + "-" + safe_name(image.name));
      write_evidence_file(file, image.bytes);
      files.push_back(file);
    }
    nlohmann::json record{{"job_id", request.job_id}, {"script", request.script}, {"attempt", attempt},
                          {"agent", agent_id}, {"outcome", protocol::to_string(result.outcome)},
                          {"outputs", result.outputs}, {"failed_step", result.failed_step},
                          {"reason", result.reason}, {"category", result.category}, {"evidence", result.evidence}};
    nlohmann::json names = nlohmann::json::array();
    for (const auto& f : files) names.push_back(f.filename().string());
    record["images"] = names;
    auto file = dir / (prefix + "result.json");
    write_evidence_file(file, record.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
    files.push_back(file);
  } catch (const std::exception& e) {
    spdlog::error("fleet: could not store evidence of job {} under {}: {}", request.job_id,
                  config.evidence_dir.string(), e.what());
  }
  return files;
}

}  // namespace dockhand::fleet
