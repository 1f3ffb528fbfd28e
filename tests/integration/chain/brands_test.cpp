// One 3PL, many brands (issue 22): the real `serve` process with three accounts against the SP-API
// simulator, which knows three selling partners and refuses an access token issued for another one.
// Binding by vendor code and sender domain, an unknown vendor code, one brand's revoked authorization, the
// website authorization workflow end to end, `accounts` and `bind`, and a store from before accounts.
#include "brands_fixture.h"
#include "serve_fixture.h"

#include "orchestrator/pretender/sqlite_db.h"
#include "tests/integration/spapi/sample_payload.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <regex>

using namespace dockhand;
using namespace dockhand::serve_testing;
using chain::State;


namespace {

std::string quoted(const std::string& s) { return "'" + s + "'"; }

class Brands : public ServeTest {
 protected:
  void SetUp() override {
    ServeTest::SetUp();  // a reset simulator, a fresh ServeEnv
    use_three_brands(sim, *env);
  }

  std::map<std::string, std::string> one_email_each(const std::string& tag) { return one_email_per_brand(*env, tag); }

  std::vector<chain::RequestRecord> in_state(State s) {
    std::vector<chain::RequestRecord> out;
    for (const auto& r : env->requests())
      if (r.state == s) out.push_back(r);
    return out;
  }

  void expect_no_secret_in_logs() {
    auto logs = env->logs();
    ASSERT_FALSE(logs.empty());
    EXPECT_EQ(logs.find(spapi::testing::kClientSecret), std::string::npos);
    for (const auto& b : kBrands) EXPECT_EQ(logs.find(b.refresh_token), std::string::npos) << b.name << "'s refresh token";
    for (const auto& token : sim.stats()["issued_tokens"])
      EXPECT_EQ(logs.find(token.get<std::string>()), std::string::npos) << "access token in the logs";
  }

};

}  // namespace

