#include "vision/vision.h"
#include "synthetic.h"

#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>

#include <dirent.h>
#include <thread>

using namespace dockhand::vision;
namespace t = dockhand::vision::testing;

namespace {

// A field as the apps draw it: a bevelled white input box with dark text, on the grey background.
cv::Mat field(const std::string& text, double size = 0.55, const cv::Scalar& paper = t::kWhite) {
  int base = 0;
  cv::Size s = cv::getTextSize(text, t::kFont, size, 1, &base);
  cv::Mat img(s.height + 18, s.width + 30, CV_8UC3, t::kGrey);
  cv::Rect box(3, 3, img.cols - 6, img.rows - 6);
  cv::rectangle(img, box, paper, cv::FILLED);
  cv::line(img, box.tl(), {box.br().x - 1, box.y}, cv::Scalar(96, 96, 96));
  cv::line(img, box.tl(), {box.x, box.br().y - 1}, cv::Scalar(96, 96, 96));
  t::draw_label(img, text, {12, 9 + s.height}, size);
  return img;
}

int thread_count() {
  int n = 0;
  if (DIR* d = opendir("/proc/self/task")) {
    while (auto* e = readdir(d)) n += e->d_name[0] != '.';
    closedir(d);
  }
  return n;
}

}  // namespace

TEST(ocr, read_field_reads_codes_with_a_pattern) {
  // OpenCV's Hershey font draws O/0, S/5 and Q/9 nearly alike, so these synthetic codes avoid them; exactness on
  // the real UI font is measured on FLTK-rendered fields (tests/bench/vision-exact-reads).
  std::mt19937 rng(42);
  const std::string alphabet = "ABCDEFGHIJKLMNPRTUVWXYZ1234678";
  for (int i = 0; i < 12; ++i) {
    std::string code;
    for (int k = 0; k < 8; ++k) code += alphabet[rng() % alphabet.size()];
    ReadOptions o;
    o.pattern = "[A-Z0-9]{8}";
    auto r = read_field(field(code), o);
    EXPECT_EQ(r.text, code);
    EXPECT_TRUE(r.matches_pattern);
    EXPECT_GT(r.confidence, 0);
  }
  ReadOptions ref;
  ref.pattern = "PT-[0-9]{6}";
  EXPECT_EQ(read_field(field("PT-480213"), ref).text, "PT-480213");
  ReadOptions bol;
  bol.pattern = "BOL[0-9]{7}";
  EXPECT_EQ(read_field(field("BOL4829301", 0.6, t::kGrey), bol).text, "BOL4829301");
}

TEST(ocr, read_field_without_pattern_reads_words) {
  auto r = read_field(field("Finalized"));
  EXPECT_EQ(r.text, "Finalized");
  EXPECT_TRUE(r.matches_pattern);
}

TEST(ocr, read_field_light_text_on_dark) {
  cv::Mat img(30, 140, CV_8UC3, cv::Scalar(128, 0, 0));
  t::draw_label(img, "PT-123456", {10, 21}, 0.55, t::kWhite);
  ReadOptions o;
  o.pattern = "PT-[0-9]{6}";
  EXPECT_EQ(read_field(img, o).text, "PT-123456");
}

TEST(ocr, read_field_reports_a_pattern_it_cannot_match) {
  ReadOptions o;
  o.pattern = "BOL[0-9]{7}";
  auto r = read_field(field("Closed"), o);
  EXPECT_FALSE(r.matches_pattern);
  // An empty field matches only a pattern that accepts the empty string.
  cv::Mat blank(24, 120, CV_8UC3, t::kWhite);
  EXPECT_FALSE(read_field(blank, o).matches_pattern);
  EXPECT_EQ(read_field(blank, o).text, "");
  o.pattern = "(PT-[0-9]{6})?";
  EXPECT_TRUE(read_field(blank, o).matches_pattern);
}

TEST(ocr, bad_pattern_is_a_clear_error) {
  ReadOptions o;
  o.pattern = "[A-Z";
  try {
    read_field(field("ABC"), o);
    FAIL() << "no error";
  } catch (const VisionError& e) {
    EXPECT_NE(std::string(e.what()).find("[A-Z"), std::string::npos);
  }
}

TEST(ocr, ocr_words_gives_words_with_boxes) {
  cv::Mat img(120, 500, CV_8UC3, t::kGrey);
  t::draw_label(img, "PO number", {20, 40}, 0.6);
  t::draw_label(img, "Status: Open", {20, 90}, 0.6);
  auto words = ocr_words(img);
  ASSERT_GE(words.size(), 4u);
  bool saw_status = false;
  for (auto& w : words) {
    if (w.text == "Status:") {
      saw_status = true;
      cv::Rect truth = t::label_box("Status:", {20, 90}, 0.6, 0);
      EXPECT_LE(std::abs(w.box.x - truth.x), 4);
      EXPECT_LE(std::abs(w.box.y - truth.y), 5);
      EXPECT_GT(w.confidence, 50);
    }
  }
  EXPECT_TRUE(saw_status);
}

TEST(ocr, locate_text_finds_phrases_fuzzily_in_frame_coordinates) {
  auto form = t::busy_form(7);
  cv::Mat frame = form.frame.clone();
  cv::rectangle(frame, {700, 400, 420, 120}, t::kGrey, cv::FILLED);
  t::draw_label(frame, "Finalize pre-tender for PO 2K4GH7QZ?", {720, 460}, 0.6);
  LocateOptions o;
  o.within = cv::Rect(650, 380, 520, 160);
  auto found = locate_text(frame, "Finalize pre-tender", o);
  ASSERT_FALSE(found.empty());
  cv::Rect truth = t::label_box("Finalize pre-tender", {720, 460}, 0.6, 0);
  EXPECT_LE(std::abs(found[0].region.x - truth.x), 4);
  EXPECT_LE(std::abs(found[0].region.y - truth.y), 5);
  EXPECT_LE(std::abs(found[0].region.br().x - truth.br().x), 8);
  // Fuzzy: one wrong letter still matches; a different phrase does not.
  EXPECT_FALSE(locate_text(frame, "Finalise pre-tender", o).empty());
  EXPECT_TRUE(locate_text(frame, "Session expired", o).empty());
  // Outside `within` it is not looked for.
  o.within = cv::Rect(0, 0, 600, 300);
  EXPECT_TRUE(locate_text(frame, "Finalize pre-tender", o).empty());
}

TEST(ocr, one_engine_per_thread_and_no_openmp_team) {
  // Reading from several threads at once works (each has its own engine) and gives the same answers.
  std::vector<std::thread> threads;
  std::vector<std::string> got(3);
  for (int i = 0; i < 3; ++i)
    threads.emplace_back([&, i] {
      ReadOptions o;
      o.pattern = "PT-[0-9]{6}";
      got[i] = read_field(field("PT-55" + std::to_string(1000 + i)), o).text;
    });
  for (auto& th : threads) th.join();
  for (int i = 0; i < 3; ++i) EXPECT_EQ(got[i], "PT-55" + std::to_string(1000 + i));
  // OpenMP is off: reading does not leave a team of worker threads behind.
  int before = thread_count();
  read_field(field("PT-123456"));
  read_field(field("PT-654321"));
  EXPECT_EQ(thread_count(), before);
}
