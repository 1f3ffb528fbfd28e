// dockhand-orchestrator keygen: the orchestrator's CURVE server key pair (agents get the .pub).
#include "command.h"

#include "agent/protocol/wire.h"

namespace {
const dockhand::cli::Registration reg{
    "keygen", "[--out DIR] [--name NAME] [--force]",
    "Generate the orchestrator's CurveZMQ server key pair (NAME.pub for the agents, NAME.key 0600)",
    [](const std::vector<std::string>& args) {
      return dockhand::protocol::run_keygen(args, "dockhand-orchestrator", "orchestrator");
    }};
}  // namespace
