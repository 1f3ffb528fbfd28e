#include "order_table.h"

namespace ui = dockhand::apps::ui;

OrderTable::OrderTable(int x, int y, int w, int h, const std::vector<dockhand::apps::Order>& orders)
    : ui::Grid(x, y, w, h, {{"PO", 110}, {"Vendor", 180}, {"FC", 70}, {"Cartons", 80, true}, {"Status", 100}},
               [&orders] { return static_cast<int>(orders.size()); },
               [&orders](int row, int col) {
                 const auto& o = orders[row];
                 return col == 0 ? o.po : col == 1 ? o.vendor : col == 2 ? o.fc
                      : col == 3 ? std::to_string(o.cartons) : o.status;
               }) {
  on_open_row = [this, &orders](int row) {
    if (on_open) on_open(orders[row].po);
  };
}
