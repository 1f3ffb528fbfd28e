// The PO grid (columns PO, Vendor, FC, Cartons, Status): a scrollable Fl_Table_Row over the order list.
#pragma once

#include <FL/Fl_Table_Row.H>

#include <functional>
#include <string>
#include <vector>

#include "orders.h"

class OrderTable : public Fl_Table_Row {
 public:
  OrderTable(int x, int y, int w, int h, const std::vector<dockhand::apps::Order>& orders);
  void refresh();  // row count and contents follow the order list
  // Double-clicking a row opens that PO.
  std::function<void(const std::string& po)> on_open;

 protected:
  void draw_cell(TableContext context, int row, int col, int x, int y, int w, int h) override;

 private:
  static void clicked(Fl_Widget* w, void*);
  const std::vector<dockhand::apps::Order>& orders_;
};
