// chain/: after confirmation, the shipment is followed until it leaves (issue 23). CONFIRMED: Amazon's
// details are looked at with backoff (Created, TransportationRequested, CarrierAssigned) until the carrier
// and the pickup are known; the labels Amazon offers are kept; then the close-out. DEPARTED (OpShip's
// close-out, or an operator): the ASN is sent once and followed like a submission, then DONE. The
// deadlines (a ship window about to open or closed) raise alerts, and a confirmed request that did not
// leave in its window goes to NEEDS_ATTENTION.
#include "chain.h"

#include "crash_point.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace dockhand::chain {

namespace {

// Amazon named the carrier and the pickup: what the close-out types into OpShip.
bool carrier_known(const nlohmann::json& details) {
  if (!details.is_object()) return false;
  const auto carrier =
      details.value("transportationDetails", nlohmann::json::object()).value("carrierDetails", nlohmann::json::object());
  const auto pickup = details.value("collectFreightPickupDetails", nlohmann::json::object());
  const bool named = !carrier.value("name", carrier.value("code", std::string())).empty();
  return named && pickup.contains("scheduledPickUp") && pickup["scheduledPickUp"].is_string();
}

constexpr std::int64_t kDayMs = 24LL * 3600 * 1000;

}  // namespace

void Chain::follow_failed(const RequestRecord& r, const std::string& asked, const std::exception& e) {
  if (stopped_for_authorization(r, e)) return;
  if (retryable(e)) return retry_later(r, asked, e);
  store_.needs_attention(r.id, asked + " failed: " + e.what(), nullptr, options_.actor);
}

bool Chain::confirm(const RequestRecord& r, AmazonShipments& amazon) {
  const auto now_ms = clock_.now_ms();
  bool missing = false, waiting = false;
  auto followups = store_.followups(r.id);
  for (const auto& s : store_.shipments(r.id)) {
    if (s.state == shipment_state::cancelled) continue;  // Amazon took a Cancel for it (chain_notices.cpp)
    const std::string asked = "getShipmentDetails " + s.vendor_shipment_identifier;
    nlohmann::json details = s.details;
    if (!carrier_known(details)) {
      try {
        auto fetched = amazon.get_shipment_details(s.vendor_shipment_identifier);
        if (fetched) {
          store_.record_followup_details(s.id, *fetched, options_.actor);
          details = *fetched;
        }
      } catch (const std::exception& e) {
        follow_failed(r, asked, e);
        return false;
      }
      if (details.is_null()) {
        auto elapsed = std::chrono::milliseconds(now_ms - s.submitted_ms.value_or(now_ms));
        if (elapsed >= options_.processing_escalates) {
          store_.needs_attention(
              r.id,
              "Amazon shows no shipment " + s.vendor_shipment_identifier + " " +
                  std::to_string(std::chrono::duration_cast<std::chrono::minutes>(elapsed).count()) +
                  " min after submission (transaction " + s.transaction_id.value_or("unknown") + ")",
              {{"vendor_shipment_identifier", s.vendor_shipment_identifier},
               {"transaction_id", s.transaction_id ? nlohmann::json(*s.transaction_id) : nullptr}},
              options_.actor);
          return false;
        }
        missing = true;
        continue;
      }
      // Amazon has not named the carrier and the pickup yet (Created, TransportationRequested): wait for it.
      // Only the deadlines (check_deadlines) make this late.
      if (!carrier_known(details)) {
        waiting = true;
        continue;
      }
    }
    if (followups[s.id].labels < 0 && !fetch_labels(r, s, amazon)) return false;
  }
  if (missing) {
    store_.schedule(r.id, now_ms + backoff(options_.poll_initial, options_.poll_max, r.attempts).count(), true);
    return false;
  }
  if (waiting) {
    const auto delay = backoff(options_.follow_poll_initial, options_.follow_poll_max, r.attempts);
    spdlog::info("chain: routing request #{}: Amazon has not named the carrier and pickup yet; looking again in {} ms",
                 r.id, delay.count());
    store_.schedule(r.id, now_ms + delay.count(), true);
    return false;
  }
  if (!closeout_) {
    store_.schedule(r.id, std::nullopt);  // stays CONFIRMED until an operator marks it departed
    return false;
  }
  store_.begin_closeout(r.id, options_.actor, "dispatching the close-out with Amazon's carrier and pickup");
  closeout_->dispatch(closeout_job(store_, r.id, false));
  return false;
}

