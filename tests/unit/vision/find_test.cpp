#include "vision/vision.h"
#include "synthetic.h"

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <filesystem>
#include <set>
#include <tuple>

using namespace dockhand::vision;
namespace t = dockhand::vision::testing;

namespace {

Pattern pattern_of(const cv::Mat& image, const std::string& name = "test") { return Pattern{image, {}, name}; }

// The reference: plain exhaustive matchTemplate over the whole gray frame, every position at or above the
// threshold, best first, greedy suppression of overlaps (the rule vision.h documents).
std::vector<cv::Rect> exhaustive(const cv::Mat& frame, const cv::Mat& templ, double min_score) {
  cv::Mat gray, gray_templ, result;
  cv::cvtColor(frame, gray, cv::COLOR_BGRA2GRAY);
  cv::cvtColor(templ, gray_templ, cv::COLOR_BGR2GRAY);
  cv::matchTemplate(gray, gray_templ, result, cv::TM_CCOEFF_NORMED);
  std::vector<std::pair<float, cv::Point>> points;
  for (int y = 0; y < result.rows; ++y)
    for (int x = 0; x < result.cols; ++x)
      if (result.at<float>(y, x) >= min_score) points.push_back({result.at<float>(y, x), {x, y}});
  std::stable_sort(points.begin(), points.end(), [](auto& a, auto& b) { return a.first > b.first; });
  std::vector<cv::Rect> kept;
  for (auto& [score, p] : points) {
    cv::Rect r(p, templ.size());
    bool overlaps = false;
    for (auto& k : kept) {
      int inter = (k & r).area();
      if (inter > 0 && inter * 2 > std::min(k.area(), r.area())) overlaps = true;
    }
    if (!overlaps) kept.push_back(r);
  }
  return kept;
}

std::set<std::tuple<int, int, int, int>> as_set(const std::vector<cv::Rect>& rects) {
  std::set<std::tuple<int, int, int, int>> s;
  for (auto& r : rects) s.insert({r.x, r.y, r.width, r.height});
  return s;
}

std::vector<cv::Rect> regions(const std::vector<Match>& matches) {
  std::vector<cv::Rect> out;
  for (auto& m : matches) out.push_back(m.region);
  return out;
}

}  // namespace

TEST(find, busy_form_finds_exactly_what_exhaustive_search_finds) {
  for (unsigned seed : {7u, 11u, 23u}) {
    for (const std::string label : {"Cartons:", "PO number", "Pickup date:"}) {
      auto form = t::busy_form(seed, label);
      cv::Mat templ = t::label_template(label);
      auto reference = exhaustive(form.frame, templ, 0.9);
      auto ours = find_all(form.frame, pattern_of(templ, label), {}, 1000);
      // Every placed copy is found by the reference (the generator is right), and we find the same set.
      ASSERT_GE(reference.size(), form.placed.size()) << label << " seed " << seed;
      EXPECT_EQ(as_set(regions(ours)), as_set(reference)) << label << " seed " << seed << ": ours " << ours.size()
                                                          << ", exhaustive " << reference.size();
      for (size_t i = 1; i < ours.size(); ++i) EXPECT_GE(ours[i - 1].score, ours[i].score);
    }
  }
}

TEST(find, best_match_is_the_exhaustive_best) {
  auto form = t::busy_form(5, "Cartons:");
  cv::Mat templ = t::label_template("Cartons:");
  auto reference = exhaustive(form.frame, templ, 0.9);
  auto best = find(form.frame, pattern_of(templ));
  ASSERT_TRUE(best.has_value());
  EXPECT_GE(best->score, 0.99);
  EXPECT_TRUE(as_set(reference).count({best->region.x, best->region.y, best->region.width, best->region.height}));
}

TEST(find, no_match_returns_nothing) {
  auto form = t::busy_form(3);
  cv::Mat templ = t::label_template("Finalize pre-tender");
  EXPECT_FALSE(find(form.frame, pattern_of(templ)).has_value());
  EXPECT_TRUE(find_all(form.frame, pattern_of(templ)).empty());
  // A template larger than the frame is not an error, just absent.
  cv::Mat big(2000, 2000, CV_8UC3, t::kGrey);
  EXPECT_FALSE(find(form.frame, pattern_of(big)).has_value());
}

TEST(find, within_limits_the_search_and_reports_frame_coordinates) {
  auto form = t::busy_form(7, "Cartons:");
  cv::Mat templ = t::label_template("Cartons:");
  ASSERT_GE(form.placed.size(), 3u);
  cv::Rect target = form.placed[1];
  FindOptions o;
  o.within = cv::Rect(target.x - 40, target.y - 10, target.width + 80, target.height + 20);
  auto all = find_all(form.frame, pattern_of(templ), o);
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].region, target);
  // A region that excludes every copy finds nothing, even though the frame has many.
  o.within = cv::Rect(0, 0, 1920, 40);  // the title bar
  EXPECT_FALSE(find(form.frame, pattern_of(templ), o).has_value());
  // A region partly outside the frame is clipped, not an error.
  o.within = cv::Rect(-100, -100, 5000, 5000);
  EXPECT_TRUE(find(form.frame, pattern_of(templ), o).has_value());
}

TEST(find, hint_is_searched_first_then_the_whole_frame) {
  auto form = t::busy_form(7, "Cartons:");
  cv::Mat templ = t::label_template("Cartons:");
  cv::Rect target = form.placed.back();
  FindOptions o;
  o.hint = cv::Rect(target.x + 5, target.y - 3, target.width, target.height);  // moved a little since
  auto m = find(form.frame, pattern_of(templ), o);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->region, target);
  // A stale hint (nothing there now) still finds the label elsewhere.
  o.hint = cv::Rect(900, 5, target.width, target.height);
  m = find(form.frame, pattern_of(templ), o);
  ASSERT_TRUE(m.has_value());
  EXPECT_GE(m->score, 0.99);
}

