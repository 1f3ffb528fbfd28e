#include "agent/script.h"
#include "agent/script_parser.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>

namespace dockhand::agent {

using nlohmann::json;

const char* kind_name(Step::Kind kind) {
  switch (kind) {
    case Step::Kind::Click: return "click";
    case Step::Kind::DoubleClick: return "double_click";
    case Step::Kind::RightClick: return "right_click";
    case Step::Kind::Drag: return "drag";
    case Step::Kind::Type: return "type";
    case Step::Kind::Key: return "key";
    case Step::Kind::Wait: return "wait";
    case Step::Kind::WaitVanish: return "wait_vanish";
    case Step::Kind::Read: return "read";
    case Step::Kind::Assert: return "assert";
    case Step::Kind::If: return "if";
    case Step::Kind::FocusWindow: return "focus_window";
    case Step::Kind::Launch: return "launch";
    case Step::Kind::Done: return "done";
    case Step::Kind::Fail: return "fail";
    case Step::Kind::Set: return "set";
  }
  return "?";
}

std::string variant_file(const std::filesystem::path& base, double scale) {
  char num[32];
  std::snprintf(num, sizeof num, "%g", scale);
  return (base.parent_path() / (base.stem().string() + "@" + num + base.extension().string())).string();
}

std::string Locator::describe() const {
  std::string s;
  switch (kind) {
    case Kind::Image: s = "image \"" + image + "\""; break;
    case Kind::Text: s = "text \"" + text + "\""; break;
    case Kind::Point: s = "point [" + std::to_string(point_x) + ", " + std::to_string(point_y) + "]"; break;
    case Kind::Region:
      s = "region [" + std::to_string(region_x) + ", " + std::to_string(region_y) + ", " + std::to_string(region_w) +
          ", " + std::to_string(region_h) + "]";
      break;
    case Kind::Anchored: s = "the area"; break;
  }
  if (anchor != Anchor::None && anchor_of) {
    static const char* names[] = {"", " right of ", " below ", " above ", " left of "};
    s += names[static_cast<int>(anchor)] + anchor_of->describe();
  }
  if (within) s += " within " + within->describe();
  return s;
}

std::string Condition::describe() const {
  switch (kind) {
    case Kind::VarEquals: return var + " == \"" + value + "\"";
    case Kind::VarNotEquals: return var + " != \"" + value + "\"";
    case Kind::VarMatches: return var + " matches /" + (regex ? regex->source : "") + "/";
    case Kind::Exists: return "exists " + (locator ? locator->describe() : "");
    case Kind::Absent: return "absent " + (locator ? locator->describe() : "");
  }
  return "?";
}

std::vector<std::string> references(std::string_view text) {
  std::vector<std::string> names;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '$') continue;
    if (i + 1 < text.size() && text[i + 1] == '$') { ++i; continue; }  // "$$" escapes
    if (i + 1 < text.size() && text[i + 1] == '{') {
      auto end = text.find('}', i + 2);
      if (end == std::string_view::npos) break;
      names.emplace_back(text.substr(i + 2, end - i - 2));
      i = end;
    }
  }
  return names;
}

std::string substitute(std::string_view text, const Vars& vars) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '$' && i + 1 < text.size() && text[i + 1] == '$') {
      out += '$';
      ++i;
      continue;
    }
    if (c == '$' && i + 1 < text.size() && text[i + 1] == '{') {
      auto end = text.find('}', i + 2);
      if (end != std::string_view::npos) {
        std::string name(text.substr(i + 2, end - i - 2));
        auto it = vars.find(name);
        if (it == vars.end()) throw std::out_of_range("undefined variable ${" + name + "}");
        out += it->second;  // inserted as is: never scanned again
        i = end;
        continue;
      }
    }
    out += c;
  }
  return out;
}

using parsing::Parser;
using parsing::type_name;
using parsing::valid_name;
using parsing::collect_read_vars;

