// bench-recorder: what recording costs the person, on a real X screen.
//  - per input event: the time the recorder's session spends on one event (motion, button, key), median and p90,
//    events sent with XTest as a person's would arrive (pointer paths, clicks, typing);
//  - idle: CPU time per second of wall time while nothing happens (the session waits on the event stream);
//  - watching: CPU per second in the 20 s after an action, while it looks at the screen for the program's answer.
// Prints figures; asserts nothing about speed (a loaded machine is slower, not wrong).
#include <time.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <thread>
#include <vector>

#include "agent/record/session.h"
#include "drivers/desktop.h"
#include "drivers/input_events.h"

namespace {

using Clock = std::chrono::steady_clock;
using dockhand::drivers::InputEvent;

double cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

double pct(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * (v.size() - 1) + 0.5))];
}

}  // namespace

int main() {
  auto desktop = dockhand::drivers::open_desktop();
  auto events = dockhand::drivers::open_input_events();
  auto input = dockhand::drivers::open_desktop();  // the "person": a connection of its own
  auto screen = desktop->screen();
  std::printf("recorder benchmark: X screen %dx%d\n", screen.w, screen.h);

  dockhand::agent::record::SessionOptions o;
  o.watch_ms = 3000;  // shorter than a real session's 20 s, so the idle part below is reached sooner
  dockhand::agent::record::RecordingSession session(*desktop, *events, o);

  // A person: pointer paths between points, clicks on an empty desktop, typing.
  std::atomic<bool> done{false};
  std::thread person([&] {
    for (int round = 0; round < 20; ++round) {
      int x0 = 100 + (round * 37) % 800, y0 = 100 + (round * 53) % 600;
      for (int i = 0; i <= 30; ++i) {
        input->move({x0 + i * 10, y0 + i * 4});
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      input->click({x0 + 300, y0 + 120});
      input->type_text("abc");
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    done = true;
  });
  std::map<std::string, std::vector<double>> per_kind;
  std::vector<double> all;
  auto deadline = Clock::now() + std::chrono::seconds(120);
  while (Clock::now() < deadline) {
    auto e = events->next(std::chrono::milliseconds(done ? 300 : 1000));
    if (!e) {
      if (done) break;
      continue;
    }
    auto t0 = Clock::now();
    session.handle(*e);
    session.watch();
    double us = std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
    all.push_back(us);
    per_kind[dockhand::drivers::kind_name(e->kind)].push_back(us);
  }
  person.join();
  std::printf("%-28s median %8.1f us   p90 %8.1f us   max %8.1f us   (%zu events)\n", "per input event", pct(all, 0.5),
              pct(all, 0.9), pct(all, 1.0), all.size());
  for (const auto& [kind, v] : per_kind)
    std::printf("  %-26s median %8.1f us   p90 %8.1f us   (%zu)\n", kind.c_str(), pct(v, 0.5), pct(v, 0.9), v.size());

  // Watching after the last action (until watch_ms), then idle.
  std::atomic<bool> stop{false};
  long captures0 = session.captures();
  double c0 = cpu_ms();
  auto w0 = Clock::now();
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(o.watch_ms));
    stop = true;
  });
  session.run(&stop);
  stopper.join();
  double watch_cpu = cpu_ms() - c0, watch_s = std::chrono::duration<double>(Clock::now() - w0).count();
  long watch_captures = session.captures() - captures0;

  stop = false;
  captures0 = session.captures();
  c0 = cpu_ms();
  w0 = Clock::now();
  std::thread idle_stopper([&] {
    std::this_thread::sleep_for(std::chrono::seconds(5));
    stop = true;
  });
  session.run(&stop);
  idle_stopper.join();
  double idle_cpu = cpu_ms() - c0, idle_s = std::chrono::duration<double>(Clock::now() - w0).count();
  // The same idle time spent only waiting on the event stream: what the session adds on top.
  c0 = cpu_ms();
  w0 = Clock::now();
  while (Clock::now() - w0 < std::chrono::seconds(5)) events->next(std::chrono::milliseconds(500));
  double bare_cpu = cpu_ms() - c0, bare_s = std::chrono::duration<double>(Clock::now() - w0).count();
  std::printf("%-28s %8.2f ms CPU per s   (%ld screen captures in %.1f s)\n", "watching after an action",
              watch_cpu / watch_s, watch_captures, watch_s);
  std::printf("%-28s %8.2f ms CPU per s   (%ld screen captures in %.1f s)\n", "idle", idle_cpu / idle_s,
              session.captures() - captures0, idle_s);
  std::printf("%-28s %8.2f ms CPU per s   (the event stream alone, for comparison)\n", "idle, waiting on events",
              bare_cpu / bare_s);
  return 0;
}
