// The remote view's encoder (agent/remote_view.h) on synthetic screens: a still screen sends nothing, a change
// sends only the tiles around it, a key frame the whole screen; the JPEG decodes to what was on the screen.
#include "agent/remote_view.h"

#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>

namespace {

using dockhand::agent::FrameEncoder;

dockhand::drivers::Frame screen(int w, int h, std::uint8_t value) {
  dockhand::drivers::Frame f;
  f.width = w;
  f.height = h;
  f.stride = w * 4;
  f.pixels.assign(static_cast<std::size_t>(f.stride) * h, value);
  return f;
}

void paint(dockhand::drivers::Frame& f, int x, int y, int w, int h, std::uint8_t value) {
  for (int r = y; r < y + h; ++r)
    for (int c = x; c < x + w; ++c)
      for (int k = 0; k < 3; ++k) f.pixels[static_cast<std::size_t>(r) * f.stride + c * 4 + k] = value;
}

TEST(FrameEncoder, FirstFrameIsKeyStillScreenSendsNothingChangeSendsItsTiles) {
  FrameEncoder encoder;
  auto s = screen(640, 480, 200);
  auto first = encoder.encode(s, false);
  ASSERT_TRUE(first.key);
  ASSERT_EQ(first.tiles.size(), 1u);
  EXPECT_EQ(first.tiles[0].rect, (dockhand::drivers::Rect{0, 0, 640, 480}));
  EXPECT_TRUE(encoder.encode(s, false).tiles.empty()) << "a still screen costs nothing to send";

  paint(s, 130, 70, 20, 10, 30);  // inside tile (2, 1) of 64 px
  auto change = encoder.encode(s, false);
  EXPECT_FALSE(change.key);
  ASSERT_EQ(change.tiles.size(), 1u);
  EXPECT_EQ(change.tiles[0].rect, (dockhand::drivers::Rect{128, 64, 64, 64}));
  cv::Mat tile = cv::imdecode(std::vector<std::uint8_t>(change.tiles[0].jpeg.begin(), change.tiles[0].jpeg.end()),
                              cv::IMREAD_COLOR);
  ASSERT_EQ(tile.cols, 64);
  EXPECT_NEAR(tile.at<cv::Vec3b>(10, 10)[0], 30, 12);  // the dark patch at (130..150, 70..80)
  EXPECT_NEAR(tile.at<cv::Vec3b>(40, 40)[0], 200, 12);
  EXPECT_TRUE(encoder.encode(s, false).tiles.empty());

  auto key = encoder.encode(s, true);
  EXPECT_TRUE(key.key);
  EXPECT_EQ(key.tiles.size(), 1u);
}

TEST(FrameEncoder, ManyScatteredChangesGoAsTheirBoundingBox) {
  FrameEncoder encoder;
  auto s = screen(1920, 1080, 90);
  encoder.encode(s, true);
  for (int i = 0; i < 20; ++i) paint(s, 10 + i * 90, 10 + (i % 5) * 200, 4, 4, 250);
  auto f = encoder.encode(s, false);
  ASSERT_EQ(f.tiles.size(), 1u);
  EXPECT_LE(f.tiles[0].rect.x, 10);
  EXPECT_GE(f.tiles[0].rect.x + f.tiles[0].rect.w, 10 + 19 * 90 + 4);
}

}  // namespace
