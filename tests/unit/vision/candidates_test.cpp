// find_candidates: what `dockhand-agent find` and `validate --screen` tell a script's author.
#include "synthetic.h"
#include "vision/vision.h"

#include <gtest/gtest.h>

namespace dv = dockhand::vision;
using namespace dockhand::vision::testing;

namespace {

// A dialog's button row: same size, same bevelled chrome, different labels.
struct ButtonRow {
  cv::Mat frame;  // BGRA
  std::vector<cv::Rect> buttons;
  std::vector<cv::Rect> labels;
};

ButtonRow button_row(const std::vector<std::string>& names) {
  ButtonRow row;
  cv::Mat img(300, 900, CV_8UC3, kGrey);
  int x = 40;
  for (const auto& name : names) {
    cv::Rect b(x, 200, 120, 34);
    cv::rectangle(img, b, cv::Scalar(235, 235, 235), cv::FILLED);
    cv::rectangle(img, b, cv::Scalar(60, 60, 60), 2);
    cv::line(img, {b.x + 3, b.y + 3}, {b.x + b.width - 4, b.y + 3}, kWhite, 1);
    cv::line(img, {b.x + 3, b.y + b.height - 4}, {b.x + b.width - 4, b.y + b.height - 4}, cv::Scalar(150, 150, 150), 1);
    int base = 0;
    cv::Size s = cv::getTextSize(name, kFont, 0.45, 1, &base);
    cv::Point baseline(b.x + (b.width - s.width) / 2, b.y + (b.height + s.height) / 2);
    draw_label(img, name, baseline, 0.45);
    row.buttons.push_back(b);
    row.labels.push_back(label_box(name, baseline, 0.45));
    x += 170;
  }
  cv::cvtColor(img, row.frame, cv::COLOR_BGR2BGRA);
  return row;
}

dv::Pattern cut(const cv::Mat& bgra, const cv::Rect& r) {
  dv::Pattern p;
  cv::cvtColor(bgra(r), p.image, cv::COLOR_BGRA2BGR);
  p.source = "cut";
  return p;
}

// A template cut from `row` at `r`, looked for on that row at the default score.
dv::Candidates candidates_on(const ButtonRow& row, const cv::Rect& r) {
  dv::FindOptions fo;
  fo.min_score = 0.9;
  return dv::find_candidates(row.frame, cut(row.frame, r), fo);
}

}  // namespace

TEST(find_candidates, reports_the_best_places_even_below_the_score) {
  auto row = button_row({"OK", "Cancel", "Apply", "Help"});
  // "Close" is on no button: nothing passes 0.9, but the author still learns the best place and its score.
  auto other = button_row({"Close"});
  auto pattern = cut(other.frame, other.labels[0]);
  dv::FindOptions fo;
  fo.min_score = 0.9;
  ASSERT_FALSE(dv::find(row.frame, pattern, fo));
  auto c = dv::find_candidates(row.frame, pattern, fo);
  EXPECT_FALSE(c.found);
  ASSERT_GE(c.best.size(), 2u);
  EXPECT_LT(c.best[0].score, 0.9);
  EXPECT_GT(c.best[0].score, 0.2);
  EXPECT_GE(c.best[0].score, c.best[1].score);
  EXPECT_EQ(c.best[0].region.size(), pattern.image.size());
  EXPECT_TRUE((c.best[0].region & c.best[1].region).empty()) << "the runner-up is another place";
}

TEST(find_candidates, a_template_of_the_whole_button_is_ambiguous_on_repeated_buttons) {
  auto row = button_row({"OK", "Cancel", "Apply", "Help"});
  auto c = candidates_on(row, row.buttons[0]);
  ASSERT_TRUE(c.found);
  EXPECT_EQ(c.best[0].region, row.buttons[0]);
  ASSERT_GE(c.best.size(), 2u);
  EXPECT_TRUE(c.ambiguous) << c.why;
  EXPECT_TRUE(c.detail.mostly_chrome) << c.detail.detail_fraction;
  // The runner-up is another button of the row, close behind.
  bool on_a_button = false;
  for (std::size_t i = 1; i < row.buttons.size(); ++i)
    on_a_button = on_a_button || (c.best[1].region & row.buttons[i]).area() > row.buttons[i].area() / 2;
  EXPECT_TRUE(on_a_button);
  EXPECT_NE(c.why.find("runner-up"), std::string::npos) << c.why << " runner-up " << c.best[1].score;
}

TEST(find_candidates, a_template_cut_around_the_label_is_unique) {
  auto row = button_row({"OK", "Cancel", "Apply", "Help"});
  auto c = candidates_on(row, row.labels[1]);
  ASSERT_TRUE(c.found);
  EXPECT_EQ(c.best[0].region, row.labels[1]);
  EXPECT_FALSE(c.ambiguous) << c.why;
  EXPECT_FALSE(c.detail.mostly_chrome) << c.detail.detail_fraction;
  ASSERT_GE(c.best.size(), 2u);
  EXPECT_LT(c.best[1].score, c.best[0].score - 0.15) << c.best[1].score;
}

TEST(find_candidates, agrees_with_find_on_the_best_match) {
  auto form = busy_form(3);
  dv::Pattern p;
  p.image = label_template(form.target);
  dv::FindOptions fo;
  fo.min_score = 0.8;
  auto m = dv::find(form.frame, p, fo);
  ASSERT_TRUE(m);
  auto c = dv::find_candidates(form.frame, p, fo);
  ASSERT_TRUE(c.found);
  EXPECT_NEAR(c.best[0].score, m->score, 0.01);
  // The busy form repeats the label: the runner-up is another copy, as good as the best.
  EXPECT_TRUE(c.ambiguous) << c.why;
}
