// chain/follow.cpp: after confirmation the chain waits for Amazon's carrier and pickup (with backoff), keeps the
// labels, sends one ASN per shipment once the freight left, and raises the deadlines, against the scripted
// Amazon with a manual clock.
#include "chain_doubles.h"

using namespace dockhand;
using namespace dockhand::chain;
using namespace dockhand::chain::testing;
using namespace std::chrono_literals;

namespace {

class RecordingStage : public CloseoutStage {
 public:
  void dispatch(const CloseoutJob& job) override { jobs.push_back(job); }
  std::vector<CloseoutJob> jobs;
};

class FollowTest : public ChainFixture {
 protected:
  std::int64_t confirmed_request(const std::string& pos = "2K4GH7QZ") {
    source.inbox.push_back(email("maildir:" + pos, "f-" + pos, pos));
    chain->intake(source);
    run_until_idle();
    return store->requests().back().id;
  }
  int count(std::int64_t id, const std::string& step) {
    int n = 0;
    for (const auto& e : store->events(id)) n += e.step == step;
    return n;
  }
  std::string shipment_of(std::int64_t id) { return store->shipments(id).at(0).vendor_shipment_identifier; }
};

}  // namespace

TEST_F(FollowTest, TheCarrierComesAfterSeveralLooksTheChainWaitsWithBackoffThenClosesOut) {
  RecordingStage stage;
  chain->set_closeout(&stage);
  amazon.carrier_after_looks = 4;
  source.inbox.push_back(email("maildir:1", "c1", "2K4GH7QZ"));
  chain->intake(source);
  run_until_idle(std::chrono::minutes(1));
  const auto id = store->requests().at(0).id;
  ASSERT_EQ(state(id), State::CONFIRMED) << "confirmed, but Amazon has named no carrier yet";
  EXPECT_TRUE(stage.jobs.empty());
  EXPECT_EQ(store->followups(id).begin()->second.amazon_status, "TransportationRequested");
  const int looks_before = amazon.details_calls;
  const auto start = clock.now();
  run_until_idle(std::chrono::hours(2));
  EXPECT_EQ(state(id), State::CLOSING_OUT);
  ASSERT_EQ(stage.jobs.size(), 1u);
  EXPECT_EQ(stage.jobs[0].shipments[0].carrier, "ACME Freight");
  EXPECT_EQ(stage.jobs[0].shipments[0].pickup_date, "2026-11-25");
  EXPECT_GE(amazon.details_calls - looks_before, 3);
  // Backoff: 60 s, 120 s, 240 s (minus jitter) between the looks, not a look a second.
  EXPECT_GE(clock.now() - start, 5min);
  EXPECT_EQ(count(id, "NEEDS_ATTENTION"), 0);
  EXPECT_EQ(count(id, "AMAZON_STATUS"), 1) << "one event per status change, not per look";
  EXPECT_EQ(store->followups(id).begin()->second.amazon_status, "CarrierAssigned");
}

TEST_F(FollowTest, LabelsAmazonOffersAreKeptAsPrintableFilesWithTheRequest) {
  source.inbox.push_back(email("maildir:1", "l1", "2K4GH7QZ"));
  chain->intake(source);
  chain->run_due();  // through submission: the identifier is known
  const auto id = store->requests().at(0).id;
  const auto sid = shipment_of(id);
  amazon.labels[sid] = {{1, "PDF", "EXLA", "TRK1", "%PDF-1.4 label one"}, {2, "PDF", "EXLA", "TRK2", "%PDF-1.4 label two"}};
  run_until_idle();
  ASSERT_EQ(state(id), State::CONFIRMED);
  auto files = store->evidence_of(id);
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[0].name, "label-" + sid + "-1.pdf");
  EXPECT_EQ(files[0].content_type, "application/pdf");
  EXPECT_EQ(store->evidence_bytes(id, files[1].id)->second, "%PDF-1.4 label two");
  EXPECT_EQ(store->followups(id).begin()->second.labels, 2);
  EXPECT_EQ(count(id, "LABELS"), 1);
  run_until_idle();
  EXPECT_EQ(amazon.label_calls, 1) << "fetched once";
}

