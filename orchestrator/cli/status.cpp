// dockhand-orchestrator status [ID]: each routing request with its state and timeline (the event log).
#include "command.h"

#include "config.h"

#include "orchestrator/chain/store.h"

#include <filesystem>
#include <chrono>
#include <iostream>
#include <thread>

namespace {

using namespace dockhand;
using nlohmann::json;

const char* kHelp =
    "usage: dockhand-orchestrator status [ID] [--store FILE | --config FILE] [--state STATE] [--last N]\n"
    "                                    [--brief] [--json]\n"
    "\n"
    "Shows each routing request in the store: its state, why it is there (the reason for NEEDS_ATTENTION,\n"
    "REJECTED, QUARANTINED, OTHER, DUPLICATE), its shipments with Amazon's answers, and its timeline (the\n"
    "append-only event log: time, actor, step, detail). With ID, that request only, in full: the extracted\n"
    "fields, the rule findings, Amazon's errors and shipment details, the evidence kept, the next attempt.\n"
    "The store can be read while serve runs.\n"
    "\n"
    "  --store FILE   the store (default: the config's \"store\", else ./dockhand.sqlite)\n"
    "  --config FILE  take the store path from this config\n"
    "  --state STATE  only requests in this state (e.g. NEEDS_ATTENTION)\n"
    "  --last N       only the N most recent requests\n"
    "  --brief        one line per request, no timeline\n"
    "  --json         print JSON instead of text\n"
    "  --follow       print each event as it is appended (every request; waits for the store to appear)\n"
    "  --until-done N with --follow: stop once N requests are DONE (exit 0), or as soon as one is\n"
    "                 NEEDS_ATTENTION, REJECTED or QUARANTINED (exit 1, with its reason)\n"
    "  --timeout S    with --follow: give up after S seconds (exit 4)\n"
    "\n"
    "Exit status: 0 shown, 1 no such request or no store, 2 bad arguments.\n";

// --follow: a live timeline, one line per event, for the demo and for an operator watching a run.
int follow(const std::string& store_path, std::size_t until_done, double timeout_s) {
  using namespace std::chrono;
  const auto deadline = steady_clock::now() + duration_cast<steady_clock::duration>(duration<double>(timeout_s));
  auto timed_out = [&] { return timeout_s > 0 && steady_clock::now() >= deadline; };
  while (!std::filesystem::exists(store_path)) {
    if (timed_out()) {
      std::cerr << "status: no store appeared at " << store_path << " within " << timeout_s << " s\n";
      return 4;
    }
    std::this_thread::sleep_for(milliseconds(200));
  }
  chain::SystemClock clock;
  chain::Store store(store_path, clock);
  std::int64_t last_event = 0;
  for (bool first = true;; first = false) {
    const std::int64_t seen = last_event;
    for (const auto& e : store.events_after(last_event)) {
      const std::string hms = e.time.size() >= 23 ? e.time.substr(11, 12) : e.time;
      std::cout << hms << "  #" << e.request_id << "  " << e.step << "  (" << e.actor << ")";
      if (!e.detail.empty()) std::cout << "  " << e.detail;
      std::cout << std::endl;
      last_event = e.id;
    }
    // Every change of state is an event: the states are looked at again only when events came.
    if (until_done > 0 && (first || last_event != seen)) {
      bool stuck = false;
      for (auto state : {chain::State::NEEDS_ATTENTION, chain::State::REJECTED, chain::State::QUARANTINED})
        for (auto id : store.in_state(state)) {
          auto r = store.request(id);
          std::cerr << "status: request #" << id << " is " << chain::to_string(state) << ": "
                    << (r ? r->reason : std::string()) << "\n";
          stuck = true;
        }
      if (stuck) return 1;
      if (store.in_state(chain::State::DONE).size() >= until_done) return 0;
    }
    if (timed_out()) {
      std::cerr << "status: gave up after " << timeout_s << " s\n";
      return 4;
    }
    std::this_thread::sleep_for(milliseconds(250));
  }
}

json shipment_json(const chain::ShipmentRecord& s) {
  json j = {{"vendor_shipment_identifier", s.vendor_shipment_identifier},
            {"state", s.state},
            {"destination_fc", s.planned.destination_fc},
            {"pos", s.planned.pos},
            {"cartons", s.planned.cartons},
            {"pallets", s.planned.pallets},
            {"weight_lb", s.planned.weight_lb},
            {"transaction_id", s.transaction_id ? json(*s.transaction_id) : json()}};
  if (!s.errors.is_null() && !s.errors.empty()) j["amazon_errors"] = s.errors;
  if (s.details.is_object()) {
    auto transport = s.details.value("transportationDetails", json::object());
    auto carrier = transport.value("carrierDetails", json::object());
    auto pickup = s.details.value("collectFreightPickupDetails", json::object());
    j["carrier"] = carrier.value("name", carrier.value("code", std::string()));
    j["pickup"] = pickup.value("scheduledPickUp", pickup.value("requestedPickUp", json()));
    j["amazon_reference"] = s.details.value("buyerReferenceNumber", carrier.value("shipmentReferenceNumber", std::string()));
  }
  return j;
}

json request_json(chain::Store& store, const chain::RequestRecord& r, bool full, bool timeline) {
  json pos = json::array();
  if (r.extracted.is_object())
    for (const auto& po : r.extracted.value("purchase_orders", json::array())) pos.push_back(po.value("po", ""));
  json j = {{"id", r.id},
            {"state", std::string(chain::to_string(r.state))},
            {"source", r.source_id},
            {"message_id", r.message_id ? json(*r.message_id) : json()},
            {"created_at", r.created_at},
            {"updated_at", r.updated_at},
            {"pos", pos}};
  if (!r.reason.empty()) j["reason"] = r.reason;
  if (!r.last_error.empty()) j["last_error"] = r.last_error;
  if (r.attempts) j["attempts"] = r.attempts;
  if (r.duplicate_of) j["duplicate_of"] = *r.duplicate_of;
  if (r.next_attempt_ms) j["next_attempt_ms"] = *r.next_attempt_ms;
  json shipments = json::array();
  for (const auto& s : store.shipments(r.id)) shipments.push_back(shipment_json(s));
  j["shipments"] = shipments;
  if (full) {
    j["extracted"] = r.extracted;
    j["findings"] = r.findings;
    j["evidence"] = r.evidence;
    j["outputs"] = r.outputs;
  } else if (r.findings.is_array()) {
    json errors = json::array();
    for (const auto& f : r.findings)
      if (f.value("severity", "") == "error") errors.push_back(f);
    if (!errors.empty()) j["findings"] = errors;
  }
  if (timeline) {
    json events = json::array();
    for (const auto& e : store.events(r.id))
      events.push_back({{"time", e.time}, {"actor", e.actor}, {"step", e.step}, {"detail", e.detail}});
    j["timeline"] = events;
  }
  return j;
}

std::string str(const json& j, const char* key) {
  return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string();
}

void print_text(const json& r, bool full) {
  std::string pos;
  for (const auto& p : r["pos"]) pos += (pos.empty() ? "" : " ") + p.get<std::string>();
  std::cout << "#" << r["id"].get<std::int64_t>() << "  " << str(r, "state") << "  received " << str(r, "created_at")
            << "  updated " << str(r, "updated_at") << "  " << str(r, "source");
  if (!pos.empty()) std::cout << "  POs " << pos;
  std::cout << "\n";
  if (r.contains("reason")) std::cout << "    reason: " << str(r, "reason") << "\n";
  if (r.contains("last_error"))
    std::cout << "    last error (" << r.value("attempts", 0) << " attempt(s)): " << str(r, "last_error") << "\n";
  if (r.contains("findings") && r["findings"].is_array())
    for (const auto& f : r["findings"])
      std::cout << "    " << f.value("severity", "") << " [" << f.value("rule", "") << "] " << f.value("message", "")
                << "\n";
  for (const auto& s : r["shipments"]) {
    std::cout << "    shipment " << str(s, "vendor_shipment_identifier") << "  " << str(s, "state") << "  to "
              << str(s, "destination_fc") << ", " << s["cartons"].get<int>() << " cartons, " << s["pallets"].get<int>()
              << " pallets";
    if (s["transaction_id"].is_string()) std::cout << ", transaction " << str(s, "transaction_id");
    if (s.contains("carrier")) std::cout << ", carrier " << str(s, "carrier") << ", pickup " << str(s, "pickup");
    std::cout << "\n";
    if (s.contains("amazon_errors"))
      for (const auto& e : s["amazon_errors"]) {
        std::cout << "      Amazon error " << e.value("code", "?") << ": " << e.value("message", "");
        if (e.contains("details") && e["details"].is_string()) std::cout << " (" << e["details"].get<std::string>() << ")";
        std::cout << "\n";
      }
  }
  if (full) {
    if (r.contains("message_id") && r["message_id"].is_string()) std::cout << "    Message-ID: " << str(r, "message_id") << "\n";
    if (!r["extracted"].is_null()) std::cout << "    extracted: " << r["extracted"].dump() << "\n";
    if (!r["evidence"].is_null()) std::cout << "    evidence: " << r["evidence"].dump() << "\n";
    if (!r["outputs"].is_null()) std::cout << "    outputs: " << r["outputs"].dump() << "\n";
  }
  if (r.contains("timeline")) {
    std::cout << "    timeline:\n";
    for (const auto& e : r["timeline"]) {
      std::cout << "      " << str(e, "time") << "  " << str(e, "step") << "  (" << str(e, "actor") << ")";
      if (!str(e, "detail").empty()) std::cout << "  " << str(e, "detail");
      std::cout << "\n";
    }
  }
}

int run_status(const std::vector<std::string>& args) {
  std::string store_path, config_file, state_filter;
  std::optional<std::int64_t> id;
  std::size_t last = 0;
  bool brief = false, as_json = false, follow_events = false;
  std::size_t until_done = 0;
  double timeout_s = 0;
  try {
    for (std::size_t i = 0; i < args.size(); ++i) {
      const auto& a = args[i];
      auto value = [&] { return dockhand::cli::option_value(args, i); };
      if (a == "--help" || a == "-h") {
        std::cout << kHelp;
        return 0;
      } else if (a == "--store") store_path = value();
      else if (a == "--config") config_file = value();
      else if (a == "--state") state_filter = value();
      else if (a == "--last") last = std::stoul(value());
      else if (a == "--brief") brief = true;
      else if (a == "--json") as_json = true;
      else if (a == "--follow") follow_events = true;
      else if (a == "--until-done") until_done = std::stoul(value());
      else if (a == "--timeout") timeout_s = std::stod(value());
      else if (!a.empty() && a[0] != '-' && !id) {
        std::string digits = a[0] == '#' ? a.substr(1) : a;
        std::size_t used = 0;
        id = std::stoll(digits, &used);
        if (used != digits.size()) throw std::invalid_argument("not a request id: " + a);
      } else throw std::invalid_argument("unknown argument '" + a + "'");
    }
  } catch (const std::exception& e) {
    std::cerr << "status: " << e.what() << "\n\n" << kHelp;
    return 2;
  }
  if (!state_filter.empty() && !chain::state_from_string(state_filter)) {
    std::cerr << "status: unknown state '" << state_filter << "'\n";
    return 2;
  }
  if (store_path.empty()) {
    if (!config_file.empty()) {
      try {
        store_path = cli::load_config(config_file).store;
      } catch (const cli::ConfigError& e) {
        std::cerr << "status: " << e.what() << "\n";
        return 2;
      }
    } else {
      store_path = "dockhand.sqlite";
    }
  }
  if (follow_events) return follow(store_path, until_done, timeout_s);
  if (!std::filesystem::exists(store_path)) {
    std::cerr << "status: no store at " << store_path << " (serve creates it; pass --store or --config)\n";
    return 1;
  }
  chain::SystemClock clock;
  chain::Store store(store_path, clock);
  // The store's health as serve last saw it; on stderr with --json, so the JSON stays what scripts read.
  if (auto health = chain::Store::read_health(store_path); health && health->state != "ok")
    (as_json ? std::cerr : std::cout) << "store health: " << (health->state == "disk_full" ? "DISK FULL" : health->state)
                                      << " since " << health->since << " (seen by serve, pid " << health->pid
                                      << "): " << health->detail << "; nothing is lost, serve goes on once there is room\n";

  std::vector<chain::RequestRecord> requests;
  if (id) {
    auto r = store.request(*id);
    if (!r) {
      std::cerr << "status: no routing request #" << *id << " in " << store_path << "\n";
      return 1;
    }
    requests.push_back(*r);
  } else {
    for (auto& r : store.requests())
      if (state_filter.empty() || chain::to_string(r.state) == state_filter) requests.push_back(std::move(r));
    if (last && requests.size() > last) requests.erase(requests.begin(), requests.end() - static_cast<long>(last));
  }

  json out = json::array();
  for (const auto& r : requests) {
    auto j = request_json(store, r, id.has_value(), !brief);
    if (as_json)
      out.push_back(std::move(j));
    else
      print_text(j, id.has_value());
  }
  if (as_json) std::cout << (id ? out[0] : out).dump(2) << "\n";
  else if (requests.empty()) std::cout << "no routing requests" << (state_filter.empty() ? "" : " in state " + state_filter) << "\n";
  return 0;
}

const dockhand::cli::Registration reg{"status", "[ID] [--store FILE | --config FILE] [--json]",
                                      "Show each routing request with its state, shipments and timeline", run_status};

}  // namespace
