// Raw RFC 5322 bytes -> what the extractor reads: headers that matter and every readable text (body parts,
// CSV/PDF/XLSX attachments, forwarded messages) as lines that know where they came from.
#pragma once

#include "routing_request.h"
#include "text_scan.h"

#include <string>
#include <vector>

namespace dockhand::intake {

struct TextLine {
  std::string text;     // transfer encoding and charset undone (UTF-8), dashes and no-break spaces plain
  std::string where;    // "body", "routing.csv", "routing.pdf page 1", "routing.xlsx sheet 'POs'"
  int number = 0;       // line (or spreadsheet row) number within `where`
  bool quoted = false;  // reply history ("> ", "On ... wrote:", "-----Original Message-----") or a signature
  bool cells = false;   // a CSV/XLSX row: cells are tab-separated

  std::string place() const { return where + (cells ? " row " : " line ") + std::to_string(number); }
};

struct MailDocument {
  std::string subject;
  std::string message_id;
  scan::DateContext date;                   // the Date header, for dates written without a year
  std::vector<std::string> inner_subjects;  // of messages forwarded as attachments (message/rfc822)
  std::string auto_reply;                   // non-empty: why this is an automatic reply (header that says so)
  std::string bulk;                         // non-empty: why this is bulk mail (List-Unsubscribe, Precedence)
  std::vector<TextLine> lines;              // HTML table rows and CSV rows are tab-separated cells
  std::vector<std::string> warnings;        // everything that could not be read as it should
  std::vector<std::string> unreadable;      // attachments or parts that could not be read, and why
  bool broken_mime = false;
  bool has_text = false;                    // any non-blank line at all
};

// Throws QuarantineError when the message cannot be taken apart safely: empty, over the size limit, not
// MIME at all, too many parts or nested too deep. A message without readable text is returned with
// has_text = false: whether that is quarantine or a human's job depends on what its headers say.
MailDocument read_mail(const std::string& raw, const ExtractOptions& options);

}  // namespace dockhand::intake
