// dockhand-sim-erp: a simulated legacy ERP for Dockhand's desktop agent. A login, a menu bar, a home
// screen, a PO grid and a "Finalize pre-tender" action that answers with a PT-nnnnnn reference. Every
// change is written to the --state JSON file. The exact UI texts are a contract: tests/apps/README.md.
#include <FL/Fl.H>
#include <FL/Fl_Box.H>
#include <FL/Fl_Button.H>
#include <FL/Fl_Group.H>
#include <FL/Fl_Input.H>
#include <FL/Fl_Output.H>
#include <FL/Fl_Secret_Input.H>

#include <algorithm>
#include <cctype>
#include <iostream>
#include <memory>
#include <set>

#include "app_shell.h"
#include "order_table.h"
#include "orders.h"

namespace apps = dockhand::apps;
namespace ui = dockhand::apps::ui;
using nlohmann::json;

namespace {

constexpr const char* kTitle = "Legacy ERP - Warehouse Management";
constexpr int kBaseW = 960, kBaseH = 680;

std::string normalize_po(const char* raw) {
  std::string s(raw ? raw : "");
  s.erase(std::remove_if(s.begin(), s.end(), [](unsigned char c) { return std::isspace(c); }), s.end());
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::toupper(c); });
  return s;
}

template <class F>
void on_click(Fl_Widget* w, F* self, void (F::*method)()) {
  struct Bound {
    F* self;
    void (F::*method)();
  };
  w->callback([](Fl_Widget*, void* p) {
    auto* b = static_cast<Bound*>(p);
    (b->self->*b->method)();
  }, new Bound{self, method});
}

class ErpApp : public ui::AppShell {
 public:
  ErpApp(const apps::CommonOptions& opts, std::vector<apps::Order> orders)
      : ui::AppShell(opts, "erp", kTitle, kBaseW, kBaseH), orders_(std::move(orders)) {}

 private:
  enum class Screen { login, home, orders, pretender };

  void restore_state() override;
  void sync_backend();
  void add_menus() override;
  void build_screens(int W, int top, int bottom) override;
  void started(json& d) override;
  void show_first_screen() override { show_screen(Screen::login); }
  void loading_changed(bool loading) override {
    if (!loading) loading_box_->hide();
    else if (screen_ == Screen::pretender) loading_box_->show();
  }
  void show_screen(Screen s);

  void do_login();
  void do_logout();
  void go(Screen s);
  void do_search();
  void search(const std::string& po);
  void show_detail(const apps::Order* o);
  void do_finalize();
  apps::Order* find(const std::string& po) {
    for (auto& o : orders_)
      if (o.po == po) return &o;
    return nullptr;
  }
  std::string new_reference();

  std::vector<apps::Order> orders_;
  std::string current_po_;
  Screen screen_ = Screen::login;

  ui::SignInPanel sign_in_;
  Fl_Group* home_ = nullptr;
  Fl_Button* home_orders_ = nullptr;
  Fl_Button* home_pretender_ = nullptr;
  Fl_Group* orders_screen_ = nullptr;
  OrderTable* orders_table_ = nullptr;
  Fl_Group* pretender_ = nullptr;
  Fl_Input* po_input_ = nullptr;
  Fl_Button* search_ = nullptr;
  Fl_Box* loading_box_ = nullptr;
  OrderTable* table_ = nullptr;
  Fl_Group* detail_ = nullptr;
  Fl_Output* d_po_ = nullptr;
  Fl_Output* d_status_ = nullptr;
  Fl_Output* d_destination_ = nullptr;
  Fl_Output* d_cartons_ = nullptr;
  Fl_Output* d_reference_ = nullptr;
  Fl_Button* finalize_ = nullptr;
};

void ErpApp::add_menus() {
  add_menu("File/Log out", [this] { do_logout(); });
  add_menu("File/Exit", [] { ui::request_exit("menu File/Exit"); });
  add_menu("Orders/Order list", [this] { go(Screen::orders); });
  add_menu("Pre-tender/Search PO", [this] { go(Screen::pretender); });
  add_menu("Help/About", [this] {
    if (!busy()) modal("About", "Legacy ERP 3.1 - (c) 1994 Legacy Systems Inc.", {"OK"});
  });
}

