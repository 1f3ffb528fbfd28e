// Bad input: nothing crashes, nothing is silently dropped; each case is quarantined or flagged with its reason.
#include "routing_request.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

using dockhand::intake::extract;
using dockhand::intake::ExtractOptions;
using dockhand::intake::QuarantineError;

namespace {

const char* kHeaders =
    "From: Dana Ruiz <dana@acme-widgets.example>\r\nTo: routing@dockhand-3pl.example\r\n"
    "Subject: Routing request PO 2K4GH7QZ\r\nMessage-ID: <bad-input@acme-widgets.example>\r\nMIME-Version: 1.0\r\n";
const char* kBody =
    "Vendor code: ACMEW\r\nShip from: ORL1\r\nPO: 2K4GH7QZ\r\nDestination FC: ABE8\r\nCartons: 12\r\n";

std::string with_attachment(std::size_t attachment_bytes) {
  std::string m = kHeaders;
  m += "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n";
  m += kBody;
  m += "--b\r\nContent-Type: text/csv; name=\"pos.csv\"\r\n"
       "Content-Disposition: attachment; filename=\"pos.csv\"\r\nContent-Transfer-Encoding: base64\r\n\r\n";
  std::string line(76, 'A');
  line += "\r\n";
  for (std::size_t n = 0; n < attachment_bytes; n += 57) m += line;  // 76 base64 chars = 57 bytes
  m += "--b--\r\n";
  return m;
}

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TEST(bad_input, twenty_megabyte_attachment_is_quarantined_with_its_size) {
  std::string m = with_attachment(20u * 1024 * 1024);
  try {
    extract(m);
    FAIL() << "a 27 MB message (20 MB attachment, base64) must be quarantined";
  } catch (const QuarantineError& e) {
    EXPECT_NE(std::string(e.what()).find("over the 25.0 MB limit"), std::string::npos) << e.what();
  }
}

TEST(bad_input, large_attachment_under_the_message_limit_is_skipped_with_a_warning) {
  ExtractOptions options;
  options.max_message_bytes = 64u * 1024 * 1024;
  auto rr = extract(with_attachment(20u * 1024 * 1024), options);
  EXPECT_TRUE(rr.is_routing_request());
  ASSERT_EQ(rr.purchase_orders.size(), 1u);
  EXPECT_EQ(rr.purchase_orders[0].cartons, 12);
  ASSERT_FALSE(rr.warnings.empty());
  EXPECT_NE(rr.warnings[0].find("pos.csv"), std::string::npos) << rr.warnings[0];
  EXPECT_NE(rr.warnings[0].find("part limit"), std::string::npos) << rr.warnings[0];
}

TEST(bad_input, html_bomb_deep_nesting_is_read_flat) {
  for (const char* tag : {"div", "table", "b", "blockquote"}) {
    std::string html;
    for (int i = 0; i < 200000; ++i) html += std::string("<") + tag + ">";
    html += "Routing request. PO: 2K4GH7QZ. Destination FC: ABE8";
    std::string m = std::string(kHeaders) + "Content-Type: text/html\r\n\r\n" + html;
    auto rr = extract(m);
    EXPECT_TRUE(rr.is_routing_request()) << tag;
    ASSERT_FALSE(rr.warnings.empty()) << tag;
    EXPECT_NE(rr.warnings[0].find("levels deep"), std::string::npos) << rr.warnings[0];
  }
}

TEST(bad_input, huge_text_body_is_cut_with_a_warning) {
  std::string m = std::string(kHeaders) + "Content-Type: text/plain\r\n\r\n" + kBody;
  std::string filler = "lorem ipsum dolor sit amet, consectetur adipiscing elit\r\n";
  while (m.size() < 4u * 1024 * 1024) m += filler;
  auto rr = extract(m);
  EXPECT_TRUE(rr.is_routing_request());
  bool cut = false;
  for (const auto& w : rr.warnings) cut |= w.find("was cut") != std::string::npos;
  EXPECT_TRUE(cut);
}

TEST(bad_input, mime_bomb_is_quarantined) {
  std::string m = std::string(kHeaders);
  for (int i = 0; i < 5000; ++i)
    m += "Content-Type: multipart/mixed; boundary=\"b" + std::to_string(i) + "\"\r\n\r\n--b" + std::to_string(i) + "\r\n";
  m += "Content-Type: text/plain\r\n\r\n" + std::string(kBody);
  EXPECT_THROW(extract(m), QuarantineError);
}

TEST(bad_input, empty_and_whitespace_messages_are_quarantined) {
  for (const char* m : {"", "\r\n\r\n   \r\n"}) {
    try {
      extract(m);
      FAIL() << "empty message must be quarantined";
    } catch (const QuarantineError& e) {
      EXPECT_STREQ(e.what(), "message is empty");
    }
  }
}

// Every corpus message cut short or with bytes overwritten at random: extract returns or quarantines, never
// anything else (no crash, no other exception).
TEST(bad_input, mangled_messages_never_crash) {
  std::mt19937 rng(20261122);
  std::size_t quarantined = 0, extracted = 0;
  for (const auto& e : std::filesystem::directory_iterator(DOCKHAND_EMAIL_FIXTURES)) {
    if (e.path().extension() != ".eml") continue;
    std::string original = slurp(e.path());
    if (original.empty()) continue;
    for (int round = 0; round < 40; ++round) {
      std::string m = original;
      if (round % 2 == 0) {
        m.resize(std::uniform_int_distribution<std::size_t>(0, m.size())(rng));
      } else {
        for (int k = 0; k < 8; ++k)
          m[std::uniform_int_distribution<std::size_t>(0, m.size() - 1)(rng)] = char(rng() & 0xFF);
      }
      try {
        extract(m);
        ++extracted;
      } catch (const QuarantineError&) {
        ++quarantined;
      }
    }
  }
  EXPECT_GT(extracted, 0u);
  EXPECT_GT(quarantined, 0u);
}

TEST(bad_input, nul_bytes_are_read_as_spaces_nothing_is_cut) {
  static const char text[] = "Vendor code: ACMEW\r\nPO: 2K4GH7QZ\0\0\r\nDestination FC: ABE8\r\nCartons: 12\r\n";
  std::string body(text, sizeof text - 1);
  auto rr = extract(std::string(kHeaders) + "Content-Type: text/plain\r\n\r\n" + body);
  ASSERT_EQ(rr.purchase_orders.size(), 1u);
  EXPECT_EQ(rr.purchase_orders[0].cartons, 12) << "the text after the NUL bytes is read too";
}

TEST(bad_input, attachments_that_cannot_be_read_send_the_mail_to_a_human) {
  struct Case {
    const char* name;
    const char* type;
    const char* base64;
    const char* why;
  };
  for (const Case& c : {Case{"routing.pdf", "application/pdf", "JVBERi0xLjQKZ2FyYmFnZQo=", "not a readable PDF"},
                        Case{"routing.xlsx", "application/octet-stream", "UEsDBGdhcmJhZ2U=", "not a readable XLSX"},
                        Case{"routing.xls", "application/vnd.ms-excel", "0M8R4KGxGuE=", "does not read this file format"}}) {
    std::string m = kHeaders;
    m += "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nRouting request attached.\r\n";
    m += std::string("--b\r\nContent-Type: ") + c.type + "; name=\"" + c.name + "\"\r\nContent-Disposition: attachment; filename=\"" +
         c.name + "\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" + c.base64 + "\r\n--b--\r\n";
    auto rr = extract(m);
    ASSERT_TRUE(rr.needs_attention()) << c.name;
    EXPECT_NE(rr.attention->reason.find(c.name), std::string::npos) << rr.attention->reason;
    EXPECT_NE(rr.attention->reason.find(c.why), std::string::npos) << rr.attention->reason;
    EXPECT_NE(rr.classification, "other") << c.name;
  }
}
