#include "agent/script.h"
#include "vision/vision.h"

#include <opencv2/imgcodecs.hpp>

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

namespace {

bool valid_name(const std::string& s) {
  static const std::regex re("^[A-Za-z_][A-Za-z0-9_]*$");
  return std::regex_match(s, re);
}

std::string type_name(const json& j) {
  switch (j.type()) {
    case json::value_t::null: return "null";
    case json::value_t::object: return "an object";
    case json::value_t::array: return "an array";
    case json::value_t::string: return "a string";
    case json::value_t::boolean: return "a boolean";
    default: return "a number";
  }
}

// Collects every read's and set's var name (anywhere in the document), so references to them are defined.
void collect_read_vars(const json& j, std::set<std::string>& out) {
  if (j.is_object()) {
    for (const char* step : {"read", "set"}) {
      auto it = j.find(step);
      if (it != j.end() && it->is_object()) {
        auto v = it->find("var");
        if (v != it->end() && v->is_string()) out.insert(v->get<std::string>());
      }
    }
    for (const auto& [k, v] : j.items()) collect_read_vars(v, out);
  } else if (j.is_array()) {
    for (const auto& v : j) collect_read_vars(v, out);
  }
}

class Parser {
 public:
  Parser(const std::filesystem::path& dir) : dir_(dir) {}

  std::vector<Problem> problems;
  std::set<std::string> defined;

  void problem(const std::string& path, const std::string& msg) { problems.push_back({path, msg}); }

  void check_keys(const json& obj, const std::string& path, const std::set<std::string>& allowed) {
    for (const auto& [k, v] : obj.items())
      if (!allowed.count(k)) {
        std::string list;
        for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
        problem(path + "." + k, "unknown field (allowed: " + list + ")");
      }
  }

  void check_refs(const std::string& text, const std::string& path) {
    for (const auto& name : references(text)) {
      if (!valid_name(name))
        problem(path, "bad variable reference ${" + name + "}");
      else if (!defined.count(name))
        problem(path, "undefined variable ${" + name + "} (declare it in \"vars\" or set it with a read)");
    }
  }

  std::optional<std::string> get_string(const json& obj, const char* key, const std::string& path,
                                        bool required = false) {
    auto it = obj.find(key);
    if (it == obj.end()) {
      if (required) problem(path, std::string("missing required field \"") + key + "\"");
      return std::nullopt;
    }
    if (!it->is_string()) {
      problem(path + "." + key, "must be a string, not " + type_name(*it));
      return std::nullopt;
    }
    return it->get<std::string>();
  }

  std::optional<int> get_int(const json& obj, const char* key, const std::string& path, int min = 0) {
    auto it = obj.find(key);
    if (it == obj.end()) return std::nullopt;
    if (!it->is_number_integer() || it->get<long long>() < min || it->get<long long>() > 86400000) {
      problem(path + "." + key, "must be a whole number >= " + std::to_string(min));
      return std::nullopt;
    }
    return it->get<int>();
  }

  std::optional<double> get_number(const json& obj, const char* key, const std::string& path, double lo,
                                   double hi) {
    auto it = obj.find(key);
    if (it == obj.end()) return std::nullopt;
    if (!it->is_number() || it->get<double>() < lo || it->get<double>() > hi) {
      std::ostringstream os;
      os << "must be a number from " << lo << " to " << hi;
      problem(path + "." + key, os.str());
      return std::nullopt;
    }
    return it->get<double>();
  }

  std::optional<std::pair<int, int>> get_pair(const json& obj, const char* key, const std::string& path,
                                              bool positive) {
    auto it = obj.find(key);
    if (it == obj.end()) return std::nullopt;
    if (!it->is_array() || it->size() != 2 || !(*it)[0].is_number_integer() || !(*it)[1].is_number_integer() ||
        (positive && ((*it)[0].get<int>() <= 0 || (*it)[1].get<int>() <= 0))) {
      problem(path + "." + key, positive ? "must be [width, height], two whole numbers > 0"
                                         : "must be [x, y], two whole numbers");
      return std::nullopt;
    }
    return std::make_pair((*it)[0].get<int>(), (*it)[1].get<int>());
  }

