// `dockhand-agent run --supervise`: supervised replay at a terminal. Before each step the runner stops and
// the step and its target are printed on stderr; a line on stdin says what to do: Enter runs the step and
// stops before the next, c continues without stopping, s skips the step, a aborts the run, p (while it runs
// on) stops before the next step. stdin at its end: the run continues.
#pragma once

#include "agent/supervision.h"

#include <iosfwd>
#include <memory>

namespace dockhand::agent_cli {

// Prints every stop on `out` and reads the commands from `in` on a thread of its own, which ends with stdin
// or the run (the supervision is shared with it, so it may outlive the caller's reference).
void supervise_from_terminal(const std::shared_ptr<agent::Supervision>& supervision, std::istream& in,
                             std::ostream& out);

}  // namespace dockhand::agent_cli
