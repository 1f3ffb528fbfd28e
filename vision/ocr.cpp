// OCR through Tesseract's C++ API (LSTM engine, language eng).
//
// One engine per thread (thread_local), initialised once: Init loads ~10 MB of models and costs far more than a
// field read. Debian's libtesseract is built with OpenMP (it links libgomp), and its LSTM code opens parallel
// regions with fixed num_threads(...) clauses, so omp_set_num_threads cannot lower them; on a busy 2-core box
// those spinning team threads make a field read several times slower. OMP_THREAD_LIMIT=1 would cap them, but
// libgomp reads its environment once when it is loaded, before main, so setting it from inside the process
// has no effect. The in-process equivalent is max-active-levels = 0 (no parallel region becomes active: every
// team has one thread), which we set through libgomp's API, looked up at run time so that a Tesseract built
// without OpenMP needs nothing.
#include "vision/internal.h"
#include "vision/ocr_internal.h"
#include "vision/vision.h"

#include "drivers/platform.h"  // the one thing vision takes from drivers/: a function in the loaded libraries

#include <opencv2/imgproc.hpp>
#include <tesseract/baseapi.h>
#include <tesseract/resultiterator.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <mutex>
#include <regex>
#include <set>

namespace dockhand::vision {

namespace {

void limit_openmp_to_one_thread() {
  using SetInt = void (*)(int);
  // The ICVs these set belong to the calling thread's implicit task (libgomp >= 11), so every thread that owns an
  // engine calls this before its first recognition.
  if (auto set_levels = reinterpret_cast<SetInt>(drivers::loaded_function("omp_set_max_active_levels"))) set_levels(0);
  if (auto set_threads = reinterpret_cast<SetInt>(drivers::loaded_function("omp_set_num_threads"))) set_threads(1);
}

class Engine {
 public:
  Engine() {
    limit_openmp_to_one_thread();
    // The system dictionaries only hurt codes (they pull readings towards words) and barely help UI labels.
    std::vector<std::string> names = {"load_system_dawg", "load_freq_dawg"};
    std::vector<std::string> values = {"0", "0"};
    if (api_.Init(nullptr, "eng", tesseract::OEM_LSTM_ONLY, nullptr, 0, &names, &values, false) != 0)
      throw VisionError("tesseract: cannot load language 'eng' for the LSTM engine (is tesseract-ocr-eng "
                        "installed, or TESSDATA_PREFIX pointing at its tessdata?)");
    api_.SetVariable("debug_file", "/dev/null");  // no "Estimating resolution" chatter on stderr
    api_.SetVariable("user_defined_dpi", "300");
  }
  ~Engine() { api_.End(); }
  tesseract::TessBaseAPI& api() { return api_; }

 private:
  tesseract::TessBaseAPI api_;
};

Engine& engine() {
  thread_local std::unique_ptr<Engine> mine;
  if (!mine) mine = std::make_unique<Engine>();
  return *mine;
}

std::string take(char* text) {
  std::string s = text ? text : "";
  delete[] text;
  return s;
}

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n"), e = s.find_last_not_of(" \t\r\n");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

}  // namespace

namespace detail {

std::vector<LineWord> recognize_words(const cv::Mat& gray, int page_seg_mode, double scale) {
  cv::Mat input = gray;
  if (scale != 1.0) cv::resize(gray, input, cv::Size(), scale, scale, cv::INTER_CUBIC);
  if (!input.isContinuous()) input = input.clone();
  auto& api = engine().api();
  api.SetPageSegMode(tesseract::PageSegMode(page_seg_mode));
  api.SetVariable("tessedit_char_whitelist", "");
  api.SetImage(input.data, input.cols, input.rows, 1, int(input.step));
  if (api.Recognize(nullptr) != 0) throw VisionError("tesseract: recognition failed");
  std::vector<LineWord> words;
  std::unique_ptr<tesseract::ResultIterator> it(api.GetIterator());
  int line = -1;
  if (it && !it->Empty(tesseract::RIL_WORD)) {
    do {
      if (it->IsAtBeginningOf(tesseract::RIL_TEXTLINE)) ++line;
      std::string text = trim(take(it->GetUTF8Text(tesseract::RIL_WORD)));
      if (text.empty()) continue;
      int x1, y1, x2, y2;
      it->BoundingBox(tesseract::RIL_WORD, &x1, &y1, &x2, &y2);
      cv::Rect box(cvFloor(x1 / scale), cvFloor(y1 / scale), cvCeil((x2 - x1) / scale), cvCeil((y2 - y1) / scale));
      words.push_back({{text, box, it->Confidence(tesseract::RIL_WORD)}, std::max(line, 0)});
    } while (it->Next(tesseract::RIL_WORD));
  }
  api.Clear();
  return words;
}

LineReading recognize_line(const cv::Mat& gray, const std::string& whitelist, bool single_line) {
  cv::Mat input = gray.isContinuous() ? gray : gray.clone();
  auto& api = engine().api();
  api.SetPageSegMode(single_line ? tesseract::PSM_SINGLE_LINE : tesseract::PSM_SINGLE_BLOCK);
  api.SetVariable("tessedit_char_whitelist", whitelist.c_str());
  api.SetImage(input.data, input.cols, input.rows, 1, int(input.step));
  if (api.Recognize(nullptr) != 0) throw VisionError("tesseract: recognition failed");
  LineReading r;
  r.text = trim(take(api.GetUTF8Text()));
  r.confidence = float(api.MeanTextConf());
  r.weakest = 100;
  std::unique_ptr<tesseract::ResultIterator> it(api.GetIterator());
  if (it && !it->Empty(tesseract::RIL_SYMBOL)) {
    do {
      r.weakest = std::min(r.weakest, it->Confidence(tesseract::RIL_SYMBOL));
      int x1, y1, x2, y2;
      if (it->BoundingBox(tesseract::RIL_SYMBOL, &x1, &y1, &x2, &y2))
        r.symbols.push_back({take(it->GetUTF8Text(tesseract::RIL_SYMBOL)), cv::Rect(x1, y1, x2 - x1, y2 - y1)});
    } while (it->Next(tesseract::RIL_SYMBOL));
  }
  api.Clear();
  return r;
}

}  // namespace detail

std::vector<Word> ocr_words(const cv::Mat& image) {
  cv::Mat gray = detail::to_gray(image, "ocr_words");
  std::vector<Word> out;
  for (auto& w : detail::recognize_words(gray, tesseract::PSM_SPARSE_TEXT, detail::words_scale(gray.size())))
    out.push_back(std::move(w.word));
  return out;
}

namespace detail {

double words_scale(const cv::Size& size) {
  // UI text is ~14 px; Tesseract reads it far better doubled. Whole screens stay at 1x for time.
  return double(size.area()) <= 1'000'000.0 ? 2.0 : 1.0;
}

}  // namespace detail

}  // namespace dockhand::vision
