// OpShip's rules for the values "Close shipment" accepts, and the --shipments file: what the close-out
// script's business failures rest on.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>

#include "shipments.h"

namespace op = dockhand::apps::opship;

TEST(Carriers, KnownOnesInAnyCaseAreMadeCanonicalOthersAreUnknown) {
  for (const char* c : {"Estes Express Lines", "ABF Freight", "XPO Logistics", "Old Dominion"})
    EXPECT_EQ(op::canonical_carrier(c), std::optional<std::string>(c));
  EXPECT_EQ(op::canonical_carrier("  abf freight "), std::optional<std::string>("ABF Freight"));
  EXPECT_EQ(op::canonical_carrier("OLD DOMINION"), std::optional<std::string>("Old Dominion"));
  EXPECT_FALSE(op::canonical_carrier("Acme Trucking"));
  EXPECT_FALSE(op::canonical_carrier("ABF"));            // no prefixes
  EXPECT_FALSE(op::canonical_carrier("ABF  Freight"));   // inner blanks count
  EXPECT_FALSE(op::canonical_carrier(""));
  EXPECT_GE(op::known_carriers().size(), 8u);
}

TEST(Dates, OnlyRealCalendarDatesInIsoForm) {
  for (const char* d : {"2026-12-03", "2024-02-29", "2000-02-29", "1990-01-01", "2099-12-31"})
    EXPECT_TRUE(op::valid_date(d)) << d;
  for (const char* d : {"2026-02-29", "1900-02-29", "2026-04-31", "2026-13-01", "2026-00-10", "2026-12-00",
                        "12/03/2026", "2026-12-3", "2026-12-03 ", "20261203", "1989-12-31", ""})
    EXPECT_FALSE(op::valid_date(d)) << d;
}

TEST(Pos, CommaSeparatedEightCharacterCodesCaseAndBlanksIgnored) {
  std::string bad;
  auto pos = op::parse_pos(" 2k4gh7qz , 7HXQ3M2P", bad);
  ASSERT_TRUE(pos);
  EXPECT_EQ(*pos, (std::vector<std::string>{"2K4GH7QZ", "7HXQ3M2P"}));
  EXPECT_EQ(op::join_pos(*pos), "2K4GH7QZ,7HXQ3M2P");
  ASSERT_TRUE(op::parse_pos("", bad));
  EXPECT_TRUE(op::parse_pos("  ", bad)->empty());
  EXPECT_FALSE(op::parse_pos("2K4GH7QZ,SHORT", bad));
  EXPECT_EQ(bad, "SHORT");
  EXPECT_FALSE(op::parse_pos("2K4GH7QZ,", bad));  // an empty entry
  EXPECT_EQ(bad, "");
  EXPECT_FALSE(op::parse_pos("2K4GH7Q!", bad));
}

TEST(Counts, DigitsOnlyWithinTheRange) {
  EXPECT_EQ(op::parse_count("140", 1, 99999), 140);
  EXPECT_EQ(op::parse_count(" 007 ", 0, 999), 7);
  EXPECT_FALSE(op::parse_count("0", 1, 99999));
  EXPECT_FALSE(op::parse_count("100000", 1, 99999));
  EXPECT_FALSE(op::parse_count("-1", 0, 999));
  EXPECT_FALSE(op::parse_count("1e3", 0, 99999));
  EXPECT_FALSE(op::parse_count("", 0, 999));
}

TEST(ShipmentIds, TheShapeOfAmazonVendorShipmentIdentifiers) {
  EXPECT_TRUE(op::valid_shipment_id("DH-2K4GH7QZ-CLT2-1A2B3C4D"));
  EXPECT_TRUE(op::valid_shipment_id("DH-1"));
  EXPECT_FALSE(op::valid_shipment_id("DH-"));
  EXPECT_FALSE(op::valid_shipment_id("dh-2k4gh7qz"));
  EXPECT_FALSE(op::valid_shipment_id(std::string(33, 'A')));
}

