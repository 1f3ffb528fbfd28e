// The PO grid (columns PO, Vendor, FC, Cartons, Status): the common grid over the order list.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "grid.h"
#include "orders.h"

class OrderTable : public dockhand::apps::ui::Grid {
 public:
  OrderTable(int x, int y, int w, int h, const std::vector<dockhand::apps::Order>& orders);
  // Double-clicking a row opens that PO.
  std::function<void(const std::string& po)> on_open;
};
