// The X11 driver against a real X server (Xvfb), run twice by ctest: with openbox and with no window manager.
#include <gtest/gtest.h>

#include <cstdlib>
#include <memory>
#include <set>
#include <thread>

#include "drivers/desktop.h"
#include "probe_window.h"

namespace dockhand::drivers {
namespace {

using testing::kBlue;
using testing::kGreen;
using testing::kRed;
using testing::ProbeWindow;

struct Bgr {
  int b, g, r;
  bool operator==(const Bgr&) const = default;
};
std::ostream& operator<<(std::ostream& os, const Bgr& p) { return os << "(b=" << p.b << " g=" << p.g << " r=" << p.r << ")"; }

Bgr pixel(const Frame& f, int x, int y) {  // x, y relative to the frame
  const std::uint8_t* p = f.pixels.data() + size_t(y) * f.stride + size_t(x) * 4;
  return {p[0], p[1], p[2]};
}
Bgr bgr(unsigned long rgb) { return {int(rgb & 0xff), int((rgb >> 8) & 0xff), int((rgb >> 16) & 0xff)}; }

class X11DesktopTest : public ::testing::Test {
 protected:
  void SetUp() override { desk = open_desktop(); }
  // Gives the probe keyboard focus through the driver and waits until the probe knows it.
  void focus(ProbeWindow& probe) {
    desk->activate(probe.id());
    ASSERT_TRUE(probe.pump_until([&] { return probe.focused; })) << "probe never got the focus";
  }
  // Types `text` and returns what the probe's input method made of it.
  std::string typed(ProbeWindow& probe, const std::string& text, const std::string& expect) {
    probe.clear();
    // The probe handles its events while the driver types, like a real program with its own event loop.
    std::thread reader([&] {
      probe.pump_until([&] { return probe.text.size() >= expect.size(); }, 15000);
      probe.pump_for(50);  // anything extra would show up now
    });
    desk->type_text(text);
    reader.join();
    return probe.text;
  }
  std::unique_ptr<Desktop> desk;
};

TEST_F(X11DesktopTest, ReportsBackendAndScreen) {
  EXPECT_EQ(desk->backend(), "x11");
  EXPECT_EQ(desk->screen(), (Rect{0, 0, 1920, 1080}));
}

TEST_F(X11DesktopTest, CaptureSeesWhatAWindowDraws) {
  ProbeWindow probe("Dockhand probe capture", 300, 200, 200, 100);
  Rect r = probe.client_rect();
  Frame full = desk->capture();
  ASSERT_EQ(full.width, 1920);
  ASSERT_EQ(full.height, 1080);
  ASSERT_EQ(full.stride, 1920 * 4);
  EXPECT_EQ(full.origin, (Point{0, 0}));
  EXPECT_EQ(pixel(full, r.x + 5, r.y + 50), bgr(kRed));
  EXPECT_EQ(pixel(full, r.x + 150, r.y + 50), bgr(kBlue));
  EXPECT_EQ(pixel(full, r.x + 15, r.y + 15), bgr(kGreen));
  EXPECT_EQ(pixel(full, r.x + 9, r.y + 9), bgr(kRed));  // just outside the green square

  Frame region = desk->capture(Rect{r.x + 10, r.y + 10, 20, 20});
  ASSERT_EQ(region.width, 20);
  ASSERT_EQ(region.height, 20);
  EXPECT_EQ(region.stride, 80);
  EXPECT_EQ(region.origin, (Point{r.x + 10, r.y + 10}));
  for (int y = 0; y < 20; ++y)
    for (int x = 0; x < 20; ++x) ASSERT_EQ(pixel(region, x, y), bgr(kGreen)) << "at " << x << "," << y;

  // A region straddling the red/blue edge, and the same pixels in the full frame.
  Frame edge = desk->capture(Rect{r.x + 90, r.y + 40, 20, 10});
  ASSERT_EQ(edge.width, 20);
  for (int y = 0; y < 10; ++y)
    for (int x = 0; x < 20; ++x) {
      ASSERT_EQ(pixel(edge, x, y), pixel(full, r.x + 90 + x, r.y + 40 + y));
      ASSERT_EQ(pixel(edge, x, y), bgr(x < 10 ? kRed : kBlue));
    }
}

TEST_F(X11DesktopTest, CaptureFollowsChanges) {
  auto probe = std::make_unique<ProbeWindow>("Dockhand probe change", 600, 300, 120, 80);
  Rect r = probe->client_rect();
  EXPECT_EQ(pixel(desk->capture(r), 5, 40), bgr(kRed));
  probe.reset();  // the window goes away: the same spot must no longer be red
  desk->capture(Rect{0, 0, 1, 1});
  bool gone = false;
  for (int i = 0; i < 100 && !gone; ++i) {
    gone = !(pixel(desk->capture(r), 5, 40) == bgr(kRed));
    if (!gone) usleep(10000);
  }
  EXPECT_TRUE(gone);
}

TEST_F(X11DesktopTest, RegionIsClippedToTheScreen) {
  Frame tl = desk->capture(Rect{-10, -20, 50, 50});
  EXPECT_EQ(tl.origin, (Point{0, 0}));
  EXPECT_EQ(tl.width, 40);
  EXPECT_EQ(tl.height, 30);
  Frame br = desk->capture(Rect{1900, 1070, 100, 100});
  EXPECT_EQ(br.origin, (Point{1900, 1070}));
  EXPECT_EQ(br.width, 20);
  EXPECT_EQ(br.height, 10);
  EXPECT_EQ(br.pixels.size(), size_t(20 * 10 * 4));
  EXPECT_TRUE(desk->capture(Rect{3000, 3000, 10, 10}).empty());
  EXPECT_TRUE(desk->capture(Rect{10, 10, 0, 10}).empty());
}

TEST_F(X11DesktopTest, XGetImageFallbackGivesTheSamePixels) {
  ProbeWindow probe("Dockhand probe fallback", 100, 500, 160, 60);
  Rect r = probe.client_rect();
  setenv("DOCKHAND_X11_NO_SHM", "1", 1);
  auto plain = open_desktop();
  unsetenv("DOCKHAND_X11_NO_SHM");
  Frame a = desk->capture(r), b = plain->capture(r);
  ASSERT_EQ(a.width, b.width);
  ASSERT_EQ(a.height, b.height);
  ASSERT_EQ(a.origin, b.origin);
  for (int y = 0; y < a.height; ++y)
    for (int x = 0; x < a.width; ++x) ASSERT_EQ(pixel(a, x, y), pixel(b, x, y));
  EXPECT_EQ(pixel(b, 15, 15), bgr(kGreen));
}

TEST_F(X11DesktopTest, MovesThePointer) {
  desk->move({123, 456});
  EXPECT_EQ(desk->pointer(), (Point{123, 456}));
  desk->move({1919, 0});
  EXPECT_EQ(desk->pointer(), (Point{1919, 0}));
}

TEST_F(X11DesktopTest, ClicksLandInTheWindow) {
  ProbeWindow probe("Dockhand probe clicks", 400, 400, 300, 200);
  desk->click(probe.on_screen(30, 40));
  ASSERT_TRUE(probe.pump_until([&] { return probe.releases.size() >= 1; }));
  ASSERT_EQ(probe.buttons.size(), 1u);
  EXPECT_EQ(probe.buttons[0].button, 1u);
  EXPECT_EQ(probe.buttons[0].x, 30);
  EXPECT_EQ(probe.buttons[0].y, 40);

  probe.clear();
  desk->click(probe.on_screen(200, 150), Button::Right);
  ASSERT_TRUE(probe.pump_until([&] { return probe.releases.size() >= 1; }));
  ASSERT_EQ(probe.buttons.size(), 1u);
  EXPECT_EQ(probe.buttons[0].button, 3u);
  EXPECT_EQ(probe.buttons[0].x, 200);
  EXPECT_EQ(probe.buttons[0].y, 150);

  probe.clear();
  desk->click(probe.on_screen(50, 60), Button::Left, 2);
  ASSERT_TRUE(probe.pump_until([&] { return probe.releases.size() >= 2; }));
  probe.pump_for(30);
  ASSERT_EQ(probe.buttons.size(), 2u);
  EXPECT_EQ(probe.buttons[0].button, 1u);
  EXPECT_EQ(probe.buttons[1].button, 1u);
  EXPECT_EQ(probe.buttons[1].x, 50);
  EXPECT_LT(probe.buttons[1].time - probe.buttons[0].time, 250u) << "too slow to count as a double click";
}

TEST_F(X11DesktopTest, DragsWithMotionInBetween) {
  ProbeWindow probe("Dockhand probe drag", 200, 600, 400, 200);
  desk->drag(probe.on_screen(20, 20), probe.on_screen(300, 150));
  ASSERT_TRUE(probe.pump_until([&] { return probe.releases.size() >= 1; }));
  ASSERT_EQ(probe.buttons.size(), 1u);
  EXPECT_EQ(probe.buttons[0].x, 20);
  EXPECT_EQ(probe.buttons[0].y, 20);
  int pressed_motions = 0;
  for (auto& m : probe.motions)
    if (m.state & Button1Mask) ++pressed_motions;
  EXPECT_GE(pressed_motions, 3);
  EXPECT_EQ(probe.releases[0].button, 1u);
  EXPECT_EQ(probe.releases[0].x, 300);
  EXPECT_EQ(probe.releases[0].y, 150);
}

TEST_F(X11DesktopTest, ScrollsInWheelNotches) {
  ProbeWindow probe("Dockhand probe scroll", 700, 100, 200, 200);
  desk->scroll(probe.on_screen(100, 100), 3, -2);
  ASSERT_TRUE(probe.pump_until([&] { return probe.releases.size() >= 5; }));
  std::vector<unsigned> got;
  for (auto& b : probe.buttons) got.push_back(b.button);
  EXPECT_EQ(got, (std::vector<unsigned>{5, 5, 5, 6, 6}));
  probe.clear();
  desk->scroll(probe.on_screen(100, 100), -1, 1);
  ASSERT_TRUE(probe.pump_until([&] { return probe.releases.size() >= 2; }));
  got.clear();
  for (auto& b : probe.buttons) got.push_back(b.button);
  EXPECT_EQ(got, (std::vector<unsigned>{4, 7}));
}

TEST_F(X11DesktopTest, KeyChordsArriveWithModifiers) {
  ProbeWindow probe("Dockhand probe keys", 300, 300, 300, 150);
  focus(probe);
  struct Case {
    const char* chord;
    KeySym sym;
    unsigned mods;
  } cases[] = {
      {"ctrl+s", XK_s, ControlMask},           {"Enter", XK_Return, 0},
      {"enter", XK_Return, 0},                 {"ESC", XK_Escape, 0},
      {"F5", XK_F5, 0},                        {"alt+x", XK_x, Mod1Mask},
      {"pageup", XK_Prior, 0},                 {"PageDown", XK_Next, 0},
      {"ctrl+shift+Tab", XK_ISO_Left_Tab, ControlMask | ShiftMask},
      {"shift+a", XK_A, ShiftMask},            {"ctrl+S", XK_s, ControlMask},
      {"Left", XK_Left, 0},                    {"backspace", XK_BackSpace, 0},
  };
  for (const auto& c : cases) {
    probe.clear();
    desk->key(c.chord);
    ASSERT_TRUE(probe.pump_until([&] {
      for (auto& k : probe.keys)
        if (k.sym == c.sym) return true;
      return false;
    })) << c.chord;
    const auto& k = probe.keys.back();
    EXPECT_EQ(k.sym, c.sym) << c.chord;
    EXPECT_EQ(k.state & (ControlMask | ShiftMask | Mod1Mask), c.mods) << c.chord;
  }
  // Nothing is left held down: a plain key afterwards carries no modifiers.
  probe.clear();
  desk->key("z");
  ASSERT_TRUE(probe.pump_until([&] { return !probe.keys.empty(); }));
  EXPECT_EQ(probe.keys.back().state & (ControlMask | ShiftMask | Mod1Mask), 0u);
}

TEST_F(X11DesktopTest, BadChordIsRefusedBeforeAnythingIsPressed) {
  ProbeWindow probe("Dockhand probe badkey", 300, 300, 300, 150);
  focus(probe);
  probe.clear();
  EXPECT_THROW(desk->key("ctrl+nosuchkey"), DesktopError);
  EXPECT_THROW(desk->key("hyperctrl+s"), DesktopError);
  EXPECT_THROW(desk->key(""), DesktopError);
  EXPECT_THROW(desk->key("ctrl+"), DesktopError);
  EXPECT_THROW(desk->type_text("bad \xff utf8"), DesktopError);
  probe.pump_for(100);
  EXPECT_TRUE(probe.keys.empty());
}

TEST_F(X11DesktopTest, TypesTextLiterally) {
  ProbeWindow probe("Dockhand probe typing", 500, 300, 300, 150);
  focus(probe);
  ASSERT_TRUE(probe.has_input_method()) << "probe could not open an X input method";
  for (std::string s : {"{ENTER}", "\\n", "%s", "${other}", "%%d {TAB} ^a +b ~", "Hello, World! 123",
                        "ABC xyz ?:\"<>|_+{}", "é", "naïve café Ünïcödé ß", "€ 日本語 Ω ☃", "'quotes' `tick` \\back"}) {
    EXPECT_EQ(typed(probe, s, s), s);
  }
  // Real control characters are keystrokes: newline is Enter, tab is Tab.
  EXPECT_EQ(typed(probe, "a\nb", "a\nb"), "a\nb");
  EXPECT_EQ(typed(probe, "x\r\ny", "x\ny"), "x\ny");
  EXPECT_EQ(typed(probe, "1\t2", "1\t2"), "1\t2");
}

TEST_F(X11DesktopTest, TypesMoreNewCharactersThanThereAreSpareKeys) {
  ProbeWindow probe("Dockhand probe many", 500, 300, 300, 150);
  focus(probe);
  std::string s;  // 40 distinct CJK characters: several times the spare keycodes Xvfb has (8)
  for (char32_t c = 0x4e00; c < 0x4e00 + 40; ++c) {
    s += char(0xe0 | (c >> 12));
    s += char(0x80 | ((c >> 6) & 0x3f));
    s += char(0x80 | (c & 0x3f));
  }
  EXPECT_EQ(typed(probe, s, s), s);
  EXPECT_EQ(typed(probe, "back to ascii: Ok", "back to ascii: Ok"), "back to ascii: Ok");
}

// Window-relative coordinates in scripts start at WindowInfo::client. Run with openbox and without a window
// manager, this asserts the same offsets in both: the program's pixel (x, y) is at client + (x, y), whatever
// frame and title bar the window manager adds around it.
TEST_F(X11DesktopTest, ClientAreaOffsetsAreTheProgramsOwnWithOrWithoutAWindowManager) {
  ProbeWindow probe("Dockhand probe client area", 340, 260, 200, 120);
  auto w = desk->find_window("Dockhand probe client area");
  ASSERT_TRUE(w);
  EXPECT_EQ(w->client, probe.client_rect());
  EXPECT_EQ(w->client.w, 200);
  EXPECT_EQ(w->client.h, 120);
  Frame f = desk->capture(w->client);
  ASSERT_EQ(f.width, 200);
  ASSERT_EQ(f.height, 120);
  EXPECT_EQ(pixel(f, 0, 0), bgr(kRed));  // the program's first pixel, not a title bar or border
  EXPECT_EQ(pixel(f, 9, 9), bgr(kRed));
  for (int d = 0; d < 20; ++d) {
    ASSERT_EQ(pixel(f, 10 + d, 10), bgr(kGreen)) << "green square, top row, at +" << d;
    ASSERT_EQ(pixel(f, 10, 10 + d), bgr(kGreen)) << "green square, left column, at +" << d;
  }
  EXPECT_EQ(pixel(f, 30, 30), bgr(kRed));
  EXPECT_EQ(pixel(f, 199, 119), bgr(kBlue));
  // Which run this is: with openbox the outer rectangle adds a title bar above the client area.
  Atom check = XInternAtom(probe.dpy(), "_NET_SUPPORTING_WM_CHECK", False);
  Atom type = None;
  int format = 0;
  unsigned long n = 0, after = 0;
  unsigned char* data = nullptr;
  XGetWindowProperty(probe.dpy(), DefaultRootWindow(probe.dpy()), check, 0, 1, False, AnyPropertyType, &type, &format,
                     &n, &after, &data);
  if (data) XFree(data);
  if (n > 0) EXPECT_LT(w->rect.y, w->client.y) << "openbox's title bar";
  else EXPECT_EQ(w->rect, w->client);
}

TEST_F(X11DesktopTest, ListsFindsAndActivatesWindows) {
  ProbeWindow a("Dockhand probe A", 100, 100, 200, 120);
  ProbeWindow b("Dockhand probe B ünï", 500, 150, 220, 140);
  auto all = desk->windows();
  std::set<std::uint64_t> ids;
  for (auto& w : all) ids.insert(w.id);
  EXPECT_TRUE(ids.count(a.id()));
  EXPECT_TRUE(ids.count(b.id()));

  auto fb = desk->find_window("probe B ünï");
  ASSERT_TRUE(fb);
  EXPECT_EQ(fb->id, b.id());
  EXPECT_EQ(fb->title, "Dockhand probe B ünï");
  EXPECT_TRUE(fb->visible);
  EXPECT_EQ(fb->client, b.client_rect());
  // The outer rectangle holds the client area (equal without a window manager's frame).
  EXPECT_LE(fb->rect.x, fb->client.x);
  EXPECT_LE(fb->rect.y, fb->client.y);
  EXPECT_GE(fb->rect.x + fb->rect.w, fb->client.x + fb->client.w);
  EXPECT_GE(fb->rect.y + fb->rect.h, fb->client.y + fb->client.h);
  EXPECT_EQ(fb->client.w, 220);
  EXPECT_EQ(fb->client.h, 140);
  EXPECT_FALSE(desk->find_window("no such window title"));
  EXPECT_FALSE(desk->find_window("probe b"));  // case-sensitive

  desk->activate(a.id());
  ASSERT_TRUE(a.pump_until([&] { return a.focused; }));
  auto act = desk->active_window();
  ASSERT_TRUE(act);
  EXPECT_EQ(act->id, a.id());
  desk->activate(b.id());
  ASSERT_TRUE(b.pump_until([&] { return b.focused; }));
  act = desk->active_window();
  ASSERT_TRUE(act);
  EXPECT_EQ(act->id, b.id());
  // Keys now go to b, not a.
  a.pump_for(20);
  a.clear();
  desk->type_text("q");
  ASSERT_TRUE(b.pump_until([&] { return b.text == "q"; }));
  a.pump_for(50);
  EXPECT_TRUE(a.keys.empty());
}

TEST_F(X11DesktopTest, ActivatingAWindowThatIsGoneIsAnError) {
  std::uint64_t gone;
  {
    ProbeWindow p("Dockhand probe gone", 100, 100, 50, 50);
    gone = p.id();
  }
  try {
    desk->activate(gone);
    FAIL() << "no error";
  } catch (const DesktopError& e) {
    EXPECT_NE(std::string(e.what()).find("no such window"), std::string::npos) << e.what();
  }
  // The connection is still good afterwards.
  EXPECT_EQ(desk->screen().w, 1920);
}

TEST(X11DesktopNoServer, NamesTheDisplayItCouldNotOpen) {
  try {
    open_desktop(":987");
    FAIL() << "no error";
  } catch (const DesktopError& e) {
    EXPECT_NE(std::string(e.what()).find("cannot open X display ':987'"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace dockhand::drivers
