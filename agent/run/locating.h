// Locating: what the runner sees (the current capture and the program's windows) and where a locator is on it.
// Resolving works on the frame and window list it was given, so it can be exercised on a synthetic screen.
#pragma once

#include "agent/run/common.h"
#include "vision/vision.h"

#include <cstdint>
#include <deque>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace dockhand::agent::run {

struct Windows {
  std::optional<drivers::WindowInfo> target;
  std::vector<drivers::WindowInfo> dialogs;  // the app's other windows, newest first
  std::set<std::uint64_t> above_target;      // the dialogs stacked above the target
};

class Locating {
 public:
  // `vars` is the run's variable table (text locators may contain ${var}); it must outlive this object.
  // `desktop` may be null: frames and windows then come only from look_at().
  Locating(const Script& script, drivers::Desktop* desktop, const Vars& vars);

  // ---- what is on the screen ----
  void start();    // remembers the windows already open (a dialog is a window that appeared since)
  void capture();  // a fresh frame of the whole screen
  const Windows& windows_now();  // re-reads the window list
  // Takes a frame (BGRA) and a window list (topmost first) as they are: for tests and offline checks.
  void look_at(cv::Mat frame_bgra, const std::vector<drivers::WindowInfo>& all);
  void forget_initial_windows() { initial_.clear(); }

  const std::string& window_title() const { return window_title_; }
  void set_window_title(std::string title) { window_title_ = std::move(title); }
  const Windows& windows() const { return ws_; }
  Windows& windows() { return ws_; }
  const cv::Mat& frame() const { return mat_; }
  const cv::Rect& screen() const { return screen_; }

  // Where to look, in order: the app's dialogs (newest first), then its window; the whole screen when the
  // script names no window or it is not open.
  std::vector<cv::Rect> areas() const;
  // The target window's client area on the screen (the screen when there is none): where fixed coordinates start.
  cv::Rect window_area() const;
  // "[x, y, w, h] in window \"T\" (screen [x, y, w, h])": an area as the script's author measures it.
  std::string describe_area(const cv::Rect& r) const;
  std::uint64_t window_at(cv::Point p) const;
  // Input may go to `p` only if nothing unexpected is in front: with a dialog open, only into the newest
  // dialog; otherwise into the target window.
  bool can_click(cv::Point p, std::string& why) const;
  bool can_type(std::string& why) const;
  std::uint64_t last_window = 0;  // the window of the last thing located or clicked

  // ---- locating ----
  std::optional<cv::Rect> resolve(const Locator& loc, const cv::Rect& area);
  // Looks in every area in order; the whole screen last for images (cheap) when the window was not enough.
  std::optional<cv::Rect> locate(const Locator& loc);

  double ui_scale() const { return ui_scale_; }
  bool scale_known() const { return scale_known_; }
  // The template file an image locator uses at the learned scale (a NAME@S.png variant when there is one).
  std::string template_file(const Locator& loc) const;

 private:
  int sc(int v) const;
  const vision::Pattern* load_pattern(const std::string& file);
  std::optional<vision::Match> find_at_scales(const Locator& loc, const std::vector<double>& scales,
                                              vision::FindOptions fo);
  std::optional<cv::Rect> find_image(const Locator& loc, const cv::Rect& bounds);
  const vision::TextScan& scan_for(const cv::Rect& area);
  std::optional<cv::Rect> find_text(const Locator& loc, const cv::Rect& bounds);
  void classify(const std::vector<drivers::WindowInfo>& all);

  const Script& s_;
  drivers::Desktop* d_;
  const Vars& vars_;
  std::string window_title_;

  cv::Rect screen_;
  drivers::Frame frame_;
  cv::Mat mat_;  // view on frame_.pixels (no copy), or the frame given to look_at
  Windows ws_;

  std::set<std::uint64_t> initial_;
  std::map<std::uint64_t, long> shown_at_;  // when each window last became visible
  std::set<std::uint64_t> visible_;
  long seq_ = 0;

  double ui_scale_ = 1.0;
  bool scale_known_ = false;
  std::map<const Locator*, cv::Rect> hints_;
  std::deque<vision::TextScan> scans_;  // OCR of the current capture, by area
  std::map<std::string, std::optional<vision::Pattern>> patterns_;  // file -> template (nullopt: no such file)
};

}  // namespace dockhand::agent::run
