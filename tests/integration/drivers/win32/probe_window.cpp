// The Win32 probe window for the driver test under Wine: paints the known pattern (probe_layout.h), holds a
// button and an edit control, and writes its state to a file after every change, so the test can see that
// each action landed:
//   ready=1  clicks=N  text=<the edit's text via its own WM_GETTEXT, UTF-8>  active=0|1
//   client=x,y,w,h  pattern=x,y,w,h  button=...  edit=...   (screen pixels)
// The file is replaced atomically (written beside, then renamed), so a reader never sees half a state.
//   probe_window.exe --title TITLE --state FILE [--at X,Y]     or     probe_window.exe --black
// (--black: a borderless topmost black window over the whole screen, as a locked session looks to a capture.)
#include <windows.h>

#include <cstdio>
#include <string>
#include <vector>

#include "probe_layout.h"

namespace {

using namespace dockhand::drivers::probe;

struct Probe {
  std::wstring state_file;
  HWND window = nullptr, button = nullptr, edit = nullptr;
  int clicks = 0;
  bool active = false;
  bool ready = false;  // painted and shown: only then is a state written
  std::vector<std::uint32_t> pattern;  // top-down BGRX for SetDIBitsToDevice
} probe;

std::string utf8(const std::wstring& w) {
  if (w.empty()) return {};
  int n = WideCharToMultiByte(CP_UTF8, 0, w.data(), int(w.size()), nullptr, 0, nullptr, nullptr);
  std::string out(std::size_t(n), '\0');
  WideCharToMultiByte(CP_UTF8, 0, w.data(), int(w.size()), out.data(), n, nullptr, nullptr);
  return out;
}

std::string screen_box(const Box& b) {
  POINT p{b.x, b.y};
  ClientToScreen(probe.window, &p);
  return std::to_string(p.x) + "," + std::to_string(p.y) + "," + std::to_string(b.w) + "," + std::to_string(b.h);
}

void write_state() {
  if (!probe.ready) return;
  std::wstring text;
  if (probe.edit) {  // the edit control's own answer, as the program itself sees its text
    auto length = SendMessageW(probe.edit, WM_GETTEXTLENGTH, 0, 0);
    text.resize(std::size_t(length) + 1);
    auto got = SendMessageW(probe.edit, WM_GETTEXT, WPARAM(length + 1), LPARAM(text.data()));
    text.resize(std::size_t(got));
  }
  RECT client{};
  GetClientRect(probe.window, &client);
  std::string state = "ready=1\nclicks=" + std::to_string(probe.clicks) + "\ntext=" + utf8(text) +
                      "\nactive=" + (probe.active ? "1" : "0") +
                      "\nclient=" + screen_box({0, 0, int(client.right), int(client.bottom)}) +
                      "\npattern=" + screen_box(kPattern) + "\nbutton=" + screen_box(kButton) +
                      "\nedit=" + screen_box(kEdit) + "\npid=" + std::to_string(GetCurrentProcessId()) + "\n";
  std::wstring temp = probe.state_file + L".tmp";
  HANDLE f = CreateFileW(temp.c_str(), GENERIC_WRITE, 0, nullptr, CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, nullptr);
  if (f == INVALID_HANDLE_VALUE) return;
  DWORD written = 0;
  WriteFile(f, state.data(), DWORD(state.size()), &written, nullptr);
  CloseHandle(f);
  MoveFileExW(temp.c_str(), probe.state_file.c_str(), MOVEFILE_REPLACE_EXISTING);
}

void paint_pattern(HDC dc) {
  BITMAPINFO info{};
  info.bmiHeader.biSize = sizeof(BITMAPINFOHEADER);
  info.bmiHeader.biWidth = kPattern.w;
  info.bmiHeader.biHeight = -kPattern.h;
  info.bmiHeader.biPlanes = 1;
  info.bmiHeader.biBitCount = 32;
  info.bmiHeader.biCompression = BI_RGB;
  SetDIBitsToDevice(dc, kPattern.x, kPattern.y, kPattern.w, kPattern.h, 0, 0, 0, kPattern.h, probe.pattern.data(),
                    &info, DIB_RGB_COLORS);
}

LRESULT CALLBACK window_proc(HWND hwnd, UINT msg, WPARAM wp, LPARAM lp) {
  switch (msg) {
    case WM_PAINT: {
      PAINTSTRUCT ps;
      HDC dc = BeginPaint(hwnd, &ps);
      paint_pattern(dc);
      EndPaint(hwnd, &ps);
      return 0;
    }
    case WM_COMMAND:
      if (LOWORD(wp) == kButtonId && HIWORD(wp) == BN_CLICKED) {
        ++probe.clicks;
        write_state();
      } else if (LOWORD(wp) == kEditId && HIWORD(wp) == EN_CHANGE) {
        write_state();
      }
      return 0;
    case WM_ACTIVATE:
      probe.active = LOWORD(wp) != WA_INACTIVE;
      write_state();
      break;
    case WM_MOVE:
      write_state();
      break;
    case WM_DESTROY:
      PostQuitMessage(0);
      return 0;
  }
  return DefWindowProcW(hwnd, msg, wp, lp);
}

std::wstring argument(int argc, wchar_t** argv, const wchar_t* name) {
  for (int i = 1; i + 1 < argc; ++i)
    if (lstrcmpW(argv[i], name) == 0) return argv[i + 1];
  return {};
}

bool flag(int argc, wchar_t** argv, const wchar_t* name) {
  for (int i = 1; i < argc; ++i)
    if (lstrcmpW(argv[i], name) == 0) return true;
  return false;
}

int run_black() {
  WNDCLASSW wc{};
  wc.lpfnWndProc = DefWindowProcW;
  wc.hInstance = GetModuleHandleW(nullptr);
  wc.hbrBackground = static_cast<HBRUSH>(GetStockObject(BLACK_BRUSH));
  wc.lpszClassName = L"DockhandBlack";
  RegisterClassW(&wc);
  HWND w = CreateWindowExW(WS_EX_TOPMOST, wc.lpszClassName, L"Dockhand black", WS_POPUP | WS_VISIBLE,
                           GetSystemMetrics(SM_XVIRTUALSCREEN), GetSystemMetrics(SM_YVIRTUALSCREEN),
                           GetSystemMetrics(SM_CXVIRTUALSCREEN), GetSystemMetrics(SM_CYVIRTUALSCREEN), nullptr, nullptr,
                           wc.hInstance, nullptr);
  if (!w) return 1;
  UpdateWindow(w);
  MSG msg;
  while (GetMessageW(&msg, nullptr, 0, 0) > 0) DispatchMessageW(&msg);
  return 0;
}

}  // namespace

