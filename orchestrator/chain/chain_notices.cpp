// Notices (issue 23): what a cancellation, change or chargeback email does to the requests holding the POs and
// shipments it names, and the Cancel transactions it asks of Amazon. Anything the chain cannot settle with
// certainty (a PO sharing a submitted shipment with others, a change, a Cancel Amazon refuses, close-out work
// already done in the programs) goes to NEEDS_ATTENTION with the email that caused it.
#include "chain.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>

namespace dockhand::chain {

namespace {

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
  return out;
}

bool contains(const std::vector<std::string>& items, const std::string& item) {
  return std::find(items.begin(), items.end(), item) != items.end();
}

}  // namespace

nlohmann::json cancel_shipment_body(const nlohmann::json& original, std::chrono::system_clock::time_point now) {
  nlohmann::json shipment{{"vendorShipmentIdentifier", original.at("vendorShipmentIdentifier")},
                          {"transactionType", "Cancel"},
                          {"transactionDate", spapi::iso8601_utc(now)}};
  for (const char* party : {"sellingParty", "shipFromParty", "shipToParty"})
    if (original.contains(party)) shipment[party] = original[party];
  return {{"shipments", nlohmann::json::array({shipment})}};
}

bool Chain::apply_notice(const RequestRecord& r) {
  if (r.outputs.is_object() && r.outputs.value("applied", false)) {
    store_.schedule(r.id, std::nullopt);
    return false;
  }
  intake::RoutingRequest request;
  try {
    request = r.extracted.get<intake::RoutingRequest>();
  } catch (const std::exception& e) {
    store_.finish_notice(r.id, std::string("the stored notice cannot be read: ") + e.what(), options_.actor);
    return false;
  }
  if (!request.notice) {
    store_.finish_notice(r.id, "no notice in the stored extraction", options_.actor);
    return false;
  }
  const intake::Notice& n = *request.notice;

  // (PO, request) pairs: the requests holding each PO, and the POs of the shipments it names by identifier.
  std::vector<std::pair<std::string, std::optional<std::int64_t>>> pairs;
  auto add = [&](const std::string& po, std::optional<std::int64_t> target) {
    if (target && *target == r.id) return;
    for (const auto& p : pairs)
      if (p.first == po && p.second == target) return;
    pairs.emplace_back(po, target);
  };
  for (const auto& po : n.pos) {
    auto holders = store_.requests_holding("po", po);
    holders.erase(std::remove(holders.begin(), holders.end(), r.id), holders.end());
    if (holders.empty()) add(po, std::nullopt);
    for (auto id : holders) add(po, id);
  }
  for (const auto& ref : n.references)
    for (const char* kind : {"shipment", "reference", "transaction"})
      for (auto id : store_.requests_holding(kind, ref)) {
        if (id == r.id) continue;
        for (const auto& s : store_.shipments(id)) {
          bool named = std::string(kind) != "shipment" || s.vendor_shipment_identifier == ref;
          if (named && s.state != shipment_state::cancelled)
            for (const auto& po : s.planned.pos) add(po, id);
        }
      }
  if (pairs.empty() && n.kind == "chargeback") pairs.emplace_back("", std::nullopt);

  std::map<std::string, int> actions;
  for (const auto& [po, target] : pairs) {
    if (store_.has_effect(r.id, po, target)) continue;  // applied before a crash
    NoticeEffect e;
    e.notice = r.id;
    e.kind = n.kind;
    e.po = po;
    e.request = target;
    std::optional<RequestRecord> t;
    if (target) t = store_.request(*target);
    if (t) e.brand = t->account;
    if (n.kind == "chargeback") {
      auto own = n.po_reasons.find(po);
      e.reason = own != n.po_reasons.end() ? own->second : n.reason.empty() ? "other" : n.reason;
      e.action = "chargeback";
      e.detail = "chargeback (" + e.reason + ")" + (n.amount ? " " + *n.amount : "") +
                 (po.empty() ? "" : " for PO " + po) + (t ? "" : ", no request holds it") + ": " + n.statement;
      store_.add_effect(e, options_.actor);
    } else if (!t) {
      e.action = "unknown_po";
      e.detail = "no request holds PO " + po + ": recorded";
      store_.add_effect(e, options_.actor);
    } else if (n.kind == "change") {
      e.action = "held";
      if (t->state == State::CLOSING_OUT && closeout_) {
        std::vector<std::string> ids;
        for (const auto& s : store_.shipments(t->id)) ids.push_back(s.vendor_shipment_identifier);
        auto w = closeout_->withdraw(t->id, ids);
        if (!w.withdrawn.empty() || !w.ran.empty())
          store_.add_event(t->id, options_.actor, "CLOSEOUT_WITHDRAWN",
                           "withdrawn: " + (w.withdrawn.empty() ? "none" : join(w.withdrawn)) +
                               "; already run: " + (w.ran.empty() ? "none" : join(w.ran)));
      }
      store_.hold_for_notice(e, "PO " + po + " changed: " + n.statement + ": check the request against the change",
                             options_.actor);
    } else {
      cancel_po(r, n, e);
      continue;
    }
    ++actions[e.action];
  }
  for (const auto& e : store_.notice_effects(r.id))
    if (e.notice == r.id && e.action != "chargeback" && e.action != "unknown_po" && e.action != "held") ++actions[e.action];
  std::string summary = n.kind + ": " + std::to_string(pairs.size()) + " PO/request pair(s)";
  for (const auto& [action, count] : actions) summary += ", " + std::to_string(count) + " " + action;
  store_.finish_notice(r.id, summary, options_.actor);
  spdlog::info("chain: notice #{} applied: {}", r.id, summary);
  return false;
}

