// The recorder's third seam: intents become a script.json that reads like a hand-written one: a `focus_window`
// first, a `wait` for the next target wherever the program changed the screen (timeout from how long it took
// while recording, with headroom), typing grouped into `type` steps and keys into `key` steps, --var values
// written ${name} with a pattern inferred from the value's shape, secrets as secret variables (never their value),
// a comment per group of steps, and templates named from their text.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "agent/record/intents.h"
#include "agent/record/targets.h"

namespace dockhand::agent::record {

struct WriteOptions {
  std::string name;          // the script's name (the recording folder's name)
  std::string window_title;  // the target window (part of its title); "" = the window of the first click
  Vars vars;                 // --var NAME=VALUE
};

struct Written {
  nlohmann::json script;
  std::vector<std::string> notes;  // what the person should know (a drag left out, a --var never typed)
};

// Writes templates into the store's folder as it goes; throws std::runtime_error when the result does not validate.
Written write_script(const std::vector<Intent>& intents, TemplateStore& store, const WriteOptions& options);

// "2K4GH7QZ" -> "^[A-Z0-9]{8}$", "2026-11-30" -> "^[0-9]{4}-[0-9]{2}-[0-9]{2}$", "12" -> "^[0-9]{1,6}$",
// "Estes Express Lines" -> "^[^\r\n]{1,60}$": what values like this one look like.
std::string infer_pattern(const std::string& value);
// A field label that asks for a password or a PIN.
bool looks_secret(const std::string& label);

}  // namespace dockhand::agent::record
