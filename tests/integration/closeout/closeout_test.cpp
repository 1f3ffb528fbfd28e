// The close-out stage with a real store (SQLite file), the real chain bringing requests to CLOSING_OUT, a
// real Fleet on loopback and agents running the real Worker loop. The agents' executors stand in for the
// ERP and OpShip screens with the same idempotency the screen scripts have (a finalized PO, a closed
// shipment is read back, not done again), and count every change they make, so "exactly once" is checked
// where it matters: on the programs' side.
#include "../../unit/chain/chain_doubles.h"
#include "../fleet/fleet_harness.h"

#include "orchestrator/fleet/closeout_stage.h"

#include <sqlite3.h>

#include <gtest/gtest.h>

#include <regex>

using namespace dockhand;
using namespace dockhand::chain;
using namespace dockhand::chain::testing;
using namespace fleet_test;
using dockhand::fleet::Fleet;
using dockhand::fleet::FleetCloseout;

namespace {

// Amazon's details with a digits-only reference, as the real one (and the simulator) gives.
class DigitsAmazon : public ScriptedAmazon {
 public:
  std::optional<nlohmann::json> get_shipment_details(const std::string& id) override {
    auto d = ScriptedAmazon::get_shipment_details(id);
    if (d) (*d)["buyerReferenceNumber"] = "4711000042";
    if (d && drop_carrier) (*d)["transportationDetails"] = nlohmann::json::object();
    return d;
  }
  bool drop_carrier = false;
};

// The programs' side: what the screens would show, shared by all agents.
struct Programs {
  std::mutex mutex;
  std::map<std::string, std::string> erp_finalized;    // PO -> PT reference
  std::map<std::string, int> erp_changes;              // PO -> times finalized
  std::map<std::string, std::string> opship_closed;    // shipment -> BOL
  std::map<std::string, int> opship_changes;
  std::map<std::string, std::map<std::string, std::string>> opship_vars;  // what was typed
  std::vector<std::string> order;                       // job ids in the order they ran
  std::set<std::string> unknown_pos;                    // the ERP says "no such PO"
  std::atomic<int> erp_app_failures{0};                 // the next N ERP runs hit an unexpected modal
  std::atomic<int> erp_delay_ms{0};
  bool omit_reference = false;

  Result erp(const Job& j, JobControl& control) {
    control.progress("steps[0].wait", "ERP main window");
    if (erp_delay_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(erp_delay_ms.load()));
    std::lock_guard lock(mutex);
    order.push_back(j.job_id);
    const std::string po = j.vars.at("po");
    Result r;
    if (erp_app_failures > 0) {
      --erp_app_failures;
      r.outcome = Outcome::application;
      r.category = "unexpected_window";
      r.failed_step = "steps[2].click";
      r.reason = "an unexpected modal 'Session expired' covers the ERP";
      r.images.push_back({"screen.png", "image/png", "PNG-modal-" + po});
      return r;
    }
    if (unknown_pos.count(po)) {
      r.outcome = Outcome::business;
      r.category = "business";
      r.failed_step = "steps[4].expect";
      r.reason = "the ERP says: no pre-tender for PO " + po;
      r.evidence = {{"text_seen", "No record found"}};
      r.images.push_back({"screen.png", "image/png", "PNG-full-" + po});
      r.images.push_back({"crop.png", "image/png", "PNG-crop-" + po});
      return r;
    }
    bool already = erp_finalized.count(po) > 0;
    if (!already) {
      erp_finalized[po] = "PT-" + std::to_string(100000 + erp_finalized.size() * 7 + po.size());
      ++erp_changes[po];
    }
    r.outputs = {{"already_done", already ? "true" : "false"}};
    if (!omit_reference) r.outputs["reference"] = erp_finalized[po];
    return r;
  }

  Result opship(const Job& j, JobControl& control) {
    control.progress("steps[0].wait", "OpShip main window");
    std::lock_guard lock(mutex);
    order.push_back(j.job_id);
    const std::string id = j.vars.at("shipment_id");
    opship_vars[id] = j.vars;
    bool already = opship_closed.count(id) > 0;
    if (!already) {
      opship_closed[id] = "BOL" + std::to_string(4710000 + opship_closed.size());
      ++opship_changes[id];
    }
    Result r;
    r.outputs = {{"bol", opship_closed[id]}, {"already_done", already ? "true" : "false"}};
    return r;
  }

