// dockhand-orchestrator status [ID]: each routing request with its state and timeline (the event log).
#include "command.h"

#include "args.h"
#include "config.h"
#include "timeline.h"

#include "orchestrator/chain/store.h"
#include "orchestrator/pretender/sqlite_db.h"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <thread>

namespace {

using namespace dockhand;
using nlohmann::json;

const char* kHelp =
    "usage: dockhand-orchestrator status [ID] [--store FILE | --config FILE] [--state STATE] [--last N]\n"
    "                                    [--brand BRAND] [--counts] [--json] [--verbose]\n"
    "                                    [--follow [--until-done N] [--timeout S]]\n"
    "\n"
    "Without ID: one line per routing request, newest first: id, when it was received, vendor, brand (the\n"
    "account whose Amazon authorization it runs under), POs, state,\n"
    "age, and what happens next (for NEEDS_ATTENTION, REJECTED and QUARANTINED: the reason a person must\n"
    "read). With ID (12 or #12): that request in full: its shipments with Amazon's answers, the extracted\n"
    "fields, the rule findings, the close-out references, and its timeline. The store is opened read-only:\n"
    "status never changes it, and can read it while serve runs.\n"
    "\n"
    "  --store FILE   the store (default: the config's \"store\", else ./dockhand.sqlite)\n"
    "  --config FILE  take the store path from this config\n"
    "  --state STATE  only requests in this state, in any case (done, needs_attention, ...)\n"
    "  --last N       the N most recent requests (default 20; 0: all)\n"
    "  --brand BRAND  only requests bound to this brand's account (\"-\": bound to none yet)\n"
    "  --counts       the number of requests per brand and state, instead of the requests\n"
    "  --json         JSON for programs (numbers and booleans as such), instead of text\n"
    "  --verbose      the timeline with every event (agents' step progress, dispatches, bookkeeping)\n"
    "  --follow       print each step as it happens, one line each (every request; waits for the store)\n"
    "  --until-done N with --follow: stop once N requests are DONE (exit 0), or as soon as one is\n"
    "                 NEEDS_ATTENTION, REJECTED or QUARANTINED (exit 1, with its reason)\n"
    "  --timeout S    with --follow: give up after S seconds (exit 4)\n"
    "\n"
    "Exit status: 0 shown; 1 no such request, or (--until-done) a request needs a person; 2 bad arguments,\n"
    "or the store is missing, unreadable or not a Dockhand store; 4 --timeout ran out.\n";

std::vector<std::string> state_names() {
  std::vector<std::string> names;
  for (auto s : {chain::State::RECEIVED, chain::State::EXTRACTED, chain::State::PLANNED, chain::State::SUBMITTED,
                 chain::State::CONFIRMED, chain::State::CLOSING_OUT, chain::State::DONE, chain::State::NEEDS_ATTENTION,
                 chain::State::REJECTED, chain::State::DUPLICATE, chain::State::OTHER, chain::State::QUARANTINED,
                 chain::State::CANCELLED, chain::State::RESOLVED})
    names.emplace_back(chain::to_string(s));
  return names;
}

// --follow: a live timeline for the demo and an operator watching a run, one line per step a person cares
// about (every event with --verbose).
int follow(const std::string& store_path, std::size_t until_done, double timeout_s, bool verbose) {
  using namespace std::chrono;
  const auto deadline = steady_clock::now() + duration_cast<steady_clock::duration>(duration<double>(timeout_s));
  auto timed_out = [&] { return timeout_s > 0 && steady_clock::now() >= deadline; };
  while (!std::filesystem::exists(store_path)) {
    if (timed_out()) {
      std::cerr << "status: no store appeared at " << store_path << " within " << timeout_s << " s\n";
      return cli::exit_code::stopped;
    }
    std::this_thread::sleep_for(milliseconds(200));
  }
  chain::SystemClock clock;
  std::unique_ptr<chain::Store> opened;
  // serve may have created the file and not yet its tables: wait for the store to be one.
  while (!opened) {
    try {
      opened = std::make_unique<chain::Store>(store_path, clock, chain::StoreAccess::read_only);
    } catch (const chain::StoreFormatError& e) {
      if (std::string(e.what()).find("empty SQLite file") == std::string::npos) throw cli::UsageError(e.what());
      if (timed_out()) {
        std::cerr << "status: " << e.what() << "\n";
        return cli::exit_code::stopped;
      }
      std::this_thread::sleep_for(milliseconds(200));
    }
  }
  chain::Store& store = *opened;
  std::int64_t last_event = 0;
  for (bool first = true;; first = false) {
    const std::int64_t seen = last_event;
    for (const auto& e : store.events_after(last_event)) {
      if (auto line = cli::timeline_line(e, store, verbose)) std::cout << *line << std::endl;
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
      if (stuck) return cli::exit_code::failed;
      if (store.in_state(chain::State::DONE).size() >= until_done) return cli::exit_code::ok;
    }
    if (timed_out()) {
      std::cerr << "status: gave up after " << timeout_s << " s\n";
      return cli::exit_code::stopped;
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

json effect_json(const chain::NoticeEffect& e) {
  return {{"notice", e.notice},   {"subject", e.subject}, {"kind", e.kind},     {"po", e.po},
          {"request", e.request ? json(*e.request) : json()},  {"shipment", e.shipment}, {"action", e.action},
          {"reason", e.reason.empty() ? json() : json(e.reason)}, {"brand", e.brand}, {"detail", e.detail},
          {"time", e.updated_at}};
}

// "email #12 'PO 3L5HJ8RA cancelled': cancellation PO 3L5HJ8RA -> #7 removed (...)"
std::string effect_line(const chain::NoticeEffect& e) {
  std::string line = "email #" + std::to_string(e.notice) + (e.subject.empty() ? "" : " '" + e.subject + "'") + ": " +
                     e.kind + (e.po.empty() ? "" : " PO " + e.po) + (e.reason.empty() ? "" : " (" + e.reason + ")") +
                     " -> " + (e.request ? "#" + std::to_string(*e.request) : std::string("no request")) + " " +
                     e.action + (e.shipment.empty() ? "" : " " + e.shipment);
  if (!e.detail.empty()) line += ": " + (e.detail.size() > 120 ? e.detail.substr(0, 117) + "..." : e.detail);
  return line;
}

json request_json(chain::Store& store, const chain::RequestRecord& r, bool full, std::int64_t now_ms) {
  auto x = cli::summarize_extracted(r.extracted);
  json j = {{"id", r.id},
            {"state", std::string(chain::to_string(r.state))},
            {"source", r.source_id},
            {"message_id", r.message_id ? json(*r.message_id) : json()},
            {"received_at", r.created_at},
            {"updated_at", r.updated_at},
            {"vendor", x.vendor.empty() ? json() : json(x.vendor)},
            {"pos", x.pos},
            {"next", cli::next_step(r, now_ms)},
            {"attempts", r.attempts},
            {"account", r.account.empty() ? json() : json(r.account)}};
  if (!r.reason.empty()) j["reason"] = r.reason;
  if (!r.last_error.empty()) j["last_error"] = r.last_error;
  if (r.duplicate_of) j["duplicate_of"] = *r.duplicate_of;
  j["next_attempt_ms"] = r.next_attempt_ms ? json(*r.next_attempt_ms) : json();
  json shipments = json::array();
  for (const auto& s : store.shipments(r.id)) shipments.push_back(shipment_json(s));
  j["shipments"] = shipments;
  if (r.outputs.is_object()) j["outputs"] = r.outputs;
  json notices = json::array();  // what cancellation, change and chargeback emails did to it (or it did)
  for (const auto& e : store.notice_effects(r.id, 50)) notices.push_back(effect_json(e));
  if (!notices.empty()) j["notices"] = notices;
  if (full) {
    j["extracted"] = r.extracted;
    j["findings"] = r.findings;
    j["evidence"] = r.evidence;
    json events = json::array();
    for (const auto& e : store.events(r.id))
      events.push_back({{"time", e.time}, {"actor", e.actor}, {"step", e.step}, {"detail", cli::typed_detail(e)}});
    j["timeline"] = events;
  } else if (r.findings.is_array()) {
    json errors = json::array();
    for (const auto& f : r.findings)
      if (f.value("severity", "") == "error") errors.push_back(f);
    if (!errors.empty()) j["findings"] = errors;
  }
  return j;
}

std::string str(const json& j, const char* key) {
  return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string();
}

// "2026-12-06T16:40:02.123Z" -> milliseconds since the epoch (0 when it is not that).
std::int64_t iso_to_ms(const std::string& iso) {
  std::tm tm{};
  int ms = 0;
  if (std::sscanf(iso.c_str(), "%d-%d-%dT%d:%d:%d.%dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
                  &tm.tm_sec, &ms) < 6)
    return 0;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<std::int64_t>(timegm(&tm)) * 1000 + ms;
}

std::string age(std::int64_t from_ms, std::int64_t now_ms) {
  if (from_ms <= 0) return "?";
  auto s = std::max<std::int64_t>(0, (now_ms - from_ms) / 1000);
  if (s < 60) return std::to_string(s) + "s";
  if (s < 3600) return std::to_string(s / 60) + "m";
  if (s < 48 * 3600) return std::to_string(s / 3600) + "h";
  return std::to_string(s / 86400) + "d";
}

// One line per request, columns padded to the widest value; "what happens next" last, cut to fit.
void print_table(const std::vector<json>& rows, std::int64_t now_ms) {
  std::vector<std::vector<std::string>> cells = {
      {"ID", "RECEIVED (UTC)", "VENDOR", "BRAND", "POS", "STATE", "AGE", "NEXT"}};
  for (const auto& r : rows) {
    std::string received = str(r, "received_at");
    received = received.size() >= 19 ? received.substr(5, 5) + " " + received.substr(11, 8) : received;
    std::string next = str(r, "next");
    if (next.size() > 70) next = next.substr(0, 67) + "...";
    cells.push_back({"#" + std::to_string(r["id"].get<std::int64_t>()), received,
                     r["vendor"].is_string() ? r["vendor"].get<std::string>() : "-",
                     r["account"].is_string() ? r["account"].get<std::string>() : "-", std::to_string(r["pos"].size()), str(r, "state"), age(iso_to_ms(str(r, "received_at")), now_ms),
                     next});
  }
  std::vector<std::size_t> width(cells[0].size(), 0);
  for (const auto& row : cells)
    for (std::size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
  for (const auto& row : cells) {
    std::string line;
    for (std::size_t c = 0; c < row.size(); ++c) {
      bool right = c == 4;  // counts line up on the right
      std::string pad(width[c] - row[c].size(), ' ');
      line += c + 1 == row.size() ? row[c] : (right ? pad + row[c] : row[c] + pad) + "  ";
    }
    std::cout << line << "\n";
  }
}

// One request in full, for a person.
void print_request(chain::Store& store, const json& r, bool verbose) {
  std::cout << "#" << r["id"].get<std::int64_t>() << "  " << str(r, "state") << "  received " << str(r, "received_at")
            << "  updated " << str(r, "updated_at") << "  " << str(r, "source") << "\n";
  if (r["account"].is_string()) std::cout << "    brand " << str(r, "account") << "\n";
  auto x = cli::summarize_extracted(r["extracted"]);
  if (!x.pos.empty() || !x.vendor.empty()) {
    std::cout << "    vendor " << (x.vendor.empty() ? "?" : x.vendor) << ", " << cli::count(x.pos.size(), "PO");
    for (std::size_t i = 0; i < x.pos.size(); ++i) std::cout << (i ? ", " : " ") << x.pos[i];
    std::cout << "\n";
  }
  std::cout << "    next: " << str(r, "next") << "\n";
  if (r.contains("last_error") && str(r, "state") != "DONE")
    std::cout << "    last error (" << cli::count(r["attempts"].get<int>(), "attempt") << "): " << str(r, "last_error")
              << "\n";
  if (r["findings"].is_array())
    for (const auto& f : r["findings"])
      std::cout << "    " << f.value("severity", "") << " [" << f.value("rule", "") << "]"
                << (f.value("po", "").empty() ? "" : " PO " + f.value("po", "")) << " " << f.value("message", "")
                << "\n";
  for (const auto& s : r["shipments"]) {
    std::cout << "    shipment " << str(s, "vendor_shipment_identifier") << "  " << str(s, "state") << "  to "
              << str(s, "destination_fc") << ", " << cli::count(s["cartons"].get<int>(), "carton") << ", "
              << cli::count(s["pallets"].get<int>(), "pallet");
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
  if (r.contains("outputs"))
    for (const auto& s : r["outputs"].value("shipments", json::array())) {
      std::cout << "    closed out " << s.value("vendor_shipment_identifier", "?") << ": BOL " << s.value("bol", "?");
      const json erp_refs = s.value("erp", json::object());  // held: items() refers to it
      for (const auto& [po, ref] : erp_refs.items())
        std::cout << ", PO " << po << " PT reference " << (ref.is_string() ? ref.get<std::string>() : "?");
      std::cout << "\n";
    }
  if (r.contains("notices"))
    for (const auto& e : store.notice_effects(r["id"].get<std::int64_t>(), 50)) std::cout << "    " << effect_line(e) << "\n";
  if (r.contains("message_id") && r["message_id"].is_string()) std::cout << "    Message-ID: " << str(r, "message_id") << "\n";
  if (verbose) {
    if (!r["extracted"].is_null()) std::cout << "    extracted: " << r["extracted"].dump() << "\n";
    if (!r["evidence"].is_null()) std::cout << "    evidence: " << r["evidence"].dump() << "\n";
  } else if (!r["evidence"].is_null()) {
    std::cout << "    evidence kept (--verbose or --json shows it)\n";
  }
  std::cout << "    timeline" << (verbose ? "" : " (--verbose: every event)") << ":\n";
  for (const auto& e : store.events(r["id"].get<std::int64_t>()))
    if (auto what = cli::narrate(e, store, verbose))
      std::cout << "      " << e.time.substr(0, std::min<std::size_t>(e.time.size(), 19)) << "  " << *what << "\n";
}

// Chargebacks per brand and reason (`status --chargebacks`): whether Dockhand reduces them.
int print_chargebacks(chain::Store& store, bool as_json) {
  auto counts = store.chargeback_counts();
  if (as_json) {
    json rows = json::array();
    for (const auto& [key, n] : counts) rows.push_back({{"brand", key.first.empty() ? json() : json(key.first)}, {"reason", key.second}, {"count", n}});
    std::cout << rows.dump(2) << "\n";
    return cli::exit_code::ok;
  }
  if (counts.empty()) {
    std::cout << "no chargebacks recorded\n";
    return cli::exit_code::ok;
  }
  std::map<std::string, std::map<std::string, std::int64_t>> by_brand;
  for (const auto& [key, n] : counts) by_brand[key.first.empty() ? "-" : key.first][key.second] = n;
  std::cout << "BRAND  LATE_ASN  ROUTING  LABELS  OTHER  TOTAL\n";
  for (const auto& [brand, reasons] : by_brand) {
    std::int64_t total = 0;
    for (const auto& [reason, n] : reasons) total += n;
    auto at = [&](const char* k) { return reasons.count(k) ? reasons.at(k) : 0; };
    std::cout << brand << "  " << at("late_asn") << "  " << at("routing") << "  " << at("labels") << "  " << at("other")
              << "  " << total << "\n";
  }
  return cli::exit_code::ok;
}

// Under the table: the latest effects of notices (cancellations, changes, chargebacks) with their emails.
void print_recent_notices(chain::Store& store) {
  auto effects = store.notice_effects(std::nullopt, 8);
  if (effects.empty()) return;
  std::cout << "notices (latest first; status --chargebacks counts chargebacks):\n";
  for (const auto& e : effects) std::cout << "  " << effect_line(e) << "\n";
}

// The store to read: --store, else the config's, else ./dockhand.sqlite. A missing file is a usage error.
chain::Store open_store(const std::string& path, chain::SystemClock& clock) {
  auto reason = sqlite::unreadable_reason(path);
  if (reason == "no such file")
    throw cli::UsageError("no store at " + path + " (serve creates it; pass --store FILE or --config FILE)");
  if (!reason.empty()) throw cli::UsageError("--store: cannot read \"" + path + "\": " + reason);
  try {
    return chain::Store(path, clock, chain::StoreAccess::read_once);
  } catch (const chain::StoreFormatError& e) {
    throw cli::UsageError(e.what());
  } catch (const sqlite::SqliteError& e) {
    throw cli::UsageError(e.what());
  }
}

// Per brand, per state: what an operator of many brands looks at first.
int print_counts(const std::vector<chain::RequestRecord>& requests, bool as_json) {
  json table = json::object();
  for (const auto& r : requests) {
    auto& row = table[r.account.empty() ? "-" : r.account];
    if (!row.is_object()) row = json::object();
    const std::string state(chain::to_string(r.state));
    row[state] = row.value(state, 0) + 1;
  }
  if (as_json) {
    std::cout << table.dump(2) << "\n";
    return cli::exit_code::ok;
  }
  for (auto it = table.begin(); it != table.end(); ++it) {
    std::cout << (it.key() == "-" ? "(no brand)" : it.key()) << ":";
    for (auto s = it->begin(); s != it->end(); ++s) std::cout << "  " << s.key() << " " << s->get<int>();
    std::cout << "\n";
  }
  if (table.empty()) std::cout << "no routing requests\n";
  return cli::exit_code::ok;
}

int run_status(const std::vector<std::string>& args) {
  std::string store_path, config_file, state_filter, id_text, brand_filter;
  bool counts = false;
  std::size_t last = 20, until_done = 0;
  double timeout_s = 0;
  bool as_json = false, follow_events = false, verbose = false;
  CLI::App app{"", "dockhand-orchestrator status"};
  app.add_option("ID", id_text)
      ->transform(CLI::Validator(
          [](std::string& v) {
            if (!v.empty() && v[0] == '#') v.erase(0, 1);  // "#12", as the timeline writes it
            return std::string();
          },
          ""))
      ->check(cli::whole_number("a request id", "status 12 or status #12", 1));
  app.add_option("--store", store_path);
  app.add_option("--config", config_file);
  app.add_option("--state", state_filter)->transform(cli::one_of("a state", state_names()));
  app.add_option("--last", last)->check(cli::whole_number("a number of requests", "--last 20"));
  app.add_option("--brand", brand_filter);
  app.add_flag("--counts", counts);
  bool chargebacks = false;
  app.add_flag("--chargebacks", chargebacks);
  app.add_flag("--json", as_json);
  app.add_flag("--verbose,-v", verbose);
  app.add_flag("--follow", follow_events);
  app.add_option("--until-done", until_done)->check(cli::whole_number("a number of requests", "--until-done 3", 1));
  app.add_option("--timeout", timeout_s)->check(cli::seconds("--timeout 300"));
  if (auto code = cli::parse(app, args, kHelp)) return *code;
  if (!store_path.empty() && !config_file.empty())
    throw cli::UsageError("--store and --config both say where the store is: give one");
  if ((until_done || timeout_s > 0) && !follow_events)
    throw cli::UsageError(std::string(until_done ? "--until-done" : "--timeout") + " goes with --follow");
  if (store_path.empty()) {
    if (!config_file.empty()) {
      try {
        store_path = cli::load_config(config_file).store;
      } catch (const cli::ConfigError& e) {
        throw cli::UsageError(std::string("--config: ") + e.what());
      }
    } else {
      store_path = "dockhand.sqlite";
    }
  }
  if (follow_events) return follow(store_path, until_done, timeout_s, verbose);

  chain::SystemClock clock;
  auto store = open_store(store_path, clock);
  // The store's health as serve last saw it; on stderr with --json, so the JSON stays what scripts read.
  if (auto health = chain::Store::read_health(store_path); health && health->state != "ok")
    (as_json ? std::cerr : std::cout) << "store health: " << (health->state == "disk_full" ? "DISK FULL" : health->state)
                                      << " since " << health->since << " (seen by serve, pid " << health->pid
                                      << "): " << health->detail << "; nothing is lost, serve goes on once there is room\n";
  const auto now_ms = clock.now_ms();
  if (!id_text.empty()) {
    auto id = std::stoll(id_text);
    auto r = store.request(id);
    if (!r) {
      std::cerr << "status: no routing request #" << id << " in " << store_path << " (it holds "
                << cli::count(static_cast<long long>(store.count_requests()), "request") << ")\n";
      return cli::exit_code::failed;
    }
    auto j = request_json(store, *r, true, now_ms);
    if (as_json) std::cout << j.dump(2) << "\n";
    else print_request(store, j, verbose);
    return cli::exit_code::ok;
  }

  auto all = store.requests();
  std::vector<chain::RequestRecord> matching;
  for (auto it = all.rbegin(); it != all.rend(); ++it)  // newest first
    if ((state_filter.empty() || chain::to_string(it->state) == state_filter) &&
        (brand_filter.empty() || it->account == brand_filter || (brand_filter == "-" && it->account.empty())))
      matching.push_back(std::move(*it));
  if (counts) return print_counts(matching, as_json);
  if (chargebacks) return print_chargebacks(store, as_json);
  const std::size_t total = matching.size();
  if (last && matching.size() > last) matching.resize(last);
  std::vector<json> rows;
  for (const auto& r : matching) rows.push_back(request_json(store, r, false, now_ms));
  if (as_json) {
    std::cout << json(rows).dump(2) << "\n";
    return cli::exit_code::ok;
  }
  const std::string in_state = state_filter.empty() ? "" : " in state " + state_filter;
  if (rows.empty()) {
    std::cout << "no routing requests" << in_state << " in " << store_path << "\n";
    return cli::exit_code::ok;
  }
  print_table(rows, now_ms);
  print_recent_notices(store);
  if (rows.size() < total)
    std::cout << rows.size() << " of " << cli::count(static_cast<long long>(total), "request") << in_state
              << ", newest first (--last N shows N, --last 0 all; status ID shows one in full)\n";
  else
    std::cout << cli::count(static_cast<long long>(total), "request") << in_state
              << " (status ID shows one in full)\n";
  return cli::exit_code::ok;
}

const dockhand::cli::Registration reg{"status", "[ID] [--store FILE | --config FILE] [--json]",
                                      "Show the routing requests (a table, newest first) or one in full", run_status};

}  // namespace
