#include "orchestrator/spapi/redactor.h"

#include <algorithm>
#include <cctype>

namespace dockhand::spapi {

std::string url_encode(const std::string& value) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : value) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

void Redactor::add(const std::string& secret) {
  if (secret.empty()) return;
  std::lock_guard lock(mutex_);
  for (const auto& s : {secret, url_encode(secret)}) {
    if (std::find(secrets_.begin(), secrets_.end(), s) == secrets_.end()) secrets_.push_back(s);
  }
  // Longest first, so a secret containing another is replaced whole.
  std::sort(secrets_.begin(), secrets_.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
}

namespace {
// A letter or digit (any byte of a UTF-8 sequence counts as a letter): what a word is made of.
bool word_byte(char c) {
  auto u = static_cast<unsigned char>(c);
  return std::isalnum(u) || u >= 0x80;
}
}  // namespace

std::string Redactor::operator()(std::string text) const {
  static const std::string kMark = "[redacted]";
  std::lock_guard lock(mutex_);
  for (const auto& secret : secrets_) {
    for (auto pos = text.find(secret); pos != std::string::npos;) {
      const auto end = pos + secret.size();
      const bool whole = (pos == 0 || !word_byte(text[pos - 1]) || !word_byte(secret.front())) &&
                         (end == text.size() || !word_byte(text[end]) || !word_byte(secret.back()));
      if (whole) {
        text.replace(pos, secret.size(), kMark);
        pos = text.find(secret, pos + kMark.size());
      } else {
        pos = text.find(secret, pos + 1);
      }
    }
  }
  return text;
}

bool Redactor::empty() const {
  std::lock_guard lock(mutex_);
  return secrets_.empty();
}

}  // namespace dockhand::spapi
