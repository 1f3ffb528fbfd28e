#include "chain.h"

#include "crash_point.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <random>

namespace dockhand::chain {

bool retryable(const std::exception& e) {
  if (auto* s = dynamic_cast<const spapi::SpapiError*>(&e)) return s->retryable();
  return true;  // network, timeouts, a busy store: try again later
}

namespace {

std::string errors_summary(const nlohmann::json& errors) {
  auto text = spapi::errors_text(errors);
  return text.empty() ? "no error details given" : text;
}

std::string date_part(const nlohmann::json& value) {
  return value.is_string() ? value.get<std::string>().substr(0, 10) : std::string();
}

}  // namespace

Chain::Chain(Store& store, const Clock& clock, Extractor extract, const pretender::OrderDatabase& orders,
             pretender::Rules rules, AmazonShipments& amazon, ChainOptions options)
    : Chain(store, clock, std::move(extract), orders, std::move(rules), {Account{{"default", {}, {}}, &amazon}},
            std::move(options)) {}

Chain::Chain(Store& store, const Clock& clock, Extractor extract, const pretender::OrderDatabase& orders,
             pretender::Rules rules, std::vector<Account> accounts, ChainOptions options)
    : store_(store),
      clock_(clock),
      extract_(std::move(extract)),
      orders_(orders),
      rules_(std::move(rules)),
      accounts_(std::move(accounts)),
      options_(std::move(options)) {
  for (const auto& a : accounts_) {
    if (!a.amazon) throw std::invalid_argument("chain: account " + a.rule.brand + " has no Amazon client");
    account_rules_.push_back(a.rule);
  }
}

const Account* Chain::account_of(RequestRecord& r) {
  if (r.account.empty()) {
    std::optional<std::string> vendor_code;
    if (r.extracted.is_object() && r.extracted.contains("vendor_code") && r.extracted["vendor_code"].is_string())
      vendor_code = r.extracted["vendor_code"].get<std::string>();
    const auto domain = sender_domain(store_.raw_message(r.id));
    auto decision = decide_account(account_rules_, vendor_code, domain);
    if (!decision.brand) {
      const bool several = decision.problem.find("several") != std::string::npos;
      stop_for_account(r, several ? account_problem::ambiguous : account_problem::unbound,
                       "no Amazon account for this request: " + decision.problem +
                           "; bind it with `dockhand-orchestrator bind " + std::to_string(r.id) + " BRAND`",
                       {{"vendor_code", vendor_code ? nlohmann::json(*vendor_code) : nlohmann::json()},
                        {"sender_domain", domain}});
      return nullptr;
    }
    // With a single catch-all account (a config from before accounts) the binding says nothing: no event.
    const bool only = decision.how == "the only account";
    store_.bind_account(r.id, *decision.brand, options_.actor, only ? "" : *decision.brand + " (" + decision.how + ")");
    r.account = *decision.brand;
  }
  for (const auto& a : accounts_)
    if (a.rule.brand == r.account) return &a;
  stop_for_account(r, account_problem::unknown,
                   "bound to account " + r.account + ", which the configuration does not have (any more)");
  return nullptr;
}

void Chain::stop_for_account(const RequestRecord& r, const std::string& problem, const std::string& reason,
                             nlohmann::json evidence) {
  evidence["account_problem"] = problem;
  evidence["account"] = r.account.empty() ? nlohmann::json() : nlohmann::json(r.account);
  evidence["resume_state"] = std::string(to_string(r.state));
  spdlog::warn("chain: routing request #{} needs attention: {}", r.id, reason);
  store_.needs_attention(r.id, reason, evidence, options_.actor);
}

bool Chain::stopped_for_authorization(const RequestRecord& r, const std::exception& e) {
  auto* error = dynamic_cast<const spapi::SpapiError*>(&e);
  if (!error || !error->authorization_refused()) return false;
  const bool revoked = error->auth_error != "Unauthorized";
  stop_for_account(r, revoked ? account_problem::revoked : account_problem::refused,
                   "authorization for " + r.account + (revoked ? " was revoked" : " was refused by Amazon") + " (" +
                       error->auth_error + "): " + e.what() + "; once " + r.account +
                       " authorizes the application again, its requests go on",
                   {{"error", error->auth_error}, {"http_status", error->http_status}});
  return true;
}

std::size_t Chain::resume_account(const std::string& brand, const std::string& detail) {
  std::size_t resumed = 0;
  for (auto id : store_.in_state(State::NEEDS_ATTENTION)) {
    auto r = store_.request(id);
    if (!r || r->account != brand || !r->evidence.is_object()) continue;
    const auto problem = r->evidence.value("account_problem", std::string());
    if (problem != account_problem::revoked && problem != account_problem::refused) continue;
    try {
      store_.resume(id, options_.actor, detail);
      ++resumed;
    } catch (const TransitionError& e) {
      spdlog::warn("chain: routing request #{}: {}", id, e.what());
    }
  }
  if (resumed) spdlog::info("chain: {} routing request(s) of {} go on: {}", resumed, brand, detail);
  return resumed;
}

std::size_t Chain::intake(mail::MailSource& source, std::size_t max_messages) {
  auto messages = source.fetch_new(max_messages);
  for (const auto& message : messages) {
    auto received = store_.receive(message, "mail");
    if (received.redelivery)
      spdlog::info("chain: {} was already stored as routing request #{}", message.source_id, received.request_id);
    else
      spdlog::info("chain: {} stored as routing request #{} ({})", message.source_id, received.request_id,
                   to_string(received.state));
    try {
      source.mark_handled(message);
    } catch (const std::exception& e) {
      // Stored already: at worst the source hands it out again and the store recognises it.
      spdlog::warn("chain: could not mark {} handled in {}: {}", message.source_id, source.describe(), e.what());
    }
  }
  return messages.size();
}

void Chain::resume() {
  auto n = store_.reschedule_unfinished(clock_.now_ms());
  if (n) spdlog::info("chain: resuming {} unfinished routing request(s)", n);
  if (!closeout_) return;
  for (auto id : store_.in_state(State::CLOSING_OUT)) {
    spdlog::info("chain: re-dispatching the close-out of routing request #{}", id);
    closeout_->dispatch(closeout_job(store_, id, true));
  }
}

std::size_t Chain::run_due(std::size_t limit) {
  const auto now_ms = clock_.now_ms();
  if (!deadlines_checked_ms_ || now_ms - *deadlines_checked_ms_ >= options_.deadline_check.count()) {
    deadlines_checked_ms_ = now_ms;
    try {
      check_deadlines();
    } catch (const std::exception& e) {
      spdlog::error("chain: checking the deadlines failed: {}", e.what());
    }
  }
  auto ids = store_.due(clock_.now_ms(), limit);
  for (auto id : ids) advance(id);
  return ids.size();
}

std::optional<std::chrono::milliseconds> Chain::time_until_next() {
  auto next = store_.next_due_ms();
  if (!next) return std::nullopt;
  return std::chrono::milliseconds(std::max<std::int64_t>(0, *next - clock_.now_ms()));
}

void Chain::advance(std::int64_t id) {
  try {
    while (step(id)) {
    }
  } catch (const TransitionError& e) {
    spdlog::warn("chain: routing request #{}: {}", id, e.what());
  } catch (const std::exception& e) {
    // Something unexpected (a full disk, a corrupt row): keep it visible and try again later, never spin.
    spdlog::error("chain: routing request #{}: {}", id, e.what());
    if (auto r = store_.request(id)) retry_later(*r, "unexpected error", e);
  }
}

std::chrono::milliseconds Chain::backoff(std::chrono::milliseconds initial, std::chrono::milliseconds max,
                                         int attempts) {
  double delay = static_cast<double>(initial.count()) * std::pow(2.0, std::min(attempts, 20));
  delay = std::min(delay, static_cast<double>(max.count()));
  static thread_local std::minstd_rand random(std::random_device{}());
  double jitter = std::uniform_real_distribution<double>(0.8, 1.0)(random);  // spread retries apart
  return std::chrono::milliseconds(static_cast<std::int64_t>(delay * jitter));
}

void Chain::retry_later(const RequestRecord& r, const std::string& what, const std::exception& e) {
  auto delay = backoff(options_.retry_initial, options_.retry_max, r.attempts);
  std::string message = what + ": " + e.what();
  spdlog::warn("chain: routing request #{} {}: retrying in {} ms", r.id, message, delay.count());
  store_.record_retry(r.id, clock_.now_ms() + delay.count(), message, options_.actor);
}

bool Chain::step(std::int64_t id) {
  auto r = store_.request(id);
  if (!r) return false;
  if (r->state == State::NOTICE) return apply_notice(*r);
  if (auto settled = settle_cancellations(*r)) return *settled;  // a Cancel to send or follow comes first
  switch (r->state) {
    case State::RECEIVED:
      return extract(*r);
    case State::EXTRACTED:
      return account_of(*r) && plan(*r);
    case State::PLANNED:
    case State::SUBMITTED:
    case State::CONFIRMED:
    case State::DEPARTED: {
      // Bound already, except a request stored before accounts existed: bound now, before any call.
      const auto* account = account_of(*r);
      if (!account) return false;
      if (r->state == State::PLANNED) return submit(*r, *account->amazon);
      if (r->state == State::SUBMITTED) return poll(*r, *account->amazon);
      if (r->state == State::DEPARTED) return send_asn(*r, *account->amazon);
      return confirm(*r, *account->amazon);
    }
    default:
      store_.schedule(id, std::nullopt);  // final, or CLOSING_OUT (the close-out stage owns it)
      return false;
  }
}

bool Chain::extract(const RequestRecord& r) {
  intake::RoutingRequest request;
  try {
    request = extract_(store_.raw_message(r.id));
  } catch (const intake::QuarantineError& e) {
    store_.quarantine(r.id, e.what(), options_.actor);
    return false;
  } catch (const std::exception& e) {
    store_.quarantine(r.id, std::string("the extractor failed: ") + e.what(), options_.actor);
    return false;
  }
  if (request.needs_attention()) {
    // Maybe a routing request, not read in full: a human decides, never "other".
    store_.record_doubtful_extraction(r.id, nlohmann::json(request), request.attention->reason,
                                      nlohmann::json(*request.attention), options_.actor);
    return false;
  }
  if (request.notice) {  // a cancellation, change or chargeback: its effects are applied next (chain_notices.cpp)
    store_.record_notice(r.id, nlohmann::json(request), request.classification_reason, options_.actor);
    return true;
  }
  store_.record_extraction(r.id, nlohmann::json(request), request.is_routing_request(),
                           request.classification_reason, options_.actor);
  return request.is_routing_request();
}

bool Chain::plan(const RequestRecord& r) {
  pretender::Plan planned;
  try {
    planned = pretender::plan(r.extracted.get<intake::RoutingRequest>(), orders_, rules_, clock_.now());
  } catch (const pretender::PretenderError& e) {
    store_.needs_attention(r.id, std::string("planning failed: ") + e.what(), nullptr, options_.actor);
    return false;
  } catch (const nlohmann::json::exception& e) {
    store_.needs_attention(r.id, std::string("the stored extraction cannot be read: ") + e.what(), r.extracted,
                           options_.actor);
    return false;
  }
  // Whose shipments these are: the vendor the payload names (sellingParty) and the vendor the warehouse
  // order data gives each PO must be the account's; never submit another vendor's under its authorization.
  for (const auto& a : account_rules_) {
    if (a.brand != r.account || a.vendor_codes.empty()) continue;
    auto held = [&](const std::string& code) {
      return std::find(a.vendor_codes.begin(), a.vendor_codes.end(), code) != a.vendor_codes.end();
    };
    for (const auto& s : planned.shipments) {
      std::string foreign = held(s.vendor_code) ? "" : "it is for vendor " + s.vendor_code;
      for (const auto& po : s.pos)
        if (auto order = orders_.find(po); order && !held(order->vendor_code) && foreign.empty())
          foreign = "PO " + po + " is vendor " + order->vendor_code + "'s in the warehouse order data";
      if (foreign.empty()) continue;
      std::string codes;
      for (const auto& c : a.vendor_codes) codes += (codes.empty() ? "" : " ") + c;
      stop_for_account(r, account_problem::vendor_mismatch,
                       "shipment " + s.vendor_shipment_identifier + ": " + foreign + ", not one of " + a.brand +
                           "'s vendor codes (" + codes + "): not submitting it under " + a.brand + "'s authorization",
                       {{"vendor_code", s.vendor_code}, {"pos", s.pos}});
      return false;
    }
  }
  return store_.record_plan(r.id, planned, options_.actor) == State::PLANNED;
}

bool Chain::submit(const RequestRecord& r, AmazonShipments& amazon) {
  std::optional<std::int64_t> recheck_ms;  // an uncertain submission to look for again before resending
  for (const auto& s : store_.shipments(r.id)) {
    if (s.state != shipment_state::planned && s.state != shipment_state::submitting) continue;
    try {
      if (s.state == shipment_state::submitting) {
        // We may have sent it before a crash or a timeout: ask Amazon before sending it again.
        if (amazon.get_shipment_details(s.vendor_shipment_identifier)) {
          store_.record_submission(s.id, std::nullopt, options_.actor,
                                   "already at Amazon (getShipmentDetails found it after an uncertain submission)");
          continue;
        }
        // Not there yet is not "never sent": a request still in flight (the process that sent it was killed,
        // or gave up waiting) may reach Amazon later. Unless Amazon refused it outright (429), it is resent
        // only once the grace after the last send is over.
        auto resend_at = s.submitted_ms.value_or(0) + options_.uncertain_grace.count();
        if (!refused_.count(s.id) && clock_.now_ms() < resend_at) {
          recheck_ms = std::min(recheck_ms.value_or(resend_at), resend_at);
          continue;
        }
        store_.record_resend(s.id, options_.actor, "not at Amazon after an uncertain submission");
      } else {
        store_.mark_submitting(s.id, options_.actor);
      }
      refused_.erase(s.id);
      auto transaction_id = amazon.submit_shipments({{"shipments", nlohmann::json::array({s.planned.payload})}});
      detail::crash_point("SENT");
      store_.record_submission(s.id, transaction_id, options_.actor, "");
    } catch (const TransitionError&) {
      throw;
    } catch (const std::exception& e) {
      if (stopped_for_authorization(r, e)) return false;
      auto* spapi_error = dynamic_cast<const spapi::SpapiError*>(&e);
      if (retryable(e)) {
        if (spapi_error && spapi_error->http_status == 429) refused_.insert(s.id);  // throttled: not taken
        retry_later(r, "submitShipments " + s.vendor_shipment_identifier, e);
        return false;
      }
      nlohmann::json errors = spapi_error ? spapi_error->errors : nlohmann::json::array();
      store_.record_rejection(s.id, errors, options_.actor,
                              std::string("submitShipments refused: ") + e.what() +
                                  (errors.empty() ? "" : " - " + errors_summary(errors)));
      return false;
    }
  }
  if (recheck_ms) {
    spdlog::info("chain: routing request #{}: a submission whose answer was lost is not at Amazon yet; asking "
                 "again in {} ms before sending it again", r.id, *recheck_ms - clock_.now_ms());
    store_.schedule(r.id, *recheck_ms);
    return false;
  }
  auto now = store_.request(r.id);
  return now && now->state == State::SUBMITTED;
}

bool Chain::poll(const RequestRecord& r, AmazonShipments& amazon) {
  auto now_ms = clock_.now_ms();
  bool waiting = false;
  for (const auto& s : store_.shipments(r.id)) {
    if (s.state != shipment_state::submitted) continue;
    auto elapsed = std::chrono::milliseconds(now_ms - s.submitted_ms.value_or(now_ms));
    const std::string asked = s.transaction_id ? "getTransaction " + *s.transaction_id
                                               : "getShipmentDetails " + s.vendor_shipment_identifier;
    try {
      auto answer = s.transaction_id ? TransactionAnswer::of(amazon.get_transaction(*s.transaction_id))
                                     : transaction_from_details(s, amazon);
      if (answer.status == "Success") {
        store_.record_confirmation(s.id, options_.actor, asked + ": " + answer.said);
      } else if (answer.status == "Failure") {
        store_.record_rejection(s.id, answer.errors, options_.actor,
                                asked + ": Failure - " + errors_summary(answer.errors));
        return false;
      } else if (answer.status == "Missing") {
        store_.needs_attention(r.id,
                               "shipment " + s.vendor_shipment_identifier +
                                   " was at Amazon after an uncertain submission, but getShipmentDetails no longer "
                                   "lists it (Amazon may have rejected it; its errors were in the lost transaction)",
                               {{"vendor_shipment_identifier", s.vendor_shipment_identifier}}, options_.actor);
        return false;
      } else if (elapsed >= options_.processing_counts_as_success) {
        store_.record_confirmation(s.id, options_.actor,
                                   asked + ": " + answer.said + " for " +
                                       std::to_string(std::chrono::duration_cast<std::chrono::minutes>(elapsed).count()) +
                                       " min without Failure, counted as success (Amazon's guidance)");
      } else {
        waiting = true;
      }
    } catch (const TransitionError&) {
      throw;
    } catch (const std::exception& e) {
      if (stopped_for_authorization(r, e)) return false;
      if (retryable(e)) {
        retry_later(r, asked, e);
        return false;
      }
      store_.needs_attention(r.id, asked + " failed: " + e.what(), nullptr, options_.actor);
      return false;
    }
  }
  if (waiting) {
    store_.schedule(r.id, now_ms + backoff(options_.poll_initial, options_.poll_max, r.attempts).count(), true);
    return false;
  }
  auto now = store_.request(r.id);
  return now && now->state == State::CONFIRMED;
}

Chain::TransactionAnswer Chain::TransactionAnswer::of(const spapi::TransactionStatus& status) {
  return {status.status, status.status, status.errors};
}

Chain::TransactionAnswer Chain::transaction_from_details(const ShipmentRecord& s, AmazonShipments& amazon) {
  // An uncertain submission found at Amazon has no transactionId. Amazon keeps a shipment "Created" while
  // its transaction is processed and moves it on (TransportationRequested, CarrierAssigned, Shipped) once
  // accepted; a rejected one is not listed. So a later status is the lost transaction's Success, "Created"
  // is Processing (the 15- and 30-minute rules run from when it was sent, as on the normal path), and a
  // shipment no longer listed is "Missing": a human must look, since Amazon's errors are out of reach.
  auto details = amazon.get_shipment_details(s.vendor_shipment_identifier);
  if (!details) return {"Missing", "not listed", nlohmann::json::array()};
  auto shipment_status = details->value("currentShipmentStatus", std::string());
  if (shipment_status.empty() || shipment_status == "Created")
    return {"Processing", "shipment " + (shipment_status.empty() ? std::string("without a status") : shipment_status),
            nlohmann::json::array()};
  return {"Success", "shipment " + shipment_status + " (the lost transaction succeeded)", nlohmann::json::array()};
}

CloseoutJob Chain::closeout_job(Store& store, std::int64_t request_id, bool resumed) {
  CloseoutJob job;
  job.request_id = request_id;
  job.resumed = resumed;
  std::set<std::int64_t> cancelling;  // shipments cancelled, or with a Cancel on its way: not closed out
  for (const auto& c : store.cancellations(request_id))
    if (c.state != "REFUSED") cancelling.insert(c.shipment_id);
  for (const auto& s : store.shipments(request_id)) {
    if (s.state == shipment_state::cancelled || cancelling.count(s.id)) continue;
    job.vendor_code = s.planned.vendor_code;
    job.ship_from = s.planned.ship_from;
    CloseoutShipment c;
    c.vendor_shipment_identifier = s.vendor_shipment_identifier;
    c.destination_fc = s.planned.destination_fc;
    c.pos = s.planned.pos;
    c.cartons = s.planned.cartons;
    c.pallets = s.planned.pallets;
    c.weight_lb = s.planned.weight_lb;
    c.details = s.details;
    if (s.details.is_object()) {
      auto transport = s.details.value("transportationDetails", nlohmann::json::object());
      auto carrier = transport.value("carrierDetails", nlohmann::json::object());
      c.carrier = carrier.value("name", carrier.value("code", std::string()));
      auto pickup = s.details.value("collectFreightPickupDetails", nlohmann::json::object());
      c.pickup_date = date_part(pickup.value("scheduledPickUp", pickup.value("requestedPickUp", nlohmann::json())));
      c.amazon_reference =
          s.details.value("buyerReferenceNumber", carrier.value("shipmentReferenceNumber", std::string()));
    }
    job.shipments.push_back(std::move(c));
  }
  return job;
}

}  // namespace dockhand::chain
