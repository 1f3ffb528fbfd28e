// Text and key names to X keysyms. Pure functions: no display needed.
#pragma once

#include <X11/X.h>

#include <string>
#include <string_view>
#include <vector>

#include "drivers/chord.h"

namespace dockhand::drivers::x11 {

using drivers::decode_utf8;
using drivers::Modifier;

// The keysym that types code point `c`: Latin-1 and the legacy keysym tables where X has a name, the Unicode
// keysym range (0x1000000 + c) otherwise; '\n' and '\r' are Return, '\t' is Tab, '\b' BackSpace.
KeySym keysym_for_char(char32_t c);

struct Chord {
  std::vector<Modifier> modifiers;  // in the order written
  KeySym key = NoSymbol;
};

// Parses "ctrl+shift+Tab", "Enter", "alt+F4", "ctrl+s", "plus" (a literal '+' is written "plus").
// Throws DesktopError naming the bad part.
Chord parse_chord(std::string_view chord);

}  // namespace dockhand::drivers::x11