  std::optional<Regex> get_regex(const json& obj, const char* key, const std::string& path) {
    auto s = get_string(obj, key, path);
    if (!s) return std::nullopt;
    try {
      return Regex{*s, std::regex(*s, std::regex::ECMAScript)};
    } catch (const std::regex_error& e) {
      problem(path + "." + key, "bad regex \"" + *s + "\": " + e.what());
      return std::nullopt;
    }
  }

  std::vector<double> get_scales(const json& obj, const char* key, const std::string& path) {
    auto it = obj.find(key);
    if (it == obj.end()) return {};
    std::vector<double> out;
    auto one = [&](const json& v) {
      if (!v.is_number() || v.get<double>() < 0.25 || v.get<double>() > 4) return false;
      out.push_back(v.get<double>());
      return true;
    };
    bool ok = true;
    if (it->is_array() && !it->empty()) {
      for (const auto& v : *it) ok = one(v) && ok;
    } else {
      ok = one(*it);
    }
    if (!ok) problem(path + "." + key, "must be a scale (0.25..4) or a non-empty list of scales");
    return out;
  }

  static const std::set<std::string>& locator_keys() {
    static const std::set<std::string> keys = {"image", "score", "scale", "text", "similarity", "point", "region",
                                               "right_of", "below", "above", "left_of", "within", "offset", "size",
                                               "comment"};
    return keys;
  }

  std::shared_ptr<Locator> sub_locator(const json& obj, const char* key, const std::string& path) {
    auto it = obj.find(key);
    if (it == obj.end()) return nullptr;
    return std::make_shared<Locator>(parse_locator(*it, path + "." + key, {}));
  }

  // "region": [x, y, w, h] with w, h > 0.
  bool get_rect(const json& obj, const char* key, const std::string& path, Locator& loc) {
    const json& v = obj[key];
    auto whole = [](const json& n) { return n.is_number_integer(); };
    if (!v.is_array() || v.size() != 4 || !std::all_of(v.begin(), v.end(), whole) || v[2].get<int>() <= 0 ||
        v[3].get<int>() <= 0) {
      problem(path + "." + key, "must be [x, y, width, height], four whole numbers, width and height > 0");
      return false;
    }
    loc.region_x = v[0].get<int>();
    loc.region_y = v[1].get<int>();
    loc.region_w = v[2].get<int>();
    loc.region_h = v[3].get<int>();
    return true;
  }

