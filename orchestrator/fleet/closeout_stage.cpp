#include "closeout_stage.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <regex>
#include <set>
#include <thread>

namespace dockhand::fleet {
namespace {

using json = nlohmann::json;
using protocol::Outcome;

const char* const kJobDone = "JOB_DONE";

bool matches(const std::string& text, const char* pattern) { return std::regex_match(text, std::regex(pattern)); }

std::string join(const std::vector<std::string>& items, const std::string& sep) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : sep) + i;
  return out;
}

}  // namespace

struct FleetCloseout::Impl {
  Fleet& fleet;
  chain::Store& store;
  CloseoutOptions options;

  struct Step {
    JobRequest request;
    std::string shipment;
    std::string po;  // ERP steps
    bool opship = false;
    bool submitted = false;
    bool done = false;
    std::map<std::string, std::string> outputs;
  };
  struct Request {
    std::int64_t id = 0;
    std::vector<std::string> shipments;  // in order
    std::vector<Step> steps;
  };

  mutable std::mutex mutex;
  std::map<std::int64_t, Request> active;
  std::map<std::string, std::int64_t> owner;  // job id -> request id, while the job is ours and in flight

  struct PendingEvent {
    std::int64_t request_id;
    std::string step, detail;
  };
  std::mutex events_mutex;
  std::deque<PendingEvent> events;

  std::atomic<bool> stopping{false};
  std::thread thread;

  Impl(Fleet& f, chain::Store& s, CloseoutOptions o) : fleet(f), store(s), options(std::move(o)) {}

  // ---- fleet events (fleet thread: only queue them) ----
  void on_fleet_event(const FleetEvent& e) {
    if (e.job_id.empty()) return;
    std::string step;
    if (e.kind == "dispatched") step = "JOB_DISPATCHED";
    else if (e.kind == "progress") step = options.progress_events ? "JOB_PROGRESS" : "";
    else if (e.kind == "retry") step = "JOB_RETRY";
    else if (e.kind == "requeued") step = "JOB_REQUEUED";
    else if (e.kind == "agent_lost") step = "AGENT_LOST";
    else if (e.kind == "control") step = "JOB_CONTROL";          // a person's supervision decision
    else if (e.kind == "supervision") step = "JOB_SUPERVISION";  // stopped, held, handed back, stuck
    if (step.empty()) return;
    std::int64_t request_id;
    {
      std::lock_guard lock(mutex);
      auto it = owner.find(e.job_id);
      if (it == owner.end()) return;
      request_id = it->second;
    }
    std::string detail = e.job_id;
    if (!e.agent_id.empty()) detail += " @" + e.agent_id;
    if (!e.detail.empty()) detail += ": " + e.detail;
    std::lock_guard lock(events_mutex);
    events.push_back({request_id, std::move(step), std::move(detail)});
  }

  void flush_events() {
    std::deque<PendingEvent> batch;
    {
      std::lock_guard lock(events_mutex);
      batch.swap(events);
    }
    for (const auto& e : batch) {
      try {
        store.add_event(e.request_id, options.actor, e.step, e.detail);
      } catch (const std::exception& ex) {
        spdlog::warn("fleet close-out: cannot record event {} of routing request #{}: {}", e.step, e.request_id,
                     ex.what());
      }
    }
  }

  // ---- building the jobs ----
  // Returns the reason the confirmed data cannot be typed into the programs, or "".
  static std::string check(const chain::CloseoutJob& job) {
    if (job.shipments.empty()) return "no shipments to close out";
    for (const auto& s : job.shipments) {
      const auto& id = s.vendor_shipment_identifier;
      if (!matches(id, "^[A-Z0-9-]{4,32}$")) return "shipment identifier '" + id + "' cannot be typed into OpShip";
      if (s.carrier.empty()) return "Amazon's details of shipment " + id + " name no carrier";
      if (!matches(s.pickup_date, "^\\d{4}-\\d{2}-\\d{2}$"))
        return "Amazon's details of shipment " + id + " have no pickup date (got '" + s.pickup_date + "')";
      if (s.cartons < 0 || s.pallets < 0) return "shipment " + id + " has a negative carton or pallet count";
      if (!s.amazon_reference.empty() && !matches(s.amazon_reference, "^[0-9]+$"))
        return "Amazon reference '" + s.amazon_reference + "' of shipment " + id + " is not digits";
      for (const auto& po : s.pos)
        if (!matches(po, "^[A-Z0-9]{8}$")) return "PO '" + po + "' of shipment " + id + " cannot be typed into the ERP";
    }
    return "";
  }

