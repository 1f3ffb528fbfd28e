#include "protocol.h"

#include <algorithm>
#include <iterator>
#include <stdexcept>

namespace dockhand::protocol {
namespace {

using nlohmann::json;

// Decoding errors travel as this exception inside decode() only; decode() turns it into Decoded::error.
struct Reject : std::runtime_error {
  using std::runtime_error::runtime_error;
};

const json* field(const json& j, const char* key, json::value_t type, bool required) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) {
    if (required) throw Reject(std::string("missing field '") + key + "'");
    return nullptr;
  }
  bool ok = it->type() == type ||
            (type == json::value_t::number_integer && it->type() == json::value_t::number_unsigned);
  if (!ok) throw Reject(std::string("field '") + key + "' has the wrong type (" + it->type_name() + ")");
  return &*it;
}

std::string str(const json& j, const char* key, bool required = false) {
  auto* f = field(j, key, json::value_t::string, required);
  return f ? f->get<std::string>() : std::string();
}

std::int64_t integer(const json& j, const char* key, std::int64_t fallback) {
  auto* f = field(j, key, json::value_t::number_integer, false);
  return f ? f->get<std::int64_t>() : fallback;
}

bool boolean(const json& j, const char* key) {
  auto* f = field(j, key, json::value_t::boolean, false);
  return f ? f->get<bool>() : false;
}

std::vector<std::string> strings(const json& j, const char* key) {
  std::vector<std::string> out;
  auto* f = field(j, key, json::value_t::array, false);
  if (!f) return out;
  for (const auto& v : *f) {
    if (!v.is_string()) throw Reject(std::string("field '") + key + "' must hold strings");
    out.push_back(v.get<std::string>());
  }
  return out;
}

std::map<std::string, std::string> string_map(const json& j, const char* key) {
  std::map<std::string, std::string> out;
  auto* f = field(j, key, json::value_t::object, false);
  if (!f) return out;
  for (const auto& [k, v] : f->items()) {
    if (!v.is_string()) throw Reject(std::string("field '") + key + "." + k + "' must be a string");
    out[k] = v.get<std::string>();
  }
  return out;
}

json image_meta(const Image& image) {
  return {{"name", image.name}, {"mime", image.mime}, {"bytes", image.bytes.size()}};
}

// Encoding: the JSON body plus the images that follow it, in order.
struct Body {
  json j = json::object();
  std::vector<const Image*> images;
};

Body body_of(const Ready& m) {
  return {{{"agent_id", m.agent_id}, {"version", m.version}, {"apps", m.apps}, {"scripts", m.scripts},
           {"busy_job", m.busy_job}}, {}};
}
Body body_of(const Heartbeat& m) {
  Body b;
  if (!m.session.empty()) b.j["session"] = m.session;
  return b;
}
Body body_of(const Job& m) {
  return {{{"job_id", m.job_id}, {"script", m.script}, {"vars", m.vars}, {"lease_ms", m.lease_ms},
           {"supervised", m.supervised}, {"attempt", m.attempt}}, {}};
}
Body body_of(const Ack& m) { return {{{"job_id", m.job_id}}, {}}; }
Body body_of(const Progress& m) {
  Body b{{{"job_id", m.job_id}, {"step", m.step}, {"detail", m.detail}}, {}};
  if (m.supervision.is_object() && !m.supervision.empty()) b.j["supervision"] = m.supervision;
  if (m.thumbnail) b.images.push_back(&*m.thumbnail);
  return b;
}
Body body_of(const Result& m) {
  Body b{{{"job_id", m.job_id}, {"outcome", to_string(m.outcome)}, {"outputs", m.outputs},
          {"failed_step", m.failed_step}, {"reason", m.reason}, {"category", m.category},
          {"evidence", m.evidence.is_object() ? m.evidence : json::object()}}, {}};
  for (const auto& image : m.images) b.images.push_back(&image);
  return b;
}
Body body_of(const Frame& m) {
  json tiles = json::array();
  for (const auto& t : m.tiles) tiles.push_back({t.x, t.y, t.w, t.h});
  Body b{{{"job_id", m.job_id}, {"seq", m.seq}, {"key", m.key}, {"width", m.width}, {"height", m.height},
          {"captured_ms", m.captured_ms}, {"tiles", tiles},
          {"overlay", m.overlay.is_object() ? m.overlay : json::object()}}, {}};
  for (const auto& image : m.images) b.images.push_back(&image);
  return b;
}
Body body_of(const Control& m) {
  Body b{{{"action", m.action}, {"job_id", m.job_id}, {"input", m.input.is_object() ? m.input : json::object()}},
         {}};
  if (!m.session.empty()) b.j["session"] = m.session;
  return b;
}

const char* const kTypeNames[] = {"READY", "HEARTBEAT", "JOB", "ACK", "PROGRESS", "RESULT", "FRAME", "CONTROL"};
static_assert(std::size(kTypeNames) == std::variant_size_v<Message>);

