#include "sim_support.h"

#include <ctime>
#include <sstream>
#include <stdexcept>

namespace dockhand::sim {

using nlohmann::json;

bool apply_fault(Faults& faults, const std::string& spec) {
  auto parts = std::vector<std::string>();
  std::stringstream ss(spec);
  for (std::string p; std::getline(ss, p, ':');) parts.push_back(p);
  auto number = [&](size_t i, double lo, double hi) {
    if (i >= parts.size()) throw std::invalid_argument("fault '" + spec + "' needs a value");
    size_t used = 0;
    double v = std::stod(parts[i], &used);
    if (used != parts[i].size() || v < lo || v > hi)
      throw std::invalid_argument("fault '" + spec + "': value out of range");
    return v;
  };
  const std::string kind = parts.empty() ? "" : parts[0];
  try {
    if (kind == "5xx" && parts.size() == 2) faults.error_5xx = number(1, 0, 1);
    else if (kind == "429" && parts.size() == 2) faults.throttle = number(1, 0, 1);
    else if (kind == "drop" && parts.size() == 2) faults.drop = number(1, 0, 1);
    else if (kind == "slow" && (parts.size() == 2 || parts.size() == 3)) {
      faults.slow_ms = static_cast<int>(number(1, 0, 600000));
      faults.slow_rate = parts.size() == 3 ? number(2, 0, 1) : 1.0;
    } else if (kind == "expire-tokens" && parts.size() == 1) faults.expire_tokens = true;
    else if (kind == "lwa-down" && parts.size() == 1) faults.lwa_down = true;
    else if (kind == "expire-now" && parts.size() == 1) return false;
    else throw std::invalid_argument("unknown fault '" + spec + "' (see --help)");
  } catch (const std::invalid_argument&) {
    throw;
  } catch (const std::exception&) {
    throw std::invalid_argument("fault '" + spec + "': not a number");
  }
  faults.specs.push_back(spec);
  return true;
}

bool apply_scoped_fault(Faults& global, std::map<std::string, Faults>& by_partner, const std::string& spec) {
  const auto at = spec.find('@');
  if (at == std::string::npos) return apply_fault(global, spec);
  if (at + 1 >= spec.size()) throw std::invalid_argument("fault '" + spec + "': no partner after @");
  const bool applied = apply_fault(by_partner[spec.substr(at + 1)], spec.substr(0, at));
  if (applied) global.specs.push_back(spec);
  return applied;
}

bool Bucket::take() {
  const auto now = std::chrono::steady_clock::now();
  tokens = std::min(burst, tokens + std::chrono::duration<double>(now - last).count() * rate);
  last = now;
  if (tokens < 1) return false;
  tokens -= 1;
  return true;
}

long long now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string iso(long long ms) {
  std::time_t secs = ms / 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
  return buf;
}

namespace {

std::string url_decode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') out += ' ';
    else if (s[i] == '%' && i + 2 < s.size()) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else out += s[i];
  }
  return out;
}

}  // namespace

std::map<std::string, std::string> parse_form(const std::string& body) {
  std::map<std::string, std::string> form;
  std::stringstream ss(body);
  for (std::string pair; std::getline(ss, pair, '&');) {
    const auto eq = pair.find('=');
    try {
      if (eq == std::string::npos) form[url_decode(pair)] = "";
      else form[url_decode(pair.substr(0, eq))] = url_decode(pair.substr(eq + 1));
    } catch (const std::exception&) {
      // a malformed escape: leave that field out, the grant check refuses the request
    }
  }
  return form;
}

json amazon_errors(const std::string& code, const std::string& message, const std::string& details) {
  json e = {{"code", code}, {"message", message}};
  if (!details.empty()) e["details"] = details;
  return json{{"errors", json::array({e})}};
}

}  // namespace dockhand::sim