  Request build(const chain::CloseoutJob& job) const {
    Request r;
    r.id = job.request_id;
    std::string key = "request-" + std::to_string(job.request_id);
    for (const auto& s : job.shipments) {
      const auto& sid = s.vendor_shipment_identifier;
      r.shipments.push_back(sid);
      std::set<std::string> seen;
      for (const auto& po : s.pos) {
        if (!seen.insert(po).second) continue;
        Step step;
        step.request = JobRequest{erp_job_id(job.request_id, sid, po), options.erp_app, options.erp_script,
                                  {{"po", po}}, options.lease, false, key};
        step.shipment = sid;
        step.po = po;
        r.steps.push_back(std::move(step));
      }
      Step step;
      step.request = JobRequest{opship_job_id(job.request_id, sid),
                                options.opship_app,
                                options.opship_script,
                                {{"shipment_id", sid},
                                 {"carrier", s.carrier},
                                 {"pickup_date", s.pickup_date},
                                 {"cartons", std::to_string(s.cartons)},
                                 {"pallets", std::to_string(s.pallets)},
                                 {"reference", s.amazon_reference},
                                 {"pos", join(s.pos, ",")}},
                                options.lease,
                                false,
                                key};
      step.shipment = sid;
      step.opship = true;
      r.steps.push_back(std::move(step));
    }
    return r;
  }

  // Jobs recorded as done before (a resumed close-out).
  void load_done(Request& r) {
    for (const auto& e : store.events(r.id)) {
      if (e.step != kJobDone) continue;
      auto j = json::parse(e.detail, nullptr, false);
      if (!j.is_object() || !j.contains("job_id") || !j["job_id"].is_string()) continue;
      for (auto& step : r.steps) {
        if (step.request.job_id != j["job_id"].get<std::string>()) continue;
        step.done = true;
        step.outputs.clear();
        if (j.contains("outputs") && j["outputs"].is_object())
          for (const auto& [k, v] : j["outputs"].items())
            if (v.is_string()) step.outputs[k] = v.get<std::string>();
      }
    }
  }

  // ---- progress (called with mutex held; returns the jobs to submit) ----
  std::vector<JobRequest> next_jobs(Request& r) {
    std::vector<JobRequest> out;
    for (auto& step : r.steps) {
      if (step.submitted || step.done) continue;
      if (step.opship) {
        bool erp_done = true;
        for (const auto& other : r.steps)
          if (!other.opship && other.shipment == step.shipment && !other.done) erp_done = false;
        if (!erp_done) continue;
      }
      step.submitted = true;
      owner[step.request.job_id] = r.id;
      out.push_back(step.request);
    }
    return out;
  }

  static bool all_done(const Request& r) {
    for (const auto& s : r.steps)
      if (!s.done) return false;
    return true;
  }

  json outputs_of(const Request& r) const {
    json shipments = json::array();
    for (const auto& sid : r.shipments) {
      json erp = json::object();
      std::string bol;
      for (const auto& s : r.steps) {
        if (s.shipment != sid) continue;
        if (s.opship) bol = s.outputs.count("bol") ? s.outputs.at("bol") : "";
        else erp[s.po] = s.outputs.count("reference") ? s.outputs.at("reference") : "";
      }
      shipments.push_back({{"vendor_shipment_identifier", sid}, {"erp", erp}, {"bol", bol}});
    }
    return {{"shipments", shipments}};
  }

