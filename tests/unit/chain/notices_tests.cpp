// Notices (issue 23) through the chain: cancellations before and after submission, changes, unknown POs and
// chargebacks, with the real intake reading the notice emails and Amazon scripted.
#include "chain_doubles.h"

#include "orchestrator/intake/routing_request.h"

using namespace dockhand;
using namespace dockhand::chain;
using namespace dockhand::chain::testing;

namespace {

// Amazon that also keeps every body it was sent (to see the Cancel).
class RecordingAmazon : public ScriptedAmazon {
 public:
  std::string submit_shipments(const nlohmann::json& body) override {
    bodies.push_back(body);
    return ScriptedAmazon::submit_shipments(body);
  }
  std::vector<nlohmann::json> cancels() const {
    std::vector<nlohmann::json> out;
    for (const auto& b : bodies)
      if (b["shipments"][0].value("transactionType", "") == "Cancel") out.push_back(b);
    return out;
  }
  std::vector<nlohmann::json> bodies;
};

class WithdrawingCloseout : public CloseoutStage {
 public:
  void dispatch(const CloseoutJob& job) override { jobs.push_back(job); }
  WithdrawResult withdraw(std::int64_t request_id, const std::vector<std::string>& shipments) override {
    withdrawn_for.push_back(request_id);
    WithdrawResult out;
    for (const auto& s : shipments) (already_ran ? out.ran : out.withdrawn).push_back(std::to_string(request_id) + "-" + s + "-opship");
    return out;
  }
  std::vector<CloseoutJob> jobs;
  std::vector<std::int64_t> withdrawn_for;
  bool already_ran = false;
};

// Routing requests come from the test headers; every other mail is read by the real intake.
intake::RoutingRequest mixed_extractor(const std::string& raw) {
  if (raw.find("X-Test-POs:") != std::string::npos) return header_extractor(raw);
  return intake::extract(raw);
}

mail::RawMessage notice_email(const std::string& source_id, const std::string& subject, const std::string& body) {
  return {source_id, "Message-ID: <" + source_id + "@vendor.example>\r\nFrom: Dana <dana@vendor.example>\r\nSubject: " +
                         subject + "\r\nDate: Sun, 22 Nov 2026 09:14:00 -0500\r\nContent-Type: text/plain\r\n\r\n" + body};
}

class NoticesTest : public ChainFixture {
 protected:
  void SetUp() override {
    ChainFixture::SetUp();
    reopen();
  }
  void reopen() {
    chain.reset();
    ChainOptions options;
    options.poll_initial = std::chrono::milliseconds(1000);
    options.retry_initial = std::chrono::milliseconds(1000);
    chain = std::make_unique<Chain>(*store, clock, mixed_extractor, *orders, pretender::Rules::defaults(), recording,
                                    options);
    chain->set_closeout(&stage);
  }
  std::int64_t id_of(const std::string& source_id) {
    for (const auto& r : store->requests())
      if (r.source_id == source_id) return r.id;
    ADD_FAILURE() << "no request from " << source_id;
    return 0;
  }
  bool has_event(std::int64_t id, const std::string& step, const std::string& text) {
    for (const auto& e : store->events(id))
      if (e.step == step && e.detail.find(text) != std::string::npos) return true;
    return false;
  }
  RecordingAmazon recording;
  WithdrawingCloseout stage;
};

}  // namespace

TEST_F(NoticesTest, CancellationBeforeSubmissionTakesThePoOutAndTheRestIsSubmittedWithoutIt) {
  // held before submission: a carton of 4HEAVY88 breaks a rule
  source.inbox.push_back(email("maildir:1", "r1", "2K4GH7QZ 4HEAVY88"));
  chain->intake(source);
  run_until_idle();
  auto request = id_of("maildir:1");
  ASSERT_EQ(state(request), State::NEEDS_ATTENTION);
  source.inbox.push_back(notice_email("maildir:2", "PO 4HEAVY88 cancelled",
                                      "Hello,\r\n\r\nAmazon has cancelled PO 4HEAVY88. Please do not ship it.\r\n"));
  chain->intake(source);
  run_until_idle();
  EXPECT_EQ(state(request), State::NEEDS_ATTENTION) << "held until a person lets it go on";
  store->operator_retry(request, "console:test", "the cancelled PO is out");
  run_until_idle();
  auto notice = id_of("maildir:2");
  EXPECT_EQ(state(notice), State::NOTICE);
  EXPECT_EQ(store->request(notice)->extracted["classification"], "cancellation");
  EXPECT_TRUE(has_event(request, "PO_REMOVED", "email #" + std::to_string(notice) + " 'PO 4HEAVY88 cancelled'"));
  auto extracted = store->request(request)->extracted["purchase_orders"];
  ASSERT_EQ(extracted.size(), 1u);
  EXPECT_EQ(extracted[0]["po"], "2K4GH7QZ");
  for (const auto& s : store->shipments(request))
    EXPECT_EQ(s.planned.pos, std::vector<std::string>{"2K4GH7QZ"}) << "only the PO still wanted is shipped";
  for (const auto& [identifier, n] : recording.submitted)
    EXPECT_EQ(identifier.find("4HEAVY88"), std::string::npos) << "the cancelled PO never reached Amazon";
  EXPECT_EQ(recording.submitted.size(), 1u);
  EXPECT_EQ(state(request), State::CLOSING_OUT);
  auto effects = store->notice_effects(request);
  ASSERT_EQ(effects.size(), 1u);
  EXPECT_EQ(effects[0].action, "removed");
  EXPECT_EQ(effects[0].po, "4HEAVY88");
  EXPECT_EQ(effects[0].notice, notice);
}

