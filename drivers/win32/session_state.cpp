#include "drivers/win32/session_state.h"

#include <wtsapi32.h>

#include <cstdio>

#include "drivers/win32/wide.h"

namespace dockhand::drivers::win32 {
namespace {

// DPI_AWARENESS_CONTEXT values (winuser.h, Windows 10 1703+), named here so older headers do not matter.
const auto kPerMonitorV2 = reinterpret_cast<HANDLE>(static_cast<LONG_PTR>(-4));
const auto kPerMonitor = reinterpret_cast<HANDLE>(static_cast<LONG_PTR>(-3));

template <typename F>
F user32_function(const char* name) {
  return reinterpret_cast<F>(reinterpret_cast<void*>(GetProcAddress(GetModuleHandleW(L"user32.dll"), name)));
}

// Integrity level RID of a process token (SECURITY_MANDATORY_*_RID), or -1 when it cannot be read.
long token_integrity(HANDLE token) {
  DWORD size = 0;
  GetTokenInformation(token, TokenIntegrityLevel, nullptr, 0, &size);
  if (size == 0) return -1;
  std::string buffer(size, '\0');
  auto* label = reinterpret_cast<TOKEN_MANDATORY_LABEL*>(buffer.data());
  if (!GetTokenInformation(token, TokenIntegrityLevel, label, size, &size)) return -1;
  PSID sid = label->Label.Sid;
  UCHAR count = *GetSidSubAuthorityCount(sid);
  return count ? long(*GetSidSubAuthority(sid, count - 1)) : -1;
}

long process_integrity(DWORD pid) {
  HANDLE process = pid == GetCurrentProcessId() ? GetCurrentProcess()
                                                : OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid);
  if (!process) return GetLastError() == ERROR_ACCESS_DENIED ? long(SECURITY_MANDATORY_SYSTEM_RID) : -1;
  HANDLE token = nullptr;
  long level = -1;
  if (OpenProcessToken(process, TOKEN_QUERY, &token)) {
    level = token_integrity(token);
    CloseHandle(token);
  }
  if (process != GetCurrentProcess()) CloseHandle(process);
  return level;
}

}  // namespace

std::string make_dpi_aware() {
  using SetContext = BOOL(WINAPI*)(HANDLE);
  if (auto set = user32_function<SetContext>("SetProcessDpiAwarenessContext")) {
    // ERROR_ACCESS_DENIED: already set (manifest or an earlier call); dpi_awareness() says to what.
    if (!set(kPerMonitorV2)) set(kPerMonitor);
  } else if (auto old = user32_function<BOOL(WINAPI*)()>("SetProcessDPIAware")) {
    old();
  }
  return dpi_awareness();
}

std::string dpi_awareness() {
  using GetContext = HANDLE(WINAPI*)();
  using AreEqual = BOOL(WINAPI*)(HANDLE, HANDLE);
  using Awareness = int(WINAPI*)(HANDLE);
  auto get = user32_function<GetContext>("GetThreadDpiAwarenessContext");
  auto equal = user32_function<AreEqual>("AreDpiAwarenessContextsEqual");
  auto awareness = user32_function<Awareness>("GetAwarenessFromDpiAwarenessContext");
  if (get && equal && awareness) {
    HANDLE context = get();
    if (equal(context, kPerMonitorV2)) return "per-monitor-v2";
    switch (awareness(context)) {
      case 2: return "per-monitor";
      case 1: return "system";
      default: return "unaware";
    }
  }
  auto is_aware = user32_function<BOOL(WINAPI*)()>("IsProcessDPIAware");
  return is_aware && is_aware() ? "system" : "unaware";
}

std::optional<std::string> session_problem() {
  WTS_CONNECTSTATE_CLASS* state = nullptr;
  DWORD bytes = 0;
  if (WTSQuerySessionInformationW(WTS_CURRENT_SERVER_HANDLE, WTS_CURRENT_SESSION, WTSConnectState,
                                  reinterpret_cast<LPWSTR*>(&state), &bytes) &&
      state && bytes >= sizeof(*state)) {
    WTS_CONNECTSTATE_CLASS s = *state;
    WTSFreeMemory(state);
    if (s == WTSDisconnected)
      return "the Windows session is disconnected (an RDP client closed without tscon): it has no desktop to "
             "capture and input goes nowhere; reconnect it to the console (docs/operations.md, \"Windows VM\")";
  } else if (state) {
    WTSFreeMemory(state);
  }
  HDESK desk = OpenInputDesktop(0, FALSE, DESKTOP_READOBJECTS);
  if (!desk) {
    if (GetLastError() == ERROR_ACCESS_DENIED)
      return "the input desktop cannot be opened: the screen is locked or a UAC prompt (secure desktop) is up; "
             "turn the lock off on the agent's VM (docs/operations.md, \"Windows VM\")";
    return std::nullopt;
  }
  wchar_t name[64] = {};
  DWORD needed = 0;
  bool named = GetUserObjectInformationW(desk, UOI_NAME, name, sizeof name - sizeof(wchar_t), &needed);
  CloseDesktop(desk);
  if (named && _wcsicmp(name, L"Default") != 0)
    return "the input desktop is '" + to_utf8(std::wstring_view(name)) +
           "', not the user's ('Default'): the screen is locked or a UAC prompt is up";
  return std::nullopt;
}

std::optional<std::string> uipi_problem(HWND target) {
  if (!target) return std::nullopt;
  DWORD pid = 0;
  GetWindowThreadProcessId(target, &pid);
  if (!pid || pid == GetCurrentProcessId()) return std::nullopt;
  long ours = process_integrity(GetCurrentProcessId());
  long theirs = process_integrity(pid);
  if (ours < 0 || theirs < 0 || theirs <= ours) return std::nullopt;
  char levels[64];
  std::snprintf(levels, sizeof levels, "integrity 0x%lx over the agent's 0x%lx", theirs, ours);
  return std::string("the window in front belongs to a process with a higher integrity level than the agent (an "
                     "elevated program: ") + levels + ") and Windows (UIPI) silently drops input to it: run that "
                     "program without elevation, or the agent elevated";
}

}  // namespace dockhand::drivers::win32