TEST_F(Brands, ThreeBrandsEachSubmissionCarriesItsOwnBrandsToken) {
  // Two lanes per brand: two shipments each.
  std::map<std::string, std::vector<std::string>> shipments;
  for (const auto& b : kBrands) {
    const auto po1 = brand_po(b, "TB", 1), po2 = brand_po(b, "TB", 2);
    add_order(*env->orders, po1, "ABE8", 4, b.vendor);
    add_order(*env->orders, po2, "MDW2", 4, b.vendor);
    shipments[b.partner] = {shipment_id("ABE8", {po1}, b.vendor), shipment_id("MDW2", {po2}, b.vendor)};
  }
  auto serve = env->start();
  for (const auto& b : kBrands)
    env->deliver(routing_email("tb-" + b.vendor + "@amazon.example",
                               {{brand_po(b, "TB", 1), "ABE8"}, {brand_po(b, "TB", 2), "MDW2"}}, 4, b.vendor));
  ASSERT_TRUE(eventually([&] { return env->all_confirmed(3); })) << states(*env) << env->logs();

  // Each request bound to its brand by its vendor code, and each shipment submitted once with that brand's
  // token: the simulator files it under the selling partner the token was issued for.
  for (const auto& r : env->requests()) {
    const auto vendor = r.extracted.value("vendor_code", std::string());
    auto brand = std::find_if(kBrands.begin(), kBrands.end(), [&](const Brand& b) { return b.vendor == vendor; });
    ASSERT_NE(brand, kBrands.end()) << vendor;
    EXPECT_EQ(r.account, brand->name) << "#" << r.id;
  }
  auto stats = sim.stats();
  for (const auto& b : kBrands) {
    auto mine = stats["submissions_by_partner"][b.partner];
    EXPECT_EQ(mine.size(), 2u) << b.partner << ": " << mine.dump();
    for (const auto& id : shipments[b.partner]) EXPECT_EQ(mine.value(id, 0), 1) << id << " under " << b.partner;
    EXPECT_GE(stats["tokens_by_partner"].value(b.partner, 0), 1) << b.partner;
  }
  EXPECT_EQ(stats.value("refused_other_partner", -1), 0);

  // The simulator does check: Acme's token for a Bolt Outdoor shipment is refused.
  auto acme = spapi::testing::sim_config();
  acme.refresh_token = kBrands[0].refresh_token;
  spapi::VendorShipmentsClient client(acme);
  auto body = nlohmann::json{{"shipments", {spapi::testing::sample_shipment("WRONGPARTNER1")}}};
  body["shipments"][0]["sellingParty"]["partyId"] = kBrands[1].vendor;
  try {
    client.submit_shipments(body);
    ADD_FAILURE() << "another partner's vendor code was accepted";
  } catch (const spapi::SpapiError& e) {
    EXPECT_EQ(e.http_status, 403) << e.what();
    EXPECT_TRUE(e.authorization_refused()) << e.what();
    EXPECT_NE(std::string(e.what()).find("does not act for vendor code BOLT2"), std::string::npos) << e.what();
  }
  // Refused twice: the client asks once more with a fresh token before it gives up.
  EXPECT_EQ(sim.stats().value("refused_other_partner", 0), 2);

  // Per brand everywhere: status --brand, --counts, accounts list and check.
  const std::string config = "--config " + env->write_config().string();
  auto [rc, bolt] = env->cli("status --brand " + quoted("Bolt Outdoor") + " --json " + config);
  ASSERT_EQ(rc, 0) << bolt;
  auto bolt_json = nlohmann::json::parse(bolt);
  ASSERT_EQ(bolt_json.size(), 1u) << bolt;
  EXPECT_EQ(bolt_json[0]["account"], "Bolt Outdoor");
  auto [rc2, counts] = env->cli("status --counts " + config);
  EXPECT_EQ(rc2, 0) << counts;
  for (const auto& b : kBrands) EXPECT_NE(counts.find(b.name + ":  CONFIRMED 1"), std::string::npos) << counts;
  auto [rc3, list] = env->cli("accounts list --json " + config);
  ASSERT_EQ(rc3, 0) << list;
  auto listed = nlohmann::json::parse(list);
  ASSERT_EQ(listed.size(), 3u);
  for (const auto& a : listed) {
    EXPECT_EQ(a["requests"].value("CONFIRMED", 0), 1) << a.dump();
    EXPECT_EQ(a["refresh_token"], "present");
    EXPECT_EQ(a["region"], "na");
  }
  auto [rc4, check] = env->cli("accounts check " + config);
  EXPECT_EQ(rc4, 0) << check;
  for (const auto& b : kBrands) EXPECT_NE(check.find(b.name + "  ok"), std::string::npos) << check;

  EXPECT_EQ(serve->stop(SIGTERM).value_or(-1), 0);
  expect_no_secret_in_logs();
  for (const auto& b : kBrands) EXPECT_EQ(check.find(b.refresh_token), std::string::npos) << "check shows no token";
}

