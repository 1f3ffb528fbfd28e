// Pointer and keyboard through SendInput: absolute pointer moves normalised over the virtual desktop, chords
// by virtual key and scan code, text as KEYEVENTF_UNICODE (keyboard layouts do not matter). Every call checks
// what SendInput says: fewer events inserted than given is a DesktopError with GetLastError's text. Before
// input the session and UIPI are checked, since Windows drops input to a locked session or an elevated window
// without an error.
#pragma once

#include <windows.h>

#include <string_view>
#include <vector>

#include "drivers/desktop.h"

namespace dockhand::drivers::win32 {

class SendInputDriver {
 public:
  // Points are the driver's coordinates (virtual desktop, top-left 0,0).
  void move(Point to);
  void click(Point at, Button button, int count);
  void drag(Point from, Point to, Button button);
  void scroll(Point at, int dy, int dx);
  Point pointer();
  void key(std::string_view chord);
  void type_text(std::string_view utf8);

 private:
  void send(std::vector<INPUT>& events, const std::string& doing);
  INPUT absolute_move(Point to);
};

// The normalised absolute coordinate (0..65535) that lands on pixel `offset` of a span `size` pixels wide
// (aimed at the pixel's centre, so either scaling, by 65536 or 65535, lands on it).
LONG normalized_coordinate(int offset, int size);

}  // namespace dockhand::drivers::win32
