#include "drivers/win32/wide.h"

#include "drivers/chord.h"

namespace dockhand::drivers::win32 {

std::u16string to_utf16(std::string_view utf8) {
  std::u16string out;
  out.reserve(utf8.size());
  for (char32_t c : decode_utf8(utf8)) {
    if (c >= 0x10000) {
      c -= 0x10000;
      out.push_back(char16_t(0xd800 + (c >> 10)));
      out.push_back(char16_t(0xdc00 + (c & 0x3ff)));
    } else {
      out.push_back(char16_t(c));
    }
  }
  return out;
}

std::string to_utf8(std::u16string_view s) {
  std::string out;
  out.reserve(s.size());
  auto put = [&](char32_t c) {
    if (c < 0x80) {
      out.push_back(char(c));
    } else if (c < 0x800) {
      out.push_back(char(0xc0 | (c >> 6)));
      out.push_back(char(0x80 | (c & 0x3f)));
    } else if (c < 0x10000) {
      out.push_back(char(0xe0 | (c >> 12)));
      out.push_back(char(0x80 | ((c >> 6) & 0x3f)));
      out.push_back(char(0x80 | (c & 0x3f)));
    } else {
      out.push_back(char(0xf0 | (c >> 18)));
      out.push_back(char(0x80 | ((c >> 12) & 0x3f)));
      out.push_back(char(0x80 | ((c >> 6) & 0x3f)));
      out.push_back(char(0x80 | (c & 0x3f)));
    }
  };
  for (std::size_t i = 0; i < s.size(); ++i) {
    char32_t c = s[i];
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.size() && s[i + 1] >= 0xdc00 && s[i + 1] <= 0xdfff) {
      put(0x10000 + ((c - 0xd800) << 10) + (s[i + 1] - 0xdc00));
      ++i;
    } else if (c >= 0xd800 && c <= 0xdfff) {
      put(0xfffd);
    } else {
      put(c);
    }
  }
  return out;
}

#ifdef _WIN32
static_assert(sizeof(wchar_t) == sizeof(char16_t));
std::wstring to_wide(std::string_view utf8) {
  std::u16string u = to_utf16(utf8);
  return std::wstring(u.begin(), u.end());
}
std::string to_utf8(std::wstring_view wide) {
  return to_utf8(std::u16string_view(reinterpret_cast<const char16_t*>(wide.data()), wide.size()));
}
#endif

}  // namespace dockhand::drivers::win32
