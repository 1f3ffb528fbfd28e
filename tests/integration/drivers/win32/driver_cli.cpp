// The Windows side of the driver test: a small command line over the win32 Desktop, one action per run, so the
// Linux-side test (wine_driver_test.cpp) can capture, look with the vision code, and act on what it found.
//   driver_cli capture [--method dxgi|gdi] --out FILE.bmp [--region x,y,w,h]
//   driver_cli find TITLE | activate TITLE | active
//   driver_cli click X Y [--count N] | move X Y | pointer
//   driver_cli key CHORD | type-file FILE (UTF-8 text, typed literally)
//   driver_cli selftest      (in-process checks of the pieces Linux cannot run: key events, DPI, wide text)
// Exit: 0 done, 1 the driver said no (DesktopError, printed on stderr), 2 usage, 3 the capture method is
// unavailable here (e.g. DXGI under Wine).
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <windows.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "drivers/desktop.h"
#include "drivers/win32/frame_health.h"
#include "drivers/win32/sendinput.h"
#include "drivers/win32/session_state.h"
#include "drivers/win32/virtual_keys.h"
#include "drivers/win32/wide.h"

namespace {

using namespace dockhand::drivers;

void write_bmp(const Frame& f, const std::string& path) {
  // 24-bit bottom-up BMP: what every reader (OpenCV's imread included) takes.
  const int row = (f.width * 3 + 3) & ~3;
  BITMAPFILEHEADER file{};
  BITMAPINFOHEADER info{};
  info.biSize = sizeof info;
  info.biWidth = f.width;
  info.biHeight = f.height;
  info.biPlanes = 1;
  info.biBitCount = 24;
  info.biCompression = BI_RGB;
  info.biSizeImage = DWORD(row) * f.height;
  file.bfType = 0x4d42;
  file.bfOffBits = sizeof file + sizeof info;
  file.bfSize = file.bfOffBits + info.biSizeImage;
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(&file), sizeof file);
  out.write(reinterpret_cast<const char*>(&info), sizeof info);
  std::vector<char> line(std::size_t(row), 0);
  for (int y = f.height - 1; y >= 0; --y) {
    const std::uint8_t* src = f.pixels.data() + std::size_t(y) * f.stride;
    for (int x = 0; x < f.width; ++x)
      for (int c = 0; c < 3; ++c) line[std::size_t(x) * 3 + c] = char(src[x * 4 + c]);
    out.write(line.data(), row);
  }
  if (!out) throw DesktopError("writing " + path + " failed");
}

std::string describe(const WindowInfo& w) {
  auto r = [](const Rect& r) {
    return std::to_string(r.x) + "," + std::to_string(r.y) + "," + std::to_string(r.w) + "," + std::to_string(r.h);
  };
  return "id=" + std::to_string(w.id) + " pid=" + std::to_string(w.pid) + " rect=" + r(w.rect) +
         " client=" + r(w.client) + " title=" + w.title;
}

std::string option(std::vector<std::string>& args, const std::string& name, const std::string& fallback = "") {
  for (std::size_t i = 0; i + 1 < args.size(); ++i)
    if (args[i] == name) {
      std::string v = args[i + 1];
      args.erase(args.begin() + long(i), args.begin() + long(i) + 2);
      return v;
    }
  return fallback;
}

