#include <gtest/gtest.h>

#include "drivers/chord.h"
#include "drivers/desktop.h"

namespace dockhand::drivers {
namespace {

TEST(SplitChord, ModifiersInOrderAndTheKeyAsWritten) {
  ChordParts c = split_chord(" ctrl+Shift+Tab ");
  EXPECT_EQ(c.modifiers, (std::vector<Modifier>{Modifier::Ctrl, Modifier::Shift}));
  EXPECT_EQ(c.key, "Tab");
  EXPECT_EQ(split_chord("alt+F4").modifiers, std::vector<Modifier>{Modifier::Alt});
  EXPECT_EQ(split_chord("win+r").modifiers, std::vector<Modifier>{Modifier::Super});
  EXPECT_TRUE(split_chord("Enter").modifiers.empty());
}

TEST(SplitChord, APlusIsTheKeyNamedPlus) {
  EXPECT_EQ(split_chord("+").key, "plus");
  ChordParts c = split_chord("ctrl++");
  EXPECT_EQ(c.key, "plus");
  EXPECT_EQ(c.modifiers, std::vector<Modifier>{Modifier::Ctrl});
}

TEST(SplitChord, BadChordsSayWhatIsWrong) {
  auto message = [](std::string_view chord) {
    try {
      split_chord(chord);
    } catch (const DesktopError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message("").find("empty"), std::string::npos);
  EXPECT_NE(message("hyper+a").find("unknown modifier 'hyper'"), std::string::npos);
  EXPECT_NE(message("ctrl+").find("no key after the last '+'"), std::string::npos);
}

TEST(FunctionKeyNumber, OnlyF1ToF35) {
  EXPECT_EQ(function_key_number("f1"), 1);
  EXPECT_EQ(function_key_number("f35"), 35);
  EXPECT_EQ(function_key_number("f36"), 0);
  EXPECT_EQ(function_key_number("f0"), 0);
  EXPECT_EQ(function_key_number("f"), 0);
  EXPECT_EQ(function_key_number("fx"), 0);
  EXPECT_EQ(function_key_number("f1000"), 0);
}

TEST(DecodeUtf8, CodePointsAndTheOffsetOfABadByte) {
  EXPECT_EQ(decode_utf8("Z\xC3\xBC\xE2\x82\xAC\xF0\x9F\x98\x80"), (std::vector<char32_t>{U'Z', 0xfc, 0x20ac, 0x1f600}));
  try {
    decode_utf8("ab\xC3");
    FAIL() << "a cut-off sequence must be refused";
  } catch (const DesktopError& e) {
    EXPECT_NE(std::string(e.what()).find("offset 2"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace dockhand::drivers