  dockhand::protocol::JobExecutor executor() {
    return [this](const Job& j, JobControl& c) { return j.script == "erp-closeout" ? erp(j, c) : opship(j, c); };
  }
};

class CloseoutTest : public ChainFixture {
 protected:
  void SetUp() override {
    ChainFixture::SetUp();
    open_with(amazon_);
  }
  void TearDown() override {
    agents.clear();
    stage.reset();
    fleet.reset();
    ChainFixture::TearDown();
  }
  void open_with(AmazonShipments& a) {
    chain.reset();
    store.reset();
    store = std::make_unique<Store>((dir / "store.sqlite").string(), clock);
    chain = std::make_unique<Chain>(*store, clock, header_extractor, *orders, pretender::Rules::defaults(), a);
  }
  // The orchestrator's side: fleet + stage plugged into the chain. port 0: a free one.
  void start_orchestrator(int port = 0) {
    auto cfg = insecure_fleet();
    cfg.bind = "tcp://127.0.0.1:" + (port ? std::to_string(port) : std::string("*"));
    cfg.max_attempts = 3;
    cfg.retry_backoff = 50ms;
    cfg.evidence_dir = dir / "evidence";
    fleet = std::make_unique<Fleet>(cfg);
    fleet->on_event([this](const dockhand::fleet::FleetEvent& e) {
      std::lock_guard lock(seen_mutex);
      if (e.kind == "dispatched") dispatched.push_back(e.job_id);
    });
    fleet->start();
    stage = std::make_unique<FleetCloseout>(*fleet, *store);
    chain->set_closeout(stage.get());
  }
  // A restart: everything of the orchestrator goes away and comes back on the same store file and port.
  void restart_orchestrator() {
    int port = port_of(fleet->endpoint());
    chain->set_closeout(nullptr);
    stage.reset();
    fleet.reset();
    open_with(amazon_);
    start_orchestrator(port);
    chain->resume();
  }
  void add_agent(const std::string& id, std::vector<std::string> apps) {
    auto cfg = agent_config(fleet->endpoint(), id, std::move(apps));
    agents.push_back(std::make_unique<TestAgent>(cfg, programs.executor()));
  }
  std::int64_t new_request(const std::string& pos) {
    source.inbox.push_back(email("maildir:" + std::to_string(source.inbox.size() + 1), "m" + pos, pos));
    chain->intake(source);
    run_until_idle();
    return store->requests().back().id;
  }
  bool wait_state(std::int64_t id, State s, std::chrono::milliseconds timeout = 15s) {
    return wait_until([&] { drive(); return state(id) == s; }, timeout);
  }
  // The chain's own steps as serve's loop runs them: after the close-out (DEPARTED) it sends the ASN and
  // follows its transaction; the manual clock jumps to the next scheduled step.
  void drive() {
    chain->run_due();
    if (auto wait = chain->time_until_next(); wait && *wait <= std::chrono::hours(2)) clock.advance(*wait);
  }
  int count_steps(std::int64_t id, const std::string& step) {
    int n = 0;
    for (const auto& e : store->events(id)) n += e.step == step;
    return n;
  }
  std::vector<std::pair<std::string, std::string>> evidence_rows(std::int64_t id) {
    std::vector<std::pair<std::string, std::string>> rows;
    sqlite3* db = nullptr;
    sqlite3_open((dir / "store.sqlite").c_str(), &db);
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db, "SELECT name, bytes FROM evidence WHERE request = ?1 ORDER BY id", -1, &st, nullptr);
    sqlite3_bind_int64(st, 1, id);
    while (sqlite3_step(st) == SQLITE_ROW)
      rows.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)),
                        std::string(static_cast<const char*>(sqlite3_column_blob(st, 1)),
                                    static_cast<std::size_t>(sqlite3_column_bytes(st, 1))));
    sqlite3_finalize(st);
    sqlite3_close(db);
    return rows;
  }

  DigitsAmazon amazon_;
  Programs programs;
  std::unique_ptr<Fleet> fleet;
  std::unique_ptr<FleetCloseout> stage;
  std::vector<std::unique_ptr<TestAgent>> agents;
  std::mutex seen_mutex;
  std::vector<std::string> dispatched;
};

}  // namespace

TEST(CloseoutJobIds, AJobIdNamesItsRequestAndOtherJobsNone) {
  EXPECT_EQ(FleetCloseout::request_of_job(FleetCloseout::erp_job_id(123, "DH-123-1", "2K4GH7QZ")), 123);
  EXPECT_EQ(FleetCloseout::request_of_job(FleetCloseout::opship_job_id(7, "DH-7-2")), 7);
  for (const char* other : {"console-1796616512-3-erp-closeout", "", "-12-opship", "12", "12x-opship"})
    EXPECT_EQ(FleetCloseout::request_of_job(other), std::nullopt) << other;
}

