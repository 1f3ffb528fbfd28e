// Attachments that carry routing requests, as text rows the extractor reads like the body: CSV (cells
// tab-separated), PDF (poppler's C++ API, physical layout so table columns stay apart), XLSX (the sheet
// XML read from the zip through libzip and libxml2). Each throws AttachmentError saying why a file
// cannot be read; the caller flags it (the mail then goes to a human).
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace dockhand::intake {

class AttachmentError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct AttachmentRow {
  std::string text;    // cells tab-separated for CSV/XLSX, a text line for PDF
  std::string where;   // "routing.pdf page 2", "routing.xlsx sheet 'POs'"
  int number = 0;      // line or row number within `where`
  bool cells = false;  // a spreadsheet row (provenance names rows and columns)
};

enum class AttachmentKind { None, Text, Csv, Pdf, Xlsx, Unsupported };
// What an attachment is, from its MIME type, file name and first bytes.
AttachmentKind attachment_kind(const std::string& mime_type, const std::string& file_name, const std::string& head);

std::vector<AttachmentRow> read_csv(const std::string& bytes, const std::string& name);
std::vector<AttachmentRow> read_pdf(const std::string& bytes, const std::string& name, std::size_t max_pages);
std::vector<AttachmentRow> read_xlsx(const std::string& bytes, const std::string& name, std::size_t max_entry_bytes);

}  // namespace dockhand::intake