void Chain::cancel_po(const RequestRecord& notice, const intake::Notice& n, NoticeEffect e) {
  auto t = store_.request(*e.request);
  if (!t) return;
  if (t->state == State::CANCELLED || t->state == State::RESOLVED) {
    e.action = "unknown_po";
    e.detail = "routing request #" + std::to_string(t->id) + " is " + std::string(to_string(t->state)) + " already";
    store_.add_effect(e, options_.actor);
    return;
  }
  if (t->state == State::DEPARTED) {  // the freight left (chain/follow.cpp): a Cancel cannot stop it
    e.action = "held";
    store_.hold_for_notice(e, "PO " + e.po + " cancelled after its freight departed (the ASN is being sent): a human "
                              "decides", options_.actor);
    return;
  }
  auto shipments = store_.shipments(t->id);
  auto sent = [](const ShipmentRecord& s) {
    return s.state == shipment_state::submitting || s.state == shipment_state::submitted ||
           s.state == shipment_state::confirmed;
  };
  const bool any_sent = std::any_of(shipments.begin(), shipments.end(), sent);
  if (!any_sent) {  // before submission: the PO comes out of the request
    e.action = "removed";
    e.detail = n.statement;
    auto state = store_.remove_po(e, options_.actor);
    spdlog::info("chain: PO {} taken out of routing request #{} (notice #{}): {}", e.po, t->id, notice.id,
                 to_string(state));
    return;
  }
  const ShipmentRecord* holder = nullptr;
  for (const auto& s : shipments)
    if (sent(s) && contains(s.planned.pos, e.po)) holder = &s;
  if (!holder) {
    e.action = "held";
    store_.hold_for_notice(e, "PO " + e.po + " cancelled, but no shipment sent to Amazon holds it and the request "
                                              "has shipments there: a human decides", options_.actor);
    return;
  }
  e.shipment = holder->vendor_shipment_identifier;
  // The other POs of the shipment: cancelled too (by this email or an earlier one), or still wanted?
  std::vector<std::string> others;
  std::vector<std::string> cancelled_before;
  for (const auto& x : store_.notice_effects(t->id))
    if (x.request == t->id && x.shipment == holder->vendor_shipment_identifier && x.kind == "cancellation")
      cancelled_before.push_back(x.po);
  for (const auto& po : holder->planned.pos)
    if (po != e.po && !contains(n.pos, po) && !contains(cancelled_before, po)) others.push_back(po);
  if (!others.empty()) {
    e.action = "held";
    store_.hold_for_notice(e,
                           "PO " + e.po + " of shipment " + holder->vendor_shipment_identifier +
                               " cancelled, but the shipment also holds PO " + join(others) +
                               ": Amazon cancels a whole shipment only; cancel it and send the rest again, or keep it",
                           options_.actor);
    return;
  }
  e.action = "cancel_pending";
  e.detail = n.statement;
  store_.request_cancel(holder->id, e, options_.actor);
}

