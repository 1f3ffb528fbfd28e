// console/ (internal): who is asking. Tokens are kept as SHA-256 hashes (the tokens file, a secret file:
// `SHA256-HEX NAME ROLE` per line); a presented token is hashed and compared with every hash in constant
// time. A login makes a session (a random id in an HttpOnly cookie) that lives session_ttl.
#pragma once

#include <array>
#include <chrono>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dockhand::console {

enum class Role { viewer, operator_ };
std::string_view role_name(Role role);

struct Identity {
  std::string name;
  Role role = Role::viewer;
};

class Tokens {
 public:
  // Reads the tokens file. When it does not exist, makes one operator token named "admin", writes its hash
  // to a new file (0600, atomically) and returns the token in `generated`. Throws std::runtime_error naming
  // the file and line (never a token or hash) when the file is unsafe (group or others may read it) or wrong.
  static Tokens load_or_create(const std::filesystem::path& file, std::optional<std::string>& generated);
  static Tokens parse(const std::string& text, const std::string& origin);

  // The identity whose hash matches; every entry is compared, in constant time each.
  std::optional<Identity> find(std::string_view token) const;
  std::size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    std::array<unsigned char, 32> hash;
    Identity who;
  };
  std::vector<Entry> entries_;
};

class Sessions {
 public:
  explicit Sessions(std::chrono::seconds ttl) : ttl_(ttl) {}
  std::string open(const Identity& who);  // a new session id (the cookie's value)
  std::optional<Identity> find(const std::string& session_id);
  void close(const std::string& session_id);

 private:
  struct Session {
    Identity who;
    std::chrono::steady_clock::time_point expires;
  };
  std::chrono::seconds ttl_;
  std::mutex mutex_;
  std::map<std::string, Session> sessions_;  // by the SHA-256 of the id: a lookup's timing tells nothing of it
};

std::string sha256_hex_of(std::string_view text);
std::string random_token(std::size_t bytes);  // URL-safe base64 of `bytes` random bytes

}  // namespace dockhand::console