TEST_F(CloseoutTest, ErpThenOpShipThenDoneWithTheReferencesReadBack) {
  start_orchestrator();
  add_agent("vm1", {"erp", "opship"});
  add_agent("vm2", {"erp", "opship"});
  auto id = new_request("2K4GH7QZ 7HXQ3M2P");
  ASSERT_TRUE(wait_state(id, State::DONE)) << to_string(state(id)) << " " << store->request(id)->reason;

  auto shipments = store->shipments(id);
  ASSERT_FALSE(shipments.empty());
  auto outputs = store->request(id)->outputs;
  ASSERT_EQ(outputs["shipments"].size(), shipments.size());
  std::lock_guard lock(programs.mutex);
  for (std::size_t i = 0; i < shipments.size(); ++i) {
    const auto& s = shipments[i];
    const auto& out = outputs["shipments"][i];
    EXPECT_EQ(out["vendor_shipment_identifier"], s.vendor_shipment_identifier);
    EXPECT_EQ(out["bol"], programs.opship_closed.at(s.vendor_shipment_identifier));
    EXPECT_TRUE(std::regex_match(out["bol"].get<std::string>(), std::regex("BOL[0-9]{7}")));
    ASSERT_EQ(out["erp"].size(), s.planned.pos.size());
    for (const auto& po : s.planned.pos) {
      EXPECT_EQ(out["erp"][po], programs.erp_finalized.at(po));
      EXPECT_EQ(programs.erp_changes.at(po), 1);
    }
    // The confirmed data went into OpShip.
    const auto& typed = programs.opship_vars.at(s.vendor_shipment_identifier);
    EXPECT_EQ(typed.at("shipment_id"), s.vendor_shipment_identifier);
    EXPECT_EQ(typed.at("carrier"), "ACME Freight");
    EXPECT_EQ(typed.at("pickup_date"), "2026-11-25");
    EXPECT_EQ(typed.at("cartons"), std::to_string(s.planned.cartons));
    EXPECT_EQ(typed.at("pallets"), std::to_string(s.planned.pallets));
    EXPECT_EQ(typed.at("reference"), "4711000042");
    std::string pos;
    for (const auto& po : s.planned.pos) pos += (pos.empty() ? "" : ",") + po;
    EXPECT_EQ(typed.at("pos"), pos);
    // A shipment's OpShip job ran after all its ERP jobs.
    auto at = [&](const std::string& job) {
      return std::find(programs.order.begin(), programs.order.end(), job) - programs.order.begin();
    };
    auto opship_at = at(FleetCloseout::opship_job_id(id, s.vendor_shipment_identifier));
    ASSERT_LT(opship_at, static_cast<long>(programs.order.size()));
    for (const auto& po : s.planned.pos)
      EXPECT_LT(at(FleetCloseout::erp_job_id(id, s.vendor_shipment_identifier, po)), opship_at);
  }
  EXPECT_EQ(count_steps(id, "CLOSEOUT_PLAN"), 1);
  EXPECT_GE(count_steps(id, "JOB_DISPATCHED"), 2);
  EXPECT_GE(count_steps(id, "JOB_PROGRESS"), 2);
  EXPECT_EQ(count_steps(id, "JOB_DONE"), static_cast<int>(programs.order.size()));
  EXPECT_EQ(stage->active(), 0u);
}

TEST_F(CloseoutTest, ABusinessFailureStopsTheCloseOutWithTheEvidenceInTheStore) {
  start_orchestrator();
  add_agent("vm1", {"erp", "opship"});
  programs.unknown_pos.insert("2K4GH7QZ");
  auto id = new_request("2K4GH7QZ");
  ASSERT_TRUE(wait_state(id, State::NEEDS_ATTENTION)) << to_string(state(id));
  auto r = store->request(id);
  EXPECT_NE(r->reason.find("no pre-tender for PO 2K4GH7QZ"), std::string::npos) << r->reason;
  EXPECT_EQ(r->evidence["outcome"], "business");
  EXPECT_EQ(r->evidence["failed_step"], "steps[4].expect");
  EXPECT_EQ(r->evidence["po"], "2K4GH7QZ");
  EXPECT_EQ(r->evidence["details"]["text_seen"], "No record found");
  EXPECT_EQ(r->evidence["attempts"], 1) << "a business failure is not retried";
  ASSERT_EQ(r->evidence["evidence_ids"].size(), 2u);
  auto rows = evidence_rows(id);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].second, "PNG-full-2K4GH7QZ");
  EXPECT_EQ(rows[1].second, "PNG-crop-2K4GH7QZ");
  EXPECT_NE(rows[1].first.find("crop.png"), std::string::npos);
  std::this_thread::sleep_for(300ms);
  std::lock_guard lock(programs.mutex);
  EXPECT_TRUE(programs.opship_vars.empty()) << "OpShip was touched after the ERP refused";
}

