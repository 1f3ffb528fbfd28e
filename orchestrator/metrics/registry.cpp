#include "orchestrator/metrics/registry.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <regex>

namespace dockhand::metrics {
namespace {

bool valid_metric_name(const std::string& name) {
  static const std::regex pattern("[a-zA-Z_:][a-zA-Z0-9_:]*");
  return std::regex_match(name, pattern);
}

bool valid_label_name(const std::string& name) {
  static const std::regex pattern("[a-zA-Z_][a-zA-Z0-9_]*");
  return std::regex_match(name, pattern) && name.rfind("__", 0) != 0;
}

// HELP text escapes backslash and line feed (not quotes).
std::string escape_help(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string label_set(const std::vector<std::string>& names, const LabelValues& values, const std::string& extra = "") {
  if (names.empty() && extra.empty()) return "";
  std::string out = "{";
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i) out += ",";
    out += names[i] + "=\"" + escape_label_value(values[i]) + "\"";
  }
  if (!extra.empty()) out += (names.empty() ? "" : ",") + extra;
  return out + "}";
}

}  // namespace

std::string format_value(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (value == std::floor(value) && std::fabs(value) < 1e15) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.0f", value);
    return buf;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", value);
  return buf;
}

std::string escape_label_value(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

void Registry::declare(const std::string& name, Type type, const std::string& help, std::vector<std::string> labels,
                       std::vector<double> buckets) {
  if (!valid_metric_name(name)) throw MetricsError("metric name '" + name + "' is not valid");
  for (const auto& l : labels) {
    if (!valid_label_name(l)) throw MetricsError(name + ": label name '" + l + "' is not valid");
    if (type == Type::histogram && l == "le") throw MetricsError(name + ": a histogram cannot have a label 'le'");
  }
  for (std::size_t i = 0; i < buckets.size(); ++i)
    if (!std::isfinite(buckets[i]) || (i && buckets[i] <= buckets[i - 1]))
      throw MetricsError(name + ": buckets must be finite and strictly increasing");
  std::lock_guard lock(mutex_);
  if (auto it = families_.find(name); it != families_.end()) {
    if (it->second.type != type || it->second.labels != labels || it->second.buckets != buckets)
      throw MetricsError("metric " + name + " is declared already with another type, labels or buckets");
    return;
  }
  families_[name] = Family{type, help, std::move(labels), std::move(buckets), {}};
  order_.push_back(name);
}

void Registry::counter(const std::string& name, const std::string& help, std::vector<std::string> labels) {
  declare(name, Type::counter, help, std::move(labels), {});
}
void Registry::gauge(const std::string& name, const std::string& help, std::vector<std::string> labels) {
  declare(name, Type::gauge, help, std::move(labels), {});
}
void Registry::histogram(const std::string& name, const std::string& help, std::vector<std::string> labels,
                         std::vector<double> buckets) {
  declare(name, Type::histogram, help, std::move(labels), std::move(buckets));
}

Registry::Family& Registry::family_locked(const std::string& name, Type type) {
  auto it = families_.find(name);
  if (it == families_.end()) throw MetricsError("metric " + name + " is not declared");
  if (it->second.type != type) throw MetricsError("metric " + name + " is used as another type than declared");
  return it->second;
}

Registry::Series& Registry::series_locked(Family& family, const std::string& name, const LabelValues& labels) {
  if (labels.size() != family.labels.size())
    throw MetricsError("metric " + name + " takes " + std::to_string(family.labels.size()) + " label value(s), got " +
                       std::to_string(labels.size()));
  auto [it, fresh] = family.series.try_emplace(labels);
  if (fresh && family.type == Type::histogram) it->second.counts.assign(family.buckets.size() + 1, 0);
  return it->second;
}

void Registry::add(const std::string& name, const LabelValues& labels, double by) {
  if (!(by >= 0)) throw MetricsError("counter " + name + " can only go up");
  std::lock_guard lock(mutex_);
  auto& family = family_locked(name, Type::counter);
  series_locked(family, name, labels).value += by;
}

void Registry::set(const std::string& name, const LabelValues& labels, double value) {
  std::lock_guard lock(mutex_);
  auto& family = family_locked(name, Type::gauge);
  series_locked(family, name, labels).value = value;
}

void Registry::replace(const std::string& name, const std::vector<std::pair<LabelValues, double>>& series) {
  std::lock_guard lock(mutex_);
  auto& family = family_locked(name, Type::gauge);
  family.series.clear();
  for (const auto& [labels, value] : series) series_locked(family, name, labels).value = value;
}

void Registry::observe(const std::string& name, const LabelValues& labels, double value) {
  std::lock_guard lock(mutex_);
  auto& family = family_locked(name, Type::histogram);
  auto& s = series_locked(family, name, labels);
  auto bucket = std::lower_bound(family.buckets.begin(), family.buckets.end(), value) - family.buckets.begin();
  ++s.counts[static_cast<std::size_t>(bucket)];
  s.sum += value;
  ++s.count;
}

void Registry::on_render(std::function<void(Registry&)> collector) {
  std::lock_guard lock(collectors_mutex_);
  collectors_.push_back(std::move(collector));
}

double Registry::value(const std::string& name, const LabelValues& labels) {
  std::lock_guard lock(mutex_);
  auto it = families_.find(name);
  if (it == families_.end()) return 0;
  auto s = it->second.series.find(labels);
  if (s == it->second.series.end()) return 0;
  return it->second.type == Type::histogram ? static_cast<double>(s->second.count) : s->second.value;
}

std::string Registry::render() {
  {
    std::lock_guard lock(collectors_mutex_);  // one render collects at a time
    for (const auto& collect : collectors_) {
      try {
        collect(*this);
      } catch (...) {
        // the source could not be read (a busy store): its gauges keep their last values
      }
    }
  }
  std::lock_guard lock(mutex_);
  std::string out;
  for (const auto& name : order_) {
    const auto& f = families_.at(name);
    static const char* const kTypes[] = {"counter", "gauge", "histogram"};
    out += "# HELP " + name + " " + escape_help(f.help) + "\n";
    out += "# TYPE " + name + " " + kTypes[static_cast<int>(f.type)] + "\n";
    for (const auto& [labels, s] : f.series) {
      if (f.type != Type::histogram) {
        out += name + label_set(f.labels, labels) + " " + format_value(s.value) + "\n";
        continue;
      }
      std::uint64_t cumulative = 0;
      for (std::size_t i = 0; i <= f.buckets.size(); ++i) {
        cumulative += s.counts[i];
        const std::string le = i < f.buckets.size() ? format_value(f.buckets[i]) : "+Inf";
        out += name + "_bucket" + label_set(f.labels, labels, "le=\"" + le + "\"") + " " +
               std::to_string(cumulative) + "\n";
      }
      out += name + "_sum" + label_set(f.labels, labels) + " " + format_value(s.sum) + "\n";
      out += name + "_count" + label_set(f.labels, labels) + " " + std::to_string(s.count) + "\n";
    }
  }
  return out;
}

}  // namespace dockhand::metrics
