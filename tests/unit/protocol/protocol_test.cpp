#include "agent/protocol/protocol.h"

#include <gtest/gtest.h>

#include <random>

using namespace dockhand::protocol;

namespace {

std::string bytes(std::size_t n, char seed) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>(seed + i * 7);
  return s;
}

Message round_trip(const Message& m) {
  auto frames = encode(m);
  auto decoded = decode(frames);
  EXPECT_TRUE(decoded) << decoded.error;
  return decoded ? *decoded.message : Message{Heartbeat{}};
}

std::vector<Message> samples() {
  Result failed;
  failed.job_id = "RR-7-erp";
  failed.outcome = Outcome::business;
  failed.outputs = {{"status", "Open"}};
  failed.failed_step = "steps[4].wait";
  failed.reason = "PO not found: 4X9K2PQ1";
  failed.category = "business";
  failed.evidence = {{"looked_for", {{"text", "Pre-tender finalized"}}}, {"step_path", "steps[4]"}};
  failed.images = {Image{"screen.png", "image/png", bytes(5000, 1)}, Image{"crop.png", "image/png", bytes(300, 9)}};
  Result ok;
  ok.job_id = "RR-7-opship";
  ok.outputs = {{"bol", "BOL4829301"}};
  return {
      Ready{"vm-erp-01", "0.1.0", {"erp", "opship"}, {"erp-closeout", "opship-closeout"}, ""},
      Ready{"vm-erp-02", "0.1.0", {"erp"}, {}, "RR-3-erp"},
      Heartbeat{},
      Heartbeat{"0rch3strat0r-s3ss10n"},
      Job{"RR-7-erp", "erp-closeout", {{"po", "4X9K2PQ1"}, {"note", "{ENTER}\n\"quoted\""}}, 120000, true, 2},
      Ack{"RR-7-erp"},
      Progress{"RR-7-erp", "steps[2].click", "Pre-tender", Image{"thumb.jpg", "image/jpeg", bytes(900, 3)}},
      Progress{"RR-7-erp", "steps[3].type", "", std::nullopt},
      failed,
      ok,
      Frame{"RR-7-erp", 42, true, 1920, 1080, 1796000000123, {Tile{0, 0, 1920, 1080}},
            {Image{"view.jpg", "image/jpeg", bytes(20000, 5)}}, {{"step", "steps[2].click"}, {"target", {1, 2, 3, 4}}}},
      Frame{"", 43, false, 1920, 1080, 1796000000323, {}, {}, nlohmann::json::object()},
      Control{"pause", "RR-7-erp", nlohmann::json::object(), "s3ss10n"},
      Control{"input", "RR-7-erp", {{"events", {{{"click", {10, 20}}}}}}, "s3ss10n"},
  };
}

}  // namespace

TEST(RoundTrip, EveryMessageTypeComesBackEqual) {
  std::set<std::string> types;
  for (const auto& m : samples()) {
    types.insert(type_name(m));
    auto back = round_trip(m);
    EXPECT_EQ(back.index(), m.index()) << type_name(m);
    EXPECT_TRUE(back == m) << type_name(m) << " changed on the way: " << encode(m)[1] << " vs " << encode(back)[1];
  }
  EXPECT_EQ(types.size(), std::variant_size_v<Message>) << "a message type has no round-trip sample";
}

TEST(RoundTrip, FramesAreTypeJsonThenImages) {
  auto frames = encode(samples()[8]);  // business RESULT with two images
  ASSERT_EQ(frames.size(), 4u);
  EXPECT_EQ(frames[0], "RESULT");
  auto j = nlohmann::json::parse(frames[1]);
  EXPECT_EQ(j["v"], kVersion);
  EXPECT_EQ(j["outcome"], "business");
  EXPECT_EQ(j["images"][0]["name"], "screen.png");
  EXPECT_EQ(j["images"][0]["bytes"], 5000);
  EXPECT_EQ(frames[2].size(), 5000u);
}

