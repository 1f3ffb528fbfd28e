#include "drivers/x11/keysyms.h"

#include <X11/Xlib.h>
#include <X11/keysym.h>

#include <algorithm>
#include <cctype>
#include <string>

#include "drivers/desktop.h"

namespace dockhand::drivers::x11 {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  return out;
}

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

constexpr struct {
  const char* name;
  Modifier mod;
} modifier_names[] = {
    {"ctrl", Modifier::Ctrl}, {"control", Modifier::Ctrl}, {"shift", Modifier::Shift}, {"alt", Modifier::Alt},
    {"super", Modifier::Super}, {"win", Modifier::Super}, {"meta", Modifier::Alt},
};

KeySym key_from_name(std::string_view name, std::string_view chord) {
  std::string l = lower(name);
  for (const auto& a : key_aliases)
    if (l == a.name) return a.sym;
  // f1..f35
  if (l.size() >= 2 && l[0] == 'f' && std::all_of(l.begin() + 1, l.end(), ::isdigit)) {
    int n = std::stoi(l.substr(1));
    if (n >= 1 && n <= 35) return XK_F1 + (n - 1);
  }
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

std::vector<char32_t> decode_utf8(std::string_view s) {
  std::vector<char32_t> out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    auto b = static_cast<unsigned char>(s[i]);
    int len = b < 0x80 ? 1 : (b >> 5) == 0x6 ? 2 : (b >> 4) == 0xe ? 3 : (b >> 3) == 0x1e ? 4 : 0;
    if (len == 0 || i + len > s.size())
      throw DesktopError("text to type is not valid UTF-8 (bad byte at offset " + std::to_string(i) + ")");
    char32_t c = len == 1 ? b : len == 2 ? (b & 0x1f) : len == 3 ? (b & 0x0f) : (b & 0x07);
    for (int k = 1; k < len; ++k) {
      auto cb = static_cast<unsigned char>(s[i + k]);
      if ((cb & 0xc0) != 0x80)
        throw DesktopError("text to type is not valid UTF-8 (bad byte at offset " + std::to_string(i + k) + ")");
      c = (c << 6) | (cb & 0x3f);
    }
    out.push_back(c);
    i += len;
  }
  return out;
}

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
  Chord out;
  std::string_view rest = chord;
  // Trim surrounding whitespace.
  while (!rest.empty() && std::isspace(static_cast<unsigned char>(rest.front()))) rest.remove_prefix(1);
  while (!rest.empty() && std::isspace(static_cast<unsigned char>(rest.back()))) rest.remove_suffix(1);
  if (rest.empty()) throw DesktopError("key chord is empty");
  std::string_view key_part;
  if (rest == "+") {
    key_part = "plus";
    rest = {};
  } else if (rest.size() >= 2 && rest.ends_with("++")) {  // "ctrl++" presses ctrl and '+'
    key_part = "plus";
    rest.remove_suffix(2);
  } else {
    auto last = rest.rfind('+');
    key_part = last == std::string_view::npos ? rest : rest.substr(last + 1);
    rest = last == std::string_view::npos ? std::string_view{} : rest.substr(0, last);
  }
  while (!rest.empty()) {
    auto plus = rest.find('+');
    std::string_view part = rest.substr(0, plus);
    rest = plus == std::string_view::npos ? std::string_view{} : rest.substr(plus + 1);
    std::string l = lower(part);
    bool known = false;
    for (const auto& m : modifier_names)
      if (l == m.name) {
        out.modifiers.push_back(m.mod);
        known = true;
      }
    if (!known)
      throw DesktopError("key chord '" + std::string(chord) + "': unknown modifier '" + std::string(part) +
                         "' (use ctrl, shift, alt, super)");
  }
  if (key_part.empty()) throw DesktopError("key chord '" + std::string(chord) + "': no key after the last '+'");
  out.key = key_from_name(key_part, chord);
  return out;
}

}  // namespace dockhand::drivers::x11
