// metrics/: a small thread-safe registry of counters, gauges and histograms (fixed buckets) with labels,
// rendered in the Prometheus text exposition format 0.0.4 (HELP and TYPE lines, escaped label values,
// histogram _bucket{le=...} / _sum / _count with +Inf). Families are declared once with their label names;
// a series is made on first use. Values computed only when scraped (requests by state, read from the
// store) come from collectors run at render time.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

namespace dockhand::metrics {

// A wrong name, a wrong number of label values, a family used as another type: a programming error.
class MetricsError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

using LabelValues = std::vector<std::string>;

class Registry {
 public:
  Registry() = default;
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Declares a family. Names: [a-zA-Z_:][a-zA-Z0-9_:]*, label names [a-zA-Z_][a-zA-Z0-9_]* (not "le" on a
  // histogram, nothing starting "__"). Declaring the same family again with the same shape is harmless.
  void counter(const std::string& name, const std::string& help, std::vector<std::string> labels = {});
  void gauge(const std::string& name, const std::string& help, std::vector<std::string> labels = {});
  // `buckets`: upper bounds, strictly increasing and finite (+Inf is always added).
  void histogram(const std::string& name, const std::string& help, std::vector<std::string> labels,
                 std::vector<double> buckets);

  void add(const std::string& counter, const LabelValues& labels = {}, double by = 1);  // by >= 0
  void set(const std::string& gauge, const LabelValues& labels, double value);
  void observe(const std::string& histogram, const LabelValues& labels, double value);
  // Replaces every series of a gauge at once (a snapshot counted elsewhere, e.g. at scrape time).
  void replace(const std::string& gauge, const std::vector<std::pair<LabelValues, double>>& series);

  // Run before each render (outside the registry's lock): fills gauges from their sources. A collector that
  // throws leaves its gauges as they were; the render still happens.
  void on_render(std::function<void(Registry&)> collector);

  // The text exposition format, families in the order declared, series sorted by their label values.
  std::string render();

  // One series' current value (tests): a counter's or gauge's value, a histogram's count; 0 when absent.
  double value(const std::string& name, const LabelValues& labels = {});

 private:
  enum class Type { counter, gauge, histogram };
  struct Series {
    double value = 0;                   // counter, gauge
    std::vector<std::uint64_t> counts;  // histogram: per bucket (not cumulative), then +Inf
    double sum = 0;
    std::uint64_t count = 0;
  };
  struct Family {
    Type type;
    std::string help;
    std::vector<std::string> labels;
    std::vector<double> buckets;
    std::map<LabelValues, Series> series;
  };
  void declare(const std::string& name, Type type, const std::string& help, std::vector<std::string> labels,
               std::vector<double> buckets);
  Family& family_locked(const std::string& name, Type type);
  Series& series_locked(Family& family, const std::string& name, const LabelValues& labels);

  std::mutex mutex_;
  std::vector<std::string> order_;
  std::map<std::string, Family> families_;
  std::mutex collectors_mutex_;
  std::vector<std::function<void(Registry&)>> collectors_;
};

// Formats a sample value the way Prometheus reads it: integers without a fraction, +Inf, -Inf, NaN.
std::string format_value(double value);
// A label value escaped for the text format: backslash, double quote and line feed.
std::string escape_label_value(const std::string& value);

}  // namespace dockhand::metrics
