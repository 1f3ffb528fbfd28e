// The console as `dockhand-orchestrator serve` runs it, beside the SP-API simulator: a request stopped by
// the pre-tender rules is fixed from the console (edit and resubmit, retry) and the chain takes it on to
// CONFIRMED at once. Mail is polled once a minute here, so only the console's wake-up can move it in time.
#include "tests/integration/chain/serve_fixture.h"

#include "orchestrator/console/auth.h"

#include <httplib.h>

#include <regex>

namespace dockhand::serve_testing {
namespace {

using json = nlohmann::json;
using chain::State;
const std::string kToken = "serve-console-operator-token-42";

class ConsoleServe : public ServeTest {
 protected:
  int console_port() {
    int port = 0;
    eventually([&] {
      std::smatch m;
      auto logs = env->logs();
      if (!std::regex_search(logs, m, std::regex(R"(console: serving http://127\.0\.0\.1:(\d+))"))) return false;
      port = std::stoi(m[1]);
      return true;
    });
    return port;
  }
  json call(httplib::Client& client, const std::string& method, const std::string& path, const json& body = nullptr,
            int expected = 200) {
    httplib::Headers auth{{"Authorization", "Bearer " + kToken}};
    auto r = method == "GET" ? client.Get(path.c_str(), auth) : client.Post(path.c_str(), auth, body.dump(), "application/json");
    EXPECT_TRUE(r) << path;
    if (!r) return nullptr;
    EXPECT_EQ(r->status, expected) << method << " " << path << ": " << r->body;
    return json::parse(r->body, nullptr, false);
  }
};

TEST_F(ConsoleServe, ARequestFixedFromTheConsoleGoesOnAtOnce) {
  env->secret("console-tokens", console::sha256_hex_of(kToken) + " ops operator");
  env->config["console"] = {{"port", 0}, {"tokens_file", "console-tokens"}};
  env->config["mail"]["poll_interval_ms"] = 60000;
  // Two requests whose POs the warehouse does not have: the rules stop both.
  env->deliver(routing_email("typo@amazon.example", {{"TYPO0001", "ABE8"}}));
  env->deliver(routing_email("late@amazon.example", {{"LATE0002", "ABE8"}}));
  auto serve = env->start();
  ASSERT_TRUE(eventually([&] { return env->all_in(State::NEEDS_ATTENTION, 2); })) << states(*env);
  httplib::Client client("127.0.0.1", console_port());
  client.set_read_timeout(30, 0);

  auto queue = call(client, "GET", "/api/attention")["items"];
  ASSERT_EQ(queue.size(), 2u);
  for (const auto& item : queue) EXPECT_EQ(item["rule_failures"][0]["rule"], "po-in-warehouse") << item.dump();
  std::int64_t typo = 0, late = 0;
  for (const auto& item : queue) (item["pos"][0] == "TYPO0001" ? typo : late) = item["id"].get<std::int64_t>();
  ASSERT_TRUE(typo && late) << queue.dump();

  // Edit and resubmit: the right PO, which the warehouse has.
  add_order(*env->orders, "FIXD0001", "ABE8");
  auto page = call(client, "GET", "/api/requests/" + std::to_string(typo));
  auto extracted = page["extracted"];
  extracted["purchase_orders"][0]["po"] = "FIXD0001";
  auto answer = call(client, "POST", "/api/requests/" + std::to_string(typo) + "/resubmit",
                     {{"extracted", extracted}, {"comment", "PO typo in the email"}});
  EXPECT_EQ(answer["state"], "EXTRACTED");

  // Retry: the missing order is imported now.
  add_order(*env->orders, "LATE0002", "ABE8");
  answer = call(client, "POST", "/api/requests/" + std::to_string(late) + "/retry", {{"comment", "order imported"}});
  EXPECT_EQ(answer["state"], "EXTRACTED");

  ASSERT_TRUE(eventually([&] { return env->all_confirmed(2); }, std::chrono::seconds(40))) << states(*env);
  auto shipments = env->store().shipments(typo);
  ASSERT_EQ(shipments.size(), 1u);
  EXPECT_EQ(shipments[0].planned.pos, std::vector<std::string>{"FIXD0001"});
  for (auto id : {typo, late}) {
    auto events = call(client, "GET", "/api/requests/" + std::to_string(id) + "/events")["events"];
    bool by_operator = false;
    for (const auto& e : events) by_operator |= e["actor"] == "console:ops" && e["step"] == "EXTRACTED";
    EXPECT_TRUE(by_operator) << events.dump();
  }
  // The token never reaches the log.
  EXPECT_EQ(env->logs().find(kToken), std::string::npos);
  EXPECT_EQ(serve->stop(), 0);
}

}  // namespace
}  // namespace dockhand::serve_testing
