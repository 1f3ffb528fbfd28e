// bench-fleet: the fleet's speed goals (issue 4), on loopback TCP with the real Fleet and real Workers.
//   bench-fleet latency   [--agents 50] [--jobs 400] [--insecure]   job submitted -> agent's executor has it
//   bench-fleet throughput [--agents 8] [--jobs 20000] [--insecure]  no-op jobs/s, submitted to final outcome
//   bench-fleet idle --agent PATH/dockhand-agent [--seconds 10]       CPU and RSS of an idle `serve` process
// CURVE is on unless --insecure. Prints figures and the goal beside them; the exit code is 0 unless the
// measurement itself failed (a benchmark reports, it does not judge).
#include "agent/protocol/worker.h"
#include "orchestrator/fleet/fleet.h"

#include <fcntl.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;
using dockhand::fleet::Fleet;
using dockhand::fleet::FleetConfig;
using dockhand::fleet::JobRequest;
namespace protocol = dockhand::protocol;

namespace {

struct Options {
  std::string mode;
  int agents = 0;
  int jobs = 0;
  bool insecure = false;
  std::string agent_binary;
  int seconds = 10;
};

// Keys on disk for the fleet (it reads files), in a temporary folder removed at the end.
struct Keys {
  fs::path dir = fs::temp_directory_path() / ("bench-fleet-" + std::to_string(getpid()));
  protocol::CurveKeyPair server = protocol::generate_curve_keypair();
  protocol::CurveKeyPair agent = protocol::generate_curve_keypair();
  Keys() {
    fs::create_directories(dir / "agents");
    protocol::write_keypair(dir, "orchestrator", server);
    protocol::write_keypair(dir / "agents", "bench-agent", agent);
  }
  ~Keys() { fs::remove_all(dir); }
};

FleetConfig fleet_config(const Keys& keys, bool insecure) {
  FleetConfig cfg;
  cfg.bind = "tcp://127.0.0.1:*";
  cfg.insecure = insecure;
  if (!insecure) {
    cfg.server_secret_key = keys.dir / "orchestrator.key";
    cfg.agent_keys = keys.dir / "agents";
  }
  return cfg;
}

protocol::WorkerConfig worker_config(const Keys& keys, const std::string& endpoint, int n, bool insecure) {
  protocol::WorkerConfig cfg;
  cfg.endpoint = endpoint;
  cfg.agent_id = "bench-" + std::to_string(n);
  cfg.apps = {"noop"};
  cfg.insecure = insecure;
  if (!insecure) {
    cfg.agent_keys = keys.agent;
    cfg.server_public_key = keys.server.public_key;
  }
  return cfg;
}

class Agents {
 public:
  void add(protocol::WorkerConfig cfg, protocol::JobExecutor executor) {
    workers_.push_back(std::make_unique<protocol::Worker>(std::move(cfg), std::move(executor)));
    auto* w = workers_.back().get();
    threads_.emplace_back([this, w] { w->run(stop_); });
  }
  ~Agents() {
    stop_ = true;
    for (auto& t : threads_) t.join();
  }