LoadResult parse_script(const json& doc, const std::filesystem::path& dir, const std::filesystem::path& file) {
  Parser ps(dir);
  auto script = std::make_shared<Script>();
  script->file = file;
  script->dir = dir;
  if (!doc.is_object()) {
    return {nullptr, {{"", "a script is a JSON object with \"steps\", not " + type_name(doc)}}};
  }
  ps.check_keys(doc, "", {"name", "description", "comment", "window", "vars", "defaults", "handlers", "steps",
                          "outputs"});
  // check_keys builds ".field" paths; at top level the path is the field itself.
  for (auto& pr : ps.problems)
    if (!pr.path.empty() && pr.path[0] == '.') pr.path.erase(0, 1);

  script->name = ps.get_string(doc, "name", "").value_or(file.empty() ? "script" : file.parent_path().filename().string());
  script->window = ps.get_string(doc, "window", "").value_or("");

  if (doc.contains("vars")) {
    const auto& vars = doc["vars"];
    if (!vars.is_object()) {
      ps.problem("vars", "must be an object {\"name\": {\"pattern\": \"...\"}}");
    } else {
      for (const auto& [name, spec] : vars.items()) {
        std::string p = "vars." + name;
        if (!valid_name(name)) ps.problem(p, "not a valid variable name (letters, digits, _)");
        VarSpec vs;
        if (!spec.is_object()) {
          ps.problem(p, "must be an object (may be empty: {})");
        } else {
          ps.check_keys(spec, p, {"pattern", "default", "required", "secret", "description"});
          vs.pattern = ps.get_regex(spec, "pattern", p);
          vs.default_value = ps.get_string(spec, "default", p);
          if (spec.contains("required")) {
            if (!spec["required"].is_boolean()) ps.problem(p + ".required", "must be true or false");
            else vs.required = spec["required"].get<bool>();
          }
          if (spec.contains("secret")) {
            if (!spec["secret"].is_boolean()) ps.problem(p + ".secret", "must be true or false");
            else vs.secret = spec["secret"].get<bool>();
          }
          if (vs.default_value && vs.pattern && !vs.pattern->full_match(*vs.default_value))
            ps.problem(p + ".default", "default \"" + *vs.default_value + "\" does not match the pattern");
        }
        script->vars[name] = std::move(vs);
        ps.defined.insert(name);
      }
    }
  }
  std::set<std::string> read_vars;
  collect_read_vars(doc, read_vars);
  ps.defined.insert(read_vars.begin(), read_vars.end());

  if (doc.contains("defaults")) {
    const auto& d = doc["defaults"];
    if (!d.is_object()) {
      ps.problem("defaults", "must be an object");
    } else {
      ps.check_keys(d, "defaults", {"timeout_ms", "score", "scales", "similarity", "poll_ms"});
      auto& df = script->defaults;
      df.timeout_ms = ps.get_int(d, "timeout_ms", "defaults").value_or(df.timeout_ms);
      df.score = ps.get_number(d, "score", "defaults", 0.1, 1.0).value_or(df.score);
      auto scales = ps.get_scales(d, "scales", "defaults");
      if (!scales.empty()) df.scales = scales;
      df.similarity = ps.get_number(d, "similarity", "defaults", 0.1, 1.0).value_or(df.similarity);
      df.poll_ms = ps.get_int(d, "poll_ms", "defaults", 1).value_or(df.poll_ms);
    }
  }

  if (doc.contains("handlers")) {
    const auto& hs = doc["handlers"];
    if (!hs.is_array()) {
      ps.problem("handlers", "must be a list of {\"when\": locator, \"do\": [steps]}");
    } else {
      for (std::size_t i = 0; i < hs.size(); ++i) {
        std::string p = "handlers[" + std::to_string(i) + "]";
        const auto& h = hs[i];
        if (!h.is_object()) {
          ps.problem(p, "must be {\"when\": locator, \"do\": [steps]}");
          continue;
        }
        ps.check_keys(h, p, {"name", "when", "do", "max_times", "comment"});
        Handler handler;
        handler.path = p;
        handler.name = ps.get_string(h, "name", p).value_or(p);
        if (!h.contains("when")) ps.problem(p, "missing required field \"when\"");
        else handler.when = ps.parse_locator(h["when"], p + ".when", {});
        if (!h.contains("do")) ps.problem(p, "missing required field \"do\"");
        else handler.actions = ps.parse_steps(h["do"], p + ".do");
        handler.max_times = ps.get_int(h, "max_times", p, 1).value_or(handler.max_times);
        script->handlers.push_back(std::move(handler));
      }
    }
  }

  if (!doc.contains("steps")) ps.problem("steps", "missing: a script needs a list of steps");
  else script->steps = ps.parse_steps(doc["steps"], "steps");

  if (doc.contains("outputs")) {
    const auto& outs = doc["outputs"];
    if (!outs.is_array()) {
      ps.problem("outputs", "must be a list of variable names");
    } else {
      for (std::size_t i = 0; i < outs.size(); ++i) {
        std::string p = "outputs[" + std::to_string(i) + "]";
        if (!outs[i].is_string()) {
          ps.problem(p, "must be a variable name");
          continue;
        }
        auto name = outs[i].get<std::string>();
        if (!ps.defined.count(name)) ps.problem(p, "undefined variable \"" + name + "\"");
        script->outputs.push_back(name);
      }
    }
  }

  if (!ps.problems.empty()) return {nullptr, std::move(ps.problems)};
  return {script, {}};
}

LoadResult load_script(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) return {nullptr, {{"", "cannot read script file " + file.string()}}};
  json doc;
  try {
    doc = json::parse(in, nullptr, true, /*ignore_comments=*/true);
  } catch (const json::parse_error& e) {
    return {nullptr, {{"", file.string() + ": not valid JSON: " + e.what()}}};
  }
  auto dir = file.parent_path();
  if (dir.empty()) dir = ".";
  return parse_script(doc, dir, file);
}

std::vector<Problem> check_vars(const Script& script, const Vars& given, Vars* resolved) {
  std::vector<Problem> problems;
  Vars all;
  for (const auto& [name, value] : given) {
    if (!script.vars.count(name)) {
      std::string known;
      for (const auto& [n, s] : script.vars) known += (known.empty() ? "" : ", ") + n;
      problems.push_back({"vars." + name, "not a variable of this script (its variables: " +
                                              (known.empty() ? std::string("none") : known) + ")"});
    }
  }
  for (const auto& [name, spec] : script.vars) {
    auto it = given.find(name);
    if (it == given.end()) {
      if (spec.default_value) all[name] = *spec.default_value;
      else if (spec.required) problems.push_back({"vars." + name, "missing required variable (pass --var " + name + "=...)"});
      else all[name] = "";
      continue;
    }
    if (spec.pattern && !spec.pattern->full_match(it->second)) {
      std::string shown = spec.secret ? "(secret)" : "\"" + it->second + "\"";
      problems.push_back({"vars." + name, "value " + shown + " does not match the pattern " + spec.pattern->source});
    }
    all[name] = it->second;
  }
  if (resolved) *resolved = std::move(all);
  return problems;
}

}  // namespace dockhand::agent
