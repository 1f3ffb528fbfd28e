#include "agent/protocol/wire.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

using namespace dockhand::protocol;
namespace fs = std::filesystem;

namespace {
fs::path temp_dir(const std::string& name) {
  auto dir = fs::temp_directory_path() / ("dockhand-keys-" + name + "-" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}
}  // namespace

TEST(Keys, KeygenWritesAPublicFileAndASecretFileOnlyTheOwnerCanRead) {
  auto dir = temp_dir("gen");
  ASSERT_EQ(run_keygen({"--out", dir.string(), "--name", "vm1"}, "dockhand-agent", "agent"), 0);
  struct stat st{};
  ASSERT_EQ(::stat((dir / "vm1.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  auto pair = read_secret_key(dir / "vm1.key");
  EXPECT_EQ(read_public_key(dir / "vm1.pub"), pair.public_key);
  EXPECT_EQ(public_key_of(pair.secret_key), pair.public_key);
  // Never overwrites a key silently.
  EXPECT_THROW(run_keygen({"--out", dir.string(), "--name", "vm1"}, "dockhand-agent", "agent"), std::runtime_error);
  EXPECT_EQ(read_public_key(dir / "vm1.pub"), pair.public_key);
  EXPECT_EQ(run_keygen({"--bogus"}, "dockhand-agent", "agent"), 2);
  fs::remove_all(dir);
}

TEST(Keys, ASecretKeyOthersCanReadIsRefused) {
  auto dir = temp_dir("perm");
  write_keypair(dir, "a", generate_curve_keypair());
  ::chmod((dir / "a.key").c_str(), 0644);
  try {
    read_secret_key(dir / "a.key");
    FAIL() << "a world-readable secret key was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("chmod 600"), std::string::npos) << e.what();
  }
  fs::remove_all(dir);
}

TEST(Keys, AllowListReadsEveryPubFileAndRejectsGarbageWithLine) {
  auto dir = temp_dir("list");
  auto a = generate_curve_keypair(), b = generate_curve_keypair();
  write_keypair(dir, "a", a);
  write_keypair(dir, "b", b);
  auto keys = read_public_keys(dir);
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_EQ(keys[0], a.public_key);
  EXPECT_EQ(keys[1], b.public_key);
  std::ofstream(dir / "c.pub") << "# comment\n\nnot-a-key\n";
  try {
    read_public_keys(dir);
    FAIL() << "garbage key accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("c.pub:3"), std::string::npos) << e.what();
  }
  fs::remove_all(dir);
}
