#include "drivers/win32/top_windows.h"

#include <dwmapi.h>

#include <chrono>
#include <thread>

#include "drivers/win32/screen_capture.h"
#include "drivers/win32/wide.h"
#include "drivers/win32/win32_error.h"

namespace dockhand::drivers::win32 {
namespace {

// How long a window may take to come to the front (a loaded machine; Wine without a window manager).
constexpr auto kActivateDeadline = std::chrono::seconds(10);

HWND to_hwnd(std::uint64_t id) { return reinterpret_cast<HWND>(static_cast<std::uintptr_t>(id)); }

Rect driver_rect(const RECT& r) {
  VirtualScreen vs = virtual_screen();
  return {int(r.left) - vs.x, int(r.top) - vs.y, int(r.right - r.left), int(r.bottom - r.top)};
}

// Windows hidden by DWM (suspended UWP apps, windows on other virtual desktops) are "visible" but not seen.
bool cloaked(HWND hwnd) {
  DWORD value = 0;
  return SUCCEEDED(DwmGetWindowAttribute(hwnd, DWMWA_CLOAKED, &value, sizeof value)) && value != 0;
}

BOOL CALLBACK collect(HWND hwnd, LPARAM param) {
  if (IsWindowVisible(hwnd) && !cloaked(hwnd)) reinterpret_cast<std::vector<HWND>*>(param)->push_back(hwnd);
  return TRUE;
}

bool in_front(HWND hwnd) { return GetForegroundWindow() == hwnd; }

void tap_alt() {
  INPUT keys[2]{};
  keys[0].type = keys[1].type = INPUT_KEYBOARD;
  keys[0].ki.wVk = keys[1].ki.wVk = VK_MENU;
  keys[1].ki.dwFlags = KEYEVENTF_KEYUP;
  SendInput(2, keys, sizeof(INPUT));
}

}  // namespace

std::optional<WindowInfo> window_info(HWND hwnd) {
  if (!IsWindow(hwnd)) return std::nullopt;
  WindowInfo info;
  info.id = static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(hwnd));
  int length = GetWindowTextLengthW(hwnd);
  std::wstring title(std::size_t(length) + 1, L'\0');
  int got = GetWindowTextW(hwnd, title.data(), length + 1);
  title.resize(std::size_t(std::max(got, 0)));
  info.title = to_utf8(std::wstring_view(title));
  // The extended frame bounds are the window as drawn (GetWindowRect adds invisible resize borders on 10/11).
  RECT outer{};
  if (FAILED(DwmGetWindowAttribute(hwnd, DWMWA_EXTENDED_FRAME_BOUNDS, &outer, sizeof outer)) &&
      !GetWindowRect(hwnd, &outer))
    return std::nullopt;
  info.rect = driver_rect(outer);
  RECT client{};
  POINT origin{0, 0};
  if (GetClientRect(hwnd, &client) && ClientToScreen(hwnd, &origin))
    info.client = driver_rect(RECT{origin.x, origin.y, origin.x + client.right, origin.y + client.bottom});
  else
    info.client = info.rect;
  info.visible = IsWindowVisible(hwnd) && !IsIconic(hwnd);
  DWORD pid = 0;
  GetWindowThreadProcessId(hwnd, &pid);
  info.pid = int(pid);
  return info;
}

std::vector<WindowInfo> TopWindows::list() {
  std::vector<HWND> handles;
  if (!EnumWindows(collect, reinterpret_cast<LPARAM>(&handles)))
    throw DesktopError(last_error_text("listing windows (EnumWindows)"));
  std::vector<WindowInfo> out;
  for (HWND h : handles)
    if (auto info = window_info(h)) out.push_back(std::move(*info));
  return out;
}

std::optional<WindowInfo> TopWindows::find(std::string_view title_part) {
  for (auto& w : list())
    if (w.visible && w.title.find(title_part) != std::string::npos) return w;
  return std::nullopt;
}

void TopWindows::activate(std::uint64_t id) {
  HWND hwnd = to_hwnd(id);
  if (!IsWindow(hwnd)) throw DesktopError("activating window " + std::to_string(id) + ": it no longer exists");
  if (IsIconic(hwnd)) ShowWindow(hwnd, SW_RESTORE);
  if (!in_front(hwnd) && !SetForegroundWindow(hwnd)) {
    // The foreground lock: only the process that received the last input may take the foreground.
    tap_alt();
    if (!SetForegroundWindow(hwnd)) {
      MSG msg;
      PeekMessageW(&msg, nullptr, 0, 0, PM_NOREMOVE);  // AttachThreadInput needs our thread to have a queue
      DWORD ours = GetCurrentThreadId();
      DWORD theirs = GetWindowThreadProcessId(GetForegroundWindow(), nullptr);
      bool attached = theirs && theirs != ours && AttachThreadInput(ours, theirs, TRUE);
      BringWindowToTop(hwnd);
      SetForegroundWindow(hwnd);
      if (attached) AttachThreadInput(ours, theirs, FALSE);
    }
  }
  // The switch is asynchronous (the window's thread handles the activation): wait for it, with a deadline.
  auto deadline = std::chrono::steady_clock::now() + kActivateDeadline;
  while (!in_front(hwnd)) {
    if (!IsWindow(hwnd)) throw DesktopError("activating window " + std::to_string(id) + ": it closed meanwhile");
    if (std::chrono::steady_clock::now() > deadline) {
      auto info = window_info(hwnd);
      throw DesktopError("activating window '" + (info ? info->title : std::to_string(id)) +
                         "': Windows kept another window in front (foreground lock) for " +
                         std::to_string(std::chrono::duration_cast<std::chrono::seconds>(kActivateDeadline).count()) +
                         " s; is the agent's session the active console session?");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

std::optional<WindowInfo> TopWindows::active() {
  HWND hwnd = GetForegroundWindow();
  if (!hwnd) return std::nullopt;
  return window_info(GetAncestor(hwnd, GA_ROOT));
}

}  // namespace dockhand::drivers::win32