TEST_F(CloseoutTest, ApplicationFailuresAreRetriedByTheFleetThenTheCloseOutCompletes) {
  start_orchestrator();
  add_agent("vm1", {"erp", "opship"});
  programs.erp_app_failures = 2;  // max_attempts is 3
  auto id = new_request("2K4GH7QZ");
  ASSERT_TRUE(wait_state(id, State::DONE)) << to_string(state(id)) << " " << store->request(id)->reason;
  EXPECT_EQ(count_steps(id, "JOB_RETRY"), 2);
  std::lock_guard lock(programs.mutex);
  EXPECT_EQ(programs.erp_changes.at("2K4GH7QZ"), 1);
}

TEST_F(CloseoutTest, ApplicationFailuresBeyondTheCapNeedAttentionWithTheLastScreenshot) {
  start_orchestrator();
  add_agent("vm1", {"erp", "opship"});
  programs.erp_app_failures = 10;
  auto id = new_request("2K4GH7QZ");
  ASSERT_TRUE(wait_state(id, State::NEEDS_ATTENTION)) << to_string(state(id));
  auto r = store->request(id);
  EXPECT_NE(r->reason.find("application failure after 3 attempt(s)"), std::string::npos) << r->reason;
  EXPECT_EQ(r->evidence["category"], "unexpected_window");
  auto rows = evidence_rows(id);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].second, "PNG-modal-2K4GH7QZ");
  EXPECT_FALSE(r->evidence["evidence_files"].empty()) << "the fleet's evidence folder is named";
}

// Issue 23: Amazon has not named the carrier yet: the chain waits (looking again with backoff) instead of
// stopping, nothing runs in the programs meanwhile, and the close-out starts once the carrier is known.
TEST_F(CloseoutTest, NoCarrierYetTheCloseOutWaitsForAmazonNothingRunsMeanwhile) {
  amazon_.drop_carrier = true;
  start_orchestrator();
  add_agent("vm1", {"erp", "opship"});
  auto id = new_request("2K4GH7QZ");
  EXPECT_EQ(state(id), State::CONFIRMED) << store->request(id)->reason;
  EXPECT_TRUE(store->request(id)->next_attempt_ms.has_value()) << "it looks again";
  std::this_thread::sleep_for(200ms);
  {
    std::lock_guard lock(programs.mutex);
    EXPECT_TRUE(programs.order.empty()) << "the ERP was changed for a close-out without a carrier";
  }
  amazon_.drop_carrier = false;  // Amazon assigns the carrier
  ASSERT_TRUE(wait_state(id, State::DONE)) << to_string(state(id)) << " " << store->request(id)->reason;
  EXPECT_EQ(count_steps(id, "NEEDS_ATTENTION"), 0);
  std::lock_guard lock(programs.mutex);
  EXPECT_EQ(programs.opship_vars.begin()->second.at("carrier"), "ACME Freight");
}

TEST_F(CloseoutTest, SuccessWithoutAReferenceReadBackIsNotDone) {
  start_orchestrator();
  add_agent("vm1", {"erp", "opship"});
  programs.omit_reference = true;
  auto id = new_request("2K4GH7QZ");
  ASSERT_TRUE(wait_state(id, State::NEEDS_ATTENTION)) << to_string(state(id));
  EXPECT_NE(store->request(id)->reason.find("no valid reference"), std::string::npos) << store->request(id)->reason;
}

TEST_F(CloseoutTest, ADispatchAgainWhileRunningChangesNothing) {
  start_orchestrator();
  programs.erp_delay_ms = 300;
  add_agent("vm1", {"erp", "opship"});
  auto id = new_request("2K4GH7QZ");
  stage->dispatch(Chain::closeout_job(*store, id, false));
  stage->dispatch(Chain::closeout_job(*store, id, true));
  ASSERT_TRUE(wait_state(id, State::DONE));
  std::lock_guard lock(programs.mutex);
  EXPECT_EQ(programs.order.size(), 2u) << "one ERP and one OpShip job, each once";
}

