#include "mime_reader.h"

#include "attachments.h"
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

// Plain text -> lines. Reply history is marked quoted: "> " lines (markers removed), everything after
// "On ... wrote:", "-----Original Message-----" or an Outlook "From:/Sent:" block, and a signature after
// "-- ". A forwarded message ("Forwarded message", "Begin forwarded message") is content, not history.
void text_to_lines(std::string_view text, std::vector<std::string>& lines, std::vector<bool>& quoted) {
  std::vector<std::string_view> raw;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t nl = text.find('\n', start);
    std::string_view line = text.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    raw.push_back(line);
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
  bool history = false;
  for (std::size_t n = 0; n < raw.size(); ++n) {
    std::string_view line = raw[n];
    std::size_t i = 0;
    while (i < line.size() && (line[i] == '>' || (line[i] == ' ' && i + 1 < line.size() && line[i + 1] == '>'))) {
      ++i;
      if (i < line.size() && line[i] == ' ') ++i;
    }
    std::string_view body = line.substr(i);
    std::string l = scan::lower(scan::trim(body));
    if (l.find("forwarded message") != std::string::npos || l.find("begin forwarded") != std::string::npos) {
      history = false;
    } else if (i == 0) {
      bool wrote = l.rfind("on ", 0) == 0 && l.size() > 6 && l.compare(l.size() - 6, 6, "wrote:") == 0;
      bool original = l.find("original message") != std::string::npos && l.rfind("---", 0) == 0;
      bool signature = scan::trim(body) == "--" && (body == "-- " || body == "--");
      bool outlook = false;
      if (l.rfind("from:", 0) == 0 && n > 0)
        for (std::size_t k = n + 1; k < raw.size() && k <= n + 3; ++k)
          outlook |= scan::lower(scan::trim(raw[k])).rfind("sent:", 0) == 0;
      if (wrote || original || signature || outlook) history = true;
    }
    lines.emplace_back(body);
    quoted.push_back(history || i > 0);
  }
}

