// Windows error codes as text for DesktopError messages.
#pragma once

#include <windows.h>

#include <string>

namespace dockhand::drivers::win32 {

// "doing: <system message> (error 5)" for `code`.
std::string error_text(const std::string& doing, DWORD code);
// The same for GetLastError(), read first thing.
std::string last_error_text(const std::string& doing);
// "doing: <message> (HRESULT 0x887a0022)".
std::string hresult_text(const std::string& doing, HRESULT hr);

}  // namespace dockhand::drivers::win32
