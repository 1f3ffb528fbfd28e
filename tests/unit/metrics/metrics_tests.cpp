// metrics/: the registry renders what a Prometheus scraper reads (checked by a strict parser of the text
// format), refuses misuse, stays exact under concurrent use, and the chain's hooks count what the chain does.
#include "exposition_parser.h"
#include "orchestrator/metrics/orchestrator_metrics.h"
#include "tests/unit/chain/chain_doubles.h"

#include <gtest/gtest.h>

#include <thread>

using namespace dockhand;
using namespace dockhand::metrics;
using dockhand::metrics::testing::ExpositionError;
using dockhand::metrics::testing::parse_exposition;
using namespace std::chrono_literals;

TEST(Registry, RendersCountersGaugesAndHistogramsInTheTextFormat) {
  Registry r;
  r.counter("jobs_total", "Jobs done.\nSecond line with a \\ backslash.", {"app"});
  r.gauge("queue_depth", "Jobs waiting.");
  r.histogram("latency_seconds", "How long.", {"stage"}, {0.5, 1, 5});
  r.add("jobs_total", {"erp"});
  r.add("jobs_total", {"erp"}, 2);
  r.add("jobs_total", {"quote \" back\\slash\nnewline"});
  r.set("queue_depth", {}, 7);
  for (double v : {0.2, 0.5, 0.7, 3.0, 60.0}) r.observe("latency_seconds", {"a"}, v);

  const std::string text = r.render();
  auto parsed = parse_exposition(text);  // throws on anything a scraper would refuse
  ASSERT_NE(parsed.family("jobs_total"), nullptr) << text;
  EXPECT_EQ(parsed.family("jobs_total")->type, "counter");
  EXPECT_EQ(parsed.family("queue_depth")->type, "gauge");
  EXPECT_EQ(parsed.family("latency_seconds")->type, "histogram");
  EXPECT_EQ(parsed.value("jobs_total", {{"app", "erp"}}), 3);
  EXPECT_EQ(parsed.value("jobs_total", {{"app", "quote \" back\\slash\nnewline"}}), 1) << text;
  EXPECT_EQ(parsed.value("queue_depth", {}), 7);
  // le is inclusive: 0.5 falls in the 0.5 bucket
  EXPECT_EQ(parsed.value("latency_seconds_bucket", {{"stage", "a"}, {"le", "0.5"}}), 2) << text;
  EXPECT_EQ(parsed.value("latency_seconds_bucket", {{"stage", "a"}, {"le", "1"}}), 3);
  EXPECT_EQ(parsed.value("latency_seconds_bucket", {{"stage", "a"}, {"le", "5"}}), 4);
  EXPECT_EQ(parsed.value("latency_seconds_bucket", {{"stage", "a"}, {"le", "+Inf"}}), 5);
  EXPECT_EQ(parsed.value("latency_seconds_count", {{"stage", "a"}}), 5);
  EXPECT_DOUBLE_EQ(parsed.value("latency_seconds_sum", {{"stage", "a"}}), 64.4);
  EXPECT_NE(text.find("# HELP jobs_total Jobs done.\\nSecond line with a \\\\ backslash.\n"), std::string::npos) << text;
}

TEST(Registry, ReplacingAGaugeDropsSeriesThatAreGone) {
  Registry r;
  r.gauge("requests", "By state.", {"state"});
  r.replace("requests", {{{"SUBMITTED"}, 2}, {{"DONE"}, 1}});
  r.replace("requests", {{{"DONE"}, 3}});
  auto parsed = parse_exposition(r.render());
  EXPECT_EQ(parsed.family("requests")->samples.size(), 1u);
  EXPECT_EQ(parsed.value("requests", {{"state", "DONE"}}), 3);
}

TEST(Registry, RefusesMisuse) {
  Registry r;
  EXPECT_THROW(r.counter("bad-name", "x"), MetricsError);
  EXPECT_THROW(r.counter("ok", "x", {"__reserved"}), MetricsError);
  EXPECT_THROW(r.histogram("h", "x", {"le"}, {1}), MetricsError);
  EXPECT_THROW(r.histogram("h", "x", {}, {2, 1}), MetricsError);
  r.counter("c_total", "x", {"a"});
  EXPECT_THROW(r.gauge("c_total", "x", {"a"}), MetricsError) << "same name, another type";
  EXPECT_NO_THROW(r.counter("c_total", "x", {"a"})) << "declaring again the same way is harmless";
  EXPECT_THROW(r.add("c_total", {}), MetricsError) << "wrong number of label values";
  EXPECT_THROW(r.add("c_total", {"x"}, -1), MetricsError) << "a counter never goes down";
  EXPECT_THROW(r.set("c_total", {"x"}, 1), MetricsError);
  EXPECT_THROW(r.add("undeclared_total"), MetricsError);
}

