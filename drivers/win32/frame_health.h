// Is a captured frame a picture of a desktop? A locked or disconnected Windows session has no desktop to draw:
// captures come back black (GDI) or stop changing (DXGI keeps the last frame), and input goes nowhere. Such a
// frame must be an error, never matched against. Pure and portable (tested on Linux with made-up frames).
//
// Black is judged on pixels. "Never changing" is not judged on pixels: an idle program is legitimately unchanged
// for hours. The driver detects it by its causes instead (session_state: the session is disconnected, or the
// input desktop is the lock screen; DXGI reports the desktop switched), which is what a frozen picture means.
#pragma once

#include <optional>
#include <string>

#include "drivers/desktop.h"

namespace dockhand::drivers::win32 {

// Channel values at or below this count as black (video encoders and RDP dither a black screen a little).
inline constexpr int kBlackLevel = 8;

// True when every pixel of `frame` is black (B, G and R <= kBlackLevel). An empty frame is not black.
bool frame_is_black(const Frame& frame);

// The error text for a black capture of `what` ("the whole screen"), naming the likely causes and the fix.
std::string black_frame_message(const std::string& what, const std::string& method);

}  // namespace dockhand::drivers::win32
