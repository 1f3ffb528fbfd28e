#include "agent_run.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include <fstream>
#include <iterator>
#include <stdexcept>

extern char** environ;

namespace apps_test {

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

pid_t spawn_agent(const std::string& agent, const std::vector<std::string>& args, const std::string& dir,
                  const std::vector<std::string>& env) {
  std::vector<std::string> argv_s = {agent};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_s;
  for (char** e = environ; *e; ++e) {
    std::string kv = *e;
    bool replaced = false;
    for (const auto& o : env)
      if (kv.substr(0, kv.find('=') + 1) == o.substr(0, o.find('=') + 1)) replaced = true;
    if (!replaced) env_s.push_back(kv);
  }
  for (const auto& o : env)
    if (o.back() != '=') env_s.push_back(o);
  std::vector<char*> envp;
  for (auto& e : env_s) envp.push_back(e.data());
  envp.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, (dir + "/agent.out").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&fa, 2, (dir + "/agent.err").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, agent.c_str(), &fa, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) throw std::runtime_error("cannot start " + agent);
  return pid;
}

AgentRun finish_agent(pid_t pid, const std::string& dir) {
  int status = 0;
  waitpid(pid, &status, 0);
  AgentRun r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = slurp(dir + "/agent.out");
  r.err = slurp(dir + "/agent.err");
  r.result = nlohmann::json::parse(r.out, nullptr, false);
  if (r.result.is_discarded()) r.result = nullptr;
  return r;
}

AgentRun run_agent(const std::string& agent, const std::vector<std::string>& args, const std::string& dir,
                   const std::vector<std::string>& env) {
  return finish_agent(spawn_agent(agent, args, dir, env), dir);
}

std::string describe(const AgentRun& r) {
  return "exit " + std::to_string(r.exit_code) + "\nstdout: " + r.out + "\nstderr (tail): " +
         (r.err.size() > 3000 ? r.err.substr(r.err.size() - 3000) : r.err);
}

}  // namespace apps_test
