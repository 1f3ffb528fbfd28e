// Raw RFC 5322 bytes -> what the extractor reads: headers that matter and the body as plain lines.
#pragma once

#include "routing_request.h"

#include <string>
#include <vector>

namespace dockhand::intake {

struct MailDocument {
  std::string subject;
  std::string message_id;
  std::vector<std::string> inner_subjects;  // of messages forwarded as attachments (message/rfc822)
  std::string auto_reply;                   // non-empty: why this is an automatic reply (header that says so)
  std::string bulk;                         // non-empty: why this is bulk mail (List-Unsubscribe, Precedence)
  // Body text of every readable part in order, one entry per line, reply quote markers ("> ") removed.
  // HTML table rows and CSV rows are tab-separated cells.
  std::vector<std::string> lines;
  std::vector<std::string> warnings;
};

// Throws QuarantineError when the message is empty, over the size limit, not MIME at all, too deeply
// nested, or has no readable text.
MailDocument read_mail(const std::string& raw, const ExtractOptions& options);

}  // namespace dockhand::intake
