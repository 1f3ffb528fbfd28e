// console-bench-fill STORE N: a Dockhand store with N routing requests, written through the chain's own Store
// (so every row, event and search key is what serve would write), for the console's benchmark. Mostly DONE
// (received, extracted, planned, submitted, confirmed, closed out with PT references and a BOL), one in ten
// NEEDS_ATTENTION with rule findings, one in twenty REJECTED with Amazon's errors; every request in a final
// state, so a serve started on the store has nothing to do but serve the console.
#include "orchestrator/chain/clock.h"
#include "orchestrator/chain/store.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <exception>
#include <string>

namespace {

using nlohmann::json;
using namespace dockhand;

std::string po_of(int i) {
  static const char* digits = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ";
  std::string po = "P";
  for (int n = i * 7919 + 104729, k = 0; k < 7; ++k, n /= 34) po += digits[n % 34];
  return po;
}

void fill_one(chain::Store& store, int i) {
  const std::string po = po_of(i), fc = (i % 3 == 0) ? "ABE8" : (i % 3 == 1 ? "MDW2" : "SWF1");
  const std::string message = "From: Dana Ruiz <dana@acme-widgets.example>\r\nSubject: Routing request PO " + po +
                              "\r\nMessage-ID: <bench-" + std::to_string(i) + "@acme-widgets.example>\r\n\r\nPO: " + po + "\r\n";
  auto received = store.receive({"bench:" + std::to_string(i), message}, "mail");
  const auto id = received.request_id;
  json extracted = {{"classification", "amazon_routing_request"}, {"vendor_code", "ACMEW"}, {"ship_from", "ORL1"},
                    {"freight_ready_date", "2026-12-07"},
                    {"purchase_orders", {{{"po", po}, {"destination_fc", fc}, {"ship_window_start", "2026-12-08"},
                                          {"ship_window_end", "2026-12-12"}, {"cartons", 4 + i % 9}, {"pallets", 1},
                                          {"weight_lb", 25.5 * (4 + i % 9)}}}},
                    {"needs_attention", false}};
  store.record_extraction(id, extracted, true, "", "intake");
  if (i % 10 == 3) {
    json finding = {{"rule", "carton-count"}, {"severity", "error"}, {"po", po},
                    {"message", "The email says PO " + po + " has 9 cartons but the warehouse has 8: recount before submitting"}};
    store.needs_attention(id, finding["message"], json::array({finding}), "pretender");
    return;
  }
  pretender::Plan plan;
  pretender::PlannedShipment s;
  s.vendor_shipment_identifier = "ACMEW-ORL1-" + fc + "-" + po;
  s.vendor_code = "ACMEW";
  s.ship_from = "ORL1";
  s.destination_fc = fc;
  s.ship_window_start = "2026-12-08";
  s.ship_window_end = "2026-12-12";
  s.pos = {po};
  s.cartons = 4 + i % 9;
  s.pallets = 1;
  s.weight_lb = 25.5 * s.cartons;
  s.payload = {{"vendorShipmentIdentifier", s.vendor_shipment_identifier}, {"transactionType", "Create"},
               {"purchaseOrders", {{{"purchaseOrderNumber", po}}}}, {"shipToParty", {{"partyId", fc}}}};
  plan.shipments.push_back(s);
  store.record_plan(id, plan, "pretender");
  const auto shipment = store.shipments(id).at(0).id;
  store.mark_submitting(shipment, "spapi");
  store.record_submission(shipment, "txn-" + std::to_string(100000 + i), "spapi", "submitShipments accepted");
  if (i % 20 == 7) {
    store.record_rejection(shipment, json::array({{{"code", "SHIPMENT_REJECTED"}, {"message", "The shipment was rejected by the buyer."}}}),
                           "spapi", "getTransaction: Failure");
    return;
  }
  store.record_confirmation(shipment, "spapi", "getTransaction: Success");
  store.record_details(shipment, {{"shipment", {{"buyerReferenceNumber", "ARN" + std::to_string(500000 + i)},
                                                {"transportationDetails", {{"carrierDetails", {{"name", "ACME Freight"}}}}}}}},
                       "spapi");
  store.begin_closeout(id, "closeout", "erp-closeout, opship-closeout");
  store.finish_closeout(id, {{"shipments", {{{"vendor_shipment_identifier", s.vendor_shipment_identifier},
                                              {"erp", {{po, "PT-" + std::to_string(100000 + i)}}},
                                              {"bol", "BOL" + std::to_string(700000 + i)}}}}},
                        "closeout", "references read back");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: console-bench-fill STORE N\n");
    return 2;
  }
  try {
    chain::SystemClock clock;
    chain::Store store(argv[1], clock);
    const int n = std::stoi(argv[2]);
    for (int i = 0; i < n; ++i) fill_one(store, i);
    std::printf("%d requests in %s\n", n, argv[1]);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "console-bench-fill: %s\n", e.what());
    return 1;
  }
  return 0;
}
