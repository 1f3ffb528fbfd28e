// Codes that Tesseract (with pattern, look-alike rules and re-reads) got wrong or could not confirm: crops of the
// simulated programs' value fields (FLTK, DejaVu Sans via Xft) at scales 1.0-1.5, saved by
// bench-exact-read --save-misses / --save-all. The file name is the code on screen. Kerned and touching pairs (TT,
// II, a J tucked under its neighbour), look-alikes (0/O, 1/I, 5/S, 8/B, 6/G).
#include "vision/font_match.h"
#include "vision/vision.h"
#include "synthetic.h"

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <string>

using namespace dockhand::vision;
namespace t = dockhand::vision::testing;

namespace {

const char* const kCodes[] = {"LJKAPLPL", "NCKA68LI", "QAAU5I9T", "T2ONMPVA", "W6IJETNB", "Q44QMUOJ",
                              "SK5853OJ", "TT2S9RJJ", "II8YYAMN", "G0PWGO8J", "LJGB5MXY", "J35PII47",
                              "63AJV0OJ", "XXQSFJSI", "SBIJ5DVQ", "6H6OWEX7", "L80DJVCJ", "8SJEHU6J", "WKO5IHJJ"};

cv::Mat load(const std::string& code) {
  cv::Mat img = cv::imread(std::string(HARD_CODES_DIR) + "/" + code + ".png");
  if (img.empty()) throw std::runtime_error("missing fixture " + code);
  return img;
}

// The code with one character swapped for a look-alike the UI font draws nearly the same.
std::string look_alike_of(std::string code) {
  static const std::string from = "O0I1JS5B8G6ZT7QL", to = "0O1II5S8B6G27TOI";
  for (char& c : code) {
    auto k = from.find(c);
    if (k != std::string::npos) {
      c = to[k];
      return code;
    }
  }
  code[0] = code[0] == 'A' ? 'B' : 'A';
  return code;
}

}  // namespace

TEST(hard_codes, po_numbers_read_exactly_and_sure) {
  for (const char* code : kCodes) {
    ReadOptions o;
    o.pattern = "[A-Z0-9]{8}";
    auto r = read_field(load(code), o);
    EXPECT_EQ(r.text, code);
    EXPECT_TRUE(r.matches_pattern) << code;
  }
}

TEST(hard_codes, references_and_bol_numbers_read_exactly_at_125_and_150_percent) {
  const std::pair<const char*, const char*> cases[] = {{"PT-003957", "PT-[0-9]{6}"},
                                                        {"PT-054761", "PT-[0-9]{6}"},
                                                        {"BOL0026591", "BOL[0-9]{7}"},
                                                        {"BOL0071794", "BOL[0-9]{7}"}};
  for (auto [code, pattern] : cases) {
    ReadOptions o;
    o.pattern = pattern;
    auto r = read_field(load(code), o);
    EXPECT_EQ(r.text, code);
    EXPECT_TRUE(r.matches_pattern) << code;
  }
}

TEST(hard_codes, a_field_showing_a_look_alike_code_is_not_taken_for_the_expected_one) {
  for (const char* code : kCodes) {
    // "Is this field showing X?" (read with equals): yes for the code itself ...
    ReadOptions same;
    same.pattern = std::string("^") + code + "$";
    auto yes = read_field(load(code), same);
    EXPECT_TRUE(yes.matches_pattern) << code;
    EXPECT_EQ(yes.text, code);
    // ... no for a code one look-alike away, and the answer says what the field does show.
    const std::string other = look_alike_of(code);
    ReadOptions o;
    o.pattern = "^" + other + "$";
    auto no = read_field(load(code), o);
    EXPECT_FALSE(no.matches_pattern) << code << " taken for " << other;
    EXPECT_EQ(no.text, code) << "asked for " << other;
  }
}

TEST(font_match, the_programs_font_explains_its_fields_to_the_pixel_and_tells_codes_apart) {
  cv::Mat gray;
  cv::cvtColor(load("TT2S9RJJ"), gray, cv::COLOR_BGR2GRAY);
  // Coverage of the text: the field's inside (the bevel cut away), white paper 0, black ink 1.
  cv::Mat inside = gray(cv::Rect(4, 4, gray.cols - 8, gray.rows - 8)), coverage;
  inside.convertTo(coverage, CV_32F, -1.0 / 255, 1.0);
  const std::vector<std::string> positions(8, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789");
  auto r = detail::read_in_font(coverage, positions, detail::default_ui_font());
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->text, "TT2S9RJJ");
  EXPECT_EQ(r->pixel_size, 14);
  EXPECT_LT(r->residual, 0.05);        // Xft's rendering is FreeType's with light hinting: the same pixels
  EXPECT_GT(r->runner_up, 1.0);        // the nearest other code is at least a pixel away
  EXPECT_GT(r->ink, 100.0);
}

TEST(font_match, another_font_is_not_taken_for_the_programs_font_and_tesseract_reads_it) {
  // OpenCV's Hershey font: the font match cannot explain it, read_field falls back to Tesseract.
  cv::Mat img(40, 200, CV_8UC3, t::kWhite);
  t::draw_label(img, "HXKW4728", {10, 28}, 0.7);
  cv::Mat gray, coverage;
  cv::cvtColor(img, gray, cv::COLOR_BGR2GRAY);
  gray.convertTo(coverage, CV_32F, -1.0 / 255, 1.0);
  const std::vector<std::string> positions(8, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789");
  auto r = detail::read_in_font(coverage, positions, detail::default_ui_font());
  EXPECT_FALSE(r.has_value()) << "Hershey taken for DejaVu Sans as " << (r ? r->text : "");
  ReadOptions o;
  o.pattern = "[A-Z0-9]{8}";
  auto read = read_field(img, o);
  EXPECT_EQ(read.text, "HXKW4728");
  EXPECT_TRUE(read.matches_pattern);
}

TEST(font_match, none_leaves_the_reading_to_tesseract_and_a_font_that_cannot_load_is_an_error) {
  ReadOptions o;
  o.pattern = "BOL[0-9]{7}";
  o.font = "none";
  EXPECT_EQ(read_field(load("BOL0026591"), o).text, "BOL0026591");
  o.font = "/nonexistent/font.ttf";
  EXPECT_THROW(read_field(load("BOL0026591"), o), VisionError);
  o.font = HARD_CODES_DIR "/BOL0026591.png";  // a file, but not a font
  EXPECT_THROW(read_field(load("BOL0026591"), o), VisionError);
  EXPECT_FALSE(font_loads("/nonexistent/font.ttf"));
  EXPECT_FALSE(font_loads(HARD_CODES_DIR "/BOL0026591.png"));
  EXPECT_TRUE(font_loads(detail::default_ui_font()));
}

TEST(font_match, a_mouse_pointer_beside_the_text_changes_nothing) {
  // The Information modal's BOL with the pointer left under the B after "Close shipment" (Xvfb draws the pointer
  // into the screen) and the field's left edge in the crop.
  cv::Mat img = load("pointer-over-BOL0402051");
  ReadOptions o;
  o.pattern = "BOL[0-9]{7}";
  auto r = read_field(img, o);
  EXPECT_EQ(r.text, "BOL0402051");
  EXPECT_TRUE(r.matches_pattern);
  o.pattern = "^BOL0402051$";
  EXPECT_TRUE(read_field(img, o).matches_pattern);
  o.pattern = "^BOL0402057$";
  EXPECT_FALSE(read_field(img, o).matches_pattern);
}
