// `dockhand-orchestrator serve` with a "fleet" section: the real process (CURVE, agent allow-list from
// key files), the SP-API simulator, a Maildir inbox, and agents running the real Worker loop in this test
// process. Their executors stand in for the ERP and OpShip screens (idempotent like the screen scripts,
// counting every change), so "exactly once" is checked on the programs' side, across a SIGKILL of serve.
#include "../chain/brands_fixture.h"
#include "../chain/serve_harness.h"
#include "../fleet/fleet_harness.h"

#include "agent/protocol/wire.h"

#include <gtest/gtest.h>

#include <regex>

using namespace dockhand;
using namespace dockhand::serve_testing;
using chain::State;
namespace protocol = dockhand::protocol;

namespace {

struct Programs {
  std::mutex mutex;
  std::map<std::string, std::string> finalized;  // PO -> PT reference
  std::map<std::string, int> erp_changes;
  std::map<std::string, std::string> closed;  // shipment -> BOL
  std::map<std::string, int> opship_changes;
  std::map<std::string, std::map<std::string, std::string>> typed;
  std::set<std::string> unknown_pos;
  std::atomic<int> delay_ms{0};

  protocol::Result run(const protocol::Job& j, protocol::JobControl& control) {
    control.progress("steps[0].wait", "main window");
    if (delay_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms.load()));
    std::lock_guard lock(mutex);
    protocol::Result r;
    if (j.script == "erp-closeout") {
      const auto po = j.vars.at("po");
      if (unknown_pos.count(po)) {
        r.outcome = protocol::Outcome::business;
        r.reason = "PO not found: " + po;
        r.failed_step = "steps[5].then[0].fail";
        r.images.push_back({"screen.png", "image/png", "PNG-screen-" + po});
        return r;
      }
      bool already = finalized.count(po) > 0;
      if (!already) {
        char ref[16];
        std::snprintf(ref, sizeof ref, "PT-%06zu", 100000 + finalized.size());
        finalized[po] = ref;
        ++erp_changes[po];
      }
      r.outputs = {{"reference", finalized[po]}, {"already_done", already ? "true" : "false"}};
    } else {
      const auto id = j.vars.at("shipment_id");
      typed[id] = j.vars;
      bool already = closed.count(id) > 0;
      if (!already) {
        closed[id] = "BOL" + std::to_string(4710000 + closed.size());
        ++opship_changes[id];
      }
      r.outputs = {{"bol", closed[id]}, {"already_done", already ? "true" : "false"}};
    }
    return r;
  }
};

class ServeFleet : public ::testing::Test {
 protected:
  void SetUp() override {
    sim.reset();
    env = std::make_unique<ServeEnv>(::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(env->dir / "keys" / "agents");
    server = protocol::generate_curve_keypair();
    agent_keys = protocol::generate_curve_keypair();
    protocol::write_keypair(env->dir / "keys", "orchestrator", server);
    protocol::write_keypair(env->dir / "keys" / "agents", "vm1", agent_keys);
    // serve binds a free port itself (a port picked here and bound later could be taken in between by any
    // process's outgoing connection); start_serve() reads it from the log.
    env->config["fleet"] = {{"bind", "tcp://127.0.0.1:*"},
                            {"heartbeat_ms", 200},
                            {"ack_timeout_ms", 1000},
                            {"retry_backoff_ms", 100},
                            {"retry_backoff_max_ms", 400}};
  }
  void TearDown() override { agents.clear(); }
  // Starts serve; the first time, learns the fleet's endpoint from its log and keeps it in the config, so a
  // restarted serve listens where the agents look for it.
  std::unique_ptr<ServeProcess> start_serve() {
    auto serve = env->start();
    if (endpoint.empty()) {
      const std::string mark = "fleet: listening on ";
      eventually([&] {
        std::string logs = env->logs();
        auto at = logs.find(mark);
        if (at == std::string::npos) return false;
        auto end = logs.find_first_of(" \"\r\n", at + mark.size());  // text or JSON log lines
        endpoint = logs.substr(at + mark.size(), end - at - mark.size());
        return true;
      });
      EXPECT_FALSE(endpoint.empty()) << "serve never said where its fleet listens\n" << env->logs();
      env->config["fleet"]["bind"] = endpoint;
    }
    return serve;
  }
  void add_agent(const std::string& id, const protocol::CurveKeyPair& keys) {
    auto cfg = fleet_test::agent_config(endpoint, id, {"erp", "opship"});
    cfg.insecure = false;
    cfg.agent_keys = keys;
    cfg.server_public_key = server.public_key;
    agents.push_back(std::make_unique<fleet_test::TestAgent>(
        cfg, [this](const protocol::Job& j, protocol::JobControl& c) { return programs.run(j, c); }));
  }
  std::string states() {
    std::string out;
    for (const auto& r : env->requests())
      out += "#" + std::to_string(r.id) + " " + std::string(chain::to_string(r.state)) +
             (r.reason.empty() ? "" : " (" + r.reason + ")") + "\n";
    return out;
  }

  spapi::testing::SimAdmin sim;
  std::unique_ptr<ServeEnv> env;
  protocol::CurveKeyPair server, agent_keys;
  std::string endpoint;
  Programs programs;
  std::vector<std::unique_ptr<fleet_test::TestAgent>> agents;
};

}  // namespace

