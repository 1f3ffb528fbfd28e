// dockhand-agent capture [--region x,y,w,h] -o OUT.png [--display :N]
#include "agent/cli/args.h"
#include "agent/cli/command.h"
#include "drivers/desktop.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <iostream>

namespace {

int run_capture(const std::vector<std::string>& argv) {
  dockhand::cli::Args args(argv);
  std::string out, display;
  std::optional<dockhand::drivers::Rect> region;
  while (args.next()) {
    if (args.help()) {
      std::cout << "usage: dockhand-agent capture [--region x,y,w,h] -o OUT.png [--display :N]\n"
                   "Saves the screen (or a region of it) as PNG, for cutting templates.\n";
      return 0;
    }
    if (args.is("-o") || args.is("--output")) out = args.value();
    else if (args.is("--region")) {
      auto r = dockhand::cli::parse_region(args.value());
      region = dockhand::drivers::Rect{r.x, r.y, r.w, r.h};
    } else if (args.is("--display")) display = args.value();
    else {
      std::cerr << "dockhand-agent capture: unexpected argument " << args.arg() << "\n";
      return 2;
    }
  }
  if (out.empty()) {
    std::cerr << "dockhand-agent capture: -o OUT.png is required\n";
    return 2;
  }
  std::unique_ptr<dockhand::drivers::Desktop> desktop;
  dockhand::drivers::Frame frame;
  try {
    desktop = dockhand::drivers::open_desktop(display);
    frame = desktop->capture(region);
  } catch (const dockhand::drivers::DesktopError& e) {
    std::cerr << "dockhand-agent capture: " << e.what() << "\n";
    return 3;
  }
  cv::Mat bgra(frame.height, frame.width, CV_8UC4, frame.pixels.data(), frame.stride), bgr;
  cv::cvtColor(bgra, bgr, cv::COLOR_BGRA2BGR);
  if (!cv::imwrite(out, bgr)) {
    std::cerr << "dockhand-agent capture: cannot write " << out << "\n";
    return 1;
  }
  std::cout << out << " " << frame.width << "x" << frame.height << " at " << frame.origin.x << "," << frame.origin.y
            << "\n";
  return 0;
}

const dockhand::cli::Registration reg{"capture", "[--region x,y,w,h] -o OUT.png [--display :N]",
                                      "Save a screenshot (or a region) as PNG", run_capture};

}  // namespace
