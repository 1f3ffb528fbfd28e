// Formatting helpers declared in vendor_shipments.h.
#include "orchestrator/spapi/vendor_shipments.h"

#include <cmath>
#include <cstdio>
#include <ctime>

namespace dockhand::spapi {

std::string iso8601_utc(std::chrono::system_clock::time_point t) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
  const int millis = static_cast<int>(ms - static_cast<long long>(secs) * 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
  return buf;
}

std::string decimal_string(double value, int max_decimals) {
  if (!std::isfinite(value)) throw std::invalid_argument("decimal_string: value is not a finite number");
  if (max_decimals < 0 || max_decimals > 9) throw std::invalid_argument("decimal_string: max_decimals out of range");
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", max_decimals, value);
  std::string s = buf;
  if (s.find('.') != std::string::npos) {
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
  }
  if (s == "-0") s = "0";
  return s;
}

std::string base_url(const SpapiConfig& config) {
  if (!config.endpoint.empty()) {
    std::string url = config.endpoint;
    while (!url.empty() && url.back() == '/') url.pop_back();
    return url;
  }
  if (config.region != "na" && config.region != "eu" && config.region != "fe")
    throw std::invalid_argument("SP-API region must be na, eu or fe (got '" + config.region + "')");
  return std::string("https://") + (config.sandbox ? "sandbox." : "") + "sellingpartnerapi-" + config.region +
         ".amazon.com";
}

}  // namespace dockhand::spapi
