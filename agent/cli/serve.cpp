// dockhand-agent serve: the unattended worker. Connects to the orchestrator, heartbeats, reconnects with
// backoff, runs each job's screen script and reports progress and the result with its evidence.
#include "command.h"

#include "agent/cli/args.h"

#include "agent/protocol/worker.h"
#include "drivers/platform.h"
#ifdef DOCKHAND_AGENT_RUNNER
#include "agent/cli/desk.h"
#include "agent/runner.h"
#include "vision/vision.h"

#include <opencv2/core.hpp>
#endif

#include <spdlog/spdlog.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <algorithm>
#include <optional>
#include <thread>


namespace dockhand::agent_cli {


struct ExecutorOptions {
  std::filesystem::path recordings = "recordings";
  std::filesystem::path evidence = "agent-evidence";
  std::string display;
  bool dry_run = false;
  int dry_run_ms = 0;
#ifdef DOCKHAND_AGENT_RUNNER
  Desk* desk = nullptr;  // supervision, take-over and the remote view of the jobs
#endif
};

namespace {

bool safe_script_name(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  for (unsigned char c : name)
    if (!(std::isalnum(c) || c == '-' || c == '_')) return false;
  return true;
}

// recordings/<name>/script.json, resolved, when it is a regular file really inside the recordings folder:
// the name comes from the network (a plain name, no "..", no "/"), and neither the script's folder nor
// its script.json may be a symbolic link leading out of the recordings folder.
std::optional<std::filesystem::path> script_file(const std::filesystem::path& recordings, const std::string& name) {
  if (!safe_script_name(name)) return std::nullopt;
  std::error_code ec;
  auto root = std::filesystem::canonical(recordings, ec);
  if (ec) return std::nullopt;
  auto file = std::filesystem::canonical(recordings / name / "script.json", ec);
  if (ec || !std::filesystem::is_regular_file(file, ec)) return std::nullopt;
  auto [end, ignored] = std::mismatch(root.begin(), root.end(), file.begin(), file.end());
  if (end != root.end()) return std::nullopt;
  return file;
}

}  // namespace

// Names of the folders under recordings/ that hold a script.json inside the recordings folder.
inline std::vector<std::string> available_scripts(const ExecutorOptions& options) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(options.recordings, ec)) {
    auto name = entry.path().filename().string();
    if (script_file(options.recordings, name))
      names.push_back(name);
    else if (entry.is_directory(ec) && std::filesystem::exists(entry.path() / "script.json", ec))
      spdlog::warn("agent: ignoring recordings/{}: its name or a symbolic link in it leads out of {}", name,
                   options.recordings.string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

namespace {

std::string read_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace

#ifdef DOCKHAND_AGENT_RUNNER
// What the runner's evidence folder holds, as image frames: the full screenshot, the searched area (crop)
// and the template it looked for. Images over the protocol's limit are named in the evidence, not sent.
void attach_evidence(const agent::RunResult& run, protocol::Result& result, const protocol::Limits& limits) {
  if (run.evidence.empty()) return;
  std::filesystem::path dir = run.evidence;
  result.evidence["agent_folder"] = dir.string();
  nlohmann::json skipped = nlohmann::json::array();
  for (const char* name : {"screen.png", "searched.png", "looked-for.png"}) {
    auto file = dir / name;
    std::error_code ec;
    if (!std::filesystem::is_regular_file(file, ec)) continue;
    auto bytes = read_file(file);
    if (bytes.size() > limits.max_image_bytes || result.images.size() >= limits.max_images) {
      skipped.push_back(name);
      continue;
    }
    result.images.push_back({name, "image/png", std::move(bytes)});
  }
  if (!skipped.empty()) result.evidence["too_big_to_send"] = skipped;
}

protocol::Result to_protocol(const agent::RunResult& run, const protocol::Limits& limits) {
  protocol::Result result;
  result.outputs = run.outputs;
  result.failed_step = run.failed_step;
  result.reason = run.reason;
  result.evidence = nlohmann::json::object();
  if (run.ok()) {
    result.outcome = protocol::Outcome::ok;
  } else if (run.status == "invalid") {
    // The variables (or the script) do not fit: running it again cannot help; a human must look.
    result.outcome = protocol::Outcome::business;
    result.category = "invalid";
    nlohmann::json problems = nlohmann::json::array();
    for (const auto& p : run.problems) problems.push_back(p.str());
    result.evidence["problems"] = problems;
  } else if (run.category == "business") {
    result.outcome = protocol::Outcome::business;
    result.category = "business";
  } else {
    result.outcome = protocol::Outcome::application;
    result.category = run.desktop_lost ? "desktop_lost" : (run.category.empty() ? "application" : run.category);
  }
  result.evidence["elapsed_ms"] = run.elapsed_ms;
  attach_evidence(run, result, limits);
  return result;
}
#endif

// Runs recordings/<job.script>/script.json with the runner: PROGRESS before every step, RESULT with the
// outputs and, on failure, the evidence images. --dry-run: success (echoing the variables) without
// touching the desktop.
protocol::JobExecutor make_executor(const ExecutorOptions& options, const protocol::Limits& limits) {
  if (options.dry_run) {
    int ms = options.dry_run_ms;
    return [ms](const protocol::Job& job, protocol::JobControl& control) {
      control.progress("dry-run", "not touching the desktop");
      if (ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(ms));
      protocol::Result result;
      result.outcome = control.abort_requested() ? protocol::Outcome::application : protocol::Outcome::ok;
      result.outputs = job.vars;
      result.reason = control.abort_requested() ? "aborted" : "";
      result.category = control.abort_requested() ? "aborted" : "";
      return result;
    };
  }
#ifdef DOCKHAND_AGENT_RUNNER
  return [options, limits](const protocol::Job& job, protocol::JobControl& control) -> protocol::Result {
    auto found = script_file(options.recordings, job.script);
    if (!found) {
      protocol::Result result;
      result.outcome = protocol::Outcome::application;  // another agent may have it
      result.category = "unavailable";
      result.reason = "no screen script '" + job.script + "' in " + options.recordings.string();
      return result;
    }
    const auto& file = *found;
    agent::RunOptions run_options;
    run_options.vars = job.vars;
    run_options.evidence_dir = options.evidence;
    run_options.display = options.display;
    run_options.before_step = [&control](const std::string& step) {
      if (control.abort_requested()) throw agent::RunAborted("the orchestrator asked to abort");
      control.progress(step, "");
    };
    std::shared_ptr<agent::Supervision> supervision;
    if (options.desk) {
      supervision = options.desk->begin_job(job);
      run_options.supervision = supervision.get();
    }
    spdlog::info("agent: job {} (attempt {}): running {}", job.job_id, job.attempt, file.string());
    auto run = agent::run_script_file(file, run_options);
    if (options.desk) options.desk->end_job();
    auto result = to_protocol(run, limits);
    if (run.ok())
      spdlog::info("agent: job {} done in {:.0f} ms", job.job_id, run.elapsed_ms);
    else
      spdlog::warn("agent: job {} {} ({}): {} at {}; evidence {}", job.job_id, run.status, result.category, run.reason,
                   run.failed_step, run.evidence.empty() ? "-" : run.evidence);
    return result;
  };
#else
  (void)limits;
  return [](const protocol::Job&, protocol::JobControl&) -> protocol::Result {
    protocol::Result result;
    result.outcome = protocol::Outcome::application;
    result.category = "unavailable";
    result.reason = "this build of dockhand-agent has no screen-script runner";
    return result;
  };
#endif
}

}  // namespace dockhand::agent_cli

namespace {

using namespace dockhand;

std::atomic<bool> g_stop{false};

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ','))
    if (!item.empty()) out.push_back(item);
  return out;
}

