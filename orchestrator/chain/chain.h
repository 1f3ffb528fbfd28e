// chain/: the worker that moves routing requests through the state machine (state.h), one durable step at
// a time (store.h). Single-threaded: intake() and run_due() are called by one loop (serve); the clock and
// Amazon are injected so tests run the whole chain against the simulator or a double without waiting.
#pragma once

#include "orchestrator/chain/accounts.h"
#include "orchestrator/chain/closeout.h"
#include "orchestrator/chain/store.h"
#include "orchestrator/intake/routing_request.h"
#include "orchestrator/mail/mail_source.h"
#include "orchestrator/pretender/pretender.h"
#include "orchestrator/spapi/vendor_shipments.h"

#include <chrono>
#include <functional>
#include <memory>
#include <set>

namespace dockhand::chain {

// What the chain needs from Amazon. SpapiAmazon (below) is the real one; errors are spapi::SpapiError
// (retryable() for 429, 5xx, timeouts) or any std::exception (treated as retryable: the network).
class AmazonShipments {
 public:
  virtual ~AmazonShipments() = default;
  virtual std::string submit_shipments(const nlohmann::json& body) = 0;
  virtual spapi::TransactionStatus get_transaction(const std::string& transaction_id) = 0;
  virtual std::optional<nlohmann::json> get_shipment_details(const std::string& vendor_shipment_identifier) = 0;
  // The ASN (submitShipmentConfirmations); returns the transactionId. Amazons that cannot take one refuse it.
  virtual std::string submit_shipment_confirmations(const nlohmann::json& body) {
    (void)body;
    throw spapi::SpapiError("submitShipmentConfirmations: not available from this Amazon", 501);
  }
  // The transport labels Amazon offers for a shipment (none: empty).
  virtual std::vector<spapi::ShipmentLabel> get_shipment_labels(const std::string& vendor_shipment_identifier) {
    (void)vendor_shipment_identifier;
    return {};
  }
};

// Whether a failed call to Amazon is worth trying again later: spapi::SpapiError says so itself (429, 5xx,
// timeouts); any other exception is the network or a busy store, so yes.
bool retryable(const std::exception& e);

class SpapiAmazon : public AmazonShipments {
 public:
  explicit SpapiAmazon(spapi::SpapiConfig config);
  ~SpapiAmazon() override;
  std::string submit_shipments(const nlohmann::json& body) override;
  spapi::TransactionStatus get_transaction(const std::string& transaction_id) override;
  std::optional<nlohmann::json> get_shipment_details(const std::string& vendor_shipment_identifier) override;
  std::string submit_shipment_confirmations(const nlohmann::json& body) override;
  std::vector<spapi::ShipmentLabel> get_shipment_labels(const std::string& vendor_shipment_identifier) override;
  spapi::VendorShipmentsClient& client() { return *client_; }

 private:
  std::unique_ptr<spapi::VendorShipmentsClient> client_;
};

// One selling partner's authorization: who it is for (binding rules) and Amazon under its credentials.
struct Account {
  AccountRule rule;
  AmazonShipments* amazon = nullptr;
};

struct ChainOptions {
  std::string actor = "orchestrator";
  std::chrono::milliseconds poll_initial{500};  // getTransaction: first poll, doubling up to poll_max
  std::chrono::milliseconds poll_max{30000};
  std::chrono::milliseconds retry_initial{1000};  // after a retryable error, doubling up to retry_max
  std::chrono::milliseconds retry_max{60000};
  // Amazon: a transaction Processing for 15 minutes without Failure counts as a success; if the shipment
  // still cannot be seen 30 minutes after submission, a human must look.
  std::chrono::minutes processing_counts_as_success{15};
  std::chrono::minutes processing_escalates{30};
  // A submission whose answer was lost (a crash, a timeout) and that Amazon does not show yet is sent
  // again only this long after it was sent: a request still in flight would have arrived by then.
  std::chrono::milliseconds uncertain_grace{60000};
  // After confirmation the shipment is followed (getShipmentDetails) until Amazon names the carrier and the
  // pickup: first look after follow_poll_initial, doubling up to follow_poll_max (Amazon takes hours).
  std::chrono::milliseconds follow_poll_initial{60000};
  std::chrono::milliseconds follow_poll_max{1800000};
  // Deadlines (chain/follow.cpp): a request not CONFIRMED this long before its ship window opens is late (an
  // alert; one received later gets processing_escalates to be confirmed first); one not departed when its
  // window closes is late and, once confirmed, NEEDS_ATTENTION. Looked at every deadline_check.
  std::chrono::minutes confirm_before_window{24 * 60};
  std::chrono::milliseconds deadline_check{60000};
  // Told of each deadline raised (request id, text): serve wakes the alerts with it.
  std::function<void(std::int64_t, const std::string&)> on_late;
};

using Extractor = std::function<intake::RoutingRequest(const std::string& raw_message)>;

// The body of submitShipments that cancels a shipment sent before (transactionType Cancel, the parties of
// its original payload), as Amazon's model has it.
nlohmann::json cancel_shipment_body(const nlohmann::json& original_payload, std::chrono::system_clock::time_point now);

class Chain {
 public:
  // One account ("default") that every request is bound to: a configuration from before accounts.
  Chain(Store& store, const Clock& clock, Extractor extract, const pretender::OrderDatabase& orders,
        pretender::Rules rules, AmazonShipments& amazon, ChainOptions options = {});
  // Several accounts: each request is bound to one (chain/accounts.h) and every call to Amazon for it
  // goes through that account's AmazonShipments.
  Chain(Store& store, const Clock& clock, Extractor extract, const pretender::OrderDatabase& orders,
        pretender::Rules rules, std::vector<Account> accounts, ChainOptions options = {});