TEST_F(Brands, UnknownVendorCodeNeedsAttentionNothingSubmittedSenderDomainAndOperatorBind) {
  add_order(*env->orders, "ZZUN0001", "ABE8", 4, "ZZZZ9");
  const auto bolt_po = brand_po(kBrands[1], "UN", 1), crisp_po = brand_po(kBrands[2], "UN", 1);
  add_order(*env->orders, bolt_po, "ABE8", 4, kBrands[1].vendor);
  add_order(*env->orders, crisp_po, "ABE8", 4, kBrands[2].vendor);
  auto serve = env->start();
  env->deliver(routing_email("unknown@amazon.example", {{"ZZUN0001", "ABE8"}}, 4, "ZZZZ9"));
  ASSERT_TRUE(eventually([&] { return env->requests().size() == 1 && !in_state(State::NEEDS_ATTENTION).empty(); }))
      << states(*env);
  // No vendor code in these two: the sender's domain decides, or nobody does.
  env->deliver(routing_email("by-domain@amazon.example", {{bolt_po, "ABE8"}}, 4, "", "Routing <ops@mail.bolt-outdoor.example>"));
  ASSERT_TRUE(eventually([&] { return env->requests().size() == 2 && env->requests()[1].state == State::CONFIRMED; }))
      << states(*env);
  env->deliver(routing_email("nobody@amazon.example", {{crisp_po, "ABE8"}}, 4, "", "Ops <ops@forwarder.example>"));
  ASSERT_TRUE(eventually([&] { return env->requests().size() == 3 && env->requests()[2].state == State::NEEDS_ATTENTION; }))
      << states(*env);

  auto unknown = env->store().request(1);
  EXPECT_NE(unknown->reason.find("vendor code ZZZZ9, which no account holds"), std::string::npos) << unknown->reason;
  EXPECT_EQ(unknown->account, "");
  EXPECT_EQ(env->store().request(2)->account, "Bolt Outdoor");
  EXPECT_NE(env->store().request(3)->reason.find("sender domain forwarder.example matches no account"),
            std::string::npos)
      << env->store().request(3)->reason;
  auto submissions = sim.stats()["submissions"];
  EXPECT_EQ(submissions.size(), 1u) << "only the Bolt Outdoor request went to Amazon: " << submissions.dump();
  EXPECT_EQ(submissions.value(shipment_id("ABE8", {"ZZUN0001"}, "ZZZZ9"), 0), 0);

  // status shows the reason; the operator binds #3 to Crisp and it goes on under Crisp's authorization.
  const std::string config = "--config " + env->write_config().string();
  auto [rc, text] = env->cli("status 1 " + config);
  EXPECT_NE(text.find("ZZZZ9"), std::string::npos) << text;
  auto [rc1, bound] = env->cli("bind 3 Crisp " + config);
  EXPECT_EQ(rc1, 0) << bound;
  EXPECT_NE(bound.find("goes on from EXTRACTED"), std::string::npos) << bound;
  ASSERT_TRUE(eventually([&] { return env->store().request(3)->state == State::CONFIRMED; })) << states(*env);
  EXPECT_EQ(sim.stats()["submissions_by_partner"][kBrands[2].partner].size(), 1u);
  auto [rc2, refused] = env->cli("bind 2 Acme " + config);
  EXPECT_EQ(rc2, 1) << "already at Amazon under Bolt Outdoor: " << refused;
  auto [rc3, nobody] = env->cli("bind 1 Nobody " + config);
  EXPECT_EQ(rc3, 2) << nobody;
  EXPECT_EQ(serve->stop(SIGTERM).value_or(-1), 0);
}

namespace {

// A browser for the authorization workflow: keeps the cookie, follows no redirect by itself.
struct Browser {
  std::string cookie;
  httplib::Result get(const std::string& url) {
    std::smatch m;
    std::regex split(R"(^(https?://[^/]+)(/.*)$)");
    if (!std::regex_match(url, m, split)) throw std::runtime_error("not a URL: " + url);
    httplib::Client client(m[1].str());
    client.set_read_timeout(30, 0);
    httplib::Headers headers;
    if (!cookie.empty()) headers.emplace("Cookie", cookie);
    auto r = client.Get(m[2].str().c_str(), headers);
    if (r && r->has_header("Set-Cookie")) {
      auto c = r->get_header_value("Set-Cookie");
      cookie = c.substr(0, c.find(';'));
    }
    return r;
  }
};

std::string authorization_url(ServeEnv& env) {
  std::smatch m;
  std::regex served(R"(serving the authorization workflow on ([0-9.]+):([0-9]+))");
  const auto logs = env.logs();
  if (!std::regex_search(logs, m, served)) return "";
  return "http://" + m[1].str() + ":" + m[2].str();
}

std::string param(const std::string& url, const std::string& name) {
  std::smatch m;
  std::regex re("[?&]" + name + "=([^&]*)");
  return std::regex_search(url, m, re) ? m[1].str() : "";
}

}  // namespace