TEST(Registry, ACollectorThatFailsLeavesTheRenderIntact) {
  Registry r;
  r.gauge("g", "x");
  r.set("g", {}, 4);
  r.on_render([](Registry&) { throw std::runtime_error("store busy"); });
  EXPECT_EQ(parse_exposition(r.render()).value("g", {}), 4);
}

TEST(Registry, CountsExactlyWhileRenderedFromAnotherThread) {
  Registry r;
  r.counter("n_total", "x", {"t"});
  r.histogram("h_seconds", "x", {}, {1});
  std::atomic<bool> done{false};
  std::thread scraper([&] {
    while (!done) parse_exposition(r.render());
  });
  std::vector<std::thread> workers;
  for (int t = 0; t < 4; ++t)
    workers.emplace_back([&r, t] {
      for (int i = 0; i < 5000; ++i) {
        r.add("n_total", {std::to_string(t % 2)});
        r.observe("h_seconds", {}, i % 2 ? 0.5 : 2);
      }
    });
  for (auto& w : workers) w.join();
  done = true;
  scraper.join();
  auto parsed = parse_exposition(r.render());
  EXPECT_EQ(parsed.value("n_total", {{"t", "0"}}) + parsed.value("n_total", {{"t", "1"}}), 20000);
  EXPECT_EQ(parsed.value("h_seconds_count", {}), 20000);
  EXPECT_EQ(parsed.value("h_seconds_bucket", {{"le", "1"}}), 10000);
}

// The parser itself must refuse what a scraper refuses, or the tests above prove nothing.
TEST(ExpositionParser, RefusesBrokenExpositions) {
  const char* broken[] = {
      "a 1",                                                   // no final line feed
      "a{l=\"x\"y\"} 1\n",                                     // unescaped quote
      "a{l=\"\\t\"} 1\n",                                      // bad escape
      "a{1l=\"x\"} 1\n",                                       // bad label name
      "a{l=\"x\",l=\"y\"} 1\n",                                // label twice
      "a 1\na 2\n",                                            // series twice
      "a 1\nb 1\na{x=\"1\"} 1\n",                              // family not together
      "a one\n",                                               // not a number
      "# TYPE c counter\nc -1\n",                              // negative counter
      "a 1\n# TYPE a gauge\n",                                 // TYPE after samples
      "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n",  // not cumulative
      "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n",                          // no +Inf
      "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 1\n",                        // +Inf != count
      "# TYPE x wrongtype\n",
  };
  for (const char* text : broken) EXPECT_THROW(parse_exposition(text), ExpositionError) << text;
  EXPECT_NO_THROW(parse_exposition("# a comment\n# TYPE a gauge\na{l=\"v\"} 1.5e3 1700000000000\n"));
}

// The hooks serve installs, driven by the real chain (with doubles of Amazon and intake and a manual clock):
// transitions, stage latencies by brand, requests by state read from the store.
class ChainMetrics : public dockhand::chain::testing::ChainFixture {
 protected:
  void SetUp() override {
    ChainFixture::SetUp();
    counted = std::make_unique<OrchestratorMetrics>(registry);
    store->on_transition([this](const chain::Transition& t) { counted->transition(t); });
    counted->requests_from([this] { return store->count_by_state_and_account(); });
    counted->chargebacks_from([this] { return store->chargeback_counts(); });
  }
  Registry registry;
  std::unique_ptr<OrchestratorMetrics> counted;
};

