// The real `dockhand-orchestrator serve` process against the SP-API simulator (scripts/with-spapi-sim.sh),
// with a Maildir or (under scripts/with-dovecot.sh) an IMAP inbox: emails to CONFIRMED, crashes at every
// point, Amazon's faults, bad input, and the CLI that shows it all.
#include "serve_harness.h"

#include <gtest/gtest.h>

#include <set>

using namespace dockhand;
using namespace dockhand::serve_testing;
using chain::State;

namespace dockhand::chain {
inline void PrintTo(State state, std::ostream* os) { *os << to_string(state); }
}  // namespace dockhand::chain

namespace {

std::string states(ServeEnv& env) {
  std::string out;
  for (const auto& r : env.requests())
    out += "#" + std::to_string(r.id) + " " + std::string(chain::to_string(r.state)) +
           (r.reason.empty() ? "" : " (" + r.reason + ")") + (r.last_error.empty() ? "" : " [" + r.last_error + "]") + "\n";
  return out;
}

int count_steps(ServeEnv& env, std::int64_t id, const std::string& step) {
  int n = 0;
  for (const auto& e : env.store().events(id)) n += e.step == step;
  return n;
}

// Nothing secret in what serve wrote: the LWA client secret, the refresh token, any access token issued.
void expect_no_secret_in_logs(ServeEnv& env, spapi::testing::SimAdmin& sim) {
  auto logs = env.logs();
  ASSERT_FALSE(logs.empty());
  EXPECT_EQ(logs.find(spapi::testing::kClientSecret), std::string::npos);
  EXPECT_EQ(logs.find(spapi::testing::kRefreshToken), std::string::npos);
  for (const auto& token : sim.stats()["issued_tokens"])
    EXPECT_EQ(logs.find(token.get<std::string>()), std::string::npos) << "access token in the logs";
}

// Three emails: one PO, two POs for the same FC (one shipment), two POs for two FCs (two shipments).
struct Scenario {
  std::vector<std::string> emails;
  std::vector<std::string> shipments;
};
Scenario three_emails(ServeEnv& env, const std::string& tag) {
  for (auto [po, fc] : std::vector<std::pair<std::string, std::string>>{
           {"A1" + tag + "0001", "ABE8"}, {"B1" + tag + "0002", "ABE8"}, {"B2" + tag + "0003", "ABE8"},
           {"C1" + tag + "0004", "ABE8"}, {"C2" + tag + "0005", "MDW2"}})
    add_order(*env.orders, po, fc);
  Scenario s;
  s.emails.push_back(routing_email("one-" + tag + "@amazon.example", {{"A1" + tag + "0001", "ABE8"}}));
  s.emails.push_back(routing_email("two-" + tag + "@amazon.example", {{"B1" + tag + "0002", "ABE8"}, {"B2" + tag + "0003", "ABE8"}}));
  s.emails.push_back(routing_email("lanes-" + tag + "@amazon.example", {{"C1" + tag + "0004", "ABE8"}, {"C2" + tag + "0005", "MDW2"}}));
  s.shipments = {shipment_id("ABE8", {"A1" + tag + "0001"}), shipment_id("ABE8", {"B1" + tag + "0002", "B2" + tag + "0003"}),
                 shipment_id("ABE8", {"C1" + tag + "0004"}), shipment_id("MDW2", {"C2" + tag + "0005"})};
  return s;
}

void expect_each_submitted_once(spapi::testing::SimAdmin& sim, const std::vector<std::string>& shipments) {
  auto submissions = sim.stats()["submissions"];
  EXPECT_EQ(submissions.size(), shipments.size()) << submissions.dump();
  for (const auto& id : shipments) EXPECT_EQ(submissions.value(id, 0), 1) << id << " in " << submissions.dump();
}

class Serve : public ::testing::Test {
 protected:
  void SetUp() override {
    sim.reset();
    env = std::make_unique<ServeEnv>(::testing::UnitTest::GetInstance()->current_test_info()->name());
  }
  spapi::testing::SimAdmin sim;
  std::unique_ptr<ServeEnv> env;
};

}  // namespace

