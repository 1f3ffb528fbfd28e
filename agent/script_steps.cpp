// The script parser: the steps, each kind with its fields (docs/screen-scripts.md).
#include "agent/script_parser.h"
#include "vision/vision.h"

#include <cstdlib>
#include <map>

namespace dockhand::agent::parsing {

Steps Parser::parse_steps(const json& j, const std::string& path) {
  Steps steps;
  if (!j.is_array()) {
    problem(path, "must be a list of steps, not " + type_name(j));
    return steps;
  }
  for (std::size_t i = 0; i < j.size(); ++i) {
    auto step = parse_step(j[i], path + "[" + std::to_string(i) + "]");
    if (step) steps.push_back(std::move(*step));
  }
  return steps;
}

std::optional<Step> Parser::parse_step(const json& j, const std::string& path) {
  static const std::map<std::string, Step::Kind> kinds = {
      {"click", Step::Kind::Click},       {"double_click", Step::Kind::DoubleClick},
      {"right_click", Step::Kind::RightClick}, {"type", Step::Kind::Type},
      {"key", Step::Kind::Key},           {"wait", Step::Kind::Wait},
      {"wait_vanish", Step::Kind::WaitVanish}, {"read", Step::Kind::Read},
      {"assert", Step::Kind::Assert},     {"if", Step::Kind::If},
      {"focus_window", Step::Kind::FocusWindow}, {"launch", Step::Kind::Launch},
      {"done", Step::Kind::Done},         {"fail", Step::Kind::Fail},
      {"set", Step::Kind::Set},           {"drag", Step::Kind::Drag}};
  if (!j.is_object()) {
    problem(path, "a step must be an object like {\"click\": {...}}, not " + type_name(j));
    return std::nullopt;
  }
  std::string found;
  for (const auto& [k, v] : j.items()) {
    if (k == "comment" || k == "then" || k == "else") continue;
    if (!kinds.count(k)) {
      std::string list;
      for (const auto& [name, kind] : kinds) list += (list.empty() ? "" : ", ") + name;
      problem(path + "." + k, "unknown step (known: " + list + ")");
      continue;
    }
    if (!found.empty()) {
      problem(path, "one step per object (found \"" + found + "\" and \"" + k + "\")");
      continue;
    }
    found = k;
  }
  if (found.empty()) {
    if (j.empty() || (j.size() == 1 && j.contains("comment"))) problem(path, "empty step");
    return std::nullopt;
  }
  Step s;
  s.kind = kinds.at(found);
  s.path = path + "." + found;
  if (found != "if" && (j.contains("then") || j.contains("else")))
    problem(path, "\"then\"/\"else\" belong to an \"if\" step");
  const json& v = j[found];
  const std::string& p = s.path;
  auto need_object = [&](const char* what) {
    if (v.is_object()) return true;
    problem(p, std::string("must be ") + what + ", not " + type_name(v));
    return false;
  };
  switch (s.kind) {
    case Step::Kind::Click:
    case Step::Kind::DoubleClick:
    case Step::Kind::RightClick:
    case Step::Kind::WaitVanish:
      if (!need_object("a locator object")) break;
      s.locator = parse_locator(v, p, {"timeout_ms"});
      s.timeout_ms = get_int(v, "timeout_ms", p);
      break;
    case Step::Kind::Drag:
      if (!need_object("a locator object (where to press) with \"to\": locator or \"by\": {\"dx\", \"dy\"}"))
        break;
      parse_drag(v, p, s);
      break;
    case Step::Kind::Wait:
      if (!need_object("an object: a locator, {\"ms\": N}, {\"any\": [...]} or {\"stable_ms\": N}")) break;
      s.timeout_ms = get_int(v, "timeout_ms", p);
      if (v.contains("ms")) {
        check_keys(v, p, {"ms", "comment"});
        s.sleep_ms = get_int(v, "ms", p).value_or(0);
      } else if (v.contains("stable_ms")) {
        check_keys(v, p, {"stable_ms", "timeout_ms", "comment"});
        s.stable_ms = get_int(v, "stable_ms", p, 1);
        if (!s.stable_ms) s.stable_ms = 1;
      } else if (v.contains("any")) {
        check_keys(v, p, {"any", "timeout_ms", "comment"});
        if (!v["any"].is_array() || v["any"].empty()) {
          problem(p + ".any", "must be a non-empty list of locators");
        } else {
          for (std::size_t i = 0; i < v["any"].size(); ++i)
            s.any.push_back(parse_locator(v["any"][i], p + ".any[" + std::to_string(i) + "]", {}));
        }
      } else {
        s.locator = parse_locator(v, p, {"timeout_ms"});
      }
      break;
    case Step::Kind::Type:
      if (v.is_string()) {
        s.text = v.get<std::string>();
      } else if (v.is_object()) {
        check_keys(v, p, {"text", "clear", "comment"});
        s.text = get_string(v, "text", p, true).value_or("");
        if (v.contains("clear")) {
          if (!v["clear"].is_boolean()) problem(p + ".clear", "must be true or false");
          else s.clear = v["clear"].get<bool>();
        }
      } else {
        problem(p, "must be a string (typed literally) or {\"text\": ..., \"clear\": true}");
      }
      check_refs(s.text, p);
      break;
    case Step::Kind::Key:
      if (v.is_string()) {
        s.text = v.get<std::string>();
      } else if (v.is_object()) {
        check_keys(v, p, {"chord", "repeat", "comment"});
        s.text = get_string(v, "chord", p, true).value_or("");
        s.repeat = get_int(v, "repeat", p, 1).value_or(1);
      } else {
        problem(p, "must be a key chord string like \"Enter\" or \"ctrl+s\", or {\"chord\": ..., \"repeat\": N}");
      }
      if (s.text.empty() && (v.is_string() || v.contains("chord"))) problem(p, "key chord must not be empty");
      if (s.text.find("${") != std::string::npos) problem(p, "keys take no variables (type text with \"type\")");
      break;
    case Step::Kind::Read: {
      if (!need_object("a locator object with \"var\"")) break;
      s.locator = parse_locator(v, p, {"var", "pattern", "whitelist", "font", "expect", "equals", "timeout_ms",
                                       "settle_ms", "mismatch"});
      if (s.locator->kind == Locator::Kind::Point)
        problem(p + ".point", "a read needs an area and a point has none: use a region (\"region\": "
                              "[x, y, width, height]) or an anchored area");
      s.timeout_ms = get_int(v, "timeout_ms", p);
      auto var = get_string(v, "var", p, true);
      if (var) {
        if (!valid_name(*var)) problem(p + ".var", "not a valid variable name: \"" + *var + "\"");
        s.var = *var;
      }
      if (auto pat = get_regex(v, "pattern", p)) s.pattern = pat->source;
      s.whitelist = get_string(v, "whitelist", p).value_or("");
      if (auto font = get_string(v, "font", p)) {
        // The program's UI font file (absolute, or relative to the script), or "none" for OCR alone.
        std::filesystem::path file = *font;
        if (*font != "none" && !file.is_absolute()) file = dir_ / file;
        std::error_code ec;
        auto outside = *font != "none" && !std::filesystem::path(*font).is_absolute() ? leaves_folder(*font)
                                                                                      : std::nullopt;
        if (outside)
          problem(p + ".font", *outside);
        else if (*font != "none" && (font->empty() || !std::filesystem::is_regular_file(file, ec)))
          problem(p + ".font", "font file not found: " + *font);
        else if (*font != "none" && !vision::font_loads(file.string()))
          problem(p + ".font", "not a font file (TrueType/OpenType): " + *font);
        s.font = *font == "none" ? *font : file.string();
      }
      s.expect = get_regex(v, "expect", p);
      s.equals = get_string(v, "equals", p);
      if (s.equals) check_refs(*s.equals, p + ".equals");
      s.settle_ms = get_int(v, "settle_ms", p).value_or(s.settle_ms);
      if (auto m = get_string(v, "mismatch", p)) {
        s.mismatch = *m;
        if (*m != "business" && *m != "application") problem(p + ".mismatch", "must be \"business\" or \"application\"");
      }
      for (const char* key : {"settle_ms", "mismatch"})
        if (v.contains(key) && !v.contains("pattern") && !v.contains("expect"))
          problem(p + "." + key, "only applies with \"pattern\" or \"expect\" (what a reading must match)");
      break;
    }
    case Step::Kind::Assert:
      if (!need_object("a condition object")) break;
      s.condition = parse_condition(v, p, {"reason", "category"});
      s.text = get_string(v, "reason", p).value_or("");
      check_refs(s.text, p + ".reason");
      s.category = get_string(v, "category", p).value_or("application");
      if (s.category != "business" && s.category != "application")
        problem(p + ".category", "must be \"business\" or \"application\"");
      break;
    case Step::Kind::If:
      s.condition = parse_condition(v, p, {});
      if (!j.contains("then")) problem(path, "an \"if\" step needs \"then\"");
      else s.then_steps = parse_steps(j["then"], path + ".then");
      if (j.contains("else")) s.else_steps = parse_steps(j["else"], path + ".else");
      break;
    case Step::Kind::FocusWindow:
      if (v.is_string()) {
        s.text = v.get<std::string>();
      } else if (v.is_object()) {
        check_keys(v, p, {"title", "timeout_ms", "comment"});
        s.text = get_string(v, "title", p, true).value_or("");
        s.timeout_ms = get_int(v, "timeout_ms", p);
      } else {
        problem(p, "must be a window title (part) or {\"title\": ..., \"timeout_ms\": N}");
      }
      if (s.text.empty() && (v.is_string() || (v.is_object() && v.contains("title"))))
        problem(p, "window title must not be empty");
      check_refs(s.text, p);
      break;
    case Step::Kind::Launch: {
      if (!need_object("{\"command\": [...], \"window\": \"title\"}")) break;
      check_keys(v, p, {"command", "window", "timeout_ms", "comment"});
      auto it = v.find("command");
      if (it == v.end()) {
        problem(p, "missing required field \"command\"");
      } else if (it->is_string()) {
        std::istringstream is(it->get<std::string>());
        for (std::string w; is >> w;) s.command.push_back(w);
      } else if (it->is_array() && !it->empty()) {
        for (std::size_t i = 0; i < it->size(); ++i) {
          if (!(*it)[i].is_string()) problem(p + ".command[" + std::to_string(i) + "]", "must be a string");
          else s.command.push_back((*it)[i].get<std::string>());
        }
      }
      if (it != v.end() && s.command.empty()) problem(p + ".command", "must be a non-empty command");
      for (const auto& a : s.command) check_refs(a, p + ".command");
      s.window = get_string(v, "window", p).value_or("");
      check_refs(s.window, p + ".window");
      s.timeout_ms = get_int(v, "timeout_ms", p);
      break;
    }
    case Step::Kind::Done:
      if (v.is_string()) s.text = v.get<std::string>();
      else if (v.is_object()) {
        check_keys(v, p, {"message", "comment"});
        s.text = get_string(v, "message", p).value_or("");
      } else if (!v.is_null()) problem(p, "must be a message string or {\"message\": ...}");
      check_refs(s.text, p);
      break;
    case Step::Kind::Set: {
      if (!need_object("{\"var\": name, \"value\": text}")) break;
      check_keys(v, p, {"var", "value", "comment"});
      auto var = get_string(v, "var", p, true);
      if (var) {
        if (!valid_name(*var)) problem(p + ".var", "not a valid variable name: \"" + *var + "\"");
        s.var = *var;
      }
      s.text = get_string(v, "value", p, true).value_or("");
      check_refs(s.text, p + ".value");
      break;
    }
    case Step::Kind::Fail:
      s.category = "business";
      if (v.is_string()) s.text = v.get<std::string>();
      else if (v.is_object()) {
        check_keys(v, p, {"reason", "category", "comment"});
        s.text = get_string(v, "reason", p, true).value_or("");
        s.category = get_string(v, "category", p).value_or("business");
        if (s.category != "business" && s.category != "application")
          problem(p + ".category", "must be \"business\" or \"application\"");
      } else problem(p, "must be a reason string or {\"reason\": ..., \"category\": ...}");
      check_refs(s.text, p);
      break;
  }
  return s;
}

// {"drag": {<where to press>, "to": <locator>} | {<where to press>, "by": {"dx": N, "dy": N}}}
void Parser::parse_drag(const json& v, const std::string& p, Step& s) {
  s.locator = parse_locator(v, p, {"to", "by", "timeout_ms"});
  s.timeout_ms = get_int(v, "timeout_ms", p);
  const bool to = v.contains("to"), by = v.contains("by");
  if (to == by) {
    problem(p, to ? "a drag has \"to\" or \"by\", not both"
                  : "a drag needs where to release: \"to\": locator or \"by\": {\"dx\": N, \"dy\": N}");
    if (to) return;
  }
  if (to) s.drop = parse_locator(v["to"], p + ".to", {});
  if (!by) return;
  const json& b = v["by"];
  if (!b.is_object()) {
    problem(p + ".by", "must be {\"dx\": N, \"dy\": N} (pixels), not " + type_name(b));
    return;
  }
  check_keys(b, p + ".by", {"dx", "dy"});
  // Pixels either way: negative is left / up.
  auto offset = [&](const char* key) -> std::optional<int> {
    auto it = b.find(key);
    if (it == b.end()) {
      problem(p + ".by", std::string("missing required field \"") + key + "\"");
      return std::nullopt;
    }
    if (!it->is_number_integer() || std::llabs(it->get<long long>()) > 100000) {
      problem(p + ".by." + key, "must be a whole number of pixels (negative: left/up), not " + it->dump());
      return std::nullopt;
    }
    return it->get<int>();
  };
  auto dx = offset("dx"), dy = offset("dy");
  if (dx && dy) {
    if (*dx == 0 && *dy == 0) problem(p + ".by", "a drag by {\"dx\": 0, \"dy\": 0} goes nowhere");
    else s.by = std::pair{*dx, *dy};
  }
}

}  // namespace dockhand::agent::parsing
