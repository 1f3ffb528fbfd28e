// drivers/platform.h on Windows: CreateProcessW, WaitForSingleObject, SetConsoleCtrlHandler, Winsock getpeername,
// GetProcAddress over the loaded modules. Kept apart from the desktop backend (its own small UTF-8 and error
// helpers) so that dockhand_platform needs no desktop.
#include "drivers/platform.h"

#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>
#include <psapi.h>

#include <algorithm>
#include <cwctype>
#include <mutex>
#include <thread>

namespace dockhand::drivers {

namespace {

std::wstring wide(const std::string& utf8) {
  if (utf8.empty()) return {};
  int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, utf8.data(), static_cast<int>(utf8.size()), nullptr, 0);
  if (n <= 0) throw PlatformError("not UTF-8: " + utf8);
  std::wstring out(static_cast<size_t>(n), L'\0');
  MultiByteToWideChar(CP_UTF8, 0, utf8.data(), static_cast<int>(utf8.size()), out.data(), n);
  return out;
}

std::string narrow(const std::wstring& w) {
  if (w.empty()) return {};
  int n = WideCharToMultiByte(CP_UTF8, 0, w.data(), static_cast<int>(w.size()), nullptr, 0, nullptr, nullptr);
  std::string out(static_cast<size_t>(std::max(n, 0)), '\0');
  WideCharToMultiByte(CP_UTF8, 0, w.data(), static_cast<int>(w.size()), out.data(), n, nullptr, nullptr);
  return out;
}

std::string system_message(DWORD code) {
  wchar_t* text = nullptr;
  DWORD n = FormatMessageW(FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS,
                           nullptr, code, 0, reinterpret_cast<wchar_t*>(&text), 0, nullptr);
  std::wstring message = n && text ? std::wstring(text, n) : L"";
  if (text) LocalFree(text);
  while (!message.empty() && (message.back() == L'\n' || message.back() == L'\r' || message.back() == L'.'))
    message.pop_back();
  return narrow(message) + " (error " + std::to_string(code) + ")";
}

// One argument as the Microsoft C runtime (and CommandLineToArgvW) splits it back: quoted when it has blanks or
// quotes, a quote escaped with a backslash, backslashes doubled only before a quote.
std::wstring quote_argument(const std::wstring& arg) {
  if (!arg.empty() && arg.find_first_of(L" \t\n\v\"") == std::wstring::npos) return arg;
  std::wstring out = L"\"";
  size_t backslashes = 0;
  for (wchar_t c : arg) {
    if (c == L'\\') {
      ++backslashes;
      continue;
    }
    out.append(c == L'"' ? backslashes * 2 + 1 : backslashes, L'\\');
    backslashes = 0;
    out.push_back(c);
  }
  out.append(backslashes * 2, L'\\');
  out.push_back(L'"');
  return out;
}

bool same_name(const std::wstring& a, const std::wstring& b) {  // Windows' variable names ignore case
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](wchar_t x, wchar_t y) { return towupper(x) == towupper(y); });
}

// This process's environment with the overrides set, as CreateProcessW's block: NAME=value\0...\0\0.
std::wstring environment_block(const std::map<std::string, std::string>& overrides) {
  std::vector<std::pair<std::wstring, std::wstring>> set;
  for (const auto& [name, value] : overrides) set.emplace_back(wide(name), wide(value));
  std::wstring block;
  if (wchar_t* env = GetEnvironmentStringsW()) {
    for (const wchar_t* entry = env; *entry; entry += wcslen(entry) + 1) {
      std::wstring text(entry);
      // Entries like "=C:=C:\dir" (a drive's current folder) start with '=': their name is not empty.
      auto eq = text.find(L'=', 1);
      std::wstring name = text.substr(0, eq);
      bool replaced = std::any_of(set.begin(), set.end(), [&](const auto& kv) { return same_name(kv.first, name); });
      if (!replaced) block += text + L'\0';
    }
    FreeEnvironmentStringsW(env);
  }
  for (const auto& [name, value] : set) block += name + L"=" + value + L'\0';
  block += L'\0';
  return block;
}

}  // namespace

struct Process::Impl {
  HANDLE process = nullptr;
  DWORD pid = 0;
  std::optional<int> exit_code;
  ~Impl() {
    if (process) CloseHandle(process);
  }
};

