#include "agent/cli/terminal_supervisor.h"

#include <iostream>
#include <mutex>
#include <string>
#include <thread>

namespace dockhand::agent_cli {

namespace {

std::string rect_text(const drivers::Rect& r) {
  return "[" + std::to_string(r.x) + ", " + std::to_string(r.y) + ", " + std::to_string(r.w) + ", " +
         std::to_string(r.h) + "]";
}

std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
}

}  // namespace

void supervise_from_terminal(const std::shared_ptr<agent::Supervision>& supervision, std::istream& in,
                             std::ostream& out) {
  auto printed = std::make_shared<std::uint64_t>(0);
  auto out_mutex = std::make_shared<std::mutex>();
  supervision->on_change([printed, out_mutex, &out](const agent::Supervision::State& s) {
    if (s.mode != "stopped" || s.stops <= *printed) return;
    *printed = s.stops;
    std::lock_guard lock(*out_mutex);
    out << "[stop " << s.stops << "] " << s.step.path << ": " << s.step.what;
    if (s.step.target)
      out << "\n  target " << rect_text(*s.step.target)
          << (s.step.target_found ? " (found)" : " (not found yet: it is looked for in this area)");
    out << "\n  Enter = step, c = continue, s = skip, a = abort > " << std::flush;
  });
  std::thread([supervision, out_mutex, &in, &out] {
    std::uint64_t acted = 0;  // the stop the last command was for
    auto say = [&](const std::string& text) {
      std::lock_guard lock(*out_mutex);
      out << text << std::endl;
    };
    for (;;) {
      std::string line;
      const bool got = static_cast<bool>(std::getline(in, line));
      line = trim(line);
      if (got && line == "p") {
        if (auto why = supervision->pause(); !why.empty()) say("  (" + why + ")");
        continue;
      }
      // A command is for the next stop: keys typed (or piped) ahead wait for the runner to get there.
      while (!supervision->wait_stopped(acted, std::chrono::seconds(1))) {
      }
      auto s = supervision->state();
      if (s.mode == "finished") return;
      acted = s.stops;
      if (!got) {
        say("  (stdin closed: continuing)");
        supervision->resume();
        return;
      }
      std::string why;
      if (line.empty()) why = supervision->step();
      else if (line == "c") why = supervision->resume();
      else if (line == "s") why = supervision->skip();
      else if (line == "a") {
        supervision->abort("aborted at the terminal");
        return;
      } else {
        say("  \"" + line + "\"? Enter = step, c = continue, s = skip, a = abort, p = pause");
        acted = s.stops - 1;  // still this stop
        continue;
      }
      if (!why.empty()) say("  (" + why + ")");
    }
  }).detach();
}

}  // namespace dockhand::agent_cli