 private:
  std::atomic<bool> stop_{false};
  std::vector<std::unique_ptr<protocol::Worker>> workers_;
  std::vector<std::thread> threads_;
};

bool wait_agents(Fleet& fleet, int n, std::chrono::seconds timeout) {
  auto until = Clock::now() + timeout;
  while (Clock::now() < until) {
    if (static_cast<int>(fleet.agents().size()) >= n) return true;
    std::this_thread::sleep_for(20ms);
  }
  return false;
}

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  auto i = static_cast<std::size_t>(p / 100.0 * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

int latency(const Options& o) {
  Keys keys;
  Fleet fleet(fleet_config(keys, o.insecure));
  fleet.start();
  std::mutex mutex;
  std::map<std::string, Clock::time_point> received;
  Agents agents;
  for (int i = 0; i < o.agents; ++i)
    agents.add(worker_config(keys, fleet.endpoint(), i, o.insecure), [&](const protocol::Job& j, protocol::JobControl&) {
      auto now = Clock::now();
      {
        std::lock_guard lock(mutex);
        received[j.job_id] = now;
      }
      return protocol::Result{};
    });
  if (!wait_agents(fleet, o.agents, 60s)) {
    std::fprintf(stderr, "bench-fleet: only %zu of %d agents registered\n", fleet.agents().size(), o.agents);
    return 1;
  }
  std::this_thread::sleep_for(500ms);  // let the connections settle
  std::vector<double> ms;
  const int warmup = 20;
  for (int i = 0; i < o.jobs + warmup; ++i) {
    std::string id = "lat-" + std::to_string(i);
    auto submitted = Clock::now();
    fleet.submit(JobRequest{id, "noop", "noop", {{"n", std::to_string(i)}}, 0ms, false, ""});
    auto outcome = fleet.next_outcome(10s);
    if (!outcome) {
      std::fprintf(stderr, "bench-fleet: job %s got no outcome\n", id.c_str());
      return 1;
    }
    std::lock_guard lock(mutex);
    if (i >= warmup) ms.push_back(std::chrono::duration<double, std::milli>(received.at(id) - submitted).count());
  }
  std::printf("fleet dispatch latency (job submitted -> agent's executor has it), %d agents connected, %s, %d no-op "
              "jobs one at a time:\n  p50 %.3f ms  p90 %.3f ms  p99 %.3f ms  max %.3f ms   (goal: p99 < 5 ms)\n",
              o.agents, o.insecure ? "plain TCP" : "CURVE", o.jobs, percentile(ms, 50), percentile(ms, 90),
              percentile(ms, 99), percentile(ms, 100));
  return 0;
}

int throughput(const Options& o) {
  Keys keys;
  Fleet fleet(fleet_config(keys, o.insecure));
  fleet.start();
  Agents agents;
  for (int i = 0; i < o.agents; ++i)
    agents.add(worker_config(keys, fleet.endpoint(), i, o.insecure),
               [](const protocol::Job&, protocol::JobControl&) { return protocol::Result{}; });
  if (!wait_agents(fleet, o.agents, 60s)) {
    std::fprintf(stderr, "bench-fleet: only %zu of %d agents registered\n", fleet.agents().size(), o.agents);
    return 1;
  }
  std::this_thread::sleep_for(300ms);
  auto start = Clock::now();
  for (int i = 0; i < o.jobs; ++i)
    fleet.submit(JobRequest{"tp-" + std::to_string(i), "noop", "noop", {{"n", std::to_string(i)}}, 0ms, false, ""});
  int done = 0, ok = 0;
  while (done < o.jobs) {
    auto outcome = fleet.next_outcome(10s);
    if (!outcome) {
      std::fprintf(stderr, "bench-fleet: stalled after %d of %d outcomes\n", done, o.jobs);
      return 1;
    }
    ++done;
    ok += outcome->outcome == protocol::Outcome::ok;
  }
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  auto stats = fleet.stats();
  std::printf("fleet throughput, %s, %d agents, %d no-op jobs submitted at once: %.0f jobs/s (%.2f s; %d ok, "
              "%llu requeued)   (goal: >= 2000 jobs/s with CURVE)\n",
              o.insecure ? "plain TCP" : "CURVE", o.agents, o.jobs, o.jobs / seconds, seconds, ok,
              static_cast<unsigned long long>(stats.requeued));
  return ok == o.jobs ? 0 : 1;
}

// utime + stime of a process, in clock ticks.
long long cpu_ticks(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), {});
  auto close = text.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream rest(text.substr(close + 2));
  std::string field;
  long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::stoll(field);
    if (i == 15) stime = std::stoll(field);
  }
  return utime + stime;
}

// Per thread (by name): nanoseconds on a CPU (schedstat, far finer than the clock ticks of stat) and wake-ups
// (context switches): an idle agent's threads should sleep, not poll.
struct ThreadCost {
  long long run_ns = 0, switches = 0;
};
std::map<std::string, ThreadCost> thread_costs(pid_t pid) {
  std::map<std::string, ThreadCost> out;
  std::error_code ec;
  for (const auto& task : fs::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
    std::string name;
    std::getline(std::ifstream(task.path() / "comm"), name);
    name += " [" + task.path().filename().string() + "]";
    ThreadCost c;
    std::ifstream(task.path() / "schedstat") >> c.run_ns;
    std::ifstream status(task.path() / "status");
    for (std::string line; std::getline(status, line);)
      if (line.rfind("voluntary_ctxt_switches:", 0) == 0 || line.rfind("nonvoluntary_ctxt_switches:", 0) == 0)
        c.switches += std::stoll(line.substr(line.find(':') + 1));
    out[name] = c;
  }
  return out;
}

double rss_mb(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  return -1;
}