void ErpApp::build_screens(int W, int top, int bottom) {
  using ui::px;

  // Login
  sign_in_ = ui::sign_in_panel(W, top, bottom, 170, "Please log in", "User:", "Log in",
                                   "Version 3.1  (c) 1994 Legacy Systems Inc.", [this] { do_login(); });

  // Home
  home_ = new Fl_Group(0, top, W, bottom - top);
  {
    home_orders_ = new Fl_Button(W / 2 - px(250), px(220), px(230), px(110), "Orders");
    ui::style(home_orders_, 20);
    home_orders_->callback([](Fl_Widget*, void* p) { static_cast<ErpApp*>(p)->go(Screen::orders); }, this);
    home_pretender_ = new Fl_Button(W / 2 + px(20), px(220), px(230), px(110), "Pre-tender");
    ui::style(home_pretender_, 20);
    home_pretender_->callback([](Fl_Widget*, void* p) { static_cast<ErpApp*>(p)->go(Screen::pretender); }, this);
  }
  home_->end();

  // Orders: the grid alone, full width.
  orders_screen_ = new Fl_Group(0, top, W, bottom - top);
  orders_table_ = new OrderTable(px(20), px(80), W - px(40), bottom - px(90), orders_);
  orders_table_->on_open = [this](const std::string& po) { go(Screen::pretender); po_input_->value(po.c_str()); do_search(); };
  orders_screen_->end();

  // Pre-tender
  pretender_ = new Fl_Group(0, top, W, bottom - top);
  {
    auto* label = new Fl_Box(px(20), px(80), px(90), px(28), "PO number");
    label->align(FL_ALIGN_LEFT | FL_ALIGN_INSIDE);
    ui::style(label);
    po_input_ = new Fl_Input(px(115), px(80), px(170), px(28));
    ui::style(po_input_);
    po_input_->when(FL_WHEN_ENTER_KEY_ALWAYS);
    po_input_->callback([](Fl_Widget*, void* p) { static_cast<ErpApp*>(p)->do_search(); }, this);
    search_ = new Fl_Button(px(295), px(80), px(90), px(28), "Search");
    ui::style(search_);
    on_click(search_, this, &ErpApp::do_search);
    loading_box_ = new Fl_Box(px(400), px(80), px(140), px(28), "Loading...");
    loading_box_->align(FL_ALIGN_LEFT | FL_ALIGN_INSIDE);
    ui::style(loading_box_);
    loading_box_->labelfont(FL_HELVETICA_BOLD);
    loading_box_->hide();

    table_ = new OrderTable(px(20), px(120), px(560), bottom - px(130), orders_);
    table_->on_open = [this](const std::string& po) { po_input_->value(po.c_str()); do_search(); };

    detail_ = new Fl_Group(px(600), px(120), px(340), px(300), "PO details");
    detail_->box(FL_ENGRAVED_BOX);
    detail_->align(FL_ALIGN_TOP_LEFT | FL_ALIGN_INSIDE);
    ui::style(detail_);
    const char* labels[] = {"PO:", "Status:", "Destination:", "Cartons:", "Reference:"};
    Fl_Output** outs[] = {&d_po_, &d_status_, &d_destination_, &d_cartons_, &d_reference_};
    for (int i = 0; i < 5; ++i) {
      int y = px(155) + i * px(40);
      ui::field_label(px(610), y, px(110), px(28), labels[i]);
      *outs[i] = new Fl_Output(px(730), y, px(190), px(28));
      ui::style(*outs[i]);
    }
    finalize_ = new Fl_Button(px(730), px(365), px(190), px(34), "Finalize pre-tender");
    ui::style(finalize_);
    on_click(finalize_, this, &ErpApp::do_finalize);
    detail_->end();
    detail_->hide();
  }
  pretender_->end();

}