TEST_F(ServeFleet, EmailsGoAllTheWayToDoneWithTheReferencesInTheRecord) {
  add_order(*env->orders, "A1FL0001", "ABE8");
  add_order(*env->orders, "B1FL0002", "ABE8");
  add_order(*env->orders, "B2FL0003", "MDW2");
  auto serve = start_serve();
  add_agent("vm1", agent_keys);
  env->deliver(routing_email("one-fl@amazon.example", {{"A1FL0001", "ABE8"}}));
  env->deliver(routing_email("two-fl@amazon.example", {{"B1FL0002", "ABE8"}, {"B2FL0003", "MDW2"}}));
  ASSERT_TRUE(eventually([&] { return env->all_in(State::DONE, 2); })) << states() << env->logs();

  std::lock_guard lock(programs.mutex);
  for (const auto& r : env->requests()) {
    auto shipments = env->store().shipments(r.id);
    ASSERT_EQ(r.outputs["shipments"].size(), shipments.size()) << r.outputs.dump();
    for (std::size_t i = 0; i < shipments.size(); ++i) {
      const auto& out = r.outputs["shipments"][i];
      const auto& sid = shipments[i].vendor_shipment_identifier;
      EXPECT_EQ(out["vendor_shipment_identifier"], sid);
      EXPECT_EQ(out["bol"], programs.closed.at(sid));
      EXPECT_EQ(programs.opship_changes.at(sid), 1);
      for (const auto& po : shipments[i].planned.pos) {
        EXPECT_EQ(out["erp"][po], programs.finalized.at(po));
        EXPECT_EQ(programs.erp_changes.at(po), 1);
      }
      // What Amazon confirmed (the simulator's carrier and pickup) is what went into OpShip.
      const auto& typed = programs.typed.at(sid);
      auto carrier = shipments[i].details["transportationDetails"]["carrierDetails"]["name"].get<std::string>();
      EXPECT_EQ(typed.at("carrier"), carrier);
      EXPECT_TRUE(std::regex_match(typed.at("pickup_date"), std::regex(R"(\d{4}-\d{2}-\d{2})")));
      EXPECT_TRUE(std::regex_match(typed.at("reference"), std::regex(R"(\d*)"))) << typed.at("reference");
    }
  }
  // The timeline shows the jobs.
  auto [rc, text] = env->cli("status 2 --verbose --store " + (env->dir / "store.sqlite").string());
  EXPECT_EQ(rc, 0);
  for (const char* expected : {"CLOSING_OUT", "JOB_DISPATCHED", "ERP close-out of PO", "PT reference", "DONE"})
    EXPECT_NE(text.find(expected), std::string::npos) << expected << " not in:\n" << text;
  EXPECT_EQ(serve->stop(SIGTERM).value_or(-1), 0);
}

