// dockhand-spapi-sim: an Amazon SP-API (Vendor Shipments, Vendor Transaction Status) and LWA simulator on
// 127.0.0.1, with switchable faults, for tests and the demo. See --help.
#include "sim_auth.h"
#include "sim_payload.h"

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>

#include <unistd.h>

namespace {

using nlohmann::json;
using Clock = std::chrono::system_clock;

const char* kUsage = R"(usage: dockhand-spapi-sim [OPTIONS]

Simulates Amazon's SP-API (submitShipments, getShipmentDetails, getTransaction) and the LWA token
endpoint on 127.0.0.1, for tests and the demo.

Options:
  --port N              port to listen on (default 0: any free port)
  --port-file FILE      write the chosen port to FILE once listening (also printed on stdout)
  --token-ttl SECONDS   lifetime of issued access tokens (default 3600)
  --processing-polls N  a transaction stays Processing for this many looks at it (getTransaction, or
                        getShipmentDetails of its shipment) before Success/Failure (default 1); meanwhile
                        its shipments are listed as Created, without a carrier
  --rate OP=RATE:BURST  token bucket per operation (submitShipments, getShipmentDetails, getTransaction, all);
                        defaults from the models: 10:10, 10:10, 10:20. Over the bucket: 429 QuotaExceeded
  --fault SPEC          switch a fault on (repeatable); SPEC@PARTNER: only for that selling partner:
                          5xx:RATE        answer 503 InternalFailure with probability RATE (0..1)
                          429:RATE        answer 429 QuotaExceeded with probability RATE
                          slow:MS[:RATE]  wait MS milliseconds before answering (probability RATE, default 1)
                          drop:RATE       close the connection without a proper answer, before processing
                          expire-tokens   every access token expires after its first use
                          lwa-down        the token endpoint answers 503
  --client-id ID --client-secret S --refresh-token T
                        credentials the token endpoint accepts (default: any non-empty values); the refresh
                        token is the "default" selling partner's, which acts for any vendor code
  --partner ID:CODE[,CODE...]:REFRESH_TOKEN
                        a selling partner that authorized the application (repeatable): its vendor codes
                        and refresh token. An access token acts only for its own partner: a submission for
                        another partner's vendor code is refused (403), others' transactions and shipments
                        are not found
  --application-id ID   the application the consent page accepts (default: any)
  --state FILE          keep transactions, shipments, tokens and counters in FILE (survives restarts)
  --seed N              seed for fault randomness (default 1)
  --verbose             log each request on stderr (never tokens or secrets)
  --exit-with-parent    stop when the process that started it goes away (wrappers use it)

Endpoints:
  POST /auth/o2/token                                  LWA refresh_token and authorization_code grants
  GET  /apps/authorize/consent?application_id&state&redirect_uri   Vendor Central's consent page: the
                        partner signed in consents; 302 to redirect_uri with state, selling_partner_id and
                        spapi_oauth_code (single use, 5 minutes)
  POST /vendor/shipping/v1/shipments                   submitShipments -> 202 {payload:{transactionId}}
  GET  /vendor/shipping/v1/shipments?vendorShipmentIdentifier=ID   getShipmentDetails
  GET  /vendor/transactions/v1/transactions/{id}       getTransaction (Processing, then Success or Failure)
  Failure codes: INVALID_ORDER_ID (PO not 8 chars A-Z0-9), INVALID_SHIP_TO_PARTY (FC not 4 chars),
  INVALID_CARTON_COUNT (0 cartons), SHIPMENT_REJECTED (vendorShipmentIdentifier contains REJECT).
Admin (for tests):
  GET  /_sim/stats      counters: submissions per vendorShipmentIdentifier (and when the first one arrived,
                        submitted_ms), requests, faults injected
  GET  /_sim/faults     the faults now on
  POST /_sim/faults     {"faults": ["5xx:0.5", "slow:200", "expire-tokens", ...]} replaces the faults;
                        "expire-now" in the list expires every token issued so far (one-shot)
  POST /_sim/config     {"token_ttl": S, "processing_polls": N, "rate": {"OP": [RATE, BURST]}}
  POST /_sim/reset      forget transactions, shipments and counters; settings, faults and partners back to
                        the command line's (tokens stay valid)
  POST /_sim/partners   {"partners": [{"id", "vendor_codes", "refresh_token", "vendor_role"}]} adds or replaces
  POST /_sim/revoke     {"partner": ID}: its refresh tokens give invalid_grant, its access tokens are refused
  POST /_sim/sign-in    {"partner": ID}: who is signed in to Vendor Central (the consent page)
)";