// Dashes and spaces as plain ASCII: en/em dashes (ranges), no-break spaces, curly quotes.
std::string plain_punctuation(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    unsigned char c = in[i];
    if (c == 0xE2 && i + 2 < in.size() && (unsigned char)in[i + 1] == 0x80) {
      unsigned char d = in[i + 2];
      if (d >= 0x90 && d <= 0x95) { out += '-'; i += 2; continue; }      // hyphens and dashes
      if (d == 0x98 || d == 0x99) { out += '\''; i += 2; continue; }
      if (d == 0x9C || d == 0x9D) { out += '"'; i += 2; continue; }
      if (d == 0xAF || d == 0x89 || d == 0x8A) { out += ' '; i += 2; continue; }  // narrow/thin spaces
    }
    if (c == 0xC2 && i + 1 < in.size() && (unsigned char)in[i + 1] == 0xA0) { out += ' '; ++i; continue; }
    if (c == 0) { out += ' '; continue; }  // NUL bytes read as spaces, never as the end of the text
    out += char(c);
  }
  return out;
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
      add_text({"", "---------- Forwarded message (attached) ----------"}, "body", false);
      if (const char* s = g_mime_message_get_subject(inner)) add_text({std::string("Subject: ") + s}, "body", false);
      walk(g_mime_message_get_mime_part(inner), depth + 1);
      return;
    }
    if (GMIME_IS_MULTIPART(obj)) {
      GMimeMultipart* mp = GMIME_MULTIPART(obj);
      int count = g_mime_multipart_get_count(mp);
      if (count == 0) {
        // No boundary, or none found: GMime keeps the text as the prologue. Read it as plain text, flagged.
        doc_.broken_mime = true;
        const char* prologue = g_mime_multipart_get_prologue(mp);
        std::string text = prologue ? prologue : "";
        if (const char* epilogue = g_mime_multipart_get_epilogue(mp)) text += epilogue;
        if (!scan::trim(text).empty()) {
          doc_.warnings.push_back("broken MIME: a multipart has no parts (no boundary found); its text was read as plain text");
          std::vector<std::string> lines;
          std::vector<bool> quoted;
          text_to_lines(text, lines, quoted);
          add_text(std::move(lines), "body", false, &quoted);
        } else {
          doc_.warnings.push_back("broken MIME: a multipart has no parts");
        }
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
  int body_lines_ = 0;

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

  bool room_for(std::size_t bytes) {
    if (text_bytes_ + bytes > options_.max_text_bytes) {
      truncated = true;
      return false;
    }
    text_bytes_ += bytes + 1;
    return true;
  }

  // Body text: numbered across all inline parts ("body line N").
  void add_text(std::vector<std::string> lines, const std::string& where, bool all_quoted,
                const std::vector<bool>* quoted = nullptr) {
    for (std::size_t k = 0; k < lines.size(); ++k) {
      if (!room_for(lines[k].size())) return;
      TextLine line;
      line.text = plain_punctuation(lines[k]);
      line.where = where;
      line.number = where == "body" ? ++body_lines_ : int(k + 1);
      line.quoted = all_quoted || (quoted && k < quoted->size() && (*quoted)[k]);
      doc_.has_text |= !scan::trim(line.text).empty();
      doc_.lines.push_back(std::move(line));
    }
  }

  void add_rows(const std::vector<AttachmentRow>& rows) {
    doc_.lines.push_back({"", rows.empty() ? "" : rows.front().where, 0, false, false});
    for (const auto& r : rows) {
      if (!room_for(r.text.size())) return;
      doc_.has_text |= !scan::trim(r.text).empty();
      doc_.lines.push_back({plain_punctuation(r.text), r.where, r.number, false, r.cells});
    }
  }

  void unreadable(const std::string& name, const std::string& why) {
    std::string w = "attachment " + name + " could not be read: " + why;
    doc_.warnings.push_back(w);
    doc_.unreadable.push_back(w);
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
    bool html = type == "text/html" && !(attachment && !name.empty() && !ends_with_ci(name, ".htm") && !ends_with_ci(name, ".html"));
    bool plain = type == "text/plain" && (!attachment || name.empty() || ends_with_ci(name, ".txt"));
    AttachmentKind kind = AttachmentKind::None;
    if (!html && !plain) {
      kind = attachment_kind(type, name, "");
      if (kind == AttachmentKind::None && (type == "application/octet-stream" || type.empty())) {
        // Unnamed or oddly typed: look at the first bytes.
        std::string head = decoded_content(part).substr(0, 8);
        kind = attachment_kind("", "", head);
      }
      if (kind == AttachmentKind::Text) plain = true;
    }
    if (!html && !plain && kind == AttachmentKind::None) return;  // images, signatures: nothing we read
    std::string label = name.empty() ? type : name;
    if (kind == AttachmentKind::Unsupported) {
      unreadable(label, "Dockhand does not read this file format (" + type + ")");
      return;
    }

    std::size_t size = encoded_size(part);
    // base64 grows 4/3: compare the encoded size with the decoded limit accordingly.
    if (size > options_.max_part_bytes / 3 * 4 + 1024) {
      std::string w = "part " + label + " (" + mb(size) + ") skipped: over the " + mb(options_.max_part_bytes) + " part limit";
      doc_.warnings.push_back(w);
      if (kind != AttachmentKind::None) doc_.unreadable.push_back(w);
      return;
    }
    if (kind == AttachmentKind::Pdf || kind == AttachmentKind::Xlsx || kind == AttachmentKind::Csv) {
      std::string bytes = decoded_content(part);
      try {
        if (kind == AttachmentKind::Pdf) add_rows(read_pdf(bytes, label, 50));
        else if (kind == AttachmentKind::Xlsx) add_rows(read_xlsx(bytes, label, options_.max_part_bytes));
        else add_rows(read_csv(text_of(part, bytes), label));
      } catch (const AttachmentError& e) {
        unreadable(label, e.what());
      }
      return;
    }
    std::string text = text_of(part, "");
    std::vector<std::string> lines;
    std::vector<bool> quoted;
    if (html) {
      std::string rendered =
          html_to_text(text, options_.max_html_depth, options_.max_part_bytes / 2, doc_.warnings);
      text_to_lines(rendered, lines, quoted);
    } else {
      text_to_lines(text, lines, quoted);
    }
    bool is_attachment = attachment && !name.empty();
    add_text(std::move(lines), is_attachment ? name : "body", false, &quoted);
  }

  // Text of a part in UTF-8 (GMime converts the declared charset). GMime hands text out as a C string, so a
  // part with NUL bytes is converted here instead, NULs read as spaces: nothing after them is lost.
  static std::string text_of(GMimePart* part, const std::string& decoded_in) {
    std::string decoded = decoded_in.empty() ? decoded_content(part) : decoded_in;
    if (decoded.find('\0') != std::string::npos) {
      for (char& c : decoded)
        if (c == '\0') c = ' ';
      const char* cs = g_mime_object_get_content_type_parameter(GMIME_OBJECT(part), "charset");
      std::string charset = cs ? scan::lower(cs) : "utf-8";
      if (charset != "utf-8" && charset != "us-ascii" && charset != "utf8") {
        gsize written = 0;
        if (gchar* utf8 = g_convert(decoded.data(), gssize(decoded.size()), "UTF-8", charset.c_str(), nullptr, &written, nullptr)) {
          decoded.assign(utf8, written);
          g_free(utf8);
        }
      }
      return decoded;
    }
    if (GMIME_IS_TEXT_PART(part)) {
      char* t = g_mime_text_part_get_text(GMIME_TEXT_PART(part));
      if (t) {
        std::string text = t;
        g_free(t);
        return text;
      }
    }
    return decoded;
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

  if (const char* s = g_mime_message_get_subject(message.get())) doc.subject = plain_punctuation(s);
  if (const char* id = g_mime_message_get_message_id(message.get())) doc.message_id = id;
  if (GDateTime* date = g_mime_message_get_date(message.get())) {
    doc.date.year = g_date_time_get_year(date);
    doc.date.month = g_date_time_get_month(date);
    doc.date.day = g_date_time_get_day_of_month(date);
  }
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
  doc.broken_mime |= !parse_warnings.items.empty();
  for (auto& w : parse_warnings.items) doc.warnings.push_back(std::move(w));
  if (walker.truncated)
    doc.warnings.push_back("body text over " + mb(options.max_text_bytes) + " was cut; the rest was not read");
  return doc;
}

}  // namespace dockhand::intake
