// The factory: picks the platform's backend (drivers/CMakeLists.txt builds only that one), so nothing above
// drivers/ ever names a platform.
#include "drivers/desktop.h"

#ifdef _WIN32
#include "drivers/win32/win32_desktop.h"
#else
#include "drivers/x11/x11_desktop.h"
#endif

namespace dockhand::drivers {

std::unique_ptr<Desktop> open_desktop(const std::string& display) {
#ifdef _WIN32
  return win32::open_win32_desktop(display);
#else
  return x11::open_x11_desktop(display);
#endif
}

}  // namespace dockhand::drivers