  std::string summary_of(const Request& r) const {
    std::string out;
    for (const auto& sid : r.shipments) {
      std::vector<std::string> refs;
      std::string bol;
      for (const auto& s : r.steps) {
        if (s.shipment != sid) continue;
        if (s.opship) bol = s.outputs.count("bol") ? s.outputs.at("bol") : "?";
        else refs.push_back(s.po + " " + (s.outputs.count("reference") ? s.outputs.at("reference") : "?"));
      }
      out += (out.empty() ? "" : "; ") + sid + ": " + bol + (refs.empty() ? "" : " (" + join(refs, ", ") + ")");
    }
    return "closed out: " + out;
  }

  void submit_all(const std::vector<JobRequest>& jobs) {
    for (const auto& j : jobs) {
      if (!fleet.submit(j))
        spdlog::info("fleet close-out: job {} is already with the fleet", j.job_id);
      else
        spdlog::info("fleet close-out: submitted {} ({})", j.job_id, j.script);
    }
  }

  // Removes the request from the active set (mutex held) and forgets its jobs.
  void forget(std::int64_t id) {
    for (auto it = owner.begin(); it != owner.end();)
      it = it->second == id ? owner.erase(it) : std::next(it);
    active.erase(id);
  }

  void finish(std::int64_t id, const json& outputs, const std::string& detail) {
    try {
      store.finish_closeout(id, outputs, options.actor, detail);
      spdlog::info("fleet close-out: routing request #{} DONE: {}", id, detail);
    } catch (const chain::TransitionError& e) {
      spdlog::warn("fleet close-out: routing request #{} could not move to DONE: {}", id, e.what());
    } catch (const std::exception& e) {
      spdlog::error("fleet close-out: routing request #{}: storing the close-out failed: {}", id, e.what());
    }
  }

  void attention(std::int64_t id, const std::string& reason, const json& evidence) {
    try {
      store.needs_attention(id, reason, evidence, options.actor);
      spdlog::warn("fleet close-out: routing request #{} NEEDS_ATTENTION: {}", id, reason);
    } catch (const chain::TransitionError& e) {
      spdlog::warn("fleet close-out: routing request #{} could not move to NEEDS_ATTENTION: {}", id, e.what());
    } catch (const std::exception& e) {
      spdlog::error("fleet close-out: routing request #{}: storing NEEDS_ATTENTION failed: {}", id, e.what());
    }
  }

  // ---- chain thread ----
  void dispatch(const chain::CloseoutJob& job) {
    const auto id = job.request_id;
    if (auto problem = check(job); !problem.empty()) {
      attention(id, "close-out not started: " + problem, json{{"stage", "closeout"}});
      return;
    }
    std::vector<JobRequest> jobs;
    bool done = false;
    json outputs;
    std::string summary, plan;
    {
      std::lock_guard lock(mutex);
      if (active.count(id)) {
        spdlog::info("fleet close-out: routing request #{} is already being closed out", id);
        return;
      }
      Request r = build(job);
      if (job.resumed) load_done(r);
      std::size_t skipped = 0;
      for (const auto& s : r.steps) skipped += s.done ? 1 : 0;
      if (job.resumed)
        spdlog::info("fleet close-out: resuming routing request #{}: {} of {} job(s) done before", id, skipped,
                     r.steps.size());
      std::vector<std::string> names;
      for (const auto& step : r.steps)
        names.push_back(step.opship ? "OpShip " + step.shipment : "ERP " + step.po);
      plan = std::to_string(r.steps.size()) + " job(s): " + join(names, ", ") +
             (job.resumed ? "; resumed, " + std::to_string(skipped) + " done before" : "");
      if (all_done(r)) {
        done = true;
        outputs = outputs_of(r);
        summary = summary_of(r);
      } else {
        auto& stored = active[id] = std::move(r);
        jobs = next_jobs(stored);
      }
    }
    try {
      store.add_event(id, options.actor, "CLOSEOUT_PLAN", plan);
    } catch (const std::exception& e) {
      spdlog::warn("fleet close-out: cannot record the plan of routing request #{}: {}", id, e.what());
    }
    if (done) {
      finish(id, outputs, summary);
      return;
    }
    submit_all(jobs);
  }

