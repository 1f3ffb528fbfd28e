// Rules are data: a JSON file picks checks from a fixed vocabulary, with limits, severities and messages.
#include "checks.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

namespace dockhand::pretender {

namespace {
const std::set<std::string> kChecks = {
    "po_in_warehouse",     "po_status_in",       "po_has_cartons",       "carton_max_weight_lb",
    "carton_max_dimension_in", "ship_window_not_past", "email_cartons_match", "email_pallets_match",
    "email_weight_within_pct", "email_fc_matches",  "email_vendor_matches", "email_values_readable"};
const std::set<std::string> kNeedLimit = {"carton_max_weight_lb", "carton_max_dimension_in",
                                          "email_weight_within_pct"};
}  // namespace

void to_json(nlohmann::json& j, const RuleFinding& f) {
  j = {{"rule", f.rule}, {"severity", f.severity}, {"po", f.po}, {"message", f.message}};
}

Rules Rules::from_json_text(const std::string& text, const std::string& origin) {
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    throw PretenderError(origin + ": not valid JSON: " + e.what());
  }
  if (!doc.is_object() || !doc.contains("rules") || !doc["rules"].is_array())
    throw PretenderError(origin + ": expected an object with a \"rules\" array");
  std::set<std::string> ids;
  for (std::size_t i = 0; i < doc["rules"].size(); ++i) {
    const auto& r = doc["rules"][i];
    std::string where = origin + ": rules[" + std::to_string(i) + "]";
    if (!r.is_object()) throw PretenderError(where + ": expected an object");
    for (const char* key : {"id", "check", "message"})
      if (!r.contains(key) || !r[key].is_string())
        throw PretenderError(where + ": \"" + key + "\" is missing or not a string");
    std::string check = r["check"];
    if (!kChecks.count(check)) {
      std::string known;
      for (const auto& c : kChecks) known += (known.empty() ? "" : ", ") + c;
      throw PretenderError(where + ": unknown check \"" + check + "\" (known: " + known + ")");
    }
    if (kNeedLimit.count(check) && !(r.contains("limit") && r["limit"].is_number()))
      throw PretenderError(where + ": check " + check + " needs a numeric \"limit\"");
    if (check == "po_status_in" && !(r.contains("values") && r["values"].is_array()))
      throw PretenderError(where + ": check po_status_in needs a \"values\" array");
    std::string severity = r.value("severity", "error");
    if (severity != "error" && severity != "warning")
      throw PretenderError(where + ": severity must be \"error\" or \"warning\", not \"" + severity + "\"");
    if (!ids.insert(r["id"].get<std::string>()).second)
      throw PretenderError(where + ": duplicate rule id \"" + r["id"].get<std::string>() + "\"");
  }
  Rules rules;
  rules.rules = doc["rules"];
  return rules;
}

Rules Rules::from_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw PretenderError("cannot read rules file " + path);
  std::stringstream text;
  text << in.rdbuf();
  return from_json_text(text.str(), path);
}

Rules Rules::defaults() { return from_json_text(default_rules_json(), "built-in rules"); }

namespace detail {

namespace {

std::string fill(std::string message, const std::vector<std::pair<std::string, std::string>>& values) {
  for (const auto& [key, value] : values) {
    std::string token = "{" + key + "}";
    for (auto pos = message.find(token); pos != std::string::npos; pos = message.find(token, pos + value.size()))
      message.replace(pos, token.size(), value);
  }
  return message;
}

}  // namespace

void check_po(const Rules& rules, const PoFacts& facts, std::vector<RuleFinding>& findings) {
  const auto& po = facts.email.po;
  bool found_rule_for_missing = false;
  for (const auto& rule : rules.rules) {
    std::string check = rule["check"];
    std::string severity = rule.value("severity", "error");
    auto add = [&](std::vector<std::pair<std::string, std::string>> values) {
      values.emplace_back("po", po);
      if (rule.contains("limit")) values.emplace_back("limit", decimal_string(rule["limit"].get<double>()));
      if (rule.contains("values")) {
        std::string list;
        for (const auto& v : rule["values"]) list += (list.empty() ? "" : ", ") + v.get<std::string>();
        values.emplace_back("values", list);
      }
      findings.push_back({rule["id"], severity, po, fill(rule["message"], values)});
    };
    if (check == "po_in_warehouse") {
      found_rule_for_missing = true;
      severity = "error";  // a PO we cannot look up can never be submitted, whatever the file says
      if (!facts.order) add({});
      continue;
    }
    if (!facts.order) continue;  // every other check compares with the warehouse data
    const Order& order = *facts.order;
    if (check == "po_status_in") {
      const auto& allowed = rule["values"];
      if (std::find(allowed.begin(), allowed.end(), order.status) == allowed.end()) add({{"value", order.status}});
    } else if (check == "po_has_cartons") {
      if (order.cartons.empty()) add({});
    } else if (check == "carton_max_weight_lb") {
      double limit = rule["limit"];
      for (const auto& c : order.cartons)
        if (c.weight_lb > limit) add({{"carton_id", c.carton_id}, {"value", decimal_string(c.weight_lb)}});
    } else if (check == "carton_max_dimension_in") {
      double limit = rule["limit"];
      for (const auto& c : order.cartons) {
        double side = std::max({c.length_in, c.width_in, c.height_in});
        if (side > limit) add({{"carton_id", c.carton_id}, {"value", decimal_string(side)}});
      }
    } else if (check == "ship_window_not_past") {
      std::string end = facts.email.ship_window_end.value_or(order.ship_window_end);
      if (!end.empty() && end < facts.today) add({{"value", end}});
    } else if (check == "email_cartons_match") {
      if (facts.email.cartons && *facts.email.cartons != static_cast<int>(order.cartons.size()))
        add({{"expected", std::to_string(*facts.email.cartons)}, {"value", std::to_string(order.cartons.size())}});
    } else if (check == "email_pallets_match") {
      std::set<std::string> pallets;
      for (const auto& c : order.cartons)
        if (c.pallet_id) pallets.insert(*c.pallet_id);
      if (facts.email.pallets && *facts.email.pallets != static_cast<int>(pallets.size()))
        add({{"expected", std::to_string(*facts.email.pallets)}, {"value", std::to_string(pallets.size())}});
    } else if (check == "email_weight_within_pct") {
      if (facts.email.weight_lb) {
        double total = 0;
        for (const auto& c : order.cartons) total += c.weight_lb;
        double expected = *facts.email.weight_lb;
        double limit = rule["limit"];
        if (std::abs(total - expected) > limit / 100.0 * std::max(expected, total))
          add({{"expected", decimal_string(expected)}, {"value", decimal_string(total)}});
      }
    } else if (check == "email_fc_matches") {
      if (facts.email.destination_fc && *facts.email.destination_fc != order.destination_fc)
        add({{"expected", *facts.email.destination_fc}, {"value", order.destination_fc}});
    } else if (check == "email_vendor_matches") {
      if (facts.email_vendor && *facts.email_vendor != order.vendor_code)
        add({{"expected", *facts.email_vendor}, {"value", order.vendor_code}});
    }
  }
  // A PO we cannot find can never be submitted, whatever the rules file says: never drop it silently.
  if (!facts.order && !found_rule_for_missing)
    findings.push_back({"po-in-warehouse", "error", po, "PO " + po + " is not in the warehouse order data"});
}

}  // namespace detail
}  // namespace dockhand::pretender