int selftest() {
  using namespace dockhand::drivers::win32;
  int failures = 0;
  auto check = [&](bool ok, const std::string& what) {
    std::cout << (ok ? "ok   " : "FAIL ") << what << "\n";
    failures += ok ? 0 : 1;
  };
  auto desktop = open_desktop("gdi");  // makes the process DPI aware
  std::string dpi = dpi_awareness();
  check(dpi == "per-monitor-v2" || dpi == "per-monitor", "DPI awareness is per-monitor (got " + dpi + ")");

  auto text = text_inputs("a\xF0\x9F\x98\x80\r\n");  // 'a', U+1F600, CR LF
  check(text.size() == 8, "text: a, a surrogate pair and one Enter make 8 events (got " + std::to_string(text.size()) + ")");
  check(text.size() == 8 && text[2].ki.wScan == 0xd83d && text[4].ki.wScan == 0xde00 &&
            (text[2].ki.dwFlags & KEYEVENTF_UNICODE) && (text[3].ki.dwFlags & KEYEVENTF_KEYUP),
        "text: U+1F600 is typed as the surrogates D83D DE00 with KEYEVENTF_UNICODE");
  check(text.size() == 8 && text[6].ki.wVk == VK_RETURN && !(text[6].ki.dwFlags & KEYEVENTF_UNICODE),
        "text: CR LF is the Enter key");

  auto chord = chord_inputs("ctrl+shift+Home");
  check(chord.size() == 6 && chord[0].ki.wVk == VK_CONTROL && chord[1].ki.wVk == VK_SHIFT &&
            chord[2].ki.wVk == VK_HOME && chord[2].ki.wScan != 0 && (chord[2].ki.dwFlags & KEYEVENTF_EXTENDEDKEY) &&
            chord[5].ki.wVk == VK_CONTROL && (chord[5].ki.dwFlags & KEYEVENTF_KEYUP),
        "chord ctrl+shift+Home: modifiers down in order, Home with scan code and EXTENDEDKEY, released in reverse");
  auto letter = chord_inputs("ctrl+S");
  check(letter.size() == 4 && letter[1].ki.wVk == 'S' && !(letter[1].ki.dwFlags & KEYEVENTF_EXTENDEDKEY),
        "chord ctrl+S: the S key without shift");
  bool refused = false;
  try {
    chord_inputs("ctrl+nosuchkey");
  } catch (const DesktopError& e) {
    refused = std::string(e.what()).find("nosuchkey") != std::string::npos;
  }
  check(refused, "an unknown key name is a DesktopError naming it");

  Rect screen = desktop->screen();
  check(normalized_coordinate(0, screen.w) * screen.w / 65536 == 0 &&
            normalized_coordinate(screen.w - 1, screen.w) * screen.w / 65536 == screen.w - 1,
        "normalised coordinates land on the first and last pixel");
  check(!session_problem(), "the session is connected and its input desktop is the user's");
  check(to_utf8(to_wide("Z\xC3\xBCrich \xE6\x97\xA5")) == "Z\xC3\xBCrich \xE6\x97\xA5", "UTF-8 survives UTF-16");
  return failures == 0 ? 0 : 1;
}

int run(std::vector<std::string> args) {
  if (args.empty()) return 2;
  std::string command = args.front();
  args.erase(args.begin());
  if (command == "selftest") return selftest();
  std::string method = option(args, "--method");
  if (command == "capture") {
    std::string out = option(args, "--out");
    std::string region = option(args, "--region");
    if (out.empty()) return 2;
    std::unique_ptr<Desktop> desktop;
    try {
      desktop = open_desktop(method);
    } catch (const DesktopError& e) {
      std::cerr << "capture method '" << (method.empty() ? "auto" : method) << "' unavailable: " << e.what() << "\n";
      return 3;
    }
    std::optional<Rect> area;
    if (!region.empty()) {
      Rect r;
      if (std::sscanf(region.c_str(), "%d,%d,%d,%d", &r.x, &r.y, &r.w, &r.h) != 4) return 2;
      area = r;
    }
    Frame f = desktop->capture(area);
    write_bmp(f, out);
    std::cout << "captured " << f.width << "x" << f.height << " at " << f.origin.x << "," << f.origin.y << "\n";
    return 0;
  }
  auto desktop = open_desktop(method);
  auto number = [&](std::size_t i) { return i < args.size() ? std::stoi(args[i]) : throw std::invalid_argument("missing number"); };
  if (command == "find" || command == "activate") {
    if (args.empty()) return 2;
    auto w = desktop->find_window(args[0]);
    if (!w) {
      std::cerr << "no visible window titled '" << args[0] << "'\n";
      return 1;
    }
    if (command == "activate") desktop->activate(w->id);
    std::cout << describe(*w) << "\n";
    return 0;
  }
  if (command == "active") {
    auto w = desktop->active_window();
    std::cout << (w ? describe(*w) : "none") << "\n";
    return 0;
  }
  if (command == "click") {
    int count = std::stoi(option(args, "--count", "1"));
    desktop->click({number(0), number(1)}, Button::Left, count);
    return 0;
  }
  if (command == "move") {
    desktop->move({number(0), number(1)});
    return 0;
  }
  if (command == "pointer") {
    Point p = desktop->pointer();
    std::cout << p.x << "," << p.y << "\n";
    return 0;
  }
  if (command == "key") {
    if (args.empty()) return 2;
    desktop->key(args[0]);
    return 0;
  }
  if (command == "type-file") {
    if (args.empty()) return 2;
    std::ifstream in(args[0], std::ios::binary);
    if (!in) throw DesktopError("cannot read " + args[0]);
    std::stringstream text;
    text << in.rdbuf();
    desktop->type_text(text.str());
    return 0;
  }
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  // The driver's log lines (which capture method, and why) go to stderr: stdout carries the answers.
  spdlog::set_default_logger(spdlog::stderr_logger_st("driver_cli"));
  try {
    int rc = run(std::vector<std::string>(argv + 1, argv + argc));
    if (rc == 2) std::cerr << "usage: see the head of driver_cli.cpp\n";
    return rc;
  } catch (const std::exception& e) {
    std::cerr << "driver_cli: " << e.what() << "\n";
    return 1;
  }
}
