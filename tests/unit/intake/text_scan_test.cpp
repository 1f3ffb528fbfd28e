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

TEST(scan, dates_without_a_year_take_it_from_the_email) {
  DateContext ctx{2026, 12, 20};
  auto feb = find_dates("Tuesday, Feb 2", ctx);
  ASSERT_EQ(feb.size(), 1u);
  EXPECT_EQ(feb[0].iso, "2027-02-02") << "a date after the email's, next year";
  auto dec = find_dates("2nd of December", ctx);
  ASSERT_EQ(dec.size(), 1u);
  EXPECT_EQ(dec[0].iso, "2026-12-02") << "a few weeks back: this year";
  EXPECT_FALSE(find_dates("Feb 2", DateContext{})[0].valid) << "no year and no email date: flagged";
  EXPECT_EQ(find_dates("2/6", ctx, true)[0].iso, "2027-02-06");
  EXPECT_TRUE(find_dates("2/6", ctx, false).empty()) << "bare month/day only where a label says date";
}

TEST(scan, ranges_in_every_written_form) {
  DateContext ctx{2027, 1, 25};
  for (const char* s : {"Feb 2 - Feb 6", "between Feb 2 and Feb 6", "from 2/2/2027 until 2/6/2027", "Feb 2-6",
                        "2-6 February 2027", "2027-02-02 to 2027-02-06", "Tuesday, Feb 2 - Saturday, Feb 6"}) {
    auto hits = find_dates(s, ctx, true);
    ASSERT_EQ(hits.size(), 2u) << s;
    EXPECT_EQ(hits[0].iso, "2027-02-02") << s;
    EXPECT_EQ(hits[1].iso, "2027-02-06") << s;
  }
}

TEST(scan, numbers_with_separators_and_spreadsheet_dates) {
  EXPECT_DOUBLE_EQ(first_number("2,310.5 lbs")->value, 2310.5);
  EXPECT_DOUBLE_EQ(first_number("675,5 kg")->value, 675.5);
  EXPECT_DOUBLE_EQ(first_number("1.234,5")->value, 1234.5);
  EXPECT_DOUBLE_EQ(first_number("1,200")->value, 1200);
  EXPECT_NEAR(first_weight_lb("1.234,5 kg").value(), 2721.6, 0.05);
  EXPECT_NEAR(first_weight_lb("100", true).value(), 220.5, 0.05) << "a kg column";
  EXPECT_EQ(excel_serial_date(46420), "2027-02-02");
  EXPECT_TRUE(is_po_shaped("2K4GH7QZ"));
  EXPECT_FALSE(is_po_shaped("12345678"));
  EXPECT_FALSE(is_po_shaped("ABE8"));
}