TEST_F(Brands, RevokedAuthorizationStopsOnlyItsBrandAndTheWebsiteWorkflowAuthorizesItAgain) {
  const std::string sim_url = spapi::testing::sim_url();
  env->config["spapi"]["authorization"] = {{"listen", "127.0.0.1:0"},
                                           {"application_id", "amzn1.sp.solution.dockhandsim"},
                                           {"consent_url", sim_url + "/apps/authorize/consent"}};
  env->config["spapi"]["accounts"][0]["selling_partner_id"] = kBrands[0].partner;
  auto serve = env->start();
  one_email_each("R1");
  ASSERT_TRUE(eventually([&] { return env->all_confirmed(3); })) << states(*env) << env->logs();

  // Acme revokes the application: its next request stops with the reason, the others go on.
  sim.revoke(kBrands[0].partner);
  auto second = one_email_each("R2");
  ASSERT_TRUE(eventually([&] { return env->requests().size() == 6 && in_state(State::CONFIRMED).size() == 5 &&
                                      in_state(State::NEEDS_ATTENTION).size() == 1; }))
      << states(*env) << env->logs();
  auto stopped = in_state(State::NEEDS_ATTENTION)[0];
  EXPECT_EQ(stopped.account, "Acme");
  EXPECT_NE(stopped.reason.find("authorization for Acme was revoked"), std::string::npos) << stopped.reason;
  EXPECT_NE(stopped.reason.find("invalid_grant"), std::string::npos) << stopped.reason;
  auto partners = sim.stats()["submissions_by_partner"];
  EXPECT_EQ(partners[kBrands[0].partner].value(second["Acme"], 0), 0) << "nothing sent under a revoked authorization";
  for (const auto& b : {kBrands[1], kBrands[2]}) EXPECT_EQ(partners[b.partner].value(second[b.name], 0), 1);
  const std::string config = "--config " + env->write_config().string();
  auto [rc, check] = env->cli("accounts check " + config);
  EXPECT_EQ(rc, 1) << check;
  EXPECT_NE(check.find("Acme  invalid_grant"), std::string::npos) << check;
  EXPECT_NE(check.find("Crisp  ok"), std::string::npos) << check;

  // The website workflow: the authorize link, Vendor Central's consent (the simulator), the callback.
  ASSERT_TRUE(eventually([&] { return !authorization_url(*env).empty(); })) << env->logs();
  const std::string site = authorization_url(*env);
  Browser browser;
  auto start = browser.get(site + "/authorize?brand=Acme");
  ASSERT_TRUE(start && start->status == 302) << (start ? start->body : "no answer");
  const std::string consent = start->get_header_value("Location");
  EXPECT_EQ(consent.rfind(sim_url + "/apps/authorize/consent?application_id=amzn1.sp.solution.dockhandsim", 0), 0u)
      << consent;
  ASSERT_FALSE(browser.cookie.empty());
  sim.sign_in(kBrands[0].partner);
  auto consented = browser.get(consent);
  ASSERT_TRUE(consented && consented->status == 302) << (consented ? consented->body : "no answer");
  const std::string callback = consented->get_header_value("Location");
  const std::string code = param(callback, "spapi_oauth_code"), state = param(callback, "state");
  ASSERT_FALSE(code.empty()) << callback;
  EXPECT_EQ(state, param(consent, "state"));

  // A wrong state, or no session: refused, and nothing changes.
  std::string wrong = callback;
  wrong.replace(wrong.find(state), state.size(), std::string(state.size(), 'f'));
  auto refused = browser.get(wrong);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 400) << refused->body;
  Browser stranger;
  auto no_session = stranger.get(callback);
  ASSERT_TRUE(no_session);
  EXPECT_EQ(no_session->status, 400) << no_session->body;

  auto done = browser.get(callback);
  ASSERT_TRUE(done);
  EXPECT_EQ(done->status, 200) << done->body;
  EXPECT_NE(done->body.find("Acme is authorized"), std::string::npos) << done->body;
  // Replayed: the session is used up.
  auto replayed = browser.get(callback);
  ASSERT_TRUE(replayed);
  EXPECT_EQ(replayed->status, 400) << replayed->body;

  // The new refresh token is in Acme's secret file, private; Acme's stopped request goes on under it.
  const auto token_file = env->dir / ("refresh-" + kBrands[0].vendor);
  const std::string stored = slurp(token_file);
  EXPECT_EQ(stored.rfind("Atzr|sim-" + kBrands[0].partner + "-", 0), 0u) << "a new token from LWA";
  EXPECT_EQ(fs::status(token_file).permissions() & (fs::perms::group_all | fs::perms::others_all), fs::perms::none);
  ASSERT_TRUE(eventually([&] { return env->all_confirmed(6); })) << states(*env) << env->logs();
  EXPECT_EQ(sim.stats()["submissions_by_partner"][kBrands[0].partner].value(second["Acme"], 0), 1);

  // Consent given by another selling partner for Acme (Acme's selling_partner_id is pinned): refused.
  Browser other;
  auto start2 = other.get(site + "/authorize?brand=Acme");
  ASSERT_TRUE(start2 && start2->status == 302);
  sim.sign_in(kBrands[1].partner);
  auto consented2 = other.get(start2->get_header_value("Location"));
  ASSERT_TRUE(consented2 && consented2->status == 302);
  auto mismatch = other.get(consented2->get_header_value("Location"));
  ASSERT_TRUE(mismatch);
  EXPECT_EQ(mismatch->status, 502) << mismatch->body;
  EXPECT_NE(mismatch->body.find("selling partner " + kBrands[1].partner), std::string::npos) << mismatch->body;
  EXPECT_EQ(slurp(token_file), stored) << "Acme's token unchanged";
  auto unknown_brand = Browser().get(site + "/authorize?brand=Nobody");
  ASSERT_TRUE(unknown_brand);
  EXPECT_EQ(unknown_brand->status, 404);

  EXPECT_EQ(serve->stop(SIGTERM).value_or(-1), 0);
  expect_no_secret_in_logs();
  auto logs = env->logs();
  EXPECT_EQ(logs.find(code), std::string::npos) << "the authorization code was logged";
  std::string new_token = stored.substr(0, stored.find('\n'));
  EXPECT_EQ(logs.find(new_token), std::string::npos) << "the new refresh token was logged";
}