  // ---- chain thread: a cancelled shipment ----
  chain::WithdrawResult withdraw(std::int64_t id, const std::vector<std::string>& shipments) {
    chain::WithdrawResult out;
    auto cancelled = [&](const std::string& sid) {
      return std::find(shipments.begin(), shipments.end(), sid) != shipments.end();
    };
    std::vector<std::string> with_fleet;  // asked of the fleet without our lock (its thread takes ours)
    {
      std::lock_guard lock(mutex);
      auto req = active.find(id);
      if (req == active.end()) return out;
      for (const auto& s : req->second.steps)
        if (cancelled(s.shipment) && s.submitted && !s.done) with_fleet.push_back(s.request.job_id);
    }
    std::set<std::string> taken_back;
    for (const auto& job : with_fleet)
      if (fleet.withdraw(job)) taken_back.insert(job);
    bool finished = false;
    json outputs;
    std::string summary;
    std::vector<JobRequest> jobs;
    {
      std::lock_guard lock(mutex);
      auto req = active.find(id);
      if (req == active.end()) return out;
      Request& r = req->second;
      for (auto s = r.steps.begin(); s != r.steps.end();) {
        if (!cancelled(s->shipment)) {
          ++s;
          continue;
        }
        const auto& job = s->request.job_id;
        bool withdrawn = !s->done && (!s->submitted || taken_back.count(job));
        (withdrawn ? out.withdrawn : out.ran).push_back(job);
        owner.erase(job);
        s = r.steps.erase(s);
      }
      r.shipments.erase(std::remove_if(r.shipments.begin(), r.shipments.end(), cancelled), r.shipments.end());
      if (r.steps.empty()) {
        forget(id);
      } else if (all_done(r)) {
        finished = true;
        outputs = outputs_of(r);
        summary = summary_of(r);
        forget(id);
      } else {
        jobs = next_jobs(r);
      }
    }
    spdlog::info("fleet close-out: routing request #{}: {} job(s) withdrawn, {} already run or running", id,
                 out.withdrawn.size(), out.ran.size());
    if (finished) finish(id, outputs, summary);
    submit_all(jobs);
    return out;
  }

