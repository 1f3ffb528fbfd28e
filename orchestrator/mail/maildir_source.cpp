#include "maildir_source.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <tuple>
#include <unistd.h>

namespace fs = std::filesystem;

namespace dockhand::mail {
namespace {

void make_maildir(const fs::path& dir) {
  for (const char* sub : {"tmp", "new", "cur"}) fs::create_directories(dir / sub);
}

// "1700000000.M1P2.host:2,S" -> "1700000000.M1P2.host": the part that stays when flags change.
std::string unique_name(const std::string& file) {
  auto colon = file.find(':');
  return colon == std::string::npos ? file : file.substr(0, colon);
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw MailError("cannot read " + p.string() + ": " + std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

MaildirSource::MaildirSource(MaildirOptions options) : options_(std::move(options)) {
  if (options_.root.empty()) throw MailError("maildir: no folder given");
  if (options_.handled_folder.empty() || options_.handled_folder.find('/') != std::string::npos)
    throw MailError("maildir: handled folder must be a plain name such as .Handled, got '" + options_.handled_folder + "'");
  std::error_code ec;
  if (options_.create) {
    try {
      make_maildir(options_.root);
      make_maildir(options_.root / options_.handled_folder);
    } catch (const fs::filesystem_error& e) {
      throw MailError("maildir " + options_.root.string() + ": cannot create folders: " + e.what());
    }
  }
  for (const char* sub : {"new", "cur"})
    if (!fs::is_directory(options_.root / sub, ec))
      throw MailError("maildir " + options_.root.string() + ": no " + sub + "/ folder (not a Maildir?)");
}

std::vector<RawMessage> MaildirSource::fetch_new(std::size_t max_messages) {
  struct Entry {
    std::string name;
    fs::path path;
    unsigned long long seconds;  // the delivery time every Maildir name starts with
    fs::file_time_type written;  // finer order within a second (names carry microseconds unpadded)
  };
  std::vector<Entry> entries;
  for (const char* sub : {"new", "cur"}) {
    std::error_code ec;
    fs::directory_iterator it(options_.root / sub, ec);
    if (ec) throw MailError("maildir " + (options_.root / sub).string() + ": cannot list: " + ec.message());
    for (const auto& e : it) {
      std::string name = e.path().filename().string();
      if (name.empty() || name[0] == '.') continue;
      if (!e.is_regular_file(ec)) continue;
      unsigned long long seconds = 0;
      for (char c : name) {
        if (c < '0' || c > '9') break;
        seconds = seconds * 10 + static_cast<unsigned>(c - '0');
      }
      auto written = e.last_write_time(ec);
      entries.push_back({name, e.path(), seconds, ec ? fs::file_time_type{} : written});
    }
  }
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return std::tie(a.seconds, a.written, a.name) < std::tie(b.seconds, b.written, b.name);
  });
  std::vector<RawMessage> out;
  where_.clear();
  for (const auto& e : entries) {
    if (out.size() >= max_messages) break;
    RawMessage m;
    m.source_id = "maildir:" + unique_name(e.name);
    try {
      m.bytes = read_file(e.path);
    } catch (const MailError& err) {
      // Moved by another reader between listing and reading: it is no longer ours to hand out.
      if (!fs::exists(e.path)) continue;
      throw;
    }
    where_[m.source_id] = e.path;
    out.push_back(std::move(m));
  }
  return out;
}

void MaildirSource::mark_handled(const RawMessage& message) {
  const std::string prefix = "maildir:";
  if (message.source_id.rfind(prefix, 0) != 0)
    throw MailError("maildir: '" + message.source_id + "' is not a Maildir message id");
  std::string unique = message.source_id.substr(prefix.size());
  fs::path from;
  if (auto it = where_.find(message.source_id); it != where_.end() && fs::exists(it->second)) {
    from = it->second;
  } else {
    for (const char* sub : {"new", "cur"}) {
      std::error_code ec;
      for (const auto& e : fs::directory_iterator(options_.root / sub, ec))
        if (unique_name(e.path().filename().string()) == unique) from = e.path();
    }
  }
  fs::path handled_cur = options_.root / options_.handled_folder / "cur";
  fs::path to = handled_cur / (unique + ":2,S");
  if (from.empty()) {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(handled_cur, ec))
      if (unique_name(e.path().filename().string()) == unique) return;  // already handled
    throw MailError("maildir " + options_.root.string() + ": message " + unique +
                    " is neither in new/, cur/ nor in " + options_.handled_folder);
  }
  if (::rename(from.c_str(), to.c_str()) != 0)
    throw MailError("maildir: moving " + from.string() + " to " + to.string() + " failed: " + std::strerror(errno));
  where_.erase(message.source_id);
}

std::string MaildirSource::describe() const {
  return "maildir " + options_.root.string() + " (handled -> " + options_.handled_folder + ")";
}

std::string MaildirSource::deliver(const fs::path& root, const std::string& bytes) {
  static std::atomic<unsigned long> counter{0};
  make_maildir(root);
  auto now = std::chrono::system_clock::now().time_since_epoch();
  auto secs = std::chrono::duration_cast<std::chrono::seconds>(now).count();
  auto usec = std::chrono::duration_cast<std::chrono::microseconds>(now).count() % 1000000;
  char host[256] = "localhost";
  ::gethostname(host, sizeof host - 1);
  std::ostringstream name;
  name << secs << ".M" << usec << "P" << ::getpid() << "Q" << counter++ << "." << host;
  fs::path tmp = root / "tmp" / name.str();
  fs::path dst = root / "new" / name.str();
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0) throw MailError("maildir: cannot create " + tmp.string() + ": " + std::strerror(errno));
  std::size_t off = 0;
  while (off < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + off, bytes.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      throw MailError("maildir: writing " + tmp.string() + " failed: " + std::strerror(err));
    }
    off += std::size_t(n);
  }
  ::fsync(fd);
  ::close(fd);
  if (::rename(tmp.c_str(), dst.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    throw MailError("maildir: delivering to " + dst.string() + " failed: " + std::strerror(err));
  }
  return name.str();
}

}  // namespace dockhand::mail
