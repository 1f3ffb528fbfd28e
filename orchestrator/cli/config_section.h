// The config file's sections as config.cpp walks them, shared with the files that parse a section of their
// own (alerts_config.cpp). Internal to cli/.
#pragma once

#include "config.h"

#include <nlohmann/json.hpp>

#include <set>
#include <string>
#include <vector>

namespace dockhand::cli {

// Walks one JSON object: each get_* marks the key as known; finish() refuses the unknown ones.
class Section {
 public:
  Section(const nlohmann::json& value, std::string where) : where_(std::move(where)) {
    if (value.is_null()) {
      object_ = nlohmann::json::object();
    } else if (!value.is_object()) {
      throw ConfigError(where_ + " must be a JSON object");
    } else {
      object_ = value;
    }
  }

  const nlohmann::json* find(const std::string& key) {
    known_.insert(key);
    auto it = object_.find(key);
    if (it == object_.end() || it->is_null()) return nullptr;
    return &*it;
  }
  std::string path(const std::string& key) const { return where_.empty() ? key : where_ + "." + key; }

  void string(const std::string& key, std::string& out) {
    if (auto v = find(key)) {
      if (!v->is_string()) throw ConfigError(path(key) + " must be a string");
      out = v->get<std::string>();
    }
  }
  void strings(const std::string& key, std::vector<std::string>& out) {
    if (auto v = find(key)) {
      if (!v->is_array()) throw ConfigError(path(key) + " must be a list of strings");
      out.clear();
      for (const auto& item : *v) {
        if (!item.is_string()) throw ConfigError(path(key) + " must be a list of strings");
        out.push_back(item.get<std::string>());
      }
    }
  }
  void boolean(const std::string& key, bool& out) {
    if (auto v = find(key)) {
      if (!v->is_boolean()) throw ConfigError(path(key) + " must be true or false");
      out = v->get<bool>();
    }
  }
  template <class Int>
  void integer(const std::string& key, Int& out, long long min, long long max) {
    if (auto v = find(key)) {
      if (!v->is_number_integer()) throw ConfigError(path(key) + " must be a whole number");
      auto n = v->get<long long>();
      if (n < min || n > max)
        throw ConfigError(path(key) + " must be between " + std::to_string(min) + " and " + std::to_string(max) +
                          ", got " + std::to_string(n));
      out = static_cast<Int>(n);
    }
  }
  template <class Duration>
  void duration(const std::string& key, Duration& out, long long min, long long max) {
    long long n = out.count();
    integer(key, n, min, max);
    out = Duration(n);
  }
  Section child(const std::string& key) {
    auto v = find(key);
    return Section(v ? *v : nlohmann::json(), path(key));
  }
  void choice(const std::string& key, std::string& out, std::initializer_list<const char*> allowed) {
    string(key, out);
    for (const char* a : allowed)
      if (out == a) return;
    std::string list;
    for (const char* a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
    throw ConfigError(path(key) + " must be one of " + list + ", got '" + out + "'");
  }
  void finish() const {
    for (auto it = object_.begin(); it != object_.end(); ++it) {
      if (known_.count(it.key()) || (!it.key().empty() && it.key()[0] == '_')) continue;
      std::string list;
      for (const auto& k : known_) list += (list.empty() ? "" : ", ") + k;
      throw ConfigError("unknown key " + path(it.key()) + " (known here: " + list + ")");
    }
  }

 private:
  nlohmann::json object_;
  std::string where_;
  std::set<std::string> known_;
};

// The "alerts" section (alerts_config.cpp): channels, timings; secret file names kept for load_secrets.
AlertsConfig parse_alerts(Section section, const OrchestratorConfig& config);
void load_alert_secrets(AlertsConfig& alerts);
nlohmann::json default_alerts_json();

}  // namespace dockhand::cli
