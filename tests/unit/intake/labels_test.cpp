#include "labels.h"

#include <gtest/gtest.h>

using namespace dockhand::intake;

TEST(labels, synonyms_name_their_field) {
  EXPECT_EQ(match_label("Fulfillment Center"), Field::Fc);
  EXPECT_EQ(match_label("Ship-to FC"), Field::Fc);
  EXPECT_EQ(match_label("Cargo Ready Date"), Field::ReadyDate);
  EXPECT_EQ(match_label("Pickup Location"), Field::ShipFrom);
  EXPECT_EQ(match_label("# of Skids"), Field::Pallets);
  EXPECT_EQ(match_label("Cases"), Field::Cartons);
  EXPECT_EQ(match_label("Gross Weight (kg)"), Field::Weight);
  EXPECT_EQ(match_label("P.O. Number(s)"), Field::Po);
  EXPECT_EQ(match_label("Ship Window Start"), Field::WindowStart) << "the longest synonym wins";
  EXPECT_EQ(match_label("Delivery Window"), Field::Window);
  EXPECT_EQ(match_label("Hello there"), Field::None);
}

TEST(labels, several_fields_on_one_line_and_in_sentences) {
  auto hits = find_labels("Cases: 18  Skids: 2  Wt: 2,310 lbs");
  ASSERT_EQ(hits.size(), 4u);
  EXPECT_EQ(hits[0].field, Field::Cartons);
  EXPECT_EQ(hits[1].field, Field::Pallets);
  EXPECT_EQ(hits[2].field, Field::Weight);
  EXPECT_EQ(hits[3].field, Field::Weight);
  EXPECT_TRUE(hits[3].unit_word) << "lbs follows its number";
  auto prose = find_labels("we start loading soon, end of story");
  EXPECT_TRUE(prose.empty()) << "strict words are labels only before a colon";
  EXPECT_EQ(find_labels("Start: 2/2")[0].field, Field::WindowStart);
}
