#include "agent/authoring.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>

namespace dockhand::agent {

using nlohmann::json;

namespace {

json rect_json(const cv::Rect& r) { return {r.x, r.y, r.width, r.height}; }
double rounded(double v) { return std::round(v * 1000) / 1000; }

json match_json(const vision::Match& m) {
  return {{"region", rect_json(m.region)},
          {"center", {m.region.x + m.region.width / 2, m.region.y + m.region.height / 2}},
          {"score", rounded(m.score)},
          {"scale", m.scale}};
}

std::string rect_text(const cv::Rect& r) {
  return "[" + std::to_string(r.x) + ", " + std::to_string(r.y) + ", " + std::to_string(r.width) + ", " +
         std::to_string(r.height) + "]";
}

std::string score_text(double s) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%.3f", s);
  return buf;
}

// Every image locator of the script (steps at any depth, handlers, anchors, within), first use first.
void collect(const Locator& loc, std::vector<const Locator*>& out) {
  if (loc.kind == Locator::Kind::Image) out.push_back(&loc);
  if (loc.anchor_of) collect(*loc.anchor_of, out);
  if (loc.within) collect(*loc.within, out);
}
void collect(const Steps& steps, std::vector<const Locator*>& out) {
  for (const auto& st : steps) {
    if (st.locator) collect(*st.locator, out);
    if (st.drop) collect(*st.drop, out);
    for (const auto& l : st.any) collect(l, out);
    if (st.condition.locator) collect(*st.condition.locator, out);
    collect(st.then_steps, out);
    collect(st.else_steps, out);
  }
}

// Candidates over the script's scales: a NAME@S.png cut at a scale is used as it is, else NAME.png resized.
vision::Candidates candidates_at_scales(const cv::Mat& screen, const Locator& loc, const std::vector<double>& scales,
                                        double min_score) {
  vision::Candidates merged;
  bool first = true;
  for (double s : scales) {
    std::error_code ec;
    std::string variant = variant_file(loc.image_file, s);
    bool cut_at_scale = s != 1.0 && std::filesystem::exists(variant, ec);
    vision::FindOptions fo;
    fo.min_score = min_score;
    fo.scales = {cut_at_scale ? 1.0 : s};
    auto c = vision::find_candidates(screen, vision::Pattern::load(cut_at_scale ? variant : loc.image_file.string()), fo);
    for (auto& m : c.best) m.scale = s;
    if (first || (!c.best.empty() && (merged.best.empty() || c.best[0].score > merged.best[0].score))) merged = c;
    first = false;
  }
  return merged;
}

}  // namespace

json find_report(const cv::Mat& screen, const vision::Pattern& pattern, const vision::FindOptions& options,
                 std::size_t count) {
  auto c = vision::find_candidates(screen, pattern, options, count);
  json out;
  out["found"] = c.found;
  out["score_needed"] = options.min_score;
  out["best"] = c.best.empty() ? json(nullptr) : match_json(c.best[0]);
  out["runner_up"] = c.best.size() < 2 ? json(nullptr) : match_json(c.best[1]);
  out["candidates"] = json::array();
  for (const auto& m : c.best) out["candidates"].push_back(match_json(m));
  out["ambiguous"] = c.ambiguous;
  out["why"] = c.why.empty() ? json(nullptr) : json(c.why);
  out["detail"] = rounded(c.detail.detail_fraction);
  return out;
}

json ocr_report(const cv::Mat& image, const std::optional<cv::Rect>& region, const vision::ReadOptions& options) {
  cv::Rect area = region ? *region & cv::Rect(0, 0, image.cols, image.rows) : cv::Rect(0, 0, image.cols, image.rows);
  if (area.empty()) throw vision::VisionError("the region lies outside the " + std::to_string(image.cols) + "x" +
                                              std::to_string(image.rows) + " image");
  cv::Mat crop = image(area);
  auto r = vision::read_field(crop, options);
  json words = json::array();
  for (const auto& w : vision::ocr_words(crop))
    words.push_back({{"text", w.text}, {"box", rect_json(w.box + area.tl())}, {"confidence", std::round(w.confidence)}});
  return {{"text", r.text},
          {"confidence", std::round(r.confidence)},
          {"matches_pattern", r.matches_pattern},
          {"region", rect_json(area)},
          {"words", words}};
}

std::string TemplateOnScreen::str() const {
  std::string s = template_path + " (" + used_at + "): ";
  const auto& best = candidates.best;
  if (best.empty()) return s + "larger than the screen";
  if (candidates.found)
    s += "found at " + rect_text(best[0].region) + ", score " + score_text(best[0].score);
  else
    s += "not on this screen (best " + score_text(best[0].score) + " at " + rect_text(best[0].region) +
         ", needs " + score_text(score_needed) + ")";
  if (best.size() > 1) s += "; runner-up " + score_text(best[1].score) + " at " + rect_text(best[1].region);
  if (candidates.ambiguous) s += "; AMBIGUOUS: " + candidates.why;
  return s;
}

std::vector<TemplateOnScreen> check_templates(const Script& script, const cv::Mat& screen) {
  std::vector<const Locator*> locators;
  collect(script.steps, locators);
  for (const auto& h : script.handlers) {
    collect(h.when, locators);
    collect(h.actions, locators);
  }
  std::vector<TemplateOnScreen> out;
  std::set<std::string> seen;
  for (const Locator* loc : locators) {
    if (!seen.insert(loc->image_file.string()).second) continue;
    TemplateOnScreen t;
    t.template_path = loc->image;
    t.used_at = loc->path;
    t.score_needed = loc->score.value_or(script.defaults.score);
    t.candidates = candidates_at_scales(screen, *loc, loc->scales.empty() ? script.defaults.scales : loc->scales,
                                        t.score_needed);
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace dockhand::agent
