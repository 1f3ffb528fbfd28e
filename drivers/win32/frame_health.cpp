#include "drivers/win32/frame_health.h"

namespace dockhand::drivers::win32 {

bool frame_is_black(const Frame& frame) {
  if (frame.empty()) return false;
  for (int y = 0; y < frame.height; ++y) {
    const std::uint8_t* row = frame.pixels.data() + std::size_t(y) * frame.stride;
    for (int x = 0; x < frame.width; ++x) {
      const std::uint8_t* p = row + x * 4;
      if (p[0] > kBlackLevel || p[1] > kBlackLevel || p[2] > kBlackLevel) return false;
    }
  }
  return true;
}

std::string black_frame_message(const std::string& what, const std::string& method) {
  return "capture (" + method + "): " + what +
         " is black: the Windows session is probably locked, disconnected or minimised (an RDP client "
         "minimised or closed stops drawing), so nothing on it can be matched. Keep the agent's session on the "
         "console (docs/operations.md, \"Windows VM\": auto-logon, lock and screen saver off, tscon after RDP)";
}

}  // namespace dockhand::drivers::win32
