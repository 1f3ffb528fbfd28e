// One running simulated program driven like a user would: through its window, with the state file as
// the witness. Waits throw std::runtime_error with what was awaited and the last events, so a failing
// test says where it stopped.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "harness.h"

namespace apps_test {

class AppSession {
 public:
  AppSession(const std::string& exe, const std::string& title, std::vector<std::string> args,
             const std::string& state_path = "");
  ~AppSession();

  nlohmann::json state() const { return read_state(state_path); }
  nlohmann::json wait_state(const std::function<bool(const nlohmann::json&)>& pred, const std::string& what,
                            std::chrono::milliseconds timeout = std::chrono::seconds(20));
  Rect window();                                 // main window, root coordinates
  void click(const std::string& layout_name);    // the centre of a widget from the state's "layout"
  void type_into(const std::string& layout_name, const std::string& text);
  // A menu of the menu bar (its title at `x` px from the window's left edge at scale 1.0), then its item
  // number `item` (1 = the first) by keyboard.
  void menu(int x, int item);
  nlohmann::json wait_modal(const std::string& title);  // the modal's state entry, once its window is up
  void press(const std::string& button);               // a button of the modal that is up
  void shot(const std::string& name);                  // PNG of the main window in shots_dir()
  int stop() { return proc->stop(); }

  X11 x;
  std::string dir, state_path, title;
  std::unique_ptr<AppProcess> proc;
};

// Sign-in (both programs): a wrong password is refused with modal Error / `error_text` (the user name stays),
// then the right one signs in (`button`: the sign-in button's layout name) onto `first_screen`.
void refused_then_signed_in(AppSession& app, const std::string& button, const std::string& error_text,
                            const std::string& first_screen);
// File > its first item (Log out / Sign off): back to the sign-in screen, signed out, no detail shown, the
// logout event last, after exactly one login.
void expect_signs_off(AppSession& app);

}  // namespace apps_test
