#include "args.h"

#include "orchestrator/pretender/sqlite_db.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <fstream>
#include <iostream>
#include <sstream>

namespace dockhand::cli {

namespace {

// CLI11's own wording, made to say which option and what it wants.
std::string message_of(const CLI::ParseError& e) {
  std::string what = e.what();
  if (dynamic_cast<const CLI::ArgumentMismatch*>(&e)) {
    // "--last: 1 required NUMBER missing"
    auto colon = what.find(':');
    if (colon != std::string::npos && what.find("missing") != std::string::npos)
      return what.substr(0, colon) + " needs a value";
  }
  return what;
}

int usage_error(const CLI::App& app, const std::string& help, const std::string& message) {
  auto end = help.find("\n\n");
  std::cerr << app.get_name() << ": " << message << "\n"
            << help.substr(0, end == std::string::npos ? help.size() : end) << "\n"
            << "('" << app.get_name() << " --help' says more)\n";
  return exit_code::usage;
}

std::string in_quotes(const std::string& value) { return "\"" + value + "\""; }

}  // namespace

std::optional<int> parse(CLI::App& app, const std::vector<std::string>& args, const std::string& help) {
  // --help anywhere answers, even beside a wrong argument.
  for (const auto& a : args)
    if (a == "-h" || a == "--help") {
      std::cout << help;
      return exit_code::ok;
    }
  app.set_help_flag();
  app.allow_extras();
  std::vector<std::string> reversed(args.rbegin(), args.rend());
  try {
    app.parse(reversed);
  } catch (const CLI::ParseError& e) {
    return usage_error(app, help, message_of(e));
  }
  auto extra = app.remaining();
  if (!extra.empty()) {
    const auto& a = extra.front();
    return usage_error(app, help,
                       a.size() > 1 && a[0] == '-' ? "unknown option " + a
                                                   : "unexpected argument " + in_quotes(a) + " (one is enough)");
  }
  return std::nullopt;
}

CLI::Validator whole_number(const std::string& what, const std::string& example, long long min) {
  return CLI::Validator(
      [what, example, min](std::string& value) -> std::string {
        long long n = 0;
        auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
        if (value.empty() || ec != std::errc() || end != value.data() + value.size())
          return in_quotes(value) + " is not " + what + " (e.g. " + example + ")";
        if (n < min) return in_quotes(value) + " is too small: " + what + " is at least " + std::to_string(min);
        return "";
      },
      "NUMBER");
}

CLI::Validator seconds(const std::string& example) {
  return CLI::Validator(
      [example](std::string& value) -> std::string {
        double s = 0;
        auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), s);
        if (value.empty() || ec != std::errc() || end != value.data() + value.size() || !(s > 0))
          return in_quotes(value) + " is not a number of seconds above 0 (e.g. " + example + ")";
        return "";
      },
      "SECONDS");
}

CLI::Validator one_of(const std::string& what, const std::vector<std::string>& values) {
  return CLI::Validator(
      [what, values](std::string& value) -> std::string {
        auto upper = [](std::string s) {
          std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::toupper(c); });
          return s;
        };
        for (const auto& v : values)
          if (upper(v) == upper(value)) {
            value = v;
            return "";
          }
        std::string list;
        for (const auto& v : values) list += (list.empty() ? "" : ", ") + v;
        return in_quotes(value) + " is not " + what + "; it is one of " + list;
      },
      "VALUE");
}

std::string read_input(const std::string& path, const std::string& argument) {
  std::ostringstream ss;
  if (path == "-") {
    ss << std::cin.rdbuf();
    return ss.str();
  }
  auto reason = sqlite::unreadable_reason(path);
  if (!reason.empty()) throw UsageError(argument + ": cannot read " + in_quotes(path) + ": " + reason);
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UsageError(argument + ": cannot read " + in_quotes(path));
  ss << in.rdbuf();
  return ss.str();
}

CLI::Option* request_id_argument(CLI::App& app, std::string& id_text, const std::string& example) {
  return app.add_option("ID", id_text)
      ->transform(CLI::Validator(
          [](std::string& v) {
            if (!v.empty() && v[0] == '#') v.erase(0, 1);
            return std::string();
          },
          ""))
      ->check(whole_number("a request id", example, 1));
}

std::string count(long long n, const std::string& singular, const std::string& plural) {
  return std::to_string(n) + " " + (n == 1 ? singular : (plural.empty() ? singular + "s" : plural));
}

}  // namespace dockhand::cli
