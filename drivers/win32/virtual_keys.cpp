#include "drivers/win32/virtual_keys.h"

#include <algorithm>
#include <cctype>
#include <string>

#include "drivers/chord.h"
#include "drivers/desktop.h"
#include "drivers/win32/wide.h"

namespace dockhand::drivers::win32 {
namespace {

struct Alias {
  const char* name;
  WORD vk;
};

// The names of docs/screen-scripts.md (shared with the X11 backend) plus X keysym spellings used in scripts.
constexpr Alias key_aliases[] = {
    {"enter", VK_RETURN},    {"return", VK_RETURN},     {"esc", VK_ESCAPE},       {"escape", VK_ESCAPE},
    {"tab", VK_TAB},         {"space", VK_SPACE},       {"backspace", VK_BACK},   {"delete", VK_DELETE},
    {"del", VK_DELETE},      {"insert", VK_INSERT},     {"ins", VK_INSERT},       {"home", VK_HOME},
    {"end", VK_END},         {"pageup", VK_PRIOR},      {"pgup", VK_PRIOR},       {"page_up", VK_PRIOR},
    {"prior", VK_PRIOR},     {"pagedown", VK_NEXT},     {"pgdn", VK_NEXT},        {"page_down", VK_NEXT},
    {"next", VK_NEXT},       {"up", VK_UP},             {"down", VK_DOWN},        {"left", VK_LEFT},
    {"right", VK_RIGHT},     {"menu", VK_APPS},         {"apps", VK_APPS},        {"print", VK_SNAPSHOT},
    {"printscreen", VK_SNAPSHOT}, {"capslock", VK_CAPITAL}, {"caps_lock", VK_CAPITAL}, {"pause", VK_PAUSE},
    {"numlock", VK_NUMLOCK}, {"num_lock", VK_NUMLOCK},  {"scrolllock", VK_SCROLL}, {"scroll_lock", VK_SCROLL},
};

// Keys on the extended block: their scan codes carry the E0 prefix.
bool extended(WORD vk) {
  switch (vk) {
    case VK_INSERT: case VK_DELETE: case VK_HOME: case VK_END: case VK_PRIOR: case VK_NEXT:
    case VK_LEFT: case VK_RIGHT: case VK_UP: case VK_DOWN: case VK_RCONTROL: case VK_RMENU:
    case VK_LWIN: case VK_RWIN: case VK_APPS: case VK_DIVIDE: case VK_NUMLOCK: case VK_SNAPSHOT:
      return true;
    default:
      return false;
  }
}

WORD modifier_vk(Modifier m) {
  switch (m) {
    case Modifier::Ctrl: return VK_CONTROL;
    case Modifier::Shift: return VK_SHIFT;
    case Modifier::Alt: return VK_MENU;
    case Modifier::Super: return VK_LWIN;
  }
  return 0;
}

INPUT unicode_input(wchar_t unit, bool down) {
  INPUT in{};
  in.type = INPUT_KEYBOARD;
  in.ki.wScan = unit;
  in.ki.dwFlags = KEYEVENTF_UNICODE | (down ? 0 : KEYEVENTF_KEYUP);
  return in;
}

}  // namespace

VirtualKey virtual_key_for(std::string_view name, std::string_view chord) {
  std::string l = lower_ascii(name);
  for (const auto& a : key_aliases)
    if (l == a.name) return {a.vk, false};
  if (int n = function_key_number(l); n >= 1 && n <= 24) return {WORD(VK_F1 + n - 1), false};
  if (l == "plus") name = "+";
  if (l == "minus") name = "-";
  // Letters and digits are their virtual keys on every layout: "ctrl+S" is ctrl+s (write shift for the shift).
  if (name.size() == 1 && std::isalnum(static_cast<unsigned char>(name[0])))
    return {WORD(std::toupper(static_cast<unsigned char>(name[0]))), false};
  std::wstring wide = to_wide(name);
  if (wide.size() == 1) {
    SHORT scan = VkKeyScanW(wide[0]);
    if (scan != -1 && (scan & 0xff) != 0xff) {
      if (scan & 0x600)  // needs ctrl or alt (AltGr): not a key a chord can name plainly
        throw DesktopError("key chord '" + std::string(chord) + "': '" + std::string(name) +
                           "' needs AltGr on this keyboard layout; type it as text instead");
      return {WORD(scan & 0xff), (scan & 0x100) != 0};
    }
  }
  throw DesktopError("key chord '" + std::string(chord) + "': unknown key name '" + std::string(name) +
                     "' (use enter, esc, tab, space, backspace, delete, home, end, pageup, pagedown, up, down, left, "
                     "right, f1-f24, a letter, a digit, or a character on the current keyboard layout)");
}

INPUT key_input(WORD vk, bool down) {
  INPUT in{};
  in.type = INPUT_KEYBOARD;
  in.ki.wVk = vk;
  in.ki.wScan = WORD(MapVirtualKeyW(vk, MAPVK_VK_TO_VSC));
  in.ki.dwFlags = (down ? 0 : KEYEVENTF_KEYUP) | (extended(vk) ? KEYEVENTF_EXTENDEDKEY : 0);
  return in;
}

std::vector<INPUT> chord_inputs(std::string_view chord) {
  ChordParts parts = split_chord(chord);
  VirtualKey key = virtual_key_for(parts.key, chord);
  std::vector<WORD> held;
  for (Modifier m : parts.modifiers) {
    WORD vk = modifier_vk(m);
    if (std::find(held.begin(), held.end(), vk) == held.end()) held.push_back(vk);
  }
  if (key.shift && std::find(held.begin(), held.end(), WORD(VK_SHIFT)) == held.end()) held.push_back(VK_SHIFT);
  std::vector<INPUT> events;
  for (WORD vk : held) events.push_back(key_input(vk, true));
  events.push_back(key_input(key.vk, true));
  events.push_back(key_input(key.vk, false));
  for (auto it = held.rbegin(); it != held.rend(); ++it) events.push_back(key_input(*it, false));
  return events;
}

std::vector<INPUT> text_inputs(std::string_view utf8) {
  std::u16string units = to_utf16(utf8);  // invalid UTF-8 fails here, before anything is typed
  std::vector<INPUT> events;
  events.reserve(units.size() * 2);
  for (std::size_t i = 0; i < units.size(); ++i) {
    char16_t u = units[i];
    WORD vk = u == u'\r' || u == u'\n' ? VK_RETURN : u == u'\t' ? VK_TAB : u == u'\b' ? VK_BACK : 0;
    if (u == u'\r' && i + 1 < units.size() && units[i + 1] == u'\n') ++i;  // CR LF is one Enter
    if (vk) {
      events.push_back(key_input(vk, true));
      events.push_back(key_input(vk, false));
    } else {
      events.push_back(unicode_input(wchar_t(u), true));
      events.push_back(unicode_input(wchar_t(u), false));
    }
  }
  return events;
}

}  // namespace dockhand::drivers::win32
