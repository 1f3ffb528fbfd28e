// drivers/platform.h on POSIX: real processes, a real signal, a real TCP connection.
#include "drivers/platform.h"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <sstream>

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using dockhand::drivers::launch_process;
using dockhand::drivers::PlatformError;

namespace {

// Generous: the machine is shared and may be loaded.
constexpr auto kDeadline = std::chrono::milliseconds(60'000);

struct TempDir {
  fs::path path;
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "dockhand-platform-XXXXXX").string();
    path = ::mkdtemp(tmpl.data());
  }
  ~TempDir() { fs::remove_all(path); }
};

std::string read_all(const fs::path& file) {
  std::ifstream in(file);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

TEST(PlatformPosix, LaunchedProgramRunsWithItsArgumentsAndItsExitCodeIsSeen) {
  TempDir dir;
  auto out = dir.path / "out";
  auto p = launch_process({"sh", "-c", "printf '%s|%s' \"$1\" \"$2\" > \"$3\"; exit 7", "sh", "two words", "it's",
                           out.string()});
  EXPECT_GT(p.pid(), 0);
  EXPECT_EQ(p.wait_for_exit(kDeadline), 7);
  EXPECT_EQ(read_all(out), "two words|it's");
  EXPECT_EQ(p.wait_for_exit(0ms), 7);  // asked again: the same answer, not an error
}

TEST(PlatformPosix, EnvironmentOverridesReplaceInheritedValuesAndTheRestIsKept) {
  TempDir dir;
  auto out = dir.path / "env";
  ::setenv("DOCKHAND_PLATFORM_TEST_KEPT", "kept", 1);
  ::setenv("DISPLAY", ":inherited", 1);
  auto p = launch_process({"sh", "-c", "printf '%s|%s' \"$DISPLAY\" \"$DOCKHAND_PLATFORM_TEST_KEPT\" > \"$0\"",
                           out.string()},
                          {{"DISPLAY", ":42"}});
  EXPECT_EQ(p.wait_for_exit(kDeadline), 0);
  EXPECT_EQ(read_all(out), ":42|kept");
}

TEST(PlatformPosix, StandardStreamsAreTheNullDevice) {
  // posix_spawn returns once the child has exec'd, so its streams are in place: read them from /proc.
  auto p = launch_process({"sleep", "600"});
  std::string fds;
  for (int fd = 0; fd < 3; ++fd)
    fds += fs::read_symlink("/proc/" + std::to_string(p.pid()) + "/fd/" + std::to_string(fd)).string() + "\n";
  p.terminate();
  EXPECT_EQ(p.wait_for_exit(kDeadline), 128 + SIGTERM);
  EXPECT_EQ(fds, "/dev/null\n/dev/null\n/dev/null\n");
}

TEST(PlatformPosix, AMissingProgramIsAnErrorNamingIt) {
  try {
    launch_process({"dockhand-no-such-program-here"});
    FAIL() << "expected PlatformError";
  } catch (const PlatformError& e) {
    EXPECT_NE(std::string(e.what()).find("cannot start dockhand-no-such-program-here: "), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(launch_process({}), PlatformError);
}

TEST(PlatformPosix, ARunningProgramIsNotReportedAsEndedAndTerminateEndsIt) {
  // The child starts with no signal blocked even when the parent blocks SIGTERM (serve does, in every thread).
  sigset_t term, old;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &term, &old);
  auto p = launch_process({"sleep", "600"});
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  EXPECT_EQ(p.wait_for_exit(0ms), std::nullopt);
  p.terminate();
  EXPECT_EQ(p.wait_for_exit(kDeadline), 128 + SIGTERM);
  EXPECT_NO_THROW(p.terminate());  // already ended: nothing to do
}

TEST(PlatformPosix, PidAndHostName) {
  EXPECT_EQ(dockhand::drivers::current_pid(), static_cast<long>(::getpid()));
  char host[256] = {0};
  ::gethostname(host, sizeof host - 1);
  EXPECT_EQ(dockhand::drivers::host_name(), host);
  EXPECT_FALSE(dockhand::drivers::host_name().empty());
}

TEST(PlatformPosix, PeerAddressOfAConnectedSocketAndNothingForOthers) {
  int server = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(server, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(server, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(server, 1), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::getsockname(server, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  int client = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_EQ(::connect(client, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  int accepted = ::accept(server, nullptr, nullptr);
  ASSERT_GE(accepted, 0);
  EXPECT_EQ(dockhand::drivers::peer_address(accepted), "127.0.0.1");
  EXPECT_EQ(dockhand::drivers::peer_address(server), "");  // listening: no peer
  EXPECT_EQ(dockhand::drivers::peer_address(-1), "");
  ::close(accepted);
  ::close(client);
  ::close(server);
}

TEST(PlatformPosix, ReadableByOthersFollowsTheGroupAndOtherBits) {
  TempDir dir;
  auto key = dir.path / "secret.key";
  std::ofstream(key) << "x\n";
  fs::permissions(key, fs::perms(0600));
  EXPECT_FALSE(dockhand::drivers::readable_by_others(key));
  fs::permissions(key, fs::perms(0640));
  EXPECT_TRUE(dockhand::drivers::readable_by_others(key));
  fs::permissions(key, fs::perms(0604));
  EXPECT_TRUE(dockhand::drivers::readable_by_others(key));
  EXPECT_THROW(dockhand::drivers::readable_by_others(dir.path / "missing"), PlatformError);
}

TEST(PlatformPosix, LoadedFunctionFindsWhatIsLoadedAndNothingElse) {
  auto getpid_fn = reinterpret_cast<pid_t (*)()>(dockhand::drivers::loaded_function("getpid"));
  ASSERT_NE(getpid_fn, nullptr);
  EXPECT_EQ(getpid_fn(), ::getpid());
  EXPECT_EQ(dockhand::drivers::loaded_function("dockhand_no_such_function"), nullptr);
}

// Last in the file, and it leaves SIGTERM blocked in this (test) process: gtest_discover_tests runs each test in a
// process of its own.
TEST(PlatformPosix, StopRequestRunsTheCallbackOnceWithTheSignalsName) {
  std::promise<std::string> cause;
  auto got = cause.get_future();
  dockhand::drivers::on_stop_request([&cause](const std::string& c) { cause.set_value(c); });
  ASSERT_EQ(::kill(::getpid(), SIGTERM), 0);  // blocked in every thread but the waiting one: the process lives
  ASSERT_EQ(got.wait_for(kDeadline), std::future_status::ready);
  EXPECT_EQ(got.get(), "SIGTERM");
}
