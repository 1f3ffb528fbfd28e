// alerts/: the Alerter against the real store and chain (doubles of Amazon and intake), with channels that
// record what they are given; the real SMTP and webhook channels are tested through serve
// (tests/integration/chain/alerts_test.cpp).
#include "orchestrator/alerts/alerts.h"
#include "tests/unit/chain/chain_doubles.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>

using namespace dockhand;
using namespace dockhand::chain;
using dockhand::chain::testing::email;
using namespace std::chrono_literals;

namespace {

// What a channel got, shared with the test (the Alerter owns the channel).
struct Inbox {
  std::mutex mutex;
  std::vector<alerts::Alert> delivered;
  std::atomic<int> failures_left{0};
  std::atomic<int> attempts{0};
  std::vector<alerts::Alert> all() {
    std::lock_guard lock(mutex);
    return delivered;
  }
};

class RecordingChannel : public alerts::Channel {
 public:
  RecordingChannel(std::string name, Inbox& inbox) : name_(std::move(name)), inbox_(inbox) {}
  std::string name() const override { return name_; }
  void send(const alerts::Alert& alert) override {
    ++inbox_.attempts;
    if (inbox_.failures_left > 0) {
      --inbox_.failures_left;
      throw std::runtime_error("421 out of service");
    }
    std::lock_guard lock(inbox_.mutex);
    inbox_.delivered.push_back(alert);
  }

