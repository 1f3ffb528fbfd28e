// The FLTK side shared by the simulated programs: manual scaling (FLTK 1.3 has no global scale), the
// classic grey look, predictable modals (our own windows, exact texts, no icons), timers that never
// block the event loop, and a clean exit on SIGTERM/SIGINT/--exit-after-ms.
#pragma once

#include <FL/Fl_Window.H>

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

class Fl_Widget;
class Fl_Box;
class Fl_Button;
class Fl_Group;
class Fl_Input;
class Fl_Secret_Input;

namespace dockhand::apps::ui {

void init_look(double scale);     // sets the scale, the classic scheme and the default font sizes
int px(double v);                 // a base (scale 1.0) length in pixels at the current scale
int text_size();                  // 14 px at scale 1.0
void style(Fl_Widget* w, int base_size = 14);  // label and text font/size at the current scale

// A label box whose text is right-aligned against the value field that follows it ("Status:").
Fl_Box* field_label(int x, int y, int w, int h, const char* text);

// The centred sign-in frame both programs show: a frame titled `title` at height `frame_y` (base pixels), the
// user and password fields, the button and a version line under the frame. Enter in the password field and the
// button both call `submit`. The group is ended.
struct SignInPanel {
  Fl_Group* group = nullptr;
  Fl_Input* user = nullptr;
  Fl_Secret_Input* password = nullptr;
  Fl_Button* button = nullptr;
};
SignInPanel sign_in_panel(int W, int top, int bottom, int frame_y, const char* title, const char* user_label,
                          const char* button_label, const char* version, std::function<void()> submit);

// Window-relative rectangle of a widget, for the state file's "layout".
nlohmann::json rect_of(const Fl_Widget* w);

// Runs `fn` after `ms` on the FLTK event loop (0 = on the next loop turn).
void after(int ms, std::function<void()> fn);

struct ModalSpec {
  std::string title;        // window title: "Confirm", "Information", "Error", "Session", "Warning"
  std::string message;      // first line, e.g. "PO not found: 2K4GH7QZ"
  std::string field_label;  // optional value line, e.g. "Reference:" ...
  std::string field_value;  // ... shown in a white value field, e.g. "PT-123456"
  std::vector<std::string> buttons;  // left to right; the first answers Enter, the last answers Escape
};

// One modal at a time over the program's main window; a second request waits its turn.
class Modals {
 public:
  using Observer = std::function<void(const nlohmann::json& shown_or_null)>;
  // `observer` hears every modal shown (its texts and layout) and closed (null); `blocked_click` hears a
  // press on another window while a modal is up (a robot clicking blindly past a popup).
  Modals(Observer observer, std::function<void()> blocked_click);
  void show(Fl_Window* parent, ModalSpec spec, std::function<void(const std::string& button)> on_button);
  bool active() const { return window_ != nullptr; }

 private:
  struct Pending {
    Fl_Window* parent;
    ModalSpec spec;
    std::function<void(const std::string&)> on_button;
  };
  void open(Pending p);
  void pressed(const std::string& button);

  static int dispatch(int event, Fl_Window* w);

  Observer observer_;
  std::function<void()> blocked_click_;
  Fl_Window* window_ = nullptr;
  std::function<void(const std::string&)> on_button_;
  std::vector<Pending> queue_;
};

// Main window callback that ignores Escape (FLTK closes windows on Escape by default; a legacy program
// does not) and treats the window manager's close as "exit".
void ignore_escape_close(Fl_Window* w, std::function<void()> on_close);

// SIGTERM, SIGINT and --exit-after-ms end Fl::run() cleanly after `on_exit(reason)` ran.
void install_clean_exit(std::optional<int> exit_after_ms, std::function<void(const std::string&)> on_exit);
void request_exit(const std::string& reason);

}  // namespace dockhand::apps::ui
