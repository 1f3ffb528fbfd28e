// Key names and chords to Windows virtual keys and scan codes, for SendInput.
#pragma once

#include <windows.h>

#include <string_view>
#include <vector>

namespace dockhand::drivers::win32 {

struct VirtualKey {
  WORD vk = 0;
  bool shift = false;  // the layout needs shift for it (a character key like '+' on a US layout)
};

// The key a chord names: aliases (enter, esc, tab, pageup, ...), f1-f35, letters and digits, Windows' own key
// names (Return, Prior, Next, ...) and any single character the current layout has a key for (VkKeyScanW).
// Throws DesktopError naming the key.
VirtualKey virtual_key_for(std::string_view name, std::string_view chord);

// A key down or up as SendInput wants it: the virtual key and its scan code (some programs read only one of
// them), with KEYEVENTF_EXTENDEDKEY for the keys on the extended part of the keyboard (arrows, Home, Delete,
// right Ctrl/Alt, ...), without which they arrive as their numeric-keypad twins.
INPUT key_input(WORD vk, bool down);

// The events of a chord: modifiers down (in order), the key down and up, modifiers up (reverse order).
std::vector<INPUT> chord_inputs(std::string_view chord);

// Literal text as KEYEVENTF_UNICODE events (one down and up per UTF-16 unit: a character above U+FFFF is a
// surrogate pair, two units), independent of the keyboard layout. Newline (CR, LF or CR LF) is the Enter key,
// tab the Tab key and backspace the Backspace key, as a person types them.
std::vector<INPUT> text_inputs(std::string_view utf8);

}  // namespace dockhand::drivers::win32
