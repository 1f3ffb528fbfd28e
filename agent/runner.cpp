// The runner's loop: runs the steps in order, polls the screen while a step waits, and turns a failure into
// the result and its evidence. Where things are: run/locating; popups: run/popup_handlers; what each step
// does: run/steps.cpp; the evidence folder: run/evidence.
#include "agent/runner.h"

#include "agent/run/evidence.h"
#include "agent/run/runner_impl.h"

#include <spdlog/spdlog.h>

#include <cmath>
#include <thread>

namespace dockhand::agent {

using nlohmann::json;
namespace fs = std::filesystem;

nlohmann::json RunResult::to_json() const {
  json j;
  j["status"] = status;
  j["outputs"] = outputs;
  j["failed_step"] = failed_step.empty() ? json(nullptr) : json(failed_step);
  j["reason"] = reason.empty() ? json(nullptr) : json(reason);
  j["category"] = category.empty() ? json(nullptr) : json(category);
  j["evidence"] = evidence.empty() ? json(nullptr) : json(evidence);
  if (!message.empty()) j["message"] = message;
  if (desktop_lost) j["desktop_lost"] = true;
  if (!problems.empty()) {
    j["problems"] = json::array();
    for (const auto& p : problems) j["problems"].push_back(p.str());
  }
  j["elapsed_ms"] = std::round(elapsed_ms);
  if (!timings.empty()) {
    j["steps"] = json::array();
    for (const auto& t : timings)
      j["steps"].push_back({{"step", t.path}, {"ms", std::round(t.total_ms * 10) / 10},
                            {"overhead_ms", std::round(t.overhead_ms() * 10) / 10}});
  }
  return j;
}

int RunResult::exit_code() const {
  if (status == "ok") return 0;
  if (status == "invalid") return 2;
  if (desktop_lost) return 3;
  return 1;
}

namespace run {

Runner::Runner(const Script& s, drivers::Desktop& d, const RunOptions& o, Vars vars)
    : s_(s), d_(d), o_(o), vars_(std::move(vars)), where_(s, &d, vars_),
      handlers_(s, where_, [this](const Handler& h) {
        spdlog::info("agent: handler {} ({}) at {}", h.path, h.name, current_path_);
        auto saved = current_path_;
        run_steps(h.actions);
        current_path_ = saved;
      }) {}

RunResult Runner::run() {
  RunResult r;
  auto start = Clock::now();
  try {
    where_.start();
    run_steps(s_.steps);
    r.status = "ok";
  } catch (const Finished& f) {
    r.status = "ok";
    r.message = f.message;
  } catch (const Failure& f) {
    fail(r, f);
  } catch (const RunAborted& e) {
    // A person's decision (Abort, a hand-back that fails the job) or the orchestrator's: final, never retried.
    fail(r, Failure("aborted", std::string("aborted: ") + e.what()));
  } catch (const drivers::DesktopError& e) {
    r.desktop_lost = true;
    fail(r, Failure("application", std::string("desktop lost: ") + e.what()));
  } catch (const vision::VisionError& e) {
    fail(r, Failure("application", std::string("vision: ") + e.what()));
  } catch (const cv::Exception& e) {
    fail(r, Failure("application", std::string("image processing: ") + e.what()));
  }
  for (const auto& name : s_.outputs) {
    auto it = vars_.find(name);
    if (it != vars_.end()) r.outputs[name] = it->second;
  }
  r.timings = std::move(timings_);
  r.elapsed_ms = ms_between(start, Clock::now());
  if (!r.evidence.empty()) write_result_json(r, s_.file, failure_details_);
  return r;
}

void Runner::run_steps(const Steps& steps) {
  for (const auto& st : steps) {
    auto t0 = Clock::now();
    const bool timed = !handlers_.running() && st.kind != Step::Kind::If;
    if (timed) waiting_ms_ = 0;
    current_path_ = st.path;
    if (o_.before_step) o_.before_step(st.path);
    if (o_.supervision && !supervise(st)) continue;
    try {
      run_step(st);
    } catch (const StepDoneByHand&) {
      spdlog::info("agent: {} done by hand", st.path);
    } catch (...) {
      if (timed) timings_.push_back({st.path, ms_between(t0, Clock::now()), waiting_ms_});
      throw;
    }
    if (timed) timings_.push_back({st.path, ms_between(t0, Clock::now()), waiting_ms_});
  }
}

void Runner::poll(int timeout_ms, const Locator* looked_for, const std::function<bool(std::string&)>& attempt,
                  const std::optional<Searched>* searched) {
  auto start = Clock::now();
  auto deadline = start + std::chrono::milliseconds(timeout_ms);
  std::string why;
  front_.reset();
  for (int n = 0;; ++n) {
    auto t0 = Clock::now();
    where_.capture();
    where_.windows_now();
    why.clear();
    if (attempt(why)) {
      waiting_ms_ += ms_between(start, t0);
      return;
    }
    if (o_.supervision) held_while_waiting(deadline);
    auto h0 = Clock::now();
    // Popups in their own windows are checked at once; popups drawn inside the target window (a whole-window
    // OCR) only once the step has waited kWindowHandlerMs: most misses are the program still drawing.
    if (handlers_.check(ms_between(start, h0) >= kWindowHandlerMs)) {
      deadline += Clock::now() - h0;
      front_.reset();
      continue;
    }
    stuck_behind_dialog(why, looked_for, deadline);
    if (Clock::now() >= deadline) {
      Failure f{"application", "timed out after " + std::to_string(timeout_ms) + " ms: " + why, looked_for};
      if (searched && *searched) {
        f.searched = (*searched)->rect;
        f.searched_by = (*searched)->by;
      } else {
        f.searched = where_.window_area();
      }
      throw f;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(s_.defaults.poll_ms));
  }
}

void Runner::stuck_behind_dialog(const std::string& why, const Locator* looked_for, Clock::time_point& deadline) {
  const auto& ws = where_.windows();
  if (ws.dialogs.empty()) {
    front_.reset();
    return;
  }
  const auto& top = ws.dialogs.front();
  auto r = client_rect(top) & where_.screen();
  if (r.empty()) return;
  cv::Mat now = where_.frame()(r);
  if (!front_ || front_->id != top.id || !same_pixels(front_->pixels, now)) {
    front_ = Front{top.id, now.clone(), Clock::now()};
    return;
  }
  if (ms_between(front_->since, Clock::now()) < kUnexpectedMs) return;
  Failure f{"application",
            "unexpected window \"" + top.title + "\" in front" +
                (ws.target ? " of \"" + ws.target->title + "\"" : std::string()) +
                " (no handler knows it; nothing was clicked): " + why,
            looked_for};
  f.searched = r;
  front_.reset();
  if (o_.supervision && stuck_until_handed_back(f.reason, deadline)) return;
  throw f;
}

void Runner::fail(RunResult& r, const Failure& f) {
  r.status = "failed";
  r.category = f.category;
  r.reason = f.reason;
  r.failed_step = current_path_;
  spdlog::warn("agent: {} failed at {} ({}): {}", s_.name, r.failed_step, r.category, r.reason);
  EvidenceShots shots;
  if (!r.desktop_lost) {
    try {
      where_.capture();  // the screen as it is now, after the failure
    } catch (const std::exception&) {
    }
  }
  shots.screen = where_.frame();
  if (current_path_.rfind("handlers[", 0) == 0) shots.trigger = handlers_.trigger();
  failure_details_ = nlohmann::json::object();
  failure_details_["looked_for"] = nullptr;
  if (f.looked_for) {
    const Locator* loc = f.looked_for;
    while (loc->kind == Locator::Kind::Anchored && loc->anchor_of) loc = loc->anchor_of.get();
    if (loc->kind == Locator::Kind::Image) shots.looked_for_file = where_.template_file(*loc);
    failure_details_["looked_for"] = {{"locator", f.looked_for->describe()}, {"path", f.looked_for->path}};
    if (!shots.looked_for_file.empty()) {
      failure_details_["looked_for"]["template"] = shots.looked_for_file;
      failure_details_["looked_for"]["image"] = "looked-for.png";
    }
  }
  if (f.searched) {
    const auto& a = *f.searched;
    failure_details_["searched"] = {{"screen", {a.x, a.y, a.width, a.height}},
                                    {"where", where_.describe_area(a)}, {"image", "searched.png"}};
    if (!f.searched_by.empty()) failure_details_["searched"]["by"] = f.searched_by;
  }
  r.evidence = write_evidence(o_.evidence_dir, s_.name, f, shots).string();
}

}  // namespace run

namespace {
RunResult invalid(std::vector<Problem> problems, const std::string& where) {
  RunResult r;
  r.status = "invalid";
  r.category = "script";
  r.reason = std::to_string(problems.size()) + " problem(s)" + where + ": " + problems.front().str();
  r.problems = std::move(problems);
  return r;
}
}  // namespace

RunResult run_script(const Script& script, drivers::Desktop& desktop, const RunOptions& options) {
  Vars vars;
  auto problems = check_vars(script, options.vars, &vars);
  if (!problems.empty()) return invalid(std::move(problems), "");
  run::Runner runner(script, desktop, options, std::move(vars));
  auto result = runner.run();
  if (options.supervision) options.supervision->finished();
  return result;
}

RunResult run_script_file(const fs::path& file, const RunOptions& options) {
  auto loaded = load_script(file);
  if (!loaded.ok()) return invalid(loaded.problems, " in " + file.string());
  // Variables are checked before the desktop is opened: a bad value is refused even with no display.
  auto var_problems = check_vars(*loaded.script, options.vars);
  if (!var_problems.empty()) return invalid(std::move(var_problems), "");
  RunResult r;
  std::unique_ptr<drivers::Desktop> desktop;
  try {
    desktop = drivers::open_desktop(options.display);
  } catch (const drivers::DesktopError& e) {
    r.status = "failed";
    r.category = "application";
    r.desktop_lost = true;
    r.reason = std::string("no desktop: ") + e.what();
    return r;
  }
  return run_script(*loaded.script, *desktop, options);
}

}  // namespace dockhand::agent
