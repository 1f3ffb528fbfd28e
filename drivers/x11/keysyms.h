// Text and key names to X keysyms. Pure functions: no display needed.
#pragma once

#include <X11/X.h>

#include <string>
#include <string_view>
#include <vector>

namespace dockhand::drivers::x11 {

// Decodes UTF-8 into code points. Throws DesktopError on malformed input (with the byte offset).
std::vector<char32_t> decode_utf8(std::string_view utf8);

// The keysym that types code point `c`: Latin-1 and the legacy keysym tables where X has a name, the Unicode
// keysym range (0x1000000 + c) otherwise; '\n' and '\r' are Return, '\t' is Tab, '\b' BackSpace.
KeySym keysym_for_char(char32_t c);

enum class Modifier { Ctrl, Shift, Alt, Super };

struct Chord {
  std::vector<Modifier> modifiers;  // in the order written
  KeySym key = NoSymbol;
};

// Parses "ctrl+shift+Tab", "Enter", "alt+F4", "ctrl+s", "plus" (a literal '+' is written "plus").
// Throws DesktopError naming the bad part.
Chord parse_chord(std::string_view chord);

}  // namespace dockhand::drivers::x11
