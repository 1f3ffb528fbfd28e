// Secrets never reach a log: a full run, successes and every kind of failure, with spdlog captured at
// trace level, must not contain the client secret, the refresh token or any access token issued.
#include "orchestrator/spapi/vendor_shipments.h"
#include "sample_payload.h"
#include "sim_admin.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <sstream>

using namespace dockhand::spapi;
using namespace dockhand::spapi::testing;

namespace {

TEST(Secrets, NeverAppearInLogsOrErrors) {
  SimAdmin admin;
  admin.reset();
  std::ostringstream captured;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(captured);
  auto logger = std::make_shared<spdlog::logger>("capture", sink);
  logger->set_level(spdlog::level::trace);
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(logger);
  std::string errors;  // what() of every failure, which callers log
  auto expect_failure = [&](auto&& f) {
    try {
      f();
      ADD_FAILURE() << "expected a failure";
    } catch (const std::exception& e) {
      errors += e.what();
      errors += "\n";
    }
  };

  {
    auto config = sim_config();
    config.max_retries = 2;
    VendorShipmentsClient client(config);
    const std::string id = client.submit_shipments(sample_body("DH-SECRETS-ABE8"));
    client.get_transaction(id);
    admin.faults({"expire-now"});
    client.get_transaction(id);
    client.get_shipment_details("DH-SECRETS-ABE8");
    auto bad = sample_body("DH-SECRETS2-ABE8");
    bad["shipments"][0].erase("sellingParty");
    expect_failure([&] { client.submit_shipments(bad); });
    admin.faults({"5xx:1"});
    expect_failure([&] { client.get_transaction(id); });
    admin.faults({"drop:1"});
    expect_failure([&] { client.submit_shipments(sample_body("DH-SECRETS3-ABE8")); });
    admin.faults({"expire-now", "lwa-down"});
    expect_failure([&] { client.get_transaction(id); });
    admin.faults({});
  }
  {
    auto config = sim_config();
    config.client_secret = std::string(kClientSecret) + "-wrong";  // refused: the wrong secret is a secret too
    VendorShipmentsClient client(config);
    expect_failure([&] { client.get_transaction("x"); });
  }
  spdlog::set_default_logger(previous);

  const std::string log = captured.str();
  ASSERT_NE(log.find("LWA"), std::string::npos) << "nothing was logged, the test would prove nothing:\n" << log;
  ASSERT_NE(log.find("HTTP 503"), std::string::npos) << log;
  auto issued = admin.stats()["issued_tokens"];
  ASSERT_GE(issued.size(), 2u);
  std::vector<std::string> secrets = {kClientSecret, kRefreshToken, std::string(kClientSecret) + "-wrong"};
  for (const auto& t : issued) secrets.push_back(t.get<std::string>());
  for (const auto& secret : secrets) {
    EXPECT_EQ(log.find(secret), std::string::npos) << "secret in the log: " << secret;
    EXPECT_EQ(errors.find(secret), std::string::npos) << "secret in an error message: " << secret;
  }
  // URL-encoded forms (as they travel in the LWA form body) must not leak either.
  for (const char* encoded : {"S3cr3t-Sim-Client-Secret", "IwEBI-Sim-Refresh-Token"}) {
    EXPECT_EQ(log.find(encoded), std::string::npos) << encoded;
    EXPECT_EQ(errors.find(encoded), std::string::npos) << encoded;
  }
}

}  // namespace