void ErpApp::show_screen(Screen s) {
  screen_ = s;
  sign_in_.group->hide();
  home_->hide();
  orders_screen_->hide();
  pretender_->hide();
  const char* names[] = {"login", "home", "orders", "pretender"};
  switch (s) {
    case Screen::login:
      sign_in_.group->show();
      set_heading("Sign on");
      sign_in_.user->take_focus();
      break;
    case Screen::home:
      home_->show();
      set_heading("Main menu");
      break;
    case Screen::orders:
      orders_screen_->show();
      set_heading("Purchase orders");
      break;
    case Screen::pretender:
      pretender_->show();
      set_heading("Shipment preparation");
      po_input_->take_focus();
      break;
  }
  state_.data()["screen"] = names[static_cast<int>(s)];
  win_->redraw();
}

void ErpApp::do_login() {
  log_in(sign_in_.user, sign_in_.password, "Invalid user or password", [this] { show_screen(Screen::home); });
}

void ErpApp::do_logout() {
  log_out([this] {
    show_detail(nullptr);
    current_po_.clear();
    show_screen(Screen::login);
  });
}

void ErpApp::go(Screen s) {
  navigate([this, s] { show_screen(s); });
}

void ErpApp::do_search() {
  if (busy() || !logged_in_ || screen_ != Screen::pretender) return;
  const std::string po = normalize_po(po_input_->value());
  po_input_->value(po.c_str());
  if (po.empty()) {
    modal("Error", "Enter a PO number", {"OK"}, [this](const std::string&) { po_input_->take_focus(); });
    return;
  }
  action("search", [this, po] { search(po); });
}

void ErpApp::search(const std::string& po) {
  show_detail(nullptr);
  state_.data()["searches"] = state_.data().value("searches", 0) + 1;
  event("search", {{"po", po}});
  load("search " + po, [this, po] {
    auto result = [this, po] {
      sync_backend();
      const apps::Order* o = find(po);
      if (!o) {
        event("not_found", {{"po", po}});
        modal("Error", "PO not found: " + po, {"OK"}, [this](const std::string&) { po_input_->take_focus(); });
        return;
      }
      for (int r = 0; r < static_cast<int>(orders_.size()); ++r)
        if (orders_[r].po == po) {
          table_->select_all_rows(0);
          table_->select_row(r, 1);
          table_->row_position(std::max(0, r - 3));
        }
      show_detail(o);
      event("search_result", {{"po", po}, {"status", o->status}});
    };
    result_or_unexpected_modal(result);
  });
}

void ErpApp::show_detail(const apps::Order* o) {
  if (!o) {
    detail_->hide();
    current_po_.clear();
    state_.data()["detail"] = nullptr;
    return;
  }
  current_po_ = o->po;
  d_po_->value(o->po.c_str());
  d_status_->value(o->status.c_str());
  d_destination_->value(o->fc.c_str());
  d_cartons_->value(std::to_string(o->cartons).c_str());
  d_reference_->value(o->reference.c_str());
  detail_->show();
  state_.data()["detail"] = {{"po", o->po}, {"status", o->status}, {"destination", o->fc},
                             {"cartons", o->cartons}, {"reference", o->reference}};
  win_->redraw();
}

std::string ErpApp::new_reference() {
  std::set<std::string> used;
  for (const auto& o : orders_) used.insert(o.reference);
  const json shared = backend_.read("finalized");
  for (const auto& [po, entry] : shared.items())
    for (const auto& r : entry.value("references", json::array())) used.insert(r.get<std::string>());
  std::string ref;
  do ref = "PT-" + hazards_.digits(6);
  while (used.count(ref) || ref == "PT-000000");
  return ref;
}

