#include "app_shell.h"

#include <FL/Fl.H>
#include <FL/Fl_Box.H>
#include <FL/Fl_Input.H>
#include <unistd.h>

#include <iostream>

namespace dockhand::apps::ui {

using nlohmann::json;

namespace {
constexpr const char* kOperator = "dockhand";  // the one operator both programs know
constexpr const char* kOperatorPassword = "dockhand";
}  // namespace

AppShell::AppShell(const CommonOptions& opts, std::string app, std::string title, int base_w, int base_h)
    : opts_(opts), hazards_(opts), state_(opts.state_path, app), backend_(opts.backend_path),
      modals_([this](const json& m) { modal_changed(m); },
              [this] { state_.event("click_outside_modal", {{"modal", state_.data()["modal"]}}); }),
      program_("dockhand-sim-" + app), title_(std::move(title)), base_w_(base_w), base_h_(base_h) {}

void AppShell::build() {
  const int W = px(base_w_), H = px(base_h_);
  win_ = new Fl_Double_Window(W, H, title_.c_str());

  menu_ = new Fl_Menu_Bar(0, 0, W, px(28));
  menu_->textsize(text_size());
  menu_->textfont(FL_HELVETICA);
  add_menus();

  header_ = new Fl_Box(0, px(28), W, px(36));
  header_->box(FL_FLAT_BOX);
  header_->color(fl_rgb_color(0, 0, 128));
  header_->labelcolor(FL_WHITE);
  header_->align(FL_ALIGN_LEFT | FL_ALIGN_INSIDE);
  style(header_, 16);
  header_->labelfont(FL_HELVETICA_BOLD);

  const int top = px(64), bottom = H - px(26);
  build_screens(W, top, bottom);

  status_ = new Fl_Box(0, bottom, W - px(220), px(26), " Ready");
  status_->box(FL_THIN_DOWN_BOX);
  status_->align(FL_ALIGN_LEFT | FL_ALIGN_INSIDE);
  style(status_, 13);
  operator_ = new Fl_Box(W - px(220), bottom, px(220), px(26));
  operator_->box(FL_THIN_DOWN_BOX);
  operator_->align(FL_ALIGN_LEFT | FL_ALIGN_INSIDE);
  style(operator_, 13);
  win_->end();
  ignore_escape_close(win_, [] { request_exit("window closed"); });
}

void AppShell::add_menu(const char* path, std::function<void()> fn) {
  menu_->add(path, 0, [](Fl_Widget*, void* p) { (*static_cast<std::function<void()>*>(p))(); },
             new std::function<void()>(std::move(fn)));  // lives as long as the program
}

void AppShell::set_heading(const char* text) { header_->copy_label((std::string("  ") + text).c_str()); }
void AppShell::set_status(const char* text) { status_->copy_label((std::string(" ") + text).c_str()); }
void AppShell::set_operator(const std::string& user) {
  operator_->copy_label(user.empty() ? "" : (" Operator: " + user).c_str());
}

void AppShell::note_window() {
  state_.data()["window"] = {{"x", win_->x()}, {"y", win_->y()}, {"w", win_->w()}, {"h", win_->h()}};
}

void AppShell::save() {
  note_window();
  state_.save();
}

void AppShell::event(const std::string& type, const json& detail) {
  note_window();
  state_.event(type, detail);
}

void AppShell::modal(const std::string& title, const std::string& text, std::vector<std::string> buttons,
                     std::function<void(const std::string&)> then, const std::string& field_label,
                     const std::string& field_value) {
  modals_.show(win_, {title, text, field_label, field_value, std::move(buttons)},
               [then = std::move(then)](const std::string& b) { if (then) then(b); });
}

void AppShell::modal_changed(const json& m) {
  if (!m.is_null()) event("modal_shown", {{"title", m["title"]}, {"text", m["text"]}});
  state_.data()["modal"] = m;
  save();
}

void AppShell::action(const std::string& name, std::function<void()> fn) {
  if (hazards_.session_expires_now()) {
    event("session_expired", {{"action", name}});
    modal("Session", "Session expired", {"OK"}, [fn = std::move(fn)](const std::string&) { fn(); });
    return;
  }
  fn();
}

void AppShell::load(const std::string& what, std::function<void()> done) {
  const int ms = hazards_.load_delay_ms();
  loading_ = true;
  loading_changed(true);
  set_status("Loading...");
  state_.data()["loading"] = true;
  event("loading", {{"what", what}, {"delay_ms", ms}});
  after(ms, [this, done = std::move(done)] {
    loading_ = false;
    loading_changed(false);
    set_status("Ready");
    state_.data()["loading"] = false;
    done();
    save();
  });
}

void AppShell::log_in(Fl_Input* user_input, Fl_Input* password_input, const char* wrong_text,
                      std::function<void()> signed_in) {
  if (busy() || logged_in_) return;
  std::string user = user_input->value(), password = password_input->value();
  if (user != kOperator || password != kOperatorPassword) {
    event("login_failed", {{"user", user}});
    password_input->value("");
    modal("Error", wrong_text, {"OK"}, [password_input](const std::string&) { password_input->take_focus(); });
    return;
  }
  load("login", [this, user, password_input, signed_in = std::move(signed_in)] {
    logged_in_ = true;
    state_.data()["logged_in"] = true;
    state_.data()["user"] = user;
    set_operator(user);
    password_input->value("");
    signed_in();
    event("login", {{"user", user}});
  });
}

void AppShell::log_out(std::function<void()> signed_out) {
  if (busy() || !logged_in_) return;
  logged_in_ = false;
  state_.data()["logged_in"] = false;
  state_.data()["user"] = nullptr;
  set_operator("");
  signed_out();
  event("logout");
}

void AppShell::navigate(std::function<void()> show) {
  if (busy() || !logged_in_) return;
  action("navigate", [this, show = std::move(show)] {
    show();
    event("navigate", {{"screen", state_.data()["screen"]}});
  });
}

void AppShell::result_or_unexpected_modal(std::function<void()> result) {
  if (opts_.unexpected_modal.empty() || unexpected_shown_) {
    result();
    return;
  }
  unexpected_shown_ = true;
  event("unexpected_modal", {{"text", opts_.unexpected_modal}});
  modal("Warning", opts_.unexpected_modal, {"Retry", "Cancel"}, [this, result](const std::string& b) {
    event("unexpected_modal_answer", {{"button", b}});
    if (b == "Retry") result();
  });
}

int AppShell::run(char** argv) {
  try {
    state_.load_existing();
    restore_state();
  } catch (const std::exception& e) {
    std::cerr << program_ << ": " << e.what() << "\n";
    return 2;
  }
  init_look(opts_.scale);
  build();

  auto& d = state_.data();
  d["pid"] = static_cast<int>(getpid());
  d["started"] = utc_now_iso();
  d["seed"] = opts_.seed;
  d["scale"] = opts_.scale;
  d["title"] = title_;
  d["logged_in"] = false;
  d["user"] = nullptr;
  d["loading"] = false;
  d["modal"] = nullptr;
  d["detail"] = nullptr;
  d["hazards"] = {{"delay_ms", {opts_.delay.min_ms, opts_.delay.max_ms}},
                  {"session_expired", opts_.session_expired_rate},
                  {"random_position", opts_.random_position},
                  {"unexpected_modal", opts_.unexpected_modal}};
  started(d);

  auto [x, y] = hazards_.window_position(win_->w(), win_->h(), Fl::w(), Fl::h());
  win_->position(x, y);
  show_first_screen();
  install_clean_exit(opts_.exit_after_ms, [this](const std::string& why) { event("exit", {{"reason", why}}); });
  win_->show(1, argv);  // argv[0] only: FLTK must not reinterpret our flags
  event("start", {{"x", x}, {"y", y}, {"scale", opts_.scale}, {"seed", opts_.seed}});
  std::cerr << program_ << ": state file " << state_.path() << " (seed " << opts_.seed << ")\n";
  return Fl::run();
}

}  // namespace dockhand::apps::ui
