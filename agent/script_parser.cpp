// The script parser: fields, locators and conditions (script_steps.cpp: the steps).
#include "agent/script_parser.h"

#include <opencv2/imgcodecs.hpp>

#include <regex>

namespace dockhand::agent::parsing {

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

void Parser::check_keys(const json& obj, const std::string& path, const std::set<std::string>& allowed) {
  for (const auto& [k, v] : obj.items())
    if (!allowed.count(k)) {
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
      problem(path + "." + k, "unknown field (allowed: " + list + ")");
    }
}

void Parser::check_refs(const std::string& text, const std::string& path) {
  for (const auto& name : references(text)) {
    if (!valid_name(name))
      problem(path, "bad variable reference ${" + name + "}");
    else if (!defined.count(name))
      problem(path, "undefined variable ${" + name + "} (declare it in \"vars\" or set it with a read)");
  }
}

std::optional<std::string> Parser::get_string(const json& obj, const char* key, const std::string& path,
                                              bool required) {
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

std::optional<int> Parser::get_int(const json& obj, const char* key, const std::string& path, int min) {
  auto it = obj.find(key);
  if (it == obj.end()) return std::nullopt;
  if (!it->is_number_integer() || it->get<long long>() < min || it->get<long long>() > 86400000) {
    problem(path + "." + key, "must be a whole number >= " + std::to_string(min));
    return std::nullopt;
  }
  return it->get<int>();
}

std::optional<double> Parser::get_number(const json& obj, const char* key, const std::string& path, double lo,
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

std::optional<std::pair<int, int>> Parser::get_pair(const json& obj, const char* key, const std::string& path,
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

std::optional<Regex> Parser::get_regex(const json& obj, const char* key, const std::string& path) {
  auto s = get_string(obj, key, path);
  if (!s) return std::nullopt;
  try {
    return Regex{*s, std::regex(*s, std::regex::ECMAScript)};
  } catch (const std::regex_error& e) {
    problem(path + "." + key, "bad regex \"" + *s + "\": " + e.what());
    return std::nullopt;
  }
}

std::vector<double> Parser::get_scales(const json& obj, const char* key, const std::string& path) {
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

const std::set<std::string>& Parser::locator_keys() {
  static const std::set<std::string> keys = {"image", "score", "scale", "text", "similarity", "point", "region",
                                             "right_of", "below", "above", "left_of", "within", "offset", "size",
                                             "comment"};
  return keys;
}

std::shared_ptr<Locator> Parser::sub_locator(const json& obj, const char* key, const std::string& path) {
  auto it = obj.find(key);
  if (it == obj.end()) return nullptr;
  return std::make_shared<Locator>(parse_locator(*it, path + "." + key, {}));
}

bool Parser::get_rect(const json& obj, const char* key, const std::string& path, Locator& loc) {
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

Locator Parser::parse_locator(const json& j, const std::string& path, const std::set<std::string>& extra) {
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

Condition Parser::parse_condition(const json& j, const std::string& path, const std::set<std::string>& extra) {
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

std::optional<std::string> Parser::leaves_folder(const std::string& name) const {
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

}  // namespace dockhand::agent::parsing
