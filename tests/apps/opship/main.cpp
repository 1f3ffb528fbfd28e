// dockhand-sim-opship: a simulated legacy shipping program (OpShip 4.2) for Dockhand's desktop agent. A
// sign-in, a shipment entry screen (find by Shipment ID, a form with POs, carrier, pickup date, cartons,
// pallets and reference, "Close shipment" -> Confirm -> a BOL number) and a shipment list. Every change is
// written to the --state JSON file. The exact UI texts are a contract: tests/apps/README.md.
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
#include <optional>
#include <regex>
#include <set>

#include "app_shell.h"
#include "grid.h"
#include "shipments.h"

namespace apps = dockhand::apps;
namespace ui = dockhand::apps::ui;
namespace op = dockhand::apps::opship;
using nlohmann::json;

namespace {

constexpr const char* kTitle = "OpShip 4.2 - Shipping";
constexpr int kBaseW = 900, kBaseH = 640;

std::string normalize_id(const char* raw) {
  std::string s(raw ? raw : "");
  s.erase(std::remove_if(s.begin(), s.end(), [](unsigned char c) { return std::isspace(c); }), s.end());
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::toupper(c); });
  return s;
}

std::string trimmed(const char* raw) {
  std::string s(raw ? raw : "");
  auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

void on_click(Fl_Widget* w, std::function<void()> fn) {
  w->callback([](Fl_Widget*, void* p) { (*static_cast<std::function<void()>*>(p))(); },
              new std::function<void()>(std::move(fn)));  // lives as long as the program
}

// The values of the form at the moment "Close shipment" was pressed, checked and made canonical.
struct CloseValues {
  std::string carrier, pickup_date, reference;
  int cartons = 0, pallets = 0;
  std::vector<std::string> pos;
};

class OpShipApp : public ui::AppShell {
 public:
  OpShipApp(const apps::CommonOptions& opts, std::vector<op::Shipment> shipments)
      : ui::AppShell(opts, "opship", kTitle, kBaseW, kBaseH), shipments_(std::move(shipments)) {}

 private:
  enum class Screen { login, entry, list };

  void restore_state() override;
  void apply_closed(const json& closed);
  void sync_backend() { apply_closed(backend_.read("closed")); }
  void add_menus() override;
  void build_screens(int W, int top, int bottom) override;
  void started(json& d) override;
  void show_first_screen() override { show_screen(Screen::login); }
  void loading_changed(bool loading) override {
    if (!loading) loading_box_->hide();
    else if (screen_ == Screen::entry) loading_box_->show();
  }

  void build_login(int W, int top, int bottom);
  void build_entry(int W, int top, int bottom);
  void build_list(int W, int top, int bottom);
  void show_screen(Screen s);
  void error(const std::string& text, Fl_Widget* focus) {
    modal("Error", text, {"OK"}, [focus](const std::string&) { if (focus) focus->take_focus(); });
  }

  void do_login();
  void do_logout();
  void go(Screen s);
  void do_find();
  void find(const std::string& id);
  void id_edited();
  void show_form(const std::optional<op::Shipment>& s);
  void do_close();
  void close_shipment(const std::string& id, const CloseValues& v);
  op::Shipment* lookup(const std::string& id) {
    for (auto& s : shipments_)
      if (s.id == id) return &s;
    return nullptr;
  }
  std::string new_bol();

  std::vector<op::Shipment> shipments_;
  std::optional<op::Shipment> form_;  // the shipment on the form (status "New" for an ID OpShip did not know)
  Screen screen_ = Screen::login;

  ui::SignInPanel sign_in_;
  Fl_Group* entry_ = nullptr;
  Fl_Input* id_input_ = nullptr;
  Fl_Button* find_ = nullptr;
  Fl_Box* loading_box_ = nullptr;
  Fl_Group* form_group_ = nullptr;
  Fl_Output* f_id_ = nullptr;
  Fl_Output* f_status_ = nullptr;
  Fl_Input* f_pos_ = nullptr;
  Fl_Input* f_carrier_ = nullptr;
  Fl_Input* f_pickup_ = nullptr;
  Fl_Input* f_cartons_ = nullptr;
  Fl_Input* f_pallets_ = nullptr;
  Fl_Input* f_reference_ = nullptr;
  Fl_Output* f_bol_ = nullptr;
  Fl_Button* close_ = nullptr;
  Fl_Group* list_ = nullptr;
  Fl_Button* list_entry_ = nullptr;
  ui::Grid* grid_ = nullptr;
};

void OpShipApp::add_menus() {
  add_menu("File/Sign off", [this] { do_logout(); });
  add_menu("File/Exit", [] { ui::request_exit("menu File/Exit"); });
  add_menu("Shipments/Shipment entry", [this] { go(Screen::entry); });
  add_menu("Shipments/Shipment list", [this] { go(Screen::list); });
  add_menu("Help/About", [this] {
    if (!busy()) modal("About", "OpShip 4.2 - (c) 1996 OpShip Software", {"OK"});
  });
}

void OpShipApp::build_screens(int W, int top, int bottom) {
  build_login(W, top, bottom);
  build_entry(W, top, bottom);
  build_list(W, top, bottom);
}

void OpShipApp::build_login(int W, int top, int bottom) {
  using ui::px;
  sign_in_ = ui::sign_in_panel(W, top, bottom, 150, "OpShip sign-in", "Operator:", "Sign in",
                                   "OpShip 4.2  (c) 1996 OpShip Software", [this] { do_login(); });
}

void OpShipApp::build_entry(int W, int top, int bottom) {
  using ui::px;
  entry_ = new Fl_Group(0, top, W, bottom - top);
  auto* label = new Fl_Box(px(20), px(80), px(100), px(28), "Shipment ID");
  label->align(FL_ALIGN_LEFT | FL_ALIGN_INSIDE);
  ui::style(label);
  id_input_ = new Fl_Input(px(125), px(80), px(330), px(28));
  ui::style(id_input_);
  // Enter finds; any edit of the ID clears the form, so the form on screen always belongs to the ID searched.
  id_input_->when(FL_WHEN_CHANGED | FL_WHEN_ENTER_KEY_ALWAYS);
  id_input_->callback([](Fl_Widget*, void* p) {
    auto* self = static_cast<OpShipApp*>(p);
    if (Fl::event() == FL_KEYBOARD && (Fl::event_key() == FL_Enter || Fl::event_key() == FL_KP_Enter))
      self->do_find();
    else
      self->id_edited();
  }, this);
  find_ = new Fl_Button(px(465), px(80), px(80), px(28), "Find");
  ui::style(find_);
  on_click(find_, [this] { do_find(); });
  loading_box_ = new Fl_Box(px(560), px(80), px(140), px(28), "Loading...");
  loading_box_->align(FL_ALIGN_LEFT | FL_ALIGN_INSIDE);
  ui::style(loading_box_);
  loading_box_->labelfont(FL_HELVETICA_BOLD);
  loading_box_->hide();

  form_group_ = new Fl_Group(px(20), px(125), px(600), px(460), "Shipment details");
  form_group_->box(FL_ENGRAVED_BOX);
  form_group_->align(FL_ALIGN_TOP_LEFT | FL_ALIGN_INSIDE);
  ui::style(form_group_);
  const char* labels[] = {"Shipment ID:", "Status:", "POs:", "Carrier:", "Pickup date:",
                          "Cartons:", "Pallets:", "Reference:", "BOL:"};
  for (int i = 0; i < 9; ++i) {
    const int y = px(160) + i * px(40);
    ui::field_label(px(30), y, px(120), px(28), labels[i]);
    Fl_Input_* field = nullptr;
    switch (i) {
      case 0: field = f_id_ = new Fl_Output(px(160), y, px(330), px(28)); break;
      case 1: field = f_status_ = new Fl_Output(px(160), y, px(330), px(28)); break;
      case 2: field = f_pos_ = new Fl_Input(px(160), y, px(330), px(28)); break;
      case 3: field = f_carrier_ = new Fl_Input(px(160), y, px(330), px(28)); break;
      case 4: field = f_pickup_ = new Fl_Input(px(160), y, px(150), px(28)); break;
      case 5: field = f_cartons_ = new Fl_Input(px(160), y, px(150), px(28)); break;
      case 6: field = f_pallets_ = new Fl_Input(px(160), y, px(150), px(28)); break;
      case 7: field = f_reference_ = new Fl_Input(px(160), y, px(330), px(28)); break;
      default: field = f_bol_ = new Fl_Output(px(160), y, px(150), px(28)); break;
    }
    ui::style(field);
  }
  auto* hint = new Fl_Box(px(320), px(160) + 4 * px(40), px(160), px(28), "YYYY-MM-DD");
  hint->align(FL_ALIGN_LEFT | FL_ALIGN_INSIDE);
  ui::style(hint, 12);
  hint->labelcolor(fl_rgb_color(80, 80, 80));
  close_ = new Fl_Button(px(160), px(530), px(170), px(34), "Close shipment");
  ui::style(close_);
  on_click(close_, [this] { do_close(); });
  form_group_->end();
  form_group_->hide();
  entry_->end();
}

void OpShipApp::build_list(int W, int top, int bottom) {
  using ui::px;
  list_ = new Fl_Group(0, top, W, bottom - top);
  list_entry_ = new Fl_Button(px(20), px(76), px(150), px(28), "Shipment entry");
  ui::style(list_entry_);
  on_click(list_entry_, [this] { go(Screen::entry); });
  grid_ = new ui::Grid(px(20), px(114), W - px(40), bottom - px(124),
                       {{"Shipment ID", 250}, {"Status", 80}, {"Carrier", 180}, {"Pickup", 110},
                        {"Cartons", 80, true}, {"BOL", 110}},
                       [this] { return static_cast<int>(shipments_.size()); },
                       [this](int row, int col) {
                         const auto& s = shipments_[row];
                         switch (col) {
                           case 0: return s.id;
                           case 1: return s.status;
                           case 2: return s.carrier;
                           case 3: return s.pickup_date;
                           case 4: return s.cartons;
                           default: return s.bol;
                         }
                       });
  grid_->on_open_row = [this](int row) {
    const std::string id = shipments_[row].id;
    go(Screen::entry);
    id_input_->value(id.c_str());
    do_find();
  };
  list_->end();
}

void OpShipApp::show_screen(Screen s) {
  screen_ = s;
  sign_in_.group->hide();
  entry_->hide();
  list_->hide();
  const char* names[] = {"login", "entry", "list"};
  switch (s) {
    case Screen::login:
      sign_in_.group->show();
      set_heading("Operator sign-in");
      sign_in_.user->take_focus();
      break;
    case Screen::entry:
      entry_->show();
      set_heading("Shipment entry");
      id_input_->take_focus();
      break;
    case Screen::list:
      list_->show();
      set_heading("Shipment list");
      grid_->refresh();
      break;
  }
  state_.data()["screen"] = names[static_cast<int>(s)];
  win_->redraw();
}

void OpShipApp::do_login() {
  log_in(sign_in_.user, sign_in_.password, "Invalid operator or password", [this] { show_screen(Screen::entry); });
}

void OpShipApp::do_logout() {
  log_out([this] {
    show_form(std::nullopt);
    id_input_->value("");
    show_screen(Screen::login);
  });
}

void OpShipApp::go(Screen s) {
  navigate([this, s] { show_screen(s); });
}

void OpShipApp::id_edited() {
  if (!form_) return;
  show_form(std::nullopt);
  save();
}

void OpShipApp::do_find() {
  if (busy() || !logged_in_ || screen_ != Screen::entry) return;
  const std::string id = normalize_id(id_input_->value());
  id_input_->value(id.c_str());
  if (id.empty()) {
    error("Enter a shipment ID", id_input_);
    return;
  }
  if (!op::valid_shipment_id(id)) {
    event("invalid_id", {{"id", id}});
    error("Invalid shipment ID: " + id, id_input_);
    return;
  }
  action("find", [this, id] { find(id); });
}

void OpShipApp::find(const std::string& id) {
  show_form(std::nullopt);
  state_.data()["finds"] = state_.data().value("finds", 0) + 1;
  event("find", {{"id", id}});
  load("find " + id, [this, id] {
    auto result = [this, id] {
      sync_backend();
      const op::Shipment* s = lookup(id);
      op::Shipment shown = s ? *s : op::Shipment{id, "New", "", "", "", "", "", "", ""};
      for (int r = 0; r < static_cast<int>(shipments_.size()); ++r)
        if (shipments_[r].id == id) grid_->select_only(r);
      show_form(shown);
      event("find_result", {{"id", id}, {"status", shown.status}});
      f_carrier_->take_focus();
    };
    result_or_unexpected_modal(result);
  });
}

void OpShipApp::show_form(const std::optional<op::Shipment>& s) {
  form_ = s;
  if (!s) {
    form_group_->hide();
    state_.data()["detail"] = nullptr;
    win_->redraw();
    return;
  }
  f_id_->value(s->id.c_str());
  f_status_->value(s->status.c_str());
  f_pos_->value(s->pos.c_str());
  f_carrier_->value(s->carrier.c_str());
  f_pickup_->value(s->pickup_date.c_str());
  f_cartons_->value(s->cartons.c_str());
  f_pallets_->value(s->pallets.c_str());
  f_reference_->value(s->reference.c_str());
  f_bol_->value(s->bol.c_str());
  form_group_->show();
  state_.data()["detail"] = {{"id", s->id},           {"status", s->status},   {"pos", s->pos},
                             {"carrier", s->carrier}, {"pickup_date", s->pickup_date},
                             {"cartons", s->cartons}, {"pallets", s->pallets}, {"reference", s->reference},
                             {"bol", s->bol}};
  win_->redraw();
}

std::string OpShipApp::new_bol() {
  std::set<std::string> used;
  for (const auto& s : shipments_) used.insert(s.bol);
  for (const auto& [id, c] : state_.data()["closed"].items())
    for (const auto& b : c["bols"]) used.insert(b.get<std::string>());
  const json shared = backend_.read("closed");
  for (const auto& [id, c] : shared.items())
    for (const auto& b : c.value("bols", json::array())) used.insert(b.get<std::string>());
  std::string bol;
  do bol = "BOL" + hazards_.digits(7);
  while (used.count(bol) || bol == "BOL0000000");
  return bol;
}

void OpShipApp::do_close() {
  if (busy() || !form_) return;
  const std::string id = form_->id;
  action("close", [this, id] {
    if (!form_ || form_->id != id) return;
    // OpShip checks the form top to bottom and stops at the first problem.
    CloseValues v;
    std::string field, value, message;
    Fl_Widget* focus = nullptr;
    const std::string carrier = trimmed(f_carrier_->value()), date = trimmed(f_pickup_->value()),
                      cartons = trimmed(f_cartons_->value()), pallets = trimmed(f_pallets_->value()),
                      reference = trimmed(f_reference_->value()), pos = f_pos_->value();
    static const std::regex reference_re("^[A-Za-z0-9-]{0,20}$");
    std::string bad_po;
    auto po_list = op::parse_pos(pos, bad_po);
    auto known = op::canonical_carrier(carrier);
    auto n_cartons = op::parse_count(cartons, 1, 99999), n_pallets = op::parse_count(pallets, 0, 999);
    if (!po_list) {
      field = "pos", value = pos, message = "Invalid PO: " + bad_po, focus = f_pos_;
    } else if (carrier.empty()) {
      field = "carrier", value = carrier, message = "Enter a carrier", focus = f_carrier_;
    } else if (!known) {
      field = "carrier", value = carrier, message = "Unknown carrier: " + carrier, focus = f_carrier_;
    } else if (!op::valid_date(date)) {
      field = "pickup_date", value = date, message = "Invalid pickup date: " + date + " (use YYYY-MM-DD)",
      focus = f_pickup_;
    } else if (!n_cartons) {
      field = "cartons", value = cartons, message = "Invalid cartons: " + cartons, focus = f_cartons_;
    } else if (!n_pallets) {
      field = "pallets", value = pallets, message = "Invalid pallets: " + pallets, focus = f_pallets_;
    } else if (!std::regex_match(reference, reference_re)) {
      field = "reference", value = reference, message = "Invalid reference: " + reference, focus = f_reference_;
    }
    if (!message.empty()) {
      event("refused", {{"id", id}, {"field", field}, {"value", value}, {"message", message}});
      error(message, focus);
      return;
    }
    v.carrier = *known;
    v.pickup_date = date;
    v.cartons = *n_cartons;
    v.pallets = *n_pallets;
    v.reference = reference;
    v.pos = *po_list;
    modal("Confirm", "Close shipment " + id + "?", {"Yes", "No"}, [this, id, v](const std::string& b) {
      if (b != "Yes") {
        event("close_cancelled", {{"id", id}});
        return;
      }
      event("close_confirmed", {{"id", id}});
      action("confirm", [this, id, v] { load("close " + id, [this, id, v] { close_shipment(id, v); }); });
    });
  });
}

void OpShipApp::close_shipment(const std::string& id, const CloseValues& v) {
  const std::string bol = new_bol();
  op::Shipment* s = lookup(id);
  if (!s) {
    shipments_.push_back({id, "Open", "", "", "", "", "", "", ""});
    s = &shipments_.back();
  }
  s->status = "Closed";
  s->pos = op::join_pos(v.pos);
  s->carrier = v.carrier;
  s->pickup_date = v.pickup_date;
  s->cartons = std::to_string(v.cartons);
  s->pallets = std::to_string(v.pallets);
  s->reference = v.reference;
  s->bol = bol;
  auto& entry = state_.data()["closed"][id];
  if (!entry.is_object()) entry = json::object();
  const int count = entry.value("count", 0) + 1;
  const json values = {{"carrier", v.carrier}, {"pickup_date", v.pickup_date}, {"cartons", v.cartons},
                       {"pallets", v.pallets}, {"reference", v.reference},     {"pos", v.pos}};
  entry["bol"] = bol;
  entry["count"] = count;
  entry["time"] = apps::utc_now_iso();
  entry["bols"].push_back(bol);
  for (auto it = values.begin(); it != values.end(); ++it) entry[it.key()] = it.value();
  backend_.update("closed", [&](json& shared) {
    auto& e = shared[id];
    if (!e.is_object()) e = json::object();
    e["count"] = e.value("count", 0) + 1;
    e["bol"] = bol;
    e["time"] = entry["time"];
    e["bols"].push_back(bol);
    e["by"].push_back(state_.path());
    for (auto it = values.begin(); it != values.end(); ++it) e[it.key()] = it.value();
  });
  grid_->refresh();
  if (form_ && form_->id == id) show_form(*s);
  json detail = {{"id", id}, {"bol", bol}, {"count", count}};
  detail.update(values);
  event("closed", detail);
  modal("Information", "Shipment closed", {"OK"}, nullptr, "BOL:", bol);
}

// A previous run's closed shipments stay closed: OpShip is a database, not a fresh screen.
void OpShipApp::restore_state() {
  auto& d = state_.data();
  if (!d.contains("closed") || !d["closed"].is_object()) d["closed"] = json::object();
  apply_closed(d["closed"]);
  sync_backend();
  if (!d.contains("finds")) d["finds"] = 0;
}

// Closed shipments (this instance's earlier runs, or any instance's in the shared back end) stay closed.
void OpShipApp::apply_closed(const json& closed) {
  for (const auto& [id, c] : closed.items()) {
    op::Shipment* s = lookup(id);
    if (!s) {
      shipments_.push_back({id, "Open", "", "", "", "", "", "", ""});
      s = &shipments_.back();
    }
    s->status = "Closed";
    s->bol = c.value("bol", "");
    s->carrier = c.value("carrier", "");
    s->pickup_date = c.value("pickup_date", "");
    s->cartons = c.contains("cartons") ? c["cartons"].dump() : "";
    s->pallets = c.contains("pallets") ? c["pallets"].dump() : "";
    s->reference = c.value("reference", "");
    s->pos = c.contains("pos") ? op::join_pos(c["pos"].get<std::vector<std::string>>()) : "";
  }
}

void OpShipApp::started(json& d) {
  grid_->refresh();
  d["rows"] = shipments_.size();
  d["carriers"] = op::known_carriers();
  d["layout"] = {{"user", ui::rect_of(sign_in_.user)},
                 {"password", ui::rect_of(sign_in_.password)},
                 {"sign_in", ui::rect_of(sign_in_.button)},
                 {"id_input", ui::rect_of(id_input_)},
                 {"find", ui::rect_of(find_)},         {"status", ui::rect_of(f_status_)},
                 {"pos", ui::rect_of(f_pos_)},         {"carrier", ui::rect_of(f_carrier_)},
                 {"pickup_date", ui::rect_of(f_pickup_)}, {"cartons", ui::rect_of(f_cartons_)},
                 {"pallets", ui::rect_of(f_pallets_)}, {"reference", ui::rect_of(f_reference_)},
                 {"bol", ui::rect_of(f_bol_)},         {"close", ui::rect_of(close_)},
                 {"list_entry", ui::rect_of(list_entry_)}, {"grid", ui::rect_of(grid_)}};
}

}  // namespace

