#include "drivers/win32/win32_error.h"

#include <cstdio>

#include "drivers/win32/wide.h"

namespace dockhand::drivers::win32 {
namespace {

std::string system_message(DWORD code) {
  wchar_t* text = nullptr;
  DWORD n = FormatMessageW(FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS,
                           nullptr, code, 0, reinterpret_cast<wchar_t*>(&text), 0, nullptr);
  std::string out;
  if (n && text) {
    out = to_utf8(std::wstring_view(text, n));
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r' || out.back() == ' ' || out.back() == '.'))
      out.pop_back();
  }
  if (text) LocalFree(text);
  return out;
}

}  // namespace

std::string error_text(const std::string& doing, DWORD code) {
  std::string message = system_message(code);
  return doing + ": " + (message.empty() ? "unknown error" : message) + " (error " + std::to_string(code) + ")";
}

std::string last_error_text(const std::string& doing) { return error_text(doing, GetLastError()); }

std::string hresult_text(const std::string& doing, HRESULT hr) {
  char hex[16];
  std::snprintf(hex, sizeof hex, "0x%08lx", static_cast<unsigned long>(hr));
  std::string message = system_message(static_cast<DWORD>(hr));
  return doing + ": " + (message.empty() ? "failed" : message) + " (HRESULT " + hex + ")";
}

}  // namespace dockhand::drivers::win32