TEST_F(FollowTest, DepartureByTheCloseOutSendsOneAsnWithTheBolItemsCartonsAndPallets) {
  RecordingStage stage;
  chain->set_closeout(&stage);
  const auto id = confirmed_request();
  ASSERT_EQ(state(id), State::CLOSING_OUT);
  const auto sid = shipment_of(id);
  store->finish_closeout(id, {{"shipments", {{{"vendor_shipment_identifier", sid}, {"bol", "BOL4710001"}}}}}, "fleet",
                         "closed out");
  EXPECT_EQ(state(id), State::DEPARTED);
  run_until_idle();
  EXPECT_EQ(state(id), State::DONE);
  EXPECT_EQ(amazon.asns.at(sid), 1);
  const auto& c = amazon.last_asn.at("shipmentConfirmations").at(0);
  EXPECT_EQ(c["shipmentIdentifier"], sid);
  EXPECT_EQ(c["shipmentConfirmationType"], "Original");
  EXPECT_EQ(c["transportationDetails"]["billOfLadingNumber"], "BOL4710001");
  EXPECT_EQ(c["transportationDetails"]["carrierScac"], "ACMF");
  EXPECT_EQ(c["amazonReferenceNumber"], "BRN-2K4GH7QZ");
  EXPECT_EQ(c["sellingParty"]["partyId"], "ABCDE");
  // The order data: 2 items of PO 2K4GH7QZ, its 12 cartons on their pallets.
  ASSERT_EQ(c["shippedItems"].size(), 2u);
  EXPECT_EQ(c["shippedItems"][0]["itemDetails"]["purchaseOrderNumber"], "2K4GH7QZ");
  EXPECT_EQ(c["shippedItems"][0]["shippedQuantity"]["amount"], 96);
  EXPECT_EQ(c["cartons"].size(), 12u);
  EXPECT_EQ(c["cartons"][0]["cartonIdentifiers"][0]["containerIdentificationNumber"], "2K4GH7QZ-C001");
  ASSERT_TRUE(c.contains("pallets"));
  int on_pallets = 0;
  for (const auto& p : c["pallets"]) on_pallets += p["cartonReferenceDetails"]["cartonCount"].get<int>();
  EXPECT_EQ(on_pallets, 12);
  EXPECT_EQ(c["shipmentMeasurements"]["palletCount"], static_cast<int>(c["pallets"].size()));
  auto f = store->followups(id).begin()->second;
  EXPECT_EQ(f.asn_state, asn_state::accepted);
  EXPECT_EQ(f.bol, "BOL4710001");
  EXPECT_EQ(f.departed_by, "fleet");
  run_until_idle();
  EXPECT_EQ(amazon.asn_calls, 1);
}

TEST_F(FollowTest, AnOperatorMarksItDepartedWithoutACloseOutAndTheBolIsRequired) {
  const auto id = confirmed_request();
  ASSERT_EQ(state(id), State::CONFIRMED);
  EXPECT_EQ(store->operator_actions(id), std::vector<std::string>{"depart"});
  EXPECT_THROW(store->record_departure(id, "", nullptr, "operator:ann", "left"), ActionRefused);
  EXPECT_EQ(state(id), State::CONFIRMED);
  store->record_departure(id, "BOL9990001", nullptr, "operator:ann", "departed (marked by the operator)");
  run_until_idle();
  EXPECT_EQ(state(id), State::DONE);
  EXPECT_EQ(amazon.last_asn["shipmentConfirmations"][0]["transportationDetails"]["billOfLadingNumber"], "BOL9990001");
  EXPECT_EQ(store->followups(id).begin()->second.departed_by, "operator:ann");
  EXPECT_THROW(store->record_departure(id, "BOL9990001", nullptr, "operator:ann", "again"), ActionRefused);
}

TEST_F(FollowTest, AnAsnAmazonRefusesNeedsAttentionWithItsErrorsAndIsNotRetried) {
  const auto id = confirmed_request();
  amazon.asn_status = "Failure";
  amazon.failure_errors = {{{"code", "InvalidInput"}, {"message", "billOfLadingNumber does not match"}}};
  store->record_departure(id, "BOL9990002", nullptr, "operator:ann", "left");
  run_until_idle();
  auto r = store->request(id);
  EXPECT_EQ(r->state, State::NEEDS_ATTENTION);
  EXPECT_NE(r->reason.find("billOfLadingNumber does not match"), std::string::npos) << r->reason;
  EXPECT_EQ(store->followups(id).begin()->second.asn_state, asn_state::rejected);
  EXPECT_EQ(amazon.asn_calls, 1);
  auto actions = store->operator_actions(id);
  EXPECT_EQ(std::count(actions.begin(), actions.end(), "retry"), 0) << "sending it again changes nothing";
}

TEST_F(FollowTest, AnUncertainAsnThatArrivedIsNotSentAgain) {
  const auto id = confirmed_request();
  amazon.asn_faults.push_back({0, "timeout after 15000 ms", /*after_send=*/true});
  store->record_departure(id, "BOL9990003", nullptr, "operator:ann", "left");
  run_until_idle();
  EXPECT_EQ(state(id), State::DONE);
  EXPECT_EQ(amazon.asns.at(shipment_of(id)), 1);
  EXPECT_EQ(amazon.asn_calls, 1);
  EXPECT_EQ(count(id, "ASN_RESEND"), 0);
}

