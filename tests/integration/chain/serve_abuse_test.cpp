// The real `dockhand-orchestrator serve` under a fault and abuse probe (issue 21): what an attacker or a
// careless admin drops into the Maildir (symlinks to secrets, a FIFO, directories, sockets, files removed
// as they appear), and a full store. Each ends as the issue says: nothing secret stored, nothing hangs,
// odd entries put aside with their reason logged once, the full disk a health state, nothing lost.
#include "serve_fixture.h"

#include "orchestrator/pretender/sqlite_db.h"

#include <gtest/gtest.h>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <atomic>
#include <cstring>

using namespace dockhand;
using namespace dockhand::serve_testing;
using chain::State;

namespace {

// Every byte SQLite keeps for the store: the database file and its write-ahead log.
std::string store_bytes(ServeEnv& env) {
  return slurp(env.dir / "store.sqlite") + slurp(env.dir / "store.sqlite-wal");
}

fs::path quarantine(ServeEnv& env) { return env.dir / "inbox" / "quarantine"; }

std::string reason_of(ServeEnv& env, const std::string& name) { return slurp(quarantine(env) / (name + ".reason")); }

class Abuse : public ServeTest {};

}  // namespace

TEST_F(Abuse, SymlinksToAFileOutsideAndToASecretAreNeverFollowedNorStored) {
  const std::string passwd = slurp("/etc/passwd");
  ASSERT_FALSE(passwd.empty());
  const std::string passwd_line = passwd.substr(0, passwd.find('\n'));  // "root:x:0:0:root:/root:/bin/bash"
  add_order(*env->orders, "S1YM0001", "ABE8");
  fs::create_directories(env->dir / "inbox" / "new");
  fs::create_symlink("/etc/passwd", env->dir / "inbox" / "new" / "1700000000.M1P1.passwd");
  fs::create_symlink(env->dir / "lwa-refresh-token", env->dir / "inbox" / "new" / "1700000001.M1P1.token");
  fs::create_directories(env->dir / "inbox" / "cur");
  fs::create_symlink(env->dir / "lwa-refresh-token", env->dir / "inbox" / "cur" / "1700000002.M1P1.token:2,S");
  auto serve = env->start();
  env->deliver(routing_email("after-the-links@amazon.example", {{"S1YM0001", "ABE8"}}));
  ASSERT_TRUE(eventually([&] { return env->all_confirmed(1); })) << states(*env) << env->logs();
  ASSERT_EQ(serve->stop(SIGTERM).value_or(-1), 0);

  for (std::string name : {"1700000000.M1P1.passwd", "1700000001.M1P1.token", "1700000002.M1P1.token:2,S"}) {
    EXPECT_TRUE(fs::is_symlink(fs::symlink_status(quarantine(*env) / name))) << name << " put aside, as a link";
    EXPECT_NE(reason_of(*env, name).find("symbolic link"), std::string::npos) << name;
    EXPECT_EQ(env->count_in_logs(name + " aside"), 1u) << name << " logged once\n" << env->logs();
  }
  // The store holds the one real message and neither the passwd file nor the refresh token.
  auto bytes = store_bytes(*env);
  ASSERT_NE(bytes.find("after-the-links@amazon.example"), std::string::npos) << "the real message is stored";
  EXPECT_EQ(bytes.find(passwd_line), std::string::npos) << "/etc/passwd is in the store";
  EXPECT_EQ(bytes.find(spapi::testing::kRefreshToken), std::string::npos) << "the refresh token is in the store";
  EXPECT_EQ(env->logs().find(spapi::testing::kRefreshToken), std::string::npos);
  EXPECT_EQ(env->requests().size(), 1u);
}

