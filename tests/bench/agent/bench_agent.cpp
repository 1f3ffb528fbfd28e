// Benchmark: the agent's own costs on a real 1920x1080 X screen (run under scripts/with-xvfb.sh), each beside the
// plain way measured in the same run: capture (ours: XShm through drivers/; plain: XGetImage), typing 30
// characters (ours: XTest through drivers/; plain: `xdotool type`), and the agent's overhead per step while it
// drives the simulated ERP with recordings/erp-closeout (RunResult timings: step time minus time spent waiting
// for the program). Not a test: speed goals are read, not asserted.
//   bench-agent [--runs N]
#include "agent/runner.h"
#include "drivers/desktop.h"

#include <X11/Xlib.h>
#include <X11/Xutil.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

using namespace dockhand;
using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

namespace {

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
  return v[v.size() / 2];
}

double median_ms(int runs, const std::function<void()>& f) {
  std::vector<double> t;
  for (int i = 0; i < runs; ++i) {
    auto a = Clock::now();
    f();
    t.push_back(std::chrono::duration<double, std::milli>(Clock::now() - a).count());
  }
  return median(t);
}

void row(const char* what, double ours, double plain, const char* plain_name) {
  std::printf("%-34s %9.2f ms   plain (%s) %9.2f ms   ratio %6.1fx\n", what, ours, plain_name, plain, plain / ours);
}

pid_t spawn(std::vector<std::string> args, const std::string& err_file = "/dev/null") {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = -1;
  if (posix_spawnp(&pid, argv[0], &fa, nullptr, argv.data(), environ) != 0) pid = -1;
  posix_spawn_file_actions_destroy(&fa);
  return pid;
}

int wait_pid(pid_t pid) {
  int st = 0;
  waitpid(pid, &st, 0);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 21;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--runs") && i + 1 < argc) runs = std::atoi(argv[++i]);
    else {
      std::puts("usage: bench-agent [--runs N]   (needs a display: scripts/with-xvfb.sh -- bench-agent)");
      return std::strcmp(argv[i], "--help") ? 2 : 0;
    }
  }
  std::unique_ptr<drivers::Desktop> desktop;
  Display* dpy = XOpenDisplay(nullptr);
  try {
    desktop = drivers::open_desktop();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench-agent: %s\n", e.what());
    return 2;
  }
  if (!dpy) return 2;
  auto screen = desktop->screen();
  std::printf("agent benchmark: X screen %dx%d, %d runs\n", screen.w, screen.h, runs);

  // Capture: the whole screen into a Frame (ours) vs XGetImage of the root window (plain).
  double ours_cap = median_ms(runs * 3, [&] { (void)desktop->capture(); });
  double plain_cap = median_ms(runs * 3, [&] {
    XImage* img = XGetImage(dpy, DefaultRootWindow(dpy), 0, 0, unsigned(screen.w), unsigned(screen.h), AllPlanes,
                            ZPixmap);
    if (img) XDestroyImage(img);
  });
  row("capture whole screen", ours_cap, plain_cap, "XGetImage");

  // Typing 30 characters (into whatever has the focus; nothing is listening, both land in the same place).
  const std::string text = "DH-2K4GH7QZ-ABE8-1A2B3C4D x%s1";  // 30 characters, letters, digits and symbols
  // Ours until the X server has taken every key: pointer() is a round trip on the same connection, answered
  // only after the XTest requests before it were processed.
  double ours_type = median_ms(std::max(5, runs / 2), [&] {
    desktop->type_text(text);
    (void)desktop->pointer();
  });
  double plain_type = median_ms(std::max(5, runs / 2), [&] { wait_pid(spawn({"xdotool", "type", text})); });
  row("type 30 characters (XTest)", ours_type, plain_type, "xdotool type");

  // Agent overhead per step: the erp-closeout script on the real simulated ERP. The first run logs in and
  // finalizes; the others find the PO finalized already (read, compare, done).
  std::string dir = fs::temp_directory_path() / ("bench-agent-" + std::to_string(getpid()));
  fs::create_directories(dir);
  pid_t erp = spawn({DOCKHAND_SIM_ERP, "--state", dir + "/erp.json", "--seed", "1", "--position", "40,30"},
                    dir + "/erp.err");
  for (int i = 0; i < 100 && !desktop->find_window("Legacy ERP"); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  agent::RunOptions opts;
  opts.vars = {{"po", "2K4GH7QZ"}};
  opts.evidence_dir = dir + "/evidence";
  std::vector<double> overhead, total, waiting;
  std::map<std::string, std::vector<double>> per_kind;
  int ok_runs = 0, n_runs = std::max(3, runs / 3);
  std::vector<double> run_ms;
  for (int i = 0; i < n_runs; ++i) {
    auto r = agent::run_script_file(DOCKHAND_ERP_SCRIPT, opts);
    if (!r.ok()) {
      std::printf("  run %d failed: %s at %s\n", i, r.reason.c_str(), r.failed_step.c_str());
      continue;
    }
    ++ok_runs;
    run_ms.push_back(r.elapsed_ms);
    for (const auto& t : r.timings) {
      overhead.push_back(t.overhead_ms());
      std::string kind = t.path.substr(t.path.rfind('.') + 1);
      per_kind[kind].push_back(t.overhead_ms());
    }
  }
  kill(erp, SIGTERM);
  wait_pid(erp);
  fs::remove_all(dir);
  std::sort(overhead.begin(), overhead.end());
  std::printf("%-34s %9.2f ms   p90 %.2f ms   max %.2f ms   (%zu steps in %d runs of erp-closeout; "
              "median run %.0f ms)\n",
              "agent overhead per step", median(overhead),
              overhead.empty() ? 0 : overhead[overhead.size() * 9 / 10], overhead.empty() ? 0 : overhead.back(),
              overhead.size(), ok_runs, median(run_ms));
  for (const auto& [kind, v] : per_kind)
    std::printf("  %-14s median overhead %7.2f ms over %zu steps\n", kind.c_str(), median(v), v.size());
  XCloseDisplay(dpy);
  return ok_runs == n_runs ? 0 : 1;
}
