// The folding sink: repeated warnings and errors become the first line and a count a minute.
#include "common/folding_sink.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <mutex>
#include <vector>

using dockhand::common::FoldingSink;
using namespace std::chrono_literals;

namespace {

class Lines : public spdlog::sinks::base_sink<std::mutex> {
 public:
  std::vector<std::string> lines;
  int flushes = 0;

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override { lines.emplace_back(msg.payload.data(), msg.payload.size()); }
  void flush_() override { ++flushes; }
};

struct Folding {
  std::shared_ptr<Lines> out = std::make_shared<Lines>();
  std::chrono::system_clock::time_point now = std::chrono::system_clock::time_point(1'800'000'000s);
  std::unique_ptr<FoldingSink> sink =
      std::make_unique<FoldingSink>(out, 60s, spdlog::level::warn, [this] { return now; });
  void log(spdlog::level::level_enum level, const std::string& text) {
    spdlog::details::log_msg msg("test", level, text);
    msg.time = now;
    sink->log(msg);
  }
};

}  // namespace

TEST(FoldingSink, TwoHundredIdenticalWarningsInAMinuteAreOneLineThenOneCount) {
  Folding f;
  for (int i = 0; i < 200; ++i) {
    f.log(spdlog::level::warn, "fleet: refused a connection from 127.0.0.1: its CURVE public key is not allow-listed");
    f.now += 100ms;
  }
  ASSERT_EQ(f.out->lines.size(), 1u);
  f.now += 45s;  // the minute is over
  f.sink->flush();
  ASSERT_EQ(f.out->lines.size(), 2u);
  EXPECT_EQ(f.out->lines[1],
            "fleet: refused a connection from 127.0.0.1: its CURVE public key is not allow-listed (repeated 199 times "
            "in the last 65 s)");
  EXPECT_GE(f.out->flushes, 1);
  // Quiet for another minute: forgotten; the next one is written again.
  f.now += 61s;
  f.sink->flush();
  f.log(spdlog::level::warn, "fleet: refused a connection from 127.0.0.1: its CURVE public key is not allow-listed");
  EXPECT_EQ(f.out->lines.size(), 3u);
}

TEST(FoldingSink, AStormLastingMinutesGivesOneLineAMinute) {
  Folding f;
  for (int i = 0; i < 10 * 60 * 10; ++i) {  // ten a second for ten minutes
    f.log(spdlog::level::err, "store: database or disk is full");
    f.now += 100ms;
  }
  EXPECT_GE(f.out->lines.size(), 10u);
  EXPECT_LE(f.out->lines.size(), 11u);
}

TEST(FoldingSink, InfoLinesAndDifferentTextsAreNotFolded) {
  Folding f;
  for (int i = 0; i < 5; ++i) f.log(spdlog::level::info, "chain: polling");
  f.log(spdlog::level::warn, "peer 10.0.0.1 refused");
  f.log(spdlog::level::warn, "peer 10.0.0.2 refused");
  f.log(spdlog::level::err, "peer 10.0.0.1 refused");  // another level: another line
  EXPECT_EQ(f.out->lines.size(), 8u);
}

TEST(FoldingSink, ACountStillPendingIsWrittenWhenTheSinkGoes) {
  Folding f;
  for (int i = 0; i < 3; ++i) f.log(spdlog::level::warn, "same");
  f.sink.reset();
  ASSERT_EQ(f.out->lines.size(), 2u);
  EXPECT_NE(f.out->lines[1].find("repeated 2 times"), std::string::npos) << f.out->lines[1];
}

TEST(FoldingSink, ManyDistinctLinesStayBoundedAndAreAllWritten) {
  Folding f;
  for (int i = 0; i < 5000; ++i) f.log(spdlog::level::warn, "distinct " + std::to_string(i));
  EXPECT_EQ(f.out->lines.size(), 5000u);
}

TEST(FoldingSink, ThroughAnSpdlogLoggerWithItsFormatter) {
  auto out = std::make_shared<Lines>();
  auto logger = std::make_shared<spdlog::logger>("t", dockhand::common::folding(out));
  logger->set_pattern("%v");
  for (int i = 0; i < 200; ++i) logger->warn("handshake with peer {} failed: {}", "127.0.0.1", "not CURVE");
  logger->info("an ordinary line");
  EXPECT_EQ(out->lines.size(), 2u);
}