std::vector<Image> take_images(const json& j, const std::vector<std::string>& frames, const Limits& limits) {
  std::vector<Image> images;
  auto* meta = field(j, "images", json::value_t::array, false);
  std::size_t described = meta ? meta->size() : 0;
  if (described > limits.max_images)
    throw Reject("too many images (" + std::to_string(described) + ", limit " + std::to_string(limits.max_images) + ")");
  if (frames.size() != 2 + described)
    throw Reject("frame count " + std::to_string(frames.size()) + " does not match " + std::to_string(described) +
                 " described image(s)");
  for (std::size_t i = 0; i < described; ++i) {
    const json& m = (*meta)[i];
    if (!m.is_object()) throw Reject("images[" + std::to_string(i) + "] is not an object");
    Image image{str(m, "name", true), str(m, "mime", true), frames[2 + i]};
    if (image.mime != "image/png" && image.mime != "image/jpeg")
      throw Reject("images[" + std::to_string(i) + "] has unsupported mime '" + image.mime + "'");
    auto declared = field(m, "bytes", json::value_t::number_integer, true)->get<std::int64_t>();
    if (declared != static_cast<std::int64_t>(image.bytes.size()))
      throw Reject("images[" + std::to_string(i) + "] declares " + std::to_string(declared) + " bytes, frame has " +
                   std::to_string(image.bytes.size()));
    images.push_back(std::move(image));
  }
  return images;
}

void require_id(const std::string& value, const char* what) {
  if (value.empty()) throw Reject(std::string("empty ") + what);
  if (value.size() > 200) throw Reject(std::string(what) + " longer than 200 characters");
}

Message decode_body(const std::string& type, const json& j, std::vector<Image> images) {
  auto no_images = [&] {
    if (!images.empty()) throw Reject(type + " carries no images");
  };
  if (type == "READY") {
    no_images();
    Ready m{str(j, "agent_id", true), str(j, "version"), strings(j, "apps"), strings(j, "scripts"),
            str(j, "busy_job")};
    require_id(m.agent_id, "agent_id");
    return m;
  }
  if (type == "HEARTBEAT") {
    no_images();
    return Heartbeat{str(j, "session")};
  }
  if (type == "JOB") {
    no_images();
    Job m{str(j, "job_id", true), str(j, "script", true), string_map(j, "vars"), integer(j, "lease_ms", 0),
          boolean(j, "supervised"), static_cast<int>(integer(j, "attempt", 1))};
    require_id(m.job_id, "job_id");
    require_id(m.script, "script");
    if (m.lease_ms < 0) throw Reject("negative lease_ms");
    return m;
  }
  if (type == "ACK") {
    no_images();
    Ack m{str(j, "job_id", true)};
    require_id(m.job_id, "job_id");
    return m;
  }
  if (type == "PROGRESS") {
    if (images.size() > 1) throw Reject("PROGRESS carries at most one thumbnail");
    Progress m{str(j, "job_id"), str(j, "step"), str(j, "detail"), std::nullopt};
    if (auto* s = field(j, "supervision", json::value_t::object, false)) m.supervision = *s;
    // A take-over of an idle agent reports its state with no job.
    if (m.supervision.empty() || !m.job_id.empty()) require_id(m.job_id, "job_id");
    if (!images.empty()) m.thumbnail = std::move(images.front());
    return m;
  }
  if (type == "RESULT") {
    auto outcome_text = str(j, "outcome", true);
    auto outcome = outcome_from_string(outcome_text);
    if (!outcome) throw Reject("unknown outcome '" + outcome_text + "'");
    Result m;
    m.job_id = str(j, "job_id", true);
    require_id(m.job_id, "job_id");
    m.outcome = *outcome;
    m.outputs = string_map(j, "outputs");
    m.failed_step = str(j, "failed_step");
    m.reason = str(j, "reason");
    m.category = str(j, "category");
    if (auto* e = field(j, "evidence", json::value_t::object, false)) m.evidence = *e;
    m.images = std::move(images);
    return m;
  }
  if (type == "FRAME") {
    Frame m;
    m.job_id = str(j, "job_id");
    m.seq = static_cast<std::uint64_t>(std::max<std::int64_t>(0, integer(j, "seq", 0)));
    m.key = boolean(j, "key");
    m.width = static_cast<int>(integer(j, "width", 0));
    m.height = static_cast<int>(integer(j, "height", 0));
    m.captured_ms = integer(j, "captured_ms", 0);
    if (m.width <= 0 || m.height <= 0 || m.width > 16384 || m.height > 16384)
      throw Reject("FRAME has no screen size (width, height 1-16384)");
    auto* tiles = field(j, "tiles", json::value_t::array, false);
    const std::size_t count = tiles ? tiles->size() : 0;
    if (count != images.size())
      throw Reject("FRAME has " + std::to_string(count) + " tile(s) for " + std::to_string(images.size()) + " image(s)");
    for (std::size_t i = 0; i < count; ++i) {
      const json& t = (*tiles)[i];
      if (!t.is_array() || t.size() != 4 || !std::all_of(t.begin(), t.end(), [](const json& v) { return v.is_number_integer(); }))
        throw Reject("FRAME tiles[" + std::to_string(i) + "] is not [x, y, w, h]");
      Tile tile{t[0].get<int>(), t[1].get<int>(), t[2].get<int>(), t[3].get<int>()};
      if (tile.x < 0 || tile.y < 0 || tile.w <= 0 || tile.h <= 0 || tile.x + tile.w > m.width || tile.y + tile.h > m.height)
        throw Reject("FRAME tiles[" + std::to_string(i) + "] lies outside the " + std::to_string(m.width) + "x" +
                     std::to_string(m.height) + " screen");
      m.tiles.push_back(tile);
    }
    m.images = std::move(images);
    if (auto* o = field(j, "overlay", json::value_t::object, false)) m.overlay = *o;
    return m;
  }
  if (type == "CONTROL") {
    no_images();
    Control m{str(j, "action", true), str(j, "job_id"), json::object(), str(j, "session")};
    static const char* const actions[] = {"pause",    "step",  "resume", "skip",    "abort",   "takeover",
                                          "handback", "input", "watch",  "unwatch", "keyframe"};
    if (std::find(std::begin(actions), std::end(actions), m.action) == std::end(actions))
      throw Reject("unknown CONTROL action '" + m.action + "'");
    if (auto* in = field(j, "input", json::value_t::object, false)) m.input = *in;
    return m;
  }
  throw Reject("unknown message type");
}

}  // namespace

