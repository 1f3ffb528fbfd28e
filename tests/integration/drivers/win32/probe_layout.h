// The Win32 probe window's layout and its known pattern, shared by the Windows programs (probe_window.cpp,
// driver_cli.cpp) and the Linux-side test (wine_driver_test.cpp), which builds the same pattern as a template
// for the vision code. Plain C++: no Windows or OpenCV headers.
#pragma once

#include <cstdint>
#include <string>

namespace dockhand::drivers::probe {

struct Box {
  int x, y, w, h;  // in client coordinates
};

constexpr int kClientWidth = 420, kClientHeight = 200;
constexpr Box kPattern{20, 20, 64, 48};
constexpr Box kButton{20, 100, 120, 32};
constexpr Box kEdit{160, 100, 240, 28};
constexpr int kButtonId = 101, kEditId = 102;

// The pattern's pixel at (x, y), as 0x00RRGGBB: coloured blocks of uneven sizes with a diagonal, so it matches in
// one place only and any shift or scaling of the capture shows.
inline std::uint32_t pattern_rgb(int x, int y) {
  if (x == y || x == y + 1) return 0x000000;
  int bx = (x * 7) / kPattern.w, by = (y * 5) / kPattern.h;
  static constexpr std::uint32_t colours[] = {0xd81b60, 0x1e88e5, 0xffc107, 0x004d40, 0x8e24aa, 0x43a047, 0xf4511e};
  return colours[(bx * 3 + by * 5 + (bx * by) % 4) % 7];
}

// The text the test types: Latin-1, the euro sign and CJK (outside Latin-1), a check mark, and U+1F600 (a
// surrogate pair in UTF-16).
inline const std::string kUnicodeText = "Z\xC3\xBCrich \xC3\xBC\xE2\x82\xAC\xE6\x97\xA5\xE6\x9C\xAC \xE2\x9C\x93 \xF0\x9F\x98\x80";

}  // namespace dockhand::drivers::probe