bool Chain::fetch_labels(const RequestRecord& r, const ShipmentRecord& s, AmazonShipments& amazon) {
  const std::string asked = "getShipmentLabels " + s.vendor_shipment_identifier;
  std::vector<spapi::ShipmentLabel> labels;
  try {
    labels = amazon.get_shipment_labels(s.vendor_shipment_identifier);
  } catch (const std::exception& e) {
    auto* error = dynamic_cast<const spapi::SpapiError*>(&e);
    if (stopped_for_authorization(r, e)) return false;
    if (retryable(e)) {
      retry_later(r, asked, e);
      return false;
    }
    // Amazon offers no labels for this shipment (a 4xx): the close-out does not need them.
    store_.record_labels(s.id, {}, "application/pdf", options_.actor,
                         "no labels from Amazon (" + std::string(e.what()) + ")" +
                             (error && !error->errors.empty() ? ": " + spapi::errors_text(error->errors) : ""));
    return true;
  }
  std::vector<std::pair<std::string, std::string>> files;
  std::string tracking;
  for (const auto& l : labels) {
    const std::string extension = l.format == "PDF" || l.format.empty() ? "pdf" : l.format;
    files.emplace_back("label-" + s.vendor_shipment_identifier + "-" + std::to_string(l.sequence) + "." + extension,
                       l.bytes);
    if (!l.tracking_id.empty()) tracking += (tracking.empty() ? "" : ", ") + l.tracking_id;
  }
  store_.record_labels(s.id, files, "application/pdf", options_.actor,
                       files.empty() ? std::string()
                                     : std::to_string(files.size()) + " label(s) kept" +
                                           (tracking.empty() ? "" : " (tracking " + tracking + ")"));
  return true;
}

nlohmann::json Chain::asn_body(const ShipmentRecord& s, const Followup& f) {
  pretender::Departure departure;
  departure.bol = f.bol;
  departure.shipped_at = std::chrono::system_clock::time_point(
      std::chrono::milliseconds(iso_to_ms_utc(f.departed_at).value_or(clock_.now_ms())));
  departure.amazon_details = s.details;
  return {{"shipmentConfirmations",
           nlohmann::json::array({pretender::shipment_confirmation(s.planned, orders_, departure, clock_.now())})}};
}

bool Chain::send_asn(const RequestRecord& r, AmazonShipments& amazon) {
  const auto now_ms = clock_.now_ms();
  std::optional<std::int64_t> next_ms;
  auto wait_until = [&](std::int64_t at) { next_ms = std::min(next_ms.value_or(at), at); };
  auto followups = store_.followups(r.id);
  for (const auto& s : store_.shipments(r.id)) {
    if (s.state != shipment_state::confirmed) continue;
    const auto f = followups.count(s.id) ? followups[s.id] : Followup{};
    const std::string& id = s.vendor_shipment_identifier;
    try {
      if (f.asn_state == asn_state::accepted) continue;
      if (f.asn_state == asn_state::rejected) {
        store_.needs_attention(r.id, "the ASN of shipment " + id + " was refused by Amazon: " + spapi::errors_text(f.asn_errors),
                               {{"stage", "asn"}, {"errors", f.asn_errors}}, options_.actor);
        return false;
      }
      if (f.asn_state.empty() || f.asn_state == asn_state::sending) {
        nlohmann::json body;
        try {
          body = asn_body(s, f);
        } catch (const pretender::PretenderError& e) {
          store_.needs_attention(r.id, std::string("the ASN cannot be built: ") + e.what(), {{"stage", "asn"}},
                                 options_.actor);
          return false;
        }
        if (f.asn_state == asn_state::sending) {
          // Sent before a crash or a timeout, maybe: Amazon lists a shipment whose ASN it has as Shipped.
          auto details = amazon.get_shipment_details(id);
          if (details && details->value("currentShipmentStatus", std::string()) == "Shipped") {
            store_.record_asn_sent(s.id, std::nullopt, options_.actor,
                                   "already at Amazon (getShipmentDetails says Shipped after an uncertain ASN)");
            store_.record_asn_result(s.id, true, nullptr, options_.actor, "Amazon lists the shipment as Shipped");
            continue;
          }
          const auto resend_at = f.asn_sent_ms.value_or(0) + options_.uncertain_grace.count();
          if (!asn_refused_.count(s.id) && now_ms < resend_at) {
            wait_until(resend_at);
            continue;
          }
          store_.mark_asn_sending(s.id, options_.actor, "not at Amazon after an uncertain ASN: sending it again");
        } else {
          store_.mark_asn_sending(s.id, options_.actor,
                                  "sending submitShipmentConfirmations (BOL " + (f.bol.empty() ? "none" : f.bol) + ")");
        }
        asn_refused_.erase(s.id);
        std::string transaction_id;
        try {
          transaction_id = amazon.submit_shipment_confirmations(body);
        } catch (const spapi::SpapiError& e) {
          if (e.http_status == 429) asn_refused_.insert(s.id);  // throttled: not taken
          if (e.uncertain) {  // taken, maybe: asked about (getShipmentDetails) before anything is sent again
            retry_later(r, "submitShipmentConfirmations " + id, e);
            return false;
          }
          if (!e.retryable() && !e.uncertain && !e.authorization_refused()) {
            store_.record_asn_result(s.id, false, e.errors, options_.actor,
                                     std::string("submitShipmentConfirmations refused: ") + e.what());
            return false;
          }
          throw;
        }
        detail::crash_point("ASN_SENT");
        store_.record_asn_sent(s.id, transaction_id, options_.actor, "");
        wait_until(now_ms + options_.poll_initial.count());
        continue;
      }
      // SENT: followed like a submission's transaction.
      if (!f.asn_transaction_id) {
        store_.record_asn_result(s.id, true, nullptr, options_.actor, "Amazon lists the shipment as Shipped");
        continue;
      }
      const auto status = amazon.get_transaction(*f.asn_transaction_id);
      const auto elapsed = std::chrono::milliseconds(now_ms - f.asn_sent_ms.value_or(now_ms));
      if (status.status == "Success") {
        store_.record_asn_result(s.id, true, nullptr, options_.actor, "transaction " + *f.asn_transaction_id + " Success");
      } else if (status.status == "Failure") {
        store_.record_asn_result(s.id, false, status.errors, options_.actor,
                                 "transaction " + *f.asn_transaction_id + " Failure - " + spapi::errors_text(status.errors));
        return false;
      } else if (elapsed >= options_.processing_counts_as_success) {
        store_.record_asn_result(s.id, true, nullptr, options_.actor,
                                 "transaction " + *f.asn_transaction_id + " " + status.status + " for " +
                                     std::to_string(std::chrono::duration_cast<std::chrono::minutes>(elapsed).count()) +
                                     " min without Failure, counted as success (Amazon's guidance)");
      } else {
        wait_until(now_ms + backoff(options_.poll_initial, options_.poll_max, r.attempts).count());
      }
    } catch (const TransitionError&) {
      throw;
    } catch (const std::exception& e) {
      follow_failed(r, "the ASN of " + id, e);
      return false;
    }
  }
  auto now = store_.request(r.id);
  if (!now || now->state != State::DEPARTED) return false;
  store_.schedule(r.id, next_ms.value_or(now_ms + options_.poll_initial.count()), true);
  return false;
}