// Issue 23: a cancellation after submission, while the close-out waits for an agent: serve sends a Cancel the
// simulator accepts, withdraws the close-out jobs (none ever runs) and the request ends CANCELLED, shown by
// `status` with the email that caused it.
TEST_F(ServeFleet, ACancellationAfterSubmissionSendsCancelAndWithdrawsThePendingCloseOut) {
  add_order(*env->orders, "A1CX0001", "ABE8");
  auto serve = start_serve();
  env->deliver(routing_email("one-cx@amazon.example", {{"A1CX0001", "ABE8"}}));
  ASSERT_TRUE(eventually([&] { return env->all_in(State::CLOSING_OUT, 1); })) << states() << env->logs();
  const auto id = env->requests().at(0).id;
  const std::string shipment = shipment_id("ABE8", {"A1CX0001"});
  env->deliver("From: Amazon Vendor Central <vendor-notifications@amazon.example>\r\nTo: routing@dockhand-3pl.example\r\n"
               "Subject: PO A1CX0001 cancelled\r\nDate: Tue, 01 Dec 2026 10:00:00 +0000\r\n"
               "Message-ID: <cancel-cx@amazon.example>\r\nContent-Type: text/plain\r\n\r\n"
               "Purchase order A1CX0001 has been cancelled by the buyer. Do not ship.\r\n");
  ASSERT_TRUE(eventually([&] { return env->store().request(id)->state == State::CANCELLED; })) << states() << env->logs();
  EXPECT_EQ(sim.stats()["cancels"].value(shipment, 0), 1) << sim.stats().dump();
  bool withdrawn = false;
  for (const auto& e : env->store().events(id))
    withdrawn |= e.step == "CLOSEOUT_WITHDRAWN" && e.detail.find(shipment + ": withdrawn " + std::to_string(id) + "-") != std::string::npos &&
                 e.detail.find("already run or running: none") != std::string::npos;
  EXPECT_TRUE(withdrawn) << "the close-out jobs were withdrawn\n" << env->cli("status " + std::to_string(id) + " --verbose --store " + (env->dir / "store.sqlite").string()).second;
  add_agent("vm1", agent_keys);  // an agent now: nothing is left for it
  ASSERT_TRUE(eventually([&] { return env->count_in_logs("fleet: agent vm1") > 0; })) << env->logs();
  {
    std::lock_guard lock(programs.mutex);
    EXPECT_TRUE(programs.erp_changes.empty() && programs.opship_changes.empty()) << "a withdrawn job never runs";
  }
  auto [rc, text] = env->cli("status " + std::to_string(id) + " --store " + (env->dir / "store.sqlite").string());
  EXPECT_EQ(rc, 0);
  for (const char* expected : {"CANCELLED", "'PO A1CX0001 cancelled'", "Cancel sent to Amazon", "close-out withdrawn"})
    EXPECT_NE(text.find(expected), std::string::npos) << expected << " not in:\n" << text;
  EXPECT_EQ(serve->stop(SIGTERM).value_or(-1), 0);
}

// Issue 22 with the close-out: three brands, each request submitted under its own brand's authorization
// (the simulator refuses another partner's token) and closed out by the agent: all DONE.
TEST_F(ServeFleet, ThreeBrandsEachReachDoneClosedOutByTheAgent) {
  use_three_brands(sim, *env);
  auto serve = start_serve();
  add_agent("vm1", agent_keys);
  const auto shipments = one_email_per_brand(*env, "FB");
  ASSERT_TRUE(eventually([&] { return env->all_in(State::DONE, 3); })) << states() << env->logs();

  const auto by_partner = sim.stats()["submissions_by_partner"];
  std::lock_guard lock(programs.mutex);
  for (const auto& b : kBrands) {
    const auto& sid = shipments.at(b.name);
    EXPECT_EQ(by_partner[b.partner].value(sid, 0), 1) << b.name << ": " << by_partner.dump();
    EXPECT_EQ(programs.opship_changes.at(sid), 1) << b.name;
  }
  for (const auto& r : env->requests()) {
    const auto& out = r.outputs.at("shipments").at(0);
    const std::string sid = out.at("vendor_shipment_identifier");
    EXPECT_EQ(shipments.at(r.account), sid) << "request #" << r.id << " bound to " << r.account;
    EXPECT_EQ(out.at("bol"), programs.closed.at(sid));
  }
  EXPECT_EQ(serve->stop(SIGTERM).value_or(-1), 0);
}

