// dockhand-agent --log-file, in the real binary: `serve` logs to the file (not stderr) from its first line to its
// last, and bad log options are usage errors (exit 2) that say what is wrong. Rotation itself: common_tests.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace {

namespace fs = std::filesystem;

std::string read(const fs::path& f) {
  std::ifstream in(f);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class AgentLogFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = fs::temp_directory_path() / ("agent-log-file-" + std::to_string(::getpid()) + "-" +
                                       ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  void TearDown() override {
    if (pid > 0) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
    if (!HasFailure()) fs::remove_all(dir);
  }

  // Starts the agent with stdout and stderr into files of `dir`.
  void start(const std::vector<std::string>& args) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, (dir / "out").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, 2, (dir / "err").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    std::vector<std::string> all{DOCKHAND_AGENT_BIN};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : all) argv.push_back(a.data());
    argv.push_back(nullptr);
    ASSERT_EQ(posix_spawn(&pid, DOCKHAND_AGENT_BIN, &actions, nullptr, argv.data(), environ), 0);
    posix_spawn_file_actions_destroy(&actions);
  }
  int wait_exit() {
    int status = 0;
    waitpid(pid, &status, 0);
    pid = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  // Waits (generously: a loaded machine) until `file` contains `text`.
  bool await_text(const fs::path& file, const std::string& text) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline) {
      if (read(file).find(text) != std::string::npos) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  fs::path dir;
  pid_t pid = -1;
};

TEST_F(AgentLogFile, ServeLogsToTheFileFromStartToStop) {
  fs::path log = dir / "logs" / "agent.log";  // its folder is created
  start({"--log-file", log.string(), "--log-max-kb", "64", "--log-files", "3", "serve", "--insecure",
         "--orchestrator", "tcp://127.0.0.1:9", "--dry-run", "--id", "log-file-test", "--no-ocr-warmup"});
  ASSERT_TRUE(await_text(log, "agent log-file-test: apps")) << "log: " << read(log) << "\nstderr: " << read(dir / "err");
  kill(pid, SIGTERM);
  EXPECT_EQ(wait_exit(), 0) << read(dir / "err");
  EXPECT_NE(read(log).find("agent log-file-test: stopped"), std::string::npos) << read(log);
  EXPECT_EQ(read(dir / "err").find("log-file-test"), std::string::npos) << "the log lines went to stderr too";
}

TEST_F(AgentLogFile, BadLogOptionsAreUsageErrors) {
  std::ofstream(dir / "a-file") << "x";
  start({"--log-file", (dir / "a-file" / "agent.log").string(), "keygen", "--help"});
  EXPECT_EQ(wait_exit(), 2);
  EXPECT_NE(read(dir / "err").find("--log-file"), std::string::npos) << read(dir / "err");
  EXPECT_NE(read(dir / "err").find("a-file"), std::string::npos) << read(dir / "err");

  start({"--log-file", (dir / "agent.log").string(), "--log-max-kb", "lots", "keygen", "--help"});
  EXPECT_EQ(wait_exit(), 2);
  EXPECT_NE(read(dir / "err").find("--log-max-kb: \"lots\""), std::string::npos) << read(dir / "err");

  start({"--log-file"});
  EXPECT_EQ(wait_exit(), 2);
  EXPECT_NE(read(dir / "err").find("--log-file needs a value"), std::string::npos) << read(dir / "err");
}

}  // namespace
