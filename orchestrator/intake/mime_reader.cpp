#include "mime_reader.h"

#include "html_text.h"
#include "text_scan.h"

#include <gmime/gmime.h>

#include <cstdio>
#include <memory>
#include <mutex>

namespace dockhand::intake {
namespace {

std::string mb(std::size_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MB", double(bytes) / (1024.0 * 1024.0));
  return buf;
}

struct GObjectUnref {
  void operator()(void* p) const {
    if (p) g_object_unref(p);
  }
};
template <typename T>
using GPtr = std::unique_ptr<T, GObjectUnref>;

struct ParseWarnings {
  std::vector<std::string> items;
};

void on_parser_warning(gint64 offset, GMimeParserWarning code, const gchar* item, gpointer user) {
  auto* w = static_cast<ParseWarnings*>(user);
  const char* what = nullptr;
  switch (code) {
    case GMIME_WARN_MALFORMED_MULTIPART: what = "multipart without its parts"; break;
    case GMIME_WARN_TRUNCATED_MESSAGE: what = "message is truncated"; break;
    case GMIME_WARN_MALFORMED_MESSAGE: what = "malformed message"; break;
    case GMIME_WARN_PART_WITHOUT_CONTENT: what = "part without content"; break;
    case GMIME_WARN_INVALID_CONTENT_TYPE: what = "invalid content type"; break;
    default: return;  // duplicated headers and the like are noise
  }
  if (w->items.size() < 10)
    w->items.push_back(std::string("broken MIME") + (offset >= 0 ? " at byte " + std::to_string(offset) : "") + ": " + what +
                       (item && *item ? std::string(" (") + std::string(item).substr(0, 80) + ")" : ""));
}

std::string header(GMimeObject* obj, const char* name) {
  const char* v = g_mime_object_get_header(obj, name);
  return v ? std::string(v) : std::string();
}

bool ends_with_ci(const std::string& s, const char* suffix) {
  std::string l = scan::lower(s);
  std::string_view suf(suffix);
  return l.size() >= suf.size() && l.compare(l.size() - suf.size(), suf.size(), suf) == 0;
}

// Decoded bytes of a part's content (transfer encoding undone, no charset conversion).
std::string decoded_content(GMimePart* part) {
  GMimeDataWrapper* content = g_mime_part_get_content(part);
  if (!content) return {};
  GPtr<GMimeStream> mem(g_mime_stream_mem_new());
  g_mime_data_wrapper_write_to_stream(content, mem.get());
  GByteArray* bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem.get()));
  return std::string(reinterpret_cast<const char*>(bytes->data), bytes->len);
}

std::size_t encoded_size(GMimePart* part) {
  GMimeDataWrapper* content = g_mime_part_get_content(part);
  if (!content) return 0;
  GMimeStream* stream = g_mime_data_wrapper_get_stream(content);
  gint64 len = stream ? g_mime_stream_length(stream) : -1;
  return len > 0 ? std::size_t(len) : 0;
}