void usage(std::ostream& out) {
  out << "usage: dockhand-agent serve --orchestrator tcp://HOST:PORT --key AGENT.key --server-key ORCH.pub [options]\n"
         "       dockhand-agent serve --orchestrator tcp://HOST:PORT --insecure [options]\n\n"
         "Runs as an unattended agent: registers with the orchestrator (READY with the programs it drives and\n"
         "the screen scripts it has), heartbeats every second, reconnects with backoff (1 s doubling to 32 s),\n"
         "and runs each job's screen script (recordings/<script>/script.json) on this desktop. It reports each\n"
         "step as PROGRESS and the end as RESULT: the outputs read back, or the failure (business: the program\n"
         "said no; application: timeout, unexpected screen) with the evidence images (full screenshot, the\n"
         "searched area, the template it looked for).\n\n"
         "connection (CURVE encryption and authentication are on unless --insecure):\n"
         "  --orchestrator ENDPOINT  the orchestrator's fleet address, e.g. tcp://10.0.0.5:7610 (required)\n"
         "  --key FILE               this agent's secret key (NAME.key, mode 0600; 'dockhand-agent keygen'); its\n"
         "                           NAME.pub must be in the orchestrator's agent keys directory\n"
         "  --server-key FILE        the orchestrator's public key (orchestrator.pub)\n"
         "  --insecure               plain TCP, no encryption, no authentication (a trusted lab network only;\n"
         "                           the orchestrator must run insecure too)\n"
         "  --id NAME                agent id in the orchestrator's logs (default: host name and process id)\n"
         "  --heartbeat-ms N         heartbeat interval (default 1000; must match the orchestrator's)\n\n"
         "work:\n"
         "  --apps LIST              programs this desktop can drive, comma-separated (default: erp,opship)\n"
         "  --recordings DIR         screen scripts, one folder each with script.json (default: recordings)\n"
         "  --evidence DIR           where failed runs leave their evidence folders (default: agent-evidence)\n"
         "  --display DISPLAY        X display to drive (default: $DISPLAY)\n"
         "  --no-ocr-warmup          do not load the OCR engine at start (it is loaded at the first read)\n"
         "  --hold-when-stuck N      a step stuck behind a window no handler knows waits N seconds for someone to\n"
         "                           take over from the Operator Console before it fails (default 0)\n"
         "  --view-fps N             remote view frames a second while someone watches (default 5)\n"
         "  --dry-run                take jobs and report success without touching the desktop (checks\n"
         "                           connectivity and keys); --dry-run-ms N makes each job take N ms\n\n"
         "Logs go to stderr. Stops on SIGTERM/SIGINT (a job still running is abandoned; the orchestrator gives\n"
         "it to another agent when the lease or the heartbeats run out).\n"
         "Exit: 0 stopped by a signal, 1 error (unreadable key, ...), 2 bad arguments.\n";
}

