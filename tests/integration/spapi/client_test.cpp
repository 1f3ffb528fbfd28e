// The SP-API client against the simulator (scripts/with-spapi-sim.sh starts it): the happy path, Amazon's
// errors, and every fault the simulator can inject, switched on and off while calls are in flight.
#include "orchestrator/spapi/vendor_shipments.h"
#include "sample_payload.h"
#include "sim_admin.h"

#include <gtest/gtest.h>

#include <future>
#include <thread>

using namespace dockhand::spapi;
using namespace dockhand::spapi::testing;
using nlohmann::json;

namespace {

class SimTest : public ::testing::Test {
 protected:
  void SetUp() override { admin.reset(); }
  void TearDown() override { admin.faults({}); }

  int submissions(const std::string& id) { return admin.stats()["submissions"].value(id, 0); }
  int requests(const std::string& op) { return admin.stats()["requests"].value(op, 0); }

  // Submits and polls until Amazon decides; returns the final status.
  TransactionStatus submit_and_settle(VendorShipmentsClient& client, const json& body) {
    const std::string id = client.submit_shipments(body);
    for (int i = 0; i < 50; ++i) {
      auto status = client.get_transaction(id);
      if (status.status != "Processing") return status;
    }
    throw std::runtime_error("transaction " + id + " never left Processing");
  }

