// Tesseract plumbing shared by ocr.cpp, field.cpp and locate.cpp; not part of the room's interface.
#pragma once

#include "vision/vision.h"

#include <opencv2/core.hpp>

#include <string>
#include <vector>

namespace dockhand::vision::detail {

struct LineWord {
  Word word;
  int line = 0;  // index of the text line the word belongs to, in reading order
};

struct LineReading {
  std::string text;
  float confidence = 0;  // mean over words
  float weakest = 0;     // lowest confidence of any character
  struct Symbol {
    std::string text;  // one character (UTF-8)
    cv::Rect box;      // in the image read
  };
  std::vector<Symbol> symbols;  // in reading order
};

// Words on a gray image, read after scaling it by `scale` (boxes are given back in the unscaled image).
std::vector<LineWord> recognize_words(const cv::Mat& gray, int page_seg_mode, double scale);
// One line (or block) of a prepared gray image, with the calling thread's engine.
LineReading recognize_line(const cv::Mat& gray, const std::string& whitelist, bool single_line);
// Scale at which whole images are read for words.
double words_scale(const cv::Size& size);

}  // namespace dockhand::vision::detail
