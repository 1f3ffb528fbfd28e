// The simulator itself: Amazon's state (transactions, shipments, tokens, counters), its faults and rate
// limits, and the HTTP routes. Split by seam: simulator.cpp (routes, gate, state, admin), sim_shipments.cpp
// (submitShipments, getTransaction, getShipmentDetails), sim_followup.cpp (the carrier, labels, the ASN).
#pragma once

#include "sim_auth.h"
#include "sim_support.h"

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <map>
#include <optional>
#include <mutex>
#include <random>
#include <string>

namespace dockhand::sim {

class Simulator {
 public:
  struct Options {
    int token_ttl = 3600, processing_polls = 1;
    int carrier_polls = 0;  // looks at an accepted shipment before Amazon names its carrier (sim_followup.cpp)
    std::string client_id, client_secret, refresh_token, state_file, application_id;
    json partners = json::array();
    std::map<std::string, std::pair<double, double>> rates;
    Faults faults;
    std::map<std::string, Faults> partner_faults;
    unsigned long long seed = 1;
    bool verbose = false;
  };

  explicit Simulator(Options options);

  void install(httplib::Server& server);

 private:
  // Amazon keeps rate limits per selling partner and application: one bucket per partner and operation.
  void set_rate(const std::string& op, double rate, double burst);
  Bucket& bucket_of(const std::string& partner, const std::string& op);
  std::string random_hex(int digits);
  void add_partner(const json& p);
  // The partner whose access token the request carries ("" when none or unknown).
  std::string partner_of(const httplib::Request& req);
  const Faults& faults_for(const std::string& partner) const;
  // Back to the command line's settings: faults, token lifetime, processing polls, rate limits.
  void reset_settings();
  void reset_data();
  void load();
  // Atomic: write beside, then rename, so a kill never leaves half a file.
  void save();
  void count(const char* group, const std::string& key);
  void log(const httplib::Request& req, int status);
  // The request's JSON body when `validate` finds nothing wrong with it; otherwise a 400 with Amazon's errors
  // is answered (and logged) here, and nullopt returned.
  std::optional<json> valid_body(const httplib::Request& req, httplib::Response& res, json (*validate)(const json&));
  void drop(httplib::Response& res);
  // Faults, rate limits and the access token, in that order. False when the request was answered here.
  bool gate(const httplib::Request& req, httplib::Response& res, const std::string& op);
  void lwa(const httplib::Request& req, httplib::Response& res);
  void set_faults(const httplib::Request& req, httplib::Response& res);
  void set_config(const httplib::Request& req, httplib::Response& res);
  bool chance(double p) { return p > 0 && std::uniform_real_distribution<double>(0, 1)(rng_) < p; }
  template <class F>
  void locked(F&& f) {
    std::lock_guard lock(mutex_);
    f();
  }

  std::string new_transaction_id();
  void submit(const httplib::Request& req, httplib::Response& res);
  // Amazon's side of a confirmed shipment: carrier, pickup and references, derived from the identifier
  // so that a restarted simulator tells the same story.
  void confirm(json& stored);
  json cancel_errors(const std::string& vsid, const std::string& partner);
  // Amazon works on a transaction whether anyone asks or not; here each look at it (getTransaction, or
  // getShipmentDetails of one of its shipments) is one step of that work. After processing_polls looks it
  // ends: Failure (its shipments are Rejected and no longer listed) or Success (carrier assigned).
  void look_at(const std::string& id);
  void transaction(const httplib::Request& req, httplib::Response& res);
  void details(const httplib::Request& req, httplib::Response& res);
  // sim_followup.cpp: the carrier after carrier_polls looks, labels, ASNs.
  void accepted(json& entry);       // the transaction succeeded: carrier now, or after carrier_polls looks
  bool carrier_pending(json& entry);  // one look at it: true while Amazon still names no carrier
  void labels(const httplib::Request& req, httplib::Response& res);
  void confirmations(const httplib::Request& req, httplib::Response& res);

  Options opt_, initial_;
  std::mutex mutex_;
  json data_;
  Faults faults_;
  std::map<std::string, Faults> partner_faults_;  // SPEC@PARTNER: that partner's faults instead of faults_
  std::map<std::string, std::pair<double, double>> rates_;
  std::map<std::string, Bucket> buckets_;  // by "partner/operation"
  std::mt19937_64 rng_;
  SimAuth auth_;
};

}  // namespace dockhand::sim
