// drivers/platform.h on POSIX (Linux): posix_spawn, waitpid, sigwait, getpeername, stat, dlsym.
#include "drivers/platform.h"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>
#include <thread>

extern char** environ;

namespace dockhand::drivers {

struct Process::Impl {
  pid_t pid = 0;
  std::optional<int> exit_code;
};

Process::Process(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Process::Process(Process&&) noexcept = default;
Process& Process::operator=(Process&&) noexcept = default;
Process::~Process() = default;

long Process::pid() const { return impl_->pid; }

std::optional<int> Process::wait_for_exit(std::chrono::milliseconds timeout) {
  if (impl_->exit_code) return impl_->exit_code;
  // waitpid has no timeout: poll it with a pause that grows to 50 ms (no signal handler to install, nothing
  // process-wide to disturb).
  auto deadline = std::chrono::steady_clock::now() + timeout;
  auto pause = std::chrono::milliseconds(1);
  for (;;) {
    int status = 0;
    pid_t r = ::waitpid(impl_->pid, &status, WNOHANG);
    if (r == impl_->pid) {
      impl_->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      return impl_->exit_code;
    }
    if (r < 0 && errno != EINTR)
      throw PlatformError("waiting for process " + std::to_string(impl_->pid) + ": " + std::strerror(errno));
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(50));
  }
}

void Process::terminate() {
  if (!impl_->exit_code && ::kill(impl_->pid, SIGTERM) != 0 && errno != ESRCH)
    throw PlatformError("stopping process " + std::to_string(impl_->pid) + ": " + std::strerror(errno));
}

Process launch_process(const std::vector<std::string>& argv_in,
                       const std::map<std::string, std::string>& environment_overrides) {
  if (argv_in.empty() || argv_in[0].empty()) throw PlatformError("launch: no program given");
  std::vector<std::string> args = argv_in;
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  std::vector<std::string> env_store;
  for (char** e = environ; *e; ++e) {
    std::string_view entry(*e);
    auto name = entry.substr(0, entry.find('='));
    if (!environment_overrides.count(std::string(name))) env_store.emplace_back(entry);
  }
  for (const auto& [name, value] : environment_overrides) env_store.push_back(name + "=" + value);
  std::vector<char*> envp;
  for (auto& e : env_store) envp.push_back(e.data());
  envp.push_back(nullptr);

  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  // The child starts with no signal blocked (serve blocks SIGTERM/SIGINT in its threads; a program must not inherit
  // that).
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
  auto impl = std::make_unique<Process::Impl>();
  int rc = posix_spawnp(&impl->pid, argv[0], &fa, &attr, argv.data(), envp.data());
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) throw PlatformError("cannot start " + args[0] + ": " + std::strerror(rc));
  return Process(std::move(impl));
}

long current_pid() { return static_cast<long>(::getpid()); }

std::string host_name() {
  char host[256] = {0};
  if (::gethostname(host, sizeof host - 1) != 0) return "localhost";
  return host;
}

void on_stop_request(std::function<void(const std::string& cause)> on_stop) {
  // One thread takes SIGTERM/SIGINT with sigwait; every other thread has them blocked, so no call elsewhere (a
  // ZeroMQ poll) is ever interrupted by them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  if (int rc = pthread_sigmask(SIG_BLOCK, &signals, nullptr); rc != 0)
    throw PlatformError(std::string("cannot block SIGINT/SIGTERM: ") + std::strerror(rc));
  std::thread([signals, on_stop = std::move(on_stop)] {
    int sig = 0;
    sigwait(&signals, &sig);
    on_stop(sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "signal " + std::to_string(sig));
  }).detach();
}

std::string peer_address(std::intptr_t socket) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  int fd = static_cast<int>(socket);
  if (fd < 0 || ::getpeername(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return "";
  char text[INET6_ADDRSTRLEN] = "";
  if (addr.ss_family == AF_INET)
    ::inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(&addr)->sin_addr, text, sizeof text);
  else if (addr.ss_family == AF_INET6)
    ::inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(&addr)->sin6_addr, text, sizeof text);
  return text;
}

bool readable_by_others(const std::filesystem::path& file) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) throw PlatformError("cannot read " + file.string() + ": " + std::strerror(errno));
  return (st.st_mode & 077) != 0;
}

void* loaded_function(const char* name) { return ::dlsym(RTLD_DEFAULT, name); }

}  // namespace dockhand::drivers
