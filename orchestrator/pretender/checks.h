// Internal to pretender/: evaluating the rules file against one PO.
#pragma once

#include "pretender.h"

namespace dockhand::pretender::detail {

struct PoFacts {
  const intake::PurchaseOrderRequest& email;
  const Order* order;  // null when the PO is not in the warehouse data
  std::optional<std::string> email_vendor;
  std::string today;  // ISO date
};

void check_po(const Rules& rules, const PoFacts& facts, std::vector<RuleFinding>& findings);

}  // namespace dockhand::pretender::detail
