// A strict reader of the Prometheus text exposition format 0.0.4, for tests (promtool is not installed by
// scripts/setup.sh). It follows the line grammar of the format's specification and Prometheus' own
// expfmt rules, and throws ExpositionError naming the line for anything a scraper would refuse or misread:
//   # HELP name text            (at most once per family, before its samples)
//   # TYPE name counter|gauge|histogram|summary|untyped   (at most once, before its samples)
//   name{label="value",...} value [timestamp]
// Label values escape only \\ \" \n; a family's samples are contiguous; no series twice; histogram buckets
// have le, strictly increasing bounds, cumulative counts, a +Inf bucket equal to _count, and _sum/_count.
#pragma once

#include <cmath>
#include <map>
#include <regex>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace dockhand::metrics::testing {

class ExpositionError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

struct Family {
  std::string name, help, type = "untyped";
  std::vector<Sample> samples;
};

struct Exposition {
  std::vector<Family> families;
  const Family* family(const std::string& name) const {
    for (const auto& f : families)
      if (f.name == name) return &f;
    return nullptr;
  }
  // The value of the one sample with exactly these labels (nullopt-like: NaN when absent).
  double value(const std::string& sample_name, const std::map<std::string, std::string>& labels) const {
    for (const auto& f : families)
      for (const auto& s : f.samples)
        if (s.name == sample_name && s.labels == labels) return s.value;
    return std::nan("");
  }
};

inline double parse_float(const std::string& text, const std::string& where) {
  if (text == "+Inf" || text == "Inf") return INFINITY;
  if (text == "-Inf") return -INFINITY;
  if (text == "NaN") return std::nan("");
  static const std::regex number(R"([-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?)");
  if (!std::regex_match(text, number)) throw ExpositionError(where + ": '" + text + "' is not a sample value");
  return std::stod(text);
}

