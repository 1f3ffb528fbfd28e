#include "agent/cli/desk.h"

#include <spdlog/spdlog.h>

namespace dockhand::agent_cli {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

json rect_json(const std::optional<drivers::Rect>& r) {
  return r ? json::array({r->x, r->y, r->w, r->h}) : json(nullptr);
}

int int_of(const json& e, const char* key, int fallback = 0) {
  auto it = e.find(key);
  return it != e.end() && it->is_number_integer() ? it->get<int>() : fallback;
}

}  // namespace

Desk::Desk(Options options, protocol::Worker*& worker) : o_(std::move(options)), worker_(worker) {
  auto view = o_.view;
  view.display = o_.display;
  view_ = std::make_unique<agent::ViewStreamer>(
      view, [this](const agent::EncodedFrame& f, std::int64_t captured_ms) { post_frame(f, captured_ms); });
}

Desk::~Desk() {
  // What the remote view cost over the agent's life (bench.fleet.idle: 0 and 0 for an agent nobody watched).
  spdlog::info("agent: remote view: {} screens captured, {} frames sent", view_->frames_captured(), view_->frames_sent());
  view_.reset();
}

std::shared_ptr<agent::Supervision> Desk::begin_job(const protocol::Job& job) {
  auto s = std::make_shared<agent::Supervision>(job.supervised);
  s->set_hold_stuck(o_.hold_when_stuck);
  s->set_watched(view_->watched());
  {
    std::lock_guard lock(m_);
    job_id_ = job.job_id;
    supervision_ = s;
    last_ = s->state();
  }
  s->on_change([this](const agent::Supervision::State& st) { report(st); });
  if (job.supervised) spdlog::info("agent: job {} is supervised: it stops before every step", job.job_id);
  return s;
}

void Desk::end_job() {
  std::lock_guard lock(m_);
  supervision_.reset();
  job_id_.clear();
  last_ = {};
  held_by_.clear();  // a take-over of a job ends with it
}

std::string Desk::refuse_jobs() const {
  std::lock_guard lock(m_);
  return held_by_.empty() ? "" : "held by " + held_by_;
}

json Desk::overlay_locked() const {
  json o{{"job_id", job_id_}, {"mode", job_id_.empty() ? (held_by_.empty() ? "idle" : "held") : last_.mode},
         {"step", last_.step.path}, {"what", last_.step.what}, {"target", rect_json(last_.step.target)},
         {"found", last_.step.target_found}, {"held_by", held_by_}, {"step_by_step", last_.step_by_step}};
  if (!last_.stuck_reason.empty()) o["stuck_reason"] = last_.stuck_reason;
  return o;
}

void Desk::report(const agent::Supervision::State& s, json extra) {
  std::unique_lock lock(m_);
  if (!supervision_ && job_id_.empty() && s.mode != "idle" && s.mode != "held") return;
  if (s.version != 0 && s.version < last_.version) return;  // a newer state was reported already
  last_ = s;
  json state = overlay_locked();
  state.update(extra);
  const bool watched = view_ && view_->watched();
  if (!worker_) return;
  protocol::Progress p;
  p.job_id = job_id_;
  p.step = s.step.path;
  p.detail = "supervision: " + state["mode"].get<std::string>();
  p.supervision = state;
  worker_->post(p);  // under the lock: two reporters post in the order they set last_
  lock.unlock();
  if (watched) post_frame({}, 0);  // the overlay changed: viewers see it without waiting for pixels
}

void Desk::post_frame(const agent::EncodedFrame& f, std::int64_t captured_ms) {
  protocol::Frame frame;
  {
    std::lock_guard lock(m_);
    frame.job_id = job_id_;
    frame.seq = ++seq_;
    frame.overlay = overlay_locked();
  }
  frame.key = f.key;
  frame.width = f.width;
  frame.height = f.height;
  frame.captured_ms = captured_ms;
  {
    std::lock_guard lock(m_);
    if (f.tiles.empty()) {  // overlay only: the screen's size as the last frame had it
      frame.width = width_;
      frame.height = height_;
    } else {
      width_ = f.width;
      height_ = f.height;
    }
  }
  if (frame.width <= 0 || frame.height <= 0) return;
  int i = 0;
  for (const auto& t : f.tiles) {
    frame.tiles.push_back({t.rect.x, t.rect.y, t.rect.w, t.rect.h});
    frame.images.push_back({"t" + std::to_string(i++) + ".jpg", "image/jpeg", t.jpeg});
  }
  if (worker_) worker_->post(frame);
}

std::string Desk::take_over(const std::string& who) {
  std::shared_ptr<agent::Supervision> s;
  {
    std::lock_guard lock(m_);
    if (!held_by_.empty()) return "already held by " + held_by_;
    held_by_ = who.empty() ? "someone" : who;
    held_since_ = Clock::now();
    input_events_ = 0;
    s = supervision_;
  }
  spdlog::info("agent: taken over by {}", who);
  if (s) return s->take_over(who);
  report(agent::Supervision::State{"held", false, {}, who, "", 0});
  return "";
}

