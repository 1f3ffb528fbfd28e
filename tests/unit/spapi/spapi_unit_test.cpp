#include "orchestrator/spapi/redactor.h"
#include "orchestrator/spapi/token_bucket.h"
#include "orchestrator/spapi/vendor_shipments.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace dockhand::spapi;
using namespace std::chrono_literals;

namespace {

struct FakeClock {
  TokenBucket::Clock::time_point t{};
  std::function<TokenBucket::Clock::time_point()> fn() {
    return [this] { return t; };
  }
};

double seconds(TokenBucket::Clock::duration d) { return std::chrono::duration<double>(d).count(); }

TEST(TokenBucket, BurstIsImmediateThenCallersQueueAtTheRate) {
  FakeClock clock;
  TokenBucket bucket(10, 10, clock.fn());
  for (int i = 0; i < 10; ++i) EXPECT_EQ(bucket.reserve(), TokenBucket::Clock::duration::zero()) << i;
  EXPECT_NEAR(seconds(bucket.reserve()), 0.1, 1e-9);
  EXPECT_NEAR(seconds(bucket.reserve()), 0.2, 1e-9) << "a second waiting caller queues behind the first";
}

TEST(TokenBucket, RefillsWithTimeButNeverBeyondTheBurst) {
  FakeClock clock;
  TokenBucket bucket(10, 20, clock.fn());  // getTransaction's usage plan
  for (int i = 0; i < 20; ++i) bucket.reserve();
  clock.t += 500ms;  // 5 tokens back
  for (int i = 0; i < 5; ++i) EXPECT_EQ(bucket.reserve(), TokenBucket::Clock::duration::zero()) << i;
  EXPECT_GT(bucket.reserve(), TokenBucket::Clock::duration::zero());
  clock.t += 1h;
  for (int i = 0; i < 20; ++i) EXPECT_EQ(bucket.reserve(), TokenBucket::Clock::duration::zero()) << i;
  EXPECT_GT(bucket.reserve(), TokenBucket::Clock::duration::zero()) << "capped at the burst of 20";
}

TEST(TokenBucket, RateFromAmazonsHeaderChangesThePace) {
  FakeClock clock;
  TokenBucket bucket(10, 1, clock.fn());
  bucket.reserve();
  bucket.set_rate(0.5);
  EXPECT_NEAR(seconds(bucket.reserve()), 2.0, 1e-9);
  bucket.set_rate(0);  // nonsense is ignored
  EXPECT_DOUBLE_EQ(bucket.rate(), 0.5);
}

TEST(TokenBucket, DrainAfterA429EmptiesTheBucket) {
  FakeClock clock;
  TokenBucket bucket(10, 10, clock.fn());
  bucket.drain();
  EXPECT_NEAR(seconds(bucket.reserve()), 0.1, 1e-9);
}

TEST(TokenBucket, RejectsANonPositiveRate) { EXPECT_THROW(TokenBucket(0, 1), std::invalid_argument); }

TEST(Redactor, ReplacesSecretsAndTheirUrlEncodedForms) {
  Redactor redact;
  redact.add("Atzr|IwEB/secret+value=");
  EXPECT_EQ(redact("token Atzr|IwEB/secret+value= end"), "token [redacted] end");
  EXPECT_EQ(redact("body refresh_token=Atzr%7CIwEB%2Fsecret%2Bvalue%3D&x=1"), "body refresh_token=[redacted]&x=1");
  EXPECT_EQ(redact("twice Atzr|IwEB/secret+value= and Atzr|IwEB/secret+value="), "twice [redacted] and [redacted]");
  EXPECT_EQ(redact("{\"refresh_token\":\"Atzr|IwEB/secret+value=\"}"), "{\"refresh_token\":\"[redacted]\"}");
}

// Secrets that are parts of ordinary words: the words stay whole; the secret standing alone is replaced,
// whatever punctuation is around it.
TEST(Redactor, ReplacesWholeSecretValuesOnlyNeverPartsOfWords) {
  Redactor redact;
  for (const char* s : {"x", "xis", "ist", "not", "secret1"}) redact.add(s);
  EXPECT_EQ(redact("does not exist"), "does [redacted] exist");
  EXPECT_EQ(redact("the existing list is nothing"), "the existing list is nothing");
  EXPECT_EQ(redact("x=x&y=(x), 'xis'."), "[redacted]=[redacted]&y=([redacted]), '[redacted]'.");
  EXPECT_EQ(redact("secret1 secret12 asecret1 secret1."), "[redacted] secret12 asecret1 [redacted].");
  EXPECT_EQ(redact("caf\xc3\xa9x x\xc3\xa9"), "caf\xc3\xa9x x\xc3\xa9") << "letters beyond ASCII are letters";
  Redactor none;
  EXPECT_TRUE(none.empty());
  EXPECT_EQ(none("does not exist"), "does not exist");
}

TEST(Format, Iso8601IsUtcWithZ) {
  EXPECT_EQ(iso8601_utc(std::chrono::system_clock::time_point{}), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(iso8601_utc(std::chrono::system_clock::time_point{1795532400123ms}), "2026-11-24T15:00:00.123Z");
}

TEST(Format, DecimalStringsMatchTheModelsPattern) {
  EXPECT_EQ(decimal_string(340.5), "340.5");
  EXPECT_EQ(decimal_string(12.0), "12");
  EXPECT_EQ(decimal_string(0.004), "0");
  EXPECT_EQ(decimal_string(-0.001), "0");
  EXPECT_EQ(decimal_string(1.23456, 3), "1.235");
  EXPECT_EQ(decimal_string(1e7), "10000000");
  EXPECT_THROW(decimal_string(std::nan("")), std::invalid_argument);
  EXPECT_THROW(decimal_string(INFINITY), std::invalid_argument);
}

TEST(Hosts, RegionalSandboxAndOverride) {
  SpapiConfig c;
  EXPECT_EQ(base_url(c), "https://sellingpartnerapi-na.amazon.com");
  c.region = "eu";
  EXPECT_EQ(base_url(c), "https://sellingpartnerapi-eu.amazon.com");
  c.region = "fe";
  c.sandbox = true;
  EXPECT_EQ(base_url(c), "https://sandbox.sellingpartnerapi-fe.amazon.com");
  c.endpoint = "http://127.0.0.1:8443/";
  EXPECT_EQ(base_url(c), "http://127.0.0.1:8443");
  c.endpoint.clear();
  c.region = "us";
  EXPECT_THROW(base_url(c), std::invalid_argument);
  EXPECT_THROW(VendorShipmentsClient{c}, std::invalid_argument);
}

TEST(Errors, AmazonsErrorListIsOneLineWithCodesMessagesAndDetails) {
  auto list = nlohmann::json::parse(R"([{"code":"InvalidInput","message":"bad weight","details":"cartons[2]"},
                                        {"code":"Other","message":"x"}, {"message":"no code"}])");
  EXPECT_EQ(errors_text(list), "InvalidInput: bad weight (cartons[2]); Other: x; ?: no code");
  EXPECT_EQ(errors_text(nlohmann::json::array()), "");
  EXPECT_EQ(errors_text(nullptr), "");
  EXPECT_EQ(errors_text(nlohmann::json{{"unexpected", 1}}), R"({"unexpected":1})") << "what is not a list is kept";
}

TEST(Errors, OnlyThrottlingServerAndTransportErrorsAreRetryable) {
  EXPECT_TRUE(SpapiError("x", 0).retryable());
  EXPECT_TRUE(SpapiError("x", 429).retryable());
  EXPECT_TRUE(SpapiError("x", 503).retryable());
  EXPECT_FALSE(SpapiError("x", 400).retryable());
  EXPECT_FALSE(SpapiError("x", 403).retryable());
  EXPECT_FALSE(SpapiError("x", 404).retryable());
}

}  // namespace