int WINAPI wWinMain(HINSTANCE instance, HINSTANCE, PWSTR, int) {
  int argc = 0;
  wchar_t** argv = CommandLineToArgvW(GetCommandLineW(), &argc);
  SetProcessDPIAware();
  if (flag(argc, argv, L"--black")) return run_black();
  std::wstring title = argument(argc, argv, L"--title");
  probe.state_file = argument(argc, argv, L"--state");
  if (title.empty() || probe.state_file.empty()) {
    MessageBoxW(nullptr, L"usage: probe_window --title TITLE --state FILE [--at X,Y] | --black", L"probe", MB_OK);
    return 2;
  }
  int x = 100, y = 100;
  std::wstring at = argument(argc, argv, L"--at");
  if (!at.empty()) swscanf(at.c_str(), L"%d,%d", &x, &y);

  probe.pattern.resize(std::size_t(kPattern.w) * kPattern.h);
  for (int py = 0; py < kPattern.h; ++py)
    for (int px = 0; px < kPattern.w; ++px) probe.pattern[std::size_t(py) * kPattern.w + px] = pattern_rgb(px, py);

  WNDCLASSW wc{};
  wc.lpfnWndProc = window_proc;
  wc.hInstance = instance;
  wc.hCursor = LoadCursorW(nullptr, IDC_ARROW);
  wc.hbrBackground = reinterpret_cast<HBRUSH>(COLOR_BTNFACE + 1);
  wc.lpszClassName = L"DockhandProbe";
  RegisterClassW(&wc);
  const DWORD style = WS_OVERLAPPED | WS_CAPTION | WS_SYSMENU;
  RECT outer{0, 0, kClientWidth, kClientHeight};
  AdjustWindowRect(&outer, style, FALSE);
  probe.window = CreateWindowExW(0, wc.lpszClassName, title.c_str(), style, x, y, outer.right - outer.left,
                                 outer.bottom - outer.top, nullptr, nullptr, instance, nullptr);
  if (!probe.window) return 1;
  probe.button = CreateWindowExW(0, L"BUTTON", L"Press me", WS_CHILD | WS_VISIBLE | BS_PUSHBUTTON, kButton.x,
                                 kButton.y, kButton.w, kButton.h, probe.window, HMENU(INT_PTR(kButtonId)), instance,
                                 nullptr);
  probe.edit = CreateWindowExW(WS_EX_CLIENTEDGE, L"EDIT", L"", WS_CHILD | WS_VISIBLE | WS_TABSTOP | ES_AUTOHSCROLL,
                               kEdit.x, kEdit.y, kEdit.w, kEdit.h, probe.window, HMENU(INT_PTR(kEditId)), instance,
                               nullptr);
  ShowWindow(probe.window, SW_SHOW);
  UpdateWindow(probe.window);  // painted before the state says ready
  probe.ready = true;
  probe.active = GetForegroundWindow() == probe.window;
  write_state();
  MSG msg;
  while (GetMessageW(&msg, nullptr, 0, 0) > 0) {
    TranslateMessage(&msg);
    DispatchMessageW(&msg);
  }
  return 0;
}
