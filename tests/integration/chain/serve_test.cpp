// The real `dockhand-orchestrator serve` process against the SP-API simulator (scripts/with-spapi-sim.sh),
// with a Maildir or (under scripts/with-dovecot.sh) an IMAP inbox: emails to CONFIRMED, crashes at every
// point, Amazon's faults, bad input, and the CLI that shows it all.
#include "serve_fixture.h"

#include <gtest/gtest.h>

#include <set>

using namespace dockhand;
using namespace dockhand::serve_testing;
using chain::State;

namespace {

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

class Serve : public ServeTest {};

}  // namespace

// ---- Maildir -------------------------------------------------------------------------------------------

TEST_F(Serve, MaildirEmailsReachConfirmedEachShipmentSubmittedOnce) {
  auto s = three_emails(*env, "MD");
  auto serve = env->start();
  for (const auto& e : s.emails) env->deliver(e);
  ASSERT_TRUE(eventually([&] { return env->all_confirmed(3); })) << states(*env) << env->logs();
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
  EXPECT_TRUE(env->all_confirmed(3));
}

TEST_F(Serve, StatusShowsEachRequestWithItsTimeline) {
  auto s = three_emails(*env, "ST");
  auto serve = env->start();
  for (const auto& e : s.emails) env->deliver(e);
  ASSERT_TRUE(eventually([&] { return env->all_confirmed(3); })) << states(*env);
  std::string store = (env->dir / "store.sqlite").string();

  // The table, newest first, one line per request.
  auto [rc, text] = env->cli("status --store " + store);
  EXPECT_EQ(rc, 0) << text;
  for (const char* expected : {"ID ", "STATE", "NEXT", "#3 ", "#1 ", "CONFIRMED", "3 requests"})
    EXPECT_NE(text.find(expected), std::string::npos) << expected << " not in:\n" << text;
  EXPECT_LT(text.find("#3 "), text.find("#1 ")) << text;
  // One request in full, its timeline one line per step a person cares about.
  auto [rc0, full] = env->cli("status 3 --store " + store);
  EXPECT_EQ(rc0, 0) << full;
  for (const char* expected : {"#3  CONFIRMED", "timeline", "received", "extracted", "submitted to Amazon",
                               "confirmed by Amazon", s.shipments[3].c_str(), "carrier "})
    EXPECT_NE(full.find(expected), std::string::npos) << expected << " not in:\n" << full;
  EXPECT_EQ(full.find("SUBMITTING"), std::string::npos) << "bookkeeping without --verbose:\n" << full;
  auto [rcv, verbose] = env->cli("status 3 --verbose --store " + store);
  EXPECT_NE(verbose.find("SUBMITTING"), std::string::npos) << verbose;

  auto [rc1, one] = env->cli("status 3 --json --config " + (env->dir / "config.json").string());
  EXPECT_EQ(rc1, 0) << one;
  auto j = nlohmann::json::parse(one);
  EXPECT_EQ(j["state"], "CONFIRMED");
  EXPECT_TRUE(j["id"].is_number()) << one;
  EXPECT_EQ(j["shipments"].size(), 2u);
  EXPECT_TRUE(j["shipments"][0]["cartons"].is_number()) << one;
  std::vector<std::string> steps;
  for (const auto& e : j["timeline"])
    if (e["step"] != "RETRY") steps.push_back(e["step"]);  // a 429 on the way is fine
  EXPECT_EQ(steps, (std::vector<std::string>{"RECEIVED", "EXTRACTED", "PLANNED", "SUBMITTING", "SHIPMENT_SUBMITTED",
                                             "SUBMITTING", "SUBMITTED", "SHIPMENT_CONFIRMED", "CONFIRMED", "DETAILS",
                                             "LABELS", "DETAILS", "LABELS"}))
      << j["timeline"].dump(2);
  // Amazon's labels (the simulator offers one per shipment once the carrier is named) are kept and listed.
  ASSERT_EQ(j["files"].size(), 2u) << one;
  EXPECT_EQ(j["files"][0]["content_type"], "application/pdf");
  EXPECT_EQ(j["shipments"][0]["labels"], 1);
  EXPECT_EQ(j["shipments"][0]["amazon_status"], "CarrierAssigned");

  auto [rc2, missing] = env->cli("status 99 --store " + store);
  EXPECT_EQ(rc2, 1) << missing;
  auto [rc3, none] = env->cli("status --store " + (env->dir / "nope.sqlite").string());
  EXPECT_EQ(rc3, 2) << none;
  EXPECT_NE(none.find("no store at"), std::string::npos) << none;
}

