// intake/ (internal): notices about purchase orders asked for before: cancellations, changes and chargebacks.
// A notice is told by what a line says (a cancel, change or chargeback statement that is not a condition
// or a policy: "if a cancel arrives after picking starts" states none), in the subject or the new text
// (the history of a reply only when the new text names nothing), whatever the layout: plain or HTML, tables,
// lists, forwarded or attached mail. What it names is read by the reader (POs in every layout it knows)
// plus identifiers the chain can match (shipment ids, ARNs, BOLs).
#pragma once

#include "mime_reader.h"
#include "reader.h"
#include "routing_request.h"

#include <optional>
#include <string>

namespace dockhand::intake {

struct NoticeReading {
  Notice notice;
  std::string why;      // the classification reason ("'has been cancelled' in the body line 4")
  bool mixed = false;   // the mail also reads as a routing request for other POs: a human decides
};

// The notice the mail is, or nullopt. `routing_subject`: the subject asks for routing (a notice must then
// say so in a line naming a PO, not only in passing).
// `request`: what the reader read (the POs in every layout it knows).
std::optional<NoticeReading> read_notice(const MailDocument& doc, const ReadResult& read, const RoutingRequest& request,
                                        bool routing_subject);

}  // namespace dockhand::intake
