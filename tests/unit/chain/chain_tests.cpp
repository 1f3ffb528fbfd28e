// chain/ worker: the state machine end to end against doubles of Amazon and intake, with a manual clock.
#include "chain_doubles.h"

using namespace dockhand;
using namespace dockhand::chain;
using namespace dockhand::chain::testing;
using namespace std::chrono_literals;

using ChainTest = ChainFixture;

namespace {
std::vector<std::string> expected_happy_steps() {
  return {"RECEIVED", "EXTRACTED", "PLANNED", "SUBMITTING", "SUBMITTED", "CONFIRMED", "DETAILS"};
}

class RecordingCloseout : public CloseoutStage {
 public:
  void dispatch(const CloseoutJob& job) override { jobs.push_back(job); }
  std::vector<CloseoutJob> jobs;
};
}  // namespace

TEST_F(ChainTest, RoutingRequestReachesConfirmedWithDetailsAndOneSubmission) {
  source.inbox.push_back(email("maildir:1", "h1", "2K4GH7QZ 7HXQ3M2P"));
  EXPECT_EQ(chain->intake(source), 1u);
  EXPECT_TRUE(source.handled.count("maildir:1")) << "marked handled once stored";
  run_until_idle();
  auto id = store->requests().at(0).id;
  EXPECT_EQ(state(id), State::CONFIRMED);
  EXPECT_EQ(steps(id), expected_happy_steps());
  auto shipments = store->shipments(id);
  ASSERT_EQ(shipments.size(), 1u);
  EXPECT_EQ(shipments[0].state, shipment_state::confirmed);
  EXPECT_EQ(shipments[0].transaction_id.value_or(""), "tx-1");
  EXPECT_EQ(shipments[0].details["transportationDetails"]["carrierDetails"]["name"], "ACME Freight");
  EXPECT_EQ(amazon.submitted.at(shipments[0].vendor_shipment_identifier), 1);
  EXPECT_FALSE(store->request(id)->next_attempt_ms) << "nothing more to do without a close-out stage";
}

TEST_F(ChainTest, TwoLanesMeanTwoShipmentsEachSubmittedOnce) {
  source.inbox.push_back(email("maildir:1", "h2", "2K4GH7QZ 9LMN4R8T"));
  chain->intake(source);
  run_until_idle();
  auto id = store->requests().at(0).id;
  EXPECT_EQ(state(id), State::CONFIRMED);
  EXPECT_EQ(amazon.submitted.size(), 2u);
  for (const auto& [identifier, count] : amazon.submitted) EXPECT_EQ(count, 1) << identifier;
}

TEST_F(ChainTest, OtherMailIsKeptVisibleWithItsReason) {
  source.inbox.push_back(email("maildir:1", "o1", "", "other"));
  chain->intake(source);
  run_until_idle();
  auto r = store->requests().at(0);
  EXPECT_EQ(r.state, State::OTHER);
  EXPECT_EQ(r.reason, "chargeback notice, not a routing request");
  EXPECT_EQ(amazon.submit_calls, 0);
}

TEST_F(ChainTest, MailTheIntakeDoubtsNeedsAttentionWithItsEvidenceNeverOther) {
  source.inbox.push_back(email("maildir:1", "d1", "", "doubt"));
  chain->intake(source);
  run_until_idle();
  auto r = store->requests().at(0);
  EXPECT_EQ(r.state, State::NEEDS_ATTENTION);
  EXPECT_NE(r.reason.find("in the subject but not in the body"), std::string::npos) << r.reason;
  EXPECT_EQ(r.evidence["missing"][0], "PO 2K4GH7QZ is in the subject but not in the body") << r.evidence.dump();
  EXPECT_EQ(r.extracted["classification"], "possible_routing_request");
  EXPECT_EQ(steps(r.id), (std::vector<std::string>{"RECEIVED", "NEEDS_ATTENTION"}));
  EXPECT_EQ(amazon.submit_calls, 0);
}

TEST_F(ChainTest, UnparseableMailIsQuarantinedWithTheReasonAndKept) {
  source.inbox.push_back(email("maildir:1", "q1", "", "quarantine"));
  chain->intake(source);
  run_until_idle();
  auto r = store->requests().at(0);
  EXPECT_EQ(r.state, State::QUARANTINED);
  EXPECT_EQ(r.reason, "broken MIME: boundary never closed");
  EXPECT_FALSE(store->raw_message(r.id).empty());
}

