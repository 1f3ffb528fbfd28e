// The simulator's routes, its gate (faults, rate limits, tokens), its state file and its admin endpoints.
#include "simulator.h"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

namespace dockhand::sim {


Simulator::Simulator(Options options)
    : opt_(std::move(options)),
      initial_(opt_),
      rng_(opt_.seed),
      auth_(opt_.client_id, opt_.client_secret, opt_.application_id, opt_.token_ttl,
            [this](int digits) { return random_hex(digits); }, now_ms) {
  reset_settings();
  reset_data();
  load();
}

void Simulator::install(httplib::Server& server) {
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
    if (!body.is_object() || !SimAuth::revoke(data_, body.value("partner", std::string()))) {
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
  server.Post("/vendor/shipping/v1/shipmentConfirmations", [this](const httplib::Request& req, httplib::Response& res) {
    if (gate(req, res, "submitShipmentConfirmations")) locked([&] { confirmations(req, res); });
  });
  server.Get("/vendor/shipping/v1/transportLabels", [this](const httplib::Request& req, httplib::Response& res) {
    if (gate(req, res, "getShipmentLabels")) locked([&] { labels(req, res); });
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
    stats["asns"] = data_["asns"];                  // submitShipmentConfirmations per shipmentIdentifier
    stats["asn_bodies"] = data_["asn_bodies"];      // the last ShipmentConfirmation per shipmentIdentifier
    stats["details_looks"] = data_["details_looks"];  // getShipmentDetails looks per shipment
    json status = json::object();
    for (auto it = data_["shipments"].begin(); it != data_["shipments"].end(); ++it)
      status[it.key()] = (*it)["shipment"].value("currentShipmentStatus", std::string());
    stats["shipment_status"] = status;
    stats["cancels"] = data_.value("cancels", json::object());  // Cancel transactions per shipment
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

// Amazon keeps rate limits per selling partner and application: one bucket per partner and operation.
void Simulator::set_rate(const std::string& op, double rate, double burst) {
  rates_[op] = {rate, burst};
  for (auto it = buckets_.begin(); it != buckets_.end();)
    it = it->first.substr(it->first.find('/') + 1) == op ? buckets_.erase(it) : ++it;
}

Bucket& Simulator::bucket_of(const std::string& partner, const std::string& op) {
  const std::string key = partner + "/" + op;
  auto it = buckets_.find(key);
  if (it == buckets_.end()) {
    const auto [rate, burst] = rates_.count(op) ? rates_[op] : std::pair<double, double>{10, 10};
    it = buckets_.emplace(key, Bucket{rate, burst, burst}).first;
  }
  return it->second;
}

std::string Simulator::random_hex(int digits) {
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < digits; ++i) out += hex[std::uniform_int_distribution<int>(0, 15)(rng_)];
  return out;
}

void Simulator::add_partner(const json& p) {
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
std::string Simulator::partner_of(const httplib::Request& req) {
  const std::string token = req.get_header_value("x-amz-access-token");
  if (token.empty() || !data_["tokens"].contains(token)) return "";
  return data_["tokens"][token].value("partner", std::string("default"));
}

const Faults& Simulator::faults_for(const std::string& partner) const {
  auto it = partner_faults_.find(partner);
  return it == partner_faults_.end() ? faults_ : it->second;
}

// Back to the command line's settings: faults, token lifetime, processing polls, rate limits.
void Simulator::reset_settings() {
  opt_ = initial_;
  set_rate("submitShipments", 10, 10);  // vendorShipments.json usage plan
  set_rate("getShipmentDetails", 10, 10);
  set_rate("getTransaction", 10, 20);   // vendorTransactionStatus.json usage plan
  set_rate("submitShipmentConfirmations", 10, 10);
  set_rate("getShipmentLabels", 10, 10);
  for (const auto& [op, rb] : opt_.rates) set_rate(op, rb.first, rb.second);
  faults_ = opt_.faults;
  partner_faults_ = opt_.partner_faults;
  auth_.set_token_ttl(opt_.token_ttl);
}

void Simulator::reset_data() {
  data_ = {{"tokens", json::object()},       {"transactions", json::object()}, {"shipments", json::object()},
           {"submissions", json::object()},  {"submitted_ms", json::object()}, {"next", 1},
           {"counters", {{"requests", json::object()}, {"throttled", json::object()}, {"faults_injected", json::object()},
                         {"tokens_issued", 0}, {"lwa_refused", 0}, {"refused_other_partner", 0}}},
           {"partners", json::object()}, {"codes", json::object()}, {"submissions_by_partner", json::object()},
           {"asns", json::object()}, {"asn_bodies", json::object()}, {"details_looks", json::object()}};
  // The simulator started the old way: one "default" partner acting for any vendor code.
  if (!opt_.refresh_token.empty()) add_partner({{"id", "default"}, {"refresh_token", opt_.refresh_token}});
  for (const auto& p : opt_.partners) add_partner(p);
}

void Simulator::load() {
  if (opt_.state_file.empty() || !std::filesystem::exists(opt_.state_file)) return;
  std::ifstream in(opt_.state_file);
  auto parsed = json::parse(in, nullptr, false);
  if (!parsed.is_object()) throw std::runtime_error("state file " + opt_.state_file + " is not valid JSON");
  for (auto it = parsed.begin(); it != parsed.end(); ++it) data_[it.key()] = *it;
}

// Atomic: write beside, then rename, so a kill never leaves half a file.
void Simulator::save() {
  if (opt_.state_file.empty()) return;
  const std::string tmp = opt_.state_file + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << data_.dump();
  }
  std::filesystem::rename(tmp, opt_.state_file);
}

void Simulator::count(const char* group, const std::string& key) {
  auto& c = data_["counters"][group];
  if (!c.is_object()) c = json::object();
  c[key] = c.value(key, 0) + 1;
}

void Simulator::log(const httplib::Request& req, int status) {
  if (opt_.verbose) std::cerr << "sim: " << req.method << " " << req.path << " -> " << status << "\n";
}

void Simulator::drop(httplib::Response& res) {
  // Headers go out, then the body provider fails: the client sees the connection close mid-answer.
  res.set_chunked_content_provider("application/json", [](size_t, httplib::DataSink&) { return false; });
}

// Faults, rate limits and the access token, in that order. False when the request was answered here.
bool Simulator::gate(const httplib::Request& req, httplib::Response& res, const std::string& op) {
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
  if (const auto refusal = SimAuth::refusal(data_, t, {}); !refusal.empty()) {
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

void Simulator::lwa(const httplib::Request& req, httplib::Response& res) {
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

void Simulator::set_faults(const httplib::Request& req, httplib::Response& res) {
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

void Simulator::set_config(const httplib::Request& req, httplib::Response& res) {
  auto body = json::parse(req.body, nullptr, false);
  std::lock_guard lock(mutex_);
  try {
    if (!body.is_object()) throw std::invalid_argument("body must be a JSON object");
    if (body.contains("token_ttl")) {
      opt_.token_ttl = body["token_ttl"].get<int>();
      auth_.set_token_ttl(opt_.token_ttl);
    }
    if (body.contains("processing_polls")) opt_.processing_polls = body["processing_polls"].get<int>();
    if (body.contains("carrier_polls")) opt_.carrier_polls = body["carrier_polls"].get<int>();
    if (body.contains("rate"))
      for (auto it = body["rate"].begin(); it != body["rate"].end(); ++it) {
        const double r = (*it).at(0).get<double>(), b = (*it).at(1).get<double>();
        if (!(r > 0) || !(b >= 1)) throw std::invalid_argument("rate must be > 0 and burst >= 1");
        if (it.key() == "all") {
          for (const char* op : {"submitShipments", "getShipmentDetails", "getTransaction", "submitShipmentConfirmations",
                                 "getShipmentLabels"})
            set_rate(op, r, b);
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

}  // namespace dockhand::sim
