// agent/'s own header: the script parser, shared by script_parser.cpp (fields, locators, conditions) and
// script_steps.cpp (steps). Not a public header: agent/script.h is.
#pragma once

#include "agent/script.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace dockhand::agent::parsing {

using nlohmann::json;

bool valid_name(const std::string& s);
std::string type_name(const json& j);
// Collects every read's and set's var name (anywhere in the document), so references to them are defined.
void collect_read_vars(const json& j, std::set<std::string>& out);

// Reads a script document into the script's structures, collecting every problem with its JSON path.
class Parser {
 public:
  Parser(const std::filesystem::path& dir) : dir_(dir) {}

  std::vector<Problem> problems;
  std::set<std::string> defined;

  void problem(const std::string& path, const std::string& msg) { problems.push_back({path, msg}); }

  void check_keys(const json& obj, const std::string& path, const std::set<std::string>& allowed);

  void check_refs(const std::string& text, const std::string& path);

  std::optional<std::string> get_string(const json& obj, const char* key, const std::string& path,
                                        bool required = false);

  std::optional<int> get_int(const json& obj, const char* key, const std::string& path, int min = 0);

  std::optional<double> get_number(const json& obj, const char* key, const std::string& path, double lo,
                                   double hi);

  std::optional<std::pair<int, int>> get_pair(const json& obj, const char* key, const std::string& path,
                                              bool positive);

  std::optional<Regex> get_regex(const json& obj, const char* key, const std::string& path);

  std::vector<double> get_scales(const json& obj, const char* key, const std::string& path);

  static const std::set<std::string>& locator_keys();

  std::shared_ptr<Locator> sub_locator(const json& obj, const char* key, const std::string& path);

  // "region": [x, y, w, h] with w, h > 0.
  bool get_rect(const json& obj, const char* key, const std::string& path, Locator& loc);

  // Parses a locator object; `extra` are the fields the enclosing step adds (timeout_ms, var, ...),
  // already checked by the caller. Every field must mean something for the locator's kind: a field the runner
  // would ignore is an error, so a script never means less than it says.
  Locator parse_locator(const json& j, const std::string& path, const std::set<std::string>& extra);

  Condition parse_condition(const json& j, const std::string& path, const std::set<std::string>& extra);

  Steps parse_steps(const json& j, const std::string& path);
  void parse_drag(const json& v, const std::string& path, Step& s);

  std::optional<Step> parse_step(const json& j, const std::string& path);

 private:
  // A template (or relative font) names a file in the script's folder: relative, no "..", and no symbolic
  // link leading out of the folder (a recordings folder is all an agent may read for a job). Why not, or
  // nullopt when it stays inside.
  std::optional<std::string> leaves_folder(const std::string& name) const;

  std::filesystem::path dir_;
};

}  // namespace dockhand::agent::parsing