TEST_F(ChainTest, RuleFailureNeedsAttentionWithFindingsAndNothingIsSent) {
  source.inbox.push_back(email("maildir:1", "r1", "4HEAVY88"));
  chain->intake(source);
  run_until_idle();
  auto r = store->requests().at(0);
  EXPECT_EQ(r.state, State::NEEDS_ATTENTION);
  EXPECT_NE(r.reason.find("4HEAVY88-C002 of PO 4HEAVY88 weighs 62.5 lb"), std::string::npos) << r.reason;
  ASSERT_TRUE(r.evidence.is_array());
  EXPECT_EQ(r.evidence.at(0)["rule"], "carton-weight");
  EXPECT_EQ(amazon.submit_calls, 0);
}

TEST_F(ChainTest, AmazonFailureIsRejectedWithAmazonsErrors) {
  amazon.default_statuses = {"Processing", "Failure"};
  amazon.final_status = "Failure";
  amazon.failure_errors = {{{"code", "InvalidInput"}, {"message", "shipToParty ABE8 does not accept freight"}}};
  source.inbox.push_back(email("maildir:1", "f1", "2K4GH7QZ"));
  chain->intake(source);
  run_until_idle();
  auto r = store->requests().at(0);
  EXPECT_EQ(r.state, State::REJECTED);
  EXPECT_NE(r.reason.find("InvalidInput: shipToParty ABE8 does not accept freight"), std::string::npos) << r.reason;
  EXPECT_EQ(r.evidence["errors"][0]["code"], "InvalidInput");
  EXPECT_EQ(store->shipments(r.id).at(0).state, shipment_state::rejected);
}

TEST_F(ChainTest, PayloadRefusedWith400IsRejectedNotRetried) {
  amazon.submit_faults.push_back(
      {400, "HTTP 400", false, {{{"code", "InvalidInput"}, {"message", "transactionDate is required"}}}});
  source.inbox.push_back(email("maildir:1", "b1", "2K4GH7QZ"));
  chain->intake(source);
  run_until_idle();
  auto r = store->requests().at(0);
  EXPECT_EQ(r.state, State::REJECTED);
  EXPECT_NE(r.reason.find("transactionDate is required"), std::string::npos) << r.reason;
  EXPECT_EQ(amazon.submit_calls, 1);
}

TEST_F(ChainTest, ThrottlingAndServerErrorsAreRetriedWithBackoffAndOneEventPerKind) {
  for (int i = 0; i < 4; ++i) amazon.submit_faults.push_back({429, "HTTP 429 QuotaExceeded"});
  amazon.submit_faults.push_back({503, "HTTP 503"});
  source.inbox.push_back(email("maildir:1", "t1", "2K4GH7QZ"));
  chain->intake(source);
  auto start = clock.now();
  run_until_idle();
  auto r = store->requests().at(0);
  EXPECT_EQ(r.state, State::CONFIRMED);
  EXPECT_EQ(amazon.submit_calls, 6);
  // 1 + 2 + 4 + 8 + 16 s of backoff (minus up to 20% jitter) before the sixth attempt
  EXPECT_GE(clock.now() - start, 24s);
  auto all = steps(r.id);
  EXPECT_EQ(std::count(all.begin(), all.end(), "RETRY"), 2) << "one per distinct error, not one per attempt";
  // Each failed attempt was uncertain: the chain asked Amazon before sending again; none had arrived.
  EXPECT_EQ(amazon.submitted.begin()->second, 1);
}

TEST_F(ChainTest, UncertainSubmissionThatArrivedIsNotSentAgain) {
  amazon.submit_faults.push_back({0, "timeout after 15000 ms", /*after_send=*/true});
  source.inbox.push_back(email("maildir:1", "u1", "2K4GH7QZ"));
  chain->intake(source);
  run_until_idle();
  auto r = store->requests().at(0);
  EXPECT_EQ(r.state, State::CONFIRMED);
  EXPECT_EQ(amazon.submit_calls, 1) << "getShipmentDetails found it: no second submitShipments";
  EXPECT_EQ(amazon.submitted.begin()->second, 1);
  auto shipment = store->shipments(r.id).at(0);
  EXPECT_FALSE(shipment.transaction_id);
  bool resolved = false;
  for (const auto& e : store->events(r.id))
    resolved |= e.detail.find("already at Amazon") != std::string::npos;
  EXPECT_TRUE(resolved);
  // Confirmed on the same evidence as the normal path: Amazon accepted it (carrier assigned), and the
  // details fetched after carry the carrier.
  bool accepted = false;
  for (const auto& e : store->events(r.id))
    accepted |= e.step == "CONFIRMED" && e.detail.find("CarrierAssigned") != std::string::npos;
  EXPECT_TRUE(accepted);
  EXPECT_EQ(shipment.details["transportationDetails"]["carrierDetails"]["name"], "ACME Freight");
}

