// dockhand-agent ocr IMAGE.png [--region x,y,w,h] [--pattern RE] [--whitelist CHARS] [--font FILE] [--words] [--find TEXT]
#include "agent/authoring.h"
#include "agent/cli/args.h"
#include "agent/cli/command.h"
#include "vision/vision.h"

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include <iostream>

namespace {

nlohmann::json rect_json(const cv::Rect& r) { return {r.x, r.y, r.width, r.height}; }

int run_ocr(const std::vector<std::string>& argv) {
  dockhand::cli::Args args(argv);
  std::string file, find;
  std::optional<cv::Rect> region;
  dockhand::vision::ReadOptions ro;
  bool words = false;
  while (args.next()) {
    if (args.help()) {
      std::cout << "usage: dockhand-agent ocr IMAGE.png [--region x,y,w,h] [--pattern RE] [--whitelist CHARS]\n"
                   "                          [--font FILE|none] [--words] [--find TEXT]\n"
                   "Reads text the way a script's read step does and prints it as JSON: the text, whether it\n"
                   "matches the pattern, the rectangle read (region) and every word with its box and confidence.\n"
                   "--region    read only this part of the image\n"
                   "--pattern   ECMAScript regex the value must match (re-reads until it does)\n"
                   "--whitelist characters allowed\n"
                   "--font      the program's UI font (TrueType/OpenType): codes are read by rendering it\n"
                   "            (default DejaVu Sans, the simulated programs' font; none: Tesseract alone)\n"
                   "--words     every word with its box and confidence\n"
                   "--find TEXT where TEXT is (the text locator), best first\n";
      return 0;
    }
    if (args.is("--region")) {
      auto r = dockhand::cli::parse_region(args.value());
      region = cv::Rect(r.x, r.y, r.w, r.h);
    } else if (args.is("--pattern")) ro.pattern = args.value();
    else if (args.is("--whitelist")) ro.whitelist = args.value();
    else if (args.is("--font")) ro.font = args.value();
    else if (args.is("--words")) words = true;
    else if (args.is("--find")) find = args.value();
    else if (file.empty() && args.arg().rfind("--", 0) != 0) file = args.arg();
    else {
      std::cerr << "dockhand-agent ocr: unexpected argument " << args.arg() << "\n";
      return 2;
    }
  }
  if (file.empty()) {
    std::cerr << "dockhand-agent ocr: no image given (usage: ocr IMAGE.png [--region x,y,w,h])\n";
    return 2;
  }
  cv::Mat image = cv::imread(file, cv::IMREAD_COLOR);
  if (image.empty()) {
    std::cerr << "dockhand-agent ocr: cannot read image " << file << "\n";
    return 2;
  }
  if (region) {
    cv::Rect r = *region & cv::Rect(0, 0, image.cols, image.rows);
    if (r.empty()) {
      std::cerr << "dockhand-agent ocr: region lies outside the " << image.cols << "x" << image.rows << " image\n";
      return 2;
    }
    region = r;
  }
  nlohmann::json out;
  if (!find.empty()) {
    dockhand::vision::LocateOptions lo;
    lo.within = region;
    out = nlohmann::json::array();
    for (const auto& m : dockhand::vision::locate_text(image, find, lo))
      out.push_back({{"region", rect_json(m.region)}, {"score", m.score}});
  } else if (words) {
    cv::Rect area = region.value_or(cv::Rect(0, 0, image.cols, image.rows));
    out = nlohmann::json::array();
    for (const auto& w : dockhand::vision::ocr_words(image(area)))
      out.push_back({{"text", w.text}, {"box", rect_json(w.box + area.tl())}, {"confidence", w.confidence}});
  } else {
    out = dockhand::agent::ocr_report(image, region, ro);
  }
  std::cout << out.dump(2) << "\n";
  return 0;
}

const dockhand::cli::Registration reg{"ocr", "IMAGE.png [--region x,y,w,h] [--pattern RE] [--words] [--find TEXT]",
                                      "Read text off an image (for script authors)", run_ocr};

}  // namespace
