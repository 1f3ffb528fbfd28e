// The states of one routing request (docs/architecture.md, "The chain of one routing request").
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace dockhand::chain {

enum class State {
  RECEIVED,         // raw message stored
  EXTRACTED,        // classified as a routing request, fields extracted
  PLANNED,          // shipments planned, rules passed, payloads stored
  SUBMITTED,        // every shipment has a transactionId (or Amazon already has it)
  CONFIRMED,        // Amazon said Success; shipment details (carrier, pickup, references) being fetched/stored
  CLOSING_OUT,      // close-out jobs dispatched (CloseoutStage)
  DONE,             // close-out finished, references stored
  NEEDS_ATTENTION,  // a human must look: reason + evidence
  REJECTED,         // Amazon said Failure: its errors are stored
  DUPLICATE,        // the same message (Message-ID or header hash) was already received
  OTHER,            // not a routing request: kept, visible, never deleted
  QUARANTINED,      // cannot be parsed: kept with the reason
  CANCELLED,        // an operator cancelled it (console): nothing more is done for it
  RESOLVED,         // an operator dealt with it outside Dockhand and closed it with a comment (console)
  NOTICE,           // a notice about other requests' POs (cancellation, change, chargeback): its effects are
                    // recorded on the requests it names (notice_effects); kept, visible, never deleted
};

std::string_view to_string(State state);
std::optional<State> state_from_string(std::string_view text);
bool is_final(State state);  // nothing more happens without a human (or the close-out stage)

// States of one shipment inside a request.
namespace shipment_state {
inline constexpr const char* planned = "PLANNED";
inline constexpr const char* submitting = "SUBMITTING";  // marked before sending: a crash here is uncertain
inline constexpr const char* submitted = "SUBMITTED";
inline constexpr const char* confirmed = "CONFIRMED";
inline constexpr const char* rejected = "REJECTED";
inline constexpr const char* cancelled = "CANCELLED";  // Amazon accepted a Cancel transaction for it
}  // namespace shipment_state

}  // namespace dockhand::chain
