// ImapSource against the private dovecot that scripts/with-dovecot.sh starts on 127.0.0.1.
#include "imap_source.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;
using dockhand::mail::ImapOptions;
using dockhand::mail::ImapProgress;
using dockhand::mail::ImapSource;
using dockhand::mail::MailError;
using dockhand::mail::RawMessage;

namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  if (!v) throw std::runtime_error(std::string(name) + " is not set: run under scripts/with-dovecot.sh");
  return v;
}

ImapOptions plain_options(const std::string& mailbox = "INBOX") {
  ImapOptions o;
  o.url = "imap://127.0.0.1:" + env("DOCKHAND_IMAP_PORT");
  o.allow_plaintext = true;
  o.user = env("DOCKHAND_IMAP_USER");
  o.password = env("DOCKHAND_IMAP_PASSWORD");
  o.mailbox = mailbox;
  return o;
}

void deliver(const std::string& fixture, const std::string& mailbox = "INBOX") {
  std::string cmd = env("DOCKHAND_DOVECOT_DELIVER") + " '" + std::string(DOCKHAND_EMAIL_FIXTURES) + "/" + fixture +
                    "' '" + mailbox + "'";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
}

const char* kFixtures[] = {"01-plain-key-value.eml", "02-per-po-blocks.eml", "03-html-table.eml",
                           "04-forwarded.eml", "05-reply-quoted.eml"};

std::string temp_state() {
  std::string tmpl = (fs::temp_directory_path() / "dockhand-imap-state-XXXXXX").string();
  return std::string(::mkdtemp(tmpl.data())) + "/imap.json";
}

}  // namespace

TEST(imap, fetches_unseen_mail_delivered_by_lda) {
  for (int i = 0; i < 3; ++i) deliver(kFixtures[i]);
  ImapSource src(plain_options());
  auto got = src.fetch_new();
  ASSERT_EQ(got.size(), 3u);
  EXPECT_NE(got[0].bytes.find("Subject: Routing request - PO 2K4GH7QZ"), std::string::npos);
  EXPECT_NE(got[2].bytes.find("6P8LM1UD"), std::string::npos);
  auto uidvalidity = std::to_string(src.progress().uidvalidity);
  EXPECT_EQ(got[0].source_id, "imap:" + uidvalidity + ":1");
  EXPECT_EQ(got[2].source_id, "imap:" + uidvalidity + ":3");
  // Nothing handled yet: the same messages come back (a failed store loses nothing).
  EXPECT_EQ(src.fetch_new().size(), 3u);
  EXPECT_EQ(src.fetch_new(2).size(), 2u);
}

TEST(imap, skips_uids_already_handled_across_restarts) {
  for (int i = 0; i < 4; ++i) deliver(kFixtures[i]);
  std::string state = temp_state();
  std::vector<ImapProgress> reported;
  {
    ImapOptions o = plain_options();
    o.state_file = state;
    ImapSource src(o, [&](const ImapProgress& p) { reported.push_back(p); });
    auto got = src.fetch_new();
    ASSERT_EQ(got.size(), 4u);
    src.mark_handled(got[1]);  // out of order: UID 2 first; UID 1 still pending, so progress stays at 0
    EXPECT_EQ(src.progress().last_uid, 0u);
    src.mark_handled(got[0]);
    EXPECT_EQ(src.progress().last_uid, 2u);
  }  // "crash" with UIDs 3 and 4 fetched but not handled
  ASSERT_FALSE(reported.empty());
  EXPECT_EQ(reported.back().last_uid, 2u);
  {
    ImapOptions o = plain_options();
    o.state_file = state;
    ImapSource src(o);
    EXPECT_EQ(src.progress().last_uid, 2u);  // loaded from the state file
    auto got = src.fetch_new();
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(got[0].source_id.substr(got[0].source_id.rfind(':')), ":3");
  }
  // UID tracking alone (no move involved): a source told UIDs up to 3 are handled skips them even though
  // they are still in the mailbox.
  ImapSource fresh(plain_options(), {}, ImapProgress{reported.back().uidvalidity, 3});
  auto got = fresh.fetch_new();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].source_id.substr(got[0].source_id.rfind(':')), ":4");
  fs::remove_all(fs::path(state).parent_path());
}

TEST(imap, uidvalidity_change_reads_the_mailbox_again) {
  deliver(kFixtures[0], "Requests");
  deliver(kFixtures[1], "Requests");
  ImapSource src(plain_options("Requests"));
  auto first = src.fetch_new();
  ASSERT_EQ(first.size(), 2u);
  src.mark_handled(first[0]);
  src.mark_handled(first[1]);
  ImapProgress before = src.progress();
  EXPECT_EQ(before.last_uid, 2u);
  // The mailbox is deleted and made again (a server migration does this): UIDs restart from 1.
  // (Dovecot derives UIDVALIDITY from the clock, so within one second it would repeat: set it explicitly.)
  std::string doveadm = env("DOCKHAND_DOVECOT_DOVEADM");
  ASSERT_EQ(std::system((doveadm + " mailbox delete Requests").c_str()), 0);
  ASSERT_EQ(std::system((doveadm + " mailbox create Requests").c_str()), 0);
  ASSERT_EQ(std::system((doveadm + " mailbox update --uid-validity " + std::to_string(before.uidvalidity + 7) +
                         " Requests").c_str()),
            0);
  deliver(kFixtures[2], "Requests");
  deliver(kFixtures[3], "Requests");
  auto again = src.fetch_new();
  ASSERT_EQ(again.size(), 2u) << "UIDs 1 and 2 of the new mailbox must not be skipped";
  EXPECT_EQ(src.progress().uidvalidity, before.uidvalidity + 7);
  EXPECT_EQ(src.progress().last_uid, 0u);
  EXPECT_NE(again[0].bytes.find("6P8LM1UD"), std::string::npos);
  // A message id from the old UIDVALIDITY no longer names anything.
  EXPECT_THROW(src.mark_handled(first[0]), MailError);
}

