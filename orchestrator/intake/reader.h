// The reader: lines of a mail (mime_reader) -> the routing request they state. One design for every layout:
// labels from the synonym table (labels.h) found anywhere in a line, each followed by its value (or
// preceded by its number: "12 cartons"); POs after a PO label, in a list, at the head of a line or in a
// table's PO column; tables found by their header row (text, HTML, CSV, XLSX, PDF alike); values that
// belong to the POs being talked about, to every PO ("each", "all of them") or to the request.
#pragma once

#include "mime_reader.h"
#include "routing_request.h"

#include <set>
#include <string>
#include <vector>

namespace dockhand::intake {

struct ReadResult {
  RoutingRequest request;                 // fields, sources and field warnings (classification not set)
  std::size_t po_candidates = 0;          // POs read, valid or flagged
  std::set<std::string> po_tokens;        // every PO token read (upper case), flagged ones too
  std::vector<std::string> loose_tokens;  // PO-shaped tokens that no layout accounted for, with their place
  std::vector<std::string> fields_seen;   // labelled values found ("destination FC at body line 7", ...)
  bool read_history = false;              // the new text had no PO: reply history was read too
};

ReadResult read_request(const MailDocument& doc);

}  // namespace dockhand::intake
