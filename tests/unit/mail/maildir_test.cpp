#include "maildir_source.h"

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <thread>

namespace fs = std::filesystem;
using dockhand::mail::MailError;
using dockhand::mail::MaildirOptions;
using dockhand::mail::MaildirSource;

namespace {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "dockhand-maildir-XXXXXX").string();
    path = ::mkdtemp(tmpl.data());
  }
  ~TempDir() { fs::remove_all(path); }
  fs::path path;
};

std::string message(int n) {
  return "From: vendor@example.com\r\nSubject: Routing request " + std::to_string(n) +
         "\r\nMessage-ID: <" + std::to_string(n) + "@example.com>\r\n\r\nPO: 2K4GH7QZ\r\n";
}

std::size_t count_files(const fs::path& dir) {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) ++n;
  return n;
}

}  // namespace

TEST(maildir, reads_new_and_cur_but_not_tmp) {
  TempDir dir;
  MaildirSource src({dir.path});
  MaildirSource::deliver(dir.path, message(1));
  // A message already seen by a mail client sits in cur/ with flags.
  std::ofstream(dir.path / "cur" / "1000.M1P1.host:2,S") << message(2);
  // Delivery in progress: only in tmp/.
  std::ofstream(dir.path / "tmp" / "2000.M1P1.host") << "From: half-written";
  auto got = src.fetch_new();
  ASSERT_EQ(got.size(), 2u);
  std::set<std::string> ids{got[0].source_id, got[1].source_id};
  EXPECT_TRUE(ids.count("maildir:1000.M1P1.host"));  // flags are not part of the identity
  for (const auto& m : got) EXPECT_EQ(m.bytes.find("half-written"), std::string::npos);
}

TEST(maildir, handled_messages_move_to_the_handled_folder_and_stay_there) {
  TempDir dir;
  MaildirSource src({dir.path});
  MaildirSource::deliver(dir.path, message(1));
  MaildirSource::deliver(dir.path, message(2));
  auto got = src.fetch_new();
  ASSERT_EQ(got.size(), 2u);
  src.mark_handled(got[0]);
  EXPECT_EQ(count_files(dir.path / ".Handled" / "cur"), 1u);
  auto again = src.fetch_new();
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].source_id, got[1].source_id);
  EXPECT_NO_THROW(src.mark_handled(got[0]));  // idempotent
  src.mark_handled(again[0]);
  EXPECT_TRUE(src.fetch_new().empty());
  EXPECT_EQ(count_files(dir.path / ".Handled" / "cur"), 2u);
  // The moved file is byte for byte the delivered message.
  std::set<std::string> contents;
  for (const auto& e : fs::directory_iterator(dir.path / ".Handled" / "cur")) {
    std::ifstream in(e.path(), std::ios::binary);
    contents.insert(std::string(std::istreambuf_iterator<char>(in), {}));
  }
  EXPECT_TRUE(contents.count(message(1)));
  EXPECT_TRUE(contents.count(message(2)));
}

TEST(maildir, handled_folder_is_configurable) {
  TempDir dir;
  MaildirSource src({dir.path, ".Dockhand.Done"});
  MaildirSource::deliver(dir.path, message(7));
  auto got = src.fetch_new();
  ASSERT_EQ(got.size(), 1u);
  src.mark_handled(got[0]);
  EXPECT_EQ(count_files(dir.path / ".Dockhand.Done" / "cur"), 1u);
  EXPECT_THROW(MaildirSource({dir.path, "../escape"}), MailError);
}

TEST(maildir, unhandled_messages_come_back_after_a_restart) {
  TempDir dir;
  for (int i = 0; i < 5; ++i) MaildirSource::deliver(dir.path, message(i));
  {
    MaildirSource src({dir.path});
    auto got = src.fetch_new();
    ASSERT_EQ(got.size(), 5u);
    src.mark_handled(got[0]);
    src.mark_handled(got[1]);
  }  // "crash": three fetched but never marked
  MaildirSource src({dir.path});
  EXPECT_EQ(src.fetch_new().size(), 3u);
}

TEST(maildir, fetch_respects_max_and_delivery_order) {
  TempDir dir;
  MaildirSource src({dir.path});
  std::vector<std::string> names;
  for (int i = 0; i < 10; ++i) names.push_back(MaildirSource::deliver(dir.path, message(i)));
  auto got = src.fetch_new(4);
  ASSERT_EQ(got.size(), 4u);
  for (std::size_t i = 0; i < 4; ++i) EXPECT_EQ(got[i].source_id, "maildir:" + names[i]);  // delivery order
}

TEST(maildir, unknown_message_is_a_clear_error) {
  TempDir dir;
  MaildirSource src({dir.path});
  try {
    src.mark_handled({"maildir:nope", ""});
    FAIL();
  } catch (const MailError& e) {
    EXPECT_NE(std::string(e.what()).find("nope"), std::string::npos) << e.what();
  }
  EXPECT_THROW(src.mark_handled({"imap:1:2", ""}), MailError);
  EXPECT_THROW(MaildirSource({dir.path / "missing", ".Handled", false}), MailError);
}

// A delivery agent writes while the source reads: every message is handed out whole and handled exactly once.
TEST(maildir, concurrent_delivery_loses_nothing_and_reads_no_partial_file) {
  TempDir dir;
  MaildirSource src({dir.path});
  const int total = 300;
  std::thread writer([&] {
    for (int i = 0; i < total; ++i) MaildirSource::deliver(dir.path, message(i) + std::string(4096, 'x'));
  });
  std::set<std::string> handled;
  int rounds = 0;
  while (handled.size() < std::size_t(total) && rounds++ < 100000) {
    for (const auto& m : src.fetch_new(50)) {
      EXPECT_EQ(m.bytes.substr(m.bytes.size() - 4096), std::string(4096, 'x')) << "partial read";
      EXPECT_TRUE(handled.insert(m.bytes).second) << "handed out twice after being handled";
      src.mark_handled(m);
    }
  }
  writer.join();
  EXPECT_EQ(handled.size(), std::size_t(total));
  EXPECT_EQ(count_files(dir.path / ".Handled" / "cur"), std::size_t(total));
  EXPECT_EQ(count_files(dir.path / "new"), 0u);
}

TEST(maildir, delivery_order_holds_within_one_second) {
  // Names carry the microseconds unpadded (".M99P" after ".M100P" by name): the order must not come from the name.
  TempDir dir;
  MaildirSource source({dir.path});
  for (int i = 0; i < 60; ++i) {
    // Same second, microsecond counts of different lengths, written in this order.
    std::string name = "1800000000.M" + std::to_string(i % 2 ? 5 + i : 100000 + i) + "P1Q" + std::to_string(i) + ".host";
    std::ofstream(dir.path / "new" / name) << message(i);
    auto t = fs::file_time_type::clock::now() + std::chrono::milliseconds(i);
    fs::last_write_time(dir.path / "new" / name, t);
  }
  auto got = source.fetch_new(100);
  ASSERT_EQ(got.size(), 60u);
  for (int i = 0; i < 60; ++i)
    EXPECT_NE(got[i].bytes.find("Routing request " + std::to_string(i) + "\r\n"), std::string::npos) << i;
}
