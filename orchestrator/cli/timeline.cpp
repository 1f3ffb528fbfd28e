#include "timeline.h"

#include "args.h"

#include <algorithm>
#include <set>

namespace dockhand::cli {

namespace {

using nlohmann::json;

std::string join(const std::vector<std::string>& items, const std::string& sep = ", ") {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : sep) + i;
  return out;
}

// Close-out job ids are "<request>-<shipment>-erp-<PO>" and "<request>-<shipment>-opship" (fleet/).
std::string job_subject(const std::string& job_id) {
  auto erp = job_id.find("-erp-");
  if (erp != std::string::npos) return "ERP close-out of PO " + job_id.substr(erp + 5);
  const std::string opship = "-opship";
  auto dash = job_id.find('-');
  if (job_id.size() > opship.size() && job_id.compare(job_id.size() - opship.size(), opship.size(), opship) == 0 &&
      dash != std::string::npos && dash + 1 < job_id.size() - opship.size())
    return "OpShip close-out of shipment " + job_id.substr(dash + 1, job_id.size() - opship.size() - dash - 1);
  return "close-out job " + job_id;
}

std::string job_done_line(const json& done) {
  std::string line = job_subject(done.value("job_id", std::string("?"))) + " done";
  const json outputs = done.value("outputs", json::object());
  if (outputs.contains("reference") && outputs["reference"].is_string())
    line += ": PT reference " + outputs["reference"].get<std::string>();
  if (outputs.contains("bol") && outputs["bol"].is_string()) line += ": BOL " + outputs["bol"].get<std::string>();
  if (outputs.value("already_done", false)) line += " (it was already done in the program)";
  if (done.contains("agent") && done["agent"].is_string()) line += "  [" + done["agent"].get<std::string>() + "]";
  return line;
}

std::string short_date(const std::string& iso) { return iso.size() == 10 ? iso.substr(5) : iso; }

}  // namespace

ExtractedSummary summarize_extracted(const json& extracted) {
  ExtractedSummary s;
  if (!extracted.is_object()) return s;
  if (extracted.contains("vendor_code") && extracted["vendor_code"].is_string())
    s.vendor = extracted["vendor_code"].get<std::string>();
  std::set<std::string> fcs;
  for (const auto& po : extracted.value("purchase_orders", json::array())) {
    if (!po.is_object()) continue;
    if (po.contains("po") && po["po"].is_string()) s.pos.push_back(po["po"].get<std::string>());
    if (po.contains("destination_fc") && po["destination_fc"].is_string() &&
        fcs.insert(po["destination_fc"].get<std::string>()).second)
      s.fcs.push_back(po["destination_fc"].get<std::string>());
    auto start = po.contains("ship_window_start") && po["ship_window_start"].is_string()
                     ? po["ship_window_start"].get<std::string>() : std::string();
    auto end = po.contains("ship_window_end") && po["ship_window_end"].is_string()
                   ? po["ship_window_end"].get<std::string>() : std::string();
    if (!start.empty() && (s.window_start.empty() || start < s.window_start)) s.window_start = start;
    if (!end.empty() && end > s.window_end) s.window_end = end;
  }
  return s;
}

json typed_detail(const chain::Event& event) {
  if (event.step != "JOB_DONE") return event.detail;
  auto done = json::parse(event.detail, nullptr, false);
  if (!done.is_object()) return event.detail;
  if (done.contains("outputs") && done["outputs"].is_object())
    for (auto& [key, value] : done["outputs"].items())
      if (value == "true" || value == "false") value = value == "true";
  return done;
}

