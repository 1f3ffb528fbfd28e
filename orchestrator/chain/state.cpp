#include "state.h"
#include "crash_point.h"

#include <array>
#include <csignal>
#include <cstdlib>
#include <string>
#include <utility>

namespace dockhand::chain {

namespace {
constexpr std::array<std::pair<State, std::string_view>, 15> kNames = {{
    {State::RECEIVED, "RECEIVED"},
    {State::EXTRACTED, "EXTRACTED"},
    {State::PLANNED, "PLANNED"},
    {State::SUBMITTED, "SUBMITTED"},
    {State::CONFIRMED, "CONFIRMED"},
    {State::CLOSING_OUT, "CLOSING_OUT"},
    {State::DONE, "DONE"},
    {State::NEEDS_ATTENTION, "NEEDS_ATTENTION"},
    {State::REJECTED, "REJECTED"},
    {State::DUPLICATE, "DUPLICATE"},
    {State::OTHER, "OTHER"},
    {State::QUARANTINED, "QUARANTINED"},
    {State::CANCELLED, "CANCELLED"},
    {State::RESOLVED, "RESOLVED"},
    {State::NOTICE, "NOTICE"},
}};
}  // namespace

std::string_view to_string(State state) {
  for (const auto& [s, name] : kNames)
    if (s == state) return name;
  return "UNKNOWN";
}

std::optional<State> state_from_string(std::string_view text) {
  for (const auto& [s, name] : kNames)
    if (name == text) return s;
  return std::nullopt;
}

bool is_final(State state) {
  switch (state) {
    case State::DONE:
    case State::NEEDS_ATTENTION:
    case State::REJECTED:
    case State::DUPLICATE:
    case State::OTHER:
    case State::QUARANTINED:
    case State::CANCELLED:
    case State::RESOLVED:
    case State::NOTICE:
      return true;
    default:
      return false;
  }
}

namespace detail {
void crash_point(std::string_view point) {
  static const std::string target = [] {
    const char* v = std::getenv("DOCKHAND_CRASH_AT");
    return std::string(v ? v : "");
  }();
  if (!target.empty() && target == point) std::raise(SIGKILL);
}
}  // namespace detail

}  // namespace dockhand::chain
