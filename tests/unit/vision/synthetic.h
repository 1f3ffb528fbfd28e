// Synthetic screens for the vision tests and benchmarks: a busy 1990s business form drawn with OpenCV, so the
// tests need no display. Labels repeat many times at arbitrary pixel positions (every phase modulo 2 and 4),
// on grey and on white, next to near-identical distractors ("Carton:", "Cartons").
#pragma once

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <random>
#include <string>
#include <vector>

namespace dockhand::vision::testing {

inline const cv::Scalar kGrey(192, 192, 192), kWhite(255, 255, 255), kBlack(0, 0, 0);
inline constexpr int kFont = cv::FONT_HERSHEY_SIMPLEX;

inline void draw_label(cv::Mat& img, const std::string& text, cv::Point baseline, double size = 0.5,
                       const cv::Scalar& color = kBlack) {
  cv::putText(img, text, baseline, kFont, size, color, 1, cv::LINE_AA);
}

// The rectangle a label drawn at `baseline` covers, with `pad` pixels around it.
inline cv::Rect label_box(const std::string& text, cv::Point baseline, double size = 0.5, int pad = 2) {
  int base = 0;
  cv::Size s = cv::getTextSize(text, kFont, size, 1, &base);
  return {baseline.x - pad, baseline.y - s.height - pad, s.width + 2 * pad, s.height + base + 2 * pad};
}

inline std::string random_code(std::mt19937& rng, int n = 8) {
  static const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  std::string s;
  for (int i = 0; i < n; ++i) s += alphabet[rng() % alphabet.size()];
  return s;
}

// A template cut from a clean rendering of `text` on `background`.
inline cv::Mat label_template(const std::string& text, double size = 0.5, const cv::Scalar& background = kGrey) {
  cv::Point baseline(10, 40);
  cv::Mat canvas(80, 40 + cv::getTextSize(text, kFont, size, 1, nullptr).width, CV_8UC3, background);
  draw_label(canvas, text, baseline, size);
  return canvas(label_box(text, baseline, size)).clone();
}

struct BusyForm {
  cv::Mat frame;                      // 8-bit BGRA, like a capture
  std::vector<cv::Rect> placed;       // where `target` was drawn (its label_box)
  std::string target;
};

// 1920x1080 form: rows of "label: [input with a code]" pairs, a grid, a title bar, buttons.
inline BusyForm busy_form(unsigned seed = 7, const std::string& target = "Cartons:") {
  std::mt19937 rng(seed);
  cv::Mat img(1080, 1920, CV_8UC3, kGrey);
  cv::rectangle(img, {0, 0, 1920, 28}, cv::Scalar(128, 0, 0), cv::FILLED);
  draw_label(img, "Legacy ERP - Warehouse Management", {8, 20}, 0.55, kWhite);
  const std::vector<std::string> labels = {"PO number", "Status:", "Cartons:", "Carton:", "Cartons",
                                           "Vendor",    "Reference:", "Destination:", "Pallets:",
                                           "Carrier:",  "Pickup date:", "FC", "Cartons:", "Search"};
  BusyForm out;
  out.target = target;
  for (int y = 56; y < 1060; y += 30) {
    int x = 6 + int(rng() % 9);
    while (x < 1800) {
      const std::string& label = labels[rng() % labels.size()];
      bool on_white = rng() % 4 == 0;
      cv::Point base(x, y + int(rng() % 3));
      cv::Rect box = label_box(label, base);
      if (on_white) cv::rectangle(img, box, kWhite, cv::FILLED);
      draw_label(img, label, base);
      if (label == target) out.placed.push_back(box);
      x = box.br().x + 4 + int(rng() % 7);
      // an input field with a code
      cv::Rect field(x, y - 15, 110, 22);
      cv::rectangle(img, field, kWhite, cv::FILLED);
      cv::rectangle(img, field, cv::Scalar(96, 96, 96), 1);
      draw_label(img, random_code(rng), {field.x + 5, field.y + 16}, 0.45);
      x = field.br().x + 12 + int(rng() % 23);
    }
  }
  cv::Mat bgra;
  cv::cvtColor(img, bgra, cv::COLOR_BGR2BGRA);
  out.frame = bgra;
  return out;
}

}  // namespace dockhand::vision::testing
