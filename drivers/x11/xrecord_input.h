// The X11 input-event source: the RECORD extension (what xmacro and xnee use) reports every key, button and
// motion event the server delivers, after delivery, so the person's programs are never slowed or bypassed.
#pragma once

#include <memory>
#include <string>

#include "drivers/input_events.h"

namespace dockhand::drivers::x11 {

std::unique_ptr<InputEventSource> open_xrecord_input(const std::string& display);

}  // namespace dockhand::drivers::x11
