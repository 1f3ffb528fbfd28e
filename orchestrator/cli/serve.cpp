// dockhand-orchestrator serve --config FILE: the unattended loop. Mail (Maildir or IMAP) -> store ->
// intake -> pre-tender -> SP-API -> CONFIRMED (-> close-out when a "fleet" section is configured).
#include "command.h"

#include "args.h"

#include "config.h"
#include "logging.h"

#include "agent/protocol/wire.h"
#include "orchestrator/alerts/alerts.h"
#include "orchestrator/chain/chain.h"
#include "orchestrator/console/console.h"
#include "orchestrator/fleet/service.h"
#include "orchestrator/metrics/orchestrator_metrics.h"
#include "orchestrator/pretender/sqlite_db.h"
#include "orchestrator/spapi/authorization.h"

#include <spdlog/spdlog.h>

#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <ctime>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>

namespace {

using namespace dockhand;
using Steady = std::chrono::steady_clock;

const char* kHelp =
    "usage: dockhand-orchestrator serve --config FILE [--check]\n"
    "       dockhand-orchestrator serve --defaults\n"
    "\n"
    "Runs the chain unattended: takes new mail from the Maildir or IMAP mailbox the config names, stores\n"
    "each message before anything else, extracts the routing request, plans the shipments against the\n"
    "warehouse order data and rules, submits them to Amazon's SP-API and polls until Amazon confirms.\n"
    "Requests then stay CONFIRMED, or go on to the close-out when the config has a \"fleet\" section.\n"
    "Killed at any moment (even kill -9), it resumes where it was on the next start; nothing is sent twice.\n"
    "\n"
    "It sleeps until the next request is due or the next mail poll (mail.poll_interval_ms). SIGTERM or\n"
    "SIGINT stop it cleanly after the step in progress. Logs go to stderr (or logging.file), as text or\n"
    "JSON lines (logging.format); secrets are never logged.\n"
    "\n"
    "  --config FILE  the JSON config (docs/configuration.md; every key has a default)\n"
    "  --check        read the config and the secret files, look at the store, order data, rules, mailbox\n"
    "                 and fleet keys, then exit. It writes nothing anywhere: the store, the log file and\n"
    "                 the Maildir folders are only looked at (what serve would create is reported), and\n"
    "                 the IMAP mailbox is only asked for its status (no message is read).\n"
    "  --defaults     print the config with every default and exit\n"
    "\n"
    "On start, a store written by an older Dockhand is migrated to this version's schema (a store of a\n"
    "newer schema is refused by its version, and another program's database is refused: nothing is\n"
    "written to either).\n"
    "\n"
    "Exit status: 0 stopped by a signal (or --check passed), 1 could not start (the reason is logged),\n"
    "2 bad arguments or config.\n";

// The mailbox. With IMAP and an OAuth token file, the token (short-lived: an external tool refreshes the
// file) is read again whenever the file changes, and the connection is opened anew with it; progress is in
// mail.imap.state_file, so nothing is read twice.
class Mailbox {
 public:
  explicit Mailbox(const cli::OrchestratorConfig& config) : config_(config) { open(); }
  mail::MailSource& source() {
    if (!config_.mail.imap_oauth_token_file.empty() && config_.mail.source == "imap") {
      std::error_code ec;
      auto written = std::filesystem::last_write_time(config_.mail.imap_oauth_token_file, ec);
      if (!ec && written != token_written_) {
        try {
          auto token = cli::read_secret_file(config_.mail.imap_oauth_token_file, "mail.imap.oauth_token_file");
          cli::add_log_secret(token);
          config_.mail.imap.xoauth2_bearer = token;
          open();
          spdlog::info("serve: read the IMAP OAuth token again from {} (the file changed)",
                       config_.mail.imap_oauth_token_file);
        } catch (const std::exception& e) {
          spdlog::error("serve: {}; still using the previous token", e.what());
        }
      }
    }
    return *source_;
  }

