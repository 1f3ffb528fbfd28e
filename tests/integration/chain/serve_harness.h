// Runs the real `dockhand-orchestrator serve` process for integration tests and benchmarks: a private
// folder with warehouse order data, secret files, a config pointing at the SP-API simulator
// (scripts/with-spapi-sim.sh) and a Maildir or IMAP inbox; starting, signalling and reaping the process;
// reading its store.
#pragma once

#include "orchestrator/chain/store.h"
#include "orchestrator/mail/maildir_source.h"
#include "orchestrator/pretender/pretender.h"
#include "tests/integration/spapi/sim_admin.h"

#include <nlohmann/json.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace dockhand::chain {
inline void PrintTo(State state, std::ostream* os) { *os << to_string(state); }
}  // namespace dockhand::chain

namespace dockhand::serve_testing {

namespace fs = std::filesystem;
using nlohmann::json;

inline std::string iso_day(int days_from_today) {
  auto day = std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now()) + std::chrono::days(days_from_today);
  std::chrono::year_month_day ymd{day};
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", int(ymd.year()), unsigned(ymd.month()), unsigned(ymd.day()));
  return buf;
}

inline std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A PO in the warehouse data: vendor ABCDE (or `vendor`), ship-from ORL1, window from tomorrow for 5 days,
// `cartons` cartons of 20 lb, 16x12x10 in, on one pallet. Passes every default rule.
inline void add_order(pretender::OrderDatabase& db, const std::string& po, const std::string& fc, int cartons = 4,
                      const std::string& vendor = "ABCDE") {
  pretender::Order o;
  o.po = po;
  o.vendor_code = vendor;
  o.ship_from = "ORL1";
  o.destination_fc = fc;
  o.ship_window_start = iso_day(1);
  o.ship_window_end = iso_day(6);
  o.lines.push_back({"B07XYZ1234", cartons * 6});
  for (int i = 1; i <= cartons; ++i) {
    char id[32];
    std::snprintf(id, sizeof id, "%s-C%03d", po.c_str(), i);
    o.cartons.push_back({id, 20.0, 16, 12, 10, "PAL-" + po});
  }
  db.upsert(o);
}

// A routing-request email in the "key: value" style, one block per PO. `vendor` "" names no vendor code.
inline std::string routing_email(const std::string& message_id, const std::vector<std::pair<std::string, std::string>>& pos,
                                 int cartons = 4, const std::string& vendor = "ABCDE",
                                 const std::string& from = "Amazon Routing <routing-requests@amazon.example>") {
  std::string m = "From: " + from + "\r\nTo: routing@dockhand-3pl.example\r\n"
                  "Subject: Routing request" + (vendor.empty() ? "" : " for vendor " + vendor) +
                  "\r\nDate: Tue, 01 Dec 2026 09:00:00 +0000\r\n"
                  "Message-ID: <" + message_id + ">\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
                  "Hello,\r\n\r\nPlease submit the routing request below.\r\n\r\n" +
                  (vendor.empty() ? "" : "Vendor code: " + vendor + "\r\n") + "Ship from: ORL1\r\n"
                  "Freight ready date: " + iso_day(1) + "\r\n\r\n";
  for (const auto& [po, fc] : pos)
    m += "PO: " + po + "\r\nDestination FC: " + fc + "\r\nShip window: " + iso_day(1) + " - " + iso_day(6) +
         "\r\nCartons: " + std::to_string(cartons) + "\r\nPallets: 1\r\nWeight: " + std::to_string(cartons * 20) +
         " lb\r\n\r\n";
  return m + "Thank you,\r\nAmazon Transportation\r\n";
}

// The shipment identifier the pre-tender gives these POs (vendor ABCDE or `vendor`, ship-from ORL1).
inline std::string shipment_id(const std::string& fc, const std::vector<std::string>& pos,
                               const std::string& vendor = "ABCDE") {
  return pretender::vendor_shipment_identifier(vendor, "ORL1", fc, pos);
}