TEST_F(FollowTest, AnUncertainAsnThatNeverArrivedIsSentAgainAfterTheGrace) {
  const auto id = confirmed_request();
  amazon.asn_faults.push_back({0, "connection reset", /*after_send=*/false});
  store->record_departure(id, "BOL9990004", nullptr, "operator:ann", "left");
  const auto start = clock.now();
  run_until_idle();
  EXPECT_EQ(state(id), State::DONE);
  EXPECT_EQ(amazon.asns.at(shipment_of(id)), 1);
  EXPECT_EQ(amazon.asn_calls, 2);
  EXPECT_EQ(count(id, "ASN_RESEND"), 1);
  EXPECT_GE(clock.now() - start, 60s) << "resent only after uncertain_grace";
}

TEST_F(FollowTest, ARestartBetweenMarkingAndSendingAsksAmazonFirstAndSendsOnce) {
  const auto id = confirmed_request();
  store->record_departure(id, "BOL9990005", nullptr, "operator:ann", "left");
  const auto shipment = store->shipments(id).at(0).id;
  store->mark_asn_sending(shipment, "orchestrator", "sending");  // ... and the process died here
  open();
  chain->resume();
  run_until_idle();
  EXPECT_EQ(state(id), State::DONE);
  EXPECT_EQ(amazon.asns.at(shipment_of(id)), 1);
}

TEST_F(FollowTest, DeadlinesRaiseAnAlertBeforeTheWindowAndNeedAttentionAfterItWithTheInjectedClock) {
  // PO 2K4GH7QZ ships 2026-11-24..28; the clock starts 2026-11-22 09:00. Amazon keeps it Processing.
  amazon.default_statuses = {"Processing"};
  amazon.final_status = "Processing";
  amazon.details_visible_after_submit = false;
  source.inbox.push_back(email("maildir:1", "dl1", "2K4GH7QZ"));
  chain->intake(source);
  chain->run_due();
  const auto id = store->requests().at(0).id;
  ASSERT_EQ(state(id), State::SUBMITTED);
  EXPECT_EQ(chain->check_deadlines(), 0u);
  EXPECT_TRUE(store->late_requests().empty());
  // 2026-11-23 00:00: 24 h before the window opens (chain.confirm_before_window_min), still not confirmed.
  clock.advance(15h + 1min);
  EXPECT_EQ(chain->check_deadlines(), 1u);
  EXPECT_EQ(chain->check_deadlines(), 0u) << "once per request and kind";
  EXPECT_EQ(state(id), State::SUBMITTED) << "an alert, not a stop";
  EXPECT_EQ(count(id, "DEADLINE"), 1);
  EXPECT_EQ(store->late_requests(), std::set<std::int64_t>{id});
  EXPECT_EQ(store->collect_request_alerts({"webhook"}), 0u);  // the first look marks where alerting starts
}

TEST_F(FollowTest, AConfirmedShipmentNotDepartedWhenItsWindowClosesNeedsAttentionAndIsAlerted) {
  std::vector<std::int64_t> told;
  ChainOptions options;
  options.on_late = [&](std::int64_t id, const std::string&) { told.push_back(id); };
  options.deadline_check = 0ms;
  chain = std::make_unique<Chain>(*store, clock, header_extractor, *orders, pretender::Rules::defaults(), amazon, options);
  store->collect_request_alerts({"webhook"});  // alerting starts now
  const auto id = confirmed_request();
  ASSERT_EQ(state(id), State::CONFIRMED);
  // 2026-11-29 00:00: the window (to 2026-11-28) closed, the freight did not leave.
  clock.advance(std::chrono::sys_days(std::chrono::year(2026) / 11 / 29) - std::chrono::floor<std::chrono::days>(clock.now()));
  chain->run_due();
  auto r = store->request(id);
  EXPECT_EQ(r->state, State::NEEDS_ATTENTION);
  EXPECT_EQ(r->reason.rfind("late (not departed)", 0), 0u) << r->reason;
  EXPECT_EQ(told, std::vector<std::int64_t>{id});
  EXPECT_EQ(store->late_requests(), std::set<std::int64_t>{id});
  EXPECT_EQ(store->collect_request_alerts({"webhook"}), 1u);
  // The operator retries (back to CONFIRMED): not raised a second time.
  store->operator_retry(id, "console:ann", "truck booked for tomorrow");
  chain->run_due();
  EXPECT_EQ(state(id), State::CONFIRMED);
  // ... and marks it departed: the ASN goes, DONE, no longer late.
  store->record_departure(id, "BOL9990006", nullptr, "console:ann", "left late");
  run_until_idle();
  EXPECT_EQ(state(id), State::DONE);
  EXPECT_TRUE(store->late_requests().empty());
}
