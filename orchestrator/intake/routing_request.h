// intake/: what an Amazon routing-request email says, once classified and extracted.
// JSON shape (fixed fields; absent = null) is printed by `dockhand-orchestrator extract FILE.eml`.
#pragma once

#include <nlohmann/json.hpp>

#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace dockhand::intake {

struct PurchaseOrderRequest {
  std::string po;  // upper case, 8 characters
  std::optional<std::string> destination_fc;     // e.g. "ABE8"
  std::optional<std::string> ship_window_start;  // ISO date "2026-11-24"
  std::optional<std::string> ship_window_end;
  std::optional<int> cartons;
  std::optional<int> pallets;
  std::optional<double> weight_lb;
  // Where each value came from, field name -> place ("body line 12", "routing.csv row 3, column 'FC'",
  // "routing.pdf page 1 line 4", "subject"), so the console can show it. The PO itself is under "po".
  std::map<std::string, std::string> sources;
};

// Why a mail that may be a routing request was not read fully: it goes to a human (NEEDS_ATTENTION).
struct Attention {
  std::string reason;                 // one sentence for the operator
  std::vector<std::string> found;     // the routing-request signals seen ("'routing request' in the subject", ...)
  std::vector<std::string> missing;   // what could not be read, and why
};

// A notice about purchase orders asked for before (docs/intake.md, "Notices"): a cancellation ("PO X has been
// cancelled", "please cancel PO X"), a change ("PO X: quantity changed"), or a chargeback / compliance notice.
// The chain matches what it names to the requests holding those POs and shipments.
struct Notice {
  std::string kind;                      // "cancellation" | "change" | "chargeback" (the classification)
  std::vector<std::string> pos;          // purchase orders it names, upper case, in order
  std::vector<std::string> references;   // other identifiers it names (shipment ids, ARNs, BOLs), upper case
  std::string reason;                    // chargeback: "late_asn" | "routing" | "labels" | "other"
  std::map<std::string, std::string> po_reasons;  // chargeback: a PO's own reason when its line states one
  std::optional<std::string> amount;     // chargeback: the amount as written ("$250.00")
  std::string statement;                 // the line that says it, as written (for the operator)
  std::map<std::string, std::string> sources;  // PO or reference -> place ("body line 4", "subject")
};

struct RoutingRequest {
  // "amazon_routing_request", "possible_routing_request" (signals of one, but not readable as one), a notice
  // about POs asked for before ("cancellation", "change", "chargeback": `notice` says which POs), or "other"
  // (no routing-request signal at all: newsletters, invoices, auto-replies).
  std::string classification = "other";
  std::string classification_reason;     // why, in words an operator understands
  std::optional<std::string> message_id;
  std::optional<std::string> subject;
  std::optional<std::string> vendor_code;
  std::optional<std::string> ship_from;
  std::optional<std::string> freight_ready_date;  // ISO date
  std::vector<PurchaseOrderRequest> purchase_orders;  // deduplicated, in order of appearance
  std::vector<std::string> warnings;  // fields flagged while extracting (bad PO, impossible date, ...)
  std::map<std::string, std::string> sources;  // where vendor_code, ship_from, freight_ready_date came from
  // Set when the mail may be a routing request that was not fully read: the chain sends it to a human
  // (NEEDS_ATTENTION) instead of planning it or filing it as "other".
  std::optional<Attention> attention;
  std::optional<Notice> notice;  // set for "cancellation", "change", "chargeback"

  bool is_routing_request() const { return classification == "amazon_routing_request"; }
  bool needs_attention() const { return attention.has_value(); }
};

void to_json(nlohmann::json& j, const PurchaseOrderRequest& po);
void from_json(const nlohmann::json& j, PurchaseOrderRequest& po);
void to_json(nlohmann::json& j, const Attention& a);
void from_json(const nlohmann::json& j, Attention& a);
void to_json(nlohmann::json& j, const Notice& n);
void from_json(const nlohmann::json& j, Notice& n);
void to_json(nlohmann::json& j, const RoutingRequest& rr);
void from_json(const nlohmann::json& j, RoutingRequest& rr);

// The message cannot be parsed at all (empty, broken MIME beyond repair, over the size limit...).
// The caller quarantines it with reason(); nothing is dropped.
class QuarantineError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Limits that keep hostile or broken mail from costing more than it is worth.
struct ExtractOptions {
  std::size_t max_message_bytes = 25u * 1024 * 1024;  // larger: quarantined
  std::size_t max_part_bytes = 5u * 1024 * 1024;      // a larger decoded part is skipped with a warning
  std::size_t max_text_bytes = 2u * 1024 * 1024;      // text kept per message; the rest is cut with a warning
  std::size_t max_html_depth = 400;  // deeper nesting (an HTML bomb) is read by a flat tag stripper instead
  std::size_t max_mime_parts = 200;  // more parts (or nesting over 20) is quarantined
};

// Classifies and extracts one raw RFC 5322 message. Throws QuarantineError when it cannot be parsed.
RoutingRequest extract(const std::string& raw_message);
RoutingRequest extract(const std::string& raw_message, const ExtractOptions& options);

}  // namespace dockhand::intake
