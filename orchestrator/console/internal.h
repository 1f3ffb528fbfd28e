// console/ (internal): what the server's source files share.
#pragma once

#include "auth.h"
#include "console.h"

#include "orchestrator/chain/clock.h"

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace dockhand::fleet {
struct FleetEvent;
}

namespace dockhand::console {

// The events of the fleet's jobs (the last max_jobs jobs): what a job started from the console (or watched
// there) did, step by step, with every person's decision (who took over, when, what they chose at hand-back).
// Kept in memory for the page and, with a journal path, in a JSON-lines file beside the store (0600), read
// back at start: a take-over stays on record after serve restarts. Rewritten from memory when it holds
// several times what is kept, so it stays bounded. A journal that cannot be written is logged, not fatal.
class JobLog {
 public:
  explicit JobLog(std::string journal = "", std::size_t max_jobs = 500, std::size_t max_events = 1000);
  ~JobLog();
  JobLog(const JobLog&) = delete;
  JobLog& operator=(const JobLog&) = delete;
  void add(const fleet::FleetEvent& event, const std::string& time);
  void note(const std::string& job_id, const std::string& kind, const std::string& detail, const std::string& time);
  std::optional<nlohmann::json> events(const std::string& job_id) const;

 private:
  bool keep_locked(const std::string& job_id, const nlohmann::json& event);  // false: over max_events
  void append_locked(const std::string& job_id, const nlohmann::json& event);
  void compact_locked();
  std::string journal_;
  std::size_t max_jobs_, max_events_;
  mutable std::mutex m_;
  std::map<std::string, nlohmann::json> jobs_;
  std::deque<std::string> order_;
  int fd_ = -1;
  std::size_t journal_lines_ = 0;  // lines in the journal file
  std::size_t kept_ = 0;           // events in memory
};

struct Context {
  Options options;
  chain::SystemClock clock;
  std::unique_ptr<chain::Store> reader;  // read-only, its own connection
  Tokens tokens;
  std::unique_ptr<Sessions> sessions;
  std::shared_ptr<JobLog> jobs;  // made at start, its journal beside the store
};

std::string iso_of(std::chrono::system_clock::time_point t);  // 2026-12-06T20:01:02.123Z
inline std::string now_iso() { return iso_of(std::chrono::system_clock::now()); }

inline constexpr const char* kSessionCookie = "dockhand_session";

// The caller's identity from its Bearer token or session cookie; nullopt: none or not valid.
std::optional<Identity> authenticate(Context& context, const httplib::Request& request);

void send_json(httplib::Response& response, int status, const nlohmann::json& body);
void send_error(httplib::Response& response, int status, const std::string& message);
// The path parameter ID of /api/requests/ID...; nullopt (and a 404 sent) when it is not a number.
std::optional<std::int64_t> id_of(const httplib::Request& request, httplib::Response& response, int match = 1);

// A request as a row of the requests list (docs/console.md).
nlohmann::json request_item(const chain::RequestRecord& r, std::chrono::system_clock::time_point now);
nlohmann::json attachments_json(chain::Store& store, std::int64_t request_id);

// The agents running a request's close-out jobs now, then those that ran them last (one row per agent, its
// latest job): what the request page opens the live view of. Empty without a fleet.
nlohmann::json request_screens(Context& context, std::int64_t request_id, const std::vector<chain::Event>& events);

void add_read_routes(httplib::Server& server, Context& context);
void add_action_routes(httplib::Server& server, Context& context);
void add_remote_routes(httplib::Server& server, Context& context);

}  // namespace dockhand::console
