#include "maildir_source.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <fstream>
#include <set>
#include <thread>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

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

// ---- entries that are not message files (issue 21): put aside, never followed, never blocking ----------

namespace {

std::string reason_of(const fs::path& quarantine, const std::string& name) {
  std::ifstream in(quarantine / (name + ".reason"));
  return std::string(std::istreambuf_iterator<char>(in), {});
}

bool is_link(const fs::path& p) {
  std::error_code ec;
  return fs::is_symlink(fs::symlink_status(p, ec));
}

}  // namespace

TEST(maildir, a_symlink_is_never_followed_and_is_put_aside_as_a_link) {
  TempDir dir, outside;
  MaildirSource src({dir.path});
  const std::string secret = "refresh-token-that-must-stay-where-it-is";
  std::ofstream(outside.path / "secret") << secret;
  fs::create_symlink(outside.path / "secret", dir.path / "new" / "1000.M1P1.link-to-secret");
  fs::create_symlink("/etc/passwd", dir.path / "cur" / "1001.M1P1.link-to-passwd:2,S");
  fs::create_symlink(outside.path / "missing", dir.path / "new" / "1002.M1P1.dangling");
  MaildirSource::deliver(dir.path, message(1));

  auto got = src.fetch_new();
  ASSERT_EQ(got.size(), 1u) << "only the real message";
  EXPECT_EQ(got[0].bytes, message(1));
  EXPECT_TRUE(fs::is_empty(dir.path / "cur"));
  auto q = src.quarantine_dir();
  for (std::string name : {"1000.M1P1.link-to-secret", "1001.M1P1.link-to-passwd:2,S", "1002.M1P1.dangling"}) {
    EXPECT_TRUE(is_link(q / name)) << name << " moved as the link itself";
    EXPECT_NE(reason_of(q, name).find("symbolic link"), std::string::npos) << reason_of(q, name);
  }
  // The target was neither read nor moved.
  std::ifstream in(outside.path / "secret");
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), secret);
  EXPECT_TRUE(src.fetch_new().size() == 1u) << "the real message is still unhandled, the links are gone";
}

TEST(maildir, a_fifo_does_not_block_and_is_put_aside_with_its_reason) {
  TempDir dir;
  MaildirSource src({dir.path});
  ASSERT_EQ(::mkfifo((dir.path / "new" / "1000.M1P1.fifo").c_str(), 0600), 0);
  MaildirSource::deliver(dir.path, message(2));
  auto got = src.fetch_new();  // no writer ever opens the FIFO: a blocking open would hang here
  ASSERT_EQ(got.size(), 1u);
  auto q = src.quarantine_dir();
  EXPECT_TRUE(fs::is_fifo(fs::symlink_status(q / "1000.M1P1.fifo")));
  EXPECT_NE(reason_of(q, "1000.M1P1.fifo").find("FIFO"), std::string::npos);
  EXPECT_FALSE(fs::exists(dir.path / "new" / "1000.M1P1.fifo"));
}

TEST(maildir, directories_sockets_unreadable_and_oversized_files_are_put_aside) {
  TempDir dir;
  MaildirOptions options{dir.path};
  options.max_file_bytes = 4096;
  MaildirSource src(options);
  fs::create_directories(dir.path / "new" / "1000.M1P1.dir" / "inner");
  // A socket stands in for device-like entries (making a device node needs privileges).
  int sock = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::string sock_path = (dir.path / "new" / "1001.M1P1.sock").string();
  ASSERT_LT(sock_path.size(), sizeof addr.sun_path);
  std::strcpy(addr.sun_path, sock_path.c_str());
  ASSERT_EQ(::bind(sock, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ::close(sock);
  std::ofstream(dir.path / "new" / "1002.M1P1.big") << std::string(5000, 'x');
  bool root = ::geteuid() == 0;
  std::ofstream(dir.path / "new" / "1003.M1P1.locked") << message(3);
  fs::permissions(dir.path / "new" / "1003.M1P1.locked", fs::perms::none);
  MaildirSource::deliver(dir.path, message(4));

  auto got = src.fetch_new();
  auto q = src.quarantine_dir();
  EXPECT_TRUE(fs::is_directory(fs::symlink_status(q / "1000.M1P1.dir")));
  EXPECT_NE(reason_of(q, "1000.M1P1.dir").find("directory"), std::string::npos);
  EXPECT_TRUE(fs::is_socket(fs::symlink_status(q / "1001.M1P1.sock")));
  EXPECT_NE(reason_of(q, "1001.M1P1.sock").find("socket"), std::string::npos);
  EXPECT_NE(reason_of(q, "1002.M1P1.big").find("5000 bytes, over the limit of 4096"), std::string::npos);
  if (root) {
    EXPECT_EQ(got.size(), 2u) << "root reads a mode-000 file";
  } else {
    ASSERT_EQ(got.size(), 1u);
    EXPECT_NE(reason_of(q, "1003.M1P1.locked").find("Permission denied"), std::string::npos);
  }
  EXPECT_EQ(got.back().bytes, message(4));
  // Same names again: put aside beside the first ones, nothing overwritten.
  fs::create_directories(dir.path / "new" / "1000.M1P1.dir");
  src.fetch_new();
  EXPECT_TRUE(fs::is_directory(q / "1000.M1P1.dir-1"));
  EXPECT_TRUE(fs::exists(q / "1000.M1P1.dir-1.reason"));
  EXPECT_THROW(MaildirSource({dir.path, ".Handled", true, "new"}), MailError);
  EXPECT_THROW(MaildirSource({dir.path, ".Handled", true, "../x"}), MailError);
}

// Files deleted while the reader lists and opens them: skipped quietly, no error, nothing half read.
TEST(maildir, files_removed_right_after_they_appear_are_skipped) {
  TempDir dir;
  MaildirSource src({dir.path});
  std::atomic<bool> done{false};
  std::thread remover([&] {
    for (int i = 0; i < 400; ++i) {
      auto name = MaildirSource::deliver(dir.path, message(i));
      std::error_code ec;
      fs::remove(dir.path / "new" / name, ec);
    }
    done = true;
  });
  int rounds = 0;
  while (!done) {
    ++rounds;
    for (const auto& m : src.fetch_new(1000)) EXPECT_NE(m.bytes.find("Routing request"), std::string::npos);
  }
  remover.join();
  EXPECT_GT(rounds, 0);
  EXPECT_FALSE(fs::exists(src.quarantine_dir())) << "nothing was put aside: vanished files are not suspects";
}
