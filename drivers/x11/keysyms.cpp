#include "drivers/x11/keysyms.h"

#include <X11/Xlib.h>
#include <X11/keysym.h>

#include <algorithm>
#include <cctype>
#include <string>

#include "drivers/desktop.h"

namespace dockhand::drivers::x11 {
namespace {

struct Alias {
  const char* name;
  KeySym sym;
};

// The names a script author types without looking up X's spelling.
constexpr Alias key_aliases[] = {
    {"enter", XK_Return},       {"return", XK_Return},     {"esc", XK_Escape},       {"escape", XK_Escape},
    {"tab", XK_Tab},            {"space", XK_space},       {"backspace", XK_BackSpace},
    {"delete", XK_Delete},      {"del", XK_Delete},        {"insert", XK_Insert},    {"ins", XK_Insert},
    {"home", XK_Home},          {"end", XK_End},           {"pageup", XK_Prior},     {"pgup", XK_Prior},
    {"page_up", XK_Prior},      {"pagedown", XK_Next},     {"pgdn", XK_Next},        {"page_down", XK_Next},
    {"up", XK_Up},              {"down", XK_Down},         {"left", XK_Left},        {"right", XK_Right},
    {"menu", XK_Menu},          {"print", XK_Print},       {"printscreen", XK_Print}, {"plus", XK_plus},
    {"minus", XK_minus},        {"capslock", XK_Caps_Lock},
};

KeySym key_from_name(std::string_view name, std::string_view chord) {
  std::string l = lower_ascii(name);
  for (const auto& a : key_aliases)
    if (l == a.name) return a.sym;
  if (int n = function_key_number(l)) return XK_F1 + (n - 1);
  // Single letters are the key, not the character: "ctrl+S" is ctrl+s (write "ctrl+shift+s" for the shift).
  if (name.size() == 1 && std::isalpha(static_cast<unsigned char>(name[0]))) return KeySym(std::tolower(name[0]));
  std::string exact(name);
  KeySym sym = XStringToKeysym(exact.c_str());
  if (sym != NoSymbol) return sym;
  auto chars = decode_utf8(name);
  if (chars.size() == 1) return keysym_for_char(chars[0]);
  throw DesktopError("key chord '" + std::string(chord) + "': unknown key name '" + exact +
                     "' (use X keysym names like Return, Tab, F5, Page_Up, or enter, esc, pageup, ...)");
}

}  // namespace

KeySym keysym_for_char(char32_t c) {
  switch (c) {
    case U'\n':
    case U'\r': return XK_Return;
    case U'\t': return XK_Tab;
    case U'\b': return XK_BackSpace;
    case 0x1b: return XK_Escape;
    case 0x7f: return XK_Delete;
    default: break;
  }
  if ((c >= 0x20 && c <= 0x7e) || (c >= 0xa0 && c <= 0xff)) return KeySym(c);  // Latin-1 keysyms are the code point
  return KeySym(0x01000000 + c);                                               // X's Unicode keysym range
}

Chord parse_chord(std::string_view chord) {
  ChordParts parts = split_chord(chord);
  return {std::move(parts.modifiers), key_from_name(parts.key, chord)};
}

}  // namespace dockhand::drivers::x11