  // Parses a locator object; `extra` are the fields the enclosing step adds (timeout_ms, var, ...),
  // already checked by the caller. Every field must mean something for the locator's kind: a field the runner
  // would ignore is an error, so a script never means less than it says.
  Locator parse_locator(const json& j, const std::string& path, const std::set<std::string>& extra) {
    Locator loc;
    loc.path = path;
    if (!j.is_object()) {
      problem(path, "a locator must be an object (image, text, point, region, right_of, below, above, left_of, "
                    "within), not " + type_name(j));
      return loc;
    }
    std::set<std::string> allowed = locator_keys();
    allowed.insert(extra.begin(), extra.end());
    check_keys(j, path, allowed);

    int kinds = 0;
    if (auto image = get_string(j, "image", path)) {
      ++kinds;
      loc.kind = Locator::Kind::Image;
      loc.image = *image;
      loc.image_file = dir_ / *image;
      std::error_code ec;
      if (auto outside = leaves_folder(*image)) {
        problem(path + ".image", *outside);
      } else if (image->empty() || !std::filesystem::is_regular_file(loc.image_file, ec)) {
        problem(path + ".image", "template file not found: " + *image);
      } else if (cv::imread(loc.image_file.string(), cv::IMREAD_UNCHANGED).empty()) {
        problem(path + ".image", "template is not a readable image: " + *image);
      }
    }
    if (auto text = get_string(j, "text", path)) {
      ++kinds;
      loc.kind = Locator::Kind::Text;
      loc.text = *text;
      if (text->find_first_not_of(" \t") == std::string::npos) problem(path + ".text", "must not be empty");
      check_refs(*text, path + ".text");
    }
    if (auto p = get_pair(j, "point", path, false)) {
      ++kinds;
      loc.kind = Locator::Kind::Point;
      loc.point_x = p->first;
      loc.point_y = p->second;
    } else if (j.contains("point")) {
      ++kinds;
    }
    if (j.contains("region")) {
      ++kinds;
      if (get_rect(j, "region", path, loc)) loc.kind = Locator::Kind::Region;
    }
    loc.score = get_number(j, "score", path, 0.1, 1.0);
    loc.scales = get_scales(j, "scale", path);
    loc.similarity = get_number(j, "similarity", path, 0.1, 1.0);
    if (loc.kind != Locator::Kind::Image) {
      if (j.contains("score")) problem(path + ".score", "only applies to an image locator");
      if (j.contains("scale")) problem(path + ".scale", "only applies to an image locator");
    }
    if (loc.kind != Locator::Kind::Text && j.contains("similarity"))
      problem(path + ".similarity", "only applies to a text locator");

    static const std::pair<const char*, Locator::Anchor> anchors[] = {{"right_of", Locator::Anchor::RightOf},
                                                                      {"below", Locator::Anchor::Below},
                                                                      {"above", Locator::Anchor::Above},
                                                                      {"left_of", Locator::Anchor::LeftOf}};
    std::string anchor_key;
    for (const auto& [key, anchor] : anchors) {
      if (!j.contains(key)) continue;
      if (!anchor_key.empty()) {
        problem(path + "." + key, "one anchor per locator (found \"" + anchor_key + "\" and \"" + key +
                                      "\"): nest them instead");
        continue;
      }
      anchor_key = key;
      loc.anchor = anchor;
      loc.anchor_of = sub_locator(j, key, path);
    }
    loc.within = sub_locator(j, "within", path);
    if (auto o = get_pair(j, "offset", path, false)) std::tie(loc.offset_x, loc.offset_y) = *o;
    loc.size = get_pair(j, "size", path, true);

    if (kinds > 1) problem(path, "a locator has one of image, text, point, region (found several)");
    if (kinds == 0 && anchor_key.empty())
      problem(path, "a locator needs one of image, text, point, region, right_of, below, above, left_of");
    if (kinds == 1 && loc.kind == Locator::Kind::Anchored) return loc;  // its kind's field was bad: said already
    if (kinds == 0) loc.kind = Locator::Kind::Anchored;

    // Fields the kind would ignore.
    const bool fixed = loc.kind == Locator::Kind::Point || loc.kind == Locator::Kind::Region;
    const char* kind = loc.kind == Locator::Kind::Point ? "a point locator" : "a region locator";
    if (fixed && !anchor_key.empty())
      problem(path + "." + anchor_key, std::string(kind) + " is fixed (relative to the window's client area, or to "
                                       "\"within\"): " + anchor_key + " means nothing for it; use \"within\"");
    if (j.contains("size")) {
      if (loc.kind == Locator::Kind::Point)
        problem(path + ".size", "a point locator has no size; use a region (\"region\": [x, y, width, height])");
      else if (loc.kind == Locator::Kind::Region)
        problem(path + ".size", "a region locator has its size in \"region\": [x, y, width, height]");
      else if (anchor_key.empty() && kinds == 1)
        problem(path + ".size", std::string(loc.kind == Locator::Kind::Image ? "an image" : "a text") +
                                    " locator is as big as what it finds; size means something only with an anchor "
                                    "(right_of, below, above, left_of); for a fixed area use a region");
    }
    return loc;
  }

