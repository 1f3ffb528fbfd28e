// protocol/: the wire messages between the orchestrator (ROUTER) and desktop agents (DEALER), docs/architecture.md
// "The agent protocol". A message is multipart: [TYPE][JSON](+ one frame per image). The JSON carries
// "v" (kVersion); images are described in JSON "images": [{"name","mime","bytes"}] in frame order.
// Decoding is strict and never throws: anything malformed comes back as an error with a reason.
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace dockhand::protocol {

inline constexpr int kVersion = 1;

struct Limits {
  std::size_t max_json_bytes = 256 * 1024;        // the JSON frame
  std::size_t max_image_bytes = 8 * 1024 * 1024;  // one image frame
  std::size_t max_images = 16;
  std::size_t max_total_bytes = 32 * 1024 * 1024;  // the whole message; also ZMQ_MAXMSGSIZE on sockets
};

struct Image {
  std::string name;  // e.g. "screen.png", "crop.png", "thumbnail.jpg"
  std::string mime;  // image/png | image/jpeg
  std::string bytes;
  bool operator==(const Image&) const = default;
};

// Agent -> orchestrator: "I am here, this is what I can drive". busy_job: a job the agent is still running
// from before a reconnect (so it is not given a second one and its result is expected).
struct Ready {
  std::string agent_id;
  std::string version;
  std::vector<std::string> apps;     // programs it can drive: "erp", "opship"
  std::vector<std::string> scripts;  // screen scripts it has: "erp-closeout", ...
  std::string busy_job;
  bool operator==(const Ready&) const = default;
};

// From the orchestrator it carries its session (random per start): CONTROL messages must name it.
struct Heartbeat {
  std::string session;
  bool operator==(const Heartbeat&) const = default;
};

// Orchestrator -> agent. vars are strings (screen scripts type literal text).
struct Job {
  std::string job_id;
  std::string script;
  std::map<std::string, std::string> vars;
  std::int64_t lease_ms = 0;
  bool supervised = false;
  int attempt = 1;
  bool operator==(const Job&) const = default;
};

// Agent -> orchestrator: the job arrived and will run.
struct Ack {
  std::string job_id;
  bool operator==(const Ack&) const = default;
};

struct Progress {
  std::string job_id;
  std::string step;    // step path, e.g. "steps[3].click"
  std::string detail;  // one line
  std::optional<Image> thumbnail;
  // Supervision's state when it changed (agent/supervision.h): {"mode","step","what","target","found",
  // "held_by","stuck_reason","step_by_step"}, plus {"input_events","held_ms"} at a hand-back. Empty: no change.
  nlohmann::json supervision = nlohmann::json::object();
  bool operator==(const Progress&) const = default;
};

enum class Outcome { ok, business, application };
const char* to_string(Outcome);
std::optional<Outcome> outcome_from_string(const std::string&);

struct Result {
  std::string job_id;
  Outcome outcome = Outcome::ok;
  std::map<std::string, std::string> outputs;
  std::string failed_step;
  std::string reason;
  std::string category;                                    // runner's finer category, e.g. "timeout"
  nlohmann::json evidence = nlohmann::json::object();      // step path, locator, anything textual
  std::vector<Image> images;                               // screenshot, crop
  bool operator==(const Result&) const = default;
};

// Agent -> orchestrator, only while someone watches (CONTROL watch): the parts of the screen that changed since
// the last frame, each a JPEG at its place (the whole screen in a key frame), and what is drawn over them.
struct Tile {
  int x = 0, y = 0, w = 0, h = 0;
  bool operator==(const Tile&) const = default;
};
struct Frame {
  std::string job_id;  // the job running, "" when idle
  std::uint64_t seq = 0;
  bool key = false;                 // the whole screen: a viewer can start here
  int width = 0, height = 0;        // the screen
  std::int64_t captured_ms = 0;     // when the screen was captured (ms since 1970, the agent's clock)
  std::vector<Tile> tiles;          // where each image goes, in image order; none: only the overlay changed
  std::vector<Image> images;
  nlohmann::json overlay = nlohmann::json::object();  // the step and its target (as Progress::supervision)
  bool operator==(const Frame&) const = default;
};

// Orchestrator -> agent. action:
//   pause | step | resume | skip | abort        supervised replay of the running job
//   takeover {"who"} | input {"events":[...]} | handback {"how": "resume"|"step_done"|"fail"}
//   watch | unwatch | keyframe                   the remote view: frames flow while watched (a watch lasts
//                                                kWatchLeaseMs unless renewed)
// `session` is the one the orchestrator gave in its first HEARTBEAT after READY: the agent refuses a CONTROL
// without it (one not relayed by the orchestrator it is bound to).
inline constexpr int kWatchLeaseMs = 10000;
struct Control {
  std::string action;
  std::string job_id;
  nlohmann::json input = nlohmann::json::object();
  std::string session;
  bool operator==(const Control&) const = default;
};

using Message = std::variant<Ready, Heartbeat, Job, Ack, Progress, Result, Frame, Control>;

// The type frame of each message: "READY", "HEARTBEAT", ...
const char* type_name(const Message&);

// Frames of a message, ready for send_multipart.
std::vector<std::string> encode(const Message& message);

struct Decoded {
  std::optional<Message> message;
  std::string error;  // why it was rejected, when message is empty
  explicit operator bool() const { return message.has_value(); }
};

// Strict: unknown type, wrong "v", bad JSON, missing/ill-typed fields, frame count not matching "images",
// any frame over the limits → error. Never throws.
Decoded decode(const std::vector<std::string>& frames, const Limits& limits = {});

}  // namespace dockhand::protocol
