// The frame every simulated legacy program shares: the main window with its menu bar, the navy heading
// strip and the status bar ("Ready" / "Loading...", "Operator: NAME"); the state file, the modals, the
// hazards ("Session expired" before an action, load delays, the --unexpected-modal Warning) and the
// start-up (state restored, window placed, start event, clean exit). A program adds its screens.
#pragma once

#include <FL/Fl_Double_Window.H>
#include <FL/Fl_Menu_Bar.H>

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "hazards.h"
#include "options.h"
#include "backend.h"
#include "state_file.h"
#include "ui_kit.h"

class Fl_Box;
class Fl_Input;

namespace dockhand::apps::ui {

class AppShell {
 public:
  virtual ~AppShell() = default;
  // Loads the state file (exit 2 when it is not this program's), builds the window, writes the common
  // state keys and the start event, and runs the FLTK loop until exit.
  int run(char** argv);

 protected:
  AppShell(const CommonOptions& opts, std::string app, std::string title, int base_w, int base_h);

  // ---- what a program provides ----
  virtual void restore_state() = 0;                     // what a previous run left in state_.data()
  virtual void add_menus() = 0;                         // add_menu(...) calls
  virtual void build_screens(int W, int top, int bottom) = 0;  // between the heading strip and the status bar
  virtual void started(nlohmann::json& state) = 0;      // program keys: rows, layout, ...
  virtual void show_first_screen() = 0;
  virtual void loading_changed(bool /*loading*/) {}     // e.g. a "Loading..." label on the current screen

  // ---- what the shell offers ----
  void add_menu(const char* path, std::function<void()> fn);
  void set_heading(const char* text);   // the navy strip under the menu bar
  void set_status(const char* text);    // left part of the status bar
  void set_operator(const std::string& user);  // "Operator: USER", or nothing for ""
  void save();
  void event(const std::string& type, const nlohmann::json& detail = nlohmann::json::object());
  bool busy() const { return loading_ || modals_.active(); }
  void modal(const std::string& title, const std::string& text, std::vector<std::string> buttons,
             std::function<void(const std::string&)> then = nullptr, const std::string& field_label = "",
             const std::string& field_value = "");
  // A user action: with --session-expired it may first be interrupted by "Session expired"; after OK the
  // action carries on, so the user is back where they were.
  void action(const std::string& name, std::function<void()> fn);
  // "Loading..." for a random --delay, then `done`; the event loop keeps running meanwhile.
  void load(const std::string& what, std::function<void()> done);
  // With --unexpected-modal, the first time: the Warning modal instead (Retry shows the result, Cancel drops
  // it); otherwise the result at once.
  void result_or_unexpected_modal(std::function<void()> result);
  // Sign-in with the operator dockhand / dockhand (both programs). Wrong: login_failed event, password cleared,
  // modal Error / `wrong_text` / OK (then focus on the password). Right: a load ("login"), then signed in
  // ("Operator: USER", password cleared), `signed_in()` (the program shows its first screen) and the login event.
  void log_in(Fl_Input* user, Fl_Input* password, const char* wrong_text, std::function<void()> signed_in);
  // Signed out: `signed_out()` clears the program's screens and shows its sign-in screen, then the logout event.
  void log_out(std::function<void()> signed_out);
  // A menu or button that changes the screen (signed in only; may meet "Session expired"): `show()` shows it,
  // then the navigate event with the screen now in the state.
  void navigate(std::function<void()> show);

  const CommonOptions& opts_;
  Hazards hazards_;
  StateFile state_;
  SharedBackend backend_;  // --backend: the company data other instances share (empty: alone)
  Modals modals_;
  const std::string program_;  // "dockhand-sim-erp"
  const std::string title_;
  bool loading_ = false;
  bool logged_in_ = false;
  Fl_Double_Window* win_ = nullptr;

 private:
  void build();
  void modal_changed(const nlohmann::json& m);
  void note_window();

  const int base_w_, base_h_;
  bool unexpected_shown_ = false;
  Fl_Menu_Bar* menu_ = nullptr;
  Fl_Box* header_ = nullptr;
  Fl_Box* status_ = nullptr;
  Fl_Box* operator_ = nullptr;
};

}  // namespace dockhand::apps::ui
