// console/: the remote view, supervised replay and take-over (docs/console.md, "Remote view, supervised replay
// and take-over"). An agent's frames reach the browser as Server-Sent Events (cpp-httplib has no WebSocket):
// each viewer has a mailbox of two frames; a viewer that falls behind loses what is queued and waits for the
// next key frame instead of queueing more. That key frame is asked for once the viewer has caught up (its
// mailbox empty), not at every overflow: a stalled viewer would otherwise have the agent encode whole screens
// at its frame rate, for everybody, while nobody can take them. Acting (supervision, take-over, input, starting
// a supervised job) is a POST, so the access guard lets operators only. Input events are forwarded, counted
// by the agent and never logged.
#include "internal.h"

#include "orchestrator/fleet/closeout_stage.h"
#include "orchestrator/fleet/fleet.h"

#include <spdlog/spdlog.h>

#include <condition_variable>
#include <deque>
#include <set>

namespace dockhand::console {

using json = nlohmann::json;

namespace {

std::string base64(const std::string& bytes) {
  static const char* table = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    unsigned n = (static_cast<unsigned char>(bytes[i]) << 16) | (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                 static_cast<unsigned char>(bytes[i + 2]);
    out += table[n >> 18];
    out += table[(n >> 12) & 63];
    out += table[(n >> 6) & 63];
    out += table[n & 63];
  }
  if (i < bytes.size()) {
    unsigned n = static_cast<unsigned char>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) n |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    out += table[n >> 18];
    out += table[(n >> 12) & 63];
    out += i + 1 < bytes.size() ? table[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

// One browser watching one agent.
struct Viewer {
  static constexpr std::size_t kMailbox = 2;
  std::mutex m;
  std::condition_variable cv;
  std::deque<std::shared_ptr<const protocol::Frame>> frames;
  bool need_key = true;  // until a key frame: a tile without the picture under it means nothing
  bool key_asked = true;  // a key frame is on its way (watch() asks for one for every new viewer)
  bool closed = false;
  std::uint64_t dropped = 0;
};

std::string event_of(const protocol::Frame& f, std::uint64_t dropped) {
  json tiles = json::array();
  for (std::size_t i = 0; i < f.tiles.size() && i < f.images.size(); ++i)
    tiles.push_back({{"x", f.tiles[i].x}, {"y", f.tiles[i].y}, {"w", f.tiles[i].w}, {"h", f.tiles[i].h},
                     {"jpeg", base64(f.images[i].bytes)}});
  json j{{"seq", f.seq}, {"key", f.key}, {"width", f.width}, {"height", f.height}, {"captured_ms", f.captured_ms},
         {"job_id", f.job_id}, {"overlay", f.overlay}, {"tiles", tiles}, {"dropped", dropped}};
  return "event: frame\ndata: " + j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n\n";
}

std::string agent_of(const httplib::Request& req) { return req.matches.size() > 1 ? std::string(req.matches[1]) : ""; }

std::optional<json> json_body(const httplib::Request& req, httplib::Response& res) {
  if (req.body.empty()) return json::object();
  auto body = json::parse(req.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    send_error(res, 400, "the body must be a JSON object");
    return std::nullopt;
  }
  return body;
}

std::string string_field(const json& body, const char* key) {
  auto it = body.find(key);
  return it != body.end() && it->is_string() ? it->get<std::string>() : "";
}

}  // namespace

json request_screens(Context& context, std::int64_t request_id, const std::vector<chain::Event>& events) {
  json out = json::array();
  auto* fleet = context.options.fleet;
  if (!fleet) return out;
  const auto of_request = [request_id](const std::string& job) {
    return fleet::FleetCloseout::request_of_job(job) == request_id;
  };
  std::map<std::string, fleet::AgentInfo> connected;
  for (auto& a : fleet->agents()) connected.emplace(a.agent_id, std::move(a));
  const auto row = [](const std::string& agent, const std::string& job, bool running, const fleet::AgentInfo* a) {
    return json{{"agent", agent},
                {"job_id", job},
                {"running", running},
                {"state", a ? a->state : "gone"},
                {"held_by", a && !a->held_by.empty() ? json(a->held_by) : json()},
                {"step", running && a && !a->job_step.empty() ? json(a->job_step) : json()}};
  };
  std::set<std::string> seen;
  for (const auto& [id, a] : connected)
    if (of_request(a.job_id) && seen.insert(id).second) out.push_back(row(id, a.job_id, true, &a));
  // Then who ran them before, newest first: JOB_DISPATCHED says "<job> @<agent>[: detail]".
  for (auto e = events.rbegin(); e != events.rend(); ++e) {
    if (e->step != "JOB_DISPATCHED") continue;
    const auto at = e->detail.find(" @");
    if (at == std::string::npos || !of_request(e->detail.substr(0, at))) continue;
    const auto end = e->detail.find(": ", at + 2);
    const std::string agent = e->detail.substr(at + 2, end == std::string::npos ? std::string::npos : end - at - 2);
    if (agent.empty() || !seen.insert(agent).second) continue;
    auto a = connected.find(agent);
    out.push_back(row(agent, e->detail.substr(0, at), false, a == connected.end() ? nullptr : &a->second));
  }
  return out;
}

void add_remote_routes(httplib::Server& server, Context& context) {
  // The screen of one agent, as it changes: text/event-stream, one "frame" event per frame.
  server.Get(R"(/api/agents/([A-Za-z0-9_.:@-]{1,200})/view)", [&context](const httplib::Request& req, httplib::Response& res) {
    auto* fleet = context.options.fleet;
    const std::string agent = agent_of(req);
    if (!fleet) return send_error(res, 404, "this serve has no fleet");
    auto viewer = std::make_shared<Viewer>();
    auto id = fleet->watch(agent, [viewer](const std::shared_ptr<const protocol::Frame>& frame) {
      std::lock_guard lock(viewer->m);
      if (viewer->closed) return;
      if (viewer->need_key && !frame->key) {
        if (!frame->tiles.empty()) ++viewer->dropped;
        return;
      }
      if (viewer->frames.size() >= Viewer::kMailbox) {
        // Slow viewer: what waits is stale. Start again from the next key frame, asked for now.
        viewer->dropped += viewer->frames.size();
        viewer->frames.clear();
        if (!frame->key) {
          viewer->need_key = true;
          ++viewer->dropped;
          return;
        }
      }
      if (frame->key) viewer->need_key = viewer->key_asked = false;
      viewer->frames.push_back(frame);
      viewer->cv.notify_all();
    });
    if (id == 0) return send_error(res, 404, "no agent " + agent);
    res.set_header("Cache-Control", "no-store");
    res.set_header("X-Accel-Buffering", "no");
    res.set_chunked_content_provider(
        "text/event-stream",
        [viewer, fleet, agent](std::size_t, httplib::DataSink& sink) {
          std::shared_ptr<const protocol::Frame> frame;
          std::uint64_t dropped = 0;
          bool ask = false;
          {
            std::lock_guard lock(viewer->m);
            // Caught up after a drop: now a key frame is worth having.
            ask = viewer->need_key && viewer->frames.empty() && !viewer->key_asked;
            if (ask) viewer->key_asked = true;
          }
          if (ask) fleet->request_keyframe(agent);
          {
            std::unique_lock lock(viewer->m);
            viewer->cv.wait_for(lock, std::chrono::seconds(10), [&] { return viewer->closed || !viewer->frames.empty(); });
            if (viewer->closed) return false;
            if (!viewer->frames.empty()) {
              frame = viewer->frames.front();
              viewer->frames.pop_front();
              dropped = viewer->dropped;
            }
          }
          const std::string text = frame ? event_of(*frame, dropped) : std::string(": still here\n\n");
          if (!sink.is_writable() || !sink.write(text.data(), text.size())) return false;
          return true;
        },
        [viewer, fleet, id](bool) {
          {
            std::lock_guard lock(viewer->m);
            viewer->closed = true;
          }
          fleet->unwatch(id);
        });
  });

  // Supervision of the running job and the take-over: {"action": pause|step|resume|skip|abort|takeover|handback,
  // "how": resume|step_done|fail (handback), "job_id"?}.
  server.Post(R"(/api/agents/([A-Za-z0-9_.:@-]{1,200})/control)", [&context](const httplib::Request& req, httplib::Response& res) {
    auto* fleet = context.options.fleet;
    if (!fleet) return send_error(res, 404, "this serve has no fleet");
    auto who = authenticate(context, req);
    auto body = json_body(req, res);
    if (!body || !who) return;
    const std::string action = string_field(*body, "action");
    static const std::set<std::string> actions = {"pause", "step", "resume", "skip", "abort", "takeover", "handback"};
    if (!actions.count(action)) return send_error(res, 400, "action must be one of pause, step, resume, skip, abort, takeover, handback");
    protocol::Control control{action, string_field(*body, "job_id"), json::object(), ""};
    if (action == "handback") {
      const std::string how = string_field(*body, "how");
      if (!how.empty() && how != "resume" && how != "step_done" && how != "fail")
        return send_error(res, 400, "how must be resume, step_done or fail");
      control.input["how"] = how.empty() ? "resume" : how;
    }
    const std::string actor = "console:" + who->name;
    auto why = fleet->control(agent_of(req), control, actor);
    if (!why.empty()) return send_error(res, why.rfind("no agent", 0) == 0 ? 404 : 409, why);
    spdlog::info("console: {} by {} on agent {}", action, actor, agent_of(req));
    // The job's log has it already: the fleet's "control" event, with the job the agent runs.
    send_json(res, 200, {{"ok", true}});
  });

  // Pointer and keys of the person holding the agent: {"events":[{"type":"click","x","y","button","count"}, ...]}.
  // Never logged: they may be a password.
  server.Post(R"(/api/agents/([A-Za-z0-9_.:@-]{1,200})/input)", [&context](const httplib::Request& req, httplib::Response& res) {
    auto* fleet = context.options.fleet;
    if (!fleet) return send_error(res, 404, "this serve has no fleet");
    auto who = authenticate(context, req);
    auto body = json_body(req, res);
    if (!body || !who) return;
    auto events = body->find("events");
    if (events == body->end() || !events->is_array() || events->size() > 200)
      return send_error(res, 400, "events must be a list of at most 200 input events");
    protocol::Control control{"input", "", {{"events", *events}}, ""};
    auto why = fleet->control(agent_of(req), control, "console:" + who->name);
    if (!why.empty()) return send_error(res, why.rfind("no agent", 0) == 0 ? 404 : 409, why);
    send_json(res, 200, {{"ok", true}, {"count", events->size()}});
  });

  // A job started from the console: {"script", "vars":{...}, "app"?, "supervised"?: true}.
  server.Post("/api/jobs", [&context](const httplib::Request& req, httplib::Response& res) {
    auto* fleet = context.options.fleet;
    if (!fleet) return send_error(res, 404, "this serve has no fleet");
    auto who = authenticate(context, req);
    auto body = json_body(req, res);
    if (!body || !who) return;
    fleet::JobRequest job;
    job.script = string_field(*body, "script");
    if (job.script.empty() || job.script.size() > 64 ||
        job.script.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") != std::string::npos)
      return send_error(res, 400, "script must be the name of a folder in recordings/ (letters, digits, - and _)");
    job.app = string_field(*body, "app");
    if (job.app.empty()) job.app = job.script.substr(0, job.script.find('-'));  // erp-closeout -> erp
    if (auto vars = body->find("vars"); vars != body->end()) {
      if (!vars->is_object()) return send_error(res, 400, "vars must be an object of strings");
      for (const auto& [k, v] : vars->items()) {
        if (!v.is_string()) return send_error(res, 400, "vars." + k + " must be a string");
        job.vars[k] = v.get<std::string>();
      }
    }
    auto supervised = body->find("supervised");
    job.supervised = supervised == body->end() || (supervised->is_boolean() && supervised->get<bool>());
    static std::atomic<unsigned> counter{0};
    job.job_id = "console-" + std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                               std::chrono::system_clock::now().time_since_epoch()).count()) +
                 "-" + std::to_string(++counter) + "-" + job.script;
    const std::string actor = "console:" + who->name;
    if (context.jobs)
      context.jobs->note(job.job_id, "started", std::string(job.supervised ? "supervised " : "") + job.script +
                                                    " started by " + actor, now_iso());
    if (!fleet->submit(job)) return send_error(res, 409, "a job " + job.job_id + " is pending already");
    spdlog::info("console: job {} ({}{}) started by {}", job.job_id, job.supervised ? "supervised " : "", job.script, actor);
    send_json(res, 200, {{"job_id", job.job_id}, {"supervised", job.supervised}});
  });

  server.Get(R"(/api/jobs/([A-Za-z0-9_.:@-]{1,200}))", [&context](const httplib::Request& req, httplib::Response& res) {
    const std::string id = agent_of(req);
    auto events = context.jobs ? context.jobs->events(id) : std::nullopt;
    if (!events) return send_error(res, 404, "no job " + id + " (the log keeps the last 500 jobs)");
    std::string state = "queued", agent;
    for (const auto& e : *events) {
      const std::string kind = e["kind"];
      if (!e["agent"].get<std::string>().empty()) agent = e["agent"];
      if (kind == "dispatched" || kind == "acked" || kind == "supervision") state = "running";
      if (kind == "finished") state = e["detail"].get<std::string>().rfind("ok", 0) == 0 ? "done" : "failed";
      if (kind == "retry" || kind == "requeued") state = "queued";
    }
    send_json(res, 200, {{"id", id}, {"state", state}, {"agent", agent.empty() ? json() : json(agent)}, {"events", *events}});
  });
}

}  // namespace dockhand::console