std::string Desk::hand_back(const std::string& how_text) {
  agent::HandBack how = agent::HandBack::resume;
  if (how_text == "step_done") how = agent::HandBack::step_done;
  else if (how_text == "fail") how = agent::HandBack::fail;
  else if (!how_text.empty() && how_text != "resume") return "unknown hand-back '" + how_text + "'";
  std::shared_ptr<agent::Supervision> s;
  json summary;
  std::string who;
  {
    std::lock_guard lock(m_);
    if (held_by_.empty()) return "not held";
    who = held_by_;
    auto held_ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - held_since_).count();
    summary = {{"handed_back", how_text.empty() ? "resume" : how_text}, {"input_events", input_events_},
               {"held_ms", held_ms}, {"held_by", who}};
    held_by_.clear();
    s = supervision_;
  }
  // The count and the time only: what was typed may have been a password.
  spdlog::info("agent: {} handed back ({}): {} input events in {} ms", who, summary["handed_back"].get<std::string>(),
               summary["input_events"].get<int>(), summary["held_ms"].get<long long>());
  if (s) {
    auto why = s->hand_back(how);
    report(s->state(), summary);
    return why;
  }
  report(agent::Supervision::State{"idle", false, {}, "", "", 0}, summary);
  return "";
}

void Desk::apply_input(const json& events) {
  if (!events.is_array()) return;
  std::lock_guard lock(m_);
  if (held_by_.empty()) {
    spdlog::warn("agent: input events refused: the desktop is not taken over");
    return;
  }
  try {
    if (!input_) input_ = drivers::open_desktop(o_.display);
    const auto screen = input_->screen();
    auto inside = [&](int x, int y) { return x >= 0 && y >= 0 && x < screen.w && y < screen.h; };
    for (const auto& e : events) {
      if (!e.is_object() || !e.contains("type") || !e["type"].is_string()) continue;
      const std::string type = e["type"];
      const int x = int_of(e, "x", -1), y = int_of(e, "y", -1);
      const int b = int_of(e, "button", 1);
      const auto button = b == 3 ? drivers::Button::Right : b == 2 ? drivers::Button::Middle : drivers::Button::Left;
      if ((type == "move" || type == "click" || type == "drag" || type == "scroll") && !inside(x, y)) continue;
      if (type == "move") input_->move({x, y});
      else if (type == "click") input_->click({x, y}, button, std::clamp(int_of(e, "count", 1), 1, 3));
      else if (type == "drag") {
        const int tx = int_of(e, "to_x", -1), ty = int_of(e, "to_y", -1);
        if (!inside(tx, ty)) continue;
        input_->drag({x, y}, {tx, ty}, button);
      } else if (type == "scroll") input_->scroll({x, y}, std::clamp(int_of(e, "dy"), -20, 20), std::clamp(int_of(e, "dx"), -20, 20));
      else if (type == "key" && e.contains("chord") && e["chord"].is_string() && e["chord"].get<std::string>().size() <= 64)
        input_->key(e["chord"].get<std::string>());
      else if (type == "text" && e.contains("text") && e["text"].is_string() && e["text"].get<std::string>().size() <= 4096)
        input_->type_text(e["text"].get<std::string>());
      else
        continue;
      ++input_events_;
    }
  } catch (const std::exception&) {
    // Not the event itself: it may hold what was typed.
    spdlog::warn("agent: an input event of the take-over could not be applied (display?)");
    input_.reset();
  }
}

void Desk::on_control(const protocol::Control& c) {
  std::shared_ptr<agent::Supervision> s;
  std::string job;
  {
    std::lock_guard lock(m_);
    s = supervision_;
    job = job_id_;
  }
  const std::string who = c.input.contains("who") && c.input["who"].is_string() ? c.input["who"].get<std::string>() : "";
  std::string why;
  if (c.action == "watch") {
    view_->watch();
    if (s) s->set_watched(true);
  } else if (c.action == "unwatch") {
    view_->unwatch();
    if (s) s->set_watched(false);
  } else if (c.action == "keyframe") {
    view_->keyframe();
  } else if (c.action == "takeover") {
    why = take_over(who);
  } else if (c.action == "handback") {
    why = hand_back(c.input.contains("how") && c.input["how"].is_string() ? c.input["how"].get<std::string>() : "");
  } else if (c.action == "input") {
    apply_input(c.input.contains("events") ? c.input["events"] : json());
  } else if (!s || (!c.job_id.empty() && c.job_id != job)) {
    why = "no such job running here";
  } else if (c.action == "pause") {
    why = s->pause();
  } else if (c.action == "step") {
    why = s->step();
  } else if (c.action == "resume") {
    why = s->resume();
  } else if (c.action == "skip") {
    why = s->skip();
  } else if (c.action == "abort") {
    s->abort("aborted by " + (who.empty() ? std::string("the orchestrator") : who));
  }
  if (!why.empty()) spdlog::warn("agent: CONTROL {} not done: {}", c.action, why);
}

}  // namespace dockhand::agent_cli
