// Screen scripts: the JSON format of docs/screen-scripts.md, parsed into a typed tree and validated.
// load_script() reports EVERY problem it finds, each with its path in the document
// ("steps[3].click.image: template file not found: templates/x.png"), so a script with errors is refused
// before anything touches the screen.
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

namespace dockhand::agent {

using Vars = std::map<std::string, std::string>;

struct Problem {
  std::string path;     // where in the script, e.g. "steps[3].click.image"; "vars.po" for run-time values
  std::string message;  // what is wrong
  std::string str() const { return path.empty() ? message : path + ": " + message; }
};

// A regex kept with its source text (for messages and evidence).
struct Regex {
  std::string source;
  std::regex re;
  bool full_match(const std::string& s) const { return std::regex_match(s, re); }
  bool search(const std::string& s) const { return std::regex_search(s, re); }
};

// Where something is on the screen. The result of resolving a locator is always a region (a rectangle);
// clicks go to its centre. `text` and `point` fields may contain ${var} references.
struct Locator {
  // Anchored: only an anchor (right_of/below/above/left_of) defines it; Region: a fixed rectangle.
  enum class Kind { Anchored, Image, Text, Point, Region };
  enum class Anchor { None, RightOf, Below, Above, LeftOf };

  std::string path;  // e.g. "steps[2].click"
  Kind kind = Kind::Region;

  std::string image;                  // as written (relative to the script folder)
  std::filesystem::path image_file;   // resolved
  std::optional<double> score;        // minimum score; default from defaults.score
  std::vector<double> scales;         // empty = defaults.scales

  std::string text;                   // OCR text to find (fuzzy)
  std::optional<double> similarity;   // default from defaults.similarity

  int point_x = 0, point_y = 0;       // relative to `within` if given, else to the window's client area (or screen)
  int region_x = 0, region_y = 0, region_w = 0, region_h = 0;  // Region: [x, y, w, h], relative as point

  Anchor anchor = Anchor::None;
  std::shared_ptr<Locator> anchor_of;  // the locator we are right of / below / above / left of
  std::shared_ptr<Locator> within;     // narrows the search to this locator's region
  int offset_x = 0, offset_y = 0;      // moves the result (UI pixels at scale 1.0)
  std::optional<std::pair<int, int>> size;  // result size for anchor regions (UI pixels at scale 1.0)

  std::string describe() const;  // short human text: image "templates/ok.png", text "Status:", ...
  // Point and Region without `within`: fixed coordinates relative to the target window's client area.
  bool fixed() const { return (kind == Kind::Point || kind == Kind::Region) && !within; }
};

struct Step;
using Steps = std::vector<Step>;

// A condition for `if` and `assert`.
struct Condition {
  enum class Kind { VarEquals, VarNotEquals, VarMatches, Exists, Absent };
  Kind kind = Kind::Exists;
  std::string var;
  std::string value;  // for equals / not_equals (may contain ${var})
  std::optional<Regex> regex;
  std::optional<Locator> locator;
  int timeout_ms = 0;  // exists/absent: how long to wait for it to become true (0 = look once)
  std::string describe() const;
};

struct Step {
  enum class Kind {
    Click, DoubleClick, RightClick, Type, Key, Wait, WaitVanish, Read, Assert, If, FocusWindow, Launch,
    Done, Fail, Set, Drag
  };
  Kind kind = Kind::Click;
  std::string path;  // e.g. "steps[3].click"

  std::optional<Locator> locator;  // click*, wait, wait_vanish, read; drag: where to press
  std::optional<Locator> drop;     // drag: where to release ("to"); or
  std::optional<std::pair<int, int>> by;  // drag: release this far from the press (UI pixels, "by": {dx, dy})
  std::vector<Locator> any;        // wait: any of these
  std::optional<int> timeout_ms;   // default from defaults.timeout_ms
  int sleep_ms = 0;                // wait {"ms": N}
  std::optional<int> stable_ms;    // wait {"stable_ms": N}: until the window stops changing

  std::string text;      // type: text; key: chord; done: message; fail: reason; focus_window: title
  bool clear = false;    // type: select all and delete first
  int repeat = 1;        // key

  // read, set
  std::string var;  // set: `text` is the value (may contain ${var})
  std::string pattern;    // OCR hint: the value must look like this (also retried until it does)
  std::string whitelist;  // OCR characters allowed
  std::string font;       // read: the program's UI font file ("" = the default, "none" = OCR alone)
  std::optional<Regex> expect;  // the value must match this, else the step fails (application)
  std::optional<std::string> equals;  // read: the value must equal this text (after ${var}), else it keeps looking
  // read: a reading that does not match `pattern`/`expect` while the area stays unchanged for settle_ms fails
  // the step then (category `mismatch`), instead of at the timeout. 0: wait for the timeout.
  int settle_ms = 1500;
  std::string mismatch = "application";  // read: the category of such a failure (business | application)
  std::string category;         // assert / fail: business | application

  Condition condition;  // if / assert
  Steps then_steps, else_steps;

  std::vector<std::string> command;  // launch
  std::string window;                // launch: window title to wait for
};

struct Handler {
  std::string path;  // handlers[0]
  std::string name;
  Locator when;
  Steps actions;
  int max_times = 10;  // per run, so a popup that cannot be dismissed does not loop forever
};

struct VarSpec {
  std::optional<Regex> pattern;
  std::optional<std::string> default_value;
  bool required = true;
  bool secret = false;  // never logged, never put in results
};

struct Defaults {
  int timeout_ms = 10000;
  double score = 0.9;
  std::vector<double> scales = {1.0, 1.25, 1.5};
  double similarity = 0.8;
  int poll_ms = 50;
};

struct Script {
  std::string name;
  std::filesystem::path file;  // the script file (empty when parsed from memory)
  std::filesystem::path dir;   // templates are relative to this
  std::string window;          // title part of the target window; empty = whole screen
  std::map<std::string, VarSpec> vars;
  Defaults defaults;
  std::vector<Handler> handlers;
  Steps steps;
  std::vector<std::string> outputs;
};

struct LoadResult {
  std::shared_ptr<const Script> script;  // null when there are problems
  std::vector<Problem> problems;
  bool ok() const { return problems.empty() && script; }
};

// Parses and validates a script document. `dir` is where templates are looked up.
LoadResult parse_script(const nlohmann::json& doc, const std::filesystem::path& dir,
                        const std::filesystem::path& file = {});
// Reads SCRIPT.json and parses it; a missing file or JSON syntax error is one problem.
LoadResult load_script(const std::filesystem::path& file);

// Checks run-time values against the script: every required var present, every value matching its
// pattern, no value for an undeclared var. Returns the full variable table (defaults filled in).
std::vector<Problem> check_vars(const Script& script, const Vars& given, Vars* resolved = nullptr);

// Replaces ${name} with its value, in one pass: a value that itself contains "${x}", "{ENTER}", "\n" or
// "%s" is inserted as those characters and never expanded again. "$${" writes a literal "${".
// Throws std::out_of_range for a name not in `vars` (the validator makes that impossible for loaded scripts).
std::string substitute(std::string_view text, const Vars& vars);
// Names referenced as ${name} in `text`.
std::vector<std::string> references(std::string_view text);

const char* kind_name(Step::Kind kind);

// The template for `scale`: "x@1.25.png" beside "x.png" (cut by the script's author at that scale: text does not
// scale linearly, fonts snap to whole pixel sizes). Whether it exists is the caller's question.
std::string variant_file(const std::filesystem::path& base, double scale);

}  // namespace dockhand::agent
