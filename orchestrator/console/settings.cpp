// console/: the "console" section of the orchestrator's config (docs/configuration.md) -> Options.
#include "console.h"

#include <set>

namespace dockhand::console {

using json = nlohmann::json;

Options options_from_json(const json& section, const std::function<std::filesystem::path(const std::string&)>& resolve) {
  if (!section.is_object()) throw SettingsError("console must be a JSON object");
  Options o;
  std::set<std::string> known;
  auto find = [&](const std::string& key) -> const json* {
    known.insert(key);
    auto it = section.find(key);
    return it == section.end() || it->is_null() ? nullptr : &*it;
  };
  auto text = [&](const std::string& key, std::string& out) {
    if (auto v = find(key)) {
      if (!v->is_string()) throw SettingsError("console." + key + " must be a string");
      out = v->get<std::string>();
    }
  };
  auto path = [&](const std::string& key, std::filesystem::path& out) {
    std::string value;
    text(key, value);
    if (!value.empty()) out = resolve(value);
  };
  auto integer = [&](const std::string& key, long long& out, long long min, long long max) {
    if (auto v = find(key)) {
      if (!v->is_number_integer()) throw SettingsError("console." + key + " must be a whole number");
      auto n = v->get<long long>();
      if (n < min || n > max)
        throw SettingsError("console." + key + " must be between " + std::to_string(min) + " and " + std::to_string(max));
      out = n;
    }
  };
  text("bind", o.bind);
  long long port = o.port, ttl = o.session_ttl.count(), body = static_cast<long long>(o.max_body_bytes), threads = o.threads;
  integer("port", port, 0, 65535);
  o.port = static_cast<int>(port);
  o.tokens_file = resolve("console-tokens");
  path("tokens_file", o.tokens_file);
  path("tls_cert", o.tls_cert);
  path("tls_key", o.tls_key);
  text("public_url", o.public_url);
  while (!o.public_url.empty() && o.public_url.back() == '/') o.public_url.pop_back();
  path("web_root", o.web_root);
  integer("session_ttl_s", ttl, 60, 30 * 24 * 3600);
  o.session_ttl = std::chrono::seconds(ttl);
  integer("max_body_bytes", body, 1024, 16 * 1024 * 1024);
  o.max_body_bytes = static_cast<std::size_t>(body);
  integer("threads", threads, 1, 64);
  o.threads = static_cast<int>(threads);
  for (auto it = section.begin(); it != section.end(); ++it) {
    if (it.key().rfind('_', 0) == 0 || known.count(it.key())) continue;
    std::string list;
    for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
    throw SettingsError("unknown key console." + it.key() + " (known here: " + list + ")");
  }
  if (o.bind.empty()) throw SettingsError("console.bind must not be empty");
  if (o.tls_cert.empty() != o.tls_key.empty())
    throw SettingsError("console.tls_cert and console.tls_key go together (both, or neither)");
  if (!o.public_url.empty() && o.public_url.rfind("http://", 0) != 0 && o.public_url.rfind("https://", 0) != 0)
    throw SettingsError("console.public_url must start with http:// or https://");
  return o;
}

json default_options_json() {
  Options d;
  return {{"bind", d.bind},
          {"port", d.port},
          {"tokens_file", "console-tokens"},
          {"tls_cert", nullptr},
          {"tls_key", nullptr},
          {"public_url", nullptr},
          {"web_root", nullptr},
          {"session_ttl_s", d.session_ttl.count()},
          {"max_body_bytes", d.max_body_bytes},
          {"threads", d.threads}};
}

}  // namespace dockhand::console
