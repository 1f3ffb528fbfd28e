// For script authors: the agent's view of a screenshot, as the CLI's find, ocr and validate --screen print it.
// Kept apart from argument parsing so every front end (CLI, tests, a future recorder) says the same.
#pragma once

#include "agent/script.h"
#include "vision/vision.h"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace dockhand::agent {

// `find`: the best places for a template whatever their score, the runner-up, and whether it is ambiguous.
// {"found", "score_needed", "best": {region, center, score, scale} | null, "runner_up": ... | null,
//  "candidates": [...], "ambiguous", "why", "detail"}.
nlohmann::json find_report(const cv::Mat& screen, const vision::Pattern& pattern, const vision::FindOptions& options,
                           std::size_t count = 3);

// `ocr`: the reading of `region` (the whole image when absent) with the rectangle read, and every word with
// its box (image coordinates) and confidence.
nlohmann::json ocr_report(const cv::Mat& image, const std::optional<cv::Rect>& region,
                          const vision::ReadOptions& options);

// `validate --screen`: each image template of a script on one screenshot.
struct TemplateOnScreen {
  std::string template_path;  // as written in the script
  std::string used_at;        // the first locator path that uses it
  vision::Candidates candidates;
  double score_needed = 0.9;
  std::string str() const;    // one line: found/absent, score, place, runner-up, ambiguity
};
std::vector<TemplateOnScreen> check_templates(const Script& script, const cv::Mat& screen);

}  // namespace dockhand::agent