 private:
  void open() {
    if (config_.mail.source == "imap") {
      std::error_code ec;
      if (!config_.mail.imap_oauth_token_file.empty())
        token_written_ = std::filesystem::last_write_time(config_.mail.imap_oauth_token_file, ec);
      source_ = std::make_unique<mail::ImapSource>(config_.mail.imap);
    } else {
      source_ = std::make_unique<mail::MaildirSource>(config_.mail.maildir);
    }
  }
  cli::OrchestratorConfig config_;
  std::unique_ptr<mail::MailSource> source_;
  std::filesystem::file_time_type token_written_{};
};

// Signals are blocked in every thread and taken synchronously, so the loop can sleep on them.
sigset_t stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGUSR1);  // not a stop: the console made a request due now (wake the loop)
  return set;
}

bool stop_pending() {
  sigset_t pending;
  sigpending(&pending);
  return sigismember(&pending, SIGTERM) || sigismember(&pending, SIGINT);
}

// Sleeps up to `wait`; returns the signal number when one arrived.
int sleep_for_signal(const sigset_t& set, std::chrono::milliseconds wait) {
  if (wait.count() <= 0) return 0;
  timespec ts{static_cast<time_t>(wait.count() / 1000), static_cast<long>((wait.count() % 1000) * 1000000)};
  int sig = sigtimedwait(&set, nullptr, &ts);
  return sig > 0 && sig != SIGUSR1 ? sig : 0;
}

// Whether serve could write `path` (or create it when missing), without writing: "" or the reason.
std::string not_writable(const std::filesystem::path& path) {
  std::error_code ec;
  if (std::filesystem::exists(path, ec))
    return ::access(path.c_str(), W_OK) == 0 ? "" : path.string() + " is not writable (" + std::strerror(errno) + ")";
  auto dir = path.parent_path().empty() ? std::filesystem::path(".") : path.parent_path();
  if (!std::filesystem::is_directory(dir, ec)) return "the folder " + dir.string() + " of " + path.string() + " does not exist";
  if (::access(dir.c_str(), W_OK) != 0)
    return path.string() + " cannot be created: the folder " + dir.string() + " is not writable (" +
           std::strerror(errno) + ")";
  return "";
}