TEST(BuiltinList, ThirtyOpenShipmentsWithDistinctValidIdsAndPaddingIsDeterministic) {
  auto v = op::builtin_shipments();
  EXPECT_EQ(v.size(), 30u);
  std::set<std::string> ids;
  for (const auto& s : v) {
    EXPECT_TRUE(op::valid_shipment_id(s.id)) << s.id;
    EXPECT_EQ(s.status, "Open");
    EXPECT_TRUE(ids.insert(s.id).second) << s.id;
  }
  auto a = v, b = v;
  op::pad_shipments(a, 400, 7);
  op::pad_shipments(b, 400, 7);
  ASSERT_EQ(a.size(), 400u);
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].id, b[i].id);
    EXPECT_TRUE(op::valid_shipment_id(a[i].id)) << a[i].id;
    EXPECT_TRUE(ids.insert(a[i].id).second || i < 30) << a[i].id;
  }
}

namespace {
std::string write_temp(const std::string& text) {
  static int n = 0;
  auto path = std::filesystem::temp_directory_path() /
              ("opship-shipments-" + std::to_string(::getpid()) + "-" + std::to_string(++n) + ".json");
  std::ofstream(path) << text;
  return path.string();
}
std::string load_error(const std::string& text) {
  auto path = write_temp(text);
  try {
    op::load_shipments(path);
  } catch (const std::runtime_error& e) {
    std::filesystem::remove(path);
    return e.what();
  }
  std::filesystem::remove(path);
  return "";
}
}  // namespace

TEST(ShipmentsFile, GoodEntriesLoadAndBadOnesNameTheEntryAndField) {
  auto path = write_temp(R"([{"id":"DH-A1-0001","pos":"2k4gh7qz,7HXQ3M2P","cartons":12},
                            {"id":"DH-A1-0002","status":"Closed","bol":"BOL0471826","carrier":"Old Dominion"}])");
  auto v = op::load_shipments(path);
  std::filesystem::remove(path);
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0].status, "Open");
  EXPECT_EQ(v[0].pos, "2K4GH7QZ,7HXQ3M2P");
  EXPECT_EQ(v[0].cartons, "12");
  EXPECT_EQ(v[1].bol, "BOL0471826");

  auto has = [](const std::string& msg, const std::string& part) { return msg.find(part) != std::string::npos; };
  std::string e = load_error(R"([{"id":"DH-OK-0001"},{"id":"dh x"}])");
  EXPECT_TRUE(has(e, "entry 1") && has(e, "\"id\"")) << e;
  e = load_error(R"([{"id":"DH-OK-0001","status":"Shipped"}])");
  EXPECT_TRUE(has(e, "entry 0") && has(e, "\"status\"")) << e;
  e = load_error(R"([{"id":"DH-OK-0001","status":"Closed"}])");
  EXPECT_TRUE(has(e, "\"bol\"")) << e;
  e = load_error(R"([{"id":"DH-OK-0001","bol":"BOL12"}])");
  EXPECT_TRUE(has(e, "\"bol\"")) << e;
  e = load_error(R"([{"id":"DH-OK-0001","pos":"SHORT"}])");
  EXPECT_TRUE(has(e, "\"pos\"") && has(e, "SHORT")) << e;
  e = load_error(R"([{"id":"DH-OK-0001","colour":"red"}])");
  EXPECT_TRUE(has(e, "unknown field \"colour\"")) << e;
  e = load_error(R"([{"id":"DH-OK-0001"},{"id":"DH-OK-0001"}])");
  EXPECT_TRUE(has(e, "appears twice")) << e;
  e = load_error("{\"id\":1}");
  EXPECT_TRUE(has(e, "list")) << e;
  e = load_error("not json");
  EXPECT_TRUE(has(e, "not JSON")) << e;
  EXPECT_TRUE(has(load_error(""), "not JSON"));
}