std::size_t Chain::check_deadlines() {
  const auto now_ms = clock_.now_ms();
  std::size_t raised = 0;
  auto raise = [&](const RequestRecord& r, const std::string& kind, const std::string& detail, bool attention) {
    if (!store_.raise_deadline(r.id, kind, detail, attention, options_.actor)) return;
    ++raised;
    spdlog::warn("chain: routing request #{} is late ({}): {}{}", r.id, kind, detail,
                 attention ? "; it needs attention" : "");
    if (options_.on_late) options_.on_late(r.id, detail);
  };
  for (auto state : {State::PLANNED, State::SUBMITTED, State::CONFIRMED, State::CLOSING_OUT}) {
    for (auto id : store_.in_state(state)) {
      auto r = store_.request(id);
      if (!r) continue;
      std::string start, end;
      for (const auto& s : store_.shipments(id)) {
        if (s.state == shipment_state::rejected || s.state == shipment_state::cancelled) continue;
        if (start.empty() || s.planned.ship_window_start < start) start = s.planned.ship_window_start;
        if (end.empty() || s.planned.ship_window_end < end) end = s.planned.ship_window_end;
      }
      const auto opens = iso_to_ms_utc(start), closes = iso_to_ms_utc(end);
      if (closes && now_ms >= *closes + kDayMs) {
        const bool confirmed = state == State::CONFIRMED || state == State::CLOSING_OUT;
        raise(*r, "not departed",
              "its ship window closed at the end of " + end + " and the freight has not left (" +
                  std::string(to_string(state)) + ")",
              confirmed);
        continue;
      }
      if (opens && (state == State::PLANNED || state == State::SUBMITTED)) {
        const auto due = *opens - std::chrono::duration_cast<std::chrono::milliseconds>(options_.confirm_before_window).count();
        const auto received = iso_to_ms_utc(r->created_at).value_or(0);
        const auto allowance = std::chrono::duration_cast<std::chrono::milliseconds>(options_.processing_escalates).count();
        if (now_ms >= due && now_ms >= received + allowance)
          raise(*r, "not confirmed",
                "its ship window opens on " + start + " and Amazon has not confirmed it (" +
                    std::string(to_string(state)) + ")",
                false);
      }
    }
  }
  return raised;
}

}  // namespace dockhand::chain
