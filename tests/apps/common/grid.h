// A read-only grid of the simulated programs (the ERP's PO list, OpShip's shipment list): a scrollable
// Fl_Table_Row with bold column headers, white rows, the selected row navy. Rows come from a callback, so
// the grid always shows the program's current data.
#pragma once

#include <FL/Fl_Table_Row.H>

#include <functional>
#include <string>
#include <vector>

namespace dockhand::apps::ui {

struct GridColumn {
  std::string header;
  int width = 100;            // at scale 1.0
  bool align_right = false;   // numbers
};

class Grid : public Fl_Table_Row {
 public:
  using CellText = std::function<std::string(int row, int col)>;
  Grid(int x, int y, int w, int h, std::vector<GridColumn> columns, std::function<int()> row_count, CellText cell);
  void refresh();                    // row count and contents follow the data
  void select_only(int row);         // selects `row` and scrolls it into view (a few rows from the top)
  // Double-clicking a row calls this with the row index.
  std::function<void(int row)> on_open_row;

 protected:
  void draw_cell(TableContext context, int row, int col, int x, int y, int w, int h) override;

 private:
  static void clicked(Fl_Widget* w, void*);
  std::vector<GridColumn> columns_;
  std::function<int()> row_count_;
  CellText cell_;
};

}  // namespace dockhand::apps::ui
