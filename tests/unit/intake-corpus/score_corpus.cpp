// Scores the intake on a corpus directory (NAME.eml beside NAME.json, the fixtures' format): every fixed
// field of every request compared, and each request as a whole (its decision, whether it needs a human,
// all its fields). Prints "fields right/total" and "requests right/total"; exits 0 only when both are
// complete, else 1 with the first differences. Used by ctest on tests/fixtures/emails and on the corpus
// tests/intake-corpus/generate.py writes.
#include "routing_request.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool same(const json& a, const json& b) {
  if (a.is_number() && b.is_number()) return std::fabs(a.get<double>() - b.get<double>()) < 0.05;
  return a == b;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: intake_corpus_score DIR [MAX_DIFFS]\n");
    return 2;
  }
  std::size_t max_diffs = argc > 2 ? std::size_t(std::atoi(argv[2])) : 20;
  std::vector<fs::path> emails;
  for (const auto& e : fs::directory_iterator(argv[1]))
    if (e.path().extension() == ".eml") emails.push_back(e.path());
  std::sort(emails.begin(), emails.end());
  if (emails.empty()) {
    std::fprintf(stderr, "no .eml files in %s\n", argv[1]);
    return 2;
  }
  std::size_t fields = 0, fields_right = 0, requests = 0, requests_right = 0, diffs = 0;
  std::size_t routing = 0, possible = 0, other = 0, quarantined = 0;
  for (const auto& eml : emails) {
    fs::path jp = eml;
    jp.replace_extension(".json");
    json expected = json::parse(slurp(jp));
    ++requests;
    std::vector<std::string> wrong;
    json actual;
    bool was_quarantined = false;
    std::string quarantine_reason;
    try {
      actual = dockhand::intake::extract(slurp(eml));
    } catch (const dockhand::intake::QuarantineError& e) {
      was_quarantined = true;
      quarantine_reason = e.what();
    }
    if (expected.value("quarantined", false)) {
      ++quarantined;
      ++fields;
      bool ok = was_quarantined && quarantine_reason.find(expected.value("reason", std::string())) != std::string::npos;
      fields_right += ok;
      if (!ok) wrong.push_back("expected quarantine (" + expected.value("reason", std::string()) + ")");
    } else if (was_quarantined) {
      ++fields;
      wrong.push_back("quarantined: " + quarantine_reason);
    } else {
      std::string cls = expected.at("classification");
      (cls == "amazon_routing_request" ? routing : cls == "possible_routing_request" ? possible : other)++;
      auto check = [&](const std::string& name, const json& want, const json& got) {
        ++fields;
        if (same(want, got)) ++fields_right;
        else wrong.push_back(name + ": expected " + want.dump() + ", got " + got.dump());
      };
      check("classification", expected["classification"], actual["classification"]);
      check("needs_attention", expected.value("needs_attention", false), !actual["attention"].is_null());
      if (cls != "possible_routing_request") {
        for (const char* k : {"vendor_code", "ship_from", "freight_ready_date"}) check(k, expected[k], actual[k]);
        const auto& want_pos = expected["purchase_orders"];
        const auto& got_pos = actual["purchase_orders"];
        check("PO count", want_pos.size(), got_pos.size());
        for (std::size_t i = 0; i < want_pos.size(); ++i) {
          json got = i < got_pos.size() ? got_pos[i] : json::object();
          for (const char* k : {"po", "destination_fc", "ship_window_start", "ship_window_end", "cartons", "pallets", "weight_lb"})
            check("PO " + want_pos[i]["po"].get<std::string>() + " " + k, want_pos[i][k], got.value(k, json()));
        }
      }
      if (!wrong.empty() && !actual["attention"].is_null())
        wrong.push_back("attention: " + actual["attention"]["reason"].get<std::string>());
    }
    if (wrong.empty()) {
      ++requests_right;
    } else if (diffs++ < max_diffs) {
      std::printf("%s:\n", eml.filename().c_str());
      for (const auto& w : wrong) std::printf("    %s\n", w.c_str());
    }
  }
  std::printf("intake corpus %s: %zu emails (%zu routing requests, %zu possible, %zu other, %zu quarantined)\n", argv[1],
              emails.size(), routing, possible, other, quarantined);
  std::printf("  fields right   %zu / %zu (%.2f%%)\n", fields_right, fields, 100.0 * double(fields_right) / double(fields));
  std::printf("  requests right %zu / %zu (%.2f%%)\n", requests_right, requests, 100.0 * double(requests_right) / double(requests));
  return fields_right == fields && requests_right == requests ? 0 : 1;
}