TEST(RoundTrip, InvalidUtf8InAReasonIsReplacedNotThrown) {
  Result r;
  r.job_id = "j";
  r.outcome = Outcome::application;
  r.reason = std::string("OCR read \xff\xfe garbage");
  auto frames = encode(r);
  auto d = decode(frames);
  ASSERT_TRUE(d) << d.error;
  EXPECT_NE(std::get<Result>(*d.message).reason.find("garbage"), std::string::npos);
}

struct Bad {
  std::string name;
  std::vector<std::string> frames;
  std::string expect;  // part of the reason
};

TEST(Strict, MalformedMessagesAreRejectedWithAReason) {
  auto job = encode(samples()[4]);
  auto result_frames = encode(samples()[8]);
  auto wrong_version = job;
  wrong_version[1] = nlohmann::json{{"v", 2}, {"job_id", "a"}, {"script", "s"}}.dump();
  auto missing_image = result_frames;
  missing_image.pop_back();
  auto size_lie = result_frames;
  size_lie[2] += "x";
  std::vector<Bad> cases = {
      {"no frames", {}, "at least 2 frames"},
      {"one frame", {"JOB"}, "at least 2 frames"},
      {"unknown type", {"HELLO", "{\"v\":1}"}, "unknown message type"},
      {"binary type", {std::string("\x00\x01\x02", 3), "{}"}, "unknown message type"},
      {"not json", {"JOB", "{not json"}, "does not parse"},
      {"json array", {"JOB", "[1,2]"}, "not an object"},
      {"no version", {"JOB", "{\"job_id\":\"a\",\"script\":\"s\"}"}, "protocol version"},
      {"string version", {"HEARTBEAT", "{\"v\":\"1\"}"}, "protocol version"},
      {"wrong version", wrong_version, "protocol version 2"},
      {"missing job_id", {"JOB", "{\"v\":1,\"script\":\"s\"}"}, "missing field 'job_id'"},
      {"job_id number", {"ACK", "{\"v\":1,\"job_id\":5}"}, "wrong type"},
      {"vars not strings", {"JOB", "{\"v\":1,\"job_id\":\"a\",\"script\":\"s\",\"vars\":{\"po\":1}}"}, "vars.po"},
      {"negative lease", {"JOB", "{\"v\":1,\"job_id\":\"a\",\"script\":\"s\",\"lease_ms\":-5}"}, "negative lease"},
      {"empty agent id", {"READY", "{\"v\":1,\"agent_id\":\"\"}"}, "empty agent_id"},
      {"apps not strings", {"READY", "{\"v\":1,\"agent_id\":\"a\",\"apps\":[1]}"}, "must hold strings"},
      {"bad outcome", {"RESULT", "{\"v\":1,\"job_id\":\"a\",\"outcome\":\"maybe\"}"}, "unknown outcome"},
      {"bad control", {"CONTROL", "{\"v\":1,\"action\":\"format-disk\"}"}, "unknown CONTROL action"},
      {"image frame not described", {"ACK", "{\"v\":1,\"job_id\":\"a\"}", "xx"}, "does not match"},
      {"image missing", missing_image, "does not match"},
      {"image size lie", size_lie, "declares"},
      {"frame without screen size", {"FRAME", "{\"v\":1,\"job_id\":\"a\"}"}, "no screen size"},
      {"frame tile outside the screen",
       {"FRAME", "{\"v\":1,\"width\":10,\"height\":10,\"tiles\":[[8,0,4,4]],\"images\":[{\"name\":\"t\",\"mime\":\"image/jpeg\",\"bytes\":2}]}", "ab"},
       "outside"},
      {"frame tiles not matching images",
       {"FRAME", "{\"v\":1,\"width\":10,\"height\":10,\"tiles\":[],\"images\":[{\"name\":\"t\",\"mime\":\"image/jpeg\",\"bytes\":2}]}", "ab"},
       "0 tile(s) for 1 image(s)"},
      {"bad mime",
       {"FRAME", "{\"v\":1,\"job_id\":\"a\",\"images\":[{\"name\":\"x\",\"mime\":\"text/html\",\"bytes\":2}]}", "ab"},
       "unsupported mime"},
  };
  for (const auto& c : cases) {
    auto d = decode(c.frames);
    EXPECT_FALSE(d) << c.name << " was accepted";
    EXPECT_NE(d.error.find(c.expect), std::string::npos) << c.name << ": reason was '" << d.error << "'";
  }
}

