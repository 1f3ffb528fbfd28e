#include "auth.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace dockhand::console {

namespace {

std::array<unsigned char, 32> sha256(std::string_view text) {
  std::array<unsigned char, 32> out{};
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), out.data());
  return out;
}

std::optional<std::array<unsigned char, 32>> from_hex(const std::string& hex) {
  if (hex.size() != 64) return std::nullopt;
  std::array<unsigned char, 32> out{};
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < 32; ++i) {
    int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out[i] = static_cast<unsigned char>(hi * 16 + lo);
  }
  return out;
}

bool valid_name(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  for (unsigned char c : name)
    if (!std::isalnum(c) && c != '_' && c != '-' && c != '.' && c != '@') return false;
  return true;
}

void write_private_file(const std::filesystem::path& file, const std::string& text) {
  std::error_code ec;
  if (file.has_parent_path() && !std::filesystem::exists(file.parent_path(), ec)) {
    std::filesystem::create_directories(file.parent_path(), ec);
    if (ec) throw std::runtime_error("cannot create the folder of " + file.string() + ": " + ec.message());
    std::filesystem::permissions(file.parent_path(), std::filesystem::perms::owner_all, ec);
  }
  auto tmp = file.string() + ".tmp" + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) throw std::runtime_error("cannot write " + tmp + ": " + std::strerror(errno));
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), file.c_str()) != 0) {
    auto why = std::string(std::strerror(errno));
    ::unlink(tmp.c_str());
    throw std::runtime_error("cannot write " + file.string() + ": " + why);
  }
}

}  // namespace

std::string_view role_name(Role role) { return role == Role::operator_ ? "operator" : "viewer"; }

std::string sha256_hex_of(std::string_view text) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char b : sha256(text)) {
    out += digits[b >> 4];
    out += digits[b & 15];
  }
  return out;
}

std::string random_token(std::size_t bytes) {
  std::string raw(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes)) != 1)
    throw std::runtime_error("no random bytes from OpenSSL");
  static const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  unsigned bits = 0, value = 0;
  for (unsigned char c : raw) {
    value = (value << 8) | c;
    bits += 8;
    while (bits >= 6) {
      out += alphabet[(value >> (bits - 6)) & 63];
      bits -= 6;
    }
  }
  if (bits) out += alphabet[(value << (6 - bits)) & 63];
  return out;
}

Tokens Tokens::parse(const std::string& text, const std::string& origin) {
  Tokens tokens;
  std::istringstream in(text);
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (auto hash = line.find('#'); hash != std::string::npos) line.erase(hash);
    std::istringstream fields(line);
    std::string hex, name, role, extra;
    if (!(fields >> hex)) continue;  // blank or comment
    auto where = origin + " line " + std::to_string(number);
    if (!(fields >> name >> role) || (fields >> extra))
      throw std::runtime_error(where + ": expected SHA256-HEX NAME ROLE (three fields)");
    auto digest = from_hex(hex);
    if (!digest)
      throw std::runtime_error(where + ": the first field must be the SHA-256 of the token in hex (64 characters; "
                               "printf %s \"$TOKEN\" | sha256sum)");
    if (!valid_name(name))
      throw std::runtime_error(where + ": the name must be 1 to 64 letters, digits or _ - . @");
    if (role != "viewer" && role != "operator")
      throw std::runtime_error(where + ": the role must be viewer or operator, not '" + role + "'");
    tokens.entries_.push_back({*digest, {name, role == "operator" ? Role::operator_ : Role::viewer}});
  }
  return tokens;
}

Tokens Tokens::load_or_create(const std::filesystem::path& file, std::optional<std::string>& generated) {
  generated.reset();
  struct stat st {};
  if (::lstat(file.c_str(), &st) != 0) {
    if (errno != ENOENT) throw std::runtime_error("cannot read the console tokens file " + file.string() + ": " + std::strerror(errno));
    auto token = random_token(24);
    write_private_file(file, "# Dockhand console tokens: SHA256-HEX NAME ROLE (viewer or operator)\n" +
                                 sha256_hex_of(token) + " admin operator\n");
    generated = token;
    return parse(sha256_hex_of(token) + " admin operator\n", file.string());
  }
  if (!S_ISREG(st.st_mode)) throw std::runtime_error("the console tokens file " + file.string() + " is not a regular file");
  if (st.st_mode & 077)
    throw std::runtime_error("the console tokens file " + file.string() +
                             " may be read or written by group or others: chmod 600 " + file.string());
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read the console tokens file " + file.string());
  std::stringstream text;
  text << in.rdbuf();
  auto tokens = parse(text.str(), file.string());
  if (tokens.size() == 0)
    throw std::runtime_error("the console tokens file " + file.string() + " lists no token (SHA256-HEX NAME ROLE)");
  return tokens;
}

std::optional<Identity> Tokens::find(std::string_view token) const {
  const auto digest = sha256(token);
  const Entry* match = nullptr;
  for (const auto& e : entries_)  // no early exit: the time does not depend on which entry matches
    if (CRYPTO_memcmp(digest.data(), e.hash.data(), digest.size()) == 0) match = &e;
  if (!match || token.empty()) return std::nullopt;
  return match->who;
}

std::string Sessions::open(const Identity& who) {
  auto id = random_token(32);
  std::lock_guard lock(mutex_);
  const auto now = std::chrono::steady_clock::now();
  for (auto it = sessions_.begin(); it != sessions_.end();)  // forget the expired ones
    it = it->second.expires <= now ? sessions_.erase(it) : std::next(it);
  sessions_[sha256_hex_of(id)] = {who, now + ttl_};
  return id;
}

std::optional<Identity> Sessions::find(const std::string& session_id) {
  if (session_id.empty()) return std::nullopt;
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(sha256_hex_of(session_id));
  if (it == sessions_.end()) return std::nullopt;
  if (it->second.expires <= std::chrono::steady_clock::now()) {
    sessions_.erase(it);
    return std::nullopt;
  }
  return it->second.who;
}

void Sessions::close(const std::string& session_id) {
  std::lock_guard lock(mutex_);
  sessions_.erase(sha256_hex_of(session_id));
}

}  // namespace dockhand::console
