#include "maildir_source.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <sys/stat.h>
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

std::string describe_kind(mode_t mode) {
  if (S_ISLNK(mode)) return "a symbolic link (never followed: it could point at any file Dockhand can read)";
  if (S_ISFIFO(mode)) return "a FIFO (named pipe), not a message file";
  if (S_ISDIR(mode)) return "a directory, not a message file";
  if (S_ISCHR(mode) || S_ISBLK(mode)) return "a device file, not a message file";
  if (S_ISSOCK(mode)) return "a socket, not a message file";
  return "not a regular file";
}

struct FileDescriptor {
  int fd;
  ~FileDescriptor() { ::close(fd); }
};

// One entry of new/ or cur/: its bytes, gone (moved by someone else, deleted), or refused with the reason.
struct Opened {
  enum Kind { message, vanished, refused } kind = message;
  std::string bytes;
  std::string reason;
};

Opened read_entry(const fs::path& p, std::size_t max_bytes) {
  auto failed = [&](const char* what) {
    return MailError("maildir: cannot " + std::string(what) + " " + p.string() + ": " + std::strerror(errno));
  };
  struct stat st {};
  // Looked at before opening: a device is never opened (opening one can act), a link never followed.
  if (::lstat(p.c_str(), &st) != 0) {
    if (errno == ENOENT) return {Opened::vanished};
    throw failed("look at");
  }
  if (!S_ISREG(st.st_mode)) return {Opened::refused, {}, describe_kind(st.st_mode)};
  // Swapped since lstat? O_NOFOLLOW refuses a link, O_NONBLOCK keeps a FIFO from blocking, fstat decides.
  int fd = ::open(p.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    if (errno == ENOENT) return {Opened::vanished};
    if (errno == ELOOP) return {Opened::refused, {}, describe_kind(S_IFLNK)};
    if (errno == EACCES || errno == EPERM)
      return {Opened::refused, {}, std::string("cannot be read: ") + std::strerror(errno)};
    throw failed("open");
  }
  FileDescriptor guard{fd};
  if (::fstat(fd, &st) != 0) throw failed("fstat");
  if (!S_ISREG(st.st_mode)) return {Opened::refused, {}, describe_kind(st.st_mode)};
  auto too_big = [&](std::uint64_t size) {
    return Opened{Opened::refused, {}, std::to_string(size) + " bytes, over the limit of " + std::to_string(max_bytes) +
                                         " bytes (mail.maildir.max_file_bytes)"};
  };
  if (static_cast<std::uint64_t>(st.st_size) > max_bytes) return too_big(static_cast<std::uint64_t>(st.st_size));
  Opened e;
  e.bytes.resize(static_cast<std::size_t>(st.st_size));
  std::size_t used = 0;
  for (;;) {
    if (used == e.bytes.size()) {
      if (used > max_bytes) return too_big(used);  // still growing past the limit while we read
      e.bytes.resize(std::min(max_bytes + 1, used + 65536));
    }
    ssize_t n = ::read(fd, e.bytes.data() + used, e.bytes.size() - used);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw failed("read");
    }
    if (n == 0) break;
    used += static_cast<std::size_t>(n);
  }
  e.bytes.resize(used);
  return e;
}

}  // namespace

MaildirSource::MaildirSource(MaildirOptions options) : options_(std::move(options)) {
  if (options_.root.empty()) throw MailError("maildir: no folder given");
  if (options_.handled_folder.empty() || options_.handled_folder.find('/') != std::string::npos)
    throw MailError("maildir: handled folder must be a plain name such as .Handled, got '" + options_.handled_folder + "'");
  const auto& q = options_.quarantine_folder;
  if (q.empty() || q.find('/') != std::string::npos || q == "." || q == ".." || q == "new" || q == "cur" ||
      q == "tmp" || q == options_.handled_folder)
    throw MailError("maildir: quarantine folder must be a plain name other than new, cur, tmp and the handled "
                    "folder, such as quarantine; got '" + q + "'");
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
      // Every kind of entry is listed: what is not a message file is put aside below, not left lying.
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
    auto entry = read_entry(e.path, options_.max_file_bytes);
    if (entry.kind == Opened::vanished) {
      // Moved by another reader (or deleted) between listing and opening: no longer ours to hand out.
      spdlog::debug("maildir: {} went away before it was read", e.path.string());
      continue;
    }
    if (entry.kind == Opened::refused) {
      put_aside(e.path, entry.reason);
      continue;
    }
    RawMessage m;
    m.source_id = "maildir:" + unique_name(e.name);
    m.bytes = std::move(entry.bytes);
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

void MaildirSource::put_aside(const fs::path& entry, const std::string& reason) {
  const fs::path dir = quarantine_dir();
  const std::string where = entry.parent_path().filename().string() + "/" + entry.filename().string();
  auto failed_once = [&](const std::string& why) {
    if (put_aside_failed_.insert(entry.string()).second)
      spdlog::error("maildir {}: {} is {}, and it cannot be put aside: {}; it stays where it is, unread",
                    options_.root.string(), where, reason, why);
  };
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return failed_once("cannot create " + dir.string() + ": " + ec.message());
  // A free name: the entry's own, else with a counter; NAME.reason beside it says why it is there.
  fs::path target;
  for (int i = 0; target.empty() && i < 1000; ++i) {
    fs::path candidate = dir / (entry.filename().string() + (i ? "-" + std::to_string(i) : std::string()));
    struct stat st {};
    if (::lstat(candidate.c_str(), &st) != 0 && ::lstat((candidate.string() + ".reason").c_str(), &st) != 0)
      target = candidate;
  }
  if (target.empty()) return failed_once("no free name in " + dir.string());
  // rename moves the entry itself (a link stays a link, a FIFO is never opened), atomically.
  if (::rename(entry.c_str(), target.c_str()) != 0) {
    if (errno == ENOENT) return;  // gone meanwhile: nothing to put aside
    return failed_once(std::string("moving it to ") + target.string() + " failed: " + std::strerror(errno));
  }
  put_aside_failed_.erase(entry.string());
  int fd = ::open((target.string() + ".reason").c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd >= 0) {
    std::string text = where + ": " + reason + "\n";
    [[maybe_unused]] auto written = ::write(fd, text.data(), text.size());
    ::close(fd);
  }
  spdlog::warn("maildir {}: put {} aside into {}: it is {}", options_.root.string(), where, target.string(), reason);
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