TEST_F(Brands, ThrottledBrandDoesNotHoldUpTheOthers) {
  // Every call of Acme's is throttled (429), from its first: Bolt Outdoor and Crisp go through meanwhile.
  sim.faults({"429:1@" + kBrands[0].partner});
  auto serve = env->start();
  const auto started = std::chrono::steady_clock::now();
  auto shipments = one_email_each("TH");
  auto others_confirmed = [&] {
    auto rs = env->requests();
    return rs.size() == 3 && std::count_if(rs.begin(), rs.end(), [](const chain::RequestRecord& r) {
                               return r.state == State::CONFIRMED;
                             }) == 2;
  };
  ASSERT_TRUE(eventually(others_confirmed)) << states(*env) << env->logs();
  const auto others_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
  auto requests = env->requests();
  auto acme = std::find_if(requests.begin(), requests.end(), [](const chain::RequestRecord& r) { return r.account == "Acme"; });
  ASSERT_NE(acme, requests.end());
  ASSERT_TRUE(eventually([&] { return !env->store().request(acme->id)->last_error.empty(); })) << states(*env);
  EXPECT_EQ(env->store().request(acme->id)->state, State::PLANNED) << "Acme waits for Amazon's quota: " << states(*env);
  EXPECT_NE(env->store().request(acme->id)->last_error.find("429"), std::string::npos)
      << env->store().request(acme->id)->last_error;
  auto throttled = sim.stats()["throttled_by_partner"];
  auto of = [&](const Brand& b) { return throttled.is_object() ? throttled.value(b.partner, 0) : 0; };
  EXPECT_GE(of(kBrands[0]), 1) << throttled.dump();
  EXPECT_EQ(of(kBrands[1]) + of(kBrands[2]), 0) << throttled.dump();
  std::cout << "[ figure ] Bolt Outdoor and Crisp CONFIRMED " << others_ms << " ms after their emails, while every "
            << "call of Acme's was answered 429\n";
  // The storm ends: Acme's request goes through too, once.
  sim.faults({});
  ASSERT_TRUE(eventually([&] { return env->all_confirmed(3); })) << states(*env) << env->logs();
  EXPECT_EQ(sim.stats()["submissions_by_partner"][kBrands[0].partner].value(shipments["Acme"], 0), 1);
  EXPECT_EQ(serve->stop(SIGTERM).value_or(-1), 0);
}