TEST_F(ChainMetrics, StagesAndStatesAreCountedByBrandAsTheChainRuns) {
  using dockhand::chain::testing::email;
  auto before = parse_exposition(registry.render());
  EXPECT_TRUE(std::isnan(before.value("dockhand_stage_seconds_count", {{"stage", "received_to_submitted"}, {"brand", "default"}})));

  source.inbox.push_back(email("maildir:1", "m1", "2K4GH7QZ"));
  chain->intake(source);
  clock.advance(3s);  // the request waits 3 s before the worker takes it
  run_until_idle();
  const auto id = store->requests().at(0).id;
  ASSERT_EQ(state(id), chain::State::CONFIRMED);
  const auto account = store->request(id)->account;
  ASSERT_FALSE(account.empty());

  auto after = parse_exposition(registry.render());
  EXPECT_EQ(after.value("dockhand_requests", {{"state", "CONFIRMED"}, {"brand", account}}), 1) << registry.render();
  EXPECT_EQ(after.value("dockhand_transitions_total", {{"state", "SUBMITTED"}, {"brand", account}}), 1);
  EXPECT_EQ(after.value("dockhand_stage_seconds_count", {{"stage", "received_to_submitted"}, {"brand", account}}), 1);
  EXPECT_GE(after.value("dockhand_stage_seconds_sum", {{"stage", "received_to_submitted"}, {"brand", account}}), 3.0);
  EXPECT_EQ(after.value("dockhand_stage_seconds_bucket", {{"stage", "received_to_submitted"}, {"brand", account}, {"le", "2.5"}}), 0);
  EXPECT_EQ(after.value("dockhand_stage_seconds_count", {{"stage", "submitted_to_confirmed"}, {"brand", account}}), 1);

  // the close-out ends it: confirmed -> done is measured from when it was CONFIRMED
  store->begin_closeout(id, "test", "");
  clock.advance(90s);
  store->finish_closeout(id, nlohmann::json::object(), "test", "");
  run_until_idle();  // departed: the ASN goes to Amazon (the double accepts it at once), then DONE
  ASSERT_EQ(state(id), chain::State::DONE);
  auto done = parse_exposition(registry.render());
  EXPECT_EQ(done.value("dockhand_requests", {{"state", "DONE"}, {"brand", account}}), 1);
  EXPECT_TRUE(std::isnan(done.value("dockhand_requests", {{"state", "CONFIRMED"}, {"brand", account}}))) << "gone, not 0";
  EXPECT_EQ(done.value("dockhand_stage_seconds_bucket", {{"stage", "confirmed_to_done"}, {"brand", account}, {"le", "60"}}), 0);
  EXPECT_EQ(done.value("dockhand_stage_seconds_bucket", {{"stage", "confirmed_to_done"}, {"brand", account}, {"le", "120"}}), 1);
}

TEST_F(ChainMetrics, ChargebacksAreAGaugeByBrandAndReason) {
  using dockhand::chain::testing::email;
  source.inbox.push_back(email("maildir:1", "m1", "2K4GH7QZ"));
  chain->intake(source);
  run_until_idle();
  const auto id = store->requests().at(0).id;
  for (const char* reason : {"late_asn", "late_asn", "labels"}) {
    chain::NoticeEffect e;
    e.notice = id;  // any request row stands in for the email here
    e.kind = "chargeback";
    e.po = "2K4GH7QZ";
    e.request = id;
    e.brand = "acme";
    e.reason = reason;
    e.action = "chargeback";
    store->add_effect(e, "test");
  }
  auto after = parse_exposition(registry.render());
  EXPECT_EQ(after.value("dockhand_chargebacks", {{"brand", "acme"}, {"reason", "late_asn"}}), 2) << registry.render();
  EXPECT_EQ(after.value("dockhand_chargebacks", {{"brand", "acme"}, {"reason", "labels"}}), 1);
  EXPECT_TRUE(std::isnan(after.value("dockhand_chargebacks", {{"brand", "acme"}, {"reason", "routing"}})));
}

TEST_F(ChainMetrics, ARefusedTransitionIsNotCounted) {
  using dockhand::chain::testing::email;
  source.inbox.push_back(email("maildir:1", "m2", "2K4GH7QZ"));
  chain->intake(source);
  const auto id = store->requests().at(0).id;
  // DONE from RECEIVED is refused: nothing committed, nothing counted (the transaction rolls back)
  EXPECT_THROW(store->finish_closeout(id, nlohmann::json::object(), "test", ""), chain::TransitionError);
  EXPECT_EQ(registry.value("dockhand_transitions_total", {"DONE", ""}), 0);
  run_until_idle();
  EXPECT_EQ(registry.value("dockhand_transitions_total", {"DONE", store->request(id)->account}), 0);
}
