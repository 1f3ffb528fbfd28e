// /metrics through the real serve (issue 9 item 6, issue 22 item 5): three brands against the simulator, the
// console's /metrics scraped with the operator token serve printed at its first start, every scrape read by
// the strict text-format parser, and the values followed as the chain runs: requests by state and brand,
// SP-API calls by operation, status and brand (429s included), the stage latencies by brand.
#include "brands_fixture.h"
#include "serve_fixture.h"
#include "tests/integration/alerts/receivers.h"
#include "tests/unit/metrics/exposition_parser.h"

#include <httplib.h>

#include <regex>

using namespace dockhand;
using namespace dockhand::serve_testing;
using dockhand::metrics::testing::Exposition;
using dockhand::metrics::testing::parse_exposition;
using chain::State;

namespace {

class Metrics : public ServeTest {
 protected:
  void SetUp() override {
    ServeTest::SetUp();
    use_three_brands(sim, *env);
    env->config["console"] = {{"port", 0}, {"tokens_file", "console-tokens"}};
    env->config["alerts"] = {{"webhook", {{"url", "http://127.0.0.1:" + std::to_string(hook.port()) + "/hook"},
                                          {"allow_plaintext", true}}},
                             {"retry_initial_ms", 200},
                             {"retry_max_ms", 1000}};
  }
  // The console's address and the operator token, from what serve printed (the token on stdout only).
  bool learn_console() {
    static const std::regex line(R"(console: (http://127\.0\.0\.1:\d+)/ first operator token[^:]*: (\S+))");
    std::smatch m;
    const auto out = slurp(env->dir / "serve.out");
    if (!std::regex_search(out, m, line)) return false;
    url = m[1];
    token = m[2];
    return true;
  }
  httplib::Result get(const std::string& path, bool with_token = true) {
    httplib::Client client(url);
    client.set_read_timeout(30, 0);
    httplib::Headers headers;
    if (with_token) headers.emplace("Authorization", "Bearer " + token);
    return client.Get(path.c_str(), headers);
  }
  // One scrape, parsed strictly (a format error fails the test with the text).
  Exposition scrape() {
    auto r = get("/metrics");
    EXPECT_TRUE(r && r->status == 200) << (r ? r->body : "no answer");
    if (!r) return {};
    last_text = r->body;
    EXPECT_NE(r->get_header_value("Content-Type").find("text/plain"), std::string::npos);
    try {
      return parse_exposition(last_text);
    } catch (const std::exception& e) {
      ADD_FAILURE() << e.what() << "\n" << last_text;
      return {};
    }
  }
  // The sum of a counter's samples whose labels include `match`.
  static double sum(const Exposition& x, const std::string& name, const std::map<std::string, std::string>& match) {
    double total = 0;
    if (const auto* f = x.family(name))
      for (const auto& s : f->samples) {
        bool all = s.name == name;
        for (const auto& [k, v] : match) all = all && s.labels.count(k) && s.labels.at(k) == v;
        if (all) total += s.value;
      }
    return total;
  }
  std::string url, token, last_text;
  alerts::testing::WebhookReceiver hook;
};

}  // namespace

