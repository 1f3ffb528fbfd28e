// The win32 backend's platform-neutral parts, on Linux: what a black (no desktop) frame is, and UTF-16.
#include <gtest/gtest.h>

#include "drivers/desktop.h"
#include "drivers/win32/frame_health.h"
#include "drivers/win32/wide.h"

namespace dockhand::drivers::win32 {
namespace {

Frame filled(int w, int h, std::uint8_t b, std::uint8_t g, std::uint8_t r) {
  Frame f;
  f.width = w;
  f.height = h;
  f.stride = w * 4 + 8;  // padded rows: the check must honour the stride
  f.pixels.assign(std::size_t(f.stride) * h, 0xee);  // padding is not black
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      std::uint8_t* p = f.pixels.data() + std::size_t(y) * f.stride + x * 4;
      p[0] = b, p[1] = g, p[2] = r, p[3] = 0xff;  // the X byte is undefined: never looked at
    }
  return f;
}

TEST(FrameIsBlack, AllBlackOrNearlyIsBlack) {
  EXPECT_TRUE(frame_is_black(filled(64, 32, 0, 0, 0)));
  EXPECT_TRUE(frame_is_black(filled(64, 32, kBlackLevel, kBlackLevel, kBlackLevel)));  // RDP/encoder dither
}

TEST(FrameIsBlack, OnePixelOfPictureMakesItAPicture) {
  Frame f = filled(64, 32, 0, 0, 0);
  f.pixels[std::size_t(31) * f.stride + 63 * 4 + 2] = kBlackLevel + 1;  // last pixel, red channel
  EXPECT_FALSE(frame_is_black(f));
  EXPECT_FALSE(frame_is_black(filled(4, 4, 0, 40, 0)));
}

TEST(FrameIsBlack, AnEmptyFrameIsNotJudged) { EXPECT_FALSE(frame_is_black(Frame{})); }

TEST(BlackFrameMessage, NamesTheCauseAndTheFix) {
  std::string m = black_frame_message("the whole screen", "gdi");
  EXPECT_NE(m.find("gdi"), std::string::npos);
  EXPECT_NE(m.find("locked"), std::string::npos);
  EXPECT_NE(m.find("tscon"), std::string::npos);
}

TEST(Utf16, AboveTheBasicPlaneIsASurrogatePair) {
  std::u16string u = to_utf16("a\xF0\x9F\x98\x80\xE2\x82\xAC");  // a, U+1F600, euro
  EXPECT_EQ(u, (std::u16string{u'a', char16_t(0xd83d), char16_t(0xde00), char16_t(0x20ac)}));
  EXPECT_EQ(to_utf8(u), "a\xF0\x9F\x98\x80\xE2\x82\xAC");
}

TEST(Utf16, LoneSurrogatesBecomeTheReplacementCharacter) {
  EXPECT_EQ(to_utf8(std::u16string{u'x', char16_t(0xd800)}), "x\xEF\xBF\xBD");
  EXPECT_EQ(to_utf8(std::u16string{char16_t(0xdc00), u'y'}), "\xEF\xBF\xBDy");
}

TEST(Utf16, MalformedUtf8IsRefused) { EXPECT_THROW(to_utf16("\xFF"), DesktopError); }

}  // namespace
}  // namespace dockhand::drivers::win32
