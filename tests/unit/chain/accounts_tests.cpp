// chain/ accounts: binding a routing request to the brand whose authorization it runs under, isolation of
// one brand's revoked authorization, operator binding, and stores written before accounts existed.
#include "chain_doubles.h"

#include "orchestrator/pretender/sqlite_db.h"

using namespace dockhand;
using namespace dockhand::chain;
using namespace dockhand::chain::testing;

namespace {

const std::vector<AccountRule> kRules = {{"Acme", {"ABCDE", "ACME2"}, {"acme-brands.example"}},
                                         {"Bolt", {"BOLTX"}, {"bolt.example"}},
                                         {"Crisp", {"CRSPX"}, {"crisp.example", "mail.bolt.example"}}};

// An email for the header extractor with a vendor code ("-": none) and a From address.
mail::RawMessage brand_email(const std::string& source_id, const std::string& pos, const std::string& vendor,
                             const std::string& from = "routing@amazon.com") {
  auto m = email(source_id, source_id + "-id", pos);
  m.bytes.replace(m.bytes.find("From: routing@amazon.com"), 24, "From: " + from + "\r\nX-Test-Vendor: " + vendor);
  return m;
}

class Accounts : public ChainFixture {
 protected:
  // Acme (ABCDE, the fixture orders' vendor) and Bolt, each with its own Amazon.
  void open_accounts(std::vector<AccountRule> rules = {kRules[0], kRules[1]}) {
    chain.reset();
    store.reset();
    store = std::make_unique<Store>((dir / "store.sqlite").string(), clock);
    std::vector<Account> accounts;
    for (std::size_t i = 0; i < rules.size(); ++i) accounts.push_back({rules[i], i == 0 ? &amazon : &bolt});
    chain = std::make_unique<Chain>(*store, clock, header_extractor, *orders, pretender::Rules::defaults(), accounts);
  }
  ScriptedAmazon bolt;
};

}  // namespace

TEST(AccountBinding, TheVendorCodeDecidesThenTheSenderDomainNeverAGuess) {
  auto d = decide_account(kRules, "boltx", "acme-brands.example");
  EXPECT_EQ(d.brand.value_or(""), "Bolt") << "the vendor code wins over the sender's domain";
  EXPECT_EQ(d.how, "vendor code BOLTX");
  d = decide_account(kRules, " acme2 ", "");
  EXPECT_EQ(d.brand.value_or(""), "Acme");

  d = decide_account(kRules, "ZZZZ9", "acme-brands.example");
  EXPECT_FALSE(d.brand) << "an unknown vendor code is not guessed around";
  EXPECT_NE(d.problem.find("vendor code ZZZZ9, which no account holds"), std::string::npos) << d.problem;
  EXPECT_NE(d.problem.find("Bolt: BOLTX"), std::string::npos) << d.problem;

  d = decide_account(kRules, std::nullopt, "Routing.ACME-BRANDS.example");
  EXPECT_EQ(d.brand.value_or(""), "Acme");
  EXPECT_EQ(d.how, "sender domain routing.acme-brands.example") << "a subdomain matches";
  d = decide_account(kRules, "", "notacme-brands.example");
  EXPECT_FALSE(d.brand) << "only whole labels match";
  d = decide_account(kRules, std::nullopt, "mail.bolt.example");
  EXPECT_FALSE(d.brand);
  EXPECT_NE(d.problem.find("several accounts: Bolt, Crisp"), std::string::npos) << d.problem;

  auto twice = kRules;
  twice[2].vendor_codes.push_back("BOLTX");
  d = decide_account(twice, "BOLTX", "");
  EXPECT_FALSE(d.brand);
  EXPECT_NE(d.problem.find("BOLTX belongs to several accounts: Bolt, Crisp"), std::string::npos) << d.problem;

  // A config from before accounts: one account, no rules: everything is its.
  d = decide_account({{"default", {}, {}}}, "ANYTHING", "");
  EXPECT_EQ(d.brand.value_or(""), "default");
  // One named account still checks.
  EXPECT_FALSE(decide_account({kRules[1]}, "ABCDE", "").brand);
}

TEST(AccountBinding, SenderDomainIsReadFromTheFromHeader) {
  EXPECT_EQ(sender_domain("From: \"Acme, Routing\" <Routing@Mail.Acme-Brands.example>\r\nTo: x@y.z\r\n\r\nFrom: a@b.c"),
            "mail.acme-brands.example");
  EXPECT_EQ(sender_domain("Subject: s\r\nfrom: ops@bolt.example (Bolt ops)\r\n\r\n"), "bolt.example");
  EXPECT_EQ(sender_domain("From: Crisp\r\n <routing@crisp.example>\r\n\r\n"), "crisp.example") << "folded";
  EXPECT_EQ(sender_domain("Subject: no sender\r\n\r\nFrom: body@not.header"), "");
  EXPECT_EQ(sender_domain("From: <weird@bad domain!>\r\n\r\n"), "");
}

TEST_F(Accounts, EachRequestGoesToItsOwnAccountsAmazon) {
  open_accounts();
  source.inbox.push_back(brand_email("maildir:1", "2K4GH7QZ", "ABCDE"));
  chain->intake(source);
  run_until_idle();
  auto r = store->requests().at(0);
  EXPECT_EQ(r.state, State::CONFIRMED) << r.reason;
  EXPECT_EQ(r.account, "Acme");
  EXPECT_EQ(amazon.submit_calls, 1);
  EXPECT_EQ(bolt.submit_calls + bolt.transaction_calls + bolt.details_calls, 0) << "Bolt's Amazon never asked";
  auto events = store->events(r.id);
  EXPECT_TRUE(std::any_of(events.begin(), events.end(), [](const Event& e) {
    return e.step == "BOUND" && e.detail == "Acme (vendor code ABCDE)";
  }));
}

