#include "agent/record/script_writer.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cctype>
#include <regex>
#include <set>

#include "vision/vision.h"

namespace dockhand::agent::record {

using nlohmann::json;

namespace {

long long ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(b - a).count();
}

// Pixels that differ between two screens (any channel by more than 16 grey levels).
long long changed_px(const cv::Mat& a, const cv::Mat& b) {
  if (a.size() != b.size() || a.type() != b.type()) return static_cast<long long>(a.total());
  return std::llround(vision::changed_fraction(a, b, 16) * static_cast<double>(a.total()));
}

std::vector<drivers::WindowInfo> new_windows(const Snapshot& before, const Snapshot& after) {
  std::set<std::uint64_t> had;
  for (const auto& w : before.windows)
    if (w.visible) had.insert(w.id);
  std::vector<drivers::WindowInfo> out;
  for (const auto& w : after.windows)
    if (w.visible && !had.count(w.id)) out.push_back(w);
  return out;
}

std::string in_quotes(const std::string& s) { return "\"" + s + "\""; }

std::string var_name(const std::string& label, const std::string& fallback) {
  std::string s = slug(label);
  std::replace(s.begin(), s.end(), '-', '_');
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0]))) s = fallback;
  return s;
}

// The step's name for a click: left, double, right.
std::string click_step(const Intent& i) {
  if (i.button == 3) return "right_click";
  return i.count == 2 ? "double_click" : "click";
}

std::string describe_target(const Target& t) {
  if (t.how == "anchored") {
    for (const char* side : {"right_of", "left_of", "below", "above"})
      if (t.locator.contains(side)) {
        std::string s = side;
        std::replace(s.begin(), s.end(), '_', ' ');
        return "the field " + s + " " + in_quotes(t.label);
      }
  }
  if (t.how == "point") return "a point in the window";
  return in_quotes(t.label.empty() ? "target" : t.label);
}

int timeout_for(long long took_ms) {
  // Headroom: three times what the program took while recording plus 5 s, at least 8 s, rounded up to seconds.
  long long t = std::max<long long>(8000, took_ms * 3 + 5000);
  return static_cast<int>((t + 999) / 1000 * 1000);
}

// Where a drag was released, found on the screen before the press like a click's target. A place with nothing
// unique of its own (a point in the window) or the very thing pressed is no drop target: the drag is written
// as an offset (`by`) from the press instead.
std::optional<Target> drop_target(TargetCutter& cutter, const Snapshot& before, const Intent& drag,
                                  const Target& pressed, const std::string& window_slug, int n) {
  cutter.set_fallback_name(window_slug + "-drop-" + std::to_string(n));
  Target t = cutter.cut(before, drag.to);
  json what = t.locator, pressed_what = pressed.locator;
  what.erase("offset");
  pressed_what.erase("offset");
  if (t.how == "point" || what == pressed_what) return std::nullopt;
  return t;
}

}  // namespace

std::string infer_pattern(const std::string& value) {
  bool blank = false;
  for (unsigned char c : value) blank |= std::isspace(c) != 0 || c >= 0x80;
  if (value.empty()) return "^.*$";
  if (blank || value.size() > 32)
    return "^[^\\r\\n]{1," + std::to_string(std::max<std::size_t>(60, value.size() * 2)) + "}$";
  if (std::all_of(value.begin(), value.end(), [](unsigned char c) { return std::isdigit(c); }))
    return "^[0-9]{1," + std::to_string(std::max<std::size_t>(6, value.size() + 2)) + "}$";
  std::string p = "^";
  for (std::size_t i = 0; i < value.size();) {
    unsigned char c = value[i];
    if (!std::isalnum(c)) {
      if (std::string(".^$|()[]{}*+?\\/").find(char(c)) != std::string::npos) p += '\\';
      p += char(c);
      ++i;
      continue;
    }
    bool up = false, low = false, dig = false;
    std::size_t j = i;
    for (; j < value.size() && std::isalnum(static_cast<unsigned char>(value[j])); ++j) {
      unsigned char d = value[j];
      up |= std::isupper(d) != 0, low |= std::islower(d) != 0, dig |= std::isdigit(d) != 0;
    }
    p += std::string("[") + (up ? "A-Z" : "") + (low ? "a-z" : "") + (dig ? "0-9" : "") + "]{" +
         std::to_string(j - i) + "}";
    i = j;
  }
  return p + "$";
}

bool looks_secret(const std::string& label) {
  static const std::regex secret(R"((pass(word|wort|code|phrase)?|pwd|\bpin\b|secret|kennwort|mot de passe|contrase))",
                                 std::regex::icase);
  return std::regex_search(label, secret);
}

