// Keeps secrets (LWA client secret, refresh token, access tokens) out of anything we log or throw.
#pragma once

#include <mutex>
#include <string>
#include <vector>

namespace dockhand::spapi {

// Replaces whole secret values only: an occurrence counts when no letter or digit touches it on either side,
// so a secret that happens to be part of an ordinary word ("xis" in "exist") never mangles the word, while
// the secret itself is caught between any punctuation, spaces, quotes or URL syntax. Secrets too short to
// be real are refused by the configuration (cli/config.cpp), not here: whatever is registered is redacted.
class Redactor {
 public:
  // Registers a secret; it and its URL-encoded form are replaced by "[redacted]" from now on.
  void add(const std::string& secret);
  std::string operator()(std::string text) const;
  bool empty() const;

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> secrets_;
};

std::string url_encode(const std::string& value);

}  // namespace dockhand::spapi