// Issue 21: a recovered submission goes on exactly like a normal one, and is never confirmed on less.
TEST_F(ChainTest, RecoveredSubmissionStillProcessingWaitsFifteenMinutesLikeTheNormalPath) {
  amazon.submit_faults.push_back({0, "timeout after 15000 ms", /*after_send=*/true});
  amazon.default_statuses = {"Processing"};
  amazon.final_status = "Processing";
  source.inbox.push_back(email("maildir:1", "u2", "2K4GH7QZ"));
  chain->intake(source);
  expect_confirmed_by_the_fifteen_minute_rule("Amazon lists the shipment as Created only: not confirmed yet");
  EXPECT_EQ(amazon.submit_calls, 1);
}

TEST_F(ChainTest, RecoveredSubmissionThatAmazonThenRejectsNeedsAttentionNotConfirmed) {
  amazon.submit_faults.push_back({0, "timeout after 15000 ms", /*after_send=*/true});
  amazon.default_statuses = {"Processing", "Failure"};
  source.inbox.push_back(email("maildir:1", "u3", "2K4GH7QZ"));
  chain->intake(source);
  run_until_idle();
  auto r = store->requests().at(0);
  EXPECT_EQ(r.state, State::NEEDS_ATTENTION);
  EXPECT_NE(r.reason.find("no longer lists it"), std::string::npos) << r.reason;
  EXPECT_EQ(amazon.submit_calls, 1) << "never sent again: it may be rejected for a reason a resend repeats";
}

TEST_F(ChainTest, RecoveredSubmissionReachesTheCloseoutWithTheCarrierOnce) {
  RecordingCloseout stage;
  chain->set_closeout(&stage);
  source.inbox.push_back(email("maildir:1", "u4", "2K4GH7QZ"));
  chain->intake(source);
  auto id = store->requests().at(0).id;
  store->record_extraction(id, nlohmann::json(header_extractor(store->raw_message(id))), true, "", "test");
  store->record_plan(id, pretender::plan(header_extractor(store->raw_message(id)), *orders,
                                         pretender::Rules::defaults(), clock.now()),
                     "test");
  auto shipment = store->shipments(id).at(0);
  store->mark_submitting(shipment.id, "test");
  amazon.submit_shipments({{"shipments", nlohmann::json::array({shipment.planned.payload})}});  // sent, then a crash
  open();
  chain->set_closeout(&stage);
  chain->resume();
  run_until_idle();
  EXPECT_EQ(state(id), State::CLOSING_OUT);
  ASSERT_EQ(stage.jobs.size(), 1u);
  EXPECT_EQ(stage.jobs[0].shipments.at(0).carrier, "ACME Freight");
  auto all = steps(id);
  EXPECT_EQ(std::count(all.begin(), all.end(), "CONFIRMED"), 1);
  EXPECT_EQ(std::count(all.begin(), all.end(), "RESUBMIT"), 0);
  EXPECT_EQ(amazon.submitted.at(shipment.vendor_shipment_identifier), 1);
}

TEST_F(ChainTest, CrashAfterMarkingSubmittingResumesWithoutDoubleSubmission) {
  source.inbox.push_back(email("maildir:1", "c1", "2K4GH7QZ"));
  chain->intake(source);
  auto id = store->requests().at(0).id;
  chain->advance(id);  // a first request goes its normal way
  // A second one stopped right after SUBMITTING was committed (the window a crash makes uncertain):
  source.inbox.push_back(email("maildir:2", "c2", "9LMN4R8T"));
  chain->intake(source);
  auto id2 = store->requests().at(1).id;
  store->record_extraction(id2, nlohmann::json(header_extractor(store->raw_message(id2))), true, "", "test");
  store->record_plan(id2, pretender::plan(header_extractor(store->raw_message(id2)), *orders,
                                          pretender::Rules::defaults(), clock.now()),
                     "test");
  auto shipment = store->shipments(id2).at(0);
  store->mark_submitting(shipment.id, "test");
  open();  // restart
  chain->resume();
  run_until_idle();
  EXPECT_EQ(state(id2), State::CONFIRMED);
  EXPECT_EQ(amazon.submitted.at(shipment.vendor_shipment_identifier), 1) << "not there: sent exactly once";
  auto all = steps(id2);
  EXPECT_EQ(std::count(all.begin(), all.end(), "RESUBMIT"), 1);
  EXPECT_EQ(std::count(all.begin(), all.end(), "CONFIRMED"), 1);
  EXPECT_EQ(state(id), State::CONFIRMED);
}