int main(int argc, char** argv) {
  apps::CommonOptions opts;
  std::string shipments_path;
  auto outcome = apps::parse_options(
      argc, argv, "dockhand-sim-opship",
      "A simulated legacy shipping program (OpShip 4.2, FLTK) for Dockhand's desktop agent: sign in as\n"
      "dockhand/dockhand, find a shipment by its Shipment ID, fill in carrier, pickup date, cartons, pallets\n"
      "and reference, \"Close shipment\" -> a BOL number. Every change is written to the --state file.\n"
      "The exact screens, texts and state format are in tests/apps/README.md. (--rows pads the shipment list.)",
      {{"--shipments", "FILE",
        "JSON list of shipments: [{\"id\",\"status\",\"pos\",\"carrier\",\"pickup_date\",\"cartons\",...}] "
        "(default: built-in 30)",
        [&](const std::string& v) { shipments_path = v; }}},
      opts);
  if (outcome == apps::ParseOutcome::help_shown) return 0;
  if (outcome == apps::ParseOutcome::error) return 2;
  if (opts.state_path.empty()) opts.state_path = "/tmp/dockhand-sim-opship-" + std::to_string(getpid()) + ".json";
  if (!opts.orders_path.empty()) {
    std::cerr << "dockhand-sim-opship: --orders is the ERP's; OpShip takes --shipments FILE\n";
    return 2;
  }

  std::vector<op::Shipment> shipments;
  try {
    shipments = shipments_path.empty() ? op::builtin_shipments() : op::load_shipments(shipments_path);
  } catch (const std::exception& e) {
    std::cerr << "dockhand-sim-opship: " << e.what() << "\n";
    return 2;
  }
  if (opts.rows) op::pad_shipments(shipments, *opts.rows, opts.seed);

  OpShipApp app(opts, std::move(shipments));
  return app.run(argv);
}
