// dockhand-agent serve: the unattended worker. Connects to the orchestrator, heartbeats, reconnects with
// backoff, runs each job's screen script and reports progress and the result with its evidence.
#include "command.h"

#include "agent/protocol/worker.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <iostream>
#include <sstream>
#include <algorithm>
#include <thread>


namespace dockhand::agent_cli {


struct ExecutorOptions {
  std::filesystem::path recordings = "recordings";
  std::filesystem::path evidence = "agent-evidence";
  std::string display;
  bool dry_run = false;
  int dry_run_ms = 0;
};

// Names of the folders under recordings/ that hold a script.json.
inline std::vector<std::string> available_scripts(const ExecutorOptions& options) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(options.recordings, ec))
    if (entry.is_directory() && std::filesystem::exists(entry.path() / "script.json"))
      names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}



// --dry-run: report success (echoing the variables as outputs) without touching the desktop.
protocol::JobExecutor make_executor(const ExecutorOptions& options) {
  if (options.dry_run) {
    int ms = options.dry_run_ms;
    return [ms](const protocol::Job& job, protocol::JobControl& control) {
      control.progress("dry-run", "not touching the desktop");
      if (ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(ms));
      protocol::Result result;
      result.outcome = control.abort_requested() ? protocol::Outcome::application : protocol::Outcome::ok;
      result.outputs = job.vars;
      result.reason = control.abort_requested() ? "aborted" : "";
      return result;
    };
  }
  return [](const protocol::Job& job, protocol::JobControl&) -> protocol::Result {
    protocol::Result result;
    result.outcome = protocol::Outcome::application;
    result.category = "unavailable";
    result.reason = "this build of dockhand-agent has no screen-script runner";
    return result;
  };
}

}  // namespace dockhand::agent_cli

namespace {

using namespace dockhand;

std::atomic<bool> g_stop{false};
extern "C" void on_signal(int) { g_stop = true; }

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ','))
    if (!item.empty()) out.push_back(item);
  return out;
}

void usage(std::ostream& out) {
  out << "usage: dockhand-agent serve --orchestrator tcp://HOST:PORT [options]\n\n"
         "Runs as an unattended agent: registers with the orchestrator, takes close-out jobs, runs their\n"
         "screen scripts on this desktop and reports results with evidence screenshots.\n\n"
         "options:\n"
         "  --orchestrator ENDPOINT  the orchestrator's fleet address, e.g. tcp://10.0.0.5:7610 (required)\n"
         "  --server-key FILE        the orchestrator's public key (orchestrator.pub)\n"
         "  --key FILE               this agent's secret key (agent.key, mode 0600; see 'dockhand-agent keygen')\n"
         "  --insecure               plain TCP without CURVE (only for a trusted lab network)\n"
         "  --id NAME                agent id (default: the host name and process id)\n"
         "  --apps LIST              programs this desktop can drive (default: erp,opship)\n"
         "  --recordings DIR         screen scripts, one folder each with script.json (default: recordings)\n"
         "  --evidence DIR           where failed runs leave their evidence (default: agent-evidence)\n"
         "  --display DISPLAY        X display to drive (default: $DISPLAY)\n"
         "  --dry-run                take jobs and report success without touching the desktop (checks\n"
         "                           connectivity and keys); --dry-run-ms N makes each job take N ms\n"
         "  --heartbeat-ms N         heartbeat interval (default 1000; the orchestrator's must match)\n";
}

int run_serve(const std::vector<std::string>& args) {
  protocol::WorkerConfig cfg;
  cfg.apps = {"erp", "opship"};
  agent_cli::ExecutorOptions exec;
  std::string key_file, server_key_file;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const auto& a = args[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= args.size()) throw std::runtime_error(a + " needs a value");
      return args[++i];
    };
    if (a == "--help" || a == "-h") {
      usage(std::cout);
      return 0;
    } else if (a == "--orchestrator") cfg.endpoint = value();
    else if (a == "--server-key") server_key_file = value();
    else if (a == "--key") key_file = value();
    else if (a == "--insecure") cfg.insecure = true;
    else if (a == "--id") cfg.agent_id = value();
    else if (a == "--apps") cfg.apps = split_list(value());
    else if (a == "--recordings") exec.recordings = value();
    else if (a == "--evidence") exec.evidence = value();
    else if (a == "--display") exec.display = value();
    else if (a == "--dry-run") exec.dry_run = true;
    else if (a == "--dry-run-ms") exec.dry_run_ms = std::stoi(value());
    else if (a == "--heartbeat-ms") cfg.heartbeat_interval = std::chrono::milliseconds(std::stoi(value()));
    else {
      std::cerr << "dockhand-agent serve: unknown argument '" << a << "'\n\n";
      usage(std::cerr);
      return 2;
    }
  }
  if (cfg.endpoint.empty()) {
    std::cerr << "dockhand-agent serve: --orchestrator tcp://HOST:PORT is required\n";
    return 2;
  }
  if (!cfg.insecure) {
    if (key_file.empty() || server_key_file.empty()) {
      std::cerr << "dockhand-agent serve: CURVE needs --key (this agent's secret key) and --server-key (the\n"
                   "orchestrator's public key); generate keys with 'dockhand-agent keygen', or pass --insecure\n";
      return 2;
    }
    cfg.agent_keys = protocol::read_secret_key(key_file);
    cfg.server_public_key = protocol::read_public_key(server_key_file);
  }
  if (cfg.agent_id.empty()) {
    char host[256] = {0};
    gethostname(host, sizeof host - 1);
    cfg.agent_id = std::string(host) + "-" + std::to_string(getpid());
  }
  cfg.scripts = agent_cli::available_scripts(exec);
  auto executor = agent_cli::make_executor(exec);

  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  spdlog::info("agent {}: apps [{}], {} script(s) in {}{}", cfg.agent_id, fmt::join(cfg.apps, ","), cfg.scripts.size(),
               exec.recordings.string(), exec.dry_run ? ", DRY RUN" : "");
  protocol::Worker worker(cfg, executor);
  worker.run(g_stop);
  spdlog::info("agent {}: stopped", cfg.agent_id);
  return 0;
}

const dockhand::cli::Registration reg{"serve", "--orchestrator tcp://HOST:PORT [--key F --server-key F | --insecure]",
                                      "Run as an unattended agent taking close-out jobs from the orchestrator",
                                      run_serve};

}  // namespace
