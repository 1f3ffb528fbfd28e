#include "ui_kit.h"

#include <FL/Fl.H>
#include <FL/Fl_Box.H>
#include <FL/Fl_Button.H>
#include <FL/Fl_Group.H>
#include <FL/Fl_Input.H>
#include <FL/Fl_Secret_Input.H>
#include <FL/Fl_Double_Window.H>
#include <FL/Fl_Output.H>
#include <FL/fl_draw.H>
#include <FL/x.H>
#include <X11/Xatom.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <csignal>

namespace dockhand::apps::ui {
namespace {

double g_scale = 1.0;
std::atomic<int> g_signal{0};
std::function<void(const std::string&)> g_on_exit;
bool g_exiting = false;

// Value fields and inputs: a sunken box with wider insets than FL_DOWN_BOX, so text never touches the
// border (OCR reads these fields).
constexpr Fl_Boxtype kValueBox = FL_FREE_BOXTYPE;
void draw_value_box(int x, int y, int w, int h, Fl_Color c) { fl_draw_box(FL_DOWN_BOX, x, y, w, h, c); }

bool window_manager_running() {
  fl_open_display();
  Atom check = XInternAtom(fl_display, "_NET_SUPPORTING_WM_CHECK", True);
  if (check == None) return false;
  Atom type;
  int format;
  unsigned long n = 0, left;
  unsigned char* data = nullptr;
  bool found = XGetWindowProperty(fl_display, RootWindow(fl_display, fl_screen), check, 0, 1, False, XA_WINDOW,
                                  &type, &format, &n, &left, &data) == Success && n == 1;
  if (data) XFree(data);
  return found;
}

void run_fn(void* p) {
  auto* fn = static_cast<std::function<void()>*>(p);
  (*fn)();
  delete fn;
}

void on_signal(int sig) { g_signal = sig; }

void poll_signal(void*) {
  if (int sig = g_signal.load()) {
    request_exit(sig == SIGTERM ? "SIGTERM" : "SIGINT");
    return;
  }
  Fl::repeat_timeout(0.05, poll_signal);
}

}  // namespace

void init_look(double scale) {
  g_scale = scale;
  Fl::scheme("none");  // the classic FLTK look: flat grey, bevelled buttons
  Fl::background(192, 192, 192);
  Fl::visible_focus(1);
  FL_NORMAL_SIZE = text_size();
  Fl::set_boxtype(kValueBox, draw_value_box, px(5), px(2), 2 * px(5), 2 * px(2));
  Fl::scrollbar_size(px(16));
}

int px(double v) { return static_cast<int>(std::lround(v * g_scale)); }
int text_size() { return px(14); }

void style(Fl_Widget* w, int base_size) {
  w->labelfont(FL_HELVETICA);
  w->labelsize(px(base_size));
  if (auto* in = dynamic_cast<Fl_Input_*>(w)) {
    in->box(kValueBox);
    in->textfont(FL_HELVETICA);
    in->textsize(px(base_size));
  }
}

Fl_Box* field_label(int x, int y, int w, int h, const char* text) {
  auto* b = new Fl_Box(x, y, w, h, text);
  b->align(FL_ALIGN_RIGHT | FL_ALIGN_INSIDE);
  style(b);
  return b;
}

nlohmann::json rect_of(const Fl_Widget* w) { return {w->x(), w->y(), w->w(), w->h()}; }

void after(int ms, std::function<void()> fn) {
  Fl::add_timeout(ms / 1000.0, run_fn, new std::function<void()>(std::move(fn)));
}

namespace {
Modals* g_modals = nullptr;
}

Modals::Modals(Observer observer, std::function<void()> blocked_click)
    : observer_(std::move(observer)), blocked_click_(std::move(blocked_click)) {
  g_modals = this;
  Fl::event_dispatch(&Modals::dispatch);
}

int Modals::dispatch(int event, Fl_Window* w) {
  if (event == FL_PUSH && g_modals && g_modals->window_ && w != g_modals->window_ && g_modals->blocked_click_)
    g_modals->blocked_click_();
  return Fl::handle_(event, w);
}

void Modals::show(Fl_Window* parent, ModalSpec spec, std::function<void(const std::string&)> on_button) {
  Pending p{parent, std::move(spec), std::move(on_button)};
  if (window_) {
    queue_.push_back(std::move(p));
    return;
  }
  open(std::move(p));
}

void Modals::open(Pending p) {
  const int pad = px(16), line_h = px(28), btn_w = px(90), btn_h = px(30), gap = px(10);
  // Without a window manager nobody draws a title bar: draw our own, so the title is on screen either way.
  const int caption_h = window_manager_running() ? 0 : px(26);
  fl_font(FL_HELVETICA, text_size());
  int msg_w = 0, msg_h = 0;
  fl_measure(p.spec.message.c_str(), msg_w, msg_h, 0);
  int field_label_w = 0, field_value_w = 0;
  if (!p.spec.field_label.empty()) {
    int h = 0;
    fl_measure(p.spec.field_label.c_str(), field_label_w, h, 0);
    fl_measure(p.spec.field_value.c_str(), field_value_w, h, 0);
    field_value_w += px(40);
  }
  const int buttons_w = static_cast<int>(p.spec.buttons.size()) * (btn_w + gap) - gap;
  int w = std::max({px(360), msg_w + 2 * pad, field_label_w + gap + field_value_w + 2 * pad, buttons_w + 2 * pad});
  int h = caption_h + pad + line_h + (p.spec.field_label.empty() ? 0 : gap + line_h) + px(20) + btn_h + pad;

  auto* win = new Fl_Double_Window(w, h);
  win->copy_label(p.spec.title.c_str());
  win->box(FL_UP_BOX);
  if (caption_h) {
    auto* caption = new Fl_Box(px(2), px(2), w - px(4), caption_h - px(2));
    caption->box(FL_FLAT_BOX);
    caption->color(fl_rgb_color(0, 0, 128));
    caption->labelcolor(FL_WHITE);
    caption->copy_label((" " + p.spec.title).c_str());
    caption->align(FL_ALIGN_LEFT | FL_ALIGN_INSIDE);
    style(caption);
    caption->labelfont(FL_HELVETICA_BOLD);
  }
  auto* msg = new Fl_Box(pad, caption_h + pad, w - 2 * pad, line_h);
  msg->copy_label(p.spec.message.c_str());
  msg->align(FL_ALIGN_LEFT | FL_ALIGN_INSIDE);
  style(msg);
  nlohmann::json layout = {{"message", rect_of(msg)}};
  int y = caption_h + pad + line_h;
  if (!p.spec.field_label.empty()) {
    y += gap;
    auto* label = new Fl_Box(pad, y, field_label_w + px(4), line_h);
    label->copy_label(p.spec.field_label.c_str());
    label->align(FL_ALIGN_LEFT | FL_ALIGN_INSIDE);
    style(label);
    auto* value = new Fl_Output(pad + field_label_w + gap, y, field_value_w, line_h);
    value->value(p.spec.field_value.c_str());
    style(value);
    layout["field"] = rect_of(value);
    y += line_h;
  }
  nlohmann::json buttons = nlohmann::json::array();
  int bx = w - pad - buttons_w;
  for (std::size_t i = 0; i < p.spec.buttons.size(); ++i) {
    auto* b = new Fl_Button(bx, h - pad - btn_h, btn_w, btn_h);
    b->copy_label(p.spec.buttons[i].c_str());
    style(b);
    if (i == 0) b->shortcut(FL_Enter);
    b->callback([](Fl_Widget* wd, void* self) { static_cast<Modals*>(self)->pressed(wd->label()); }, this);
    buttons.push_back({{"label", p.spec.buttons[i]}, {"rect", rect_of(b)}});
    bx += btn_w + gap;
  }
  win->end();
  // Escape (and the window manager's close) answers with the last button, like Cancel/No/OK would.
  win->callback([](Fl_Widget* wd, void* self) {
    auto* modals = static_cast<Modals*>(self);
    auto* last = static_cast<Fl_Window*>(wd)->child(static_cast<Fl_Window*>(wd)->children() - 1);
    modals->pressed(last->label());
  }, this);
  if (p.parent && p.parent->shown())
    win->position(p.parent->x() + (p.parent->w() - w) / 2, p.parent->y() + (p.parent->h() - h) / 3);
  win->set_modal();
  window_ = win;
  on_button_ = std::move(p.on_button);
  win->show();
  observer_({{"title", p.spec.title},
             {"text", p.spec.message},
             {"field_label", p.spec.field_label},
             {"field_value", p.spec.field_value},
             {"layout", layout},
             {"buttons", buttons}});
}

void Modals::pressed(const std::string& button) {
  if (!window_) return;
  window_->hide();
  Fl::delete_widget(window_);
  window_ = nullptr;
  auto fn = std::move(on_button_);
  on_button_ = nullptr;
  observer_(nlohmann::json());
  if (fn) fn(button);
  if (!window_ && !queue_.empty()) {
    Pending next = std::move(queue_.front());
    queue_.erase(queue_.begin());
    open(std::move(next));
  }
}

void ignore_escape_close(Fl_Window* w, std::function<void()> on_close) {
  auto* fn = new std::function<void()>(std::move(on_close));  // lives as long as the program
  w->callback([](Fl_Widget*, void* p) {
    if (Fl::event() == FL_SHORTCUT && Fl::event_key() == FL_Escape) return;
    (*static_cast<std::function<void()>*>(p))();
  }, fn);
}

void install_clean_exit(std::optional<int> exit_after_ms, std::function<void(const std::string&)> on_exit) {
  g_on_exit = std::move(on_exit);
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  Fl::add_timeout(0.05, poll_signal);
  if (exit_after_ms) after(*exit_after_ms, [] { request_exit("exit-after-ms"); });
}

void request_exit(const std::string& reason) {
  if (g_exiting) return;
  g_exiting = true;
  if (g_on_exit) g_on_exit(reason);
  while (Fl_Window* w = Fl::first_window()) w->hide();
  Fl::remove_timeout(poll_signal);
}

SignInPanel sign_in_panel(int W, int top, int bottom, int frame_y, const char* title, const char* user_label,
                          const char* button_label, const char* version, std::function<void()> submit) {
  SignInPanel p;
  p.group = new Fl_Group(0, top, W, bottom - top);
  const int bx = W / 2 - px(220), by = px(frame_y);
  auto* frame = new Fl_Box(bx, by, px(440), px(230), title);
  frame->box(FL_ENGRAVED_BOX);
  frame->align(FL_ALIGN_TOP_LEFT | FL_ALIGN_INSIDE);
  style(frame);
  field_label(bx + px(20), by + px(50), px(110), px(28), user_label);
  p.user = new Fl_Input(bx + px(140), by + px(50), px(240), px(28));
  style(p.user);
  field_label(bx + px(20), by + px(94), px(110), px(28), "Password:");
  p.password = new Fl_Secret_Input(bx + px(140), by + px(94), px(240), px(28));
  style(p.password);
  p.password->when(FL_WHEN_ENTER_KEY_ALWAYS);
  p.button = new Fl_Button(bx + px(140), by + px(150), px(120), px(32), button_label);
  style(p.button);
  auto* on_submit = new std::function<void()>(std::move(submit));  // lives as long as the program
  auto call = [](Fl_Widget*, void* f) { (*static_cast<std::function<void()>*>(f))(); };
  p.password->callback(call, on_submit);
  p.button->callback(call, on_submit);
  auto* line = new Fl_Box(bx, by + px(240), px(440), px(24), version);
  style(line, 12);
  p.group->end();
  return p;
}

}  // namespace dockhand::apps::ui
