#include "drivers/chord.h"

#include <algorithm>
#include <cctype>

#include "drivers/desktop.h"

namespace dockhand::drivers {
namespace {

constexpr struct {
  const char* name;
  Modifier mod;
} modifier_names[] = {
    {"ctrl", Modifier::Ctrl}, {"control", Modifier::Ctrl}, {"shift", Modifier::Shift}, {"alt", Modifier::Alt},
    {"super", Modifier::Super}, {"win", Modifier::Super}, {"meta", Modifier::Alt},
};

}  // namespace

std::string lower_ascii(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  return out;
}

int function_key_number(std::string_view l) {
  if (l.size() < 2 || l.size() > 3 || l[0] != 'f' ||
      !std::all_of(l.begin() + 1, l.end(), [](unsigned char c) { return std::isdigit(c); }))
    return 0;
  int n = std::stoi(std::string(l.substr(1)));
  return n >= 1 && n <= 35 ? n : 0;
}

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

ChordParts split_chord(std::string_view chord) {
  ChordParts out;
  std::string_view rest = chord;
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
    std::string l = lower_ascii(part);
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
  out.key = std::string(key_part);
  return out;
}

}  // namespace dockhand::drivers
