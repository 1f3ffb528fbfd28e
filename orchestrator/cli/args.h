// Argument parsing for dockhand-orchestrator's subcommands (CLI11), with errors that say what to do: each
// names the option or argument, the value given and the form expected, and ends with the command's usage.
#pragma once

#include <CLI/CLI.hpp>

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace dockhand::cli {

// Exit codes: one table for both programs (docs/operations.md, "Exit codes"; the agent's are the same).
namespace exit_code {
inline constexpr int ok = 0;
inline constexpr int failed = 1;       // it ran and the answer is no (not found, needs a human, could not start)
inline constexpr int usage = 2;        // an argument, option value or named file is wrong; nothing was done
inline constexpr int unreadable = 3;   // the input cannot be read as what it should be (quarantined email)
inline constexpr int stopped = 4;      // stopped by the rules (plan) or the clock (status --follow --timeout)
inline constexpr int not_routing = 5;  // not a routing request (plan)
}  // namespace exit_code

// A usage error found after parsing (a file that cannot be read, a store that is not one): main prints it
// with the command's name and exits 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Parses `args` (the words after the command name) into `app`. Returns nullopt to go on, or the exit code
// to return: 0 after printing `help` (-h, --help), 2 after printing the error and the usage line.
std::optional<int> parse(CLI::App& app, const std::vector<std::string>& args, const std::string& help);

// Validators; their message follows "<option>: " ("--last: \"x\" is not a number of requests (e.g. --last 20)").
// A whole number >= min; `what` names it ("a number of requests"), `example` shows one ("--last 20").
CLI::Validator whole_number(const std::string& what, const std::string& example, long long min = 0);
// A number of seconds > 0 (fractions allowed).
CLI::Validator seconds(const std::string& example);
// One of `values`, in any case; the value is replaced by the listed spelling. An unknown one lists them all.
CLI::Validator one_of(const std::string& what, const std::vector<std::string>& values);

// The request ID argument: "12", or "#12" as the timeline writes it; `example` shows the command ("status 12").
CLI::Option* request_id_argument(CLI::App& app, std::string& id_text, const std::string& example);

// The whole content of a file named on the command line ("-": stdin). A file that cannot be read is a
// UsageError naming the argument, the file and the reason (no such file, permission denied, is a directory).
std::string read_input(const std::string& path, const std::string& argument);

// "1 request", "3 requests"; "1 pallet", "0 pallets".
std::string count(long long n, const std::string& singular, const std::string& plural = "");

}  // namespace dockhand::cli