TEST_F(ServeFleet, AnAgentWhoseKeyIsNotAllowListedGetsNoJobAndIsLogged) {
  add_order(*env->orders, "A1FL0011", "ABE8");
  auto serve = start_serve();
  auto stranger = protocol::generate_curve_keypair();
  add_agent("stranger", stranger);
  env->deliver(routing_email("stranger@amazon.example", {{"A1FL0011", "ABE8"}}));
  ASSERT_TRUE(eventually([&] { return env->all_in(State::CLOSING_OUT, 1); })) << states();
  ASSERT_TRUE(eventually([&] { return env->count_in_logs(stranger.public_key) > 0; }, std::chrono::seconds(10)))
      << env->logs();
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  {
    std::lock_guard lock(programs.mutex);
    EXPECT_TRUE(programs.finalized.empty()) << "a refused agent ran a job";
  }
  add_agent("vm1", agent_keys);
  ASSERT_TRUE(eventually([&] { return env->all_in(State::DONE, 1); })) << states();
}

TEST_F(ServeFleet, ABusinessFailureNeedsAttentionWithTheScreenshotInTheStore) {
  add_order(*env->orders, "A1FL0021", "ABE8");
  programs.unknown_pos.insert("A1FL0021");
  auto serve = start_serve();
  add_agent("vm1", agent_keys);
  env->deliver(routing_email("biz-fl@amazon.example", {{"A1FL0021", "ABE8"}}));
  ASSERT_TRUE(eventually([&] { return env->all_in(State::NEEDS_ATTENTION, 1); })) << states();
  auto r = env->requests().at(0);
  EXPECT_NE(r.reason.find("PO not found: A1FL0021"), std::string::npos) << r.reason;
  EXPECT_EQ(r.evidence["evidence_ids"].size(), 1u);
  int evidence_events = 0;
  for (const auto& e : env->store().events(r.id)) evidence_events += e.step == "EVIDENCE";
  EXPECT_EQ(evidence_events, 1);
  // The fleet's own copy under evidence_dir (default "evidence" next to the config).
  EXPECT_TRUE(fs::exists(env->dir / "evidence" / ("request-" + std::to_string(r.id))));
}

// serve is SIGKILLed while the agent is on the ERP screen; the restarted serve finishes the close-out and
// nothing is done twice in the programs.
TEST_F(ServeFleet, KilledMidCloseOutTheRestartFinishesItExactlyOnce) {
  add_order(*env->orders, "A1FL0031", "ABE8");
  add_order(*env->orders, "A2FL0032", "ABE8");
  programs.delay_ms = 700;
  auto serve = start_serve();
  add_agent("vm1", agent_keys);
  env->deliver(routing_email("kill-fl@amazon.example", {{"A1FL0031", "ABE8"}, {"A2FL0032", "ABE8"}}));
  ASSERT_TRUE(eventually([&] { return env->count_in_logs("fleet close-out: submitted") > 0; })) << env->logs();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  serve->stop(SIGKILL);
  ASSERT_TRUE(env->all_in(State::CLOSING_OUT, 1)) << states();
  auto again = start_serve();
  ASSERT_TRUE(eventually([&] { return env->all_in(State::DONE, 1); })) << states() << env->logs();
  std::lock_guard lock(programs.mutex);
  EXPECT_EQ(programs.erp_changes.at("A1FL0031"), 1);
  EXPECT_EQ(programs.erp_changes.at("A2FL0032"), 1);
  ASSERT_EQ(programs.opship_changes.size(), 1u);
  EXPECT_EQ(programs.opship_changes.begin()->second, 1);
  auto r = env->requests().at(0);
  EXPECT_EQ(r.outputs["shipments"][0]["erp"]["A1FL0031"], programs.finalized.at("A1FL0031"));
}