TEST(Strict, HugeFramesAreRejectedBeforeParsing) {
  Limits limits;
  limits.max_json_bytes = 1024;
  limits.max_image_bytes = 4096;
  limits.max_total_bytes = 10000;
  std::string big_json = "{\"v\":1,\"job_id\":\"" + std::string(2000, 'a') + "\",\"script\":\"s\"}";
  auto d = decode({"JOB", big_json}, limits);
  EXPECT_FALSE(d);
  EXPECT_NE(d.error.find("exceeds 1024"), std::string::npos) << d.error;

  Frame f{"a", 1, true, 100, 100, 0, {Tile{0, 0, 100, 100}}, {Image{"v.jpg", "image/jpeg", std::string(5000, 'x')}}};
  d = decode(encode(f), limits);
  EXPECT_FALSE(d);
  EXPECT_NE(d.error.find("image frame"), std::string::npos) << d.error;

  d = decode({"HEARTBEAT", "{\"v\":1}", std::string(4000, 'a'), std::string(4000, 'b'), std::string(4000, 'c')}, limits);
  EXPECT_FALSE(d);
  EXPECT_NE(d.error.find("exceeds 10000"), std::string::npos) << d.error;

  Result many;
  many.job_id = "a";
  for (int i = 0; i < 20; ++i) many.images.push_back(Image{"i.png", "image/png", "x"});
  d = decode(encode(many));
  EXPECT_FALSE(d);
  EXPECT_NE(d.error.find("too many images"), std::string::npos) << d.error;
}

// Random frames, and random mutations of valid messages: decode never throws and never crashes; whatever it
// accepts re-encodes and decodes to the same message.
TEST(Fuzz, RandomFramesNeverCrashTheDecoder) {
  std::mt19937 rng(20261122);
  auto valid = samples();
  int accepted = 0, rejected = 0;
  for (int round = 0; round < 20000; ++round) {
    std::vector<std::string> frames;
    if (round % 2 == 0) {
      std::uniform_int_distribution<int> count(0, 5), len(0, 300), byte(0, 255);
      int n = count(rng);
      for (int i = 0; i < n; ++i) {
        std::string f(len(rng), '\0');
        for (auto& c : f) c = static_cast<char>(byte(rng));
        frames.push_back(f);
      }
      if (round % 4 == 0 && !frames.empty()) frames[0] = type_name(valid[round % valid.size()]);
    } else {
      frames = encode(valid[round % valid.size()]);
      std::uniform_int_distribution<std::size_t> which(0, frames.size() - 1);
      auto& f = frames[which(rng)];
      std::uniform_int_distribution<int> op(0, 3), byte(0, 255);
      if (!f.empty()) {
        std::uniform_int_distribution<std::size_t> pos(0, f.size() - 1);
        switch (op(rng)) {
          case 0: f[pos(rng)] = static_cast<char>(byte(rng)); break;
          case 1: f.erase(pos(rng), 1); break;
          case 2: f.insert(pos(rng), 1, static_cast<char>(byte(rng))); break;
          default: f.resize(pos(rng)); break;
        }
      }
    }
    Decoded d;
    ASSERT_NO_THROW(d = decode(frames)) << "round " << round;
    if (d) {
      ++accepted;
      auto again = decode(encode(*d.message));
      ASSERT_TRUE(again) << again.error;
      EXPECT_TRUE(*again.message == *d.message) << "round " << round;
    } else {
      ++rejected;
      EXPECT_FALSE(d.error.empty());
    }
  }
  EXPECT_GT(rejected, 10000);
  EXPECT_GT(accepted, 0);  // some mutations (e.g. inside a string value) are still valid messages
}