// ---- Maildir -------------------------------------------------------------------------------------------

TEST_F(Serve, MaildirEmailsReachConfirmedEachShipmentSubmittedOnce) {
  auto s = three_emails(*env, "MD");
  auto serve = env->start();
  for (const auto& e : s.emails) env->deliver(e);
  ASSERT_TRUE(eventually([&] { return env->all_in(State::CONFIRMED, 3); })) << states(*env) << env->logs();
  expect_each_submitted_once(sim, s.shipments);
  EXPECT_EQ(env->undelivered_maildir(), 0u) << "handled mail moves to .Handled";
  for (const auto& r : env->requests()) {
    EXPECT_EQ(count_steps(*env, r.id, "CONFIRMED"), 1);
    for (const auto& sh : env->store().shipments(r.id)) {
      EXPECT_EQ(sh.state, chain::shipment_state::confirmed);
      EXPECT_TRUE(sh.details.is_object()) << "shipment details fetched";
    }
  }

  // SIGTERM stops it cleanly, and it says so.
  auto status = serve->stop(SIGTERM);
  ASSERT_TRUE(status);
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << *status;
  EXPECT_NE(env->logs().find("serve: stopped"), std::string::npos);
  expect_no_secret_in_logs(*env, sim);
  // Every log line is one JSON object (logging.format json).
  std::istringstream log(slurp(env->dir / "serve.log"));
  int lines = 0;
  for (std::string line; std::getline(log, line); ++lines) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    ASSERT_TRUE(j.is_object() && j.contains("msg") && j.contains("level") && j.contains("time")) << line;
  }
  EXPECT_GT(lines, 5);

  // A restart does nothing twice.
  auto again = env->start();
  ASSERT_TRUE(eventually([&] { return env->count_in_logs("serve: starting") == 2; })) << env->logs();
  EXPECT_TRUE(again->running());
  EXPECT_EQ(again->stop(SIGINT).value_or(-1), 0);
  expect_each_submitted_once(sim, s.shipments);
  EXPECT_TRUE(env->all_in(State::CONFIRMED, 3));
}

TEST_F(Serve, StatusShowsEachRequestWithItsTimeline) {
  auto s = three_emails(*env, "ST");
  auto serve = env->start();
  for (const auto& e : s.emails) env->deliver(e);
  ASSERT_TRUE(eventually([&] { return env->all_in(State::CONFIRMED, 3); })) << states(*env);
  std::string store = (env->dir / "store.sqlite").string();

  auto [rc, text] = env->cli("status --store " + store);
  EXPECT_EQ(rc, 0) << text;
  for (const char* expected : {"#1  CONFIRMED", "#3  CONFIRMED", "RECEIVED", "EXTRACTED", "PLANNED", "SUBMITTING",
                               "SUBMITTED", "timeline:", s.shipments[3].c_str(), "carrier "})
    EXPECT_NE(text.find(expected), std::string::npos) << expected << " not in:\n" << text;

  auto [rc1, one] = env->cli("status 3 --json --config " + (env->dir / "config.json").string());
  EXPECT_EQ(rc1, 0) << one;
  auto j = nlohmann::json::parse(one);
  EXPECT_EQ(j["state"], "CONFIRMED");
  EXPECT_EQ(j["shipments"].size(), 2u);
  std::vector<std::string> steps;
  for (const auto& e : j["timeline"])
    if (e["step"] != "RETRY") steps.push_back(e["step"]);  // a 429 on the way is fine
  EXPECT_EQ(steps, (std::vector<std::string>{"RECEIVED", "EXTRACTED", "PLANNED", "SUBMITTING", "SHIPMENT_SUBMITTED",
                                             "SUBMITTING", "SUBMITTED", "SHIPMENT_CONFIRMED", "CONFIRMED", "DETAILS",
                                             "DETAILS"}))
      << j["timeline"].dump(2);

  auto [rc2, missing] = env->cli("status 99 --store " + store);
  EXPECT_EQ(rc2, 1) << missing;
  auto [rc3, none] = env->cli("status --store " + (env->dir / "nope.sqlite").string());
  EXPECT_EQ(rc3, 1) << none;
}
