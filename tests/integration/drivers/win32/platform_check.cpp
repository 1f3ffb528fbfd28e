// drivers/platform.h on Windows, checked in-process under Wine (run by wine_driver_test.cpp):
//   platform_check check DIR   runs every check, one "ok"/"FAIL" line each; exit 0 when all passed
//   platform_check child FILE  (started by the check) writes its arguments, pid and DOCKHAND_PLATFORM_CHECK, exits 7
//   platform_check wait        (started by the check) waits until it is terminated
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>

#include <chrono>
#include <fstream>
#include <future>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "drivers/platform.h"

namespace {

using namespace dockhand::drivers;
using namespace std::chrono_literals;

constexpr auto kDeadline = std::chrono::milliseconds(120'000);  // Wine starts programs slowly on a loaded machine

std::string self_path() {
  char path[MAX_PATH] = {0};
  GetModuleFileNameA(nullptr, path, MAX_PATH);
  return path;
}

int child(const std::vector<std::string>& args) {
  std::ofstream out(args.at(0), std::ios::binary);
  for (std::size_t i = 1; i < args.size(); ++i) out << "arg=" << args[i] << "\n";
  // The wide environment, so the value's non-ASCII characters arrive as they were set (getenv: the ANSI code page).
  wchar_t env[256] = {0};
  std::string value = "(unset)";
  if (DWORD n = GetEnvironmentVariableW(L"DOCKHAND_PLATFORM_CHECK", env, 256); n > 0 && n < 256) {
    value.assign(static_cast<std::size_t>(WideCharToMultiByte(CP_UTF8, 0, env, int(n), nullptr, 0, nullptr, nullptr)), '\0');
    WideCharToMultiByte(CP_UTF8, 0, env, int(n), value.data(), int(value.size()), nullptr, nullptr);
  }
  out << "pid=" << current_pid() << "\nenv=" << value << "\n";
  return out ? 7 : 1;
}

// A loopback TCP connection: peer_address of the accepted end is 127.0.0.1, of the listening one "".
bool peer_address_check(std::string& detail) {
  WSADATA wsa;
  if (WSAStartup(MAKEWORD(2, 2), &wsa) != 0) return detail = "WSAStartup failed", false;
  SOCKET server = socket(AF_INET, SOCK_STREAM, 0), client = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int len = sizeof addr;
  bool ok = bind(server, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 && listen(server, 1) == 0 &&
            getsockname(server, reinterpret_cast<sockaddr*>(&addr), &len) == 0 &&
            connect(client, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  SOCKET accepted = ok ? accept(server, nullptr, nullptr) : INVALID_SOCKET;
  std::string peer = accepted != INVALID_SOCKET ? peer_address(static_cast<std::intptr_t>(accepted)) : "(no connection)";
  std::string none = peer_address(static_cast<std::intptr_t>(server));
  detail = "accepted end's peer '" + peer + "', listening socket's '" + none + "'";
  if (accepted != INVALID_SOCKET) closesocket(accepted);
  closesocket(client);
  closesocket(server);
  WSACleanup();
  return peer == "127.0.0.1" && none.empty();
}

int check(const std::string& dir) {
  int failures = 0;
  auto report = [&](bool ok, const std::string& what) {
    std::cout << (ok ? "ok   " : "FAIL ") << what << std::endl;
    failures += ok ? 0 : 1;
  };

  // Arguments that need the C runtime's quoting rules, an environment override, the exit code, the pid.
  std::string file = dir + "\\child.txt";
  std::vector<std::string> args{"two words", "a \"quoted\" one", "trailing\\", "back\\\\slash \\\" mix", ""};
  std::vector<std::string> argv{self_path(), "child", file};
  argv.insert(argv.end(), args.begin(), args.end());
  auto p = launch_process(argv, {{"DOCKHAND_PLATFORM_CHECK", "set by the parent \xE2\x9C\x93"}});
  auto code = p.wait_for_exit(kDeadline);
  report(code == 7, "launch_process: the child ran and its exit code 7 was seen (got " +
                        (code ? std::to_string(*code) : std::string("still running")) + ")");
  std::ifstream in(file, std::ios::binary);
  std::stringstream got;
  got << in.rdbuf();
  std::string want;
  for (const auto& a : args) want += "arg=" + a + "\n";
  want += "pid=" + std::to_string(p.pid()) + "\nenv=set by the parent \xE2\x9C\x93\n";
  report(got.str() == want, "the child saw its arguments exactly, the pid the handle reports, and the environment "
                            "override (got:\n" + got.str() + ")");

  auto waiting = launch_process({self_path(), "wait"});
  report(!waiting.wait_for_exit(0ms), "a running program is not reported as ended");
  waiting.terminate();
  report(waiting.wait_for_exit(kDeadline).has_value(), "terminate ends it");

  bool refused = false;
  try {
    launch_process({"dockhand-no-such-program.exe"});
  } catch (const PlatformError& e) {
    refused = std::string(e.what()).find("cannot start dockhand-no-such-program.exe: ") == 0;
    std::cout << "     (" << e.what() << ")\n";
  }
  report(refused, "a missing program is a PlatformError naming it");

  report(current_pid() == static_cast<long>(GetCurrentProcessId()), "current_pid is GetCurrentProcessId");
  std::cout << "host_name=" << host_name() << std::endl;
  report(!host_name().empty(), "host_name is not empty");

  auto get_pid = reinterpret_cast<DWORD(WINAPI*)()>(loaded_function("GetCurrentProcessId"));
  report(get_pid && get_pid() == GetCurrentProcessId(), "loaded_function finds a function of a loaded DLL");
  report(!loaded_function("dockhand_no_such_function"), "loaded_function: nullptr for a name nobody exports");

  std::string detail;
  bool peer_ok = peer_address_check(detail);
  report(peer_ok, "peer_address over Winsock: " + detail);

  // The stop request: a Ctrl+Break sent to our own console group reaches the handler on a thread of its own.
  std::promise<std::string> cause;
  auto stop = cause.get_future();
  on_stop_request([&cause](const std::string& c) { cause.set_value(c); });
  bool sent = GenerateConsoleCtrlEvent(CTRL_BREAK_EVENT, 0);
  DWORD why = sent ? 0 : GetLastError();
  if (!sent && AllocConsole()) sent = GenerateConsoleCtrlEvent(CTRL_BREAK_EVENT, 0), why = sent ? 0 : GetLastError();
  if (!sent) {
    // Wine running a program whose streams are pipes gives it no console to signal (error 12): said, not hidden.
    std::cout << "skip on_stop_request: the handler is installed, but GenerateConsoleCtrlEvent failed here (error "
              << why << "), so its call is not checked" << std::endl;
  } else {
    bool arrived = stop.wait_for(kDeadline) == std::future_status::ready;
    report(arrived && stop.get() == "Ctrl+Break", "on_stop_request: Ctrl+Break calls the callback with its cause");
  }
  return failures == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) return 2;
  std::string command = args.front();
  args.erase(args.begin());
  try {
    if (command == "child" && !args.empty()) return child(args);
    if (command == "wait") {
      Sleep(INFINITE);
      return 0;
    }
    if (command == "check" && args.size() == 1) return check(args[0]);
  } catch (const std::exception& e) {
    std::cerr << "platform_check: " << e.what() << "\n";
    return 1;
  }
  std::cerr << "usage: see the head of platform_check.cpp\n";
  return 2;
}
