// The X11 input-event source on a real Xvfb: events sent with XTest (as a person's would arrive) come back in
// order, with their positions, buttons, keys, typed text and timestamps on our steady clock.
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <vector>

#include "drivers/desktop.h"
#include "drivers/input_events.h"

namespace {

using dockhand::drivers::InputEvent;
using Kind = InputEvent::Kind;
using Clock = std::chrono::steady_clock;

// Events until `done` says enough, or a generous deadline (a loaded machine delays delivery, never loses it).
std::vector<InputEvent> collect(dockhand::drivers::InputEventSource& src,
                                const std::function<bool(const std::vector<InputEvent>&)>& done) {
  std::vector<InputEvent> got;
  auto deadline = Clock::now() + std::chrono::seconds(30);
  while (!done(got) && Clock::now() < deadline)
    if (auto e = src.next(std::chrono::milliseconds(200))) got.push_back(*e);
  return got;
}

bool has(const std::vector<InputEvent>& es, Kind k, const std::string& key = "") {
  for (const auto& e : es)
    if (e.kind == k && (key.empty() || e.key == key)) return true;
  return false;
}

TEST(InputEvents, XTestClicksAndKeysArriveWithPositionsAndTimestamps) {
  auto desktop = dockhand::drivers::open_desktop();
  auto source = dockhand::drivers::open_input_events();
  EXPECT_EQ(source->backend(), "x11");
  const auto before = Clock::now();
  desktop->move({100, 120});
  desktop->click({300, 200}, dockhand::drivers::Button::Right);
  auto clicks = collect(*source, [](const auto& es) { return has(es, Kind::ButtonUp); });
  const auto after = Clock::now();
  ASSERT_TRUE(has(clicks, Kind::ButtonDown));
  ASSERT_TRUE(has(clicks, Kind::Motion));
  for (const auto& e : clicks) {
    if (e.kind == Kind::ButtonDown || e.kind == Kind::ButtonUp) {
      EXPECT_EQ(e.button, 3);
      EXPECT_EQ(e.at, (dockhand::drivers::Point{300, 200}));
    }
    // Stamped when it happened: within the time the calls took (a few ms of slack for the clock's mapping).
    EXPECT_GE(e.time, before - std::chrono::milliseconds(20));
    EXPECT_LE(e.time, after + std::chrono::milliseconds(20));
  }
  for (std::size_t i = 1; i < clicks.size(); ++i) EXPECT_GE(clicks[i].time, clicks[i - 1].time);

  desktop->type_text("aB");
  desktop->key("ctrl+s");
  desktop->key("Return");
  auto keys = collect(*source, [](const auto& es) { return has(es, Kind::KeyUp, "Return"); });
  std::string typed;
  bool ctrl_s = false;
  for (const auto& e : keys) {
    if (e.kind != Kind::KeyDown) continue;
    typed += e.text;
    if (e.key == "s" && e.ctrl) {
      ctrl_s = true;
      EXPECT_EQ(e.text, "") << "a chord types nothing";
    }
  }
  EXPECT_EQ(typed, "aB");
  EXPECT_TRUE(ctrl_s);
  EXPECT_TRUE(has(keys, Kind::KeyDown, "Return"));
}

TEST(InputEvents, NothingHappeningMeansNoEvents) {
  auto source = dockhand::drivers::open_input_events();
  auto t0 = Clock::now();
  EXPECT_FALSE(source->next(std::chrono::milliseconds(300)).has_value());
  EXPECT_GE(Clock::now() - t0, std::chrono::milliseconds(290));
}

}  // namespace