TEST_F(Accounts, NoMatchingAccountNeedsAttentionNothingSentThenAnOperatorBindsIt) {
  open_accounts();
  source.inbox.push_back(brand_email("maildir:1", "2K4GH7QZ", "ZZZZ9"));
  source.inbox.push_back(brand_email("maildir:2", "7HXQ3M2P", "-", "ops@unknown.example"));
  chain->intake(source);
  run_until_idle();
  auto unknown = store->request(1), nameless = store->request(2);
  EXPECT_EQ(unknown->state, State::NEEDS_ATTENTION);
  EXPECT_NE(unknown->reason.find("vendor code ZZZZ9, which no account holds"), std::string::npos) << unknown->reason;
  EXPECT_EQ(unknown->evidence["account_problem"], account_problem::unbound);
  EXPECT_EQ(nameless->state, State::NEEDS_ATTENTION);
  EXPECT_NE(nameless->reason.find("sender domain unknown.example matches no account"), std::string::npos)
      << nameless->reason;
  EXPECT_EQ(amazon.submit_calls + bolt.submit_calls, 0) << "never submitted under a guessed account";

  // The operator binds the nameless one to Acme (its POs are ABCDE's): it goes on.
  store->bind_account(2, "Acme", "operator:test", "Acme (set by an operator)");
  EXPECT_EQ(store->resume(2, "operator:test", "bound to Acme"), State::EXTRACTED);
  run_until_idle();
  EXPECT_EQ(state(2), State::CONFIRMED);
  EXPECT_EQ(amazon.submit_calls, 1);

  // Bound to Bolt, whose vendor code the warehouse does not give these POs: stopped before any call.
  store->bind_account(1, "Bolt", "operator:test", "Bolt (set by an operator)");
  store->resume(1, "operator:test", "bound to Bolt");
  run_until_idle();
  EXPECT_EQ(state(1), State::NEEDS_ATTENTION);
  EXPECT_EQ(store->request(1)->evidence["account_problem"], account_problem::vendor_mismatch);
  EXPECT_NE(store->request(1)->reason.find("it is for vendor ZZZZ9, not one of Bolt's vendor codes (BOLTX)"),
            std::string::npos)
      << store->request(1)->reason;
  EXPECT_EQ(bolt.submit_calls, 0);
  // A request that left for Amazon under Acme cannot move to Bolt; a finished one is not rebound.
  EXPECT_THROW(store->bind_account(2, "Bolt", "operator:test", "x"), TransitionError);
  EXPECT_THROW(store->resume(2, "operator:test", "x"), TransitionError);
}

TEST_F(Accounts, ARevokedAuthorizationStopsOnlyItsBrandUntilItAuthorizesAgain) {
  auto rules = std::vector<AccountRule>{{"Bolt", {"BOLTX"}, {}}, {"Acme", {"ABCDE"}, {}}};
  // `amazon` is Bolt's here (first account), `bolt` is Acme's: Acme's authorization is revoked.
  open_accounts(rules);
  bolt.submit_faults.push_back({400, "LWA token request refused: invalid_grant", false, nlohmann::json::array(),
                                "invalid_grant"});
  source.inbox.push_back(brand_email("maildir:1", "2K4GH7QZ", "ABCDE"));
  chain->intake(source);
  run_until_idle();
  auto r = store->request(1);
  EXPECT_EQ(r->state, State::NEEDS_ATTENTION);
  EXPECT_NE(r->reason.find("authorization for Acme was revoked"), std::string::npos) << r->reason;
  EXPECT_EQ(r->evidence["resume_state"], "PLANNED");
  EXPECT_EQ(chain->resume_account("Bolt", "test"), 0u) << "another brand's re-authorization resumes nothing";
  EXPECT_EQ(chain->resume_account("Acme", "Acme authorized again"), 1u);
  run_until_idle();
  EXPECT_EQ(state(1), State::CONFIRMED);
  EXPECT_EQ(bolt.submitted.size(), 1u) << "sent once, after the new authorization";
  EXPECT_GE(bolt.details_calls, 1) << "the SUBMITTING mark was checked with getShipmentDetails first";
}

TEST_F(Accounts, AStoreWrittenBeforeAccountsIsMigratedAndItsRequestsGoOn) {
  // Today's single-account chain takes a request to SUBMITTED...
  amazon.default_statuses = {"Processing"};
  source.inbox.push_back(email("maildir:1", "m1", "2K4GH7QZ"));
  chain->intake(source);
  chain->run_due();
  ASSERT_EQ(state(1), State::SUBMITTED);
  chain.reset();
  store.reset();
  {
    // ...in a store as the code before accounts wrote it: schema version 1, no requests.account.
    sqlite::Database db((dir / "store.sqlite").string(), false);
    db.exec("DROP INDEX requests_account; ALTER TABLE requests DROP COLUMN account; PRAGMA user_version = 1;");
  }
  amazon.final_status = "Success";
  amazon.statuses.begin()->second = {"Success"};
  {
    // A reader (status) of that store, read-only, before serve migrated it: no account, no error.
    Store reader((dir / "store.sqlite").string(), clock, StoreAccess::read_once);
    EXPECT_EQ(reader.request(1)->account, "");
    EXPECT_EQ(reader.request(1)->state, State::SUBMITTED);
  }
  open();
  EXPECT_EQ(store->migrated_from(), 1);
  EXPECT_EQ(store->request(1)->account, "") << "migrated: not bound yet";
  chain->resume();
  run_until_idle();
  EXPECT_EQ(state(1), State::CONFIRMED);
  EXPECT_EQ(store->request(1)->account, "default");
  EXPECT_EQ(amazon.submit_calls, 1);
}
