#include "order_table.h"

#include <FL/Fl.H>
#include <FL/fl_draw.H>

#include "ui_kit.h"

namespace ui = dockhand::apps::ui;

namespace {
const char* const kHeaders[] = {"PO", "Vendor", "FC", "Cartons", "Status"};
const int kWidths[] = {110, 180, 70, 80, 100};
}  // namespace

OrderTable::OrderTable(int x, int y, int w, int h, const std::vector<dockhand::apps::Order>& orders)
    : Fl_Table_Row(x, y, w, h), orders_(orders) {
  cols(5);
  col_header(1);
  col_header_height(ui::px(26));
  row_height_all(ui::px(24));
  for (int c = 0; c < 5; ++c) col_width(c, ui::px(kWidths[c]));
  type(SELECT_SINGLE);
  color(FL_WHITE);
  when(FL_WHEN_RELEASE);
  callback(clicked, this);
  end();
  refresh();
}

void OrderTable::refresh() {
  rows(static_cast<int>(orders_.size()));
  row_height_all(ui::px(24));
  redraw();
}

void OrderTable::clicked(Fl_Widget* w, void*) {
  auto* t = static_cast<OrderTable*>(w);
  if (t->callback_context() != CONTEXT_CELL || !Fl::event_clicks() || !t->on_open) return;
  int r = t->callback_row();
  if (r >= 0 && r < static_cast<int>(t->orders_.size())) t->on_open(t->orders_[r].po);
}

void OrderTable::draw_cell(TableContext context, int row, int col, int x, int y, int w, int h) {
  switch (context) {
    case CONTEXT_STARTPAGE:
      fl_font(FL_HELVETICA, ui::text_size());
      return;
    case CONTEXT_COL_HEADER:
      fl_push_clip(x, y, w, h);
      fl_draw_box(FL_THIN_UP_BOX, x, y, w, h, FL_BACKGROUND_COLOR);
      fl_color(FL_BLACK);
      fl_font(FL_HELVETICA_BOLD, ui::text_size());
      fl_draw(kHeaders[col], x + ui::px(6), y, w - ui::px(8), h, FL_ALIGN_LEFT);
      fl_pop_clip();
      return;
    case CONTEXT_CELL: {
      if (row >= static_cast<int>(orders_.size())) return;
      const auto& o = orders_[row];
      std::string text = col == 0 ? o.po : col == 1 ? o.vendor : col == 2 ? o.fc
                       : col == 3 ? std::to_string(o.cartons) : o.status;
      bool selected = row_selected(row);
      fl_push_clip(x, y, w, h);
      fl_color(selected ? fl_rgb_color(0, 0, 128) : FL_WHITE);
      fl_rectf(x, y, w, h);
      fl_color(selected ? FL_WHITE : FL_BLACK);
      fl_font(FL_HELVETICA, ui::text_size());
      fl_draw(text.c_str(), x + ui::px(6), y, w - ui::px(8), h,
              col == 3 ? FL_ALIGN_RIGHT : FL_ALIGN_LEFT);
      fl_color(fl_rgb_color(200, 200, 200));
      fl_line(x, y + h - 1, x + w - 1, y + h - 1);
      fl_line(x + w - 1, y, x + w - 1, y + h - 1);
      fl_pop_clip();
      return;
    }
    default:
      return;
  }
}
