#include "drivers/win32/sendinput.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <thread>

#include "drivers/win32/screen_capture.h"
#include "drivers/win32/session_state.h"
#include "drivers/win32/virtual_keys.h"
#include "drivers/win32/win32_error.h"

namespace dockhand::drivers::win32 {
namespace {

// One SendInput call is atomic (no other input interleaves); very long text goes in pieces of this many events.
constexpr std::size_t kMaxEventsPerCall = 1000;
// How long the pointer may take to arrive after a move, and how often the move is sent before giving up.
constexpr auto kPointerSettle = std::chrono::milliseconds(1000);
constexpr int kMoveAttempts = 3;
// Steps of a drag: programs that track motion (drag thresholds, hover) see the pointer travel.
constexpr int kDragSteps = 10;

INPUT mouse_input(DWORD flags, DWORD data = 0) {
  INPUT in{};
  in.type = INPUT_MOUSE;
  in.mi.dwFlags = flags;
  in.mi.mouseData = data;
  return in;
}

DWORD button_flag(Button b, bool down) {
  switch (b) {
    case Button::Left: return down ? MOUSEEVENTF_LEFTDOWN : MOUSEEVENTF_LEFTUP;
    case Button::Middle: return down ? MOUSEEVENTF_MIDDLEDOWN : MOUSEEVENTF_MIDDLEUP;
    case Button::Right: return down ? MOUSEEVENTF_RIGHTDOWN : MOUSEEVENTF_RIGHTUP;
  }
  return 0;
}

}  // namespace

LONG normalized_coordinate(int offset, int size) {
  if (size <= 1) return 0;
  // Windows scales by 65536 / size (Wine by 65535): aiming at the pixel's centre lands on it with either.
  return LONG(std::min<std::int64_t>((std::int64_t(2 * offset + 1) * 65536) / (2 * std::int64_t(size)), 65535));
}

INPUT SendInputDriver::absolute_move(Point to) {
  VirtualScreen vs = virtual_screen();
  if (to.x < 0 || to.y < 0 || to.x >= vs.w || to.y >= vs.h)
    throw DesktopError("pointer target " + std::to_string(to.x) + "," + std::to_string(to.y) +
                       " is off the screen (" + std::to_string(vs.w) + "x" + std::to_string(vs.h) + ")");
  INPUT in = mouse_input(MOUSEEVENTF_MOVE | MOUSEEVENTF_ABSOLUTE | MOUSEEVENTF_VIRTUALDESK);
  in.mi.dx = normalized_coordinate(to.x, vs.w);
  in.mi.dy = normalized_coordinate(to.y, vs.h);
  return in;
}

void SendInputDriver::send(std::vector<INPUT>& events, const std::string& doing) {
  if (auto problem = session_problem()) throw DesktopError(doing + ": " + *problem);
  if (auto problem = uipi_problem(GetForegroundWindow())) throw DesktopError(doing + ": " + *problem);
  for (std::size_t first = 0; first < events.size(); first += kMaxEventsPerCall) {
    UINT count = UINT(std::min(kMaxEventsPerCall, events.size() - first));
    SetLastError(0);
    UINT inserted = SendInput(count, events.data() + first, sizeof(INPUT));
    if (inserted != count) {
      DWORD code = GetLastError();
      throw DesktopError(error_text(doing + ": SendInput inserted " + std::to_string(inserted) + " of " +
                                        std::to_string(count) + " events (input blocked: UIPI towards an "
                                        "elevated window, or a locked/disconnected session)",
                                    code));
    }
  }
}

void SendInputDriver::move(Point to) {
  const std::string doing = "moving the pointer to " + std::to_string(to.x) + "," + std::to_string(to.y);
  // SendInput's count says the events were queued, not that the pointer got there (Wine drops the first move
  // of a fresh session; a ClipCursor confines it): check where it is, and move again while it is not there.
  for (int attempt = 1;; ++attempt) {
    std::vector<INPUT> events{absolute_move(to)};
    send(events, doing);
    auto deadline = std::chrono::steady_clock::now() + kPointerSettle;
    Point at = pointer();
    while (at != to && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      at = pointer();
    }
    if (at == to) return;
    if (attempt == kMoveAttempts)
      throw DesktopError(doing + ": the pointer stayed at " + std::to_string(at.x) + "," + std::to_string(at.y) +
                         " after " + std::to_string(kMoveAttempts) + " moves (confined by ClipCursor?)");
  }
}

void SendInputDriver::click(Point at, Button button, int count) {
  move(at);  // the buttons go where the pointer is, so it must be there first
  std::vector<INPUT> events;
  for (int i = 0; i < count; ++i) {
    events.push_back(mouse_input(button_flag(button, true)));
    events.push_back(mouse_input(button_flag(button, false)));
  }
  send(events, "clicking at " + std::to_string(at.x) + "," + std::to_string(at.y));
}

void SendInputDriver::drag(Point from, Point to, Button button) {
  move(from);
  std::vector<INPUT> events{mouse_input(button_flag(button, true))};
  for (int i = 1; i <= kDragSteps; ++i)
    events.push_back(absolute_move({from.x + (to.x - from.x) * i / kDragSteps, from.y + (to.y - from.y) * i / kDragSteps}));
  events.push_back(mouse_input(button_flag(button, false)));
  send(events, "dragging");
}

void SendInputDriver::scroll(Point at, int dy, int dx) {
  move(at);
  std::vector<INPUT> events;
  // Wheel data: positive rolls away from the user (up); dy > 0 means down. Horizontal: positive is right.
  for (int i = 0; i < std::abs(dy); ++i) events.push_back(mouse_input(MOUSEEVENTF_WHEEL, DWORD(dy > 0 ? -WHEEL_DELTA : WHEEL_DELTA)));
  for (int i = 0; i < std::abs(dx); ++i) events.push_back(mouse_input(MOUSEEVENTF_HWHEEL, DWORD(dx > 0 ? WHEEL_DELTA : -WHEEL_DELTA)));
  send(events, "scrolling");
}

Point SendInputDriver::pointer() {
  POINT p{};
  if (!GetCursorPos(&p)) throw DesktopError(last_error_text("reading the pointer position (GetCursorPos)"));
  VirtualScreen vs = virtual_screen();
  return {p.x - vs.x, p.y - vs.y};
}

void SendInputDriver::key(std::string_view chord) {
  std::vector<INPUT> events = chord_inputs(chord);  // bad names fail before anything is pressed
  send(events, "pressing key chord '" + std::string(chord) + "'");
}

void SendInputDriver::type_text(std::string_view utf8) {
  std::vector<INPUT> events = text_inputs(utf8);
  if (!events.empty()) send(events, "typing text");
}

}  // namespace dockhand::drivers::win32
