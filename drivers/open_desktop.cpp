// The factory: picks the backend. X11 is the only one built here; win32/ or vnc/ would be chosen here too,
// so nothing above drivers/ ever names a platform.
#include "drivers/desktop.h"
#include "drivers/x11/x11_desktop.h"

namespace dockhand::drivers {

std::unique_ptr<Desktop> open_desktop(const std::string& display) { return x11::open_x11_desktop(display); }

}  // namespace dockhand::drivers