// CSV (RFC 4180 quoting; ',' or ';' separated) -> tab-separated lines.
void csv_to_lines(const std::string& csv, std::vector<std::string>& lines) {
  std::size_t first_nl = csv.find('\n');
  std::string_view head(csv.data(), first_nl == std::string::npos ? csv.size() : first_nl);
  std::size_t commas = 0, semis = 0;
  for (char c : head) commas += c == ',', semis += c == ';';
  char sep = semis > commas ? ';' : ',';
  std::string line, cell;
  bool quoted = false;
  auto end_cell = [&] {
    for (char& c : cell)
      if (c == '\t' || c == '\n' || c == '\r') c = ' ';
    if (!line.empty() || !cell.empty() || true) {
      line += cell;
      line += '\t';
    }
    cell.clear();
  };
  auto end_line = [&] {
    end_cell();
    line.pop_back();
    lines.push_back(line);
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
}

// Plain text -> lines, with reply quote markers removed ("> > text" -> "text").
void text_to_lines(std::string_view text, std::vector<std::string>& lines) {
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t nl = text.find('\n', start);
    std::string_view line = text.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    std::size_t i = 0;
    while (i < line.size() && (line[i] == '>' || (line[i] == ' ' && i + 1 < line.size() && line[i + 1] == '>'))) {
      ++i;
      if (i < line.size() && line[i] == ' ') ++i;
    }
    lines.emplace_back(line.substr(i));
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
}

class Walker {
 public:
  Walker(const ExtractOptions& options, MailDocument& doc) : options_(options), doc_(doc) {}

  void walk(GMimeObject* obj, int depth) {
    if (!obj) return;
    if (depth > 20) throw QuarantineError("MIME parts nest more than 20 levels deep");
    if (++parts_ > options_.max_mime_parts)
      throw QuarantineError("message has more than " + std::to_string(options_.max_mime_parts) + " MIME parts");
    if (GMIME_IS_MESSAGE_PART(obj)) {
      GMimeMessage* inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));
      if (!inner) return;
      if (const char* s = g_mime_message_get_subject(inner)) doc_.inner_subjects.emplace_back(s);
      add_lines({"", "---------- Attached message ----------"});
      if (const char* s = g_mime_message_get_subject(inner)) add_lines({std::string("Subject: ") + s});
      walk(g_mime_message_get_mime_part(inner), depth + 1);
      return;
    }
    if (GMIME_IS_MULTIPART(obj)) {
      GMimeMultipart* mp = GMIME_MULTIPART(obj);
      int count = g_mime_multipart_get_count(mp);
      if (count == 0) {
        doc_.warnings.push_back("broken MIME: a multipart has no parts");
        return;
      }
      GMimeContentType* ct = g_mime_object_get_content_type(obj);
      if (ct && g_mime_content_type_is_type(ct, "multipart", "alternative")) {
        walk(pick_alternative(mp, count), depth + 1);
        return;
      }
      for (int i = 0; i < count; ++i) walk(g_mime_multipart_get_part(mp, i), depth + 1);
      return;
    }
    if (GMIME_IS_PART(obj)) read_part(GMIME_PART(obj));
  }

  bool truncated = false;

 private:
  const ExtractOptions& options_;
  MailDocument& doc_;
  std::size_t parts_ = 0;
  std::size_t text_bytes_ = 0;

  // Prefers HTML (tables keep their structure there), then plain text, then whatever is last.
  static GMimeObject* pick_alternative(GMimeMultipart* mp, int count) {
    GMimeObject* plain = nullptr;
    for (int i = 0; i < count; ++i) {
      GMimeObject* child = g_mime_multipart_get_part(mp, i);
      GMimeContentType* ct = g_mime_object_get_content_type(child);
      if (!ct) continue;
      if (g_mime_content_type_is_type(ct, "text", "html") || g_mime_content_type_is_type(ct, "multipart", "related"))
        return child;
      if (g_mime_content_type_is_type(ct, "text", "plain")) plain = child;
    }
    return plain ? plain : g_mime_multipart_get_part(mp, count - 1);
  }

  void add_lines(std::vector<std::string> lines) {
    for (auto& l : lines) {
      if (text_bytes_ + l.size() > options_.max_text_bytes) {
        truncated = true;
        return;
      }
      text_bytes_ += l.size() + 1;
      doc_.lines.push_back(std::move(l));
    }
  }

  void read_part(GMimePart* part) {
    GMimeObject* obj = GMIME_OBJECT(part);
    GMimeContentType* ct = g_mime_object_get_content_type(obj);
    std::string type = ct ? scan::lower(std::string(g_mime_content_type_get_media_type(ct) ? g_mime_content_type_get_media_type(ct) : "") +
                                        "/" + (g_mime_content_type_get_media_subtype(ct) ? g_mime_content_type_get_media_subtype(ct) : ""))
                          : "text/plain";
    const char* fname = g_mime_part_get_filename(part);
    std::string name = fname ? fname : "";
    bool attachment = g_mime_part_is_attachment(part);
    bool html = type == "text/html";
    bool plain = type == "text/plain" && (!attachment || name.empty() || ends_with_ci(name, ".txt"));
    bool csv = type == "text/csv" || type == "text/comma-separated-values" || ends_with_ci(name, ".csv");
    if (!html && !plain && !csv) return;  // images, PDFs, signatures: nothing we read

    std::size_t size = encoded_size(part);
    // base64 grows 4/3: compare the encoded size with the decoded limit accordingly.
    if (size > options_.max_part_bytes / 3 * 4 + 1024) {
      doc_.warnings.push_back("part " + (name.empty() ? type : name) + " (" + mb(size) + ") skipped: over the " +
                              mb(options_.max_part_bytes) + " part limit");
      return;
    }
    std::string text;
    if (GMIME_IS_TEXT_PART(part)) {
      char* t = g_mime_text_part_get_text(GMIME_TEXT_PART(part));  // charset -> UTF-8
      if (t) {
        text = t;
        g_free(t);
      }
    } else {
      text = decoded_content(part);
    }
    std::vector<std::string> lines;
    if (csv) {
      lines.emplace_back("");
      csv_to_lines(text, lines);
    } else if (html) {
      std::string rendered =
          html_to_text(text, options_.max_html_depth, options_.max_part_bytes / 2, doc_.warnings);
      text_to_lines(rendered, lines);
    } else {
      text_to_lines(text, lines);
    }
    add_lines(std::move(lines));
  }
};

