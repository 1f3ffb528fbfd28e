// The recorder's second seam: where a person clicked becomes a locator the runner finds again on another day,
// at another window position: an OCR text locator when the text there reads cleanly and is unique, else an image
// template grown until it is unique and textured, else (plain background) an area anchored to the nearest unique
// feature. Every locator is checked with the runner's own locating code on the recorded screen: it must land where
// the person clicked.
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "agent/record/intents.h"
#include "agent/script.h"

namespace dockhand::agent::record {

// The recording's templates: saved under DIR/templates as NAME.png with readable, distinct names; an image equal to
// one saved before is not saved twice (its path is returned again).
class TemplateStore {
 public:
  explicit TemplateStore(std::filesystem::path dir);
  const std::filesystem::path& dir() const { return dir_; }
  // `name`: a readable stem ("ok", "po-number"); returns the path as scripts write it ("templates/ok.png").
  std::string add(const cv::Mat& image, const std::string& name);
  std::size_t size() const { return saved_.size(); }

 private:
  std::filesystem::path dir_;
  struct Saved {
    std::string path;
    cv::Mat image;
  };
  std::vector<Saved> saved_;
  std::map<std::string, int> used_names_;
};

// A recorded literal as script text: "${" written "$${", so it is never read as a variable.
std::string escape_literal(const std::string& s);
// "Finalize pre-tender" -> "finalize-pre-tender"; "" when nothing is left.
std::string slug(const std::string& text);

struct TargetContext {
  std::string window_title;  // the script's `window` (its target window)
  Vars vars;                 // --var values: text equal to one is written ${name}
  std::string fallback_name; // a template name when the target has no readable text ("legacy-erp-click-3")
};

struct Target {
  nlohmann::json locator;  // as the step writes it
  std::string how;         // "text", "image", "anchored" or "point"
  std::string label;       // the text the person saw there (or the anchor's), "" when none; for names and comments
  cv::Rect window;         // the client area of the window clicked in (screen coordinates)
  std::string window_title;
};

// Decides and checks one click's locator on the screen `before` (the snapshot just before the press).
class TargetCutter {
 public:
  TargetCutter(TemplateStore& store, TargetContext ctx);
  ~TargetCutter();
  // `field`: the person typed into what they clicked. An editable field's text is content, different on every run,
  // so the field is found by its label (an anchored locator), never by what it holds.
  Target cut(const Snapshot& before, cv::Point at, bool field = false);
  // Where `locator` lands on `snap` with the runner's locating code (the centre it would click), or nullopt.
  std::optional<cv::Point> lands(const Snapshot& snap, const nlohmann::json& locator);
  // Something the program showed between `before` and `after` (in what changed): a locator found on `after` and not
  // on `before`, so waiting for it waits for the program. nullopt when nothing new is unique.
  std::optional<Target> something_new(const Snapshot& before, const Snapshot& after);
  void set_fallback_name(std::string name) { ctx_.fallback_name = std::move(name); }

 private:
  struct Seen;
  Seen& seen(const Snapshot& snap);
  std::optional<Target> by_text(const Snapshot& snap, cv::Point at, const cv::Rect& ink, const cv::Rect& area);
  std::optional<Target> by_image(const Snapshot& snap, cv::Point at, const cv::Rect& ink, const cv::Rect& area);
  std::optional<Target> anchored(const Snapshot& snap, cv::Point at, const cv::Rect& area, bool field);
  // A locator for `box` alone (text when clean and unique, else a grown template), with its label; nullopt when none.
  std::optional<std::pair<nlohmann::json, std::string>> feature(const Snapshot& snap, const cv::Rect& box,
                                                               const cv::Rect& area, const std::string& suffix);
  std::string with_vars(const std::string& text) const;
  bool holds_var_value(const std::string& text) const;

  TemplateStore& store_;
  TargetContext ctx_;
  std::unique_ptr<Script> base_;
  std::vector<std::unique_ptr<Seen>> seen_;
};

}  // namespace dockhand::agent::record
