// console/: the read routes of the API (docs/console.md). Each answer is built from a few short reads on
// the console's own read-only connection.
#include "internal.h"

#include "orchestrator/fleet/closeout_stage.h"
#include "orchestrator/fleet/fleet.h"

#include <algorithm>
#include <charconv>
#include <ctime>

namespace dockhand::console {

using json = nlohmann::json;

namespace {

json string_or_null(const json& object, const char* key) {
  if (object.is_object() && object.contains(key) && object[key].is_string()) return object[key];
  return nullptr;
}

std::int64_t seconds_since(const std::string& iso, std::chrono::system_clock::time_point now) {
  std::tm tm{};
  if (iso.size() < 19 || !strptime(iso.substr(0, 19).c_str(), "%Y-%m-%dT%H:%M:%S", &tm)) return 0;
  auto then = std::chrono::system_clock::from_time_t(timegm(&tm));
  return std::max<std::int64_t>(0, std::chrono::duration_cast<std::chrono::seconds>(now - then).count());
}


json events_json(const std::vector<chain::Event>& events) {
  json out = json::array();
  for (const auto& e : events)
    out.push_back({{"id", e.id}, {"time", e.time}, {"actor", e.actor}, {"step", e.step}, {"detail", e.detail}});
  return out;
}

std::optional<std::int64_t> number(const std::string& text) {
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// `before` (a request id) and `limit` (1..200, more is taken as 200) of a paged list; the error to answer 400 with.
std::optional<std::string> paging(const httplib::Request& req, chain::RequestFilter& filter) {
  if (req.has_param("before")) {
    auto before = number(req.get_param_value("before"));
    if (!before) return "before must be a request id";
    filter.before = *before;
  }
  if (req.has_param("limit")) {
    auto limit = number(req.get_param_value("limit"));
    if (!limit || *limit < 1) return "limit must be a number from 1 to 200";
    filter.limit = static_cast<std::size_t>(std::min<std::int64_t>(*limit, 200));
  }
  return std::nullopt;
}

// Amazon's errors of a request: of its rejected shipments, or kept in its evidence.
json amazon_errors(const chain::RequestRecord& r, const std::vector<chain::ShipmentRecord>& shipments) {
  json out = json::array();
  auto add = [&out](const json& errors) {
    if (!errors.is_array()) return;
    for (const auto& e : errors)
      if (e.is_object())
        out.push_back({{"code", e.value("code", std::string())}, {"message", e.value("message", std::string())}});
  };
  for (const auto& s : shipments) add(s.errors);
  if (out.empty() && r.evidence.is_object() && r.evidence.contains("errors")) add(r.evidence["errors"]);
  return out;
}

json rule_failures(const chain::RequestRecord& r) {
  json out = json::array();
  auto add = [&out](const json& findings) {
    if (!findings.is_array()) return;
    for (const auto& f : findings)
      if (f.is_object() && f.value("severity", std::string()) == "error" && f.contains("rule")) out.push_back(f);
  };
  add(r.findings);
  if (out.empty()) add(r.evidence);  // a rule failure's evidence is the list of failed findings
  return out;
}

json shipments_json(const std::vector<chain::ShipmentRecord>& shipments) {
  json out = json::array();
  for (const auto& s : shipments)
    out.push_back({{"id", s.id},
                   {"vendor_shipment_identifier", s.vendor_shipment_identifier},
                   {"state", s.state},
                   {"transaction_id", s.transaction_id ? json(*s.transaction_id) : json()},
                   {"payload", s.planned.payload},
                   {"pos", s.planned.pos},
                   {"destination_fc", s.planned.destination_fc},
                   {"cartons", s.planned.cartons},
                   {"pallets", s.planned.pallets},
                   {"weight_lb", s.planned.weight_lb},
                   {"errors", s.errors},
                   {"details", s.details}});
  return out;
}

std::vector<chain::State> states_of(const std::string& text) {
  std::vector<chain::State> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    auto name = text.substr(start, end - start);
    if (!name.empty()) {
      auto s = chain::state_from_string(name);
      if (!s) throw std::invalid_argument("unknown state '" + name + "'");
      out.push_back(*s);
    }
    start = end + 1;
  }
  return out;
}

}  // namespace

std::string iso_of(std::chrono::system_clock::time_point t) {
  auto seconds = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buffer[80];
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count() % 1000;
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buffer;
}

json request_item(const chain::RequestRecord& r, std::chrono::system_clock::time_point now) {
  json pos = json::array();
  json fc, window;
  const auto& x = r.extracted;
  if (x.is_object() && x.contains("purchase_orders") && x["purchase_orders"].is_array())
    for (const auto& po : x["purchase_orders"]) {
      if (!po.is_object()) continue;
      if (po.contains("po") && po["po"].is_string()) pos.push_back(po["po"]);
      if (fc.is_null()) fc = string_or_null(po, "destination_fc");
      if (window.is_null() && (po.contains("ship_window_start") || po.contains("ship_window_end")))
        window = {{"start", string_or_null(po, "ship_window_start")}, {"end", string_or_null(po, "ship_window_end")}};
    }
  return {{"id", r.id},
          {"state", chain::to_string(r.state)},
          {"pos", pos},
          {"fc", fc},
          {"ship_window", window},
          {"ready_date", string_or_null(x, "freight_ready_date")},
          {"brand", r.account},
          {"created_at", r.created_at},
          {"updated_at", r.updated_at},
          {"age_s", seconds_since(r.created_at, now)},
          {"reason", r.reason}};
}

json attachments_json(chain::Store& store, std::int64_t request_id) {
  json out = json::array();
  for (const auto& e : store.evidence_of(request_id))
    out.push_back({{"id", e.id},
                   {"name", e.name},
                   {"content_type", e.content_type},
                   {"time", e.time},
                   {"size", e.size},
                   {"url", "/api/requests/" + std::to_string(request_id) + "/evidence/" + std::to_string(e.id)}});
  return out;
}

void add_read_routes(httplib::Server& server, Context& context) {
  auto& store = *context.reader;

  server.Get("/api/me", [&context](const httplib::Request& req, httplib::Response& res) {
    auto who = authenticate(context, req);
    send_json(res, 200, {{"name", who->name}, {"role", role_name(who->role)}});
  });

  server.Get("/api/summary", [&store](const httplib::Request&, httplib::Response& res) {
    json counts = json::object(), brands = json::object();
    std::int64_t attention = 0;
    for (const auto& [key, count] : store.count_by_state_and_account()) {
      const auto& [state, account] = key;
      counts[state] = counts.value(state, 0) + count;
      auto& brand = brands[account];
      if (!brand.is_object()) brand = json::object();
      brand[state] = brand.value(state, 0) + count;
      if (state == chain::to_string(chain::State::NEEDS_ATTENTION) || state == chain::to_string(chain::State::REJECTED))
        attention += count;
    }
    send_json(res, 200, {{"counts", counts}, {"attention", attention}, {"brands", brands}});
  });

  // Chargebacks per brand and reason, and the latest notices (cancellations, changes, chargebacks) with the
  // emails that caused them: whether Dockhand reduces chargebacks.
  server.Get("/api/chargebacks", [&store](const httplib::Request&, httplib::Response& res) {
    json rows = json::array();
    std::int64_t total = 0;
    for (const auto& [key, count] : store.chargeback_counts()) {
      rows.push_back({{"brand", key.first}, {"reason", key.second}, {"count", count}});
      total += count;
    }
    send_json(res, 200, {{"counts", rows}, {"total", total}});
  });
  server.Get("/api/notices", [&store](const httplib::Request&, httplib::Response& res) {
    json items = json::array();
    for (const auto& e : store.notice_effects(std::nullopt, 100))
      items.push_back({{"notice", e.notice},  {"subject", e.subject}, {"kind", e.kind},
                       {"po", e.po},          {"request", e.request ? json(*e.request) : json()},
                       {"shipment", e.shipment}, {"action", e.action}, {"reason", e.reason},
                       {"brand", e.brand},    {"detail", e.detail},   {"time", e.updated_at}});
    send_json(res, 200, {{"items", items}});
  });

  server.Get("/api/requests", [&store](const httplib::Request& req, httplib::Response& res) {
    chain::RequestFilter filter;
    try {
      if (req.has_param("state")) filter.states = states_of(req.get_param_value("state"));
    } catch (const std::invalid_argument& e) {
      return send_error(res, 400, e.what());
    }
    if (req.has_param("brand")) filter.brand = req.get_param_value("brand");
    filter.search = req.get_param_value("q");
    if (auto error = paging(req, filter)) return send_error(res, 400, *error);
    auto page = store.browse(filter);
    const auto now = std::chrono::system_clock::now();
    json items = json::array();
    for (const auto& r : page.items) items.push_back(request_item(r, now));
    send_json(res, 200, {{"items", items},
                         {"next_before", page.next_before ? json(*page.next_before) : json()},
                         {"total", page.total}});
  });

  server.Get(R"(/api/requests/(\d+))", [&store, &context](const httplib::Request& req, httplib::Response& res) {
    auto id = id_of(req, res);
    if (!id) return;
    auto r = store.request(*id);
    if (!r) return send_error(res, 404, "no routing request #" + std::to_string(*id));
    auto shipments = store.shipments(*id);
    json body = request_item(*r, std::chrono::system_clock::now());
    body["extracted"] = r->extracted;
    body["findings"] = r->findings;
    body["evidence"] = r->evidence;
    body["outputs"] = r->outputs;
    body["last_error"] = r->last_error;
    body["duplicate_of"] = r->duplicate_of ? json(*r->duplicate_of) : json();
    body["shipments"] = shipments_json(shipments);
    body["attachments"] = attachments_json(store, *id);
    const auto events = store.events(*id, 0);
    body["events"] = events_json(events);
    body["screens"] = request_screens(context, *id, events);
    body["amazon_errors"] = amazon_errors(*r, shipments);
    body["rule_failures"] = rule_failures(*r);
    body["actions"] = store.operator_actions(*id);
    send_json(res, 200, body);
  });

  server.Get(R"(/api/requests/(\d+)/events)", [&store](const httplib::Request& req, httplib::Response& res) {
    auto id = id_of(req, res);
    if (!id) return;
    std::int64_t after = 0;
    if (req.has_param("after")) {
      auto n = number(req.get_param_value("after"));
      if (!n) return send_error(res, 400, "after must be an event id");
      after = *n;
    }
    if (!store.request(*id)) return send_error(res, 404, "no routing request #" + std::to_string(*id));
    send_json(res, 200, {{"events", events_json(store.events(*id, after))}});
  });

  server.Get(R"(/api/requests/(\d+)/evidence/(\d+))", [&store](const httplib::Request& req, httplib::Response& res) {
    auto id = id_of(req, res, 1);
    auto evidence = id ? id_of(req, res, 2) : std::nullopt;
    if (!evidence) return;
    auto blob = store.evidence_bytes(*id, *evidence);
    if (!blob) return send_error(res, 404, "routing request #" + std::to_string(*id) + " has no evidence #" +
                                               std::to_string(*evidence));
    res.set_header("Cache-Control", "private, max-age=3600");
    res.set_header("X-Content-Type-Options", "nosniff");
    res.set_content(blob->second, blob->first);
  });

  // The queue, newest first, a page at a time like /api/requests (each item carries its evidence, so pages
  // are what keeps a mass failure, hundreds waiting, from making every poll heavy).
  server.Get("/api/attention", [&store](const httplib::Request& req, httplib::Response& res) {
    chain::RequestFilter filter;
    filter.states = {chain::State::NEEDS_ATTENTION, chain::State::REJECTED};
    if (auto error = paging(req, filter)) return send_error(res, 400, *error);
    auto page = store.browse(filter);
    const auto now = std::chrono::system_clock::now();
    json items = json::array();
    for (const auto& r : page.items) {
      auto shipments = store.shipments(r.id);
      json item = request_item(r, now);
      item["amazon_errors"] = amazon_errors(r, shipments);
      item["rule_failures"] = rule_failures(r);
      item["attachments"] = attachments_json(store, r.id);
      item["actions"] = store.operator_actions(r.id);
      items.push_back(std::move(item));
    }
    send_json(res, 200, {{"items", items},
                         {"next_before", page.next_before ? json(*page.next_before) : json()},
                         {"total", page.total}});
  });

  server.Get("/api/fleet", [&context](const httplib::Request&, httplib::Response& res) {
    json agents = json::array();
    if (context.options.fleet)
      for (const auto& a : context.options.fleet->agents()) {
        json job;
        if (!a.job_id.empty()) {
          auto request = fleet::FleetCloseout::request_of_job(a.job_id);
          job = {{"id", a.job_id},
                 {"request_id", request ? json(*request) : json()},
                 {"script", a.job_script},
                 {"step", a.job_step.empty() ? json() : json(a.job_step)}};
        }
        agents.push_back({{"id", a.agent_id},
                          {"version", a.version},
                          {"apps", a.apps},
                          {"state", a.state},
                          {"job", job},
                          {"last_heartbeat", a.last_heard.time_since_epoch().count() ? json(iso_of(a.last_heard)) : json()},
                          {"done_today", a.done_today},
                          {"failed_today", a.failed_today},
                          {"held_by", a.held_by.empty() ? json() : json(a.held_by)},
                          {"supervision", a.supervision.is_object() ? a.supervision : json()},
                          {"watchers", a.watchers}});
      }
    send_json(res, 200, {{"agents", agents}});
  });

  server.Get("/metrics", [&context](const httplib::Request&, httplib::Response& res) {
    if (!context.options.metrics) return send_error(res, 404, "this serve has no metrics");
    res.set_content(context.options.metrics(), "text/plain; version=0.0.4");
  });
}

}  // namespace dockhand::console
