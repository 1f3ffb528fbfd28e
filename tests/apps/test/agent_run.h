// Runs `dockhand-agent` as a separate process (no shell: values reach it byte for byte) and collects its
// exit code, its JSON result (stdout) and its log (stderr), for the end-to-end tests of the recordings.
#pragma once

#include <sys/types.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace apps_test {

struct AgentRun {
  int exit_code = -1;           // 128+signal when it died of a signal
  nlohmann::json result;        // stdout parsed (null when it was not JSON)
  std::string out, err;
};

// Starts `agent` with `args`; stdout/stderr go to DIR/agent.out and DIR/agent.err. `env` entries replace or
// add variables ("DISPLAY=:987"); an entry "NAME=" with nothing after removes NAME.
pid_t spawn_agent(const std::string& agent, const std::vector<std::string>& args, const std::string& dir,
                  const std::vector<std::string>& env = {});
AgentRun finish_agent(pid_t pid, const std::string& dir);  // waits for it
AgentRun run_agent(const std::string& agent, const std::vector<std::string>& args, const std::string& dir,
                   const std::vector<std::string>& env = {});
std::string describe(const AgentRun& r);  // exit code, stdout and the tail of stderr, for failure messages
std::string slurp(const std::string& path);

}  // namespace apps_test