void ensure_gmime() {
  static std::once_flag once;
  std::call_once(once, [] { g_mime_init(); });
}

// Cheap guard before GMime sees the bytes: a MIME bomb declares thousands of boundaries.
std::size_t count_boundaries(const std::string& raw) {
  std::size_t n = 0, pos = 0;
  while ((pos = raw.find("oundary=", pos)) != std::string::npos) {
    if (pos > 0 && (raw[pos - 1] == 'b' || raw[pos - 1] == 'B')) ++n;
    pos += 8;
  }
  return n;
}

}  // namespace

MailDocument read_mail(const std::string& raw, const ExtractOptions& options) {
  if (scan::trim(raw).empty()) throw QuarantineError("message is empty");
  if (raw.size() > options.max_message_bytes)
    throw QuarantineError("message is " + mb(raw.size()) + ", over the " + mb(options.max_message_bytes) +
                          " limit");
  if (count_boundaries(raw) > options.max_mime_parts)
    throw QuarantineError("message declares more than " + std::to_string(options.max_mime_parts) +
                          " multipart boundaries");
  ensure_gmime();

  MailDocument doc;
  ParseWarnings parse_warnings;
  GPtr<GMimeStream> stream(g_mime_stream_mem_new_with_buffer(raw.data(), raw.size()));
  GPtr<GMimeParser> parser(g_mime_parser_new_with_stream(stream.get()));
  GMimeParserOptions* popts = g_mime_parser_options_new();
  g_mime_parser_options_set_warning_callback(popts, on_parser_warning, &parse_warnings);
  GPtr<GMimeMessage> message(g_mime_parser_construct_message(parser.get(), popts));
  g_mime_parser_options_free(popts);
  if (!message) throw QuarantineError("not a MIME message: no headers could be read");

  GMimeObject* mobj = GMIME_OBJECT(message.get());
  bool has_headers = false;
  for (const char* h : {"From", "To", "Subject", "Date", "Message-ID", "MIME-Version", "Content-Type"})
    has_headers |= g_mime_object_get_header(mobj, h) != nullptr;
  if (!has_headers) throw QuarantineError("not an email: none of From, To, Subject, Date, Message-ID headers");

  if (const char* s = g_mime_message_get_subject(message.get())) doc.subject = s;
  if (const char* id = g_mime_message_get_message_id(message.get())) doc.message_id = id;

  std::string auto_submitted = scan::lower(header(mobj, "Auto-Submitted"));
  if (!auto_submitted.empty() && auto_submitted != "no") doc.auto_reply = "Auto-Submitted: " + auto_submitted;
  else if (!header(mobj, "X-Autoreply").empty() || !header(mobj, "X-Autorespond").empty())
    doc.auto_reply = "X-Autoreply header";
  std::string precedence = scan::lower(header(mobj, "Precedence"));
  if (!header(mobj, "List-Unsubscribe").empty()) doc.bulk = "List-Unsubscribe header";
  else if (precedence == "bulk" || precedence == "list") doc.bulk = "Precedence: " + precedence;
  else if (precedence == "auto_reply" && doc.auto_reply.empty()) doc.auto_reply = "Precedence: auto_reply";

  Walker walker(options, doc);
  walker.walk(g_mime_message_get_mime_part(message.get()), 0);
  for (auto& w : parse_warnings.items) doc.warnings.push_back(std::move(w));
  if (walker.truncated)
    doc.warnings.push_back("body text over " + mb(options.max_text_bytes) + " was cut; the rest was not read");

  bool any_text = false;
  for (const auto& l : doc.lines) {
    if (!scan::trim(l).empty()) {
      any_text = true;
      break;
    }
  }
  if (!any_text) {
    std::string why = "message has no readable text";
    for (const auto& w : doc.warnings) why += "; " + w;
    throw QuarantineError(why);
  }
  return doc;
}

}  // namespace dockhand::intake