// Issue 21: serve SIGKILLed while submitShipments is in flight (Amazon slowed to 1.5 s a call): Amazon
// takes the submission, the answer is lost. The restart finds it with getShipmentDetails, sends nothing
// twice, and the request goes on exactly like a normal one: confirmed once Amazon accepted it (carrier
// assigned), closed out, DONE. Ten rounds.
TEST_F(ServeFleet, KilledWhileASubmissionIsInFlightTheRequestEndsDoneWithOneSubmissionTenTimes) {
  env->config["chain"]["uncertain_grace_ms"] = 6000;  // past the simulator's two slow calls (token, submit)
  for (int round = 0; round < 10; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    char po[16];
    std::snprintf(po, sizeof po, "K%dIFL%03d", round, round);
    add_order(*env->orders, po, "ABE8");
    const auto shipment = shipment_id("ABE8", {po});
    sim.faults({"slow:1500"});
    auto sent_before = sim.stats()["requests"].value("submitShipments", 0);
    {
      auto serve = start_serve();
      if (agents.empty()) add_agent("vm1", agent_keys);  // once serve said where it listens; kept across restarts
      env->deliver(routing_email(std::string("inflight-") + po + "@amazon.example", {{po, "ABE8"}}));
      // The submission has reached Amazon, which is still working on it: kill -9 now.
      ASSERT_TRUE(sim.wait_for([&](const nlohmann::json& s) {
        return s["requests"].value("submitShipments", 0) > sent_before;
      })) << states() << env->logs();
      serve->stop(SIGKILL);
    }
    sim.faults({});
    auto serve = start_serve();
    ASSERT_TRUE(eventually([&] { return env->all_in(State::DONE, static_cast<std::size_t>(round) + 1); }))
        << states() << env->logs();
    EXPECT_EQ(sim.stats()["submissions"].value(shipment, 0), 1) << "submitted twice";
    auto r = env->requests().back();
    int confirmed = 0, done = 0, resubmitted = 0;
    for (const auto& e : env->store().events(r.id)) {
      confirmed += e.step == "CONFIRMED";
      done += e.step == "DONE";
      resubmitted += e.step == "RESUBMIT";
    }
    EXPECT_EQ(confirmed, 1);
    EXPECT_EQ(done, 1);
    EXPECT_EQ(resubmitted, 0);
    auto details = env->store().shipments(r.id).at(0).details;
    EXPECT_FALSE(details["transportationDetails"]["carrierDetails"].value("name", std::string()).empty())
        << "confirmed before Amazon assigned a carrier: " << details.dump();
    EXPECT_EQ(serve->stop(SIGTERM).value_or(-1), 0);
  }
}