TEST_F(ChainTest, ProcessingForFifteenMinutesCountsAsSuccess) {
  amazon.default_statuses = {"Processing"};
  amazon.final_status = "Processing";
  source.inbox.push_back(email("maildir:1", "p1", "2K4GH7QZ"));
  chain->intake(source);
  expect_confirmed_by_the_fifteen_minute_rule("still waiting at 14 minutes");
}

TEST_F(ChainTest, NoShipmentVisibleThirtyMinutesAfterSubmissionEscalates) {
  amazon.default_statuses = {"Processing"};
  amazon.final_status = "Processing";
  amazon.details_visible_after_submit = false;  // Amazon never shows it
  source.inbox.push_back(email("maildir:1", "p2", "2K4GH7QZ"));
  chain->intake(source);
  run_until_idle(40min);
  auto r = store->requests().at(0);
  EXPECT_EQ(r.state, State::NEEDS_ATTENTION);
  EXPECT_NE(r.reason.find("min after submission"), std::string::npos) << r.reason;
  EXPECT_EQ(r.evidence["transaction_id"], "tx-1");
}

TEST_F(ChainTest, SamePosInAnotherEmailAreNotSubmittedTwice) {
  source.inbox.push_back(email("maildir:1", "d1", "2K4GH7QZ"));
  source.inbox.push_back(email("maildir:2", "d2-different-id", "2K4GH7QZ"));
  chain->intake(source);
  run_until_idle();
  auto rs = store->requests();
  ASSERT_EQ(rs.size(), 2u);
  EXPECT_EQ(rs[0].state, State::CONFIRMED);
  EXPECT_EQ(rs[1].state, State::NEEDS_ATTENTION);
  EXPECT_NE(rs[1].reason.find("belongs to routing request #" + std::to_string(rs[0].id)), std::string::npos);
  EXPECT_EQ(amazon.submit_calls, 1);
}

TEST_F(ChainTest, CloseoutStageGetsConfirmedDataAndMovesRequestToDone) {
  RecordingCloseout stage;
  chain->set_closeout(&stage);
  source.inbox.push_back(email("maildir:1", "co1", "2K4GH7QZ"));
  chain->intake(source);
  run_until_idle();
  auto id = store->requests().at(0).id;
  EXPECT_EQ(state(id), State::CLOSING_OUT);
  ASSERT_EQ(stage.jobs.size(), 1u);
  const auto& job = stage.jobs[0];
  EXPECT_EQ(job.request_id, id);
  EXPECT_FALSE(job.resumed);
  EXPECT_EQ(job.vendor_code, "ABCDE");
  ASSERT_EQ(job.shipments.size(), 1u);
  EXPECT_EQ(job.shipments[0].carrier, "ACME Freight");
  EXPECT_EQ(job.shipments[0].pickup_date, "2026-11-25");
  EXPECT_EQ(job.shipments[0].cartons, 12);
  EXPECT_EQ(job.shipments[0].pos, std::vector<std::string>{"2K4GH7QZ"});
  EXPECT_EQ(job.shipments[0].amazon_reference, "BRN-2K4GH7QZ");

  // a restart while closing out re-dispatches, marked resumed
  open();
  chain->set_closeout(&stage);
  chain->resume();
  ASSERT_EQ(stage.jobs.size(), 2u);
  EXPECT_TRUE(stage.jobs[1].resumed);

  store->add_event(id, "fleet", "JOB", "erp-closeout dispatched to agent-1");
  store->finish_closeout(id, {{"pretender_reference", "PT-123456"}, {"bol", "BOL4829301"}}, "fleet", "");
  // OpShip's close-out is the pickup confirmation: departed, and the ASN goes to Amazon before DONE.
  EXPECT_EQ(state(id), State::DEPARTED);
  EXPECT_EQ(store->request(id)->outputs["bol"], "BOL4829301");
  EXPECT_THROW(store->finish_closeout(id, {}, "fleet", "late duplicate result"), TransitionError);
  run_until_idle();
  EXPECT_EQ(state(id), State::DONE);
  EXPECT_EQ(amazon.asns.at(store->shipments(id).at(0).vendor_shipment_identifier), 1);
  EXPECT_EQ(stage.jobs.size(), 2u);
}