 private:
  std::string name_;
  Inbox& inbox_;
};

bool eventually(const std::function<bool()>& predicate) {
  auto until = std::chrono::steady_clock::now() + 60s;
  while (std::chrono::steady_clock::now() < until) {
    if (predicate()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return predicate();
}

class AlerterTest : public dockhand::chain::testing::ChainFixture {
 protected:
  std::unique_ptr<alerts::Alerter> start(std::function<void(const std::string&, bool)> on_attempt = {}) {
    std::vector<std::unique_ptr<alerts::Channel>> channels;
    channels.push_back(std::make_unique<RecordingChannel>("email", mail));
    channels.push_back(std::make_unique<RecordingChannel>("webhook", hook));
    settings.retry_initial = 20ms;
    settings.retry_max = 100ms;
    settings.console_url = "https://console.example/";
    auto alerter = std::make_unique<alerts::Alerter>(settings, *store, std::move(channels), std::move(on_attempt));
    store->on_transition([a = alerter.get()](const Transition& t) {
      if (t.to == State::NEEDS_ATTENTION || t.to == State::REJECTED) a->wake();
    });
    return alerter;
  }
  // A request whose PO the warehouse does not know: NEEDS_ATTENTION at planning.
  std::int64_t stuck_request(const std::string& key) {
    std::string po = "ZZ" + key.substr(0, 6);
    for (auto& c : po) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    source.inbox.push_back(email("maildir:" + key, key, po));
    chain->intake(source);
    run_until_idle();
    auto id = store->requests().back().id;
    EXPECT_EQ(state(id), State::NEEDS_ATTENTION);
    return id;
  }
  alerts::AlertSettings settings;
  Inbox mail, hook;
};

}  // namespace

TEST_F(AlerterTest, OneAlertPerItemAndChannelNoneAgainAfterARestart) {
  auto alerter = start();
  const auto first = stuck_request("aaaaaaaa");
  for (int i = 0; i < 50; ++i) alerter->wake();  // many looks, still one alert
  ASSERT_TRUE(eventually([&] { return mail.all().size() == 1 && hook.all().size() == 1; }));
  const auto a = mail.all().at(0);
  EXPECT_EQ(a.json["request"], first);
  EXPECT_EQ(a.json["state"], "NEEDS_ATTENTION");
  EXPECT_EQ(a.json["link"], "https://console.example/#/request/" + std::to_string(first));
  EXPECT_NE(a.subject.find("routing request #" + std::to_string(first) + " needs attention"), std::string::npos);
  EXPECT_NE(a.text.find(store->request(first)->reason), std::string::npos) << a.text;

  // restart: the store reopened, a new alerter; only the new item goes out (channels send in order, so a
  // resend of the first would come before the second)
  alerter.reset();
  open();
  alerter = start();
  const auto second = stuck_request("bbbbbbbb");
  ASSERT_TRUE(eventually([&] { return mail.all().size() >= 2 && hook.all().size() >= 2; }));
  alerter.reset();
  ASSERT_EQ(mail.all().size(), 2u);
  EXPECT_EQ(mail.all().at(1).json["request"], second);
  EXPECT_EQ(hook.all().size(), 2u);
}

TEST_F(AlerterTest, WhatWaitedBeforeAlertsWereOnIsNotAnnounced) {
  const auto before = stuck_request("cccccccc");
  auto alerter = start();
  const auto after = stuck_request("dddddddd");
  ASSERT_TRUE(eventually([&] { return mail.all().size() >= 1; }));
  alerter.reset();
  ASSERT_EQ(mail.all().size(), 1u);
  EXPECT_EQ(mail.all().at(0).json["request"], after);
  EXPECT_NE(before, after);
}

TEST_F(AlerterTest, AFailingChannelIsRetriedWithBackoffWhileTheOtherAndTheChainGoOn) {
  mail.failures_left = 3;
  std::atomic<int> failed{0}, delivered{0};
  auto alerter = start([&](const std::string& channel, bool ok) { (ok ? delivered : failed) += channel == "email"; });
  stuck_request("eeeeeeee");
  ASSERT_TRUE(eventually([&] { return hook.all().size() == 1; })) << "the webhook does not wait for email";
  // the chain goes on meanwhile: a good request reaches CONFIRMED
  source.inbox.push_back(email("maildir:good", "good", "2K4GH7QZ"));
  chain->intake(source);
  run_until_idle();
  EXPECT_EQ(state(store->requests().back().id), State::CONFIRMED);
  ASSERT_TRUE(eventually([&] { return mail.all().size() == 1; }));
  alerter.reset();
  EXPECT_EQ(mail.attempts, 4);
  EXPECT_EQ(failed, 3);
  EXPECT_EQ(delivered, 1);
  for (const auto& row : store->alerts()) {
    EXPECT_TRUE(row["sent"].get<bool>()) << row.dump();
    EXPECT_EQ(row["attempts"], row["channel"] == "email" ? 4 : 1) << row.dump();
  }
}

TEST_F(AlerterTest, ASilentAgentIsOneAlertWithALinkToTheFleet) {
  auto alerter = start();
  alerter->agent_silent("vm-07", "no heartbeat for 3 s");
  ASSERT_TRUE(eventually([&] { return mail.all().size() == 1 && hook.all().size() == 1; }));
  const auto a = hook.all().at(0);
  EXPECT_EQ(a.json["kind"], "agent");
  EXPECT_EQ(a.json["agent"], "vm-07");
  EXPECT_EQ(a.json["link"], "https://console.example/#/fleet");
  EXPECT_NE(mail.all().at(0).subject.find("agent vm-07 went silent"), std::string::npos);
  alerter.reset();
  EXPECT_EQ(mail.all().size(), 1u);
}

TEST(AlertCompose, SaysWhatHappenedAndLinksOnlyWhenThereIsAConsole) {
  nlohmann::json rejected = {{"kind", "request"}, {"request", 12}, {"state", "REJECTED"}, {"brand", "Acme"},
                             {"reason", "Amazon said Failure: SHIPMENT_REJECTED"}, {"time", "2026-12-06T20:00:00.000Z"}};
  auto a = alerts::compose("request-12-event-40", rejected, "");
  EXPECT_EQ(a.subject, "Dockhand: routing request #12 was rejected by Amazon (Acme)");
  EXPECT_EQ(a.json["link"], "");
  EXPECT_EQ(a.text.find("console"), std::string::npos) << a.text;
  EXPECT_NE(a.text.find("SHIPMENT_REJECTED"), std::string::npos);
}

// Issue 23: a deadline passed (the event DEADLINE): the alert says the request is late and why, from the
// event's detail, not the request's reason (which is about something else, or empty).
TEST(AlertCompose, ALateRequestSaysItIsLateAndWhy) {
  nlohmann::json late = {{"kind", "request"}, {"request", 7}, {"state", "DEADLINE"}, {"brand", "Acme"}, {"reason", ""},
                         {"detail", "late (not confirmed): its ship window opens on 2026-11-24"},
                         {"time", "2026-11-23T00:01:00.000Z"}};
  auto a = alerts::compose("request-7-event-9", late, "https://console.example");
  EXPECT_EQ(a.subject, "Dockhand: routing request #7 is late (Acme)");
  EXPECT_NE(a.text.find("is late since 2026-11-23T00:01:00.000Z"), std::string::npos) << a.text;
  EXPECT_NE(a.text.find("Reason: late (not confirmed): its ship window opens on 2026-11-24"), std::string::npos) << a.text;
  EXPECT_EQ(a.json["state"], "DEADLINE");
  EXPECT_EQ(a.json["link"], "https://console.example/#/request/7");
}
