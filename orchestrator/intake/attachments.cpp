#include "attachments.h"

#include "text_scan.h"

#include <libxml/xmlreader.h>
#include <poppler/cpp/poppler-document.h>
#include <poppler/cpp/poppler-global.h>
#include <poppler/cpp/poppler-page.h>
#include <zip.h>

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>

namespace dockhand::intake {
namespace {

bool ends_with_ci(const std::string& s, std::string_view suffix) {
  std::string l = scan::lower(s);
  return l.size() >= suffix.size() && l.compare(l.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// ---- XLSX ----------------------------------------------------------------------------------------------

struct ZipCloser {
  void operator()(zip_t* z) const {
    if (z) zip_discard(z);
  }
};

std::string read_entry(zip_t* zip, const std::string& entry, std::size_t max_bytes, bool required) {
  zip_stat_t st;
  zip_stat_init(&st);
  if (zip_stat(zip, entry.c_str(), 0, &st) != 0) {
    if (required) throw AttachmentError("the spreadsheet has no " + entry);
    return {};
  }
  if ((st.valid & ZIP_STAT_SIZE) && st.size > max_bytes)
    throw AttachmentError(entry + " unpacks to " + std::to_string(st.size) + " bytes, over the " +
                          std::to_string(max_bytes) + " byte limit");
  zip_file_t* f = zip_fopen(zip, entry.c_str(), 0);
  if (!f) throw AttachmentError(std::string("cannot open ") + entry + ": " + zip_strerror(zip));
  std::string out;
  char buf[65536];
  zip_int64_t n;
  while ((n = zip_fread(f, buf, sizeof buf)) > 0) {
    out.append(buf, std::size_t(n));
    if (out.size() > max_bytes) {
      zip_fclose(f);
      throw AttachmentError(entry + " unpacks to more than " + std::to_string(max_bytes) + " bytes");
    }
  }
  zip_fclose(f);
  if (n < 0) throw AttachmentError(entry + " is damaged in the zip");
  return out;
}

struct XmlReaderCloser {
  void operator()(xmlTextReaderPtr r) const {
    if (r) xmlFreeTextReader(r);
  }
};
using XmlReader = std::unique_ptr<xmlTextReader, XmlReaderCloser>;

XmlReader open_xml(const std::string& xml, const std::string& what) {
  XmlReader r(xmlReaderForMemory(xml.data(), int(xml.size()), nullptr, nullptr, XML_PARSE_NONET | XML_PARSE_NOERROR |
                                                                                    XML_PARSE_NOWARNING));
  if (!r) throw AttachmentError(what + " is not XML");
  return r;
}

std::string_view local_name(xmlTextReaderPtr r) {
  const xmlChar* n = xmlTextReaderConstLocalName(r);
  return n ? std::string_view(reinterpret_cast<const char*>(n)) : std::string_view();
}
std::string attribute(xmlTextReaderPtr r, const char* name) {
  xmlChar* v = xmlTextReaderGetAttribute(r, reinterpret_cast<const xmlChar*>(name));
  if (!v) return {};
  std::string out(reinterpret_cast<const char*>(v));
  xmlFree(v);
  return out;
}

// Text of every <t> under each <si>, one string per <si>.
std::vector<std::string> shared_strings(const std::string& xml) {
  std::vector<std::string> out;
  if (xml.empty()) return out;
  auto r = open_xml(xml, "sharedStrings.xml");
  bool in_t = false;
  int ret;
  while ((ret = xmlTextReaderRead(r.get())) == 1) {
    int type = xmlTextReaderNodeType(r.get());
    if (type == XML_READER_TYPE_ELEMENT) {
      auto n = local_name(r.get());
      if (n == "si") out.emplace_back();
      else if (n == "t" && !xmlTextReaderIsEmptyElement(r.get())) in_t = true;
    } else if (type == XML_READER_TYPE_END_ELEMENT && local_name(r.get()) == "t") {
      in_t = false;
    } else if (in_t && (type == XML_READER_TYPE_TEXT || type == XML_READER_TYPE_SIGNIFICANT_WHITESPACE) && !out.empty()) {
      const xmlChar* v = xmlTextReaderConstValue(r.get());
      if (v) out.back() += reinterpret_cast<const char*>(v);
    }
  }
  if (ret < 0) throw AttachmentError("sharedStrings.xml is damaged");
  return out;
}

// "BC12" -> column index 54 (0-based)
int column_of(const std::string& ref) {
  int col = 0;
  for (char c : ref) {
    if (c >= 'A' && c <= 'Z') col = col * 26 + (c - 'A' + 1);
    else break;
  }
  return col - 1;
}

std::vector<AttachmentRow> sheet_rows(const std::string& xml, const std::vector<std::string>& strings,
                                      const std::string& where) {
  std::vector<AttachmentRow> rows;
  auto r = open_xml(xml, where);
  std::map<int, std::string> cells;
  int row_number = 0, col = -1, next_col = 0;
  std::string type, value;
  bool in_value = false;
  auto end_row = [&] {
    if (cells.empty()) return;
    std::string line;
    int last = cells.rbegin()->first;
    if (last > 200) last = 200;
    for (int c = 0; c <= last; ++c) {
      if (c) line += '\t';
      auto it = cells.find(c);
      if (it != cells.end()) line += it->second;
    }
    rows.push_back({line, where, row_number, true});
    cells.clear();
  };
  int ret;
  while ((ret = xmlTextReaderRead(r.get())) == 1) {
    int node = xmlTextReaderNodeType(r.get());
    auto n = local_name(r.get());
    if (node == XML_READER_TYPE_ELEMENT) {
      if (n == "row") {
        std::string rn = attribute(r.get(), "r");
        row_number = rn.empty() ? row_number + 1 : std::atoi(rn.c_str());
        next_col = 0;
        if (xmlTextReaderIsEmptyElement(r.get())) end_row();
      } else if (n == "c") {
        std::string ref = attribute(r.get(), "r");
        col = ref.empty() ? next_col : column_of(ref);
        next_col = col + 1;
        type = attribute(r.get(), "t");
        value.clear();
      } else if ((n == "v" || n == "t") && !xmlTextReaderIsEmptyElement(r.get())) {
        in_value = true;
      }
    } else if (node == XML_READER_TYPE_END_ELEMENT) {
      if (n == "v" || n == "t") in_value = false;
      else if (n == "c" && col >= 0) {
        std::string text = value;
        if (type == "s") {
          std::size_t k = std::size_t(std::atol(value.c_str()));
          text = k < strings.size() ? strings[k] : std::string();
        } else if (type == "b") {
          text = value == "1" ? "TRUE" : "FALSE";
        }
        for (char& ch : text)
          if (ch == '\t' || ch == '\n' || ch == '\r') ch = ' ';
        if (!text.empty()) cells[col] = text;
        col = -1;
      } else if (n == "row") {
        end_row();
      }
    } else if (in_value && (node == XML_READER_TYPE_TEXT || node == XML_READER_TYPE_SIGNIFICANT_WHITESPACE)) {
      const xmlChar* v = xmlTextReaderConstValue(r.get());
      if (v) value += reinterpret_cast<const char*>(v);
    }
    if (rows.size() > 10000) throw AttachmentError(where + " has more than 10000 rows");
  }
  if (ret < 0) throw AttachmentError(where + " is damaged XML");
  end_row();
  return rows;
}

// Sheet names in workbook order (sheet1.xml is the first sheet in files written by every common tool).
std::vector<std::string> sheet_names(const std::string& workbook_xml) {
  std::vector<std::string> names;
  if (workbook_xml.empty()) return names;
  auto r = open_xml(workbook_xml, "workbook.xml");
  while (xmlTextReaderRead(r.get()) == 1)
    if (xmlTextReaderNodeType(r.get()) == XML_READER_TYPE_ELEMENT && local_name(r.get()) == "sheet")
      names.push_back(attribute(r.get(), "name"));
  return names;
}

void quiet_poppler(const std::string&, void*) {}

}  // namespace

AttachmentKind attachment_kind(const std::string& mime_type, const std::string& name, const std::string& head) {
  std::string type = scan::lower(mime_type);
  if (type == "application/pdf" || ends_with_ci(name, ".pdf") || head.rfind("%PDF-", 0) == 0) return AttachmentKind::Pdf;
  if (type == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" || ends_with_ci(name, ".xlsx") ||
      ends_with_ci(name, ".xlsm"))
    return AttachmentKind::Xlsx;
  if (type == "text/csv" || type == "text/comma-separated-values" || ends_with_ci(name, ".csv") ||
      ends_with_ci(name, ".tsv"))
    return AttachmentKind::Csv;
  if (ends_with_ci(name, ".xls") || ends_with_ci(name, ".doc") || ends_with_ci(name, ".docx") ||
      ends_with_ci(name, ".ods") || ends_with_ci(name, ".numbers") || ends_with_ci(name, ".rtf") ||
      type == "application/vnd.ms-excel" || type == "application/msword" ||
      type == "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    return AttachmentKind::Unsupported;
  if (ends_with_ci(name, ".txt")) return AttachmentKind::Text;
  return AttachmentKind::None;
}

std::vector<AttachmentRow> read_csv(const std::string& csv, const std::string& name) {
  std::vector<AttachmentRow> rows;
  std::size_t first_nl = csv.find('\n');
  std::string_view head(csv.data(), first_nl == std::string::npos ? csv.size() : first_nl);
  std::size_t commas = 0, semis = 0, tabs = 0;
  for (char c : head) commas += c == ',', semis += c == ';', tabs += c == '\t';
  char sep = tabs > commas && tabs > semis ? '\t' : semis > commas ? ';' : ',';
  std::string line, cell;
  bool quoted = false;
  int number = 1;
  auto end_cell = [&] {
    for (char& c : cell)
      if (c == '\t' || c == '\n' || c == '\r') c = ' ';
    line += cell;
    line += '\t';
    cell.clear();
  };
  auto end_line = [&] {
    end_cell();
    line.pop_back();
    rows.push_back({line, name, number++, true});
    line.clear();
  };
  std::size_t start = csv.size() >= 3 && csv.compare(0, 3, "\xEF\xBB\xBF") == 0 ? 3 : 0;  // BOM
  for (std::size_t i = start; i < csv.size(); ++i) {
    char c = csv[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < csv.size() && csv[i + 1] == '"') {
          cell += '"';
          ++i;
        } else {
          quoted = false;
        }
      } else {
        cell += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == sep) {
      end_cell();
    } else if (c == '\n') {
      end_line();
    } else if (c != '\r') {
      cell += c;
    }
  }
  if (!cell.empty() || !line.empty()) end_line();
  return rows;
}

std::vector<AttachmentRow> read_pdf(const std::string& bytes, const std::string& name, std::size_t max_pages) {
  static std::once_flag once;
  std::call_once(once, [] {
    poppler::set_debug_error_function(quiet_poppler, nullptr);
    // poppler-cpp sets its global tables (unicode maps, fonts) up when the first document is opened and
    // tears them down with the last one: one document kept open for good keeps every later load cheap.
    static const char kEmpty[] =
        "%PDF-1.1\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
        "3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 10 10]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n";
    static std::unique_ptr<poppler::document> keep(poppler::document::load_from_raw_data(kEmpty, sizeof kEmpty - 1));
  });
  std::unique_ptr<poppler::document> doc(poppler::document::load_from_raw_data(bytes.data(), int(bytes.size())));
  if (!doc) throw AttachmentError("not a readable PDF (damaged or not a PDF)");
  if (doc->is_locked()) throw AttachmentError("the PDF is password-protected");
  int pages = doc->pages();
  if (pages <= 0) throw AttachmentError("the PDF has no pages");
  std::vector<AttachmentRow> rows;
  bool any_text = false;
  for (int p = 0; p < pages && std::size_t(p) < max_pages; ++p) {
    std::unique_ptr<poppler::page> page(doc->create_page(p));
    if (!page) continue;
    auto utf8 = page->text(poppler::rectf(), poppler::page::physical_layout).to_utf8();
    std::string text(utf8.begin(), utf8.end());
    std::string where = name + " page " + std::to_string(p + 1);
    int number = 0;
    std::size_t start = 0;
    while (start < text.size()) {
      std::size_t nl = text.find('\n', start);
      if (nl == std::string::npos) nl = text.size();
      std::string line = text.substr(start, nl - start);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (!line.empty() && line.back() == '\f') line.pop_back();
      any_text |= !scan::trim(line).empty();
      rows.push_back({line, where, ++number, false});
      start = nl + 1;
    }
  }
  if (!any_text) throw AttachmentError("the PDF has no text (a scan or an image?)");
  return rows;
}

std::vector<AttachmentRow> read_xlsx(const std::string& bytes, const std::string& name, std::size_t max_entry_bytes) {
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* source = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error);
  if (!source) throw AttachmentError("cannot read the spreadsheet's zip");
  std::unique_ptr<zip_t, ZipCloser> zip(zip_open_from_source(source, ZIP_RDONLY, &error));
  if (!zip) {
    zip_source_free(source);
    std::string why = zip_error_strerror(&error);
    zip_error_fini(&error);
    throw AttachmentError("not a readable XLSX (" + why + ")");
  }
  zip_error_fini(&error);
  auto strings = shared_strings(read_entry(zip.get(), "xl/sharedStrings.xml", max_entry_bytes, false));
  auto names = sheet_names(read_entry(zip.get(), "xl/workbook.xml", max_entry_bytes, false));
  std::vector<AttachmentRow> rows;
  bool any = false;
  for (int s = 1; s <= 32; ++s) {
    std::string entry = "xl/worksheets/sheet" + std::to_string(s) + ".xml";
    std::string xml = read_entry(zip.get(), entry, max_entry_bytes, s == 1);
    if (xml.empty()) break;
    std::string sheet = std::size_t(s - 1) < names.size() ? names[s - 1] : "sheet" + std::to_string(s);
    auto sheet_rows_ = sheet_rows(xml, strings, name + " sheet '" + sheet + "'");
    any |= !sheet_rows_.empty();
    if (!rows.empty()) rows.push_back({"", name, 0, false});
    rows.insert(rows.end(), sheet_rows_.begin(), sheet_rows_.end());
  }
  if (!any) throw AttachmentError("the spreadsheet's sheets are empty");
  return rows;
}

}  // namespace dockhand::intake