TEST_F(NoticesTest, CancellingEveryPoBeforeSubmissionCancelsTheRequest) {
  source.inbox.push_back(email("maildir:1", "r1", "4HEAVY88"));
  chain->intake(source);
  run_until_idle();
  source.inbox.push_back(notice_email("maildir:2", "please cancel", "Hi, please cancel PO 4HEAVY88, the customer pulled it.\r\n"));
  chain->intake(source);
  run_until_idle();
  auto request = id_of("maildir:1");
  EXPECT_EQ(state(request), State::CANCELLED);
  EXPECT_NE(store->request(request)->reason.find("email #"), std::string::npos) << store->request(request)->reason;
  EXPECT_TRUE(recording.submitted.empty());
}

TEST_F(NoticesTest, CancellationAfterSubmissionSendsCancelAndWithdrawsThePendingCloseout) {
  source.inbox.push_back(email("maildir:1", "r1", "2K4GH7QZ"));
  chain->intake(source);
  run_until_idle();
  auto request = id_of("maildir:1");
  ASSERT_EQ(state(request), State::CLOSING_OUT);
  ASSERT_EQ(stage.jobs.size(), 1u);
  const auto shipment = store->shipments(request).at(0).vendor_shipment_identifier;
  source.inbox.push_back(notice_email("maildir:2", "Purchase order cancellation",
                                      "The purchase order below was cancelled by Amazon:\r\n\r\nPO\tStatus\r\n2K4GH7QZ\tCancelled\r\n"));
  chain->intake(source);
  run_until_idle();
  auto notice = id_of("maildir:2");
  ASSERT_EQ(recording.cancels().size(), 1u) << "exactly one Cancel";
  auto cancel = recording.cancels()[0]["shipments"][0];
  EXPECT_EQ(cancel["vendorShipmentIdentifier"], shipment);
  EXPECT_TRUE(cancel.contains("sellingParty") && cancel.contains("shipFromParty") && cancel.contains("shipToParty"));
  EXPECT_EQ(stage.withdrawn_for, std::vector<std::int64_t>{request});
  EXPECT_TRUE(has_event(request, "CLOSEOUT_WITHDRAWN", shipment + ": withdrawn"));
  EXPECT_TRUE(has_event(request, "CANCEL_SENT", "transactionId"));
  EXPECT_EQ(store->shipments(request).at(0).state, shipment_state::cancelled);
  EXPECT_EQ(state(request), State::CANCELLED);
  EXPECT_NE(store->request(request)->reason.find("email #" + std::to_string(notice)), std::string::npos);
  auto effects = store->notice_effects(request);
  ASSERT_EQ(effects.size(), 1u);
  EXPECT_EQ(effects[0].action, "cancelled");
  EXPECT_EQ(effects[0].shipment, shipment);

  // after a restart nothing is sent again, and the close-out is not dispatched again
  open();
  reopen();
  chain->resume();
  run_until_idle();
  EXPECT_EQ(recording.cancels().size(), 1u);
  EXPECT_EQ(stage.jobs.size(), 1u);
}

TEST_F(NoticesTest, CancellationAfterCloseoutWorkRanNeedsAttentionForAHuman) {
  stage.already_ran = true;
  source.inbox.push_back(email("maildir:1", "r1", "2K4GH7QZ"));
  chain->intake(source);
  run_until_idle();
  auto request = id_of("maildir:1");
  ASSERT_EQ(state(request), State::CLOSING_OUT);
  source.inbox.push_back(notice_email("maildir:2", "PO 2K4GH7QZ cancelled", "PO 2K4GH7QZ has been cancelled.\r\n"));
  chain->intake(source);
  run_until_idle();
  EXPECT_EQ(recording.cancels().size(), 1u);
  EXPECT_EQ(state(request), State::NEEDS_ATTENTION);
  EXPECT_NE(store->request(request)->reason.find("by hand"), std::string::npos) << store->request(request)->reason;
}

TEST_F(NoticesTest, CancellingOnePoOfASubmittedShipmentIsLeftToAHuman) {
  source.inbox.push_back(email("maildir:1", "r1", "2K4GH7QZ 7HXQ3M2P"));
  chain->intake(source);
  run_until_idle();
  auto request = id_of("maildir:1");
  ASSERT_EQ(store->shipments(request).size(), 1u);
  source.inbox.push_back(notice_email("maildir:2", "PO 7HXQ3M2P cancelled", "PO 7HXQ3M2P has been cancelled.\r\n"));
  chain->intake(source);
  run_until_idle();
  EXPECT_TRUE(recording.cancels().empty());
  EXPECT_EQ(state(request), State::NEEDS_ATTENTION);
  EXPECT_NE(store->request(request)->reason.find("also holds PO 2K4GH7QZ"), std::string::npos);
}

