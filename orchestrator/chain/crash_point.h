// Internal to chain/: the crash tests set DOCKHAND_CRASH_AT=<point> (a state name, SUBMITTING, SENT,
// DETAILS; after confirmation LABELS, DEPARTED, ASN_SENDING, ASN_SENT (the ASN's answer not yet stored) or
// ASN_SUBMITTED) and the process kills itself with SIGKILL right after that point is durable, exactly like an
// operator's kill -9 or a power cut would, so restarts can be tested at every step.
#pragma once

#include <string_view>

namespace dockhand::chain::detail {
void crash_point(std::string_view point);
}
