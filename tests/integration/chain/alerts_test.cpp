// Alerts through the real serve (issue 9, item 5): a local SMTP sink and a local webhook receiver on
// 127.0.0.1; one email and one POST per item, none again after a restart, and the chain goes on while the
// SMTP server is out of service; its alerts go out once it is back.
#include "serve_fixture.h"
#include "tests/integration/alerts/receivers.h"

using namespace dockhand;
using namespace dockhand::serve_testing;
using dockhand::alerts::testing::SmtpSink;
using dockhand::alerts::testing::WebhookReceiver;
using chain::State;

namespace {

const char* kSmtpPassword = "sink-Password-4f9a1c";
const char* kWebhookToken = "hook-Token-0b7e55d2c1a94f3e";

class Alerts : public ServeTest {
 protected:
  void SetUp() override {
    ServeTest::SetUp();
    env->secret("smtp-password", kSmtpPassword);
    env->secret("webhook-token", kWebhookToken);
    env->config["alerts"] = {
        {"email",
         {{"url", "smtp://127.0.0.1:" + std::to_string(smtp.port())},
          {"allow_plaintext", true},
          {"from", "dockhand@3pl.example"},
          {"to", {"ops@3pl.example", "lead@3pl.example"}},
          {"user", "dockhand"},
          {"password_file", "smtp-password"},
          {"timeout_ms", 5000}}},
        {"webhook",
         {{"url", "http://127.0.0.1:" + std::to_string(hook.port()) + "/hook"},
          {"allow_plaintext", true},
          {"token_file", "webhook-token"}}},
        {"retry_initial_ms", 200},
        {"retry_max_ms", 1000},
        {"console_url", "https://console.3pl.example/dockhand/"}};
  }
  // The items announced on each channel (X-Dockhand-Item header / "item" field), in arrival order.
  std::vector<std::string> email_items() {
    std::vector<std::string> out;
    for (const auto& m : smtp.emails()) {
      auto at = m.data.find("X-Dockhand-Item: ");
      out.push_back(at == std::string::npos ? "?" : m.data.substr(at + 17, m.data.find('\n', at) - at - 17));
    }
    return out;
  }
  std::vector<std::string> post_items() {
    std::vector<std::string> out;
    for (const auto& p : hook.posts()) out.push_back(nlohmann::json::parse(p.body).value("item", "?"));
    return out;
  }
  SmtpSink smtp;
  WebhookReceiver hook;
};

std::size_t distinct(std::vector<std::string> items) {
  std::sort(items.begin(), items.end());
  return static_cast<std::size_t>(std::unique(items.begin(), items.end()) - items.begin());
}

}  // namespace

TEST_F(Alerts, OneEmailAndOnePostPerItemTheChainGoesOnWhileSmtpIsDownAndNothingIsSentTwice) {
  smtp.set_down(true);
  add_order(*env->orders, "AL100001", "ABE8");
  add_order(*env->orders, "REJECT77", "ABE8");  // the simulator fails shipments whose identifier says REJECT
  auto serve = env->start();
  env->deliver(routing_email("ok@amazon.example", {{"AL100001", "ABE8"}}));
  env->deliver(routing_email("unknown-po@amazon.example", {{"NOPO0001", "ABE8"}}));  // not in the warehouse
  env->deliver(routing_email("reject@amazon.example", {{"REJECT77", "ABE8"}}));

  // The chain is not held up by the dead SMTP server: every request reaches its state, the webhook has both.
  ASSERT_TRUE(eventually([&] {
    auto rs = env->requests();
    std::map<State, int> n;
    for (const auto& r : rs) ++n[r.state];
    return rs.size() == 3 && n[State::CONFIRMED] == 1 && n[State::NEEDS_ATTENTION] == 1 && n[State::REJECTED] == 1;
  })) << states(*env) << env->logs();
  ASSERT_TRUE(eventually([&] { return hook.posts().size() >= 2 && smtp.refused() >= 2; }))
      << hook.posts().size() << " posts, " << smtp.refused() << " refused\n" << env->logs();
  EXPECT_TRUE(smtp.emails().empty());
  EXPECT_GE(env->count_in_logs("alerts: email failed"), 1u) << "a failing channel is logged";

  // The webhook's bodies: one per item, the reason, the brand, a link to the item in the console.
  for (const auto& p : hook.posts()) {
    EXPECT_EQ(p.authorization, std::string("Bearer ") + kWebhookToken);
    EXPECT_EQ(p.content_type, "application/json");
    auto body = nlohmann::json::parse(p.body);
    const auto id = body.at("request").get<std::int64_t>();
    const auto r = env->store().request(id);
    ASSERT_TRUE(r);
    EXPECT_EQ(body.at("state"), std::string(chain::to_string(r->state)));
    EXPECT_EQ(body.at("reason"), r->reason);
    EXPECT_EQ(body.at("brand"), r->account);
    EXPECT_EQ(body.at("link"), "https://console.3pl.example/dockhand/#/request/" + std::to_string(id));
  }

  // SMTP back: the two waiting emails go out, once each.
  smtp.set_down(false);
  ASSERT_TRUE(eventually([&] { return smtp.emails().size() >= 2; })) << env->logs();
  for (const auto& m : smtp.emails()) {
    EXPECT_EQ(m.user, "dockhand");
    EXPECT_EQ(m.password, kSmtpPassword);
    EXPECT_EQ(m.from, "<dockhand@3pl.example>");
    EXPECT_EQ(m.to, (std::vector<std::string>{"<ops@3pl.example>", "<lead@3pl.example>"}));
    EXPECT_NE(m.data.find("Subject: Dockhand: routing request #"), std::string::npos) << m.data;
    EXPECT_NE(m.data.find("https://console.3pl.example/dockhand/#/request/"), std::string::npos) << m.data;
  }
  const auto logs = env->logs();
  EXPECT_EQ(logs.find(kSmtpPassword), std::string::npos) << "the SMTP password is never logged";
  EXPECT_EQ(logs.find(kWebhookToken), std::string::npos) << "the webhook token is never logged";

  // A restart sends nothing again; a new item is announced once on each channel. The channels send in
  // order, so once the new item arrived any resend of the old ones would have arrived before it.
  ASSERT_EQ(serve->stop(SIGTERM).value_or(-1), 0);
  serve = env->start();
  env->deliver(routing_email("unknown-po-2@amazon.example", {{"NOPO0002", "ABE8"}}));
  ASSERT_TRUE(eventually([&] { return smtp.emails().size() >= 3 && hook.posts().size() >= 3; }))
      << smtp.emails().size() << " emails, " << hook.posts().size() << " posts\n" << env->logs();
  EXPECT_EQ(serve->stop(SIGTERM).value_or(-1), 0);
  EXPECT_EQ(smtp.emails().size(), 3u);
  EXPECT_EQ(hook.posts().size(), 3u);
  EXPECT_EQ(distinct(email_items()), 3u);
  EXPECT_EQ(distinct(post_items()), 3u);
  auto e = email_items(), p = post_items();
  std::sort(e.begin(), e.end());
  std::sort(p.begin(), p.end());
  EXPECT_EQ(e, p) << "the same items on both channels";
  for (const auto& row : env->store().alerts()) EXPECT_TRUE(row["sent"].get<bool>()) << row.dump();
}
