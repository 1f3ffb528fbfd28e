#include "grid.h"

#include <FL/Fl.H>
#include <FL/fl_draw.H>

#include <algorithm>

#include "ui_kit.h"

namespace dockhand::apps::ui {

Grid::Grid(int x, int y, int w, int h, std::vector<GridColumn> columns, std::function<int()> row_count,
           CellText cell)
    : Fl_Table_Row(x, y, w, h), columns_(std::move(columns)), row_count_(std::move(row_count)), cell_(std::move(cell)) {
  cols(static_cast<int>(columns_.size()));
  col_header(1);
  col_header_height(px(26));
  row_height_all(px(24));
  for (int c = 0; c < cols(); ++c) col_width(c, px(columns_[c].width));
  type(SELECT_SINGLE);
  color(FL_WHITE);
  when(FL_WHEN_RELEASE);
  callback(clicked, this);
  end();
  refresh();
}

void Grid::refresh() {
  rows(row_count_());
  row_height_all(px(24));
  redraw();
}

void Grid::select_only(int row) {
  select_all_rows(0);
  if (row < 0 || row >= rows()) return;
  select_row(row, 1);
  row_position(std::max(0, row - 3));
}

void Grid::clicked(Fl_Widget* w, void*) {
  auto* g = static_cast<Grid*>(w);
  if (g->callback_context() != CONTEXT_CELL || !Fl::event_clicks() || !g->on_open_row) return;
  int r = g->callback_row();
  if (r >= 0 && r < g->row_count_()) g->on_open_row(r);
}

void Grid::draw_cell(TableContext context, int row, int col, int x, int y, int w, int h) {
  switch (context) {
    case CONTEXT_STARTPAGE:
      fl_font(FL_HELVETICA, text_size());
      return;
    case CONTEXT_COL_HEADER:
      fl_push_clip(x, y, w, h);
      fl_draw_box(FL_THIN_UP_BOX, x, y, w, h, FL_BACKGROUND_COLOR);
      fl_color(FL_BLACK);
      fl_font(FL_HELVETICA_BOLD, text_size());
      fl_draw(columns_[col].header.c_str(), x + px(6), y, w - px(8), h, FL_ALIGN_LEFT);
      fl_pop_clip();
      return;
    case CONTEXT_CELL: {
      if (row >= row_count_()) return;
      const std::string text = cell_(row, col);
      const bool selected = row_selected(row);
      fl_push_clip(x, y, w, h);
      fl_color(selected ? fl_rgb_color(0, 0, 128) : FL_WHITE);
      fl_rectf(x, y, w, h);
      fl_color(selected ? FL_WHITE : FL_BLACK);
      fl_font(FL_HELVETICA, text_size());
      fl_draw(text.c_str(), x + px(6), y, w - px(8), h, columns_[col].align_right ? FL_ALIGN_RIGHT : FL_ALIGN_LEFT);
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

}  // namespace dockhand::apps::ui