struct Faults {
  double error_5xx = 0, throttle = 0, drop = 0, slow_rate = 0;
  int slow_ms = 0;
  bool expire_tokens = false, lwa_down = false;
  std::vector<std::string> specs;
};

// Parses one fault spec into `faults`. Returns false for "expire-now" (handled by the caller), throws on bad specs.
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

// "SPEC@PARTNER" applies SPEC to that selling partner's requests only (their faults replace the global ones).
bool apply_scoped_fault(Faults& global, std::map<std::string, Faults>& by_partner, const std::string& spec) {
  const auto at = spec.find('@');
  if (at == std::string::npos) return apply_fault(global, spec);
  if (at + 1 >= spec.size()) throw std::invalid_argument("fault '" + spec + "': no partner after @");
  const bool applied = apply_fault(by_partner[spec.substr(at + 1)], spec.substr(0, at));
  if (applied) global.specs.push_back(spec);
  return applied;
}

struct Bucket {
  double rate, burst, tokens;
  std::chrono::steady_clock::time_point last = std::chrono::steady_clock::now();
  bool take() {
    const auto now = std::chrono::steady_clock::now();
    tokens = std::min(burst, tokens + std::chrono::duration<double>(now - last).count() * rate);
    last = now;
    if (tokens < 1) return false;
    tokens -= 1;
    return true;
  }
};

long long now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now().time_since_epoch()).count();
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

json amazon_errors(const std::string& code, const std::string& message, const std::string& details = "") {
  json e = {{"code", code}, {"message", message}};
  if (!details.empty()) e["details"] = details;
  return json{{"errors", json::array({e})}};
}

class Simulator {
 public:
  struct Options {
    int token_ttl = 3600, processing_polls = 1;
    std::string client_id, client_secret, refresh_token, state_file, application_id;
    json partners = json::array();
    std::map<std::string, std::pair<double, double>> rates;
    Faults faults;
    std::map<std::string, Faults> partner_faults;
    unsigned long long seed = 1;
    bool verbose = false;
  };

  explicit Simulator(Options options)
      : opt_(std::move(options)),
        initial_(opt_),
        rng_(opt_.seed),
        auth_(opt_.client_id, opt_.client_secret, opt_.application_id, opt_.token_ttl,
              [this](int digits) { return random_hex(digits); }, now_ms) {
    reset_settings();
    reset_data();
    load();
  }