// ---- IMAP (dovecot on 127.0.0.1, mail seeded with dovecot-lda) -------------------------------------------

namespace {
std::string env_or_skip(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}
void lda_deliver(ServeEnv& env, const std::string& bytes, int n) {
  auto file = env.dir / ("lda-" + std::to_string(n) + ".eml");
  std::ofstream(file, std::ios::binary) << bytes;
  std::string command = env_or_skip("DOCKHAND_DOVECOT_DELIVER") + " " + file.string();
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
}
std::string doveadm(const std::string& args) {
  std::string command = env_or_skip("DOCKHAND_DOVECOT_DOVEADM") + " " + args + " 2>&1";
  FILE* p = ::popen(command.c_str(), "r");
  std::string out;
  char buf[1024];
  while (std::size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  ::pclose(p);
  return out;
}
}  // namespace

TEST_F(Serve, ImapEmailsReachConfirmedAndMoveToTheHandledMailbox) {
  if (env_or_skip("DOCKHAND_IMAPS_PORT").empty()) GTEST_SKIP() << "run under scripts/with-dovecot.sh";
  env->secret("imap-password", env_or_skip("DOCKHAND_IMAP_PASSWORD"));
  env->config["mail"] = {{"source", "imap"},
                         {"poll_interval_ms", 100},
                         {"imap",
                          {{"url", "imaps://127.0.0.1:" + env_or_skip("DOCKHAND_IMAPS_PORT")},
                           {"user", env_or_skip("DOCKHAND_IMAP_USER")},
                           {"password_file", "imap-password"},
                           {"ca_file", env_or_skip("DOCKHAND_IMAP_CA")},
                           {"handled_mailbox", "Handled"}}}};
  auto s = three_emails(*env, "IM");
  for (std::size_t i = 0; i < s.emails.size(); ++i) lda_deliver(*env, s.emails[i], int(i));
  auto serve = env->start();
  ASSERT_TRUE(eventually([&] { return env->all_confirmed(3); })) << states(*env) << env->logs();
  expect_each_submitted_once(sim, s.shipments);
  for (const auto& r : env->requests()) EXPECT_EQ(r.source_id.rfind("imap:", 0), 0u) << r.source_id;
  EXPECT_TRUE(eventually([&] { return doveadm("mailbox status -t messages INBOX").find("messages=0") != std::string::npos; }))
      << doveadm("mailbox status -t messages INBOX");
  EXPECT_NE(doveadm("mailbox status -t messages Handled").find("messages=3"), std::string::npos)
      << doveadm("mailbox status -t messages Handled");

  // Mail arriving while it runs, and a duplicate (same Message-ID): stored, recorded as DUPLICATE, not sent.
  add_order(*env->orders, "D1IM0006", "ABE8");
  lda_deliver(*env, routing_email("late-IM@amazon.example", {{"D1IM0006", "ABE8"}}), 10);
  lda_deliver(*env, routing_email("late-IM@amazon.example", {{"D1IM0006", "ABE8"}}), 11);
  ASSERT_TRUE(eventually([&] {
    auto rs = env->requests();
    return rs.size() == 5 && rs[3].state == State::CONFIRMED && rs[4].state == State::DUPLICATE;
  })) << states(*env);
  EXPECT_EQ(sim.stats()["submissions"].value(shipment_id("ABE8", {"D1IM0006"}), 0), 1);

  EXPECT_EQ(serve->stop(SIGTERM).value_or(-1), 0);
  EXPECT_EQ(env->logs().find(env_or_skip("DOCKHAND_IMAP_PASSWORD")), std::string::npos) << "IMAP password logged";
  expect_no_secret_in_logs(*env, sim);
}

TEST_F(Serve, ImapOAuthTokenFileIsReadAgainWhenItChanges) {
  if (env_or_skip("DOCKHAND_IMAPS_PORT").empty()) GTEST_SKIP() << "run under scripts/with-dovecot.sh";
  // The private dovecot checks bearer tokens against its password file. Start with an expired token: serve
  // keeps running, logs the failure (without the token), and picks up the refreshed file.
  env->secret("imap-token", "expired-oauth-token-0001");
  env->config["mail"] = {{"source", "imap"},
                         {"poll_interval_ms", 100},
                         {"imap",
                          {{"url", "imaps://127.0.0.1:" + env_or_skip("DOCKHAND_IMAPS_PORT")},
                           {"user", env_or_skip("DOCKHAND_IMAP_USER")},
                           {"oauth_token_file", "imap-token"},
                           {"ca_file", env_or_skip("DOCKHAND_IMAP_CA")}}}};
  auto s = three_emails(*env, "OA");
  lda_deliver(*env, s.emails[0], 0);
  auto serve = env->start();
  ASSERT_TRUE(eventually([&] { return env->count_in_logs("mail intake from") >= 1; })) << env->logs();
  EXPECT_TRUE(env->requests().empty());
  EXPECT_TRUE(serve->running());
  std::this_thread::sleep_for(std::chrono::milliseconds(20));  // a visibly newer file time
  env->secret("imap-token", env_or_skip("DOCKHAND_IMAP_PASSWORD"));
  ASSERT_TRUE(eventually([&] { return env->all_confirmed(1); })) << states(*env) << env->logs();
  EXPECT_NE(env->logs().find("read the IMAP OAuth token again"), std::string::npos);
  EXPECT_EQ(serve->stop(SIGTERM).value_or(-1), 0);
  EXPECT_EQ(env->logs().find("expired-oauth-token-0001"), std::string::npos) << "token logged";
  EXPECT_EQ(env->logs().find(env_or_skip("DOCKHAND_IMAP_PASSWORD")), std::string::npos) << "token logged";
}

// ---- crashes: SIGKILL at every point, restart ----------------------------------------------------------

namespace {
bool has_step_with(ServeEnv& env, const std::string& step, const std::string& text) {
  for (const auto& r : env.requests())
    for (const auto& e : env.store().events(r.id))
      if (e.step == step && e.detail.find(text) != std::string::npos) return true;
  return false;
}
}  // namespace

namespace {
class Crash : public Serve, public ::testing::WithParamInterface<const char*> {};
}  // namespace

TEST_P(Crash, KilledThereAndRestartedEachRequestIsConfirmedOnceAndEachShipmentSubmittedOnce) {
  const std::string point = GetParam();
  static const std::map<std::string, std::string> tags = {{"RECEIVED", "K0"},  {"EXTRACTED", "K1"}, {"PLANNED", "K2"},
                                                          {"SUBMITTING", "K3"}, {"SENT", "K4"},     {"SUBMITTED", "K5"},
                                                          {"CONFIRMED", "K6"}, {"DETAILS", "K7"}};
  auto s = three_emails(*env, tags.at(point));
  for (const auto& e : s.emails) env->deliver(e);
  {
    auto serve = env->start({{"DOCKHAND_CRASH_AT", point}});
    auto status = serve->wait_exit(std::chrono::milliseconds(60000));
    ASSERT_TRUE(status) << "serve did not reach " << point << "\n" << states(*env) << env->logs();
    ASSERT_TRUE(WIFSIGNALED(*status) && WTERMSIG(*status) == SIGKILL) << "status " << *status << "\n" << env->logs();
  }
  auto serve = env->start();
  ASSERT_TRUE(eventually([&] { return env->all_confirmed(3); })) << states(*env) << env->logs();
  expect_each_submitted_once(sim, s.shipments);
  for (const auto& r : env->requests()) {
    EXPECT_EQ(count_steps(*env, r.id, "RECEIVED"), 1) << "request #" << r.id;
    EXPECT_EQ(count_steps(*env, r.id, "CONFIRMED"), 1) << "request #" << r.id;
    for (const auto& sh : env->store().shipments(r.id)) EXPECT_TRUE(sh.details.is_object()) << sh.vendor_shipment_identifier;
  }
  EXPECT_EQ(env->undelivered_maildir(), 0u);
  // The restart took the path this point calls for.
  if (point == "RECEIVED") {  // stored, not yet moved out of the inbox: handed out again, recognised
    EXPECT_NE(env->logs().find("was already stored as routing request"), std::string::npos);
  } else if (point == "SUBMITTING") {  // marked, never sent: Amazon does not have it, so it is sent now
    EXPECT_TRUE(has_step_with(*env, "RESUBMIT", "not at Amazon after an uncertain submission")) << states(*env);
  } else if (point == "SENT") {  // sent, answer lost: Amazon has it, so it is not sent again
    EXPECT_TRUE(has_step_with(*env, "SHIPMENT_SUBMITTED", "already at Amazon") ||
                has_step_with(*env, "SUBMITTED", "already at Amazon"));
  }
  EXPECT_EQ(serve->stop(SIGTERM).value_or(-1), 0);
}

// Every durable point the chain passes on the way to CONFIRMED (chain/crash_point.h; CLOSING_OUT needs a
// close-out stage and is covered with the fleet).
INSTANTIATE_TEST_SUITE_P(AtEveryPoint, Crash,
                         ::testing::Values("RECEIVED", "EXTRACTED", "PLANNED", "SUBMITTING", "SENT", "SUBMITTED",
                                           "CONFIRMED", "DETAILS"),
                         [](const ::testing::TestParamInfo<const char*>& info) { return std::string(info.param); });

// ---- Amazon's faults -----------------------------------------------------------------------------------


TEST_F(Serve, FaultsThrottlingStormAndServerErrorsTheChainWaitsAndRecovers) {
  auto s = three_emails(*env, "TS");
  sim.faults({"429:0.7", "5xx:0.5"});
  auto serve = env->start();
  for (const auto& e : s.emails) env->deliver(e);
  ASSERT_TRUE(eventually([&] { return sim.injected("429") >= 10 && sim.injected("5xx") >= 10; })) << sim.stats().dump();
  ASSERT_TRUE(eventually([&] { return has_step_with(*env, "RETRY", "submitShipments"); })) << states(*env);
  EXPECT_TRUE(serve->running());
  sim.faults({});
  ASSERT_TRUE(eventually([&] { return env->all_confirmed(3); })) << states(*env) << env->logs();
  expect_each_submitted_once(sim, s.shipments);
  EXPECT_EQ(serve->stop(SIGTERM).value_or(-1), 0);
}

TEST_F(Serve, FaultsTimeoutsAreResolvedWithoutASecondSubmission) {
  // Amazon answers after 1.5 s, we give up after 0.5 s: the submission is uncertain. The next look comes
  // at least 1.6 s later (retry_initial 2 s, jitter 0.8..1), when Amazon has it: getShipmentDetails finds it.
  env->config["spapi"]["request_timeout_ms"] = 500;
  env->config["spapi"]["max_retries"] = 0;
  env->config["chain"]["retry_initial_ms"] = 2000;
  env->config["chain"]["retry_max_ms"] = 3000;
  auto s = three_emails(*env, "TO");
  sim.faults({"slow:1500"});
  auto serve = env->start();
  env->deliver(s.emails[0]);
  ASSERT_TRUE(eventually([&] { return sim.stats()["submissions"].size() == 1; })) << states(*env);
  ASSERT_TRUE(eventually([&] { return has_step_with(*env, "RETRY", "submitShipments"); })) << states(*env);
  sim.faults({});
  ASSERT_TRUE(eventually([&] { return env->all_confirmed(1); })) << states(*env) << env->logs();
  expect_each_submitted_once(sim, {s.shipments[0]});
  auto events = env->store().events(1);
  EXPECT_TRUE(std::any_of(events.begin(), events.end(), [](const chain::Event& e) {
    return e.detail.find("already at Amazon") != std::string::npos;
  })) << "the uncertain submission was resolved by getShipmentDetails";
  EXPECT_EQ(serve->stop(SIGTERM).value_or(-1), 0);
}

TEST_F(Serve, FaultsExpiredTokensAreRefreshed) {
  auto s = three_emails(*env, "EX");
  sim.faults({"expire-tokens"});  // every access token expires after its first use
  auto serve = env->start();
  for (const auto& e : s.emails) env->deliver(e);
  ASSERT_TRUE(eventually([&] { return env->all_confirmed(3); })) << states(*env) << env->logs();
  expect_each_submitted_once(sim, s.shipments);
  auto stats = sim.stats();
  EXPECT_GT(stats["faults_injected"].value("expired", 0), 0) << stats.dump();
  EXPECT_GT(stats.value("tokens_issued", 0), 3) << stats.dump();
  EXPECT_EQ(serve->stop(SIGTERM).value_or(-1), 0);
  expect_no_secret_in_logs(*env, sim);
}

TEST_F(Serve, FaultsLwaOutageWaitsShowsTheErrorAndRecovers) {
  auto s = three_emails(*env, "LW");
  auto serve = env->start();
  env->deliver(s.emails[0]);
  ASSERT_TRUE(eventually([&] { return env->all_confirmed(1); })) << states(*env);
  sim.faults({"lwa-down", "expire-now"});  // the cached token is dead and no new one can be had
  env->deliver(s.emails[1]);
  ASSERT_TRUE(eventually([&] {
    auto r = env->store().request(2);
    return r && r->attempts >= 2 && !r->last_error.empty();
  })) << states(*env);
  auto [rc, text] = env->cli("status 2 --store " + (env->dir / "store.sqlite").string());
  EXPECT_NE(text.find("last error"), std::string::npos) << text;
  EXPECT_NE(text.find("retrying:"), std::string::npos) << text;  // the narrated RETRY event
  EXPECT_EQ(env->store().request(2)->state, State::PLANNED);
  sim.faults({});
  ASSERT_TRUE(eventually([&] { return env->all_confirmed(2); })) << states(*env) << env->logs();
  expect_each_submitted_once(sim, {s.shipments[0], s.shipments[1]});
  EXPECT_EQ(serve->stop(SIGTERM).value_or(-1), 0);
  expect_no_secret_in_logs(*env, sim);
}

TEST_F(Serve, FaultsAmazonFailureBecomesRejectedWithAmazonsErrorsInStatus) {
  add_order(*env->orders, "REJECT42", "ABE8");  // the simulator fails shipments whose identifier says REJECT
  auto serve = env->start();
  env->deliver(routing_email("reject@amazon.example", {{"REJECT42", "ABE8"}}));
  ASSERT_TRUE(eventually([&] { return env->all_in(State::REJECTED, 1); })) << states(*env) << env->logs();
  EXPECT_EQ(sim.stats()["submissions"].value(shipment_id("ABE8", {"REJECT42"}), 0), 1);
  auto [rc, text] = env->cli("status 1 --store " + (env->dir / "store.sqlite").string());
  EXPECT_EQ(rc, 0);
  EXPECT_NE(text.find("REJECTED"), std::string::npos) << text;
  EXPECT_NE(text.find("Amazon error SHIPMENT_REJECTED"), std::string::npos) << text;
  // Nothing more happens to it: no resubmission.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(sim.stats()["submissions"].value(shipment_id("ABE8", {"REJECT42"}), 0), 1);
  EXPECT_EQ(serve->stop(SIGTERM).value_or(-1), 0);
}

// ---- bad input through serve ---------------------------------------------------------------------------

TEST_F(Serve, BadInputIsQuarantinedOrFlaggedWithItsReasonNothingDroppedNothingCrashes) {
  // tests/unit/intake/bad_input_test.cpp covers the intake alone; this is the same mail through serve.
  auto fixture = [](const char* name) { return slurp(fs::path(DOCKHAND_EMAIL_FIXTURES) / name); };
  std::string big = "From: a@example.com\r\nSubject: Routing request PO 2K4GH7QZ\r\nMessage-ID: <big@example.com>\r\n"
                    "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\n"
                    "Content-Type: text/plain\r\n\r\nPO: 2K4GH7QZ\r\n--b\r\nContent-Type: text/csv\r\n"
                    "Content-Transfer-Encoding: base64\r\n\r\n";
  std::string line(76, 'A');
  for (std::size_t n = 0; n < 20u * 1024 * 1024; n += 57) big += line + "\r\n";
  big += "--b--\r\n";
  add_order(*env->orders, "G1BI0001", "ABE8");
  struct Case {
    std::string name, bytes;
    std::vector<State> allowed;
    std::string reason;  // in the reason, or in the rule findings
  };
  std::vector<Case> cases = {
      {"empty", "", {State::QUARANTINED}, "empty"},
      {"20 MB attachment", big, {State::QUARANTINED}, "MB limit"},
      // A routing request with broken MIME is read as far as it goes and handed to a human.
      {"broken MIME, no boundary", fixture("43-broken-mime-no-boundary.eml"), {State::NEEDS_ATTENTION}, "broken MIME"},
      {"broken MIME, unterminated", fixture("44-broken-mime-unterminated.eml"), {State::NEEDS_ATTENTION}, "truncated"},
      {"HTML bomb", fixture("45-html-bomb.eml"), {State::NEEDS_ATTENTION}, "levels deep"},
      {"PO not 8 characters", fixture("20-bad-po-length.eml"), {State::NEEDS_ATTENTION}, "7 characters"},
      {"dates that do not exist", fixture("21-impossible-dates.eml"), {State::NEEDS_ATTENTION}, "does not exist"},
      {"not an email", fixture("42-not-an-email.eml"), {State::QUARANTINED, State::OTHER}, ""},
      {"good", routing_email("good@amazon.example", {{"G1BI0001", "ABE8"}}), {State::CONFIRMED}, ""},
  };
  auto serve = env->start();
  for (const auto& c : cases) env->deliver(c.bytes);
  ASSERT_TRUE(eventually([&] { return env->none_in_progress(cases.size()); })) << states(*env) << env->logs();
  EXPECT_TRUE(serve->running()) << "serve must survive bad input";
  EXPECT_EQ(env->undelivered_maildir(), 0u);
  auto rs = env->requests();
  ASSERT_EQ(rs.size(), cases.size()) << "nothing dropped";
  std::set<std::int64_t> matched;
  for (const auto& c : cases) {
    // The Maildir hands messages out in delivery order only to the second: find this case's request by its bytes.
    auto it = std::find_if(rs.begin(), rs.end(), [&](const chain::RequestRecord& r) {
      return !matched.count(r.id) && env->store().raw_message(r.id) == c.bytes;
    });
    ASSERT_NE(it, rs.end()) << c.name << ": no request holds exactly its raw bytes";
    const auto& r = *it;
    matched.insert(r.id);
    EXPECT_NE(std::find(c.allowed.begin(), c.allowed.end(), r.state), c.allowed.end())
        << c.name << ": " << chain::to_string(r.state) << " " << r.reason;
    if (r.state != State::CONFIRMED) {
      EXPECT_FALSE(r.reason.empty()) << c.name << " has no reason";
    }
    std::string why = r.reason + " " + r.findings.dump() + " " + r.evidence.dump();
    if (!c.reason.empty()) {
      EXPECT_NE(why.find(c.reason), std::string::npos) << c.name << ": " << why;
    }
  }
  EXPECT_EQ(sim.stats()["submissions"].size(), 1u) << "only the good email was submitted";
  EXPECT_EQ(serve->stop(SIGTERM).value_or(-1), 0);
}

// ---- doubt goes to a human ---------------------------------------------------------------------------

TEST_F(Serve, DoubtfulRoutingRequestsNeedAttentionWithTheReasonNeverOther) {
  const std::string head = "From: Sam Lee <sam@vendor.example>\r\nTo: routing@dockhand-3pl.example\r\n"
                           "Date: Tue, 01 Dec 2026 09:00:00 +0000\r\nMIME-Version: 1.0\r\n";
  auto mail = [&](const std::string& id, const std::string& subject, const std::string& rest) {
    return head + "Message-ID: <" + id + "@vendor.example>\r\nSubject: " + subject + "\r\n" + rest;
  };
  struct Case {
    std::string name, bytes, reason;
  };
  std::vector<Case> cases = {
      {"truncated MIME",
       mail("cut", "Routing request PO 2K4GH7QZ",
            "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n"
            "PO: 2K4GH7QZ\r\nDestination FC: ABE8\r\nCartons: 4\r\n--b\r\nContent-Type: text/csv\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\nUE8sRkMKM0w1"),
       "broken MIME"},
      {"PO only in the subject",
       mail("subject-only", "Routing request PO 3L5HJ8RA",
            "Content-Type: text/plain\r\n\r\nFreight is ready next week, please route.\r\nDestination FC: ABE8\r\n"
            "Ship window: 12/02/2026 - 12/06/2026\r\n"),
       "PO 3L5HJ8RA is in the subject but not in the body"},
      {"attachment that cannot be read",
       mail("bad-pdf", "Routing request",
            "Content-Type: multipart/mixed; boundary=\"m\"\r\n\r\n--m\r\nContent-Type: text/plain\r\n\r\n"
            "Routing request attached.\r\n--m\r\nContent-Type: application/pdf; name=\"routing.pdf\"\r\n"
            "Content-Disposition: attachment; filename=\"routing.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            "JVBERi0xLjQKZ2FyYmFnZSBvbmx5Cg==\r\n--m--\r\n"),
       "routing.pdf could not be read"},
      {"unknown layout, only PO-shaped tokens",
       mail("unknown", "Freight for next week",
            "Content-Type: text/plain\r\n\r\nHi,\r\n\r\nNext week 4M6JK9SB and 5N7KL0TC go out, ABE8 both, about a dozen each.\r\n"),
       "PO-shaped tokens not read in any known layout: 4M6JK9SB"},
  };
  auto serve = env->start();
  for (const auto& c : cases) env->deliver(c.bytes);
  std::string newsletter = mail("news", "Freight Insights", "List-Unsubscribe: <https://news.example/u>\r\n"
                                "Content-Type: text/plain\r\n\r\nHow vendors write routing requests.\r\n");
  env->deliver(newsletter);
  ASSERT_TRUE(eventually([&] { return env->none_in_progress(cases.size() + 1); })) << states(*env) << env->logs();
  EXPECT_TRUE(serve->running());
  std::string store = (env->dir / "store.sqlite").string();
  for (const auto& r : env->requests()) {
    std::string raw = env->store().raw_message(r.id);
    if (raw == newsletter) {
      // Mail without any routing-request signal stays "other", with its reason in `status`.
      EXPECT_EQ(r.state, State::OTHER) << r.reason;
      auto [rc, text] = env->cli("status " + std::to_string(r.id) + " --store " + store);
      EXPECT_NE(text.find("bulk mail"), std::string::npos) << text;
      continue;
    }
    auto it = std::find_if(cases.begin(), cases.end(), [&](const Case& c) { return c.bytes == raw; });
    ASSERT_NE(it, cases.end());
    EXPECT_EQ(r.state, State::NEEDS_ATTENTION) << it->name << ": " << chain::to_string(r.state) << " " << r.reason;
    EXPECT_NE(r.reason.find(it->reason), std::string::npos) << it->name << ": " << r.reason;
    // The evidence says what was found and what is missing; status shows the reason.
    EXPECT_TRUE(r.evidence.contains("found") && r.evidence.contains("missing")) << r.evidence.dump();
    EXPECT_FALSE(r.extracted.is_null()) << it->name;
    auto [rc, text] = env->cli("status " + std::to_string(r.id) + " --store " + store);
    EXPECT_EQ(rc, 0) << text;
    EXPECT_NE(text.find(it->reason), std::string::npos) << text;
  }
  EXPECT_EQ(sim.stats()["submissions"].size(), 0u) << "nothing in doubt is submitted";
  EXPECT_EQ(serve->stop(SIGTERM).value_or(-1), 0);
}

// ---- plan ----------------------------------------------------------------------------------------------

TEST_F(Serve, PlanPrintsThePayloadOrTheRuleFailuresWithoutSubmitting) {
  add_order(*env->orders, "P1PL0001", "ABE8");
  add_order(*env->orders, "P2PL0002", "ABE8");
  auto write = [&](const std::string& name, const std::string& bytes) {
    auto p = env->dir / name;
    std::ofstream(p, std::ios::binary) << bytes;
    return p.string();
  };
  std::string db = (env->dir / "orders.sqlite").string();
  auto good = write("good.eml", routing_email("plan@amazon.example", {{"P1PL0001", "ABE8"}, {"P2PL0002", "ABE8"}}));
  auto [rc, out] = env->cli("plan " + good + " --orders " + db);
  ASSERT_EQ(rc, 0) << out;
  auto body = nlohmann::json::parse(out);
  ASSERT_EQ(body["shipments"].size(), 1u);
  EXPECT_EQ(body["shipments"][0]["vendorShipmentIdentifier"], shipment_id("ABE8", {"P1PL0001", "P2PL0002"}));

  // 5 cartons claimed, 4 in the warehouse: a rule failure, exit 4, the message on stdout.
  auto bad = write("bad.eml", routing_email("plan-bad@amazon.example", {{"P1PL0001", "ABE8"}}, 5));
  auto [rc4, failures] = env->cli("plan " + bad + " --orders " + db);
  EXPECT_EQ(rc4, 4) << failures;
  EXPECT_NE(failures.find("error [carton-count] PO P1PL0001: The email says PO P1PL0001 has 5 cartons"), std::string::npos)
      << failures;
  auto [rc5, other] = env->cli("plan " + std::string(DOCKHAND_EMAIL_FIXTURES) + "/30-chargeback.eml --orders " + db);
  EXPECT_EQ(rc5, 5) << other;
  auto [rc3, quarantined] = env->cli("plan " + write("empty.eml", "") + " --orders " + db);
  EXPECT_EQ(rc3, 3) << quarantined;
  auto [rc2, usage] = env->cli("plan " + good);
  EXPECT_EQ(rc2, 2) << usage;
  EXPECT_EQ(sim.stats()["submissions"].size(), 0u) << "plan never submits";
}

// ---- serve --check: config and secret files -------------------------------------------------------------

TEST_F(Serve, CheckRefusesOpenSecretFilesAndUnknownKeysWithoutShowingSecrets) {
  auto config = env->write_config();
  auto [ok, ok_out] = env->cli("serve --check --config " + config.string());
  EXPECT_EQ(ok, 0) << ok_out << env->logs();

  fs::permissions(env->dir / "lwa-client-secret", fs::perms::group_read | fs::perms::others_read, fs::perm_options::add);
  auto [open, open_out] = env->cli("serve --check --config " + config.string());
  EXPECT_EQ(open, 2) << open_out;
  EXPECT_NE(open_out.find("lwa-client-secret has mode 0644"), std::string::npos) << open_out;
  EXPECT_EQ(open_out.find(spapi::testing::kClientSecret), std::string::npos) << open_out;
  fs::permissions(env->dir / "lwa-client-secret", fs::perms::owner_read | fs::perms::owner_write);

  env->config["mail"]["pol_interval_ms"] = 5;
  auto [typo, typo_out] = env->cli("serve --check --config " + env->write_config().string());
  EXPECT_EQ(typo, 2) << typo_out;
  EXPECT_NE(typo_out.find("unknown key mail.pol_interval_ms"), std::string::npos) << typo_out;

  env->config["mail"].erase("pol_interval_ms");
  env->config["orders_db"] = "missing.sqlite";
  auto [missing, missing_out] = env->cli("serve --check --config " + env->write_config().string());
  EXPECT_EQ(missing, 1) << missing_out;
  // --check logs to stderr only: it does not even create the log file.
  EXPECT_NE(missing_out.find("missing.sqlite does not exist"), std::string::npos) << missing_out;
}