// serve --check: everything serve needs at start, looked at without writing anything anywhere. Returns the
// exit code; each finding is logged (stderr).
int check(const cli::OrchestratorConfig& config) {
  auto failed = [](const std::string& what) {
    spdlog::critical("serve --check: {}", what);
    return cli::exit_code::failed;
  };
  chain::SystemClock clock;
  std::error_code ec;
  if (std::filesystem::exists(config.store, ec)) {
    try {
      chain::Store store(config.store, clock, chain::StoreAccess::read_once);
      spdlog::info("serve --check: store {} holds {}", config.store,
                   cli::count(static_cast<long long>(store.count_requests()), "routing request"));
    } catch (const std::exception& e) {
      return failed(std::string("the store cannot be used: ") + e.what());
    }
  } else {
    spdlog::info("serve --check: no store at {} yet: serve will create it", config.store);
  }
  if (auto why = not_writable(config.store); !why.empty()) return failed("the store: " + why);
  if (!config.logging.file.empty())
    if (auto why = not_writable(config.logging.file); !why.empty()) return failed("logging.file: " + why);
  try {
    pretender::OrderDatabase orders(config.orders_db, sqlite::Access::read_once);
    if (!config.rules_file.empty()) pretender::Rules::from_file(config.rules_file);
    chain::SpapiAmazon amazon(config.spapi);
  } catch (const std::exception& e) {
    return failed(e.what());
  }
  try {
    if (config.mail.source == "imap") {
      auto imap = config.mail.imap;
      imap.state_file.clear();  // progress is not saved; max 0 below: STATUS and SEARCH only, no message read
      mail::ImapSource(imap).fetch_new(0);
    } else {
      auto maildir = config.mail.maildir;
      if (!std::filesystem::exists(maildir.root, ec) && maildir.create) {
        if (auto why = not_writable(maildir.root); !why.empty()) return failed("the Maildir: " + why);
        spdlog::info("serve --check: no Maildir at {} yet: serve will create it", maildir.root.string());
      } else {
        maildir.create = false;
        mail::MaildirSource(maildir).fetch_new(0);
      }
    }
  } catch (const std::exception& e) {
    return failed(std::string("the mailbox cannot be read: ") + e.what());
  }
  if (!config.fleet.is_null()) {
    // Keys readable and an allow-list present; the port is not bound (a running serve may hold it).
    auto resolve = [&config](const std::string& path) { return config.resolve(path); };
    try {
      auto settings = fleet::fleet_settings_from_json(config.fleet, resolve);
      if (!settings.fleet.insecure) {
        protocol::read_secret_key(settings.fleet.server_secret_key);
        auto keys = protocol::read_public_keys(settings.fleet.agent_keys);
        spdlog::info("serve --check: fleet keys fine: {} allow-listed in {}",
                     cli::count(static_cast<long long>(keys.size()), "agent key"), settings.fleet.agent_keys.string());
      }
    } catch (const fleet::SettingsError& e) {
      std::cerr << "serve: " << config.file.string() << ": " << e.what() << "\n";
      return cli::exit_code::usage;
    } catch (const std::exception& e) {
      return failed(std::string("the fleet: ") + e.what());
    }
  }
  if (!config.console.is_null()) {
    try {
      auto options = console::options_from_json(config.console, [&config](const std::string& p) { return config.resolve(p); });
      spdlog::info("serve --check: the console would listen on {}:{} (tokens in {})", options.bind, options.port,
                   options.tokens_file.string());
    } catch (const console::SettingsError& e) {
      std::cerr << "serve: " << config.file.string() << ": " << e.what() << "\n";
      return cli::exit_code::usage;
    }
  }
  spdlog::info("serve --check: config, secrets, store, order data, rules and mailbox are fine");
  return cli::exit_code::ok;
}

