// Keeps secrets (LWA client secret, refresh token, access tokens) out of anything we log or throw.
#pragma once

#include <mutex>
#include <string>
#include <vector>

namespace dockhand::spapi {

class Redactor {
 public:
  // Registers a secret; it and its URL-encoded form are replaced by "[redacted]" from now on.
  void add(const std::string& secret);
  std::string operator()(std::string text) const;

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> secrets_;
};

std::string url_encode(const std::string& value);

}  // namespace dockhand::spapi
