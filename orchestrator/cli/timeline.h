// What a person reads from the event log: one line per step that matters (received, extracted, submitted,
// confirmed, each close-out job done with its PT reference or BOL, DONE, NEEDS_ATTENTION with its reason),
// and what happens next to a request. status and status --follow print these; --verbose adds every event.
#pragma once

#include "orchestrator/chain/store.h"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

namespace dockhand::cli {

// The line for one event ("received", "extracted  ACMEW: 2 POs ..."), without time or request id; nullopt
// when the event is detail a person does not need (agent step progress, dispatch, planning bookkeeping)
// unless `verbose`. Reads the request from the store for the extracted fields.
std::optional<std::string> narrate(const chain::Event& event, chain::Store& store, bool verbose);

// "16:40:12  #3  " + narrate(...), or nullopt.
std::optional<std::string> timeline_line(const chain::Event& event, chain::Store& store, bool verbose);

// What happens next to the request, in a few words ("submit to Amazon", "a person: <reason>", "-").
std::string next_step(const chain::RequestRecord& request, std::int64_t now_ms);

// The extracted routing request summarized: vendor code, POs, FCs, ship window.
struct ExtractedSummary {
  std::string vendor;
  std::vector<std::string> pos, fcs;
  std::string window_start, window_end;  // ISO dates, "" when not given
};
ExtractedSummary summarize_extracted(const nlohmann::json& extracted);

// A JOB_DONE event's detail with the agent's outputs typed: "true"/"false" become booleans (the protocol
// carries every output as text). Other details come back as text.
nlohmann::json typed_detail(const chain::Event& event);

}  // namespace dockhand::cli