int run_serve(const std::vector<std::string>& args) {
  std::string config_file;
  bool check_only = false, defaults = false;
  CLI::App app{"", "dockhand-orchestrator serve"};
  app.add_option("--config", config_file);
  app.add_flag("--check", check_only);
  app.add_flag("--defaults", defaults);
  if (auto code = cli::parse(app, args, kHelp)) return *code;
  if (defaults) {
    // The console is off until its section is there: its defaults are shown as a comment key.
    auto defaults_json = cli::default_config_json();
    defaults_json["_console"] = console::default_options_json();
    defaults_json["_console"]["_"] = "\"console\": {} (or with these keys) starts the Operator Console";
    std::cout << defaults_json.dump(2) << "\n";
    return 0;
  }
  if (config_file.empty())
    throw cli::UsageError("--config FILE is missing (every key has a default: 'dockhand-orchestrator serve --defaults')");

  // First of all, and before any thread exists (libcurl's resolver, the fleet's), so every thread inherits
  // the mask: a SIGTERM from now on is taken by the loop, never the default action.
  const sigset_t signals = stop_signals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  cli::OrchestratorConfig config;
  try {
    config = cli::load_config(config_file);
    cli::load_secrets(config);
  } catch (const cli::ConfigError& e) {
    std::cerr << "serve: " << e.what() << "\n";
    return 2;
  }
  if (check_only) {
    // Logs to stderr: --check does not even create the log file.
    auto logging = config.logging;
    logging.file.clear();
    cli::setup_logging(logging, config.secrets());
    return check(config);
  }
  cli::setup_logging(config.logging, config.secrets());

  chain::SystemClock clock;
  // Metrics (GET /metrics of the console): each room gets a small hook, declared before anything that calls it.
  metrics::Registry registry;
  metrics::OrchestratorMetrics counted(registry);
  std::unique_ptr<alerts::Alerter> alerter;
  std::unique_ptr<chain::Store> store, metrics_store;
  std::unique_ptr<pretender::OrderDatabase> orders;
  // One SP-API client per account: its own LWA token, token buckets and redaction (issue 22).
  std::map<std::string, std::unique_ptr<chain::SpapiAmazon>> amazon;
  std::vector<chain::Account> accounts;
  std::unique_ptr<Mailbox> mailbox;
  pretender::Rules rules;
  try {
    store = std::make_unique<chain::Store>(config.store, clock);
    store->limit_size(config.store_max_bytes);
    if (auto from = store->migrated_from())
      spdlog::info("serve: the store {} was migrated from schema version {} to {}", config.store, *from,
                   chain::Store::kSchemaVersion);
    orders = std::make_unique<pretender::OrderDatabase>(config.orders_db, false);
    rules = config.rules_file.empty() ? pretender::Rules::defaults() : pretender::Rules::from_file(config.rules_file);
    for (const auto& a : config.accounts) {
      auto spapi_config = config.spapi_for(a);
      spapi_config.observe_call = [&counted, brand = a.brand](const spapi::CallObservation& call) {
        counted.spapi_call(brand, call.operation, call.status, call.took);
      };
      auto& client = amazon[a.brand] = std::make_unique<chain::SpapiAmazon>(spapi_config);
      accounts.push_back({a.rule(), client.get()});
    }
    mailbox = std::make_unique<Mailbox>(config);
    // Requests by state and brand are counted at scrape time on a connection of their own (a short read
    // that never waits for the chain's writes).
    metrics_store = std::make_unique<chain::Store>(config.store, clock, chain::StoreAccess::read_only);
    counted.requests_from([&metrics_store] { return metrics_store->count_by_state_and_account(); });
    counted.chargebacks_from([&metrics_store] { return metrics_store->chargeback_counts(); });
    store->on_transition([&counted, &alerter](const chain::Transition& t) {
      counted.transition(t);
      if (alerter && (t.to == chain::State::NEEDS_ATTENTION || t.to == chain::State::REJECTED)) alerter->wake();
    });
  } catch (const std::exception& e) {
    spdlog::critical("serve: cannot start: {}", e.what());
    return 1;
  }
  auto extract_options = config.intake;
  auto chain_options = config.chain;
  // A deadline raised (a request late) is an event, not a transition: it wakes the alerts itself.
  chain_options.on_late = [&alerter](std::int64_t, const std::string&) {
    if (alerter) alerter->wake();
  };
  chain::Chain chain(*store, clock, [extract_options](const std::string& raw) {
    return intake::extract(raw, extract_options);
  }, *orders, rules, accounts, chain_options);

  // ---- THE WEBSITE AUTHORIZATION WORKFLOW (spapi.authorization) -----------------------------------------
  // A brand authorizes the application in its browser; the new refresh token goes to the account's secret
  // file (0600) and into use at once, and the brand's requests stopped for a revoked authorization go on.
  std::unique_ptr<spapi::AuthorizationServer> authorization;
  if (config.authorization) {
    std::vector<std::string> brands;
    for (const auto& a : config.accounts) brands.push_back(a.brand);
    auto accept = [&config, &amazon, &chain](const spapi::NewAuthorization& n) {
      const auto* account = config.account(n.brand);
      if (!account) throw std::runtime_error("no account " + n.brand);
      cli::add_log_secret(n.refresh_token);
      if (!account->selling_partner_id.empty() && n.selling_partner_id != account->selling_partner_id)
        throw std::runtime_error("the authorization came from selling partner " + n.selling_partner_id + ", but " +
                                 n.brand + " is selling partner " + account->selling_partner_id +
                                 " (spapi.accounts[].selling_partner_id); nothing was changed");
      cli::write_secret_file(account->refresh_token_file, n.refresh_token, n.brand + "'s refresh_token_file");
      amazon.at(account->brand)->client().set_refresh_token(n.refresh_token);
      const auto resumed = chain.resume_account(account->brand, account->brand + " authorized the application again");
      spdlog::info("serve: {} authorized (selling partner {}); refresh token stored in {}; {} request(s) go on",
                   account->brand, n.selling_partner_id, account->refresh_token_file, resumed);
      return "Dockhand now acts for " + account->brand + " (selling partner " + n.selling_partner_id + "). " +
             std::to_string(resumed) + " routing request(s) that waited for this authorization go on.";
    };
    try {
      authorization = std::make_unique<spapi::AuthorizationServer>(config.authorization_settings(), brands, accept);
      authorization->start();
    } catch (const std::exception& e) {
      spdlog::critical("serve: cannot start the authorization workflow: {}", e.what());
      return 1;
    }
  }

  // ---- CLOSE-OUT STAGE --------------------------------------------------------------------------------
  // A "fleet" section turns the close-out on (docs/configuration.md): the fleet binds its ROUTER (CURVE with
  // the agent allow-list unless insecure) and the FleetCloseout stage takes CLOSING_OUT requests to DONE or
  // NEEDS_ATTENTION. Without it (absent or null) requests stay CONFIRMED.
  std::unique_ptr<chain::CloseoutStage> closeout;
  if (!config.fleet.is_null()) {
    auto resolve = [&config](const std::string& path) { return config.resolve(path); };
    try {
      auto settings = fleet::fleet_settings_from_json(config.fleet, resolve);
      auto service = std::make_unique<fleet::FleetService>(std::move(settings), *store);
      auto& agents = service->fleet();
      agents.on_event([&counted, &alerter](const fleet::FleetEvent& e) {
        counted.fleet_event(e.kind);
        if (e.kind == "agent_lost" && alerter) alerter->agent_silent(e.agent_id, e.detail);
      });
      counted.agents_from([&agents] {
        std::map<std::string, std::int64_t> states;
        for (const auto& agent : agents.agents()) ++states[agent.job_id.empty() ? "idle" : "busy"];
        return states;
      });
      closeout = std::move(service);
    } catch (const fleet::SettingsError& e) {
      std::cerr << "serve: " << config.file.string() << ": " << e.what() << "\n";
      return 2;
    } catch (const std::exception& e) {
      spdlog::critical("serve: cannot start the fleet: {}", e.what());
      return 1;
    }
  }
  chain.set_closeout(closeout.get());
  // ---- end of the close-out stage ----------------------------------------------------------------------

  // ---- THE OPERATOR CONSOLE (console) -------------------------------------------------------------------
  // Its own threads and its own read connection to the store; actions are short transactions on the
  // chain's store, after which it wakes this loop (SIGUSR1) so the request moves at once.
  std::unique_ptr<pretender::OrderDatabase> console_orders;
  std::unique_ptr<console::Server> console_server;
  if (!config.console.is_null()) {
    try {
      auto options = console::options_from_json(config.console, [&config](const std::string& p) { return config.resolve(p); });
      options.store_path = config.store;
      options.store = store.get();
      // Resubmissions are checked with the chain's rules against order data read on a connection of its own.
      console_orders = std::make_unique<pretender::OrderDatabase>(config.orders_db, false);
      options.plan = [orders = console_orders.get(), rules, &clock, lock = std::make_shared<std::mutex>()](
                         const intake::RoutingRequest& request) {
        std::lock_guard guard(*lock);
        return pretender::plan(request, *orders, rules, clock.now());
      };
      if (auto* service = dynamic_cast<fleet::FleetService*>(closeout.get())) options.fleet = &service->fleet();
      options.wake = [] { ::kill(::getpid(), SIGUSR1); };
      options.metrics = [&registry] { return registry.render(); };
      const auto tokens_file = options.tokens_file;
      console_server = std::make_unique<console::Server>(std::move(options));
      console_server->start();
      // Shown once, on stdout only: never in the log (the scrubber knows it too, in case).
      if (auto token = console_server->generated_token()) {
        cli::add_log_secret(*token);
        std::cout << "console: " << console_server->url() << "/ first operator token (shown only now; its hash is in "
                  << tokens_file.string() << "): " << *token << std::endl;
      }
    } catch (const console::SettingsError& e) {
      std::cerr << "serve: " << config.file.string() << ": " << e.what() << "\n";
      return 2;
    } catch (const std::exception& e) {
      spdlog::critical("serve: cannot start the console: {}", e.what());
      return 1;
    }
  }

  // ---- ALERTS (alerts) ------------------------------------------------------------------------------------
  // Its own threads; the store's transition observer and the fleet's listener (above) only wake it. Made
  // before anything moves (chain.resume) and after the console, whose address the alerts link to.
  if (config.alerts) {
    auto settings = config.alerts->settings;
    if (settings.console_url.empty() && console_server) settings.console_url = console_server->url();
    try {
      alerter = std::make_unique<alerts::Alerter>(settings, *store, [&counted](const std::string& channel, bool delivered) {
        counted.alert_attempt(channel, delivered);
      });
    } catch (const std::exception& e) {
      spdlog::critical("serve: cannot start the alerts: {}", e.what());
      return 1;
    }
    spdlog::info("serve: alerts on: {}{}",
                 settings.channels().empty() ? std::string("no channel configured")
                                             : nlohmann::json(settings.channels()).dump(),
                 settings.console_url.empty() ? " (no console: alerts carry no link)" : ", links to " + settings.console_url);
  }

  spdlog::info("serve: starting (pid {}): {}", ::getpid(), config.summary().dump());
  chain.resume();

  int stop_signal = 0;
  auto next_poll = Steady::now();
  while (!stop_signal) {
    if (Steady::now() >= next_poll) {
      std::size_t taken = 0;
      try {
        taken = chain.intake(mailbox->source(), config.mail.batch);
      } catch (const std::exception& e) {
        // A mail server down or a full disk: logged, tried again at the next poll; nothing is lost.
        spdlog::error("serve: mail intake from {} failed: {}", mailbox->source().describe(), e.what());
      }
      // A full batch means more mail is waiting: poll again right after this round.
      next_poll = taken >= config.mail.batch ? Steady::now() : Steady::now() + config.mail.poll_interval;
    }
    // Advance due requests in small batches, looking at signals and the mailbox in between.
    std::size_t worked = 0;
    for (;;) {
      worked = 0;
      try {
        worked = chain.run_due(config.chain_batch);
      } catch (const std::exception& e) {
        spdlog::error("serve: the chain failed: {}", e.what());
      }
      if (worked < config.chain_batch || stop_pending() || Steady::now() >= next_poll) break;
    }
    if (stop_pending()) {
      stop_signal = sleep_for_signal(signals, std::chrono::milliseconds(1));
      break;
    }
    auto until_poll = std::chrono::duration_cast<std::chrono::milliseconds>(next_poll - Steady::now());
    auto wait = until_poll;
    try {
      if (auto due = chain.time_until_next()) wait = std::min(wait, *due);
    } catch (const std::exception& e) {
      spdlog::error("serve: reading the schedule failed: {}", e.what());
    }
    // Something due that could not be moved (the store failing): never spin on it.
    if (worked == 0 && until_poll.count() > 0 && wait.count() <= 0) wait = std::chrono::milliseconds(100);
    // A full store: look again once a second, not ten times (the store logged it once; status shows it).
    if (store->health().state != "ok") wait = std::max(wait, std::chrono::milliseconds(1000));
    stop_signal = sleep_for_signal(signals, wait);
  }
  spdlog::info("serve: stopping on {}", stop_signal == SIGINT ? "SIGINT" : "SIGTERM");
  console_server.reset();  // before the store and the fleet it reads
  chain.set_closeout(nullptr);
  closeout.reset();
  alerter.reset();
  authorization.reset();
  spdlog::info("serve: stopped");
  return 0;
}

const dockhand::cli::Registration reg{"serve", "--config FILE",
                                      "Run the chain unattended: mail -> intake -> SP-API -> CONFIRMED (-> close-out)",
                                      run_serve};

}  // namespace