namespace {
void expect_moved(bool use_move) {
  for (int i = 0; i < 3; ++i) deliver(kFixtures[i]);
  ImapOptions o = plain_options();
  o.use_move = use_move;
  o.handled_mailbox = "Dockhand/Handled";
  ImapSource src(o);
  auto got = src.fetch_new();
  ASSERT_EQ(got.size(), 3u);
  src.mark_handled(got[0]);
  src.mark_handled(got[2]);
  auto left = src.fetch_new();
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].bytes, got[1].bytes);
  // A fresh source with no progress sees only what is left in the INBOX: the move is real.
  EXPECT_EQ(ImapSource(plain_options()).fetch_new().size(), 1u);
  // And the handled mailbox holds the two, byte for byte.
  ImapOptions h = plain_options("Dockhand/Handled");
  h.handled_mailbox = "Elsewhere";
  auto handled = ImapSource(h).fetch_new();
  ASSERT_EQ(handled.size(), 2u);
  EXPECT_EQ(handled[0].bytes, got[0].bytes);
  EXPECT_EQ(handled[1].bytes, got[2].bytes);
}
}  // namespace

TEST(imap, handled_messages_move_to_the_handled_mailbox) { expect_moved(true); }
TEST(imap, copy_store_expunge_fallback_moves_too) { expect_moved(false); }

TEST(imap, wrong_password_is_a_clear_error_without_the_password) {
  deliver(kFixtures[0]);
  ImapOptions o = plain_options();
  o.password = "Wr0ng-" + o.password;
  ImapSource src(o);
  try {
    src.fetch_new();
    FAIL() << "login with a wrong password must fail";
  } catch (const MailError& e) {
    std::string what = e.what();
    EXPECT_EQ(what.find(o.password), std::string::npos) << what;
    EXPECT_EQ(what.find(env("DOCKHAND_IMAP_PASSWORD")), std::string::npos) << what;
    EXPECT_NE(what.find("Login denied"), std::string::npos) << what;
    EXPECT_NE(what.find("127.0.0.1"), std::string::npos) << what;
  }
  EXPECT_EQ(src.describe().find(env("DOCKHAND_IMAP_PASSWORD")), std::string::npos);
}

TEST(imap, imaps_verifies_the_server_certificate) {
  deliver(kFixtures[0]);
  ImapOptions o = plain_options();
  o.url = "imaps://127.0.0.1:" + env("DOCKHAND_IMAPS_PORT");
  o.allow_plaintext = false;
  o.ca_file = env("DOCKHAND_IMAP_CA");
  auto got = ImapSource(o).fetch_new();
  ASSERT_EQ(got.size(), 1u);
  // Without the CA the self-signed certificate is refused.
  o.ca_file.clear();
  o.connect_timeout_ms = 5000;
  try {
    ImapSource(o).fetch_new();
    FAIL() << "an unverified certificate must be refused";
  } catch (const MailError& e) {
    EXPECT_NE(std::string(e.what()).find("certificate"), std::string::npos) << e.what();
  }
}

TEST(imap, starttls_is_required_on_plain_imap_urls) {
  deliver(kFixtures[0]);
  ImapOptions o = plain_options();
  o.allow_plaintext = false;  // imap:// now means STARTTLS or nothing
  o.ca_file = env("DOCKHAND_IMAP_CA");
  EXPECT_EQ(ImapSource(o).fetch_new().size(), 1u);
  o.ca_file.clear();
  EXPECT_THROW(ImapSource(o).fetch_new(), MailError);  // it did go through TLS: the certificate is checked
}

TEST(imap, xoauth2_bearer_logs_in) {
  deliver(kFixtures[0]);
  ImapOptions o = plain_options();
  // The private dovecot checks bearer tokens against its password file.
  o.xoauth2_bearer = o.password;
  o.password.clear();
  ImapSource src(o);
  EXPECT_NE(src.describe().find("XOAUTH2"), std::string::npos);
  EXPECT_EQ(src.describe().find(o.xoauth2_bearer), std::string::npos);
  EXPECT_EQ(src.fetch_new().size(), 1u);
  o.xoauth2_bearer = "expired-token";
  try {
    ImapSource(o).fetch_new();
    FAIL();
  } catch (const MailError& e) {
    EXPECT_EQ(std::string(e.what()).find("expired-token"), std::string::npos) << e.what();
  }
}

TEST(imap_config, rejects_credentials_in_url) {
  ImapOptions o;
  o.user = "u";
  o.password = "secret-pw";
  o.url = "imaps://u:secret-pw@mail.example.com";
  try {
    ImapSource src(o);
    FAIL();
  } catch (const MailError& e) {
    EXPECT_EQ(std::string(e.what()).find("secret-pw"), std::string::npos) << e.what();
  }
  o.url = "https://mail.example.com";
  EXPECT_THROW(ImapSource{o}, MailError);
  o.url = "imaps://mail.example.com";
  o.password.clear();
  EXPECT_THROW(ImapSource{o}, MailError);
}
