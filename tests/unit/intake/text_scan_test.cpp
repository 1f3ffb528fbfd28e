#include "text_scan.h"

#include <gtest/gtest.h>

using namespace dockhand::intake::scan;

TEST(scan, dates_in_every_written_form) {
  for (const char* s : {"11/24/2026", "11-24-2026", "11/24/26", "2026-11-24", "2026/11/24", "24.11.2026",
                        "Nov 24, 2026", "November 24th, 2026", "nov. 24 2026", "24 Nov 2026", "Tue, Nov 24, 2026"}) {
    auto hits = find_dates(s);
    ASSERT_EQ(hits.size(), 1u) << s;
    EXPECT_TRUE(hits[0].valid) << s << ": " << hits[0].problem;
    EXPECT_EQ(hits[0].iso, "2026-11-24") << s;
  }
}

TEST(scan, dates_that_do_not_exist_are_flagged) {
  for (const char* s : {"02/30/2026", "02/29/2027", "13/01/2026", "2026-04-31", "Feb 30, 2026", "24/11/2026"}) {
    auto hits = find_dates(s);
    ASSERT_EQ(hits.size(), 1u) << s;
    EXPECT_FALSE(hits[0].valid) << s;
    EXPECT_FALSE(hits[0].problem.empty()) << s;
  }
  auto leap = find_dates("02/29/2028");
  ASSERT_EQ(leap.size(), 1u);
  EXPECT_TRUE(leap[0].valid);
}

TEST(scan, ship_window_range_gives_two_dates) {
  auto hits = find_dates("11/24/2026-11/28/2026");
  ASSERT_EQ(hits.size(), 2u);
  EXPECT_EQ(hits[1].iso, "2026-11-28");
  EXPECT_TRUE(find_dates("PO 2K4GH7QZ, 12 cartons, 340.5 lb").empty());
}

TEST(scan, po_lists_split_on_commas_spaces_and_lines) {
  auto t = split_po_list("2k4gh7qz, 3L5HJ8RA 4M6JK9SB;#5N7KL0TC and 6P8LM1U");
  ASSERT_EQ(t.size(), 5u);
  EXPECT_EQ(t[0].po, "2K4GH7QZ");
  EXPECT_TRUE(t[0].valid);
  EXPECT_EQ(t[3].po, "5N7KL0TC");
  EXPECT_FALSE(t[4].valid);
  EXPECT_NE(t[4].problem.find("7 characters"), std::string::npos);
  EXPECT_TRUE(is_po_list_line("- 2K4GH7QZ"));
  EXPECT_TRUE(is_po_list_line("2K4GH7QZ / 3L5HJ8RA"));
  EXPECT_FALSE(is_po_list_line("Please call me about 2K4GH7QZ"));
}

TEST(scan, numbers_weights_and_fc_codes) {
  EXPECT_EQ(first_integer("1,200 cartons").value(), 1200);
  EXPECT_EQ(first_integer("ABE8 then 12").value(), 12);
  EXPECT_DOUBLE_EQ(first_weight_lb("340.5 lb").value(), 340.5);
  EXPECT_NEAR(first_weight_lb("100 kg").value(), 220.5, 0.05);
  EXPECT_EQ(find_fc_code("abe8 (Breinigsville, PA)"), "ABE8");
  EXPECT_EQ(find_fc_code("Breinigsville"), "");
}

TEST(scan, cells_split_by_tab_pipe_or_wide_spaces) {
  EXPECT_EQ(split_cells("PO\tFC\tCartons").size(), 3u);
  EXPECT_EQ(split_cells("| PO | FC |").size(), 2u);
  EXPECT_EQ(split_cells("PO Number   FC     Start").size(), 3u);
  EXPECT_TRUE(is_rule_line("|----|:---:|"));
}