const char* to_string(Outcome outcome) {
  switch (outcome) {
    case Outcome::ok: return "ok";
    case Outcome::business: return "business";
    case Outcome::application: return "application";
  }
  return "application";
}

std::optional<Outcome> outcome_from_string(const std::string& text) {
  if (text == "ok") return Outcome::ok;
  if (text == "business") return Outcome::business;
  if (text == "application") return Outcome::application;
  return std::nullopt;
}

const char* type_name(const Message& message) { return kTypeNames[message.index()]; }

std::vector<std::string> encode(const Message& message) {
  Body body = std::visit([](const auto& m) { return body_of(m); }, message);
  body.j["v"] = kVersion;
  if (!body.images.empty()) {
    json meta = json::array();
    for (const Image* image : body.images) meta.push_back(image_meta(*image));
    body.j["images"] = std::move(meta);
  }
  std::vector<std::string> frames;
  frames.reserve(2 + body.images.size());
  frames.emplace_back(type_name(message));
  // Replace invalid UTF-8 (e.g. OCR garbage in a reason) rather than throwing.
  frames.push_back(body.j.dump(-1, ' ', false, json::error_handler_t::replace));
  for (const Image* image : body.images) frames.push_back(image->bytes);
  return frames;
}

Decoded decode(const std::vector<std::string>& frames, const Limits& limits) {
  Decoded out;
  try {
    if (frames.size() < 2) throw Reject("expected at least 2 frames ([type][json]), got " + std::to_string(frames.size()));
    std::size_t total = 0;
    for (const auto& f : frames) total += f.size();
    if (total > limits.max_total_bytes)
      throw Reject("message of " + std::to_string(total) + " bytes exceeds " + std::to_string(limits.max_total_bytes));
    const std::string& type = frames[0];
    if (type.size() > 16) throw Reject("type frame longer than 16 bytes");
    if (std::find(std::begin(kTypeNames), std::end(kTypeNames), type) == std::end(kTypeNames))
      throw Reject("unknown message type '" + type + "'");
    if (frames[1].size() > limits.max_json_bytes)
      throw Reject(type + " JSON frame of " + std::to_string(frames[1].size()) + " bytes exceeds " +
                   std::to_string(limits.max_json_bytes));
    for (std::size_t i = 2; i < frames.size(); ++i)
      if (frames[i].size() > limits.max_image_bytes)
        throw Reject(type + " image frame " + std::to_string(i) + " of " + std::to_string(frames[i].size()) +
                     " bytes exceeds " + std::to_string(limits.max_image_bytes));
    json j = json::parse(frames[1], nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) throw Reject(type + " JSON frame does not parse");
    if (!j.is_object()) throw Reject(type + " JSON frame is not an object");
    auto v = j.find("v");
    if (v == j.end() || !v->is_number_integer()) throw Reject(type + " has no protocol version \"v\"");
    if (v->get<std::int64_t>() != kVersion)
      throw Reject(type + " has protocol version " + std::to_string(v->get<std::int64_t>()) + ", expected " +
                   std::to_string(kVersion));
    auto images = take_images(j, frames, limits);
    out.message = decode_body(type, j, std::move(images));
  } catch (const Reject& e) {
    out.error = e.what();
  } catch (const std::exception& e) {  // nlohmann type errors and the like: still a rejection, never a crash
    out.error = std::string("malformed message: ") + e.what();
  }
  return out;
}

}  // namespace dockhand::protocol
