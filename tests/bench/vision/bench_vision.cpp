// Benchmark: vision on a synthetic 1920x1080 busy screen. Prints medians, each beside the plain way measured in
// the same run, and the ratio. Not a test: speed goals are read, not asserted.
//   bench-vision [--runs N]
#include "vision/vision.h"
#include "../../unit/vision/synthetic.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <tesseract/baseapi.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <string>

using namespace dockhand::vision;
using Clock = std::chrono::steady_clock;

static double median_ms(int runs, const std::function<void()>& f) {
  std::vector<double> t;
  for (int i = 0; i < runs; ++i) {
    auto a = Clock::now();
    f();
    t.push_back(std::chrono::duration<double, std::milli>(Clock::now() - a).count());
  }
  std::nth_element(t.begin(), t.begin() + t.size() / 2, t.end());
  return t[t.size() / 2];
}

static void row(const char* what, double ours, double plain, const char* plain_name) {
  std::printf("%-38s %9.2f ms   plain (%s) %9.2f ms   ratio %6.1fx\n", what, ours, plain_name, plain, plain / ours);
}

int main(int argc, char** argv) {
  int runs = 21;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--runs") && i + 1 < argc) runs = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--help")) {
      std::puts("usage: bench-vision [--runs N]\nMedians of full-screen find, region find and OCR per field on a "
                "synthetic 1920x1080 busy form, beside plain cv::matchTemplate and a fresh Tesseract engine.");
      return 0;
    }
  }
  auto form = testing::busy_form();
  Pattern pattern{testing::label_template(form.target), {}, "Cartons:"};
  cv::Mat gray, gray_templ;
  cv::cvtColor(form.frame, gray, cv::COLOR_BGRA2GRAY);
  cv::cvtColor(pattern.image, gray_templ, cv::COLOR_BGR2GRAY);

  std::printf("vision benchmark: 1920x1080 busy form, template %dx%d \"%s\" placed %zu times, %d runs, "
              "OpenCV threads %d\n", pattern.image.cols, pattern.image.rows, form.target.c_str(), form.placed.size(),
              runs, cv::getNumThreads());

  // Full-screen find, cold: ours from the BGRA frame (gray conversion included); plain on the ready gray frame.
  cv::Mat result;
  double plain_full = median_ms(runs, [&] {
    cv::matchTemplate(gray, gray_templ, result, cv::TM_CCOEFF_NORMED);
    double best;
    cv::minMaxLoc(result, nullptr, &best);
  });
  double ours_full = median_ms(runs, [&] { (void)find(form.frame, pattern); });
  row("full-screen find (1080p, cold)", ours_full, plain_full, "matchTemplate");
  double ours_all = median_ms(runs, [&] { (void)find_all(form.frame, pattern); });
  row("full-screen find_all (1080p)", ours_all, plain_full, "matchTemplate");
  auto all = find_all(form.frame, pattern);
  std::printf("  find_all found %zu matches (%zu placed \"%s\" labels; look-alikes such as \"Cartons\" score >= 0.9 "
              "too)\n", all.size(), form.placed.size(), form.target.c_str());
  // Exactly what the plain search finds: every position of the plain score map at or above the same threshold,
  // overlaps suppressed the same way (greedy, best first), compared position by position.
  {
    cv::matchTemplate(gray, gray_templ, result, cv::TM_CCOEFF_NORMED);
    std::vector<Match> plain;
    for (int y = 0; y < result.rows; ++y)
      for (int x = 0; x < result.cols; ++x)
        if (float v = result.at<float>(y, x); v >= 0.9f)
          plain.push_back({cv::Rect(x, y, gray_templ.cols, gray_templ.rows), v, 1.0});
    std::sort(plain.begin(), plain.end(), [](const Match& a, const Match& b) { return a.score > b.score; });
    std::vector<Match> kept;
    for (const auto& m : plain) {
      bool overlaps = false;
      for (const auto& k : kept) {
        double inter = (m.region & k.region).area();
        if (inter > 0.5 * std::min(m.region.area(), k.region.area())) overlaps = true;
      }
      if (!overlaps) kept.push_back(m);
    }
    auto near = [](const Match& a, const std::vector<Match>& set) {
      for (const auto& b : set)
        if (std::abs(a.region.x - b.region.x) <= 1 && std::abs(a.region.y - b.region.y) <= 1) return true;
      return false;
    };
    std::size_t ours_in_plain = 0, plain_in_ours = 0;
    for (const auto& m : all) ours_in_plain += near(m, kept);
    for (const auto& m : kept) plain_in_ours += near(m, all);
    std::printf("  same as plain matchTemplate (>= 0.9, same suppression): plain finds %zu; ours finds %zu of them, "
                "and %zu that plain does not\n", kept.size(), plain_in_ours, all.size() - ours_in_plain);
  }

  // Region find: a 320x90 window around one placed label (e.g. the target window or the hint).
  cv::Rect near = form.placed.at(form.placed.size() / 2);
  cv::Rect region(near.x - 120, near.y - 35, 320, 90);
  FindOptions within;
  within.within = region;
  double ours_region = median_ms(runs * 10, [&] { (void)find(form.frame, pattern, within); });
  row("region find (320x90)", ours_region, plain_full, "matchTemplate");
  FindOptions hinted;
  hinted.hint = near;
  double ours_hint = median_ms(runs * 10, [&] { (void)find(form.frame, pattern, hinted); });
  row("find with hint (last position)", ours_hint, plain_full, "matchTemplate");

  // OCR of one field: an input field with an 8-character code, in a font that is not the programs' (OpenCV's
  // Hershey: read_field tries the font match, then reads with Tesseract) ...
  cv::Mat field_img(26, 120, CV_8UC3, testing::kWhite);
  cv::rectangle(field_img, {0, 0, 120, 26}, cv::Scalar(96, 96, 96), 1);
  testing::draw_label(field_img, "2K4GH7QZ", {6, 19}, 0.5);
  ReadOptions code;
  code.pattern = "[A-Z0-9]{8}";
  std::string ours_text, plain_text;
  double ours_ocr = median_ms(runs, [&] { ours_text = read_field(field_img, code).text; });
  // Fresh engine, default threading: what a naive caller does.
  auto plain_read = [&](const cv::Mat& bgr) {
    cv::Mat gray;
    cv::cvtColor(bgr, gray, cv::COLOR_BGR2GRAY);
    tesseract::TessBaseAPI api;
    api.Init(nullptr, "eng", tesseract::OEM_LSTM_ONLY);
    api.SetPageSegMode(tesseract::PSM_SINGLE_LINE);
    api.SetImage(gray.data, gray.cols, gray.rows, 1, int(gray.step));
    char* t = api.GetUTF8Text();
    plain_text = t ? t : "";
    delete[] t;
    api.End();
    while (!plain_text.empty() && std::isspace((unsigned char)plain_text.back())) plain_text.pop_back();
  };
  double plain_ocr = median_ms(std::max(5, runs / 3), [&] { plain_read(field_img); });
  row("OCR one field, other font (Tesseract)", ours_ocr, plain_ocr, "fresh engine");
  std::printf("  read_field -> \"%s\", plain -> \"%s\" (truth 2K4GH7QZ)\n", ours_text.c_str(), plain_text.c_str());

  // ... and a value field of the simulated programs (FLTK, DejaVu Sans, captured under Xvfb): the font match.
  cv::Mat app_field = cv::imread(HARD_CODES_DIR "/TT2S9RJJ.png");
  if (!app_field.empty()) {
    double ours_app = median_ms(runs, [&] { ours_text = read_field(app_field, code).text; });
    double plain_app = median_ms(std::max(5, runs / 3), [&] { plain_read(app_field); });
    row("OCR one field, programs' font (match)", ours_app, plain_app, "fresh engine");
    std::printf("  read_field -> \"%s\", plain -> \"%s\" (truth TT2S9RJJ)\n", ours_text.c_str(), plain_text.c_str());
  }
  return 0;
}