  void install(httplib::Server& server) {
    server.Post("/auth/o2/token", [this](const httplib::Request& req, httplib::Response& res) { lwa(req, res); });
    server.Get("/apps/authorize/consent", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mutex_);
      count("requests", "consent");
      auto [status, where] = auth_.consent(data_, req.get_param_value("application_id"), req.get_param_value("state"),
                                           req.get_param_value("redirect_uri"));
      save();
      if (status == 302) return res.set_redirect(where, 302);
      res.status = status;
      res.set_content(where, "text/plain");
    });
    server.Post("/_sim/partners", [this](const httplib::Request& req, httplib::Response& res) {
      auto body = json::parse(req.body, nullptr, false);
      if (!body.is_object() || !body.contains("partners") || !body["partners"].is_array()) {
        res.status = 400;
        return res.set_content(R"({"error":"body must be {\"partners\": [...]}"})", "application/json");
      }
      std::lock_guard lock(mutex_);
      for (const auto& p : body["partners"]) add_partner(p);
      save();
      res.set_content(json{{"partners", data_["partners"].size()}}.dump(), "application/json");
    });
    server.Post("/_sim/revoke", [this](const httplib::Request& req, httplib::Response& res) {
      auto body = json::parse(req.body, nullptr, false);
      std::lock_guard lock(mutex_);
      if (!body.is_object() || !dockhand::sim::SimAuth::revoke(data_, body.value("partner", std::string()))) {
        res.status = 404;
        return res.set_content(R"({"error":"no such partner"})", "application/json");
      }
      save();
      res.set_content(R"({"revoked":true})", "application/json");
    });
    server.Post("/_sim/sign-in", [this](const httplib::Request& req, httplib::Response& res) {
      auto body = json::parse(req.body, nullptr, false);
      std::lock_guard lock(mutex_);
      data_["signed_in"] = body.is_object() ? body.value("partner", std::string()) : std::string();
      res.set_content(R"({"ok":true})", "application/json");
    });
    server.Post("/vendor/shipping/v1/shipments", [this](const httplib::Request& req, httplib::Response& res) {
      if (gate(req, res, "submitShipments")) locked([&] { submit(req, res); });
    });
    server.Get("/vendor/shipping/v1/shipments", [this](const httplib::Request& req, httplib::Response& res) {
      if (gate(req, res, "getShipmentDetails")) locked([&] { details(req, res); });
    });
    server.Get(R"(/vendor/transactions/v1/transactions/([^/]+))",
               [this](const httplib::Request& req, httplib::Response& res) {
                 if (gate(req, res, "getTransaction")) locked([&] { transaction(req, res); });
               });
    server.Get("/_sim/stats", [this](const httplib::Request&, httplib::Response& res) {
      std::lock_guard lock(mutex_);
      json stats = data_["counters"];
      stats["submissions"] = data_["submissions"];
      stats["submissions_by_partner"] = data_["submissions_by_partner"];
      stats["submitted_ms"] = data_["submitted_ms"];  // first submitShipments per shipment, ms since the epoch
      stats["issued_tokens"] = json::array();
      for (auto it = data_["tokens"].begin(); it != data_["tokens"].end(); ++it) stats["issued_tokens"].push_back(it.key());
      json tx = json::object();
      for (auto it = data_["transactions"].begin(); it != data_["transactions"].end(); ++it) tx[it.key()] = (*it)["status"];
      stats["transactions"] = tx;
      res.set_content(stats.dump(2), "application/json");
    });
    server.Get("/_sim/faults", [this](const httplib::Request&, httplib::Response& res) {
      std::lock_guard lock(mutex_);
      res.set_content(json{{"faults", faults_.specs}}.dump(), "application/json");
    });
    server.Post("/_sim/faults", [this](const httplib::Request& req, httplib::Response& res) { set_faults(req, res); });
    server.Post("/_sim/config", [this](const httplib::Request& req, httplib::Response& res) { set_config(req, res); });
    server.Post("/_sim/reset", [this](const httplib::Request&, httplib::Response& res) {
      std::lock_guard lock(mutex_);
      json tokens = data_["tokens"];
      reset_data();
      data_["tokens"] = tokens;
      reset_settings();
      save();
      res.set_content("{\"reset\":true}", "application/json");
    });
    server.Get("/_sim/health", [](const httplib::Request&, httplib::Response& res) { res.set_content("ok", "text/plain"); });
  }

 private:
  // Amazon keeps rate limits per selling partner and application: one bucket per partner and operation.
  void set_rate(const std::string& op, double rate, double burst) {
    rates_[op] = {rate, burst};
    for (auto it = buckets_.begin(); it != buckets_.end();)
      it = it->first.substr(it->first.find('/') + 1) == op ? buckets_.erase(it) : ++it;
  }
  Bucket& bucket_of(const std::string& partner, const std::string& op) {
    const std::string key = partner + "/" + op;
    auto it = buckets_.find(key);
    if (it == buckets_.end()) {
      const auto [rate, burst] = rates_.count(op) ? rates_[op] : std::pair<double, double>{10, 10};
      it = buckets_.emplace(key, Bucket{rate, burst, burst}).first;
    }
    return it->second;
  }

  std::string random_hex(int digits) {
    static const char* hex = "0123456789abcdef";
    std::string out;
    for (int i = 0; i < digits; ++i) out += hex[std::uniform_int_distribution<int>(0, 15)(rng_)];
    return out;
  }

  void add_partner(const json& p) {
    if (!p.is_object() || !p.contains("id") || !p["id"].is_string()) throw std::invalid_argument("a partner needs an id");
    json entry = {{"vendor_codes", p.value("vendor_codes", json::array())},
                  {"refresh_tokens", json::array()},
                  {"revoked_refresh_tokens", json::array()},
                  {"vendor_role", p.value("vendor_role", true)}};
    if (p.contains("refresh_token")) entry["refresh_tokens"].push_back(p["refresh_token"]);
    if (p.contains("refresh_tokens")) entry["refresh_tokens"] = p["refresh_tokens"];
    data_["partners"][p["id"].get<std::string>()] = entry;
  }

  // The partner whose access token the request carries ("" when none or unknown).
  std::string partner_of(const httplib::Request& req) {
    const std::string token = req.get_header_value("x-amz-access-token");
    if (token.empty() || !data_["tokens"].contains(token)) return "";
    return data_["tokens"][token].value("partner", std::string("default"));
  }
  const Faults& faults_for(const std::string& partner) const {
    auto it = partner_faults_.find(partner);
    return it == partner_faults_.end() ? faults_ : it->second;
  }

  template <class F>
  void locked(F&& f) {
    std::lock_guard lock(mutex_);
    f();
  }

  // Back to the command line's settings: faults, token lifetime, processing polls, rate limits.
  void reset_settings() {
    opt_ = initial_;
    set_rate("submitShipments", 10, 10);  // vendorShipments.json usage plan
    set_rate("getShipmentDetails", 10, 10);
    set_rate("getTransaction", 10, 20);   // vendorTransactionStatus.json usage plan
    for (const auto& [op, rb] : opt_.rates) set_rate(op, rb.first, rb.second);
    faults_ = opt_.faults;
    partner_faults_ = opt_.partner_faults;
    auth_.set_token_ttl(opt_.token_ttl);
  }

  void reset_data() {
    data_ = {{"tokens", json::object()},       {"transactions", json::object()}, {"shipments", json::object()},
             {"submissions", json::object()},  {"submitted_ms", json::object()}, {"next", 1},
             {"counters", {{"requests", json::object()}, {"throttled", json::object()}, {"faults_injected", json::object()},
                           {"tokens_issued", 0}, {"lwa_refused", 0}, {"refused_other_partner", 0}}},
             {"partners", json::object()}, {"codes", json::object()}, {"submissions_by_partner", json::object()}};
    // The simulator started the old way: one "default" partner acting for any vendor code.
    if (!opt_.refresh_token.empty()) add_partner({{"id", "default"}, {"refresh_token", opt_.refresh_token}});
    for (const auto& p : opt_.partners) add_partner(p);
  }

  void load() {
    if (opt_.state_file.empty() || !std::filesystem::exists(opt_.state_file)) return;
    std::ifstream in(opt_.state_file);
    auto parsed = json::parse(in, nullptr, false);
    if (!parsed.is_object()) throw std::runtime_error("state file " + opt_.state_file + " is not valid JSON");
    for (auto it = parsed.begin(); it != parsed.end(); ++it) data_[it.key()] = *it;
  }

  // Atomic: write beside, then rename, so a kill never leaves half a file.
  void save() {
    if (opt_.state_file.empty()) return;
    const std::string tmp = opt_.state_file + ".tmp";
    {
      std::ofstream out(tmp, std::ios::trunc);
      out << data_.dump();
    }
    std::filesystem::rename(tmp, opt_.state_file);
  }

  void count(const char* group, const std::string& key) {
    auto& c = data_["counters"][group];
    if (!c.is_object()) c = json::object();
    c[key] = c.value(key, 0) + 1;
  }

  bool chance(double p) { return p > 0 && std::uniform_real_distribution<double>(0, 1)(rng_) < p; }

  void log(const httplib::Request& req, int status) {
    if (opt_.verbose) std::cerr << "sim: " << req.method << " " << req.path << " -> " << status << "\n";
  }

  void drop(httplib::Response& res) {
    // Headers go out, then the body provider fails: the client sees the connection close mid-answer.
    res.set_chunked_content_provider("application/json", [](size_t, httplib::DataSink&) { return false; });
  }

  // Faults, rate limits and the access token, in that order. False when the request was answered here.
  bool gate(const httplib::Request& req, httplib::Response& res, const std::string& op) {
    int slow = 0;
    std::string partner;
    {
      std::lock_guard lock(mutex_);
      count("requests", op);
      partner = partner_of(req);
      const auto& faults = faults_for(partner);
      if (faults.slow_ms > 0 && chance(faults.slow_rate)) {
        slow = faults.slow_ms;
        count("faults_injected", "slow");
      }
    }
    if (slow) std::this_thread::sleep_for(std::chrono::milliseconds(slow));
    std::lock_guard lock(mutex_);
    const auto& faults = faults_for(partner);
    auto& bucket = bucket_of(partner, op);
    char rate[32];
    std::snprintf(rate, sizeof rate, "%.1f", bucket.rate);
    res.set_header("x-amzn-RequestId", "sim-" + std::to_string(std::uniform_int_distribution<long long>(1, 1LL << 40)(rng_)));
    if (chance(faults.drop)) {
      count("faults_injected", "drop");
      drop(res);
      log(req, -1);
      return false;
    }
    if (chance(faults.error_5xx)) {
      count("faults_injected", "5xx");
      res.status = 503;
      res.set_content(amazon_errors("InternalFailure", "We encountered an internal error. Please try again.").dump(),
                      "application/json");
      log(req, res.status);
      return false;
    }
    const bool storm = chance(faults.throttle);
    if (storm) count("faults_injected", "429");
    if (storm || !bucket.take()) {
      count("throttled", op);
      if (!partner.empty()) count("throttled_by_partner", partner);
      res.status = 429;
      res.set_header("x-amzn-RateLimit-Limit", rate);
      res.set_content(amazon_errors("QuotaExceeded", "You exceeded your quota for the requested resource.").dump(),
                      "application/json");
      log(req, res.status);
      return false;
    }
    const std::string token = req.get_header_value("x-amz-access-token");
    auto& tokens = data_["tokens"];
    if (token.empty() || !tokens.contains(token)) {
      res.status = 403;
      res.set_content(amazon_errors("Unauthorized", "Access to requested resource is denied.",
                                    "The access token you provided is revoked, malformed or invalid.").dump(),
                      "application/json");
      log(req, res.status);
      return false;
    }
    auto& t = tokens[token];
    if (now_ms() >= t["expires"].get<long long>()) {
      count("faults_injected", "expired");
      res.status = 403;
      res.set_content(amazon_errors("Unauthorized", "Access to requested resource is denied.",
                                    "The access token you provided has expired.").dump(),
                      "application/json");
      log(req, res.status);
      return false;
    }
    if (const auto refusal = dockhand::sim::SimAuth::refusal(data_, t, {}); !refusal.empty()) {
      res.status = 403;
      res.set_content(amazon_errors("Unauthorized", "Access to requested resource is denied.", refusal).dump(),
                      "application/json");
      log(req, res.status);
      return false;
    }
    if (faults.expire_tokens) t["expires"] = now_ms();  // this use is the last
    res.set_header("x-amzn-RateLimit-Limit", rate);
    return true;
  }

  void lwa(const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mutex_);
    count("requests", "lwa");
    auto refuse = [&](int status, const std::string& error, const std::string& description) {
      data_["counters"]["lwa_refused"] = data_["counters"]["lwa_refused"].get<int>() + 1;
      res.status = status;
      res.set_content(json{{"error", error}, {"error_description", description}}.dump(), "application/json");
      log(req, status);
    };
    if (faults_.lwa_down) {
      count("faults_injected", "lwa_down");
      res.status = 503;
      res.set_content(json{{"error", "server_error"}, {"error_description", "Service unavailable"}}.dump(),
                      "application/json");
      log(req, res.status);
      return;
    }
    auto form = parse_form(req.body);
    // No credentials given at all: any refresh token is the "default" partner's (the simulator's old way).
    const bool any_refresh_token = opt_.refresh_token.empty() && opt_.partners.empty();
    auto answer = auth_.token(data_, form, any_refresh_token);
    if (answer.status != 200) return refuse(answer.status, answer.body["error"], answer.body["error_description"]);
    data_["counters"]["tokens_issued"] = data_["counters"]["tokens_issued"].get<int>() + 1;
    save();
    res.set_content(answer.body.dump(), "application/json");
    log(req, 200);
  }

  std::string new_transaction_id() {
    const long long n = data_["next"].get<long long>();
    data_["next"] = n + 1;
    std::time_t secs = now_ms() / 1000;
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[96];
    std::snprintf(buf, sizeof buf, "%04d%02d%02d%02d%02d%02d-%08llx-sim0-%04x", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, n,
                  std::uniform_int_distribution<int>(0, 0xffff)(rng_));
    return buf;
  }

  void submit(const httplib::Request& req, httplib::Response& res) {
    auto body = json::parse(req.body, nullptr, false);
    auto errors = body.is_discarded() ? amazon_errors("InvalidInput", "Request body is not valid JSON")["errors"]
                                      : dockhand::sim::validate_submit_shipments(body);
    if (!errors.empty()) {
      res.status = 400;
      res.set_content(json{{"errors", errors}}.dump(), "application/json");
      log(req, 400);
      return;
    }
    // An access token acts for its own selling partner only: another partner's vendor code is refused.
    std::vector<std::string> vendors;
    for (const auto& s : body["shipments"]) vendors.push_back(s["sellingParty"]["partyId"].get<std::string>());
    const std::string partner = partner_of(req);
    if (const auto refusal = dockhand::sim::SimAuth::refusal(data_, data_["tokens"][req.get_header_value("x-amz-access-token")], vendors);
        !refusal.empty()) {
      data_["counters"]["refused_other_partner"] = data_["counters"]["refused_other_partner"].get<int>() + 1;
      res.status = 403;
      res.set_content(amazon_errors("Unauthorized", "Access to requested resource is denied.", refusal).dump(),
                      "application/json");
      log(req, 403);
      return;
    }
    const std::string id = new_transaction_id();
    json failures = json::array(), ids = json::array();
    for (const auto& s : body["shipments"]) {
      const std::string vsid = s["vendorShipmentIdentifier"];
      ids.push_back(vsid);
      data_["submissions"][vsid] = data_["submissions"].value(vsid, 0) + 1;
      auto& mine = data_["submissions_by_partner"][partner];
      if (!mine.is_object()) mine = json::object();
      mine[vsid] = mine.value(vsid, 0) + 1;
      if (!data_["submitted_ms"].contains(vsid)) data_["submitted_ms"][vsid] = now_ms();  // for latency benchmarks
      json stored = s;
      stored["currentShipmentStatus"] = "Created";
      stored["shipmentCreateDate"] = iso(now_ms());
      data_["shipments"][vsid] = {{"shipment", stored}, {"transactionId", id}, {"partner", partner}};
      for (const auto& e : dockhand::sim::business_errors(s)) failures.push_back(e);
    }
    data_["transactions"][id] = {{"status", "Processing"}, {"polls", 0}, {"shipments", ids}, {"pending_errors", failures},
                                 {"partner", partner}};
    save();
    res.status = 202;
    res.set_content(json{{"payload", {{"transactionId", id}}}}.dump(), "application/json");
    log(req, 202);
  }

  // Amazon's side of a confirmed shipment: carrier, pickup and references, derived from the identifier
  // so that a restarted simulator tells the same story.
  void confirm(json& stored) {
    static const std::pair<const char*, const char*> carriers[] = {
        {"Estes Express Lines", "EXLA"}, {"ABF Freight", "ABFS"}, {"XPO Logistics", "CNWY"}, {"Old Dominion", "ODFL"}};
    const std::string vsid = stored.value("vendorShipmentIdentifier", std::string());
    const size_t h = std::hash<std::string>{}(vsid);
    const auto& carrier = carriers[h % 4];
    char ref[16], pro[16];
    std::snprintf(ref, sizeof ref, "%010llu", static_cast<unsigned long long>(h % 10000000000ULL));
    std::snprintf(pro, sizeof pro, "%09llu", static_cast<unsigned long long>((h / 7) % 1000000000ULL));
    stored["currentShipmentStatus"] = "CarrierAssigned";
    stored["currentshipmentStatusDate"] = iso(now_ms());
    stored["shipmentConfirmDate"] = iso(now_ms());
    if (!stored.contains("buyerReferenceNumber")) stored["buyerReferenceNumber"] = ref;
    auto& pickup = stored["collectFreightPickupDetails"];
    if (!pickup.is_object()) pickup = json::object();
    const std::string requested = pickup.value("requestedPickUp", iso(now_ms() + 24LL * 3600 * 1000));
    pickup["requestedPickUp"] = requested;
    pickup["scheduledPickUp"] = requested;
    pickup["carrierAssignmentDate"] = iso(now_ms());
    auto& transport = stored["transportationDetails"];
    if (!transport.is_object()) transport = json::object();
    transport["shipMode"] = transport.value("shipMode", std::string("LessThanTruckLoad"));
    transport["transportationMode"] = "Road";
    transport["carrierDetails"] = {{"name", carrier.first}, {"code", carrier.second},
                                   {"shipmentReferenceNumber", std::string("PRO") + pro}};
  }

  // Amazon works on a transaction whether anyone asks or not; here each look at it (getTransaction, or
  // getShipmentDetails of one of its shipments) is one step of that work. After processing_polls looks it
  // ends: Failure (its shipments are Rejected and no longer listed) or Success (carrier assigned).
  void look_at(const std::string& id) {
    auto& tx = data_["transactions"][id];
    tx["polls"] = tx["polls"].get<int>() + 1;
    if (tx["status"] != "Processing" || tx["polls"].get<int>() <= opt_.processing_polls) return;
    const bool failed = !tx["pending_errors"].empty();
    tx["status"] = failed ? "Failure" : "Success";
    for (const auto& vsid : tx["shipments"]) {
      auto& entry = data_["shipments"][vsid.get<std::string>()];
      if (entry["transactionId"] != id) continue;  // superseded by a later submission
      if (failed) entry["shipment"]["currentShipmentStatus"] = "Rejected";
      else confirm(entry["shipment"]);
    }
  }

  void transaction(const httplib::Request& req, httplib::Response& res) {
    const std::string id = req.matches[1];
    auto& txs = data_["transactions"];
    if (!txs.contains(id) || txs[id].value("partner", partner_of(req)) != partner_of(req)) {
      res.status = 404;
      res.set_content(amazon_errors("NotFound", "The resource specified does not exist.", "transactionId " + id).dump(),
                      "application/json");
      log(req, 404);
      return;
    }
    auto& tx = txs[id];
    look_at(id);
    save();
    json status = {{"transactionId", id}, {"status", tx["status"]}};
    if (tx["status"] == "Failure") status["errors"] = tx["pending_errors"];
    res.set_content(json{{"payload", {{"transactionStatus", status}}}}.dump(), "application/json");
    log(req, 200);
  }

  void details(const httplib::Request& req, httplib::Response& res) {
    const std::string wanted = req.get_param_value("vendorShipmentIdentifier");
    json list = json::array();
    bool looked = false;
    for (auto it = data_["shipments"].begin(); it != data_["shipments"].end(); ++it) {
      if (!wanted.empty() && it.key() != wanted) continue;
      if (it->value("partner", partner_of(req)) != partner_of(req)) continue;  // another selling partner's
      if (!wanted.empty() && it->contains("transactionId")) {
        look_at((*it)["transactionId"].get<std::string>());
        looked = true;
      }
      const auto& s = (*it)["shipment"];
      if (s.value("currentShipmentStatus", std::string()) == "Rejected") continue;  // Amazon never took it
      list.push_back(s);
      if (list.size() >= 50) break;
    }
    if (looked) save();
    res.set_content(json{{"payload", {{"shipments", list}}}}.dump(), "application/json");
    log(req, 200);
  }

  void set_faults(const httplib::Request& req, httplib::Response& res) {
    auto body = json::parse(req.body, nullptr, false);
    if (!body.is_object() || !body.contains("faults") || !body["faults"].is_array()) {
      res.status = 400;
      res.set_content(R"({"error":"body must be {\"faults\": [SPEC, ...]}"})", "application/json");
      return;
    }
    Faults next;
    std::map<std::string, Faults> next_by_partner;
    bool expire_now = false;
    try {
      for (const auto& spec : body["faults"]) {
        if (!spec.is_string()) throw std::invalid_argument("fault specs are strings");
        if (!apply_scoped_fault(next, next_by_partner, spec.get<std::string>())) expire_now = true;
      }
    } catch (const std::exception& e) {
      res.status = 400;
      res.set_content(json{{"error", e.what()}}.dump(), "application/json");
      return;
    }
    std::lock_guard lock(mutex_);
    faults_ = next;
    partner_faults_ = next_by_partner;
    if (expire_now) {
      for (auto it = data_["tokens"].begin(); it != data_["tokens"].end(); ++it) (*it)["expires"] = now_ms();
      save();
    }
    res.set_content(json{{"faults", faults_.specs}, {"expired_now", expire_now}}.dump(), "application/json");
  }

  void set_config(const httplib::Request& req, httplib::Response& res) {
    auto body = json::parse(req.body, nullptr, false);
    std::lock_guard lock(mutex_);
    try {
      if (!body.is_object()) throw std::invalid_argument("body must be a JSON object");
      if (body.contains("token_ttl")) {
        opt_.token_ttl = body["token_ttl"].get<int>();
        auth_.set_token_ttl(opt_.token_ttl);
      }
      if (body.contains("processing_polls")) opt_.processing_polls = body["processing_polls"].get<int>();
      if (body.contains("rate"))
        for (auto it = body["rate"].begin(); it != body["rate"].end(); ++it) {
          const double r = (*it).at(0).get<double>(), b = (*it).at(1).get<double>();
          if (!(r > 0) || !(b >= 1)) throw std::invalid_argument("rate must be > 0 and burst >= 1");
          if (it.key() == "all") {
            for (const char* op : {"submitShipments", "getShipmentDetails", "getTransaction"}) set_rate(op, r, b);
          } else {
            set_rate(it.key(), r, b);
          }
        }
    } catch (const std::exception& e) {
      res.status = 400;
      res.set_content(json{{"error", e.what()}}.dump(), "application/json");
      return;
    }
    res.set_content(R"({"ok":true})", "application/json");
  }

  Options opt_, initial_;
  std::mutex mutex_;
  json data_;
  Faults faults_;
  std::map<std::string, Faults> partner_faults_;  // SPEC@PARTNER: that partner's faults instead of faults_
  std::map<std::string, std::pair<double, double>> rates_;
  std::map<std::string, Bucket> buckets_;  // by "partner/operation"
  std::mt19937_64 rng_;
  dockhand::sim::SimAuth auth_;
};

}  // namespace