TEST_F(Brands, SingleAccountConfigAndAStoreFromBeforeAccountsKeepWorking) {
  // The config as it was before accounts: spapi.refresh_token_file, no accounts.
  env->config["spapi"].erase("accounts");
  env->config["spapi"]["refresh_token_file"] = "lwa-refresh-token";
  add_order(*env->orders, "OLDST001", "ABE8");
  add_order(*env->orders, "OLDST002", "ABE8");
  {
    auto serve = env->start();
    env->deliver(routing_email("old-1@amazon.example", {{"OLDST001", "ABE8"}}));
    ASSERT_TRUE(eventually([&] { return env->all_confirmed(1); })) << states(*env) << env->logs();
    EXPECT_EQ(serve->stop(SIGTERM).value_or(-1), 0);
  }
  EXPECT_EQ(env->store().request(1)->account, "default");
  // Make it the store the code before accounts wrote: schema version 1, no requests.account column.
  env->close_store();
  {
    sqlite::Database db((env->dir / "store.sqlite").string(), false);
    db.exec("DROP INDEX requests_account; ALTER TABLE requests DROP COLUMN account; PRAGMA user_version = 1;");
  }
  auto serve = env->start();
  env->deliver(routing_email("old-2@amazon.example", {{"OLDST002", "ABE8"}}));
  ASSERT_TRUE(eventually([&] { return env->all_confirmed(2); })) << states(*env) << env->logs();
  EXPECT_EQ(env->store().request(2)->account, "default");
  auto [rc, text] = env->cli("status 1 --store " + (env->dir / "store.sqlite").string());
  EXPECT_EQ(rc, 0) << text;
  EXPECT_NE(text.find("CONFIRMED"), std::string::npos) << text;
  EXPECT_EQ(sim.stats()["submissions"].size(), 2u);
  EXPECT_EQ(serve->stop(SIGTERM).value_or(-1), 0);
}

TEST_F(Brands, MissingRoleIsReportedForThatAccountOnlyAndStopsOnlyItsRequests) {
  // Bolt Outdoor's authorization works at LWA, but the application lacks the vendor role for that selling
  // partner: SP-API answers 403 Unauthorized to everything, the harmless read of `accounts check` included.
  sim.partners({{{"id", kBrands[1].partner},
                 {"vendor_codes", {kBrands[1].vendor}},
                 {"refresh_token", kBrands[1].refresh_token},
                 {"vendor_role", false}}});
  const std::string config = "--config " + env->write_config().string();
  auto [rc, check] = env->cli("accounts check " + config);
  EXPECT_EQ(rc, 1) << check;
  EXPECT_NE(check.find("Bolt Outdoor  missing_role"), std::string::npos) << check;
  EXPECT_NE(check.find("Acme  ok"), std::string::npos) << check;
  EXPECT_NE(check.find("Crisp  ok"), std::string::npos) << check;
  auto [rc_one, only_acme] = env->cli("accounts check --brand Acme " + config);
  EXPECT_EQ(rc_one, 0) << only_acme;

  // serve: only Bolt Outdoor's request stops, with the reason; nothing of it reaches Amazon.
  auto serve = env->start();
  auto shipments = one_email_each("MR");
  ASSERT_TRUE(eventually([&] { return env->requests().size() == 3 && in_state(State::CONFIRMED).size() == 2 &&
                                      in_state(State::NEEDS_ATTENTION).size() == 1; }))
      << states(*env) << env->logs();
  auto stopped = in_state(State::NEEDS_ATTENTION)[0];
  EXPECT_EQ(stopped.account, "Bolt Outdoor");
  EXPECT_NE(stopped.reason.find("authorization for Bolt Outdoor was refused by Amazon"), std::string::npos)
      << stopped.reason;
  const auto by_partner = sim.stats()["submissions_by_partner"];
  EXPECT_FALSE(by_partner.contains(kBrands[1].partner)) << by_partner.dump();
  EXPECT_EQ(by_partner[kBrands[0].partner].value(shipments["Acme"], 0), 1) << by_partner.dump();
  EXPECT_EQ(serve->stop(SIGTERM).value_or(-1), 0);
  expect_no_secret_in_logs();
}
