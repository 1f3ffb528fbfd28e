// The POs the simulated programs know: a built-in list of 40, or --orders FILE, padded by --rows.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace dockhand::apps {

struct Order {
  std::string po;         // 8 characters [A-Z0-9]
  std::string vendor;
  std::string fc;         // destination fulfilment centre, e.g. "ABE8"
  int cartons = 0;
  std::string status;     // "Open" | "Finalized"
  std::string reference;  // "PT-nnnnnn" once finalized
};

std::vector<Order> builtin_orders();

// Reads [{"po","vendor","fc","cartons","status"}]; throws std::runtime_error naming the file, the entry
// index and the field on bad input.
std::vector<Order> load_orders(const std::string& path);

// Appends generated POs (random codes, vendors, FCs; from `seed`) until there are `rows` orders.
void pad_orders(std::vector<Order>& orders, int rows, std::uint64_t seed);

// The reference an order given as "Finalized" in the input carries (derived from the PO, stable).
std::string reference_for_preloaded(const std::string& po);

}  // namespace dockhand::apps
