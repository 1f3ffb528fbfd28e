// The operating system's services that portable code above drivers/ needs and the standard library does not give:
// starting a program, this process's id and host name, the request to stop (a signal, a console event), the peer
// of an OS socket, whether others may read a secret file, a function looked up in the loaded libraries.
// Library: dockhand_platform (no desktop, no X11), built from posix/ or win32/ as the target is.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace dockhand::drivers {

struct PlatformError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A started program. Destroying the handle neither waits for it nor stops it: a launched program outlives the
// step that started it.
class Process {
 public:
  struct Impl;
  explicit Process(std::unique_ptr<Impl> impl);
  Process(Process&&) noexcept;
  Process& operator=(Process&&) noexcept;
  ~Process();

  long pid() const;
  // The exit code once the program has ended (a POSIX program killed by signal N: 128 + N), or nothing when it is
  // still running after `timeout`.
  std::optional<int> wait_for_exit(std::chrono::milliseconds timeout);
  // Asks it to end (SIGTERM; TerminateProcess on Windows, which has no polite equivalent for any program).
  void terminate();

 private:
  std::unique_ptr<Impl> impl_;
};

// Starts argv[0] (looked up on PATH when it has no directory) with argv, this process's environment with
// `environment_overrides` set, and stdin/stdout/stderr on the null device. PlatformError names the program and
// the system's reason when it cannot start.
Process launch_process(const std::vector<std::string>& argv,
                       const std::map<std::string, std::string>& environment_overrides = {});

long current_pid();
std::string host_name();

// `on_stop` runs once, on a thread of its own, when the process is asked to stop: SIGINT or SIGTERM on POSIX
// (blocked in the calling thread first, so threads started after this call never see them: call it before
// starting any), Ctrl+C / Ctrl+Break / console close / logoff / shutdown on Windows. Its argument names the cause.
void on_stop_request(std::function<void(const std::string& cause)> on_stop);

// The numeric address of the peer of a connected OS socket (a ZeroMQ monitor event's value), "" if unknown.
std::string peer_address(std::intptr_t socket);

// Whether others than the owner may read the file (a secret key that others can read is refused): the group and
// other bits on POSIX. Windows answers false: its protection is the folder's ACL (a user profile is private),
// which std::filesystem's permission bits do not show; see docs/windows.md.
bool readable_by_others(const std::filesystem::path& file);

// A function of that name in the libraries the process has loaded, or nullptr (used to reach OpenMP's runtime
// only when a library brought it in).
void* loaded_function(const char* name);

}  // namespace dockhand::drivers