// Issue 21: 200 hostile connections to serve's fleet port (garbage, a plain client, keys not allow-listed)
// give a handful of log lines, which name the peer and say why in words.
TEST_F(ServeFleet, TwoHundredHostileConnectionsGiveAHandfulOfLogLinesNamingThePeer) {
  auto serve = start_serve();
  ASSERT_TRUE(eventually([&] { return env->count_in_logs("fleet") > 0 && serve->running(); })) << env->logs();
  const int port = std::stoi(endpoint.substr(endpoint.rfind(':') + 1));
  auto stranger = protocol::generate_curve_keypair();
  zmq::context_t context;
  for (int i = 0; i < 200; ++i) {
    zmq::socket_t dealer(context, zmq::socket_type::dealer);
    dealer.set(zmq::sockopt::linger, 0);
    protocol::make_curve_client(dealer, stranger, server.public_key);
    dealer.connect("tcp://127.0.0.1:" + std::to_string(port));
    ASSERT_TRUE(eventually([&] { return env->count_in_logs("refused a connection from 127.0.0.1") > 0; }))
        << env->logs();
    if (i % 4 == 0) {  // and now and then garbage, or a ZMTP peer offering no security, on a raw socket
      int fd = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      addr.sin_port = htons(static_cast<uint16_t>(port));
      if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
        char greeting[64];
        ::recv(fd, greeting, 10, MSG_WAITALL);  // the server's signature: it has accepted us
        std::string hello(64, '\0');  // ZMTP 3.0, mechanism NULL
        hello[0] = '\xff';
        hello[9] = '\x7f';
        hello[10] = 3;
        hello.replace(12, 4, "NULL");
        if (i % 8 == 0) hello = "GET / HTTP/1.0\r\n\r\n";
        ::send(fd, hello.data(), hello.size(), MSG_NOSIGNAL);
        while (::recv(fd, greeting, sizeof greeting, 0) > 0) {
        }  // until the server hangs up
      }
      ::close(fd);
    }
  }
  ASSERT_TRUE(eventually([&] { return env->count_in_logs("handshake with") > 0; })) << env->logs();
  EXPECT_TRUE(serve->running());
  auto logs = slurp(env->dir / "serve.log");
  std::size_t warnings = 0;
  std::istringstream lines(logs);
  for (std::string line; std::getline(lines, line);) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_object() || (j.value("level", "") != "warning" && j.value("level", "") != "error")) continue;
    ++warnings;
    auto msg = j.value("msg", "");
    EXPECT_EQ(msg.find(endpoint), std::string::npos) << "names our own endpoint: " << msg;
    EXPECT_FALSE(std::regex_search(msg, std::regex("error [0-9]{5,}"))) << "a bare number: " << msg;
  }
  // Five kinds of hostility (unknown key, its key named once, garbage, a plain client, hang-ups), each peer
  // named or, when it left before its address was read, said so: at most two lines a kind, whatever the count.
  EXPECT_LE(warnings, 10u) << logs;
  EXPECT_EQ(env->count_in_logs("refused a connection from 127.0.0.1: its CURVE public key is not allow-listed"), 1u)
      << logs;
  EXPECT_GE(env->count_in_logs("handshake with peer 127.0.0.1 failed: "), 1u) << logs;
  EXPECT_EQ(serve->stop(SIGTERM).value_or(-1), 0);
}

// ---- issue 23: following the shipment until it leaves, and its ASN ------------------------------------------

namespace {
int count_step(chain::Store& store, std::int64_t id, const std::string& step) {
  int n = 0;
  for (const auto& e : store.events(id)) n += e.step == step;
  return n;
}
}  // namespace

