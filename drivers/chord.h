// Text and key chords, platform-neutral: what every backend parses the same way before mapping it to its own
// key codes (X keysyms, Windows virtual keys). Pure functions: no display needed.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace dockhand::drivers {

// Decodes UTF-8 into code points. Throws DesktopError on malformed input (with the byte offset).
std::vector<char32_t> decode_utf8(std::string_view utf8);

enum class Modifier { Ctrl, Shift, Alt, Super };

// A chord split into its modifiers (in the order written) and the key's name as written ("Tab", "s", "F5").
struct ChordParts {
  std::vector<Modifier> modifiers;
  std::string key;
};

// Splits "ctrl+shift+Tab", "Enter", "alt+F4", "ctrl++" (ctrl and '+'), "+" ('+'). A literal '+' comes back as
// the key name "plus". Throws DesktopError naming the bad part (empty chord, unknown modifier, no key).
ChordParts split_chord(std::string_view chord);

// ASCII lower case (key names are ASCII; other bytes pass through).
std::string lower_ascii(std::string_view s);

// 1..35 for "f1".."f35" (already lower case), 0 for anything else.
int function_key_number(std::string_view lower_name);

}  // namespace dockhand::drivers