// The orchestrator goes away after the ERP job finished (no OpShip agent yet): on restart the chain
// re-dispatches (resumed), the finished ERP job is not run again, the OpShip job keeps its id.
TEST_F(CloseoutTest, AfterARestartFinishedJobsAreSkippedAndTheRestRunsUnderTheSameIds) {
  start_orchestrator();
  add_agent("erp-vm", {"erp"});
  auto id = new_request("2K4GH7QZ");
  ASSERT_TRUE(wait_until([&] { return count_steps(id, "JOB_DONE") == 1; }));
  ASSERT_EQ(state(id), State::CLOSING_OUT);
  std::vector<std::string> before;
  {
    std::lock_guard lock(seen_mutex);
    before = dispatched;
  }
  restart_orchestrator();
  add_agent("opship-vm", {"opship"});
  ASSERT_TRUE(wait_state(id, State::DONE)) << to_string(state(id)) << " " << store->request(id)->reason;
  {
    std::lock_guard lock(programs.mutex);
    EXPECT_EQ(programs.order.size(), 2u) << "the ERP job ran again";
    EXPECT_EQ(programs.erp_changes.at("2K4GH7QZ"), 1);
  }
  auto outputs = store->request(id)->outputs;
  EXPECT_EQ(outputs["shipments"][0]["erp"]["2K4GH7QZ"], programs.erp_finalized.at("2K4GH7QZ"));
  auto sid = store->shipments(id).at(0).vendor_shipment_identifier;
  std::lock_guard lock(seen_mutex);
  EXPECT_EQ(dispatched.back(), FleetCloseout::opship_job_id(id, sid));
  EXPECT_EQ(before.front(), FleetCloseout::erp_job_id(id, sid, "2K4GH7QZ"));
}

// The orchestrator goes away while the agent is still on the ERP screen: the finished result reaches the
// restarted orchestrator, and the re-dispatched job (same id) finds the PO finalized: changed exactly once.
TEST_F(CloseoutTest, ARestartWhileAJobRunsClosesOutExactlyOnce) {
  start_orchestrator();
  programs.erp_delay_ms = 800;
  add_agent("vm1", {"erp", "opship"});
  auto id = new_request("2K4GH7QZ");
  ASSERT_TRUE(wait_until([&] { return count_steps(id, "JOB_DISPATCHED") >= 1; }));
  restart_orchestrator();
  ASSERT_TRUE(wait_state(id, State::DONE, 20s)) << to_string(state(id)) << " " << store->request(id)->reason;
  std::lock_guard lock(programs.mutex);
  EXPECT_EQ(programs.erp_changes.at("2K4GH7QZ"), 1);
  EXPECT_EQ(programs.opship_changes.begin()->second, 1);
  auto outputs = store->request(id)->outputs;
  EXPECT_EQ(outputs["shipments"][0]["erp"]["2K4GH7QZ"], programs.erp_finalized.at("2K4GH7QZ"));
}

// A shipment cancelled while it is being closed out (issue 23): the jobs no agent started are withdrawn from
// the stage and the fleet's queue, the jobs already run are reported, nothing withdrawn ever runs.
TEST_F(CloseoutTest, ACancelledShipmentsJobsNotStartedAreWithdrawnAndTheOnesRunAreReported) {
  start_orchestrator();
  add_agent("vm1", {"erp"});  // no agent drives OpShip: the OpShip job waits in the queue
  auto id = new_request("2K4GH7QZ");
  ASSERT_EQ(state(id), State::CLOSING_OUT);
  const auto shipment = store->shipments(id).at(0).vendor_shipment_identifier;
  const auto erp_job = FleetCloseout::erp_job_id(id, shipment, "2K4GH7QZ");
  const auto opship_job = FleetCloseout::opship_job_id(id, shipment);
  ASSERT_TRUE(wait_until([&] { return count_steps(id, "JOB_DONE") == 1; }, 15s)) << "the ERP job ran";
  ASSERT_TRUE(wait_until([&] { return fleet->pending_jobs() == 1; }, 15s)) << "the OpShip job is queued";

  auto result = stage->withdraw(id, {shipment});
  EXPECT_EQ(result.withdrawn, std::vector<std::string>{opship_job});
  EXPECT_EQ(result.ran, std::vector<std::string>{erp_job});
  EXPECT_EQ(fleet->pending_jobs(), 0u) << "taken out of the fleet's queue";
  EXPECT_EQ(stage->active(), 0u);
  add_agent("vm2", {"opship"});
  ASSERT_TRUE(wait_until([&] { return fleet->agents().size() == 2; }, 15s));
  EXPECT_EQ(state(id), State::CLOSING_OUT) << "the chain, not the stage, settles the request";
  std::lock_guard lock(seen_mutex);
  EXPECT_EQ(std::count(dispatched.begin(), dispatched.end(), opship_job), 0) << "a withdrawn job never runs";
  EXPECT_TRUE(stage->withdraw(id, {shipment}).withdrawn.empty()) << "nothing left to withdraw";
}