std::optional<bool> Chain::settle_cancellations(const RequestRecord& r) {
  std::vector<CancellationRecord> open;
  for (auto& c : store_.cancellations(r.id))
    if (c.state == "PENDING" || c.state == "SENDING" || c.state == "SENT") open.push_back(c);
  if (open.empty()) return std::nullopt;
  auto record = r;
  const auto* account = account_of(record);
  if (!account) return false;
  AmazonShipments& amazon = *account->amazon;
  auto shipments = store_.shipments(r.id);
  auto shipment = [&](std::int64_t id) -> const ShipmentRecord* {
    for (const auto& s : shipments)
      if (s.id == id) return &s;
    return nullptr;
  };
  const auto now_ms = clock_.now_ms();
  bool waiting = false;
  for (const auto& c : open) {
    const ShipmentRecord* s = shipment(c.shipment_id);
    if (!s) continue;
    // A submission still uncertain is resolved first (the normal step asks Amazon), then cancelled.
    if (s->state == shipment_state::submitting) return std::nullopt;
    const std::string asked = c.state == "SENT" ? "getTransaction " + c.transaction_id.value_or("?")
                                                : "submitShipments (Cancel) " + c.vendor_shipment_identifier;
    try {
      if (c.state == "PENDING" || c.state == "SENDING") {
        if (c.state == "SENDING" && !amazon.get_shipment_details(c.vendor_shipment_identifier)) {
          // sent before a crash and gone from Amazon's list: the Cancel was taken
          store_.record_cancelled(s->id, "not listed by getShipmentDetails after the Cancel was sent",
                                  closeout_hold(r, *s), options_.actor);
          continue;
        }
        if (c.state == "PENDING") {
          withdraw_closeout(r, *s);  // no close-out job starts for a shipment being cancelled
          store_.mark_cancel_sending(s->id, options_.actor);
        }
        auto transaction_id = amazon.submit_shipments(cancel_shipment_body(s->planned.payload, clock_.now()));
        store_.record_cancel_sent(s->id, transaction_id, options_.actor);
        waiting = true;
        continue;
      }
      auto status = amazon.get_transaction(*c.transaction_id);
      if (status.status == "Success") {
        store_.record_cancelled(s->id, "getTransaction " + *c.transaction_id + ": Success", closeout_hold(r, *s),
                                options_.actor);
      } else if (status.status == "Failure") {
        store_.record_cancel_refused(s->id, status.errors,
                                     "getTransaction " + *c.transaction_id + ": Failure - " + spapi::errors_text(status.errors),
                                     options_.actor);
        return false;
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
      auto* spapi_error = dynamic_cast<const spapi::SpapiError*>(&e);
      store_.record_cancel_refused(s->id, spapi_error ? spapi_error->errors : nlohmann::json::array(),
                                   asked + " refused: " + e.what(), options_.actor);
      return false;
    }
  }
  if (waiting) {
    store_.schedule(r.id, now_ms + backoff(options_.poll_initial, options_.poll_max, r.attempts).count(), true);
    return false;
  }
  return true;  // settled: the request goes on (or stops) by its state
}

void Chain::withdraw_closeout(const RequestRecord& r, const ShipmentRecord& s) {
  if (!closeout_ || r.state != State::CLOSING_OUT) return;
  auto w = closeout_->withdraw(r.id, {s.vendor_shipment_identifier});
  store_.add_event(r.id, options_.actor, "CLOSEOUT_WITHDRAWN",
                   s.vendor_shipment_identifier + ": withdrawn " + (w.withdrawn.empty() ? "none" : join(w.withdrawn)) +
                       "; already run or running: " + (w.ran.empty() ? "none" : join(w.ran)));
}

std::string Chain::closeout_hold(const RequestRecord& r, const ShipmentRecord& s) {
  // Close-out work done for the shipment (JOB_DONE events), or flagged when the close-out was withdrawn.
  std::vector<std::string> done;
  for (const auto& e : store_.events(r.id)) {
    if (e.step == "JOB_DONE" && e.detail.find("-" + s.vendor_shipment_identifier + "-") != std::string::npos) {
      auto j = nlohmann::json::parse(e.detail, nullptr, false);
      done.push_back(j.is_object() ? j.value("job_id", e.detail) : e.detail);
    }
    if (e.step == "CLOSEOUT_WITHDRAWN" && e.detail.rfind(s.vendor_shipment_identifier + ":", 0) == 0 &&
        e.detail.find("already run or running: none") == std::string::npos)
      done.push_back(e.detail.substr(e.detail.find("already run or running: ") + 24));
  }
  if ((r.state == State::DONE || r.state == State::DEPARTED) && done.empty())
    done.push_back("the request's close-out (" + std::string(to_string(r.state)) + ")");
  if (done.empty()) return "";
  std::sort(done.begin(), done.end());
  done.erase(std::unique(done.begin(), done.end()), done.end());
  return "close-out work already done for " + s.vendor_shipment_identifier + " (" + join(done) +
         "): undo it in the ERP and OpShip by hand";
}

}  // namespace dockhand::chain
