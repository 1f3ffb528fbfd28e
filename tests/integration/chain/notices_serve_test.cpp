// Notices through the real `serve` and the SP-API simulator (issue 23): a cancellation before submission takes
// the PO out, one after submission sends a Cancel the simulator accepts, chargebacks are counted per brand and
// reason, and `status` shows each with the email that caused it.
#include "serve_fixture.h"

#include <gtest/gtest.h>

using namespace dockhand;
using namespace dockhand::serve_testing;
using chain::State;

namespace {

std::string notice_email(const std::string& message_id, const std::string& subject, const std::string& content_type,
                         const std::string& body) {
  return "From: Amazon Vendor Central <vendor-notifications@amazon.example>\r\nTo: routing@dockhand-3pl.example\r\n"
         "Subject: " + subject + "\r\nDate: Tue, 01 Dec 2026 10:00:00 +0000\r\nMessage-ID: <" + message_id +
         ">\r\nMIME-Version: 1.0\r\nContent-Type: " + content_type + "; charset=utf-8\r\n\r\n" + body;
}

bool has_event(ServeEnv& env, std::int64_t id, const std::string& step, const std::string& text) {
  for (const auto& e : env.store().events(id))
    if (e.step == step && e.detail.find(text) != std::string::npos) return true;
  return false;
}

class Notices : public ServeTest {};

}  // namespace

TEST_F(Notices, CancellationsBeforeAndAfterSubmissionAndChargebacksThroughServe) {
  add_order(*env->orders, "A1NC0001", "ABE8");
  add_order(*env->orders, "B1NC0002", "ABE8", 5);
  add_order(*env->orders, "B2NC0003", "ABE8", 4);  // the email says 5 cartons: held before submission
  auto serve = env->start();
  env->deliver(routing_email("one-nc@amazon.example", {{"A1NC0001", "ABE8"}}));
  env->deliver(routing_email("two-nc@amazon.example", {{"B1NC0002", "ABE8"}, {"B2NC0003", "ABE8"}}, 5));
  ASSERT_TRUE(eventually([&] { return env->none_in_progress(2); })) << states(*env) << env->logs();
  std::int64_t confirmed = 0, held = 0;
  for (const auto& r : env->requests()) (r.state == State::CONFIRMED ? confirmed : held) = r.id;
  ASSERT_TRUE(confirmed && held) << states(*env);
  ASSERT_EQ(env->store().request(held)->state, State::NEEDS_ATTENTION);
  const std::string shipment = shipment_id("ABE8", {"A1NC0001"});

  // Before submission: the vendor asks to cancel one PO of the held request.
  env->deliver("From: Dana Ruiz <dana.ruiz@acme-widgets.example>\r\nTo: routing@dockhand-3pl.example\r\n"
               "Subject: pull B2NC0003\r\nDate: Tue, 01 Dec 2026 10:00:00 +0000\r\nMessage-ID: <cancel-b2@acme.example>\r\n"
               "Content-Type: text/plain\r\n\r\nHi, please cancel PO B2NC0003 - the customer pulled it.\r\n");
  // After submission: Amazon's notice (HTML only, a table) cancels the PO of the confirmed request.
  env->deliver(notice_email("cancel-a1@amazon.example", "Purchase order cancellation notice", "text/html",
                            "<html><body><p>The purchase orders below were cancelled by Amazon.</p><table><tr><th>PO</th>"
                            "<th>Status</th></tr><tr><td>A1NC0001</td><td>Cancelled</td></tr></table></body></html>"));
  ASSERT_TRUE(eventually([&] { return env->store().request(confirmed)->state == State::CANCELLED; }))
      << states(*env) << env->logs();
  EXPECT_EQ(sim.stats()["cancels"].value(shipment, 0), 1) << sim.stats().dump();
  EXPECT_EQ(sim.stats()["submissions"].value(shipment, 0), 1) << "the New submission was not sent again";
  EXPECT_TRUE(has_event(*env, confirmed, "CANCEL_SENT", shipment));
  EXPECT_EQ(env->store().shipments(confirmed).at(0).state, chain::shipment_state::cancelled);
  ASSERT_TRUE(eventually([&] { return has_event(*env, held, "PO_REMOVED", "B2NC0003"); })) << states(*env);
  auto kept = env->store().request(held)->extracted["purchase_orders"];
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_EQ(kept[0]["po"], "B1NC0002");

  // Chargebacks, one per reason, and one for a PO nobody holds.
  env->deliver(notice_email("cb1@amazon.example", "Chargeback notice", "text/plain",
                            "A chargeback has been issued.\r\nIssue: late ASN\r\nPO: A1NC0001\r\nAmount: $180.00\r\n"));
  env->deliver(notice_email("cb2@amazon.example", "Vendor compliance: non-compliance fee", "text/plain",
                            "Defect: carton labels missing (SSCC)\r\nPO B1NC0002\r\nFee: $40\r\n"));
  env->deliver(notice_email("cb3@amazon.example", "Charge back - routing", "text/plain",
                            "Routing non-compliance: freight not ready on the ready date.\r\nPO 9Z9ZZ9Z9\r\n"));
  ASSERT_TRUE(eventually([&] {
    std::int64_t n = 0;
    for (const auto& [key, count] : env->store().chargeback_counts()) n += count;
    return n == 3;
  })) << states(*env);
  auto [rc, counts] = env->cli("status --chargebacks --json --store " + (env->dir / "store.sqlite").string());
  ASSERT_EQ(rc, 0) << counts;
  auto rows = nlohmann::json::parse(counts);
  std::map<std::string, std::int64_t> by_reason;
  for (const auto& row : rows) by_reason[row["reason"].get<std::string>()] += row["count"].get<std::int64_t>();
  EXPECT_EQ(by_reason["late_asn"], 1) << counts;
  EXPECT_EQ(by_reason["labels"], 1) << counts;
  EXPECT_EQ(by_reason["routing"], 1) << counts;

  // status: the table lists the notices with their emails; each request shows what they did to it.
  const std::string store = (env->dir / "store.sqlite").string();
  auto [rc1, table] = env->cli("status --store " + store);
  EXPECT_EQ(rc1, 0);
  EXPECT_NE(table.find("'Purchase order cancellation notice': cancellation PO A1NC0001 -> #" + std::to_string(confirmed) +
                       " cancelled"),
            std::string::npos)
      << table;
  EXPECT_NE(table.find("'pull B2NC0003': cancellation PO B2NC0003 -> #" + std::to_string(held) + " removed"),
            std::string::npos)
      << table;
  auto [rc2, one] = env->cli("status " + std::to_string(confirmed) + " --store " + store);
  EXPECT_EQ(rc2, 0);
  EXPECT_NE(one.find("Purchase order cancellation notice"), std::string::npos) << one;
  EXPECT_NE(one.find("CANCELLED"), std::string::npos) << one;
  auto [rc3, json_one] = env->cli("status " + std::to_string(held) + " --json --store " + store);
  auto j = nlohmann::json::parse(json_one);
  bool removed = false;
  for (const auto& n : j["notices"]) removed |= n["action"] == "removed" && n["subject"] == "pull B2NC0003";
  EXPECT_TRUE(removed) << j["notices"].dump();
  EXPECT_EQ(serve->stop(SIGTERM).value_or(-1), 0);
}
