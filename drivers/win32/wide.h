// UTF-8 <-> UTF-16 (Windows' wide strings). Pure and portable, so tested on Linux too: code points above
// U+FFFF become surrogate pairs, as KEYEVENTF_UNICODE typing and the W functions need.
#pragma once

#include <string>
#include <string_view>

namespace dockhand::drivers::win32 {

// Throws DesktopError on malformed UTF-8 (with the byte offset).
std::u16string to_utf16(std::string_view utf8);
// Unpaired surrogates become U+FFFD.
std::string to_utf8(std::u16string_view utf16);

#ifdef _WIN32
// wchar_t is UTF-16 on Windows: the same for the W functions' strings.
std::wstring to_wide(std::string_view utf8);
std::string to_utf8(std::wstring_view wide);
#endif

}  // namespace dockhand::drivers::win32
