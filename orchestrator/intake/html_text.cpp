#include "html_text.h"

#include "text_scan.h"

#include <gumbo.h>

#include <cstring>

namespace dockhand::intake {
namespace {

bool ieq_prefix(std::string_view s, std::size_t at, std::string_view word) {
  if (at + word.size() > s.size()) return false;
  for (std::size_t k = 0; k < word.size(); ++k) {
    char c = s[at + k];
    if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
    if (c != word[k]) return false;
  }
  return true;
}

// Tag name at s[at] (after '<' or '</'), lower case.
std::string tag_name(std::string_view s, std::size_t at) {
  std::string name;
  while (at < s.size() && name.size() < 16) {
    char c = s[at];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) break;
    name += (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c;
    ++at;
  }
  return name;
}

bool is_void_or_implied(const std::string& t) {
  static const char* names[] = {"br", "hr", "img", "meta", "link", "input", "col", "area", "base", "wbr",
                                "p", "li", "td", "th", "tr", "option", "dt", "dd", "tbody", "thead", "colgroup",
                                "source", "param", "embed", "track"};
  for (const char* n : names)
    if (t == n) return true;
  return false;
}

// Upper bound of how deep a tree this HTML builds: counts open minus close tags of elements that nest.
std::size_t estimate_depth(std::string_view s) {
  std::size_t depth = 0, max_depth = 0;
  for (std::size_t i = 0; i + 1 < s.size(); ++i) {
    if (s[i] != '<') continue;
    if (s[i + 1] == '/') {
      if (!is_void_or_implied(tag_name(s, i + 2)) && depth > 0) --depth;
    } else if (s[i + 1] != '!' && s[i + 1] != '?') {
      std::string t = tag_name(s, i + 1);
      if (t.empty() || is_void_or_implied(t)) continue;
      std::size_t close = s.find('>', i);
      if (close != std::string_view::npos && close > 0 && s[close - 1] == '/') continue;
      if (++depth > max_depth) max_depth = depth;
    }
  }
  return max_depth;
}

void append_entity_decoded(std::string& out, std::string_view text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '&') {
      struct E {
        const char* name;
        const char* value;
      };
      static const E entities[] = {{"&amp;", "&"}, {"&lt;", "<"},  {"&gt;", ">"},
                                   {"&quot;", "\""}, {"&#39;", "'"}, {"&nbsp;", " "},
                                   {"&ndash;", "-"}, {"&mdash;", "-"}, {"&#8211;", "-"}};
      bool done = false;
      for (const E& e : entities) {
        if (text.compare(i, std::strlen(e.name), e.name) == 0) {
          out += e.value;
          i += std::strlen(e.name) - 1;
          done = true;
          break;
        }
      }
      if (done) continue;
    }
    out += text[i];
  }
}

// Linear fallback: drops tags, turns row/block tags into newlines and cells into tabs.
std::string strip_tags(std::string_view s) {
  std::string out;
  out.reserve(s.size() / 2);
  std::size_t i = 0;
  while (i < s.size()) {
    if (s[i] == '<') {
      std::size_t close = s.find('>', i);
      if (close == std::string_view::npos) break;
      bool end = i + 1 < s.size() && s[i + 1] == '/';
      std::string t = tag_name(s, i + (end ? 2 : 1));
      if (t == "td" || t == "th") {
        if (!end) out += '\t';
      } else if (t == "br" || t == "tr" || t == "p" || t == "div" || t == "li" || t == "table" || t == "h1" ||
                 t == "h2" || t == "h3") {
        out += '\n';
      } else if (!end && (t == "script" || t == "style")) {
        std::size_t stop = s.find("</", close);
        while (stop != std::string_view::npos && !ieq_prefix(s, stop + 2, t)) stop = s.find("</", stop + 2);
        if (stop == std::string_view::npos) break;
        close = s.find('>', stop);
        if (close == std::string_view::npos) break;
      }
      i = close + 1;
      continue;
    }
    std::size_t next = s.find('<', i);
    if (next == std::string_view::npos) next = s.size();
    append_entity_decoded(out, s.substr(i, next - i));
    i = next;
  }
  // Rows that began with a cell start with a tab: drop the leading one.
  std::string cleaned;
  cleaned.reserve(out.size());
  bool line_start = true;
  for (char c : out) {
    if (line_start && c == '\t') continue;
    cleaned += c;
    line_start = c == '\n';
  }
  return cleaned;
}

bool is_block(GumboTag tag) {
  switch (tag) {
    case GUMBO_TAG_P: case GUMBO_TAG_DIV: case GUMBO_TAG_BR: case GUMBO_TAG_LI: case GUMBO_TAG_UL:
    case GUMBO_TAG_OL: case GUMBO_TAG_H1: case GUMBO_TAG_H2: case GUMBO_TAG_H3: case GUMBO_TAG_H4:
    case GUMBO_TAG_H5: case GUMBO_TAG_H6: case GUMBO_TAG_TABLE: case GUMBO_TAG_BLOCKQUOTE:
    case GUMBO_TAG_PRE: case GUMBO_TAG_HR: case GUMBO_TAG_SECTION: case GUMBO_TAG_ARTICLE:
    case GUMBO_TAG_HEADER: case GUMBO_TAG_FOOTER: case GUMBO_TAG_DL:
    case GUMBO_TAG_CENTER: case GUMBO_TAG_ADDRESS: case GUMBO_TAG_BODY:
      return true;
    default:
      return false;
  }
}

class Renderer {
 public:
  explicit Renderer(std::size_t max_depth) : max_depth_(max_depth) {}
  bool truncated = false;