inline Exposition parse_exposition(const std::string& text) {
  if (!text.empty() && text.back() != '\n') throw ExpositionError("the exposition does not end with a line feed");
  static const std::regex metric_name("[a-zA-Z_:][a-zA-Z0-9_:]*");
  static const std::regex label_name("[a-zA-Z_][a-zA-Z0-9_]*");
  Exposition out;
  std::set<std::string> closed;  // families whose samples ended (another family's came)
  std::set<std::string> series_seen;
  std::set<std::string> typed;
  std::map<std::string, Family*> by_name;
  Family* current = nullptr;
  auto family_of_sample = [&](const std::string& name) -> std::string {
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
      const std::string s = suffix;
      if (name.size() > s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0) {
        auto base = name.substr(0, name.size() - s.size());
        auto it = by_name.find(base);
        if (it != by_name.end() && (it->second->type == "histogram" || it->second->type == "summary")) return base;
      }
    }
    return name;
  };
  auto family = [&](const std::string& name, const std::string& where) -> Family& {
    if (current && current->name == name) return *current;
    if (closed.count(name)) throw ExpositionError(where + ": the samples of " + name + " are not together");
    if (current) closed.insert(current->name);
    auto it = by_name.find(name);
    if (it == by_name.end()) {
      out.families.push_back({name, "", "untyped", {}});
      // pointers into a vector: rebuild after growth
      by_name.clear();
      for (auto& f : out.families) by_name[f.name] = &f;
      it = by_name.find(name);
    }
    current = it->second;
    return *current;
  };

  std::size_t line_no = 0, pos = 0;
  while (pos < text.size()) {
    const auto end = text.find('\n', pos);
    const std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    const std::string where = "line " + std::to_string(++line_no);
    if (line.empty()) continue;
    if (line[0] == '#') {
      std::smatch m;
      static const std::regex meta(R"(# (HELP|TYPE) (\S+) ?(.*))");
      if (!std::regex_match(line, m, meta)) continue;  // a plain comment
      const std::string name = m[2];
      if (!std::regex_match(name, metric_name)) throw ExpositionError(where + ": bad metric name '" + name + "'");
      auto& f = family(name, where);
      if (!f.samples.empty()) throw ExpositionError(where + ": " + std::string(m[1]) + " of " + name + " after its samples");
      if (m[1] == "HELP") {
        if (!f.help.empty()) throw ExpositionError(where + ": second HELP for " + name);
        const std::string help = m[3];
        for (std::size_t i = 0; i < help.size(); ++i)
          if (help[i] == '\\' && (i + 1 >= help.size() || (help[i + 1] != '\\' && help[i + 1] != 'n')))
            throw ExpositionError(where + ": bad escape in HELP");
          else if (help[i] == '\\')
            ++i;
        f.help = help.empty() ? " " : help;
      } else {
        static const std::set<std::string> types = {"counter", "gauge", "histogram", "summary", "untyped"};
        if (!types.count(m[3])) throw ExpositionError(where + ": unknown TYPE '" + std::string(m[3]) + "'");
        if (!typed.insert(name).second) throw ExpositionError(where + ": second TYPE for " + name);
        f.type = m[3];
      }
      continue;
    }
    // name{labels} value [timestamp]
    std::size_t i = 0;
    while (i < line.size() && line[i] != '{' && line[i] != ' ') ++i;
    Sample s;
    s.name = line.substr(0, i);
    if (!std::regex_match(s.name, metric_name)) throw ExpositionError(where + ": bad metric name '" + s.name + "'");
    if (i < line.size() && line[i] == '{') {
      ++i;
      while (i < line.size() && line[i] != '}') {
        std::size_t eq = line.find('=', i);
        if (eq == std::string::npos) throw ExpositionError(where + ": label without '='");
        const std::string label = line.substr(i, eq - i);
        if (!std::regex_match(label, label_name)) throw ExpositionError(where + ": bad label name '" + label + "'");
        if (s.labels.count(label)) throw ExpositionError(where + ": label " + label + " twice");
        i = eq + 1;
        if (i >= line.size() || line[i] != '"') throw ExpositionError(where + ": label value not quoted");
        ++i;
        std::string value;
        for (;; ++i) {
          if (i >= line.size()) throw ExpositionError(where + ": label value not closed");
          if (line[i] == '"') break;
          if (line[i] == '\\') {
            ++i;
            if (i >= line.size()) throw ExpositionError(where + ": escape at the end");
            if (line[i] == 'n') value += '\n';
            else if (line[i] == '\\' || line[i] == '"') value += line[i];
            else throw ExpositionError(where + ": bad escape \\" + std::string(1, line[i]) + " in a label value");
          } else {
            value += line[i];
          }
        }
        s.labels[label] = value;
        ++i;  // the closing quote
        if (i < line.size() && line[i] == ',') ++i;
        else if (i < line.size() && line[i] != '}') throw ExpositionError(where + ": expected ',' or '}'");
      }
      if (i >= line.size()) throw ExpositionError(where + ": label set not closed");
      ++i;
    }
    if (i >= line.size() || line[i] != ' ') throw ExpositionError(where + ": no value");
    const std::string rest = line.substr(i + 1);
    const auto space = rest.find(' ');
    s.value = parse_float(rest.substr(0, space), where);
    if (space != std::string::npos) {
      static const std::regex timestamp("-?\\d+");
      if (!std::regex_match(rest.substr(space + 1), timestamp)) throw ExpositionError(where + ": bad timestamp");
    }
    std::string key = s.name;
    for (const auto& [k, v] : s.labels) key += "\x01" + k + "=" + v;
    if (!series_seen.insert(key).second) throw ExpositionError(where + ": the series " + s.name + " appears twice");
    auto& f = family(family_of_sample(s.name), where);
    if (f.type == "counter" && (s.value < 0 || std::isnan(s.value)))
      throw ExpositionError(where + ": counter " + s.name + " is negative");
    if (f.type == "histogram" && s.name == f.name) throw ExpositionError(where + ": histogram sample without a suffix");
    if (f.type == "histogram" && s.name == f.name + "_bucket" && !s.labels.count("le"))
      throw ExpositionError(where + ": bucket without le");
    f.samples.push_back(s);
  }

  // Histograms: per series (labels without le), bounds increasing, counts cumulative, +Inf == _count.
  for (const auto& f : out.families) {
    if (f.type != "histogram") continue;
    std::map<std::map<std::string, std::string>, std::vector<std::pair<double, double>>> buckets;
    std::map<std::map<std::string, std::string>, double> counts, sums;
    for (const auto& s : f.samples) {
      auto labels = s.labels;
      if (s.name == f.name + "_bucket") {
        const double le = parse_float(labels.at("le"), f.name + " le");
        labels.erase("le");
        buckets[labels].push_back({le, s.value});
      } else if (s.name == f.name + "_count") {
        counts[labels] = s.value;
      } else if (s.name == f.name + "_sum") {
        sums[labels] = s.value;
      }
    }
    for (const auto& [labels, list] : buckets) {
      for (std::size_t i = 1; i < list.size(); ++i) {
        if (!(list[i].first > list[i - 1].first)) throw ExpositionError(f.name + ": bucket bounds not increasing");
        if (list[i].second < list[i - 1].second) throw ExpositionError(f.name + ": bucket counts not cumulative");
      }
      if (list.empty() || !std::isinf(list.back().first)) throw ExpositionError(f.name + ": no +Inf bucket");
      if (!counts.count(labels) || !sums.count(labels)) throw ExpositionError(f.name + ": a series lacks _sum or _count");
      if (counts.at(labels) != list.back().second) throw ExpositionError(f.name + ": +Inf bucket differs from _count");
    }
    if (counts.size() != buckets.size()) throw ExpositionError(f.name + ": _count without buckets");
  }
  return out;
}

}  // namespace dockhand::metrics::testing