TEST(find, scales_for_dpi) {
  // A label rendered at 100% is found where the screen renders it at 125%, 150% and 200%.
  const std::string label = "Pre-tender";
  cv::Mat templ = t::label_template(label, 0.5);
  for (double scale : {1.25, 1.5, 2.0}) {
    cv::Mat screen(600, 900, CV_8UC3, t::kGrey);
    t::draw_label(screen, "Orders", {40, 100}, 0.5 * scale);
    t::draw_label(screen, label, {333, 271}, 0.5 * scale);
    t::draw_label(screen, "Help", {600, 400}, 0.5 * scale);
    cv::Rect truth = t::label_box(label, {333, 271}, 0.5 * scale, int(std::lround(2 * scale)));
    FindOptions o;
    o.min_score = 0.75;
    o.scales = {1.0, 1.25, 1.5, 2.0};
    auto m = find(screen, pattern_of(templ, label), o);
    ASSERT_TRUE(m.has_value()) << "scale " << scale;
    EXPECT_DOUBLE_EQ(m->scale, scale);
    EXPECT_LE(std::abs(m->region.x - truth.x), 3) << "scale " << scale;
    EXPECT_LE(std::abs(m->region.y - truth.y), 3) << "scale " << scale;
    // At 100% only, it is not there.
    FindOptions plain;
    plain.min_score = 0.75;
    EXPECT_FALSE(find(screen, pattern_of(templ, label), plain).has_value()) << "scale " << scale;
  }
}

TEST(find, mask_from_png_alpha_ignores_the_background) {
  // An icon whose corners are transparent: found on any background.
  cv::Mat icon(24, 24, CV_8UC4, cv::Scalar(0, 0, 0, 0));
  cv::circle(icon, {12, 12}, 10, cv::Scalar(0, 0, 200, 255), cv::FILLED);
  cv::putText(icon, "!", {9, 19}, cv::FONT_HERSHEY_SIMPLEX, 0.6, cv::Scalar(255, 255, 255, 255), 2);
  auto dir = std::filesystem::temp_directory_path() / ("vision-mask-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::string path = (dir / "icon.png").string();
  ASSERT_TRUE(cv::imwrite(path, icon));
  Pattern p = Pattern::load(path);
  std::filesystem::remove_all(dir);
  ASSERT_FALSE(p.mask.empty());
  EXPECT_EQ(p.image.channels(), 3);
  EXPECT_EQ(p.source, path);

  cv::Mat screen(300, 400, CV_8UC3, t::kGrey);
  cv::rectangle(screen, {200, 0, 200, 300}, cv::Scalar(40, 120, 40), cv::FILLED);  // green panel
  cv::Mat bgr;
  cv::cvtColor(icon, bgr, cv::COLOR_BGRA2BGR);
  cv::Mat alpha;
  cv::extractChannel(icon, alpha, 3);
  bgr.copyTo(screen(cv::Rect(250, 100, 24, 24)), alpha);  // on green
  bgr.copyTo(screen(cv::Rect(60, 200, 24, 24)), alpha);   // on grey
  auto all = find_all(screen, p, {});
  ASSERT_EQ(all.size(), 2u);
  std::set<std::pair<int, int>> at;
  for (auto& m : all) at.insert({m.region.x, m.region.y});
  EXPECT_TRUE(at.count({250, 100}));
  EXPECT_TRUE(at.count({60, 200}));
  // Without the mask the corners must match too, and the green copy falls below the threshold.
  Pattern unmasked = p;
  unmasked.mask.release();
  EXPECT_LT(find_all(screen, unmasked, {}).size(), 2u);
}

TEST(find, mask_rejects_flat_area) {
  // Masked TM_CCORR_NORMED scores a flat bright area highly; our masked zero-mean score does not.
  cv::Mat templ(20, 60, CV_8UC3, t::kWhite);
  t::draw_label(templ, "OK", {18, 15}, 0.5);
  cv::Mat mask(20, 60, CV_8U, cv::Scalar(255));
  cv::Mat screen(200, 300, CV_8UC3, t::kWhite);
  Pattern p{templ, mask, "ok"};
  EXPECT_FALSE(find(screen, p, {}).has_value());
  cv::Mat g, gt, r;
  cv::cvtColor(screen, g, cv::COLOR_BGR2GRAY);
  cv::cvtColor(templ, gt, cv::COLOR_BGR2GRAY);
  cv::matchTemplate(g, gt, r, cv::TM_CCORR_NORMED, mask);
  double best;
  cv::minMaxLoc(r, nullptr, &best);
  EXPECT_GT(best, 0.9);  // why not TM_CCORR_NORMED
}

TEST(find, bad_input_is_a_clear_error) {
  EXPECT_THROW(Pattern::load("/nonexistent/template.png"), VisionError);
  cv::Mat frame(100, 100, CV_8UC3, t::kGrey);
  EXPECT_THROW(find(cv::Mat(), pattern_of(frame)), VisionError);
  EXPECT_THROW(find(frame, Pattern{}), VisionError);
  FindOptions none;
  none.scales.clear();
  EXPECT_THROW(find(frame, pattern_of(frame(cv::Rect(0, 0, 10, 10))), none), VisionError);
  try {
    Pattern::load("/nonexistent/template.png");
  } catch (const VisionError& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/template.png"), std::string::npos);
  }
}