TEST_F(Abuse, AFifoADirectoryASocketAndFilesRemovedAsTheyAppearNeitherHangNorStopTheMail) {
  add_order(*env->orders, "F1FO0001", "ABE8");
  auto inbox_new = env->dir / "inbox" / "new";
  fs::create_directories(inbox_new);
  ASSERT_EQ(::mkfifo((inbox_new / "1700000000.M1P1.fifo").c_str(), 0600), 0);
  fs::create_directories(inbox_new / "1700000001.M1P1.dir" / "sub");
  {
    // A socket stands in for devices (making a device node needs root); bound by a relative name, since
    // the folder's full path is longer than a socket address holds.
    int sock = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strcpy(addr.sun_path, "1700000002.M1P1.sock");
    auto cwd = fs::current_path();
    fs::current_path(inbox_new);
    int bound = ::bind(sock, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    fs::current_path(cwd);
    ::close(sock);
    ASSERT_EQ(bound, 0) << std::strerror(errno);
  }

  auto serve = env->start();
  // Files that vanish right after they appear, while serve polls every 100 ms.
  std::atomic<bool> stop{false};
  std::thread vanishing([&] {
    for (int i = 0; !stop && i < 2000; ++i) {
      auto name = env->deliver("Subject: gone at once " + std::to_string(i) + "\r\n\r\nx\r\n");
      std::error_code ec;
      fs::remove(inbox_new / name, ec);
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  });
  env->deliver(routing_email("past-the-fifo@amazon.example", {{"F1FO0001", "ABE8"}}));
  bool confirmed = eventually([&] {
    auto rs = env->requests();
    return std::any_of(rs.begin(), rs.end(), [](const chain::RequestRecord& r) { return r.state == State::CONFIRMED; });
  });
  stop = true;
  vanishing.join();
  ASSERT_TRUE(confirmed) << states(*env) << env->logs();
  EXPECT_TRUE(serve->running());
  ASSERT_TRUE(eventually([&] { return fs::exists(quarantine(*env) / "1700000002.M1P1.sock"); })) << env->logs();

  EXPECT_TRUE(fs::is_fifo(fs::symlink_status(quarantine(*env) / "1700000000.M1P1.fifo")));
  EXPECT_NE(reason_of(*env, "1700000000.M1P1.fifo").find("FIFO"), std::string::npos);
  EXPECT_TRUE(fs::is_directory(quarantine(*env) / "1700000001.M1P1.dir" / "sub"));
  EXPECT_NE(reason_of(*env, "1700000001.M1P1.dir").find("directory"), std::string::npos);
  EXPECT_NE(reason_of(*env, "1700000002.M1P1.sock").find("socket"), std::string::npos);
  for (std::string name : {"1700000000.M1P1.fifo", "1700000001.M1P1.dir", "1700000002.M1P1.sock"})
    EXPECT_EQ(env->count_in_logs(name + " aside"), 1u) << name << "\n" << env->logs();
  EXPECT_EQ(env->count_in_logs("mail intake from"), 0u) << "no intake failure\n" << env->logs();
  EXPECT_EQ(env->count_in_logs("gone at once") , 0u) << "a vanished file is skipped quietly";
  EXPECT_FALSE(fs::exists(inbox_new / "1700000000.M1P1.fifo"));
  EXPECT_EQ(serve->stop(SIGTERM).value_or(-1), 0);
}

TEST_F(Abuse, AFullStoreIsAHealthStateLoggedOnceShownByStatusAndLosesNothing) {
  // An empty store (schema 6: 11 tables, 15 indexes) takes about 130 KB; 256 KB leaves room for two or three
  // of the padded emails below, and the rest must wait in the mailbox.
  env->config["store_max_bytes"] = 256 * 1024;
  std::vector<std::string> emails;
  for (int i = 0; i < 6; ++i) {
    char po[16];
    std::snprintf(po, sizeof po, "D%dSKF%03d", i, i);
    add_order(*env->orders, po, "ABE8");
    // Padded so that a few of them fill the store.
    auto email = routing_email("full-" + std::to_string(i) + "@amazon.example", {{po, "ABE8"}});
    email.insert(email.rfind("Thank you,"), std::string(40000, 'p') + "\r\n");
    emails.push_back(email);
  }
  auto serve = env->start();
  for (const auto& e : emails) env->deliver(e);
  const auto store = (env->dir / "store.sqlite").string();
  ASSERT_TRUE(eventually([&] {
    auto health = chain::Store::read_health(store);
    return health && health->state == "disk_full";
  })) << states(*env) << env->logs();
  // Serve keeps polling the mailbox (100 ms) for a while: the full disk is logged once, not every poll.
  auto polls = [&] { return env->count_in_logs("mail intake from"); };
  ASSERT_TRUE(eventually([&] { return env->undelivered_maildir() > 0 && serve->running(); }));
  std::this_thread::sleep_for(std::chrono::seconds(3));  // a window of polls to count lines in, not a wait
  EXPECT_EQ(env->count_in_logs("the disk is full"), 1u) << env->logs();
  EXPECT_LE(polls(), 2u) << "one intake error line, folded\n" << env->logs();
  auto [rc, text] = env->cli("status --store " + store);
  EXPECT_EQ(rc, 0) << text;
  EXPECT_NE(text.find("store health: DISK FULL"), std::string::npos) << text;
  EXPECT_GT(env->undelivered_maildir(), 0u) << "what could not be stored waits in the mailbox";

  // Room again (the limit lifted): everything goes through, nothing was lost, the store is sound.
  ASSERT_EQ(serve->stop(SIGTERM).value_or(-1), 0);
  env->config["store_max_bytes"] = 0;
  serve = env->start();
  ASSERT_TRUE(eventually([&] { return env->all_confirmed(6); })) << states(*env) << env->logs();
  EXPECT_EQ(env->undelivered_maildir(), 0u);
  auto [rc2, text2] = env->cli("status --store " + store);
  EXPECT_EQ(text2.find("DISK FULL"), std::string::npos) << text2;
  sqlite::Database db(store, false);
  auto check = db.prepare("PRAGMA integrity_check");
  ASSERT_TRUE(check.step());
  EXPECT_EQ(check.text(0), "ok");
  EXPECT_EQ(serve->stop(SIGTERM).value_or(-1), 0);
}