int run_serve(const std::vector<std::string>& args) {
  protocol::WorkerConfig cfg;
  cfg.apps = {"erp", "opship"};
  agent_cli::ExecutorOptions exec;
  std::string key_file, server_key_file;
  bool warm_ocr = true;
  long long hold_when_stuck_s = 0, view_fps = 5;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const auto& a = args[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= args.size()) throw cli::UsageError(a + " needs a value");
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
    else if (a == "--no-ocr-warmup") warm_ocr = false;
    else if (a == "--hold-when-stuck")
      hold_when_stuck_s = cli::whole_number(a, value(), "a number of seconds", "--hold-when-stuck 300");
    else if (a == "--view-fps")
      view_fps = cli::whole_number(a, value(), "a number of frames a second", "--view-fps 5", 1);
    else if (a == "--dry-run-ms")
      exec.dry_run_ms = static_cast<int>(cli::whole_number(a, value(), "a number of milliseconds", "--dry-run-ms 500"));
    else if (a == "--heartbeat-ms")
      cfg.heartbeat_interval = std::chrono::milliseconds(
          cli::whole_number(a, value(), "a number of milliseconds", "--heartbeat-ms 1000", 10));
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
    cfg.agent_id = drivers::host_name() + "-" + std::to_string(drivers::current_pid());
  }
  if (cfg.apps.empty()) {
    std::cerr << "dockhand-agent serve: --apps needs at least one program (erp, opship)\n";
    return 2;
  }
  if (exec.display.empty())
    if (const char* d = std::getenv("DISPLAY")) exec.display = d;
  cfg.scripts = agent_cli::available_scripts(exec);
  if (cfg.scripts.empty() && !exec.dry_run) {
    std::cerr << "dockhand-agent serve: no screen scripts in '" << exec.recordings.string()
              << "' (folders with a script.json); pass --recordings DIR\n";
    return 2;
  }
#ifdef DOCKHAND_AGENT_RUNNER
  if (warm_ocr && !exec.dry_run) {
    // The engine is per thread: load it on the job thread, so the first job does not pay for it.
    cfg.on_job_thread_start = [] {
      auto started = std::chrono::steady_clock::now();
      vision::ocr_words(cv::Mat(48, 160, CV_8UC1, cv::Scalar(255)));
      spdlog::info("agent: OCR engine loaded in {} ms",
                   std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started)
                       .count());
    };
  }
#endif
  // Before any thread starts (the desk's frame thread, the worker's): on POSIX they then have SIGTERM/SIGINT blocked, so no ZeroMQ call is
  // ever interrupted by them.
  drivers::on_stop_request([](const std::string& cause) {
    spdlog::info("agent: {}: stopping", cause);
    g_stop = true;
  });
  protocol::Worker* worker_ptr = nullptr;
#ifdef DOCKHAND_AGENT_RUNNER
  std::unique_ptr<agent_cli::Desk> desk;
  if (!exec.dry_run) {
    agent_cli::Desk::Options desk_options;
    desk_options.display = exec.display;
    desk_options.hold_when_stuck = std::chrono::seconds(hold_when_stuck_s);
    desk_options.view.fps = static_cast<int>(std::min<long long>(view_fps, 30));
    desk = std::make_unique<agent_cli::Desk>(desk_options, worker_ptr);
    exec.desk = desk.get();
    cfg.on_control = [d = desk.get()](const protocol::Control& c) { d->on_control(c); };
    cfg.refuse_jobs = [d = desk.get()] { return d->refuse_jobs(); };
  }
#else
  (void)hold_when_stuck_s;
  (void)view_fps;
#endif
  auto executor = agent_cli::make_executor(exec, cfg.limits);

  spdlog::info("agent {}: apps [{}], scripts [{}] from {}, display {}, evidence in {}{}", cfg.agent_id,
               fmt::join(cfg.apps, ","), fmt::join(cfg.scripts, ","), exec.recordings.string(),
               exec.display.empty() ? "(none)" : exec.display, exec.evidence.string(), exec.dry_run ? ", DRY RUN" : "");
  protocol::Worker worker(cfg, executor);
  worker_ptr = &worker;
  worker.run(g_stop);
#ifdef DOCKHAND_AGENT_RUNNER
  desk.reset();  // its frame thread posts to the worker: stopped first
#endif
  spdlog::info("agent {}: stopped", cfg.agent_id);
  return 0;
}

const dockhand::cli::Registration reg{"serve", "--orchestrator tcp://HOST:PORT [--key F --server-key F | --insecure]",
                                      "Run as an unattended agent taking close-out jobs from the orchestrator",
                                      run_serve};

}  // namespace
