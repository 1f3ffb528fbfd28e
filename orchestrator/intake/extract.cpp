// Classifier: decides what a mail is from its evidence. A routing request read in full is
// "amazon_routing_request"; a mail with routing-request signals (wording, POs, FC codes, ship-window or
// ready-date language) that cannot be read in full gets `attention` (what was found, what is missing and
// why) and goes to a human; "other" is kept for mail without any such signal, or with the marks of what
// it is instead (an automatic reply, bulk mail, an invoice). Notices about POs asked for before (a
// cancellation, a change, a chargeback) are classified as such (notices.h), with what they name.
#include "labels.h"
#include "mime_reader.h"
#include "notices.h"
#include "reader.h"
#include "routing_request.h"
#include "text_scan.h"

#include <algorithm>

namespace dockhand::intake {
namespace {

// Wording that asks for routing (subject or body). Lower case.
const char* const kRoutingPhrases[] = {
    "routing request", "route request", "request routing", "routing requested", "request for routing",
    "please route", "route the following", "route these", "route this", "routing for", "routing instructions",
    "needs routing", "need routing", "pickup request", "ready for pickup", "ready for pick-up", "ready for pick up",
    "freight ready", "cargo ready", "ready date", "ship window", "delivery window", "please book",
    "schedule a pickup", "schedule pickup", "book the freight", "book freight", "routing req"};
// Marks of mail that is something else. Subject words, then body phrases.
const char* const kOtherSubject[] = {"invoice", "newsletter", "remittance", "payment", "statement", "undeliverable",
                                     "webinar", "delivery status notification"};
const char* const kOtherBody[] = {"invoice number", "amount due", "remittance"};
// Answers about a routing request rather than the request itself: they win over routing wording.
const char* const kAnswerSubject[] = {"request received", "request has been received", "routing confirmation",
                                      "routing confirmed", "has been routed", "delivery status notification",
                                      "undeliverable", "read receipt", "not delivered"};
const char* const kAutoReplySubject[] = {"out of office", "automatic reply", "autoreply", "auto-reply", "auto reply"};

template <std::size_t N>
const char* find_any(const std::string& text, const char* const (&phrases)[N]) {
  for (const char* p : phrases)
    if (text.find(p) != std::string::npos) return p;
  return nullptr;
}

std::string join(const std::vector<std::string>& items, const char* sep, std::size_t max_items = 12) {
  std::string out;
  for (std::size_t i = 0; i < items.size() && i < max_items; ++i) out += (i ? sep : "") + items[i];
  if (items.size() > max_items) out += std::string(sep) + "... (" + std::to_string(items.size() - max_items) + " more)";
  return out;
}

// POs named in the subject: PO-shaped tokens, and tokens after a PO label.
std::vector<std::string> subject_pos(const std::string& subject) {
  std::vector<std::string> out;
  auto add = [&](const std::string& po) {
    if (std::find(out.begin(), out.end(), po) == out.end()) out.push_back(po);
  };
  for (const auto& hit : find_labels(subject))
    if (hit.field == Field::Po)
      for (const auto& t : scan::split_po_list(std::string_view(subject).substr(hit.end)))
        if (t.valid) add(t.po);
  for (const auto& w : scan::words(subject))
    if (scan::is_po_shaped(w.text)) add(scan::upper(w.text));
  return out;
}

void other(RoutingRequest& rr, std::string why) {
  rr.classification = "other";
  rr.classification_reason = std::move(why);
  rr.attention.reset();
}

}  // namespace

RoutingRequest extract(const std::string& raw_message) { return extract(raw_message, ExtractOptions{}); }

RoutingRequest extract(const std::string& raw_message, const ExtractOptions& options) {
  MailDocument doc = read_mail(raw_message, options);
  ReadResult read = read_request(doc);
  RoutingRequest rr = std::move(read.request);
  if (!doc.subject.empty()) rr.subject = doc.subject;
  if (!doc.message_id.empty()) rr.message_id = doc.message_id;

  std::string subject = scan::lower(doc.subject);
  for (const auto& s : doc.inner_subjects) subject += " | " + scan::lower(s);
  std::string body;
  for (const auto& l : doc.lines) {
    if (l.quoted && !read.read_history) continue;
    body += scan::lower(l.text);
    body += '\n';
  }

  // ---- the evidence ------------------------------------------------------------------------------------
  std::vector<std::string> found;
  const char* subject_phrase = find_any(subject, kRoutingPhrases);
  bool subject_routing = subject_phrase || scan::contains_word(subject, "routing") || scan::contains_word(subject, "route");
  const char* body_phrase = find_any(body, kRoutingPhrases);
  if (subject_routing) found.push_back(std::string("'") + (subject_phrase ? subject_phrase : "routing") + "' in the subject");
  if (body_phrase) found.push_back(std::string("'") + body_phrase + "' in the body");
  auto in_subject = subject_pos(doc.subject);
  for (const auto& inner : doc.inner_subjects)
    for (const auto& po : subject_pos(inner)) in_subject.push_back(po);
  std::vector<std::string> read_pos;
  for (const auto& po : rr.purchase_orders) read_pos.push_back(po.po + " (" + po.sources.at("po") + ")");
  if (!read_pos.empty()) found.push_back("purchase orders " + join(read_pos, ", "));
  std::size_t flagged = read.po_candidates > rr.purchase_orders.size() ? read.po_candidates - rr.purchase_orders.size() : 0;
  if (flagged) found.push_back(std::to_string(flagged) + " PO number(s) that are not valid Amazon POs");
  if (!in_subject.empty()) found.push_back("PO " + join(in_subject, ", ") + " in the subject");
  if (!read.loose_tokens.empty()) found.push_back("PO-shaped tokens " + join(read.loose_tokens, ", "));
  bool routing_fields = false;
  for (const auto& f : read.fields_seen) {
    bool routing = f.rfind("destination FC", 0) == 0 || f.rfind("ship window", 0) == 0 || f.rfind("freight ready", 0) == 0;
    routing_fields |= routing;
  }
  if (routing_fields) found.push_back("FC, ship-window or ready-date fields");
  bool signals = !found.empty();

  // ---- mail that is something else ---------------------------------------------------------------------
  auto finish_other = [&](std::string why) {
    other(rr, std::move(why));
    rr.vendor_code.reset();
    rr.ship_from.reset();
    rr.freight_ready_date.reset();
    rr.purchase_orders.clear();
    rr.sources.clear();
    rr.warnings = doc.warnings;  // field warnings of a mail we do not route would only be noise
    return rr;
  };
  if (!doc.auto_reply.empty()) return finish_other("automatic reply (" + doc.auto_reply + ")");
  if (const char* p = find_any(subject, kAutoReplySubject))
    return finish_other(std::string("automatic reply (subject says '") + p + "')");
  if (!doc.bulk.empty()) return finish_other("bulk mail or newsletter (" + doc.bulk + ")");
  if (const char* p = find_any(subject, kAnswerSubject))
    return finish_other(std::string("subject says '") + p + "': an answer about routing, not a request");
  // ---- a notice about POs asked for before: a cancellation, a change, a chargeback ----------------------
  if (auto notice = read_notice(doc, read, rr, subject_routing)) {
    rr.classification = notice->notice.kind;
    rr.classification_reason = notice->why;
    rr.vendor_code.reset();
    rr.ship_from.reset();
    rr.freight_ready_date.reset();
    rr.purchase_orders.clear();
    rr.sources.clear();
    rr.warnings = doc.warnings;
    const bool names = !notice->notice.pos.empty() || !notice->notice.references.empty();
    std::vector<std::string> missing;
    if (notice->mixed)
      missing.push_back("the mail also asks for routing: a " + notice->notice.kind +
                        " and a routing request in one mail are not read apart with certainty");
    if (!names && notice->notice.kind != "chargeback")
      missing.push_back("no purchase order or shipment it is about could be read");
    for (const auto& u : doc.unreadable) missing.push_back(u);
    if (!missing.empty()) {
      Attention a;
      a.found.push_back(notice->notice.kind + ": " + notice->why);
      a.missing = missing;
      a.reason = notice->notice.kind + " not read with certainty: " + join(missing, "; ", 4);
      rr.attention = std::move(a);
    }
    rr.notice = std::move(notice->notice);
    return rr;
  }

  bool strong_subject = subject_phrase && std::string_view(subject_phrase).find("rout") != std::string_view::npos;
  if (const char* p = find_any(subject, kOtherSubject))
    if (!strong_subject) return finish_other(std::string("subject says '") + p + "', not a routing request");
  if (body.find("unsubscribe") != std::string::npos || body.find("view this email in your browser") != std::string::npos ||
      body.find("view in browser") != std::string::npos)
    if (!strong_subject) return finish_other("newsletter (has an unsubscribe or view-in-browser link)");
  if (!subject_routing)
    if (const char* p = find_any(body, kOtherBody)) return finish_other(std::string("about a ") + p + ", not a routing request");

  if (!doc.has_text && !signals) {
    std::string why = "message has no readable text";
    for (const auto& w : doc.warnings) why += "; " + w;
    throw QuarantineError(why);
  }
  if (!signals) return finish_other("no routing-request wording, purchase order, FC code or ship-window language");

  // ---- a routing request, read in full or not ------------------------------------------------------------
  std::vector<std::string> missing;
  if (!doc.has_text) missing.push_back("the message has no readable text");
  if (doc.broken_mime)
    for (const auto& w : doc.warnings)
      if (w.rfind("broken MIME", 0) == 0) missing.push_back(w);
  for (const auto& u : doc.unreadable) missing.push_back(u);
  for (const auto& w : doc.warnings)
    if (w.rfind("broken MIME", 0) != 0 && std::find(doc.unreadable.begin(), doc.unreadable.end(), w) == doc.unreadable.end())
      missing.push_back(w);
  for (const auto& w : rr.warnings) missing.push_back(w);
  if (rr.purchase_orders.empty()) missing.push_back("no purchase order could be read");
  bool body_pos = !rr.purchase_orders.empty();  // a PO only in the subject does not make a request
  for (const auto& po : in_subject) {
    bool read_it = read.po_tokens.count(po) > 0;
    if (!read_it) {
      missing.push_back("PO " + po + " is in the subject but not in the body");
      PurchaseOrderRequest p;
      p.po = po;
      p.sources["po"] = "subject";
      rr.purchase_orders.push_back(p);
    }
  }
  if (!read.loose_tokens.empty())
    missing.push_back("PO-shaped tokens not read in any known layout: " + join(read.loose_tokens, ", "));

  bool asks = subject_routing || body_phrase;
  bool reads_as_request = body_pos && (asks || routing_fields);
  std::size_t n = rr.purchase_orders.size();
  if (reads_as_request) {
    rr.classification = "amazon_routing_request";
    const char* phrase = subject_phrase ? subject_phrase : body_phrase ? body_phrase : subject_routing ? "routing" : nullptr;
    rr.classification_reason =
        (phrase ? std::string("'") + phrase + "' in the " + (subject_routing ? "subject" : "body") : std::string("routing fields")) +
        " and " + std::to_string(n) + " purchase order" + (n == 1 ? "" : "s");
  } else {
    rr.classification = "possible_routing_request";
    if (!asks) {
      missing.insert(missing.begin(), "no wording asks for routing and no FC, ship-window or ready-date field was found");
      rr.classification_reason = "mentions purchase orders but does not ask for routing: a human should decide";
    } else {
      rr.classification_reason = std::string("says '") + (subject_phrase ? subject_phrase : body_phrase ? body_phrase : "routing") +
                                 "' but names no purchase order that could be read";
    }
  }
  // Doubt of any kind goes to a human with the evidence.
  std::sort(missing.begin(), missing.end());
  missing.erase(std::unique(missing.begin(), missing.end()), missing.end());
  if (!missing.empty() || rr.classification != "amazon_routing_request") {
    Attention a;
    a.found = found;
    a.missing = missing;
    a.reason = (rr.classification == "amazon_routing_request" ? "routing request not fully read: "
                                                               : "possible routing request: " + rr.classification_reason + "; ") +
               join(missing, "; ", 6);
    if (a.reason.size() > 600) a.reason = a.reason.substr(0, 597) + "...";
    rr.attention = std::move(a);
  }
  std::vector<std::string> all = doc.warnings;
  all.insert(all.end(), rr.warnings.begin(), rr.warnings.end());
  rr.warnings = std::move(all);
  return rr;
}

}  // namespace dockhand::intake