  void render(const GumboNode* node, std::string& out, std::size_t depth) {
    if (depth > max_depth_) {
      truncated = true;
      return;
    }
    if (node->type == GUMBO_NODE_TEXT || node->type == GUMBO_NODE_CDATA || node->type == GUMBO_NODE_WHITESPACE) {
      append_text(out, node->v.text.text);
      return;
    }
    if (node->type != GUMBO_NODE_ELEMENT && node->type != GUMBO_NODE_TEMPLATE) return;
    const GumboElement& el = node->v.element;
    if (el.tag == GUMBO_TAG_SCRIPT || el.tag == GUMBO_TAG_STYLE || el.tag == GUMBO_TAG_HEAD ||
        el.tag == GUMBO_TAG_TITLE)
      return;
    if (el.tag == GUMBO_TAG_TR) {
      render_row(node, out, depth);
      return;
    }
    if (el.tag == GUMBO_TAG_BLOCKQUOTE) {
      // Quoted history in HTML replies: marked like a plain-text quote so the reader can tell it apart.
      std::string inner;
      for (unsigned i = 0; i < el.children.length; ++i)
        render(static_cast<const GumboNode*>(el.children.data[i]), inner, depth + 1);
      newline(out);
      std::size_t start = 0;
      while (start < inner.size()) {
        std::size_t nl = inner.find('\n', start);
        if (nl == std::string::npos) nl = inner.size();
        out += "> ";
        out.append(inner, start, nl - start);
        out += '\n';
        start = nl + 1;
      }
      return;
    }
    if (el.tag == GUMBO_TAG_DT) {
      // <dt>Ship window</dt><dd>Feb 2 - Feb 6</dd> reads as "Ship window: Feb 2 - Feb 6"
      newline(out);
      for (unsigned i = 0; i < el.children.length; ++i)
        render(static_cast<const GumboNode*>(el.children.data[i]), out, depth + 1);
      while (!out.empty() && (out.back() == ' ' || out.back() == '\n')) out.pop_back();
      out += ": ";
      return;
    }
    if (el.tag == GUMBO_TAG_DD) {
      for (unsigned i = 0; i < el.children.length; ++i)
        render(static_cast<const GumboNode*>(el.children.data[i]), out, depth + 1);
      newline(out);
      return;
    }
    bool block = is_block(el.tag);
    if (block) newline(out);
    for (unsigned i = 0; i < el.children.length; ++i)
      render(static_cast<const GumboNode*>(el.children.data[i]), out, depth + 1);
    if (block) newline(out);
  }

 private:
  std::size_t max_depth_;

  static void newline(std::string& out) {
    while (!out.empty() && out.back() == ' ') out.pop_back();
    if (!out.empty() && out.back() != '\n') out += '\n';
  }
  static void append_text(std::string& out, const char* text) {
    for (const char* p = text; *p; ++p) {
      char c = *p;
      if (c == '\n' || c == '\r' || c == '\t') c = ' ';
      if (c == ' ' && (out.empty() || out.back() == ' ' || out.back() == '\n')) continue;
      // U+00A0 is C2 A0 in UTF-8: read it as a space.
      if ((unsigned char)c == 0xC2 && (unsigned char)p[1] == 0xA0) {
        ++p;
        if (!out.empty() && out.back() != ' ' && out.back() != '\n') out += ' ';
        continue;
      }
      out += c;
    }
  }
  // A row of single-line cells becomes "cell<TAB>cell"; a layout row whose cells hold blocks keeps them as lines.
  void render_row(const GumboNode* tr, std::string& out, std::size_t depth) {
    std::vector<std::string> cells;
    bool multiline = false;
    const GumboElement& el = tr->v.element;
    for (unsigned i = 0; i < el.children.length; ++i) {
      auto* child = static_cast<const GumboNode*>(el.children.data[i]);
      if (child->type != GUMBO_NODE_ELEMENT) continue;
      if (child->v.element.tag != GUMBO_TAG_TD && child->v.element.tag != GUMBO_TAG_TH) continue;
      std::string cell;
      for (unsigned k = 0; k < child->v.element.children.length; ++k)
        render(static_cast<const GumboNode*>(child->v.element.children.data[k]), cell, depth + 2);
      std::string_view t = scan::trim(cell);
      if (t.find('\n') != std::string_view::npos) multiline = true;
      cells.emplace_back(t);
    }
    newline(out);
    if (multiline) {
      for (const auto& c : cells) {
        out += c;
        newline(out);
      }
      return;
    }
    bool any = false;
    for (const auto& c : cells) any |= !c.empty();
    if (!any) return;
    for (std::size_t i = 0; i < cells.size(); ++i) {
      if (i) out += '\t';
      out += cells[i];
    }
    out += '\n';
  }
};

}  // namespace

std::string html_to_text(std::string_view html, std::size_t max_depth, std::size_t max_bytes,
                         std::vector<std::string>& warnings) {
  if (html.size() > max_bytes) {
    warnings.push_back("HTML body is " + std::to_string(html.size()) + " bytes (over " + std::to_string(max_bytes) +
                       "): read without HTML structure");
    return strip_tags(html);
  }
  std::size_t depth = estimate_depth(html);
  if (depth > max_depth) {
    warnings.push_back("HTML nests " + std::to_string(depth) + " levels deep (limit " + std::to_string(max_depth) +
                       "): read without HTML structure");
    return strip_tags(html);
  }
  GumboOptions options = kGumboDefaultOptions;
  options.max_errors = 1000;
  GumboOutput* output = gumbo_parse_with_options(&options, html.data(), html.size());
  if (!output) return strip_tags(html);
  std::string text;
  Renderer renderer(max_depth + 50);
  renderer.render(output->root, text, 0);
  gumbo_destroy_output(&options, output);
  if (renderer.truncated) warnings.push_back("HTML nesting over the limit was cut");
  return text;
}

}  // namespace dockhand::intake