Process::Process(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Process::Process(Process&&) noexcept = default;
Process& Process::operator=(Process&&) noexcept = default;
Process::~Process() = default;

long Process::pid() const { return static_cast<long>(impl_->pid); }

std::optional<int> Process::wait_for_exit(std::chrono::milliseconds timeout) {
  if (impl_->exit_code) return impl_->exit_code;
  auto ms = static_cast<DWORD>(std::clamp<long long>(timeout.count(), 0, INFINITE - 1));
  DWORD r = WaitForSingleObject(impl_->process, ms);
  if (r == WAIT_TIMEOUT) return std::nullopt;
  if (r != WAIT_OBJECT_0)
    throw PlatformError("waiting for process " + std::to_string(impl_->pid) + ": " + system_message(GetLastError()));
  DWORD code = 0;
  if (!GetExitCodeProcess(impl_->process, &code))
    throw PlatformError("exit code of process " + std::to_string(impl_->pid) + ": " + system_message(GetLastError()));
  impl_->exit_code = static_cast<int>(code);
  return impl_->exit_code;
}

void Process::terminate() {
  if (impl_->exit_code) return;
  if (!TerminateProcess(impl_->process, 1) && WaitForSingleObject(impl_->process, 0) != WAIT_OBJECT_0)
    throw PlatformError("stopping process " + std::to_string(impl_->pid) + ": " + system_message(GetLastError()));
}

Process launch_process(const std::vector<std::string>& argv,
                       const std::map<std::string, std::string>& environment_overrides) {
  if (argv.empty() || argv[0].empty()) throw PlatformError("launch: no program given");
  std::wstring command_line;
  for (const auto& a : argv) command_line += (command_line.empty() ? L"" : L" ") + quote_argument(wide(a));
  std::wstring env = environment_block(environment_overrides);

  // stdin/stdout/stderr on NUL, as /dev/null on POSIX: inheritable handles given through STARTUPINFO.
  SECURITY_ATTRIBUTES inherit{sizeof(SECURITY_ATTRIBUTES), nullptr, TRUE};
  HANDLE nul = CreateFileW(L"NUL", GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE, &inherit,
                           OPEN_EXISTING, 0, nullptr);
  if (nul == INVALID_HANDLE_VALUE) throw PlatformError("cannot open NUL: " + system_message(GetLastError()));
  STARTUPINFOW si{};
  si.cb = sizeof si;
  si.dwFlags = STARTF_USESTDHANDLES;
  si.hStdInput = si.hStdOutput = si.hStdError = nul;
  PROCESS_INFORMATION pi{};
  // lpApplicationName null: the first token is looked up as Windows does (the program's folder, System32, PATH).
  BOOL ok = CreateProcessW(nullptr, command_line.data(), nullptr, nullptr, TRUE, CREATE_UNICODE_ENVIRONMENT,
                           env.data(), nullptr, &si, &pi);
  DWORD error = GetLastError();
  CloseHandle(nul);
  if (!ok) throw PlatformError("cannot start " + argv[0] + ": " + system_message(error));
  CloseHandle(pi.hThread);
  auto impl = std::make_unique<Process::Impl>();
  impl->process = pi.hProcess;
  impl->pid = pi.dwProcessId;
  return Process(std::move(impl));
}

long current_pid() { return static_cast<long>(GetCurrentProcessId()); }

std::string host_name() {
  wchar_t name[MAX_COMPUTERNAME_LENGTH + 1] = {0};
  DWORD size = MAX_COMPUTERNAME_LENGTH + 1;
  if (!GetComputerNameW(name, &size)) return "localhost";
  return narrow(std::wstring(name, size));
}

namespace {
std::mutex g_stop_mutex;
std::function<void(const std::string&)> g_on_stop;

BOOL WINAPI console_control(DWORD type) {
  const char* cause = type == CTRL_C_EVENT          ? "Ctrl+C"
                      : type == CTRL_BREAK_EVENT    ? "Ctrl+Break"
                      : type == CTRL_CLOSE_EVENT    ? "console closed"
                      : type == CTRL_LOGOFF_EVENT   ? "logoff"
                      : type == CTRL_SHUTDOWN_EVENT ? "shutdown"
                                                    : "console event";
  std::function<void(const std::string&)> on_stop;
  {
    std::lock_guard lock(g_stop_mutex);
    on_stop = std::move(g_on_stop);  // once
    g_on_stop = nullptr;
  }
  // Windows calls this on a thread of its own, as the contract says.
  if (on_stop) on_stop(cause);
  return TRUE;
}
}  // namespace

void on_stop_request(std::function<void(const std::string& cause)> on_stop) {
  {
    std::lock_guard lock(g_stop_mutex);
    g_on_stop = std::move(on_stop);
  }
  if (!SetConsoleCtrlHandler(console_control, TRUE))
    throw PlatformError("cannot install the console control handler: " + system_message(GetLastError()));
}

std::string peer_address(std::intptr_t socket) {
  sockaddr_storage addr{};
  int len = sizeof addr;
  if (socket < 0 || getpeername(static_cast<SOCKET>(socket), reinterpret_cast<sockaddr*>(&addr), &len) != 0) return "";
  char text[INET6_ADDRSTRLEN] = "";
  if (addr.ss_family == AF_INET)
    inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(&addr)->sin_addr, text, sizeof text);
  else if (addr.ss_family == AF_INET6)
    inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(&addr)->sin6_addr, text, sizeof text);
  return text;
}

bool readable_by_others(const std::filesystem::path& file) {
  if (!std::filesystem::exists(file)) throw PlatformError("cannot read " + file.string() + ": no such file");
  return false;
}

void* loaded_function(const char* name) {
  HMODULE modules[1024];
  DWORD needed = 0;
  if (!EnumProcessModules(GetCurrentProcess(), modules, sizeof modules, &needed)) return nullptr;
  for (DWORD i = 0; i < std::min<DWORD>(needed / sizeof(HMODULE), 1024); ++i)
    if (auto f = GetProcAddress(modules[i], name)) return reinterpret_cast<void*>(f);
  return nullptr;
}

}  // namespace dockhand::drivers
