// dockhand-agent keygen: this agent's CURVE key pair (the .pub goes into the orchestrator's allow-list).
#include "command.h"

#include "agent/protocol/wire.h"

namespace {
const dockhand::cli::Registration reg{
    "keygen", "[--out DIR] [--name NAME] [--force]",
    "Generate this agent's CurveZMQ key pair (NAME.pub for the orchestrator's allow-list, NAME.key 0600)",
    [](const std::vector<std::string>& args) { return dockhand::protocol::run_keygen(args, "dockhand-agent", "agent"); }};
}  // namespace