  // ---- outcome thread ----
  void on_outcome(const JobOutcome& o) {
    std::int64_t id = 0;
    std::vector<JobRequest> jobs;
    enum { nothing, finished, failed } verdict = nothing;
    json outputs, evidence;
    std::string summary, reason;
    const Step* failed_step = nullptr;
    Step failed_copy;
    {
      std::lock_guard lock(mutex);
      auto own = owner.find(o.job_id);
      if (own == owner.end()) {
        spdlog::info("fleet close-out: outcome of job {} ({}) ignored: no close-out waits for it", o.job_id,
                     protocol::to_string(o.outcome));
        return;
      }
      id = own->second;
      owner.erase(own);
      auto req = active.find(id);
      if (req == active.end()) return;
      Request& r = req->second;
      Step* step = nullptr;
      for (auto& s : r.steps)
        if (s.request.job_id == o.job_id) step = &s;
      if (!step) return;
      std::string missing;
      if (o.outcome == Outcome::ok) {
        const char* key = step->opship ? "bol" : "reference";
        const char* pattern = step->opship ? "^BOL[0-9]{7}$" : "^PT-[0-9]{6}$";
        auto it = o.outputs.find(key);
        if (it == o.outputs.end() || !matches(it->second, pattern))
          missing = std::string("the agent reported success but read back no valid ") + key + " (got '" +
                    (it == o.outputs.end() ? std::string() : it->second) + "')";
      }
      if (o.outcome == Outcome::ok && missing.empty()) {
        step->done = true;
        step->outputs = o.outputs;
        jobs = next_jobs(r);
        if (all_done(r)) {
          verdict = finished;
          outputs = outputs_of(r);
          summary = summary_of(r);
          forget(id);
        }
      } else {
        verdict = failed;
        failed_copy = *step;
        failed_step = &failed_copy;
        if (!missing.empty())
          reason = o.job_id + ": " + missing;
        else if (o.outcome == Outcome::business)
          reason = o.job_id + ": " + (o.reason.empty() ? "business failure" : o.reason);
        else if (o.category == "aborted")
          reason = o.job_id + ": " + (o.reason.empty() ? "aborted" : o.reason) + " (not retried: a person decided)";
        else
          reason = o.job_id + ": application failure after " + std::to_string(o.attempts) + " attempt(s): " +
                   (o.reason.empty() ? o.category : o.reason);
        forget(id);
      }
    }
    if (verdict != failed && o.outcome == Outcome::ok) {
      json done{{"job_id", o.job_id}, {"agent", o.agent_id}, {"attempts", o.attempts}, {"outputs", o.outputs}};
      try {
        store.add_event(id, options.actor, kJobDone, done.dump());
      } catch (const std::exception& e) {
        spdlog::error("fleet close-out: cannot record {} done for routing request #{}: {}", o.job_id, id, e.what());
      }
    }
    if (verdict == failed) {
      json ids = json::array();
      for (const auto& image : o.images) {
        try {
          ids.push_back(store.add_evidence(id, o.job_id + "-" + image.name, image.mime, image.bytes, options.actor));
        } catch (const std::exception& e) {
          spdlog::error("fleet close-out: cannot store evidence {} of job {}: {}", image.name, o.job_id, e.what());
        }
      }
      json files = json::array();
      for (const auto& f : o.evidence_files) files.push_back(f.string());
      evidence = {{"job_id", o.job_id},
                  {"script", failed_step->request.script},
                  {"vars", failed_step->request.vars},
                  {"shipment", failed_step->shipment},
                  {"outcome", protocol::to_string(o.outcome)},
                  {"category", o.category},
                  {"failed_step", o.failed_step},
                  {"reason", o.reason},
                  {"agent", o.agent_id},
                  {"attempts", o.attempts},
                  {"outputs", o.outputs},
                  {"details", o.evidence},
                  {"evidence_ids", ids},
                  {"evidence_files", files}};
      if (!failed_step->po.empty()) evidence["po"] = failed_step->po;
      attention(id, reason, evidence);
      return;
    }
    if (verdict == finished) {
      finish(id, outputs, summary);
      return;
    }
    submit_all(jobs);
  }

  void loop() {
    while (!stopping) {
      flush_events();
      auto o = fleet.next_outcome(std::chrono::milliseconds(50));
      flush_events();  // the job's events before its verdict
      if (o) {
        try {
          on_outcome(*o);
        } catch (const std::exception& e) {
          spdlog::error("fleet close-out: handling the outcome of job {} failed: {}", o->job_id, e.what());
        }
      }
    }
    flush_events();
  }
};

FleetCloseout::FleetCloseout(Fleet& fleet, chain::Store& store, CloseoutOptions options)
    : impl_(std::make_shared<Impl>(fleet, store, std::move(options))) {
  std::weak_ptr<Impl> weak = impl_;
  fleet.on_event([weak](const FleetEvent& e) {
    if (auto impl = weak.lock()) impl->on_fleet_event(e);
  });
  impl_->thread = std::thread([impl = impl_.get()] { impl->loop(); });
}

FleetCloseout::~FleetCloseout() {
  impl_->stopping = true;
  if (impl_->thread.joinable()) impl_->thread.join();
}

void FleetCloseout::dispatch(const chain::CloseoutJob& job) { impl_->dispatch(job); }

chain::WithdrawResult FleetCloseout::withdraw(std::int64_t request_id, const std::vector<std::string>& shipments) {
  return impl_->withdraw(request_id, shipments);
}

std::size_t FleetCloseout::active() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->active.size();
}

std::string FleetCloseout::erp_job_id(std::int64_t request_id, const std::string& shipment, const std::string& po) {
  return std::to_string(request_id) + "-" + shipment + "-erp-" + po;
}

std::string FleetCloseout::opship_job_id(std::int64_t request_id, const std::string& shipment) {
  return std::to_string(request_id) + "-" + shipment + "-opship";
}

}  // namespace dockhand::fleet