// Email, submitted, confirmed; Amazon names the carrier only after several looks (the simulator delays it);
// the close-out types Amazon's carrier and pickup into OpShip; OpShip's BOL is the pickup confirmation:
// departed; the ASN with that BOL, Amazon accepts it; DONE. Labels kept and listed by status.
TEST_F(ServeFleet, FollowUpCarrierAfterSeveralLooksCloseOutDepartedAsnWithOpShipsBolDone) {
  sim.config({{"carrier_polls", 4}});
  env->config["chain"]["follow_poll_initial_ms"] = 100;
  env->config["chain"]["follow_poll_max_ms"] = 300;
  add_order(*env->orders, "F1FU0001", "ABE8");
  add_order(*env->orders, "F2FU0002", "MDW2");
  auto serve = start_serve();
  add_agent("vm1", agent_keys);
  env->deliver(routing_email("follow-up@amazon.example", {{"F1FU0001", "ABE8"}, {"F2FU0002", "MDW2"}}));
  ASSERT_TRUE(eventually([&] { return env->all_in(State::DONE, 1); })) << states() << env->logs();

  const auto r = env->requests().at(0);
  const auto shipments = env->store().shipments(r.id);
  ASSERT_EQ(shipments.size(), 2u);
  const auto stats = sim.stats();
  std::lock_guard lock(programs.mutex);
  for (const auto& s : shipments) {
    const auto& sid = s.vendor_shipment_identifier;
    SCOPED_TRACE(sid);
    // Several looks before the carrier: the chain waited, it did not stop.
    EXPECT_GE(stats["details_looks"].value(sid, 0), 4) << stats["details_looks"].dump();
    const auto carrier = s.details["transportationDetails"]["carrierDetails"];
    EXPECT_EQ(programs.typed.at(sid).at("carrier"), carrier["name"].get<std::string>());
    EXPECT_EQ(programs.typed.at(sid).at("pickup_date"),
              s.details["collectFreightPickupDetails"]["scheduledPickUp"].get<std::string>().substr(0, 10));
    // One ASN, with OpShip's BOL and Amazon's carrier, accepted: Amazon lists the shipment Shipped.
    EXPECT_EQ(stats["asns"].value(sid, 0), 1);
    const auto& asn = stats["asn_bodies"][sid];
    EXPECT_EQ(asn["transportationDetails"]["billOfLadingNumber"], programs.closed.at(sid));
    EXPECT_EQ(asn["transportationDetails"]["carrierScac"], carrier["code"]);
    EXPECT_EQ(asn["amazonReferenceNumber"], s.details["buyerReferenceNumber"]);
    EXPECT_EQ(asn["shippedItems"][0]["itemDetails"]["purchaseOrderNumber"], s.planned.pos.at(0));
    EXPECT_EQ(asn["cartons"].size(), 4u);
    EXPECT_EQ(stats["shipment_status"][sid], "Shipped");
    EXPECT_EQ(env->store().followups(r.id).at(s.id).asn_state, chain::asn_state::accepted);
  }
  EXPECT_EQ(count_step(env->store(), r.id, "NEEDS_ATTENTION"), 0);
  EXPECT_EQ(count_step(env->store(), r.id, "ASN_SENT"), 2);
  // First seen without a carrier, then Amazon's status changed to CarrierAssigned: once per shipment.
  int waiting = 0, assigned = 0;
  for (const auto& e : env->store().events(r.id)) {
    waiting += e.step == "DETAILS" && e.detail.find("TransportationRequested, no carrier yet") != std::string::npos;
    assigned += e.step == "AMAZON_STATUS" && e.detail.find("CarrierAssigned, carrier ") != std::string::npos;
  }
  EXPECT_EQ(waiting, 2);
  EXPECT_EQ(assigned, 2);
  // The order of things in the timeline.
  std::vector<std::string> milestones;
  for (const auto& e : env->store().events(r.id))
    for (const char* m : {"SUBMITTED", "CONFIRMED", "AMAZON_STATUS", "CLOSING_OUT", "DEPARTED", "ASN_SENT", "DONE"})
      if (e.step == m && (milestones.empty() || milestones.back() != m)) milestones.push_back(m);
  EXPECT_EQ(milestones, (std::vector<std::string>{"SUBMITTED", "CONFIRMED", "AMAZON_STATUS", "CLOSING_OUT", "DEPARTED",
                                                  "ASN_SENT", "DONE"}));
  // Amazon's labels: kept with the request, listed by status, written out as printable PDFs.
  auto [rc, text] = env->cli("status " + std::to_string(r.id) + " --store " + (env->dir / "store.sqlite").string() +
                             " --save-files " + (env->dir / "printed").string());
  EXPECT_EQ(rc, 0) << text;
  for (const auto& s : shipments) {
    const auto name = "label-" + s.vendor_shipment_identifier + "-1.pdf";
    EXPECT_NE(text.find(name), std::string::npos) << text;
    EXPECT_EQ(slurp(env->dir / "printed" / name).rfind("%PDF-1.4", 0), 0u);
  }
  for (const char* expected : {"DEPARTED", "ASN ACCEPTED", "BOL BOL"})
    EXPECT_NE(text.find(expected), std::string::npos) << expected << " not in:\n" << text;
  EXPECT_EQ(serve->stop(SIGTERM).value_or(-1), 0);
}

