// The rotating log file: sizes, names, how many are kept, and clear errors.
#include "common/log_file.h"

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace {

namespace fs = std::filesystem;
using dockhand::common::LogFileOptions;
using dockhand::common::rotating_log_sink;

class LogFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = fs::temp_directory_path() / ("log-file-" + std::to_string(::getpid()) + "-" +
                                       ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir);
  }
  void TearDown() override { fs::remove_all(dir); }
  static std::string read(const fs::path& f) {
    std::ifstream in(f);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  fs::path dir;
};

TEST_F(LogFile, RotatesBySizeKeepingTheNewestLinesAndNMoreFiles) {
  LogFileOptions options{(dir / "logs" / "agent.log").string(), 2048, 2};  // the folder does not exist yet
  spdlog::logger log("test", rotating_log_sink(options));
  log.set_pattern("%v");
  for (int i = 0; i < 400; ++i) log.info("line {:04d} of the agent's log, padded to about fifty bytes", i);
  log.flush();
  EXPECT_TRUE(fs::exists(dir / "logs" / "agent.log"));
  EXPECT_TRUE(fs::exists(dir / "logs" / "agent.1.log"));
  EXPECT_TRUE(fs::exists(dir / "logs" / "agent.2.log"));
  EXPECT_FALSE(fs::exists(dir / "logs" / "agent.3.log")) << "only 2 older files are kept";
  for (const char* name : {"agent.log", "agent.1.log", "agent.2.log"})
    EXPECT_LE(fs::file_size(dir / "logs" / name), 2048u) << name;
  EXPECT_NE(read(dir / "logs" / "agent.log").find("line 0399"), std::string::npos) << "the newest line is in agent.log";
  EXPECT_EQ(read(dir / "logs" / "agent.2.log").find("line 0000"), std::string::npos) << "the oldest were dropped";
}

TEST_F(LogFile, AppendsToAnExistingFile) {
  fs::create_directories(dir);
  std::ofstream(dir / "agent.log") << "from the last run\n";
  {
    spdlog::logger log("test", rotating_log_sink({(dir / "agent.log").string()}));
    log.set_pattern("%v");
    log.info("this run");
  }
  EXPECT_EQ(read(dir / "agent.log"), "from the last run\nthis run\n");
}

TEST_F(LogFile, BadPathsAndLimitsAreClearErrors) {
  fs::create_directories(dir);
  std::ofstream(dir / "a-file") << "x";
  try {
    rotating_log_sink({(dir / "a-file" / "agent.log").string()});
    FAIL() << "a folder that is a file must be refused";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("a-file"), std::string::npos) << e.what();
  }
  EXPECT_THROW(rotating_log_sink({(dir / "agent.log").string(), 10, 5}), std::runtime_error);
  EXPECT_THROW(rotating_log_sink({(dir / "agent.log").string(), 4096, 0}), std::runtime_error);
  EXPECT_THROW(rotating_log_sink({""}), std::runtime_error);
}

}  // namespace
