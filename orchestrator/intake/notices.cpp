#include "notices.h"

#include "labels.h"
#include "text_scan.h"

#include <algorithm>
#include <array>

namespace dockhand::intake {
namespace {

enum class Kind { chargeback, cancellation, change };
const char* kind_name(Kind k) {
  return k == Kind::chargeback ? "chargeback" : k == Kind::cancellation ? "cancellation" : "change";
}

// What each kind of statement says, lower case. A phrase matches at the start of a word, so "cancel" is
// also "cancelled", "cancellation", "canceling"; "label" is "labeling".
const char* const kChargeback[] = {"chargeback", "charge back", "charge-back", "charged back", "non-compliance",
                                   "noncompliance", "non compliance", "compliance fee", "compliance violation",
                                   "compliance defect", "compliance notice", "compliance chargeback", "violation",
                                   "penalt", "deduct", "debit memo", "debit note",
                                   "has been charged", "have been charged", "will be charged", "defect fee"};
// Words in the subject that make a chargeback by themselves (the others need something they name).
const char* const kChargebackStrong[] = {"chargeback", "charge back", "charge-back", "charged back"};
const char* const kCancel[] = {"cancel", "do not ship", "don't ship", "dont ship", "do not route", "don't route",
                               "no longer needed", "no longer required", "not needed anymore", "no longer be shipped",
                               "voided", "void po", "void the po", "withdrawn", "rescind", "called off",
                               "remove po", "remove the po", "pull po", "pull the po", "drop po", "delete po",
                               "take po", "scratch po"};
// A change is a verb of change said of something done ("has been revised") or, in a subject, a change word
// with an order word ("PO change notification").
const char* const kChangeDone[] = {"has been changed", "have been changed", "was changed", "were changed",
                                   "has changed", "have changed", "has been updated", "have been updated",
                                   "has been revised", "have been revised", "has been amended", "have been amended",
                                   "has been modified", "have been modified", "has been reduced", "have been reduced",
                                   "has been increased", "have been increased", "has been rescheduled",
                                   "have been rescheduled", "has been moved", "have been moved", "has been adjusted",
                                   "have been adjusted", "changed from", "changed to", "reduced from",
                                   "reduced to", "increased from", "increased to", "revised to", "updated to"};
const char* const kChangeSubject[] = {"change", "revis", "amend", "modif", "updat", "reschedul", "adjust"};
const char* const kOrderWord[] = {"po", "pos", "p.o.", "purchase order", "order"};

// Wording that asks for routing: on a line of its own beside a cancellation or change said in the body, the
// mail is a routing request too, and a human decides.
const char* const kAsksForRouting[] = {"please route", "route the following", "route these", "route the rest",
                                       "please book", "schedule a pickup", "schedule pickup", "ready for pickup",
                                       "ready for pick", "routing request"};

// Words before a statement that make it a condition, a policy or a warning, not a fact.
const char* const kConditional[] = {"if",    "unless",  "otherwise", "in case", "policy", "policies", "avoid",
                                    "prevent", "risk",  "may be",    "may result", "may lead", "may incur", "can result", "can lead",
                                    "result in", "results in", "lead to", "leads to", "might",   "could",  "would",    "should",
                                    "when",  "whenever", "any",      "to reduce", "to minimize", "how to", "tips"};

// Chargeback reasons, in the order a tie is settled.
struct Reason {
  const char* name;
  std::vector<const char*> words;
};
const std::array<Reason, 3> kReasons = {{
    {"late_asn", {"asn", "asns", "advance ship", "advanced ship", "ship notice", "shipment notice", "ship notification",
                  "shipment notification", "shipment confirmation", "856", "edi 856"}},
    {"labels", {"label", "sscc", "gs1", "barcode", "bar code", "carton marking", "pallet marking", "marking"}},
    {"routing", {"rout", "unrouted", "freight ready", "ready date", "pickup", "pick-up", "pick up", "carrier",
                 "ship window", "shipping window", "appointment", "collect"}},
}};
// Lines that state the reason ("Issue: ...", "Violation type: ...").
const char* const kReasonLabels[] = {"issue", "reason", "violation", "defect", "type", "category", "chargeback for",
                                     "charged for", "description", "cause"};

bool word_start(const std::string& text, std::size_t at) { return at == 0 || !scan::is_alnum(text[at - 1]); }

// Where `phrase` starts a word in `text` (npos: nowhere). Short phrases (asn, po) must also end one.
std::size_t find_phrase(const std::string& text, std::string_view phrase, std::size_t from = 0) {
  bool whole = phrase.size() <= 3;
  for (std::size_t at = text.find(phrase, from); at != std::string::npos; at = text.find(phrase, at + 1)) {
    if (!word_start(text, at)) continue;
    std::size_t end = at + phrase.size();
    if (whole && end < text.size() && scan::is_alnum(text[end])) continue;
    return at;
  }
  return std::string::npos;
}

// The sentence before `at`, where a condition would be.
bool conditional(const std::string& text, std::size_t at) {
  std::size_t b = at;
  while (b > 0 && text[b - 1] != '.' && text[b - 1] != ';' && text[b - 1] != '!' && text[b - 1] != '?' &&
         text[b - 1] != ':')
    --b;
  std::string before = text.substr(b, at - b);
  for (const char* c : kConditional)
    if (find_phrase(before, c) != std::string::npos) return true;
  std::size_t e = at;
  while (e < text.size() && text[e] != '.' && text[e] != ';' && text[e] != '!' && text[e] != '?') ++e;
  std::string sentence = text.substr(b, e - b);
  for (const char* c : {"policy", "policies", "guideline", "guidelines", "terms and conditions"})
    if (find_phrase(sentence, c) != std::string::npos) return true;
  // "has not been cancelled", "was never cancelled", "isn't cancelled"
  std::string near = text.substr(at >= 14 ? at - 14 : 0, at >= 14 ? 14 : at);
  return find_phrase(near, "not") != std::string::npos || find_phrase(near, "never") != std::string::npos ||
         near.find("n't ") != std::string::npos;
}

template <std::size_t N>
const char* stated(const std::string& text, const char* const (&phrases)[N], bool check_condition = true) {
  for (const char* p : phrases)
    for (std::size_t at = find_phrase(text, p); at != std::string::npos; at = find_phrase(text, p, at + 1))
      if (!check_condition || !conditional(text, at)) return p;
  return nullptr;
}

struct Hit {
  Kind kind;
  const char* phrase;
  std::string place;      // "subject", "body line 4"
  std::string text;       // as written
  bool names_po = false;  // the line names a PO
};

bool names_po(std::string_view text) {
  for (const auto& w : scan::words(text))
    if (scan::is_po_shaped(w.text)) return true;
  for (const auto& hit : find_labels(text))
    if (hit.field == Field::Po && !scan::split_po_list(text.substr(hit.end)).empty()) return true;
  return false;
}

// The statements one line (or the subject) makes.
void find_hits(const std::string& text, const std::string& place, bool subject, bool routing_subject,
               std::vector<Hit>& out) {
  std::string l = scan::lower(text);
  bool po = names_po(text);
  if (const char* p = stated(l, kChargeback)) out.push_back({Kind::chargeback, p, place, text, po});
  if (const char* p = stated(l, kCancel)) out.push_back({Kind::cancellation, p, place, text, po});
  if (const char* p = stated(l, kChangeDone); p && !(subject && routing_subject)) {
    // a change said of an order: the line names a PO or an order ("it has been changed to 6 units on this PO")
    if (po || subject || stated(l, kOrderWord, false)) out.push_back({Kind::change, p, place, text, po});
  } else if (subject && !routing_subject) {  // "Updated routing request" is a routing request
    const char* change = stated(l, kChangeSubject);
    const char* order = stated(l, kOrderWord, false);
    if (change && (order || po)) out.push_back({Kind::change, change, place, text, po});
  }
}

std::string reason_of(const std::vector<std::string>& texts_in_order) {
  for (const auto& t : texts_in_order) {
    std::string l = scan::lower(t);
    std::size_t best = std::string::npos;
    const char* name = nullptr;
    for (const auto& r : kReasons)
      for (const char* w : r.words) {
        std::size_t at = find_phrase(l, w);
        if (at < best) best = at, name = r.name;
      }
    if (name) return name;
  }
  return "other";
}

std::optional<std::string> amount_in(const std::string& text) {
  for (std::size_t k = 0; k < text.size(); ++k) {
    bool dollar = text[k] == '$';
    bool code = k + 3 < text.size() && word_start(text, k) &&
                (scan::lower(text.substr(k, 4)) == "usd " || scan::lower(text.substr(k, 4)) == "eur ");
    if (!dollar && !code) continue;
    std::size_t b = k + (dollar ? 1 : 4);
    while (b < text.size() && text[b] == ' ') ++b;
    std::size_t e = b;
    while (e < text.size() && (scan::is_digit(text[e]) || text[e] == ',' || text[e] == '.')) ++e;
    while (e > b && (text[e - 1] == '.' || text[e - 1] == ',')) --e;
    if (e > b && scan::is_digit(text[b])) return text.substr(k, e - k);
  }
  return std::nullopt;
}

// Identifiers the chain may know (shipment ids, ARNs, BOLs, PRO numbers): a token of 6 to 35 letters, digits
// and dashes with a digit in it, not a PO, a date or an amount.
void collect_references(const std::string& text, const std::string& place, const std::set<std::string>& pos,
                        Notice& n) {
  for (std::size_t i = 0; i < text.size();) {
    while (i < text.size() && !(scan::is_alnum(text[i]))) ++i;
    std::size_t j = i;
    while (j < text.size() && (scan::is_alnum(text[j]) || (text[j] == '-' && j + 1 < text.size() && scan::is_alnum(text[j + 1]))))
      ++j;
    if (j == i) break;
    std::string token = scan::upper(std::string_view(text).substr(i, j - i));
    bool digit = std::any_of(token.begin(), token.end(), [](char c) { return scan::is_digit(c); });
    bool money = i > 0 && (text[i - 1] == '$' || text[i - 1] == '.' || text[i - 1] == ',');
    bool glued = (i > 0 && (text[i - 1] == '/' || text[i - 1] == '@')) || (j < text.size() && (text[j] == '/' || text[j] == '@'));
    if (token.size() >= 6 && token.size() <= 35 && digit && !money && !glued && !pos.count(token) &&
        std::find(n.references.begin(), n.references.end(), token) == n.references.end() && n.references.size() < 30) {
      n.references.push_back(token);
      n.sources.emplace(token, place);
    }
    i = j;
  }
}

}  // namespace

std::optional<NoticeReading> read_notice(const MailDocument& doc, const ReadResult& read, const RoutingRequest& request,
                                        bool routing_subject) {
  // A reply or a forward keeps the subject of what it answers: its new text says what it is.
  std::string subject_lower = scan::lower(scan::trim(doc.subject));
  for (const char* prefix : {"re:", "fw:", "fwd:", "aw:", "sv:", "wg:"})
    if (subject_lower.rfind(prefix, 0) == 0) routing_subject = false;
  std::vector<Hit> hits;
  find_hits(doc.subject, "subject", true, routing_subject, hits);
  for (const auto& s : doc.inner_subjects) find_hits(s, "subject", true, routing_subject, hits);
  std::vector<const TextLine*> lines;
  for (const auto& l : doc.lines)
    if (!l.quoted || read.read_history) lines.push_back(&l);
  for (const auto* l : lines) find_hits(l->text, l->place(), false, routing_subject, hits);
  if (hits.empty()) return std::nullopt;

  // What the mail names: the POs the reader read (any layout), PO-shaped tokens it left over, the subject's.
  NoticeReading out;
  Notice& n = out.notice;
  auto add_po = [&](const std::string& po, const std::string& place) {
    if (std::find(n.pos.begin(), n.pos.end(), po) != n.pos.end()) return;
    n.pos.push_back(po);
    n.sources.emplace(po, place);
  };
  for (const auto& po : request.purchase_orders) add_po(po.po, po.sources.count("po") ? po.sources.at("po") : "body");
  for (const auto& loose : read.loose_tokens) {
    auto cut = loose.find(" (");
    std::string place = cut == std::string::npos ? "body" : loose.substr(cut + 2, loose.size() - cut - 3);
    add_po(loose.substr(0, cut), place);
  }
  std::vector<std::string> subjects{doc.subject};
  subjects.insert(subjects.end(), doc.inner_subjects.begin(), doc.inner_subjects.end());
  for (const auto& s : subjects)
    for (const auto& w : scan::words(s))
      if (scan::is_po_shaped(w.text)) add_po(scan::upper(w.text), "subject");
  std::set<std::string> po_set(n.pos.begin(), n.pos.end());
  for (const auto& t : read.po_tokens) po_set.insert(t);
  for (const auto& s : subjects) collect_references(s, "subject", po_set, n);
  for (const auto* l : lines) collect_references(l->text, l->place(), po_set, n);
  std::string all_text;
  for (const auto* l : lines) all_text += l->text + "\n";
  auto amount = amount_in(doc.subject + "\n" + all_text);
  bool names_something = !n.pos.empty() || !n.references.empty();

  // The statement that decides: a chargeback before a cancellation before a change (a chargeback for a
  // cancelled shipment is a chargeback). Under a subject that asks for routing, a statement in the body
  // counts only on a line naming a PO: "to avoid chargebacks, route by Friday" is the request's own text.
  const Hit* chosen = nullptr;
  for (Kind kind : {Kind::chargeback, Kind::cancellation, Kind::change}) {
    for (const auto& h : hits) {
      if (h.kind != kind) continue;
      bool in_subject = h.place == "subject";
      if (!in_subject && routing_subject && !h.names_po) continue;
      if (kind == Kind::chargeback) {
        bool strong = false;
        for (const char* s : kChargebackStrong) strong |= std::string_view(h.phrase) == s;
        if (!strong && !names_something && !amount) continue;  // "violation" with nothing it is about
      }
      if (kind == Kind::change && !names_something) continue;
      chosen = &h;
      break;
    }
    if (chosen) break;
  }
  if (!chosen) return std::nullopt;
  n.kind = kind_name(chosen->kind);
  n.statement = std::string(scan::trim(chosen->text)).substr(0, 200);
  if (chosen->kind == Kind::chargeback) {
    n.amount = amount;
    // The reason: a line that states it ("Issue: late ASN"), else the subject, else the statement, else anywhere.
    std::vector<std::string> order;
    for (const auto* l : lines) {
      std::string low = scan::lower(scan::trim(l->text));
      for (const char* label : kReasonLabels)
        if (low.rfind(label, 0) == 0) order.push_back(l->text);
    }
    for (const auto& s : subjects) order.push_back(s);
    order.push_back(chosen->text);
    order.push_back(all_text);
    n.reason = reason_of(order);
    // A list of chargebacks ("PO | Reason | Amount"): each PO with the reason its own line states.
    for (const auto& po : n.pos)
      for (const auto* l : lines)
        if (scan::upper(l->text).find(po) != std::string::npos) {
          std::string own = reason_of({l->text});
          if (own != "other") n.po_reasons.emplace(po, own);
          break;
        }
  }
  out.why = "'" + std::string(chosen->phrase) + "' in the " + (chosen->place == "subject" ? "subject" : chosen->place) +
            (n.pos.empty() ? std::string() : ": PO " + [&] {
              std::string s;
              for (std::size_t i = 0; i < n.pos.size() && i < 8; ++i) s += (i ? ", " : "") + n.pos[i];
              if (n.pos.size() > 8) s += ", ...";
              return s;
            }()) +
            (n.reason.empty() ? std::string() : " (reason: " + n.reason + ")");
  // A cancellation or change said only in the body of a mail that also asks for routing (in the subject, or
  // on a line of its own): both a routing request and a notice. Not read with certainty: a human decides.
  if (chosen->kind != Kind::chargeback && chosen->place != "subject") {
    out.mixed = routing_subject;
    for (const auto* l : lines) {
      if (l->place() == chosen->place || l->quoted) continue;
      if (stated(scan::lower(l->text), kAsksForRouting, false)) out.mixed = true;
    }
  }
  return out;
}

}  // namespace dockhand::intake
