// Walks tests/fixtures/emails: every NAME.eml must extract to what NAME.json says (see make_fixtures.py).
#include <algorithm>
#include "routing_request.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace fs = std::filesystem;
using dockhand::intake::extract;
using dockhand::intake::QuarantineError;
using nlohmann::json;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<fs::path> fixtures() {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(DOCKHAND_EMAIL_FIXTURES))
    if (e.path().extension() == ".eml") out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

// Numbers compare within 0.05 (weights are written with one or two decimals); everything else exactly.
bool same(const json& a, const json& b) {
  if (a.is_number() && b.is_number()) return std::fabs(a.get<double>() - b.get<double>()) < 0.05;
  if (a.is_object() && b.is_object()) {
    if (a.size() != b.size()) return false;
    for (auto it = a.begin(); it != a.end(); ++it)
      if (!b.contains(it.key()) || !same(it.value(), b.at(it.key()))) return false;
    return true;
  }
  if (a.is_array() && b.is_array()) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
      if (!same(a[i], b[i])) return false;
    return true;
  }
  return a == b;
}

// The fixed fields of the schema, without the provenance ("sources") each value carries.
json fixed_fields(json j) {
  if (j.is_array())
    for (auto& e : j) e = fixed_fields(e);
  if (j.is_object()) j.erase("sources");
  return j;
}

}  // namespace

TEST(corpus, has_at_least_30_varied_messages) {
  auto all = fixtures();
  EXPECT_GE(all.size(), 30u);
  std::size_t routing = 0, other = 0, quarantined = 0, possible = 0;
  for (const auto& eml : all) {
    fs::path expected = eml;
    expected.replace_extension(".json");
    ASSERT_TRUE(fs::exists(expected)) << "no expected JSON beside " << eml;
    json j = json::parse(slurp(expected));
    if (j.value("quarantined", false)) ++quarantined;
    else if (j.at("classification") == "amazon_routing_request") ++routing;
    else if (j.at("classification") == "possible_routing_request") ++possible;
    else ++other;
  }
  EXPECT_GE(routing, 20u);
  EXPECT_GE(possible, 3u);
  EXPECT_GE(other, 5u);
  EXPECT_GE(quarantined, 3u);
}

TEST(corpus, every_fixture_extracts_as_expected) {
  for (const auto& eml : fixtures()) {
    SCOPED_TRACE(eml.filename().string());
    fs::path expected_path = eml;
    expected_path.replace_extension(".json");
    json expected = json::parse(slurp(expected_path));
    std::string raw = slurp(eml);
    if (expected.value("quarantined", false)) {
      try {
        auto rr = extract(raw);
        ADD_FAILURE() << "expected quarantine, got " << json(rr).dump();
      } catch (const QuarantineError& e) {
        EXPECT_NE(std::string(e.what()).find(expected.at("reason").get<std::string>()), std::string::npos)
            << "reason: " << e.what();
      }
      continue;
    }
    json actual;
    try {
      actual = extract(raw);
    } catch (const QuarantineError& e) {
      ADD_FAILURE() << "unexpected quarantine: " << e.what();
      continue;
    }
    EXPECT_EQ(actual["classification"], expected["classification"]) << actual["classification_reason"];
    // Doubt goes to a human: a request not read in full, or signals of one, carry the attention note.
    EXPECT_EQ(!actual["attention"].is_null(), expected.value("needs_attention", false)) << actual["attention"].dump();
    if (expected.contains("attention_contains")) {
      EXPECT_NE(actual["attention"].dump().find(expected["attention_contains"].get<std::string>()), std::string::npos)
          << actual["attention"].dump();
    }
    if (expected["classification"] == "possible_routing_request") {
      EXPECT_NE(actual["classification_reason"].get<std::string>().find(expected["reason_contains"].get<std::string>()),
                std::string::npos)
          << "reason: " << actual["classification_reason"];
      continue;
    }
    for (const char* key : {"classification", "vendor_code", "ship_from", "freight_ready_date", "purchase_orders"}) {
      ASSERT_TRUE(expected.contains(key)) << "expected JSON lacks fixed field " << key;
      EXPECT_TRUE(same(expected[key], fixed_fields(actual[key])))
          << key << "\n  expected " << expected[key].dump() << "\n  actual   " << actual[key].dump();
    }
    // Every value says where it came from.
    for (const auto& po : actual["purchase_orders"])
      for (auto it = po.begin(); it != po.end(); ++it)
        if (it.key() != "sources" && !it.value().is_null())
          EXPECT_TRUE(po["sources"].contains(it.key())) << "no source for " << it.key() << " in " << po.dump();
    auto want = expected.value("warnings", std::vector<std::string>{});
    auto got = actual["warnings"].get<std::vector<std::string>>();
    EXPECT_EQ(want.size(), got.size()) << "warnings: " << actual["warnings"].dump();
    for (std::size_t i = 0; i < want.size() && i < got.size(); ++i)
      EXPECT_NE(got[i].find(want[i]), std::string::npos) << "warning " << i << ": " << got[i];
    if (expected.contains("reason_contains")) {
      EXPECT_NE(actual["classification_reason"].get<std::string>().find(expected["reason_contains"].get<std::string>()),
                std::string::npos)
          << "reason: " << actual["classification_reason"];
    }
    EXPECT_FALSE(actual["classification_reason"].get<std::string>().empty());
    // A notice: its kind, the POs it names (in any order), the chargeback reason, references among those read.
    if (expected.contains("notice")) {
      const auto& want = expected["notice"];
      ASSERT_TRUE(actual.contains("notice")) << actual.dump();
      const auto& got = actual["notice"];
      EXPECT_EQ(got["kind"], want["kind"]);
      auto want_pos = want["pos"].get<std::vector<std::string>>();
      auto got_pos = got["pos"].get<std::vector<std::string>>();
      std::sort(want_pos.begin(), want_pos.end());
      std::sort(got_pos.begin(), got_pos.end());
      EXPECT_EQ(want_pos, got_pos) << got.dump();
      if (want.contains("reason")) EXPECT_EQ(got["reason"], want["reason"]) << got.dump();
      for (const auto& ref : want.value("references", json::array()))
        EXPECT_NE(std::find(got["references"].begin(), got["references"].end(), ref), got["references"].end())
            << ref << " not among " << got["references"].dump();
      for (const auto& po : got["pos"]) EXPECT_TRUE(got["sources"].contains(po.get<std::string>())) << "no source for " << po;
    } else {
      EXPECT_FALSE(actual.contains("notice")) << actual["notice"].dump();
    }
    // Fixed shape: every PO carries every field, null when absent.
    for (const auto& po : actual["purchase_orders"])
      for (const char* f : {"po", "destination_fc", "ship_window_start", "ship_window_end", "cartons", "pallets", "weight_lb"})
        EXPECT_TRUE(po.contains(f)) << f;
  }
}

TEST(corpus, json_round_trips) {
  auto rr = extract(slurp(fs::path(DOCKHAND_EMAIL_FIXTURES) / "02-per-po-blocks.eml"));
  json j = rr;
  dockhand::intake::RoutingRequest back = j.get<dockhand::intake::RoutingRequest>();
  EXPECT_EQ(json(back), j);
}