TEST_F(NoticesTest, ACancellationNamingAnUnknownPoIsRecordedNotAnError) {
  source.inbox.push_back(notice_email("maildir:1", "PO 5T7UV9WX cancelled", "PO 5T7UV9WX has been cancelled.\r\n"));
  chain->intake(source);
  run_until_idle();
  auto notice = id_of("maildir:1");
  EXPECT_EQ(state(notice), State::NOTICE);
  auto effects = store->notice_effects(notice);
  ASSERT_EQ(effects.size(), 1u);
  EXPECT_EQ(effects[0].action, "unknown_po");
  EXPECT_FALSE(effects[0].request);
  EXPECT_FALSE(store->request(notice)->next_attempt_ms);
}

TEST_F(NoticesTest, AChangeHoldsTheRequestWithTheEmail) {
  recording.submit_faults.push_back({503, "Service Unavailable"});
  source.inbox.push_back(email("maildir:1", "r1", "2K4GH7QZ"));
  chain->intake(source);
  chain->run_due();
  source.inbox.push_back(notice_email("maildir:2", "PO change notification - 2K4GH7QZ",
                                      "The quantity on PO 2K4GH7QZ has been changed from 24 to 12 units.\r\n"));
  chain->intake(source);
  run_until_idle();
  auto request = id_of("maildir:1");
  EXPECT_EQ(state(request), State::NEEDS_ATTENTION);
  EXPECT_NE(store->request(request)->reason.find("changed"), std::string::npos);
  EXPECT_TRUE(recording.submitted.empty());
}

TEST_F(NoticesTest, ChargebacksAreCountedPerBrandAndReason) {
  source.inbox.push_back(email("maildir:1", "r1", "2K4GH7QZ"));
  source.inbox.push_back(email("maildir:2", "r2", "9LMN4R8T"));
  chain->intake(source);
  run_until_idle();
  source.inbox.push_back(notice_email("maildir:3", "Chargeback notice", "Issue: late ASN\r\nPO: 2K4GH7QZ\r\nAmount: $180.00\r\n"));
  source.inbox.push_back(notice_email("maildir:4", "Compliance chargeback",
                                      "Issue: missing carton labels\r\nPO 9LMN4R8T\r\nChargeback: $40\r\n"));
  source.inbox.push_back(notice_email("maildir:5", "Charge back: routing", "Routing non-compliance for PO 9LMN4R8T, $250\r\n"));
  source.inbox.push_back(notice_email("maildir:6", "Chargeback issued", "Reason: overage\r\nPO 4D5EF7GS\r\n"));
  chain->intake(source);
  run_until_idle();
  auto counts = store->chargeback_counts();
  EXPECT_EQ(counts[std::make_pair(std::string("default"), std::string("late_asn"))], 1);
  EXPECT_EQ(counts[std::make_pair(std::string("default"), std::string("labels"))], 1);
  EXPECT_EQ(counts[std::make_pair(std::string("default"), std::string("routing"))], 1);
  EXPECT_EQ(counts[std::make_pair(std::string(""), std::string("other"))], 1) << "a PO no request holds: no brand";
  auto request = id_of("maildir:1");
  EXPECT_TRUE(has_event(request, "CHARGEBACK", "late_asn"));
  EXPECT_EQ(state(request), State::CLOSING_OUT) << "a chargeback changes nothing in the request";
}

TEST_F(NoticesTest, ACancelAmazonRefusesNeedsAttentionWithItsErrors) {
  source.inbox.push_back(email("maildir:1", "r1", "2K4GH7QZ"));
  chain->intake(source);
  run_until_idle();
  auto request = id_of("maildir:1");
  ASSERT_EQ(state(request), State::CLOSING_OUT);
  recording.default_statuses = {"Processing", "Failure"};  // Amazon refuses the Cancel
  recording.final_status = "Failure";
  recording.failure_errors = nlohmann::json::array({{{"code", "SHIPMENT_ALREADY_SHIPPED"}, {"message", "shipped"}}});
  source.inbox.push_back(notice_email("maildir:2", "PO 2K4GH7QZ cancelled", "PO 2K4GH7QZ has been cancelled.\r\n"));
  chain->intake(source);
  run_until_idle();
  EXPECT_EQ(recording.cancels().size(), 1u);
  EXPECT_EQ(state(request), State::NEEDS_ATTENTION);
  EXPECT_NE(store->request(request)->reason.find("SHIPMENT_ALREADY_SHIPPED"), std::string::npos) << store->request(request)->reason;
  EXPECT_EQ(store->notice_effects(request).at(0).action, "cancel_refused");
}
