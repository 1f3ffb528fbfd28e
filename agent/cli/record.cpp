// dockhand-agent record --out recordings/NAME [--window TITLE] [--stop-key F12] [--secret-key KEY] [--var k=v ...]
// A person does the task once; on the stop key the recorder writes script.json and templates/*.png.
#include "agent/cli/args.h"
#include "agent/cli/command.h"
#include "agent/record/script_writer.h"
#include "agent/record/session.h"
#include "drivers/input_events.h"
#include "drivers/platform.h"

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>

namespace {

namespace fs = std::filesystem;
namespace record = dockhand::agent::record;

const char* kUsage =
    "usage: dockhand-agent record --out DIR [--window TITLE] [--stop-key F12] [--secret-key KEY]\n"
    "                             [--var name=value ...] [--display :N]\n"
    "Watches you do a task once in a program (pointer, keyboard and the screen; your input still goes to the\n"
    "program as usual) and, when you press the stop key, writes DIR/script.json and DIR/templates/*.png.\n"
    "--out DIR         the recording's folder (e.g. recordings/my-closeout); refused if DIR/script.json exists\n"
    "--window TITLE    part of the program's window title (default: the window of your first click)\n"
    "--stop-key KEY    ends the recording (default F12; not recorded, but the program sees it too)\n"
    "--secret-key KEY  toggles secret typing: what you type between two presses becomes a secret variable\n"
    "                  (fields labelled Password, PIN, ... are secret without it)\n"
    "--var name=value  every typed text (and text target) equal to value is written ${name}, declared with a\n"
    "                  pattern inferred from the value's shape (repeatable)\n"
    "What it decides: clicks become OCR text targets when the text reads cleanly and is unique, else image\n"
    "templates grown until unique and textured, else areas anchored to the nearest unique label; offsets are kept\n"
    "and nothing is in screen coordinates. Typing becomes type steps (a corrected typo is left out), keys key\n"
    "steps; where the program changed the screen a wait is inserted, its timeout from how long it took.\n"
    "Typed secrets are never written or logged. Check the result with `dockhand-agent validate DIR/script.json`.\n"
    "Exit: 0 written, 1 nothing recorded or the result could not be written, 2 bad usage, 3 no display (or it\n"
    "went away: what was recorded until then is still written).\n";

int run_record(const std::vector<std::string>& argv) {
  dockhand::cli::Args args(argv);
  std::string out, display;
  record::SessionOptions so;
  record::WriteOptions wo;
  while (args.next()) {
    if (args.help()) {
      std::cout << kUsage;
      return 0;
    }
    if (args.is("--out") || args.is("-o")) out = args.value();
    else if (args.is("--window")) wo.window_title = args.value();
    else if (args.is("--stop-key")) so.intents.stop_key = args.value();
    else if (args.is("--secret-key") || args.is("--secret")) so.intents.secret_key = args.value();
    else if (args.is("--var")) dockhand::cli::parse_var(args.value(), wo.vars);
    else if (args.is("--display")) display = args.value();
    else {
      std::cerr << "dockhand-agent record: unexpected argument " << args.arg() << " (see --help)\n";
      return 2;
    }
  }
  if (out.empty()) {
    std::cerr << "dockhand-agent record: --out DIR is required (e.g. --out recordings/my-closeout)\n";
    return 2;
  }
  for (const auto& [name, value] : wo.vars)
    if (value.empty()) {
      std::cerr << "dockhand-agent record: --var " << name << "= has no value to look for\n";
      return 2;
    }
  const fs::path dir(out);
  if (fs::exists(dir / "script.json")) {
    std::cerr << "dockhand-agent record: " << (dir / "script.json").string()
              << " exists; record into a new folder (nothing was overwritten)\n";
    return 2;
  }
  std::unique_ptr<dockhand::drivers::Desktop> desktop;
  std::unique_ptr<dockhand::drivers::InputEventSource> events;
  try {
    desktop = dockhand::drivers::open_desktop(display);
    events = dockhand::drivers::open_input_events(display);
  } catch (const dockhand::drivers::DesktopError& e) {
    std::cerr << "dockhand-agent record: " << e.what() << "\n";
    return 3;
  }
  static std::atomic<bool> stop_requested{false};
  dockhand::drivers::on_stop_request([](const std::string&) { stop_requested = true; });

  std::vector<record::Intent> intents;
  bool display_lost = false;
  std::unique_ptr<record::RecordingSession> session;
  try {
    session = std::make_unique<record::RecordingSession>(*desktop, *events, so);
    std::cerr << "dockhand-agent record: recording; do the task, then press " << so.intents.stop_key << std::endl;
    intents = session->run(&stop_requested);
  } catch (const dockhand::drivers::DesktopError& e) {
    // What was recorded until then is still written (cutting targets needs only the screens kept).
    std::cerr << "dockhand-agent record: " << e.what() << "\n";
    if (!session) return 3;
    display_lost = true;
    intents = session->finish();
  }
  if (intents.empty()) {
    std::cerr << "dockhand-agent record: nothing was recorded (no click or key before the stop)\n";
    return display_lost ? 3 : 1;
  }
  std::cerr << "dockhand-agent record: " << intents.size() << " actions recorded; cutting targets and writing "
            << (dir / "script.json").string() << std::endl;
  try {
    auto t0 = std::chrono::steady_clock::now();
    wo.name = dir.filename().string();
    record::TemplateStore store(dir);
    auto written = record::write_script(intents, store, wo);
    const fs::path file = dir / "script.json";
    const fs::path tmp = dir / "script.json.tmp";
    {
      std::ofstream f(tmp);
      f << written.script.dump(2) << "\n";
      if (!f) throw std::runtime_error("cannot write " + tmp.string());
    }
    fs::rename(tmp, file);
    for (const auto& n : written.notes) std::cerr << "dockhand-agent record: note: " << n << "\n";
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
    std::cout << file.string() << ": " << written.script["steps"].size() << " steps, " << store.size()
              << " templates (written in " << ms << " ms)" << std::endl;
  } catch (const std::exception& e) {
    std::cerr << "dockhand-agent record: " << e.what() << "\n";
    return display_lost ? 3 : 1;
  }
  return display_lost ? 3 : 0;
}

const dockhand::cli::Registration reg{"record",
                                      "--out DIR [--window TITLE] [--stop-key F12] [--secret-key KEY] [--var k=v ...]",
                                      "Record a task done once by a person into a screen script", run_record};

}  // namespace