TEST_F(Metrics, CountsFollowTheChainByBrandIncluding429sAndEveryScrapeParses) {
  auto serve = env->start();
  ASSERT_TRUE(eventually([&] { return learn_console(); })) << env->logs();
  auto r = get("/metrics", false);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401) << "no token, no metrics";

  auto before = scrape();
  for (const auto& b : kBrands)
    EXPECT_EQ(sum(before, "dockhand_requests", {{"brand", b.name}}), 0) << last_text;

  // Acme is throttled (every call 429) while the others go through.
  sim.faults({"429:1@" + kBrands[0].partner});
  const auto shipments = one_email_per_brand(*env, "MX");
  ASSERT_TRUE(eventually([&] {
    auto x = scrape();
    return sum(x, "dockhand_requests", {{"state", "CONFIRMED"}, {"brand", kBrands[1].name}}) == 1 &&
           sum(x, "dockhand_requests", {{"state", "CONFIRMED"}, {"brand", kBrands[2].name}}) == 1 &&
           sum(x, "dockhand_spapi_calls_total", {{"status", "429"}, {"brand", kBrands[0].name}}) >= 1;
  })) << states(*env) << last_text;
  auto throttled = scrape();
  for (const auto& b : {kBrands[1], kBrands[2]}) {
    EXPECT_EQ(sum(throttled, "dockhand_spapi_calls_total", {{"status", "429"}, {"brand", b.name}}), 0) << b.name;
    EXPECT_GE(sum(throttled, "dockhand_spapi_calls_total", {{"operation", "submitShipments"}, {"brand", b.name}}), 1);
    EXPECT_EQ(throttled.value("dockhand_stage_seconds_count", {{"stage", "received_to_submitted"}, {"brand", b.name}}), 1)
        << last_text;
    EXPECT_EQ(throttled.value("dockhand_stage_seconds_count", {{"stage", "submitted_to_confirmed"}, {"brand", b.name}}), 1);
  }
  EXPECT_EQ(sum(throttled, "dockhand_transitions_total", {{"state", "SUBMITTED"}, {"brand", kBrands[0].name}}), 0)
      << "Acme is still waiting for Amazon";

  // Amazon lets Acme through: its request is submitted and confirmed, and the counters show it.
  sim.faults({});
  ASSERT_TRUE(eventually([&] {
    auto x = scrape();
    return sum(x, "dockhand_requests", {{"state", "CONFIRMED"}, {"brand", kBrands[0].name}}) == 1;
  })) << states(*env) << last_text;
  auto after = scrape();
  EXPECT_EQ(after.value("dockhand_stage_seconds_count", {{"stage", "received_to_submitted"}, {"brand", kBrands[0].name}}), 1);
  EXPECT_GE(sum(after, "dockhand_spapi_calls_total",
                {{"operation", "submitShipments"}, {"brand", kBrands[0].name}}) -
                sum(after, "dockhand_spapi_calls_total",
                    {{"operation", "submitShipments"}, {"status", "429"}, {"brand", kBrands[0].name}}),
            1);
  EXPECT_EQ(sum(after, "dockhand_transitions_total", {{"state", "CONFIRMED"}}), 3);
  EXPECT_EQ(sim.stats()["submissions_by_partner"][kBrands[0].partner].value(shipments.at("Acme"), 0), 1);
  EXPECT_EQ(serve->stop(SIGTERM).value_or(-1), 0);
}

TEST_F(Metrics, AlertFailuresAreCountedAndTheAlertLinksToTheConsole) {
  hook.set_failing(true);
  auto serve = env->start();
  ASSERT_TRUE(eventually([&] { return learn_console(); })) << env->logs();
  env->deliver(routing_email("unknown-po@amazon.example", {{"ACNOPO01", "ABE8"}}, 4, kBrands[0].vendor));
  ASSERT_TRUE(eventually([&] {
    auto x = scrape();
    return sum(x, "dockhand_requests", {{"state", "NEEDS_ATTENTION"}, {"brand", "Acme"}}) == 1 &&
           x.value("dockhand_alert_failures_total", {{"channel", "webhook"}}) >= 2;
  })) << states(*env) << last_text;
  EXPECT_TRUE(std::isnan(scrape().value("dockhand_alerts_sent_total", {{"channel", "webhook"}}))) << last_text;

  hook.set_failing(false);
  ASSERT_TRUE(eventually([&] { return scrape().value("dockhand_alerts_sent_total", {{"channel", "webhook"}}) == 1; }))
      << last_text;
  ASSERT_EQ(hook.posts().size(), 1u);
  const auto body = nlohmann::json::parse(hook.posts()[0].body);
  EXPECT_EQ(body["link"], url + "/#/request/" + std::to_string(body["request"].get<std::int64_t>()))
      << "no alerts.console_url: the link is the console's own address";
  EXPECT_EQ(serve->stop(SIGTERM).value_or(-1), 0);
}