  SimAdmin admin;
};

using Basics = SimTest;
using Faults = SimTest;

TEST_F(Basics, SubmitPollsToSuccessAndDetailsCarryCarrierPickupAndReferences) {
  VendorShipmentsClient client(sim_config());
  const std::string id = client.submit_shipments(sample_body("DH-2K4GH7QZ-ABE8"));
  EXPECT_FALSE(id.empty());

  auto first = client.get_transaction(id);
  EXPECT_EQ(first.transaction_id, id);
  EXPECT_EQ(first.status, "Processing");
  auto second = client.get_transaction(id);
  EXPECT_EQ(second.status, "Success");
  EXPECT_TRUE(second.errors.empty());

  auto details = client.get_shipment_details("DH-2K4GH7QZ-ABE8");
  ASSERT_TRUE(details.has_value());
  EXPECT_EQ((*details)["vendorShipmentIdentifier"], "DH-2K4GH7QZ-ABE8");
  EXPECT_EQ((*details)["currentShipmentStatus"], "CarrierAssigned");
  EXPECT_FALSE((*details)["transportationDetails"]["carrierDetails"]["code"].get<std::string>().empty());
  EXPECT_FALSE((*details)["transportationDetails"]["carrierDetails"]["shipmentReferenceNumber"].get<std::string>().empty());
  EXPECT_FALSE((*details)["collectFreightPickupDetails"]["scheduledPickUp"].get<std::string>().empty());
  EXPECT_EQ((*details)["buyerReferenceNumber"].get<std::string>().size(), 10u);
  EXPECT_EQ(submissions("DH-2K4GH7QZ-ABE8"), 1);
  EXPECT_EQ(admin.stats()["tokens_issued"], 1) << "the access token is cached across calls";
}

TEST_F(Basics, UnknownShipmentIsNotFound) {
  VendorShipmentsClient client(sim_config());
  EXPECT_FALSE(client.get_shipment_details("DH-NEVER-SENT").has_value());
}

TEST_F(Basics, InvalidPayloadIsRefusedWithAmazonsErrorsAndNotRetried) {
  VendorShipmentsClient client(sim_config());
  json body = sample_body("DH-BADPAYLOAD-ABE8");
  body["shipments"][0].erase("shipFromParty");
  body["shipments"][0]["shipmentMeasurements"]["shipmentWeight"]["value"] = 340.5;  // a number, not a string
  try {
    client.submit_shipments(body);
    FAIL() << "an invalid payload was accepted";
  } catch (const SpapiError& e) {
    EXPECT_EQ(e.http_status, 400);
    EXPECT_FALSE(e.retryable());
    EXPECT_FALSE(e.uncertain);
    ASSERT_EQ(e.errors.size(), 2u) << e.errors.dump();
    EXPECT_EQ(e.errors[0]["code"], "InvalidInput");
    EXPECT_EQ(e.errors[0]["details"], "shipments[0].shipFromParty");
    EXPECT_EQ(e.errors[1]["details"], "shipments[0].shipmentMeasurements.shipmentWeight.value");
    EXPECT_NE(std::string(e.what()).find("shipFromParty"), std::string::npos) << e.what();
  }
  EXPECT_EQ(requests("submitShipments"), 1);
  EXPECT_EQ(submissions("DH-BADPAYLOAD-ABE8"), 0);
}

TEST_F(Basics, BusinessFailureEndsTheTransactionWithAmazonsErrorCodes) {
  VendorShipmentsClient client(sim_config());
  json body = {{"shipments", json::array({sample_shipment("DH-BADPO-ABE8", "ABE8", {{"2K4GH7Q", 3}})})}};
  auto status = submit_and_settle(client, body);
  EXPECT_EQ(status.status, "Failure");
  ASSERT_EQ(status.errors.size(), 1u);
  EXPECT_EQ(status.errors[0]["code"], "INVALID_ORDER_ID");
  EXPECT_NE(status.errors[0]["details"].get<std::string>().find("2K4GH7Q"), std::string::npos);
  EXPECT_FALSE(client.get_shipment_details("DH-BADPO-ABE8").has_value()) << "Amazon never took a failed shipment";
}

TEST_F(Basics, UnknownTransactionIsA404WithoutRetries) {
  VendorShipmentsClient client(sim_config());
  try {
    client.get_transaction("no-such-transaction");
    FAIL();
  } catch (const SpapiError& e) {
    EXPECT_EQ(e.http_status, 404);
    EXPECT_FALSE(e.retryable());
  }
  EXPECT_EQ(requests("getTransaction"), 1);
}

TEST_F(Basics, RefusedCredentialsAreNotRetried) {
  auto config = sim_config();
  config.refresh_token = "Atzr|not-the-right-one";
  VendorShipmentsClient client(config);
  try {
    client.get_shipment_details("DH-X");
    FAIL();
  } catch (const SpapiError& e) {
    EXPECT_EQ(e.http_status, 400);
    EXPECT_FALSE(e.retryable());
    EXPECT_NE(std::string(e.what()).find("invalid_grant"), std::string::npos) << e.what();
  }
  EXPECT_EQ(requests("lwa"), 1);
  EXPECT_EQ(requests("getShipmentDetails"), 0);
}

TEST_F(Faults, ThrottlingStormFromManyThreadsIsRiddenOut) {
  admin.config({{"rate", {{"getTransaction", {4, 2}}}}});
  VendorShipmentsClient client(sim_config());
  const std::string id = client.submit_shipments(sample_body("DH-STORM-ABE8"));
  std::vector<std::future<std::string>> calls;
  for (int t = 0; t < 4; ++t)
    calls.push_back(std::async(std::launch::async, [&] {
      std::string last;
      for (int i = 0; i < 4; ++i) last = client.get_transaction(id).status;
      return last;
    }));
  for (auto& c : calls) EXPECT_NE(c.get(), "");
  auto stats = admin.stats();
  EXPECT_EQ(stats["requests"]["getTransaction"].get<int>() - stats["throttled"].value("getTransaction", 0), 16)
      << "every call got through in the end: " << stats.dump();
  EXPECT_GT(stats["throttled"].value("getTransaction", 0), 0) << "the storm happened";
  EXPECT_EQ(stats["transactions"][id], "Success");
}

TEST_F(Faults, Injected429sAreRetriedUntilTheyStop) {
  VendorShipmentsClient client(sim_config());
  admin.faults({"429:1"});
  auto call = std::async(std::launch::async, [&] { return client.get_shipment_details("DH-NONE"); });
  ASSERT_TRUE(admin.wait_for([](const json& s) { return s["faults_injected"].value("429", 0) >= 3; }));
  admin.faults({});
  EXPECT_FALSE(call.get().has_value());
}

TEST_F(Faults, ServerErrorsAreRetriedUntilTheyStop) {
  VendorShipmentsClient client(sim_config());
  admin.faults({"5xx:1"});
  auto call = std::async(std::launch::async, [&] { return client.submit_shipments(sample_body("DH-5XX-ABE8")); });
  ASSERT_TRUE(admin.wait_for([](const json& s) { return s["faults_injected"].value("5xx", 0) >= 2; }));
  admin.faults({});
  EXPECT_FALSE(call.get().empty());
  EXPECT_EQ(submissions("DH-5XX-ABE8"), 1);
}

TEST_F(Faults, PersistentServerErrorsGiveUpWithARetryableError) {
  auto config = sim_config();
  config.max_retries = 2;
  VendorShipmentsClient client(config);
  admin.faults({"5xx:1"});
  try {
    client.get_transaction("whatever");
    FAIL();
  } catch (const SpapiError& e) {
    EXPECT_EQ(e.http_status, 503);
    EXPECT_TRUE(e.retryable());
    EXPECT_NE(std::string(e.what()).find("after 3 attempts"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("InternalFailure"), std::string::npos) << e.what();
  }
  EXPECT_EQ(requests("getTransaction"), 3);
}

TEST_F(Faults, SlowAnswersTimeOutAndAreRetried) {
  auto config = sim_config();
  config.request_timeout = std::chrono::milliseconds(300);
  VendorShipmentsClient client(config);
  client.get_shipment_details("DH-WARMUP");  // token fetched before the server turns slow
  admin.faults({"slow:1500"});
  auto call = std::async(std::launch::async, [&] { return client.get_shipment_details("DH-NONE"); });
  ASSERT_TRUE(admin.wait_for([](const json& s) { return s["faults_injected"].value("slow", 0) >= 2; }));
  admin.faults({});
  EXPECT_FALSE(call.get().has_value());
}

TEST_F(Faults, TimedOutSubmissionIsUncertainAndResolvedThroughShipmentDetails) {
  auto config = sim_config();
  config.request_timeout = std::chrono::milliseconds(300);
  VendorShipmentsClient client(config);
  client.get_shipment_details("DH-WARMUP");
  admin.faults({"slow:1000"});
  try {
    client.submit_shipments(sample_body("DH-SLOWSUBMIT-ABE8"));
    FAIL() << "a timed-out submission must not look like success";
  } catch (const SpapiError& e) {
    EXPECT_TRUE(e.uncertain);
    EXPECT_TRUE(e.retryable());
    EXPECT_NE(std::string(e.what()).find("getShipmentDetails"), std::string::npos) << e.what();
  }
  admin.faults({});
  EXPECT_EQ(requests("submitShipments"), 1) << "an uncertain submission is never repeated by the client";
  // The simulator finished processing after the client gave up: Amazon has the shipment.
  ASSERT_TRUE(admin.wait_for([](const json& s) { return s["submissions"].value("DH-SLOWSUBMIT-ABE8", 0) == 1; }));
  EXPECT_TRUE(client.get_shipment_details("DH-SLOWSUBMIT-ABE8").has_value());
}

TEST_F(Faults, DroppedConnectionsAreRetriedForReads) {
  VendorShipmentsClient client(sim_config());
  client.get_shipment_details("DH-WARMUP");
  admin.faults({"drop:1"});
  auto call = std::async(std::launch::async, [&] { return client.get_shipment_details("DH-NONE"); });
  ASSERT_TRUE(admin.wait_for([](const json& s) { return s["faults_injected"].value("drop", 0) >= 2; }));
  admin.faults({});
  EXPECT_FALSE(call.get().has_value());
}

TEST_F(Faults, DroppedSubmissionIsUncertainNotRepeatedAndSafeToResendWhenAmazonHasNone) {
  VendorShipmentsClient client(sim_config());
  client.get_shipment_details("DH-WARMUP");
  admin.faults({"drop:1"});
  try {
    client.submit_shipments(sample_body("DH-DROPPED-ABE8"));
    FAIL();
  } catch (const SpapiError& e) {
    EXPECT_TRUE(e.uncertain);
  }
  admin.faults({});
  EXPECT_EQ(requests("submitShipments"), 1);
  ASSERT_FALSE(client.get_shipment_details("DH-DROPPED-ABE8").has_value());
  client.submit_shipments(sample_body("DH-DROPPED-ABE8"));
  EXPECT_EQ(submissions("DH-DROPPED-ABE8"), 1);
}

TEST_F(Faults, TokenExpiredMidRunIsRefreshedOnce) {
  VendorShipmentsClient client(sim_config());
  const std::string id = client.submit_shipments(sample_body("DH-EXPIRY-ABE8"));
  admin.faults({"expire-now"});
  EXPECT_EQ(client.get_transaction(id).status, "Processing");
  auto stats = admin.stats();
  EXPECT_GE(stats["faults_injected"].value("expired", 0), 1);
  EXPECT_EQ(stats["tokens_issued"], 2);
  EXPECT_EQ(stats["requests"]["getTransaction"], 2);
}

TEST_F(Faults, EveryTokenExpiringAfterOneUseStillCompletesTheRun) {
  VendorShipmentsClient client(sim_config());
  admin.faults({"expire-tokens"});
  auto status = submit_and_settle(client, sample_body("DH-EXPIRING-ABE8"));
  EXPECT_EQ(status.status, "Success");
  auto stats = admin.stats();
  EXPECT_GE(stats["faults_injected"].value("expired", 0), 2);
  EXPECT_EQ(stats["submissions"]["DH-EXPIRING-ABE8"], 1);
}

TEST_F(Faults, ShortLivedTokenIsRefreshedAheadOfExpiry) {
  admin.config({{"token_ttl", 2}});
  VendorShipmentsClient client(sim_config());
  client.get_shipment_details("DH-A");
  // Refresh-ahead is min(60 s, half the lifetime) = 1 s before expiry: after 1.1 s a new token is due.
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  client.get_shipment_details("DH-B");
  auto stats = admin.stats();
  EXPECT_EQ(stats["tokens_issued"], 2);
  // Counted on arrival, so late answers from earlier tests' slow requests cannot blur it: no 403 and retry.
  EXPECT_EQ(stats["requests"]["getShipmentDetails"], 2) << "the token was replaced before Amazon refused it";
}

TEST_F(Faults, LwaOutageIsWaitedOutThenRecovers) {
  VendorShipmentsClient client(sim_config());
  admin.faults({"lwa-down"});
  auto call = std::async(std::launch::async, [&] { return client.submit_shipments(sample_body("DH-LWA-ABE8")); });
  ASSERT_TRUE(admin.wait_for([](const json& s) { return s["faults_injected"].value("lwa_down", 0) >= 2; }));
  admin.faults({});
  EXPECT_FALSE(call.get().empty());
  EXPECT_EQ(submissions("DH-LWA-ABE8"), 1);
}

TEST_F(Faults, LongLwaOutageGivesUpWithAClearRetryableError) {
  auto config = sim_config();
  config.max_retries = 2;
  VendorShipmentsClient client(config);
  admin.faults({"lwa-down"});
  try {
    client.submit_shipments(sample_body("DH-LWA2-ABE8"));
    FAIL();
  } catch (const SpapiError& e) {
    EXPECT_TRUE(e.retryable());
    EXPECT_FALSE(e.uncertain) << "nothing reached SP-API";
    EXPECT_NE(std::string(e.what()).find("LWA"), std::string::npos) << e.what();
  }
  EXPECT_EQ(requests("submitShipments"), 0);
  EXPECT_EQ(admin.injected("lwa_down"), 3);
}

TEST_F(Faults, NothingListeningIsRetryableAndNotUncertain) {
  auto config = sim_config();
  config.endpoint = "http://127.0.0.1:1";  // nothing listens on port 1
  config.max_retries = 1;
  VendorShipmentsClient client(config);
  try {
    client.submit_shipments(sample_body("DH-NOWHERE-ABE8"));
    FAIL();
  } catch (const SpapiError& e) {
    EXPECT_EQ(e.http_status, 0);
    EXPECT_TRUE(e.retryable());
    EXPECT_FALSE(e.uncertain) << "a refused connection never carried the request";
  }
}

}  // namespace