int idle(const Options& o) {
  if (o.agent_binary.empty()) {
    std::fprintf(stderr, "bench-fleet idle: --agent PATH/dockhand-agent is required\n");
    return 2;
  }
  Keys keys;
  Fleet fleet(fleet_config(keys, false));
  fleet.start();
  // The agent lists the scripts it has; one folder with a script.json is enough for an idle agent.
  fs::create_directories(keys.dir / "recordings" / "noop");
  std::ofstream(keys.dir / "recordings" / "noop" / "script.json") << "{}\n";
  protocol::write_keypair(keys.dir, "agent", keys.agent);
  protocol::write_keypair(keys.dir, "server-copy", keys.server);
  std::vector<std::string> args = {o.agent_binary,
                                   "serve",
                                   "--orchestrator",
                                   fleet.endpoint(),
                                   "--key",
                                   (keys.dir / "agent.key").string(),
                                   "--server-key",
                                   (keys.dir / "orchestrator.pub").string(),
                                   "--id",
                                   "idle-agent",
                                   "--apps",
                                   "noop",
                                   "--recordings",
                                   (keys.dir / "recordings").string(),
                                   "--evidence",
                                   (keys.dir / "evidence").string()};
  auto log = keys.dir / "agent.log";
  pid_t pid = fork();
  if (pid == 0) {
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(fd, 2);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  auto stop_agent = [&] {
    kill(pid, SIGTERM);
    int status = 0;
    for (int i = 0; i < 50 && waitpid(pid, &status, WNOHANG) == 0; ++i) std::this_thread::sleep_for(100ms);
    if (waitpid(pid, &status, WNOHANG) == 0) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
    }
  };
  if (!wait_agents(fleet, 1, 30s)) {
    std::fprintf(stderr, "bench-fleet idle: the agent did not register\n");
    stop_agent();
    return 1;
  }
  std::this_thread::sleep_for(3s);  // the OCR engine loads on the job thread at start
  long long ticks0 = cpu_ticks(pid);
  auto threads0 = thread_costs(pid);
  auto t0 = Clock::now();
  std::this_thread::sleep_for(std::chrono::seconds(o.seconds));
  long long ticks1 = cpu_ticks(pid);
  auto threads1 = thread_costs(pid);
  double wall = std::chrono::duration<double>(Clock::now() - t0).count();
  double rss = rss_mb(pid);
  bool alive = fleet.agents().size() == 1;
  stop_agent();
  std::ifstream in(log);
  std::string text((std::istreambuf_iterator<char>(in)), {});
  auto loaded = text.find("OCR engine loaded");
  if (loaded == std::string::npos) {
    std::fprintf(stderr, "bench-fleet idle: the agent did not load the OCR engine; its log:\n%s", text.c_str());
    return 1;
  }
  double cpu = static_cast<double>(ticks1 - ticks0) / static_cast<double>(sysconf(_SC_CLK_TCK)) / wall * 100.0;
  auto line_end = text.find('\n', loaded);
  std::printf("agent: %s\n", text.substr(loaded, line_end == std::string::npos ? std::string::npos : line_end - loaded).c_str());
  long long run_ns = 0, switches = 0;
  std::string per_thread;
  for (const auto& [name, c1] : threads1) {
    const auto it = threads0.find(name);
    const ThreadCost c0 = it == threads0.end() ? ThreadCost{} : it->second;
    run_ns += c1.run_ns - c0.run_ns;
    switches += c1.switches - c0.switches;
    char line[200];
    std::snprintf(line, sizeof line, "    %-24s %7.3f %% of a core  %6.1f wake-ups/s\n", name.c_str(),
                  static_cast<double>(c1.run_ns - c0.run_ns) / 1e9 / wall * 100.0,
                  static_cast<double>(c1.switches - c0.switches) / wall);
    per_thread += line;
  }
  std::printf("agent idle cost (dockhand-agent serve, CURVE, heartbeats 1 s, OCR engine loaded), over %.1f s:\n"
              "  CPU %.2f %% of a core (clock ticks)   %.3f %% (schedstat)   %.1f wake-ups/s   RSS %.1f MB"
              "   (goal: < 1 %% and < 100 MB)%s\n%s",
              wall, cpu, static_cast<double>(run_ns) / 1e9 / wall * 100.0, static_cast<double>(switches) / wall, rss,
              alive ? "" : "   [the agent was not registered at the end!]", per_thread.c_str());
  // Nobody watched: the remote view must have captured and sent nothing (the agent logs its counts at stop).
  if (auto view = text.find("remote view: "); view != std::string::npos && text.find("screens captured", view) != std::string::npos)
    std::printf("  unwatched %s\n", text.substr(view, text.find('\n', view) - view).c_str());
  return alive ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  spdlog::set_level(spdlog::level::warn);
  Options o;
  if (argc < 2) {
    std::fprintf(stderr, "usage: bench-fleet latency|throughput|idle [--agents N] [--jobs N] [--insecure] "
                         "[--agent PATH] [--seconds N]\n");
    return 2;
  }
  o.mode = argv[1];
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&] { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
    if (a == "--agents") o.agents = std::stoi(value());
    else if (a == "--jobs") o.jobs = std::stoi(value());
    else if (a == "--insecure") o.insecure = true;
    else if (a == "--agent") o.agent_binary = value();
    else if (a == "--seconds") o.seconds = std::stoi(value());
    else {
      std::fprintf(stderr, "bench-fleet: unknown argument %s\n", a.c_str());
      return 2;
    }
  }
  if (o.mode == "latency") {
    if (!o.agents) o.agents = 50;
    if (!o.jobs) o.jobs = 400;
    return latency(o);
  }
  if (o.mode == "throughput") {
    if (!o.agents) o.agents = 8;
    if (!o.jobs) o.jobs = 20000;
    return throughput(o);
  }
  if (o.mode == "idle") return idle(o);
  std::fprintf(stderr, "bench-fleet: unknown mode %s\n", o.mode.c_str());
  return 2;
}