void ErpApp::do_finalize() {
  if (busy() || current_po_.empty()) return;
  const std::string po = current_po_;
  action("finalize", [this, po] {
    modal("Confirm", "Finalize pre-tender for PO " + po + "?", {"Yes", "No"}, [this, po](const std::string& b) {
      if (b != "Yes") {
        event("finalize_cancelled", {{"po", po}});
        return;
      }
      event("finalize_confirmed", {{"po", po}});
      action("confirm", [this, po] {
        load("finalize " + po, [this, po] {
          apps::Order* o = find(po);
          if (!o) return;
          const std::string ref = new_reference();
          o->status = "Finalized";
          o->reference = ref;
          auto& entry = state_.data()["finalized"][po];
          if (!entry.is_object()) entry = json::object();
          const int count = entry.value("count", 0) + 1;
          entry["reference"] = ref;
          entry["count"] = count;
          entry["time"] = apps::utc_now_iso();
          entry["references"].push_back(ref);
          backend_.update("finalized", [&](json& shared) {
            auto& e = shared[po];
            if (!e.is_object()) e = json::object();
            e["count"] = e.value("count", 0) + 1;
            e["reference"] = ref;
            e["time"] = apps::utc_now_iso();
            e["references"].push_back(ref);
            e["by"].push_back(state_.path());
          });
          table_->redraw();
          orders_table_->redraw();
          if (current_po_ == po) show_detail(o);
          event("finalized", {{"po", po}, {"reference", ref}, {"count", count}});
          modal("Information", "Pre-tender finalized", {"OK"}, nullptr, "Reference:", ref);
        });
      });
    });
  });
}

// A previous run's finalizations stay finalized: the ERP is a database, not a fresh screen.
void ErpApp::restore_state() {
  auto& d = state_.data();
  if (!d.contains("finalized") || !d["finalized"].is_object()) d["finalized"] = json::object();
  for (auto it = d["finalized"].begin(); it != d["finalized"].end(); ++it) {
    if (apps::Order* o = find(it.key())) {
      o->status = "Finalized";
      o->reference = it.value().value("reference", "");
    }
  }
  if (!d.contains("searches")) d["searches"] = 0;
  sync_backend();
}

// Another desktop may have finalized POs since this one last looked: the shared back end is the truth.
void ErpApp::sync_backend() {
  const json shared = backend_.read("finalized");
  for (const auto& [po, entry] : shared.items())
    if (apps::Order* o = find(po)) {
      o->status = "Finalized";
      o->reference = entry.value("reference", "");
    }
}

void ErpApp::started(json& d) {
  table_->refresh();
  orders_table_->refresh();
  d["rows"] = orders_.size();
  d["layout"] = {{"user", ui::rect_of(sign_in_.user)},
                 {"password", ui::rect_of(sign_in_.password)},
                 {"login", ui::rect_of(sign_in_.button)},
                 {"home_orders", ui::rect_of(home_orders_)},
                 {"home_pretender", ui::rect_of(home_pretender_)},
                 {"po_input", ui::rect_of(po_input_)},   {"search", ui::rect_of(search_)},
                 {"table", ui::rect_of(table_)},         {"status", ui::rect_of(d_status_)},
                 {"reference", ui::rect_of(d_reference_)}, {"finalize", ui::rect_of(finalize_)}};
}

}  // namespace

int main(int argc, char** argv) {
  apps::CommonOptions opts;
  auto outcome = apps::parse_options(
      argc, argv, "dockhand-sim-erp",
      "A simulated legacy ERP (FLTK) for Dockhand's desktop agent: log in as dockhand/dockhand, open\n"
      "Pre-tender, search a PO, \"Finalize pre-tender\". Every change is written to the --state file.\n"
      "The exact screens, texts and state format are in tests/apps/README.md.",
      {}, opts);
  if (outcome == apps::ParseOutcome::help_shown) return 0;
  if (outcome == apps::ParseOutcome::error) return 2;
  if (opts.state_path.empty()) opts.state_path = "/tmp/dockhand-sim-erp-" + std::to_string(getpid()) + ".json";

  std::vector<apps::Order> orders;
  try {
    orders = opts.orders_path.empty() ? apps::builtin_orders() : apps::load_orders(opts.orders_path);
  } catch (const std::exception& e) {
    std::cerr << "dockhand-sim-erp: " << e.what() << "\n";
    return 2;
  }
  if (opts.rows) apps::pad_orders(orders, *opts.rows, opts.seed);

  ErpApp app(opts, std::move(orders));
  return app.run(argv);
}