  Condition parse_condition(const json& j, const std::string& path, const std::set<std::string>& extra) {
    Condition c;
    if (!j.is_object()) {
      problem(path, "a condition must be an object ({\"var\", \"equals\"} or {\"exists\": locator}), not " +
                        type_name(j));
      return c;
    }
    std::set<std::string> allowed = {"var", "equals", "not_equals", "matches", "exists", "absent", "timeout_ms",
                                     "comment"};
    allowed.insert(extra.begin(), extra.end());
    check_keys(j, path, allowed);
    int forms = 0;
    if (j.contains("exists")) {
      ++forms;
      c.kind = Condition::Kind::Exists;
      c.locator = parse_locator(j["exists"], path + ".exists", {});
    }
    if (j.contains("absent")) {
      ++forms;
      c.kind = Condition::Kind::Absent;
      c.locator = parse_locator(j["absent"], path + ".absent", {});
    }
    if (auto t = get_int(j, "timeout_ms", path)) c.timeout_ms = *t;
    if (j.contains("var")) {
      auto var = get_string(j, "var", path);
      if (var) {
        c.var = *var;
        if (!defined.count(*var)) problem(path + ".var", "undefined variable \"" + *var + "\"");
      }
      int tests = 0;
      if (auto v = get_string(j, "equals", path)) {
        ++tests;
        c.kind = Condition::Kind::VarEquals;
        c.value = *v;
        check_refs(*v, path + ".equals");
      }
      if (auto v = get_string(j, "not_equals", path)) {
        ++tests;
        c.kind = Condition::Kind::VarNotEquals;
        c.value = *v;
        check_refs(*v, path + ".not_equals");
      }
      if (j.contains("matches")) {
        ++tests;
        c.kind = Condition::Kind::VarMatches;
        c.regex = get_regex(j, "matches", path);
      }
      if (tests != 1) problem(path, "a var condition needs exactly one of equals, not_equals, matches");
      if (j.contains("timeout_ms"))
        problem(path + ".timeout_ms", "a var condition is checked once; timeout_ms only applies to exists/absent");
      ++forms;
    } else if (j.contains("equals") || j.contains("not_equals") || j.contains("matches")) {
      problem(path, "equals / not_equals / matches need \"var\"");
    }
    if (forms != 1) problem(path, "a condition is exactly one of {var + equals|not_equals|matches}, exists, absent");
    return c;
  }

  Steps parse_steps(const json& j, const std::string& path) {
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

  std::optional<Step> parse_step(const json& j, const std::string& path) {
    static const std::map<std::string, Step::Kind> kinds = {
        {"click", Step::Kind::Click},       {"double_click", Step::Kind::DoubleClick},
        {"right_click", Step::Kind::RightClick}, {"type", Step::Kind::Type},
        {"key", Step::Kind::Key},           {"wait", Step::Kind::Wait},
        {"wait_vanish", Step::Kind::WaitVanish}, {"read", Step::Kind::Read},
        {"assert", Step::Kind::Assert},     {"if", Step::Kind::If},
        {"focus_window", Step::Kind::FocusWindow}, {"launch", Step::Kind::Launch},
        {"done", Step::Kind::Done},         {"fail", Step::Kind::Fail},
        {"set", Step::Kind::Set}};
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

 private:
  // A template (or relative font) names a file in the script's folder: relative, no "..", and no symbolic
  // link leading out of the folder (a recordings folder is all an agent may read for a job). Why not, or
  // nullopt when it stays inside.
  std::optional<std::string> leaves_folder(const std::string& name) const {
    std::filesystem::path relative(name);
    if (relative.is_absolute())
      return "must be a path relative to the script's folder (like templates/ok.png), not an absolute path: " + name;
    for (const auto& part : relative)
      if (part == "..") return "must not climb out of the script's folder with \"..\": " + name;
    std::error_code ec;
    auto folder = std::filesystem::weakly_canonical(std::filesystem::absolute(dir_, ec), ec);
    auto target = std::filesystem::weakly_canonical(std::filesystem::absolute(dir_ / relative, ec), ec);
    if (ec) return std::nullopt;  // not there: "not found" is said next
    auto [end, ignored] = std::mismatch(folder.begin(), folder.end(), target.begin(), target.end());
    if (end != folder.end()) return "leads out of the script's folder through a symbolic link: " + name;
    return std::nullopt;
  }

  std::filesystem::path dir_;
};

}  // namespace

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