namespace {
class AsnCrash : public ServeFleet, public ::testing::WithParamInterface<const char*> {};
}  // namespace

// serve is SIGKILLed right after each new durable point of the follow-up and the ASN; the restart finishes
// the request: DONE, one ASN per shipment, each close-out job done once.
TEST_P(AsnCrash, KilledThereTheRestartSendsExactlyOneAsnPerShipment) {
  const std::string point = GetParam();
  const std::string tag = point == "LABELS" ? "L" : point == "DEPARTED" ? "D" : point == "ASN_SENDING" ? "G"
                          : point == "ASN_SENT" ? "T" : "S";
  const std::string a = tag + "1AC0001", b = tag + "2AC0002";
  add_order(*env->orders, a, "ABE8");
  add_order(*env->orders, b, "MDW2");
  {
    auto serve = env->start({{"DOCKHAND_CRASH_AT", point}});
    if (endpoint.empty()) {
      ASSERT_TRUE(eventually([&] { return env->count_in_logs("fleet: listening on ") > 0; })) << env->logs();
      std::string logs = env->logs();
      const std::string mark = "fleet: listening on ";
      auto at = logs.find(mark);
      auto end = logs.find_first_of(" \"\r\n", at + mark.size());
      endpoint = logs.substr(at + mark.size(), end - at - mark.size());
      env->config["fleet"]["bind"] = endpoint;
    }
    add_agent("vm1", agent_keys);
    env->deliver(routing_email("asn-crash-" + point + "@amazon.example", {{a, "ABE8"}, {b, "MDW2"}}));
    auto status = serve->wait_exit(std::chrono::milliseconds(90000));
    ASSERT_TRUE(status) << "serve did not reach " << point << "\n" << states() << env->logs();
    ASSERT_TRUE(WIFSIGNALED(*status) && WTERMSIG(*status) == SIGKILL) << "status " << *status << "\n" << env->logs();
  }
  auto serve = start_serve();
  ASSERT_TRUE(eventually([&] { return env->all_in(State::DONE, 1); }, std::chrono::seconds(90))) << states() << env->logs();
  const auto stats = sim.stats();
  const auto r = env->requests().at(0);
  for (const auto& s : env->store().shipments(r.id)) {
    EXPECT_EQ(stats["asns"].value(s.vendor_shipment_identifier, 0), 1) << s.vendor_shipment_identifier << " " << point;
    EXPECT_EQ(env->store().followups(r.id).at(s.id).asn_state, chain::asn_state::accepted);
  }
  EXPECT_EQ(count_step(env->store(), r.id, "DONE"), 1);
  EXPECT_EQ(count_step(env->store(), r.id, "DEPARTED"), 1);
  std::lock_guard lock(programs.mutex);
  for (const auto& [sid, n] : programs.opship_changes) EXPECT_EQ(n, 1) << sid;
  // The restart took the path this point calls for.
  bool found_at_amazon = false;
  for (const auto& e : env->store().events(r.id))
    found_at_amazon |= e.step == "ASN_SENT" && e.detail.find("already at Amazon") != std::string::npos;
  if (point == "ASN_SENT") EXPECT_TRUE(found_at_amazon) << "sent, answer lost: Amazon lists it Shipped, not sent again";
  if (point == "ASN_SENDING") EXPECT_EQ(count_step(env->store(), r.id, "ASN_RESEND"), 1) << "marked, never sent: sent now";
  if (point != "ASN_SENT") EXPECT_FALSE(found_at_amazon);
  EXPECT_EQ(serve->stop(SIGTERM).value_or(-1), 0);
}

// The new durable points (chain/crash_point.h): labels kept, departed, ASN marked, ASN sent (answer not yet
// stored), ASN stored.
INSTANTIATE_TEST_SUITE_P(AtEachAsnPoint, AsnCrash,
                         ::testing::Values("LABELS", "DEPARTED", "ASN_SENDING", "ASN_SENT", "ASN_SUBMITTED"),
                         [](const ::testing::TestParamInfo<const char*>& info) { return std::string(info.param); });