Written write_script(const std::vector<Intent>& intents, TemplateStore& store, const WriteOptions& o) {
  Written out;
  std::string title = o.window_title;
  if (title.empty())
    for (const auto& i : intents)
      if ((i.kind == Intent::Kind::Click || i.kind == Intent::Kind::Drag) && i.before) {
        for (const auto& w : i.before->windows)
          if (w.visible && w.rect.x <= i.at.x && i.at.x < w.rect.x + w.rect.w && w.rect.y <= i.at.y &&
              i.at.y < w.rect.y + w.rect.h) {
            title = w.title;
            break;
          }
        break;
      }
  TargetContext ctx{title, o.vars, ""};
  TargetCutter cutter(store, ctx);
  const std::string window_slug = slug(title).empty() ? "window" : slug(title).substr(0, 20);

  json steps = json::array();
  json vars = json::object();
  std::set<std::string> used_vars;
  if (!title.empty()) steps.push_back({{"focus_window", title}});

  // Comments: one per group of steps (a group ends where the program changed the screen).
  std::size_t group_first = steps.size();
  std::vector<std::string> group_says;
  std::string group_where = title;
  auto close_group = [&] {
    if (group_first < steps.size() && !group_says.empty()) {
      std::string c = (group_where.empty() ? "" : "in " + group_where + ": ");
      for (std::size_t k = 0; k < group_says.size(); ++k) c += (k ? ", " : "") + group_says[k];
      steps[group_first]["comment"] = c;
    }
    group_first = steps.size();
    group_says.clear();
  };

  // Typed text with --var values written ${name} (longest value first, so one value inside another is not split).
  std::vector<std::pair<std::string, std::string>> by_length(o.vars.begin(), o.vars.end());
  std::sort(by_length.begin(), by_length.end(),
            [](const auto& a, const auto& b) { return a.second.size() > b.second.size(); });
  auto with_vars = [&](const std::string& text) {
    // A text equal to a value is that variable; a value inside a longer text only when it is long enough not
    // to turn up by chance (a "5" inside a date stays).
    for (const auto& [name, value] : by_length)
      if (text == value) {
        used_vars.insert(name);
        return "${" + name + "}";
      }
    std::string s = escape_literal(text);
    for (const auto& [name, value] : by_length) {
      if (value.size() < 4) continue;
      std::string lv = escape_literal(value);
      for (std::size_t at = s.find(lv); at != std::string::npos; at = s.find(lv, at + name.size() + 3)) {
        s.replace(at, lv.size(), "${" + name + "}");
        used_vars.insert(name);
      }
    }
    return s;
  };

  std::string last_label;  // the label of the field clicked last (for secrets)
  std::optional<Target> target_of_last_click;
  cv::Point last_click_at;
  int clicks = 0;
  for (std::size_t n = 0; n < intents.size(); ++n) {
    const Intent& it = intents[n];
    const Intent* prev = n ? &intents[n - 1] : nullptr;
    // What the program did after the intent before: a new window, or more than a caret's or a typed
    // character's worth of change.
    bool changed = false;
    long long took = 0;
    std::vector<drivers::WindowInfo> appeared;
    if (prev && prev->before && prev->after && prev->last_change) {
      appeared = new_windows(*prev->before, *prev->after);
      changed = !appeared.empty() || changed_px(prev->before->frame, prev->after->frame) > 1500;
      took = std::max<long long>(0, ms_between(prev->end, *prev->last_change));
    }
    if (changed) close_group();

    std::optional<Target> target;
    std::optional<Target> drop;  // a drag's release point, when it has a locator of its own (else `by`)
    if (it.kind == Intent::Kind::Click || it.kind == Intent::Kind::Drag) {
      if (it.button == 2 && it.kind == Intent::Kind::Click) {
        out.notes.push_back("a middle click was left out (screen scripts have no middle click)");
        continue;
      }
      if (it.button != 1 && it.kind == Intent::Kind::Drag) {
        out.notes.push_back(std::string("a drag with the ") + (it.button == 3 ? "right" : "middle") +
                            " button was left out (the drag step drags with the left button)");
        continue;
      }
      ++clicks;
      cutter.set_fallback_name(window_slug + "-click-" + std::to_string(clicks));
      const bool field = n + 1 < intents.size() && intents[n + 1].kind == Intent::Kind::Type &&
                         intents[n + 1].into_clicked_field;
      target = cutter.cut(*it.before, it.at, field);
      // Where this group happens: the target window, or the dialog clicked in.
      group_where = title.empty() || target->window_title.find(title) != std::string::npos
                        ? title
                        : "the " + target->window_title + " window";
      last_label = target->label;
      target_of_last_click = target;
      last_click_at = it.at;
      if (it.kind == Intent::Kind::Drag) drop = drop_target(cutter, *it.before, it, *target, window_slug, clicks);
      if (target->how == "point")
        out.notes.push_back("click " + std::to_string(clicks) + " has nothing unique around it: written as a point in the window");
      // A window of another program (not the target, not one of its dialogs): the runner must switch to it.
      bool in_target = title.empty() || target->window_title.find(title) != std::string::npos;
      bool new_window = prev && prev->after && std::any_of(appeared.begin(), appeared.end(), [&](const auto& w) {
                          return w.title == target->window_title;
                        });
      if (!in_target && !new_window && !target->window_title.empty()) {
        int pid_target = 0, pid_here = 0;
        for (const auto& w : it.before->windows) {
          if (w.title.find(title) != std::string::npos && !pid_target) pid_target = w.pid;
          if (w.title == target->window_title) pid_here = w.pid;
        }
        if (pid_here == 0 || pid_here != pid_target) {
          close_group();
          steps.push_back({{"focus_window", target->window_title}});
          group_where = target->window_title;
        }
      }
    }

    if (changed && prev && prev->before && prev->after) {
      // Wait for the next target, when it was not on the screen before the program changed it; else for something
      // the program showed.
      std::optional<json> wait;
      if (target && target->how != "point" && !cutter.lands(*prev->before, target->locator)) wait = target->locator;
      if (!wait)
        if (auto fresh = cutter.something_new(*prev->before, *prev->after)) wait = fresh->locator;
      if (!wait) wait = json{{"stable_ms", 1000}};
      (*wait)["timeout_ms"] = timeout_for(took);
      // The offset is the click's; waiting only needs the thing itself.
      if (wait->contains("offset") && !wait->contains("right_of") && !wait->contains("left_of") &&
          !wait->contains("below") && !wait->contains("above"))
        wait->erase("offset");
      steps.push_back({{"wait", *wait}});
    }

    switch (it.kind) {
      case Intent::Kind::Click: {
        steps.push_back({{click_step(it), target->locator}});
        group_says.push_back(std::string(it.count == 2 ? "double-click " : it.button == 3 ? "right-click " : "click ") +
                             describe_target(*target));
        break;
      }
      case Intent::Kind::Drag: {
        json step = target->locator;
        if (drop) step["to"] = drop->locator;
        else step["by"] = {{"dx", it.to.x - it.at.x}, {"dy", it.to.y - it.at.y}};
        steps.push_back({{"drag", step}});
        group_says.push_back("drag " + describe_target(*target) + " " +
                             (drop ? "to " + describe_target(*drop)
                                   : "by (" + std::to_string(it.to.x - it.at.x) + ", " +
                                         std::to_string(it.to.y - it.at.y) + ")"));
        break;
      }
      case Intent::Kind::Type: {
        // Secret: typed with the secret key on, into a field labelled like a password, or into a field that showed
        // a mask (****) instead of the characters.
        bool masked = false;
        if (!it.secret && it.into_clicked_field && it.before && it.after && target_of_last_click) {
          const cv::Rect row(target_of_last_click->window.x, last_click_at.y - 16, target_of_last_click->window.width, 32);
          masked = vision::looks_masked(it.before->frame, it.after->frame, row,
                                        static_cast<int>(std::count_if(it.text.begin(), it.text.end(), [](char c) {
                                          return (static_cast<unsigned char>(c) & 0xc0) != 0x80;
                                        })));
        }
        bool secret = it.secret || masked || (it.into_clicked_field && looks_secret(last_label));
        std::string text;
        if (secret) {
          std::string name = var_name(it.secret && !looks_secret(last_label) ? "secret" : last_label, "secret");
          std::string base = name;
          for (int k = 2; vars.contains(name) || o.vars.count(name); ++k) name = base + "_" + std::to_string(k);
          vars[name] = {{"secret", true},
                        {"description", "typed into " + in_quotes(last_label.empty() ? "a field" : last_label) +
                                            " while recording (never saved): pass it with --var " + name + "=..."}};
          text = "${" + name + "}";
          group_says.push_back("type the secret ${" + name + "}");
        } else {
          text = with_vars(it.text);
          group_says.push_back("type " + (text.find("${") != std::string::npos ? text : in_quotes(text)));
        }
        if (it.into_clicked_field) steps.push_back({{"type", {{"text", text}, {"clear", true}}}});
        else steps.push_back({{"type", text}});
        break;
      }
      case Intent::Kind::Key: {
        if (it.repeat > 1) steps.push_back({{"key", {{"chord", it.chord}, {"repeat", it.repeat}}}});
        else steps.push_back({{"key", it.chord}});
        group_says.push_back("press " + it.chord + (it.repeat > 1 ? " x" + std::to_string(it.repeat) : ""));
        break;
      }
    }
  }
  close_group();

  for (const auto& [name, value] : o.vars) {
    if (!used_vars.count(name)) {
      out.notes.push_back("--var " + name + " was never typed: not in the script");
      continue;
    }
    vars[name] = {{"pattern", infer_pattern(value)}, {"description", "recorded with --var " + name}};
  }
  json doc = {{"name", o.name},
              {"description", "Recorded with dockhand-agent record. Check the waits and patterns, then run it with "
                              "dockhand-agent run (docs/screen-scripts.md, Recording)."},
              {"window", title},
              {"vars", vars},
              {"defaults", {{"timeout_ms", 10000}, {"score", 0.9}}},
              {"steps", steps}};
  if (title.empty()) doc.erase("window");
  auto loaded = parse_script(doc, store.dir());
  if (!loaded.ok()) {
    std::string all;
    for (const auto& p : loaded.problems) all += "\n  " + p.str();
    throw std::runtime_error("the recorded script does not validate:" + all);
  }
  out.script = std::move(doc);
  return out;
}

}  // namespace dockhand::agent::record