int main(int argc, char** argv) {
  Simulator::Options options;
  int port = 0;
  std::string port_file;
  std::vector<std::string> rate_specs;
  bool exit_with_parent = false;
  try {
    for (int i = 1; i < argc; ++i) {
      const std::string arg = argv[i];
      auto value = [&]() -> std::string {
        if (i + 1 >= argc) throw std::invalid_argument(arg + " needs a value");
        return argv[++i];
      };
      if (arg == "--help" || arg == "-h") {
        std::cout << kUsage;
        return 0;
      } else if (arg == "--port") port = std::stoi(value());
      else if (arg == "--port-file") port_file = value();
      else if (arg == "--token-ttl") options.token_ttl = std::stoi(value());
      else if (arg == "--processing-polls") options.processing_polls = std::stoi(value());
      else if (arg == "--rate") rate_specs.push_back(value());
      else if (arg == "--fault") {
        if (!apply_scoped_fault(options.faults, options.partner_faults, value()))
          throw std::invalid_argument("expire-now is only for /_sim/faults");
      } else if (arg == "--client-id") options.client_id = value();
      else if (arg == "--client-secret") options.client_secret = value();
      else if (arg == "--refresh-token") options.refresh_token = value();
      else if (arg == "--partner") options.partners.push_back(dockhand::sim::parse_partner_spec(value()));
      else if (arg == "--application-id") options.application_id = value();
      else if (arg == "--state") options.state_file = value();
      else if (arg == "--seed") options.seed = std::stoull(value());
      else if (arg == "--verbose") options.verbose = true;
      else if (arg == "--exit-with-parent") exit_with_parent = true;
      else throw std::invalid_argument("unknown option " + arg + " (see --help)");
    }
    for (const auto& spec : rate_specs) {
      const auto eq = spec.find('='), colon = spec.find(':');
      if (eq == std::string::npos || colon == std::string::npos || colon < eq)
        throw std::invalid_argument("--rate wants OP=RATE:BURST, got " + spec);
      const double r = std::stod(spec.substr(eq + 1, colon - eq - 1)), b = std::stod(spec.substr(colon + 1));
      if (!(r > 0) || !(b >= 1)) throw std::invalid_argument("--rate: rate must be > 0 and burst >= 1");
      const std::string op = spec.substr(0, eq);
      if (op == "all") {
        for (const char* o : {"submitShipments", "getShipmentDetails", "getTransaction"}) options.rates[o] = {r, b};
      } else if (op == "submitShipments" || op == "getShipmentDetails" || op == "getTransaction") {
        options.rates[op] = {r, b};
      } else {
        throw std::invalid_argument("--rate: unknown operation " + op);
      }
    }
    if (options.token_ttl < 1) throw std::invalid_argument("--token-ttl must be at least 1");
  } catch (const std::exception& e) {
    std::cerr << "dockhand-spapi-sim: " << e.what() << "\n";
    return 2;
  }

  // Signals go to one thread that stops the server cleanly.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  std::unique_ptr<Simulator> sim;
  try {
    sim = std::make_unique<Simulator>(options);
  } catch (const std::exception& e) {
    std::cerr << "dockhand-spapi-sim: " << e.what() << "\n";
    return 2;
  }
  httplib::Server server;
  server.new_task_queue = [] { return new httplib::ThreadPool(32); };
  server.set_keep_alive_max_count(1000);
  server.set_tcp_nodelay(true);  // small JSON answers: do not wait for delayed ACKs
  sim->install(server);

  const int bound = port == 0 ? server.bind_to_any_port("127.0.0.1") : (server.bind_to_port("127.0.0.1", port) ? port : -1);
  if (bound <= 0) {
    std::cerr << "dockhand-spapi-sim: cannot listen on 127.0.0.1:" << port << "\n";
    return 1;
  }
  if (!port_file.empty()) {
    const std::string tmp = port_file + ".tmp";
    std::ofstream(tmp) << bound << "\n";
    std::filesystem::rename(tmp, port_file);
  }
  std::cout << "dockhand-spapi-sim listening on http://127.0.0.1:" << bound << std::endl;

  std::thread stopper([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    server.stop();
  });
  stopper.detach();
  if (exit_with_parent) {
    // A wrapper killed with SIGKILL cannot stop us; notice that we were orphaned instead.
    std::thread([&server, parent = getppid()] {
      while (getppid() == parent) std::this_thread::sleep_for(std::chrono::milliseconds(200));
      server.stop();
    }).detach();
  }
  server.listen_after_bind();
  return 0;
}
