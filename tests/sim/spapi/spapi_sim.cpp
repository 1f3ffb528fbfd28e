// dockhand-spapi-sim: an Amazon SP-API (Vendor Shipments, Vendor Transaction Status) and LWA simulator on
// 127.0.0.1, with switchable faults, for tests and the demo. See --help.
#include "sim_payload.h"
#include "simulator.h"

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

using dockhand::sim::apply_scoped_fault;
using dockhand::sim::Simulator;

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