// Polls `predicate` until it holds. The bound only guards against a hang; nothing is timed.
inline bool eventually(const std::function<bool()>& predicate, std::chrono::seconds bound = std::chrono::seconds(60)) {
  auto until = std::chrono::steady_clock::now() + bound;
  while (std::chrono::steady_clock::now() < until) {
    if (predicate()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  return predicate();
}

// One `dockhand-orchestrator serve` process. Killed (SIGKILL) and reaped on destruction whatever happened.
class ServeProcess {
 public:
  ServeProcess(const fs::path& config, const fs::path& output, const std::map<std::string, std::string>& env = {}) {
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
      FILE* out = std::fopen(output.c_str(), "a");
      if (out) {
        ::dup2(::fileno(out), 1);
        ::dup2(::fileno(out), 2);
      }
      ::execl(DOCKHAND_ORCHESTRATOR_BIN, DOCKHAND_ORCHESTRATOR_BIN, "serve", "--config", config.c_str(),
              static_cast<char*>(nullptr));
      std::perror("exec dockhand-orchestrator");
      ::_exit(127);
    }
  }
  ~ServeProcess() {
    if (pid_ > 0 && !status_) {
      ::kill(pid_, SIGKILL);
      int st = 0;
      ::waitpid(pid_, &st, 0);
    }
  }
  ServeProcess(const ServeProcess&) = delete;
  ServeProcess& operator=(const ServeProcess&) = delete;

  pid_t pid() const { return pid_; }
  bool running() {
    poll();
    return !status_;
  }
  // The wait status once it ended (nullopt when still running after `bound`).
  std::optional<int> wait_exit(std::chrono::milliseconds bound) {
    eventually([&] { return !running(); }, std::chrono::duration_cast<std::chrono::seconds>(bound) + std::chrono::seconds(1));
    return status_;
  }
  std::optional<int> stop(int sig = SIGTERM, std::chrono::milliseconds bound = std::chrono::milliseconds(20000)) {
    if (running()) ::kill(pid_, sig);
    return wait_exit(bound);
  }

 private:
  void poll() {
    if (status_ || pid_ <= 0) return;
    int st = 0;
    if (::waitpid(pid_, &st, WNOHANG) == pid_) status_ = st;
  }
  pid_t pid_ = -1;
  std::optional<int> status_;
};

// A private orchestrator installation: config, secrets, order data, inbox, store.
class ServeEnv {
 public:
  explicit ServeEnv(const std::string& name) {
    dir = fs::temp_directory_path() / ("dockhand-serve-" + std::to_string(::getpid()) + "-" + name);
    fs::remove_all(dir);
    fs::create_directories(dir);
    orders = std::make_unique<pretender::OrderDatabase>((dir / "orders.sqlite").string(), true);
    secret("lwa-client-secret", spapi::testing::kClientSecret);
    secret("lwa-refresh-token", spapi::testing::kRefreshToken);
    const std::string sim = spapi::testing::sim_url();
    config = {{"store", "store.sqlite"},
              {"orders_db", "orders.sqlite"},
              {"mail", {{"source", "maildir"}, {"poll_interval_ms", 100}, {"maildir", {{"path", "inbox"}}}}},
              {"spapi",
               {{"endpoint", sim},
                {"lwa_endpoint", sim + "/auth/o2/token"},
                {"client_id", spapi::testing::kClientId},
                {"client_secret_file", "lwa-client-secret"},
                {"refresh_token_file", "lwa-refresh-token"},
                {"request_timeout_ms", 3000},
                {"connect_timeout_ms", 1000},
                {"max_retries", 2},
                {"backoff_base_ms", 20},
                {"backoff_cap_ms", 200}}},
              {"chain",
               {{"poll_initial_ms", 50},
                {"poll_max_ms", 200},
                {"retry_initial_ms", 100},
                {"retry_max_ms", 500},
                {"uncertain_grace_ms", 2000}}},
              {"logging", {{"level", "debug"}, {"format", "json"}, {"file", "serve.log"}}}};
  }
  ~ServeEnv() {
    store_.reset();
    orders.reset();
    if (!std::getenv("DOCKHAND_KEEP_TEST_DIRS")) fs::remove_all(dir);
  }

  void secret(const std::string& name, const std::string& value) {
    auto p = dir / name;
    std::ofstream(p) << value << "\n";
    fs::permissions(p, fs::perms::owner_read | fs::perms::owner_write);
  }
  fs::path write_config() {
    auto p = dir / "config.json";
    std::ofstream(p) << config.dump(2);
    return p;
  }
  std::unique_ptr<ServeProcess> start(const std::map<std::string, std::string>& env = {}) {
    auto p = write_config();
    return std::make_unique<ServeProcess>(p, dir / "serve.out", env);
  }
  std::string deliver(const std::string& bytes) { return mail::MaildirSource::deliver(dir / "inbox", bytes); }
  std::size_t undelivered_maildir() const {
    std::size_t n = 0;
    for (const char* sub : {"new", "cur"}) {
      std::error_code ec;
      for (auto it = fs::directory_iterator(dir / "inbox" / sub, ec); !ec && it != fs::directory_iterator(); ++it) ++n;
    }
    return n;
  }

  // The serve process's store, opened beside it (WAL: reading while it writes is fine).
  chain::Store& store() {
    if (!store_) store_ = std::make_unique<chain::Store>((dir / "store.sqlite").string(), clock_);
    return *store_;
  }
  void close_store() { store_.reset(); }
  std::vector<chain::RequestRecord> requests() {
    if (!fs::exists(dir / "store.sqlite")) return {};
    return store().requests();
  }
  bool all_in(chain::State state, std::size_t count) {
    auto rs = requests();
    if (rs.size() != count) return false;
    for (const auto& r : rs)
      if (r.state != state) return false;
    return true;
  }
  // All `count` requests CONFIRMED with Amazon's shipment details stored (the step right after CONFIRMED).
  bool all_confirmed(std::size_t count) {
    if (!all_in(chain::State::CONFIRMED, count)) return false;
    for (const auto& r : requests())
      for (const auto& s : store().shipments(r.id))
        if (!s.details.is_object()) return false;
    return true;
  }
  bool none_in_progress(std::size_t count) {
    auto rs = requests();
    if (rs.size() != count) return false;
    for (const auto& r : rs)
      if (!chain::is_final(r.state) && r.state != chain::State::CONFIRMED) return false;
    return true;
  }
  std::size_t count_in_logs(const std::string& text) const {
    auto logs = slurp(dir / "serve.log");
    std::size_t n = 0;
    for (auto pos = logs.find(text); pos != std::string::npos; pos = logs.find(text, pos + 1)) ++n;
    return n;
  }
  std::string logs() const { return slurp(dir / "serve.log") + slurp(dir / "serve.out"); }

  // Runs a dockhand-orchestrator subcommand; returns (exit code, stdout).
  std::pair<int, std::string> cli(const std::string& args) const {
    std::string command = std::string(DOCKHAND_ORCHESTRATOR_BIN) + " " + args + " 2>&1";
    FILE* p = ::popen(command.c_str(), "r");
    if (!p) throw std::runtime_error("popen failed");
    std::string out;
    char buf[4096];
    while (std::size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
    int st = ::pclose(p);
    return {WIFEXITED(st) ? WEXITSTATUS(st) : -1, out};
  }

  fs::path dir;
  json config;
  std::unique_ptr<pretender::OrderDatabase> orders;

 private:
  chain::SystemClock clock_;
  std::unique_ptr<chain::Store> store_;
};

// Every request of the store, one line each, for failure messages: "#3 NEEDS_ATTENTION [Acme] (reason) {last error}".
inline std::string states(ServeEnv& env) {
  std::string out;
  for (const auto& r : env.requests())
    out += "#" + std::to_string(r.id) + " " + std::string(chain::to_string(r.state)) +
           (r.account.empty() ? "" : " [" + r.account + "]") + (r.reason.empty() ? "" : " (" + r.reason + ")") +
           (r.last_error.empty() ? "" : " {" + r.last_error + "}") + "\n";
  return out;
}

}  // namespace dockhand::serve_testing