  // nullptr: requests stay CONFIRMED (no close-out configured).
  void set_closeout(CloseoutStage* stage) { closeout_ = stage; }

  // Stores every new message (RECEIVED or DUPLICATE) and only then marks it handled. Returns how many.
  std::size_t intake(mail::MailSource& source, std::size_t max_messages = 100);
  // At start-up: every unfinished request becomes due now, and CLOSING_OUT ones are re-dispatched.
  void resume();
  // Advances every due request as far as it can go now. Returns how many requests it worked on.
  std::size_t run_due(std::size_t limit = 256);
  // Advances one request as far as it can go now (tests, and the worker).
  void advance(std::int64_t request_id);
  // Raises the deadlines that passed (alerts, NEEDS_ATTENTION); run_due calls it every deadline_check.
  // Returns how many were raised.
  std::size_t check_deadlines();
  // How long until the next scheduled attempt (nullopt: nothing scheduled).
  std::optional<std::chrono::milliseconds> time_until_next();

  static CloseoutJob closeout_job(Store& store, std::int64_t request_id, bool resumed);

  // The account authorized again: its requests stopped because its authorization was revoked or refused go
  // on where they stopped (due now). Returns how many. Uses only the store, so any thread may call it.
  std::size_t resume_account(const std::string& brand, const std::string& detail);

 private:
  bool step(std::int64_t id);  // one transition; false when it must wait (scheduled) or is final
  bool extract(const RequestRecord& r);
  bool plan(const RequestRecord& r);
  bool submit(const RequestRecord& r, AmazonShipments& amazon);
  bool poll(const RequestRecord& r, AmazonShipments& amazon);
  // chain/follow.cpp: CONFIRMED -> (carrier and pickup known) -> CLOSING_OUT; DEPARTED -> ASN -> DONE.
  bool confirm(const RequestRecord& r, AmazonShipments& amazon);
  bool fetch_labels(const RequestRecord& r, const ShipmentRecord& s, AmazonShipments& amazon);
  bool send_asn(const RequestRecord& r, AmazonShipments& amazon);
  nlohmann::json asn_body(const ShipmentRecord& s, const Followup& f);
  // A non-retryable SP-API failure of the follow-up or ASN: NEEDS_ATTENTION; a retryable one: retry later.
  void follow_failed(const RequestRecord& r, const std::string& asked, const std::exception& e);
  // Notices (chain_notices.cpp): a NOTICE's effects on the requests it names, then the Cancel transactions
  // they asked for. settle_cancellations: nullopt when the request has none to settle now.
  bool apply_notice(const RequestRecord& r);
  void cancel_po(const RequestRecord& notice, const intake::Notice& n, NoticeEffect e);
  std::optional<bool> settle_cancellations(const RequestRecord& r);
  void withdraw_closeout(const RequestRecord& r, const ShipmentRecord& s);  // CLOSEOUT_WITHDRAWN event
  // Why a cancelled shipment still needs a human: close-out work done for it in the programs ("": none).
  std::string closeout_hold(const RequestRecord& r, const ShipmentRecord& s);
  // What Amazon says of a submitted shipment: Success, Failure (with errors), Processing, or Missing.
  struct TransactionAnswer {
    std::string status;
    std::string said;  // for the event: "Success", "shipment CarrierAssigned ...", ...
    nlohmann::json errors;
    static TransactionAnswer of(const spapi::TransactionStatus& status);
  };
  TransactionAnswer transaction_from_details(const ShipmentRecord& s, AmazonShipments& amazon);
  // The request's account, binding it first when it is not bound yet; nullptr (and NEEDS_ATTENTION with the
  // reason) when it cannot be bound or its account is not configured.
  const Account* account_of(RequestRecord& r);
  void stop_for_account(const RequestRecord& r, const std::string& problem, const std::string& reason,
                        nlohmann::json evidence = nlohmann::json::object());
  // Amazon refused the request's account authorization (revoked, missing role): NEEDS_ATTENTION, true.
  bool stopped_for_authorization(const RequestRecord& r, const std::exception& e);
  void retry_later(const RequestRecord& r, const std::string& what, const std::exception& e);
  std::chrono::milliseconds backoff(std::chrono::milliseconds initial, std::chrono::milliseconds max, int attempts);

  Store& store_;
  const Clock& clock_;
  Extractor extract_;
  const pretender::OrderDatabase& orders_;
  pretender::Rules rules_;
  std::vector<Account> accounts_;
  std::vector<AccountRule> account_rules_;
  ChainOptions options_;
  CloseoutStage* closeout_ = nullptr;
  std::set<std::int64_t> refused_;  // shipments whose last send Amazon refused outright (429): not uncertain
  std::set<std::int64_t> asn_refused_;  // the same for ASNs
  std::optional<std::int64_t> deadlines_checked_ms_;
};

}  // namespace dockhand::chain