std::optional<std::string> narrate(const chain::Event& e, chain::Store& store, bool verbose) {
  const std::string& s = e.step;
  // "what: detail" after a label ending in ':', else two spaces apart.
  auto with_detail = [&](const std::string& what) {
    if (e.detail.empty()) return what.back() == ':' ? what.substr(0, what.size() - 1) : what;
    return what + (what.back() == ':' ? " " : "  ") + e.detail;
  };
  if (s == "RECEIVED") return with_detail("received");
  if (s == "DUPLICATE") return with_detail("DUPLICATE, not submitted again:");
  if (s == "EXTRACTED") {
    auto r = store.request(e.request_id);
    auto x = summarize_extracted(r ? r->extracted : json());
    std::string line = "extracted  " + (x.vendor.empty() ? std::string("vendor ?") : x.vendor) + ": " +
                       count(static_cast<long long>(x.pos.size()), "PO") + (x.pos.empty() ? "" : " " + join(x.pos)) +
                       " to " + (x.fcs.empty() ? std::string("?") : join(x.fcs));
    if (!x.window_start.empty() || !x.window_end.empty())
      line += ", window " + short_date(x.window_start) + " to " + short_date(x.window_end);
    return line;
  }
  if (s == "OTHER") return with_detail("not a routing request, kept as OTHER:");
  if (s == "QUARANTINED") return with_detail("QUARANTINED (cannot be read):");
  if (s == "SUBMITTED") return with_detail("submitted to Amazon:");
  if (s == "DETAILS") return with_detail("confirmed by Amazon:");
  if (s == "JOB_DONE") {
    auto done = typed_detail(e);
    return done.is_object() ? job_done_line(done) : with_detail("close-out job done:");
  }
  if (s == "JOB_RETRY" || s == "JOB_REQUEUED" || s == "AGENT_LOST" || s == "RETRY")
    return with_detail(s == "RETRY" ? "retrying:" : s == "AGENT_LOST" ? "agent lost:" : "close-out job retried:");
  if (s == "DONE") return with_detail("DONE");
  if (s == "AMAZON_STATUS") return with_detail("Amazon:");
  if (s == "LABELS") return with_detail("labels:");
  if (s == "DEPARTED") return with_detail("DEPARTED:");
  if (s == "ASN_SENT") return with_detail("ASN sent:");
  if (s == "DEADLINE") return with_detail("LATE:");
  if (s == "NEEDS_ATTENTION") return with_detail("NEEDS_ATTENTION:");
  if (s == "REJECTED") return with_detail("REJECTED:");
  if (s == "CANCELLED") return with_detail("CANCELLED by " + e.actor + ":");
  if (s == "RESOLVED") return with_detail("RESOLVED by " + e.actor + ":");
  // notices (issue 23): what cancellation, change and chargeback emails did, each naming its email
  if (s == "NOTICE") return with_detail("notice:");
  if (s == "NOTICE_APPLIED") return with_detail("notice applied:");
  if (s == "PO_REMOVED") return with_detail("PO taken out:");
  if (s == "CANCEL_PENDING") return with_detail("Cancel due:");
  if (s == "CANCEL_SENT") return with_detail("Cancel sent to Amazon:");
  if (s == "SHIPMENT_CANCELLED") return with_detail("shipment cancelled:");
  if (s == "CANCEL_REFUSED") return with_detail("Cancel refused:");
  if (s == "CLOSEOUT_WITHDRAWN") return with_detail("close-out withdrawn:");
  if (s == "CHARGEBACK") return with_detail("chargeback:");
  // Bookkeeping a person does not need to follow the request: shown with --verbose only.
  static const std::set<std::string> detail_only = {"PLANNED",  "SUBMITTING",  "SHIPMENT_SUBMITTED", "SHIPMENT_CONFIRMED",
                                                    "CONFIRMED", "CLOSING_OUT", "CLOSEOUT_PLAN", "JOB_DISPATCHED",
                                                    "JOB_PROGRESS", "EVIDENCE", "RESUBMIT", "ASN_SENDING",
                                                    "ASN_RESEND", "ASN_ACCEPTED", "CANCEL_SENDING"};
  if (detail_only.count(s) && !verbose) return std::nullopt;
  return with_detail(s);
}

std::optional<std::string> timeline_line(const chain::Event& e, chain::Store& store, bool verbose) {
  auto what = narrate(e, store, verbose);
  if (!what) return std::nullopt;
  const std::string hms = e.time.size() >= 19 ? e.time.substr(11, 8) : e.time;
  return hms + "  #" + std::to_string(e.request_id) + "  " + *what;
}

std::string next_step(const chain::RequestRecord& r, std::int64_t now_ms) {
  using chain::State;
  std::string retry;
  if (!r.last_error.empty() && r.next_attempt_ms) {
    auto in_s = std::max<std::int64_t>(0, (*r.next_attempt_ms - now_ms + 999) / 1000);
    retry = ", retry in " + std::to_string(in_s) + " s (" + count(r.attempts, "attempt") + " failed: " + r.last_error + ")";
  }
  switch (r.state) {
    case State::RECEIVED: return "extract the email" + retry;
    case State::EXTRACTED: return "plan the shipments" + retry;
    case State::PLANNED: return "submit to Amazon" + retry;
    case State::SUBMITTED: return "wait for Amazon to confirm" + retry;
    case State::CONFIRMED:
      return (r.next_attempt_ms ? "wait for Amazon's carrier and pickup, then the close-out by the agents"
                                : "the close-out by the agents (when serve has a fleet), or mark it departed") + retry;
    case State::CLOSING_OUT: return "agents close it out in the ERP and OpShip";
    case State::DEPARTED: return "send the ASN to Amazon and wait for it to be accepted" + retry;
    case State::DONE: return "-";
    case State::NEEDS_ATTENTION: return "a person: " + r.reason;
    case State::REJECTED: return "a person: " + r.reason;
    case State::QUARANTINED: return "a person: " + r.reason;
    case State::DUPLICATE: return "- (" + r.reason + ")";
    case State::OTHER: return "- (not a routing request: " + r.reason + ")";
    case State::CANCELLED: return "- (cancelled: " + r.reason + ")";
    case State::RESOLVED: return "- (resolved by a person: " + r.reason + ")";
    case State::NOTICE:
      return r.next_attempt_ms ? "apply it to the requests it names" : "- (notice: " + r.reason + ")";
  }
  return "?";
}

}  // namespace dockhand::cli
