// The console's HTTP API against a real store (docs/console.md): access, reading, actions, paging.
#include "console_fixture.h"

#include "orchestrator/console/internal.h"
#include "orchestrator/fleet/fleet.h"

#include <fstream>
#include <sys/stat.h>

#include <set>

namespace dockhand::console::test {
namespace {

struct Route {
  std::string method, path;
};

// Every route that needs a token, with ids that exist once Populate() ran.
std::vector<Route> all_routes(std::int64_t id, std::int64_t evidence) {
  const auto r = "/api/requests/" + std::to_string(id);
  return {{"GET", "/api/me"},
          {"GET", "/api/summary"},
          {"GET", "/api/requests"},
          {"GET", "/api/requests?state=NEEDS_ATTENTION&q=PO&limit=5"},
          {"GET", r},
          {"GET", r + "/events"},
          {"GET", r + "/events?after=1"},
          {"GET", r + "/evidence/" + std::to_string(evidence)},
          {"GET", "/api/attention"},
          {"GET", "/api/chargebacks"},
          {"GET", "/api/notices"},
          {"GET", "/api/fleet"},
          {"GET", "/metrics"},
          {"POST", r + "/retry"},
          {"POST", r + "/cancel"},
          {"POST", r + "/resubmit"},
          {"POST", r + "/resolve"}};
}

const std::vector<std::string> kActions = {"retry", "cancel", "resubmit", "resolve"};

TEST_F(ConsoleTest, EveryRouteWithoutAValidTokenIs401AndShowsNoData) {
  auto id = rule_failure(1, "SECRETPO");
  auto evidence = store_->add_evidence(id, "screenshot.png", "image/png", std::string("\x89PNG-bytes", 10), "fleet");
  auto o = options();
  o.metrics = [] { return std::string("dockhand_requests 1\n"); };
  start(o);
  const auto events_before = event_count(id);
  for (const auto& route : all_routes(id, evidence)) {
    for (const auto& headers : std::vector<httplib::Headers>{
             {},
             {{"Authorization", "Bearer wrong-token-0123456789"}},
             {{"Authorization", "Bearer "}},
             {{"Authorization", "Basic " + kOperatorToken}},
             {{"Cookie", "dockhand_session=not-a-session"}}}) {
      auto r = route.method == "GET" ? client_->Get(route.path.c_str(), headers)
                                     : client_->Post(route.path.c_str(), headers, "{\"comment\":\"x\"}", "application/json");
      ASSERT_TRUE(r) << route.path;
      EXPECT_EQ(r->status, 401) << route.method << " " << route.path;
      EXPECT_EQ(r->body.find("SECRETPO"), std::string::npos) << route.path;
      auto body = json::parse(r->body, nullptr, false);
      ASSERT_TRUE(body.is_object()) << r->body;
      EXPECT_EQ(body.size(), 1u) << r->body;  // {"error": ...} and nothing else
      EXPECT_TRUE(body.contains("error"));
    }
  }
  EXPECT_EQ(store_->request(id)->state, State::NEEDS_ATTENTION);
  EXPECT_EQ(event_count(id), events_before);
  // With a token, the same routes answer (the reads at least).
  EXPECT_EQ(get("/metrics")->status, 200);
  EXPECT_EQ(get("/metrics")->get_header_value("Content-Type"), "text/plain; version=0.0.4");
}

TEST_F(ConsoleTest, StaticFilesArePublicAndHoldNoData) {
  start();
  auto page = client_->Get("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_NE(page->body.find("Dockhand"), std::string::npos);
  auto escape = client_->Get("/../store.sqlite");
  ASSERT_TRUE(escape);
  EXPECT_EQ(escape->status, 404);
  auto missing = get("/api/nothing-here");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  EXPECT_TRUE(json::parse(missing->body).contains("error"));
}

TEST_F(ConsoleTest, LoginSetsAnHttpOnlyStrictCookieThatLogoutEnds) {
  start();
  auto bad = client_->Post("/api/login", json{{"token", "not-the-token"}}.dump(), "application/json");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 401);
  EXPECT_FALSE(bad->has_header("Set-Cookie"));

  auto login = client_->Post("/api/login", json{{"token", kViewerToken}}.dump(), "application/json");
  ASSERT_TRUE(login);
  ASSERT_EQ(login->status, 200) << login->body;
  EXPECT_EQ(json::parse(login->body), (json{{"name", "watcher"}, {"role", "viewer"}}));
  auto set_cookie = login->get_header_value("Set-Cookie");
  EXPECT_NE(set_cookie.find("dockhand_session="), std::string::npos);
  EXPECT_NE(set_cookie.find("HttpOnly"), std::string::npos);
  EXPECT_NE(set_cookie.find("SameSite=Strict"), std::string::npos);
  auto session = set_cookie.substr(0, set_cookie.find(';'));

  httplib::Headers with_cookie{{"Cookie", session}};
  auto me = client_->Get("/api/me", with_cookie);
  ASSERT_TRUE(me);
  ASSERT_EQ(me->status, 200);
  EXPECT_EQ(json::parse(me->body)["name"], "watcher");

  auto logout = client_->Post("/api/logout", with_cookie, "", "application/json");
  ASSERT_TRUE(logout);
  EXPECT_EQ(logout->status, 200);
  auto after = client_->Get("/api/me", with_cookie);
  ASSERT_TRUE(after);
  EXPECT_EQ(after->status, 401);
}

TEST_F(ConsoleTest, AViewerActingIs403AndNothingChanges) {
  auto id = rule_failure(1, "AAAA1111");
  add_order("AAAA1111");
  start();
  const auto events_before = event_count(id);
  for (const auto& action : kActions) {
    json body = {{"comment", "try"}, {"extracted", extracted_for("AAAA1111")}};
    auto r = post("/api/requests/" + std::to_string(id) + "/" + action, body.dump(), kViewerToken);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 403) << action << ": " << r->body;
    EXPECT_TRUE(json::parse(r->body).contains("error"));
  }
  EXPECT_EQ(store_->request(id)->state, State::NEEDS_ATTENTION);
  EXPECT_EQ(event_count(id), events_before);
  // A viewer reads.
  EXPECT_EQ(get_json("/api/requests/" + std::to_string(id), kViewerToken)["state"], "NEEDS_ATTENTION");
}

TEST_F(ConsoleTest, MalformedOrOversizedBodiesAre400AndNothingChanges) {
  auto id = rule_failure(1, "AAAA1111");
  start();
  const auto events_before = event_count(id);
  const auto base = "/api/requests/" + std::to_string(id);
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"/cancel", "this is not json"},
      {"/cancel", "[\"a\", \"list\"]"},
      {"/cancel", "{\"comment\": 5}"},
      {"/cancel", "{}"},
      {"/resolve", "{\"comment\": \"   \"}"},
      {"/retry", "{\"comment\": {\"nested\": true}}"},
      {"/resubmit", "{\"extracted\": \"a string\"}"},
      {"/resubmit", "{\"extracted\": {\"purchase_orders\": 7}}"},
      {"/resubmit", "{\"extracted\": {\"purchase_orders\": []}}"},
      {"/cancel", "{\"comment\": \"" + std::string(70 * 1024, 'x') + "\"}"},
  };
  for (const auto& [path, body] : bad) {
    auto r = post(base + path, body);
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, 400) << path << " " << body.substr(0, 60) << ": " << r->body;
    auto answer = json::parse(r->body, nullptr, false);
    ASSERT_TRUE(answer.is_object()) << r->body;
    EXPECT_FALSE(answer.value("error", std::string()).empty());
  }
  auto login = client_->Post("/api/login", "{\"token\": ", "application/json");
  ASSERT_TRUE(login);
  EXPECT_EQ(login->status, 400);
  EXPECT_EQ(store_->request(id)->state, State::NEEDS_ATTENTION);
  EXPECT_EQ(event_count(id), events_before);
}

json last_event(chain::Store& store, std::int64_t id) {
  auto e = store.events(id).back();
  return {{"actor", e.actor}, {"step", e.step}, {"detail", e.detail}};
}

TEST_F(ConsoleTest, RetryGoesBackToTheStageThatFailedAndNamesTheOperator) {
  auto id = rule_failure(1, "AAAA1111");
  start();
  auto detail = get_json("/api/requests/" + std::to_string(id));
  EXPECT_EQ(detail["actions"], (json{"retry", "cancel", "resubmit", "resolve"}));
  auto r = post("/api/requests/" + std::to_string(id) + "/retry", json{{"comment", "order imported"}}.dump());
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(json::parse(r->body), (json{{"ok", true}, {"state", "EXTRACTED"}}));
  auto after = store_->request(id);
  EXPECT_EQ(after->state, State::EXTRACTED);
  EXPECT_TRUE(after->next_attempt_ms.has_value());  // due now: the chain plans it again
  auto e = last_event(*store_, id);
  EXPECT_EQ(e["actor"], "console:ops");
  EXPECT_EQ(e["step"], "EXTRACTED");
  EXPECT_NE(e["detail"].get<std::string>().find("order imported"), std::string::npos);
  EXPECT_GE(wakes_.load(), 1);
  // Not in NEEDS_ATTENTION any more: a second retry is refused.
  auto again = post("/api/requests/" + std::to_string(id) + "/retry", "{}");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 409);
}

TEST_F(ConsoleTest, ACloseOutFailureIsRetriedFromConfirmed) {
  auto id = submitted_then_attention(1, "BBBB2222");
  start();
  auto detail = get_json("/api/requests/" + std::to_string(id));
  // Amazon has its shipment: retry, but never a resubmission.
  EXPECT_EQ(detail["actions"], (json{"retry", "cancel", "resolve"}));
  auto r = post("/api/requests/" + std::to_string(id) + "/retry", "");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(json::parse(r->body)["state"], "SUBMITTED");
}

TEST_F(ConsoleTest, CancelAndResolveAreFinalAndWriteWhoDidIt) {
  auto a = rule_failure(1, "AAAA1111");
  auto b = rejected(2, "BBBB2222");
  auto done = planned(3, "CCCC3333");
  start();
  auto r = post("/api/requests/" + std::to_string(a) + "/cancel", json{{"comment", "vendor withdrew it"}}.dump());
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(json::parse(r->body)["state"], "CANCELLED");
  EXPECT_EQ(store_->request(a)->state, State::CANCELLED);
  EXPECT_EQ(last_event(*store_, a), (json{{"actor", "console:ops"}, {"step", "CANCELLED"}, {"detail", "vendor withdrew it"}}));

  r = post("/api/requests/" + std::to_string(b) + "/resolve", json{{"comment", "submitted by hand in Vendor Central"}}.dump());
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(store_->request(b)->state, State::RESOLVED);
  EXPECT_EQ(last_event(*store_, b)["actor"], "console:ops");
  EXPECT_NE(store_->request(b)->reason.find("ops"), std::string::npos);

  // Not allowed in these states: 409 and nothing changed.
  for (auto id : {a, done}) {
    auto before = event_count(id);
    auto state = store_->request(id)->state;
    for (const auto& action : {"cancel", "resolve", "retry"}) {
      auto refused = post("/api/requests/" + std::to_string(id) + "/" + action, json{{"comment", "no"}}.dump());
      ASSERT_TRUE(refused);
      EXPECT_EQ(refused->status, 409) << action << " on #" << id << ": " << refused->body;
    }
    EXPECT_EQ(store_->request(id)->state, state);
    EXPECT_EQ(event_count(id), before);
  }
  auto unknown = post("/api/requests/99999/cancel", json{{"comment", "x"}}.dump());
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 404);
}

TEST_F(ConsoleTest, ResubmitIsCheckedByThePreTenderRules) {
  auto id = rejected(1, "AAAA1111");
  start();
  const auto base = "/api/requests/" + std::to_string(id);
  const auto events_before = event_count(id);
  // The edited PO is not in the warehouse order data: 422 with the findings, nothing changed.
  auto refused = post(base + "/resubmit", json{{"extracted", extracted_for("ZZZZ9999")}}.dump());
  ASSERT_TRUE(refused);
  ASSERT_EQ(refused->status, 422) << refused->body;
  auto answer = json::parse(refused->body);
  EXPECT_FALSE(answer["error"].get<std::string>().empty());
  ASSERT_FALSE(answer["findings"].empty());
  EXPECT_EQ(answer["findings"][0]["rule"], "po-in-warehouse");
  EXPECT_EQ(store_->request(id)->state, State::REJECTED);
  EXPECT_EQ(event_count(id), events_before);
  EXPECT_EQ(store_->shipments(id).size(), 1u);

  // Fixed: planned again by the chain from EXTRACTED, the rejected shipment dropped.
  add_order("DDDD4444");
  auto edited = extracted_for("DDDD4444");
  auto ok = post(base + "/resubmit", json{{"extracted", edited}, {"comment", "PO typo"}}.dump());
  ASSERT_TRUE(ok);
  ASSERT_EQ(ok->status, 200) << ok->body;
  EXPECT_EQ(json::parse(ok->body)["state"], "EXTRACTED");
  auto after = store_->request(id);
  EXPECT_EQ(after->state, State::EXTRACTED);
  EXPECT_EQ(after->extracted["purchase_orders"][0]["po"], "DDDD4444");
  EXPECT_TRUE(store_->shipments(id).empty());
  auto e = last_event(*store_, id);
  EXPECT_EQ(e["actor"], "console:ops");
  EXPECT_NE(e["detail"].get<std::string>().find("purchase_orders"), std::string::npos);
  // Found by its new PO.
  EXPECT_EQ(get_json("/api/requests?q=dddd4444")["total"], 1);
}

TEST_F(ConsoleTest, ASubmissionThatReachedAmazonIsNeverResubmitted) {
  auto sent = submitted_then_attention(1, "AAAA1111");
  auto uncertain = planned(2, "BBBB2222");
  store_->mark_submitting(store_->shipments(uncertain).front().id, "orchestrator");
  store_->needs_attention(uncertain, "the answer was lost", json::object(), "orchestrator");
  add_order("AAAA1111");
  add_order("BBBB2222");
  start();
  for (auto id : {sent, uncertain}) {
    const auto before = event_count(id);
    auto r = post("/api/requests/" + std::to_string(id) + "/resubmit",
                  json{{"extracted", store_->request(id)->extracted}}.dump());
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 409) << r->body;
    EXPECT_NE(json::parse(r->body)["error"].get<std::string>().find("Amazon"), std::string::npos) << r->body;
    EXPECT_EQ(event_count(id), before);
    EXPECT_EQ(store_->request(id)->state, State::NEEDS_ATTENTION);
  }
}

TEST_F(ConsoleTest, PagingOverAThousandRequestsReturnsEachExactlyOnce) {
  for (int n = 1; n <= 1000; ++n) {
    if (n % 10 == 0)
      rule_failure(n, "PO" + std::to_string(100000 + n));
    else
      received(n);
  }
  start();
  std::set<std::int64_t> seen;
  std::int64_t previous = std::numeric_limits<std::int64_t>::max();
  std::string before;
  int pages = 0;
  for (;;) {
    auto page = get_json("/api/requests?limit=37" + before);
    EXPECT_EQ(page["total"], 1000);
    for (const auto& item : page["items"]) {
      auto id = item["id"].get<std::int64_t>();
      EXPECT_LT(id, previous);  // newest first
      previous = id;
      EXPECT_TRUE(seen.insert(id).second) << "#" << id << " twice";
    }
    ++pages;
    if (page["next_before"].is_null()) break;
    before = "&before=" + std::to_string(page["next_before"].get<std::int64_t>());
    ASSERT_LT(pages, 100);
  }
  EXPECT_EQ(seen.size(), 1000u);
  EXPECT_EQ(pages, 28);  // ceil(1000 / 37)

  // Filtered by state, paged the same way.
  std::set<std::int64_t> attention;
  before.clear();
  for (;;) {
    auto page = get_json("/api/requests?state=NEEDS_ATTENTION&limit=30" + before);
    EXPECT_EQ(page["total"], 100);
    for (const auto& item : page["items"]) {
      EXPECT_EQ(item["state"], "NEEDS_ATTENTION");
      attention.insert(item["id"].get<std::int64_t>());
    }
    if (page["next_before"].is_null()) break;
    before = "&before=" + std::to_string(page["next_before"].get<std::int64_t>());
  }
  EXPECT_EQ(attention.size(), 100u);
  EXPECT_EQ(get_json("/api/requests?limit=500")["items"].size(), 200u);  // at most 200 a page
}

TEST_F(ConsoleTest, TheQueueIsPagedAndSaysHowManyWait) {
  for (int n = 1; n <= 130; ++n) {
    if (n % 13 == 0)
      received(n);  // not in the queue
    else
      rule_failure(n, "PO" + std::to_string(200000 + n));
  }
  start();
  auto first = get_json("/api/attention");
  EXPECT_EQ(first["total"], 120);
  EXPECT_EQ(first["items"].size(), 50u) << "a page by default, not the whole queue";
  std::set<std::int64_t> seen;
  std::string before;
  int pages = 0;
  for (;;) {
    auto page = get_json("/api/attention?limit=45" + before);
    EXPECT_EQ(page["total"], 120);
    for (const auto& item : page["items"]) {
      EXPECT_EQ(item["state"], "NEEDS_ATTENTION");
      EXPECT_TRUE(item.contains("rule_failures"));
      EXPECT_TRUE(seen.insert(item["id"].get<std::int64_t>()).second) << item["id"] << " twice";
    }
    ++pages;
    if (page["next_before"].is_null()) break;
    before = "&before=" + std::to_string(page["next_before"].get<std::int64_t>());
    ASSERT_LT(pages, 10);
  }
  EXPECT_EQ(seen.size(), 120u);
  EXPECT_EQ(pages, 3);
  for (const char* bad : {"/api/attention?limit=0", "/api/attention?before=x"}) {
    auto r = get(bad);
    ASSERT_TRUE(r) << bad;
    EXPECT_EQ(r->status, 400) << bad << ": " << r->body;
  }
}

TEST_F(ConsoleTest, SearchFindsAPoAShipmentAndATransaction) {
  auto a = submitted_then_attention(1, "QWER1234");
  auto b = planned(2, "ASDF5678");
  received(3);
  start();
  auto ids = [this](const std::string& q) {
    std::vector<std::int64_t> out;
    auto page = get_json("/api/requests?q=" + q);
    for (const auto& item : page["items"]) out.push_back(item["id"]);
    return out;
  };
  EXPECT_EQ(ids("QWER1234"), std::vector<std::int64_t>{a});
  EXPECT_EQ(ids("asdf"), std::vector<std::int64_t>{b});  // a prefix, any case
  EXPECT_EQ(ids("DH-ASDF5678"), std::vector<std::int64_t>{b});
  EXPECT_EQ(ids("tx-QWER1234"), std::vector<std::int64_t>{a});
  EXPECT_TRUE(ids("NOPE0000").empty());
  auto item = get_json("/api/requests?q=QWER1234")["items"][0];
  EXPECT_EQ(item["pos"], json::array({"QWER1234"}));
  EXPECT_EQ(item["fc"], "ABE8");
  EXPECT_EQ(item["ship_window"], (json{{"start", "2030-01-03"}, {"end", "2030-01-09"}}));
  EXPECT_EQ(item["ready_date"], "2030-01-02");
}

TEST_F(ConsoleTest, ChargebacksPerBrandAndReasonAndTheNoticesWithTheirEmails) {
  auto request = received(1);
  auto email = received(2);
  for (const char* reason : {"late_asn", "late_asn", "routing"}) {
    chain::NoticeEffect e;
    e.notice = email;
    e.kind = "chargeback";
    e.po = "AAAA1111";
    e.request = request;
    e.brand = "acme";
    e.reason = reason;
    e.action = "chargeback";
    store_->add_effect(e, "orchestrator");
  }
  start();
  auto counts = get_json("/api/chargebacks");
  EXPECT_EQ(counts["total"], 3);
  EXPECT_EQ(counts["counts"], (json::array({{{"brand", "acme"}, {"reason", "late_asn"}, {"count", 2}},
                                            {{"brand", "acme"}, {"reason", "routing"}, {"count", 1}}})));
  auto notices = get_json("/api/notices")["items"];
  ASSERT_EQ(notices.size(), 3u);
  EXPECT_EQ(notices[0]["notice"], email);
  EXPECT_EQ(notices[0]["request"], request);
  EXPECT_EQ(notices[0]["kind"], "chargeback");
}

TEST_F(ConsoleTest, TheRequestPageTheQueueTheSummaryAndTheEvidence) {
  auto failed = rule_failure(1, "AAAA1111");
  auto amazon = rejected(2, "BBBB2222");
  received(3);
  const std::string png("\x89PNG\r\n\x1a\n-image", 15);
  auto evidence = store_->add_evidence(failed, "erp-screenshot.png", "image/png", png, "fleet");
  start();
  auto summary = get_json("/api/summary");
  EXPECT_EQ(summary["counts"], (json{{"NEEDS_ATTENTION", 1}, {"REJECTED", 1}, {"RECEIVED", 1}}));
  EXPECT_EQ(summary["attention"], 2);
  EXPECT_EQ(summary["brands"][""]["RECEIVED"], 1);

  auto queue = get_json("/api/attention")["items"];
  ASSERT_EQ(queue.size(), 2u);
  EXPECT_EQ(queue[0]["id"], amazon);  // newest first
  EXPECT_EQ(queue[0]["amazon_errors"], (json::array({{{"code", "InvalidInput"}, {"message", "bad window"}}})));
  EXPECT_EQ(queue[1]["rule_failures"][0]["rule"], "po-in-warehouse");
  ASSERT_EQ(queue[1]["attachments"].size(), 1u);
  auto url = queue[1]["attachments"][0]["url"].get<std::string>();

  auto image = get(url);
  ASSERT_TRUE(image);
  EXPECT_EQ(image->status, 200);
  EXPECT_EQ(image->get_header_value("Content-Type"), "image/png");
  EXPECT_EQ(image->body, png);
  EXPECT_EQ(get("/api/requests/" + std::to_string(amazon) + "/evidence/" + std::to_string(evidence))->status, 404);

  auto page = get_json("/api/requests/" + std::to_string(amazon));
  EXPECT_EQ(page["state"], "REJECTED");
  EXPECT_EQ(page["shipments"][0]["state"], "REJECTED");
  EXPECT_EQ(page["shipments"][0]["payload"]["vendorShipmentIdentifier"], "DH-BBBB2222-ABE8-0000abcd");
  EXPECT_EQ(page["actions"], (json{"cancel", "resubmit", "resolve"}));
  auto events = page["events"];
  ASSERT_GE(events.size(), 4u);
  EXPECT_EQ(events.front()["step"], "RECEIVED");
  EXPECT_EQ(events.back()["step"], "REJECTED");
  // The live timeline: only what came after the last event seen.
  auto last = events.back()["id"].get<std::int64_t>();
  EXPECT_TRUE(get_json("/api/requests/" + std::to_string(amazon) + "/events?after=" + std::to_string(last))["events"].empty());
  store_->add_event(amazon, "orchestrator", "NOTE", "later");
  auto fresh = get_json("/api/requests/" + std::to_string(amazon) + "/events?after=" + std::to_string(last))["events"];
  ASSERT_EQ(fresh.size(), 1u);
  EXPECT_EQ(fresh[0]["detail"], "later");
  EXPECT_EQ(get("/api/requests/424242")->status, 404);
  EXPECT_EQ(get_json("/api/fleet"), (json{{"agents", json::array()}}));
  EXPECT_EQ(get("/metrics")->status, 404);  // no metrics given
}

TEST_F(ConsoleTest, WithoutATokensFileOneOperatorTokenIsMadeAndOnlyItsHashKept) {
  auto o = options();
  o.tokens_file = dir_ + "/keys/console-tokens";
  start(o);
  auto token = server_->generated_token();
  ASSERT_TRUE(token);
  EXPECT_GE(token->size(), 24u);
  struct stat st {};
  ASSERT_EQ(::stat(o.tokens_file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  std::ifstream in(o.tokens_file);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text.find(*token), std::string::npos);
  EXPECT_NE(text.find(sha256_hex_of(*token) + " admin operator"), std::string::npos);
  EXPECT_EQ(get_json("/api/me", *token), (json{{"name", "admin"}, {"role", "operator"}}));
  // The next start reads the file: no new token.
  server_.reset();
  start(o);
  EXPECT_FALSE(server_->generated_token());
  EXPECT_EQ(get("/api/me", *token)->status, 200);
}

TEST_F(ConsoleTest, ATokensFileOthersCanReadIsRefused) {
  ::chmod((dir_ + "/tokens").c_str(), 0644);
  Server server(options());
  try {
    server.start();
    FAIL() << "started with a tokens file others can read";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("chmod 600"), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find(sha256_hex_of(kOperatorToken)), std::string::npos);
  }
}

TEST_F(ConsoleTest, TokensFileErrorsNameTheLine) {
  EXPECT_THROW(Tokens::parse("abc ops operator\n", "t"), std::runtime_error);
  EXPECT_THROW(Tokens::parse(sha256_hex_of("x") + " ops admin\n", "t"), std::runtime_error);
  EXPECT_THROW(Tokens::parse(sha256_hex_of("x") + " ops\n", "t"), std::runtime_error);
  try {
    Tokens::parse("# comment\n\n" + sha256_hex_of("x") + " ops root\n", "tokens");
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("tokens line 3"), std::string::npos) << e.what();
  }
  auto tokens = Tokens::parse(sha256_hex_of("secret-one") + " a viewer\n" + sha256_hex_of("secret-two") + " b operator\n", "t");
  EXPECT_EQ(tokens.find("secret-two")->name, "b");
  EXPECT_FALSE(tokens.find("secret-three"));
  EXPECT_FALSE(tokens.find(""));
}

#ifdef CPPHTTPLIB_OPENSSL_SUPPORT
TEST_F(ConsoleTest, WithACertificateAndKeyItServesHttpsOnly) {
  // A self-signed certificate made for this test (openssl is installed by scripts/setup.sh).
  const std::string cert = dir_ + "/cert.pem", key = dir_ + "/key.pem";
  const std::string command = "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 -keyout " + key +
                              " -out " + cert + " >/dev/null 2>&1";
  ASSERT_EQ(std::system(command.c_str()), 0);
  auto o = options();
  o.tls_cert = cert;
  o.tls_key = key;
  server_ = std::make_unique<Server>(o);
  server_->start();
  EXPECT_EQ(server_->url().rfind("https://127.0.0.1:", 0), 0u) << server_->url();
  httplib::SSLClient tls("127.0.0.1", server_->port());
  tls.enable_server_certificate_verification(false);
  auto me = tls.Get("/api/me", bearer(kOperatorToken));
  ASSERT_TRUE(me);
  EXPECT_EQ(me->status, 200);
  auto login = tls.Post("/api/login", json{{"token", kOperatorToken}}.dump(), "application/json");
  ASSERT_TRUE(login);
  EXPECT_NE(login->get_header_value("Set-Cookie").find("; Secure"), std::string::npos);
  httplib::Client plain("127.0.0.1", server_->port());
  plain.set_read_timeout(5, 0);
  auto refused = plain.Get("/api/me", bearer(kOperatorToken));
  EXPECT_TRUE(!refused || refused->status != 200);
  server_.reset();

  // A key that is not the certificate's: refused at start, with the files named.
  ASSERT_EQ(std::system(("openssl genrsa -out " + dir_ + "/other.pem 2048 >/dev/null 2>&1").c_str()), 0);
  o.tls_key = dir_ + "/other.pem";
  Server wrong(o);
  try {
    wrong.start();
    FAIL() << "started with a key that is not the certificate's";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("cert.pem"), std::string::npos) << e.what();
  }
}
#endif

// The job log (take-overs, supervision decisions) outlives a restart of serve, and its journal stays bounded.
TEST(JobLogTest, AJobsEventsOutliveARestartAndTheJournalStaysBounded) {
  const auto dir = fresh_dir("joblog");
  const auto path = dir + "/store.sqlite.jobs.jsonl";
  const std::string t = "2026-12-07T03:00:00.000Z";
  auto lines = [&] {
    std::ifstream in(path);
    std::size_t n = 0;
    for (std::string line; std::getline(in, line);) ++n;
    return n;
  };
  {
    JobLog log(path, 3, 1000);
    log.note("job-1", "started", "supervised erp-closeout by console:ann", t);
    log.add(fleet::FleetEvent{"control", "job-1", "agent1", "takeover by console:ann"}, t);
    log.add(fleet::FleetEvent{"progress", "job-1", "agent1", "step 3"}, t);  // progress is not kept
    log.note("job-2", "started", "erp-closeout by console:bob", t);
  }
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  {
    JobLog log(path, 3, 1000);
    auto e = log.events("job-1");
    ASSERT_TRUE(e) << "the job's log after a restart";
    ASSERT_EQ(e->size(), 2u);
    EXPECT_EQ((*e)[1]["kind"], "control");
    EXPECT_EQ((*e)[1]["agent"], "agent1");
    EXPECT_EQ((*e)[1]["detail"], "takeover by console:ann");
    EXPECT_EQ((*e)[1]["time"], t);
    ASSERT_TRUE(log.events("job-2"));
    for (int i = 0; i < 1000; ++i)
      for (int k = 0; k < 3; ++k) log.note("bulk-" + std::to_string(i), "step", "step " + std::to_string(k), t);
    EXPECT_FALSE(log.events("job-1")) << "only the last 3 jobs are kept";
    EXPECT_TRUE(log.events("bulk-999"));
    EXPECT_LE(lines(), 2 * 9 + 1000 + 1) << "the journal is rewritten from what is kept";
  }
  {
    std::ofstream cut(path, std::ios::app);
    cut << R"({"job":"bulk-999","kind":"st)";  // a line cut by a crash mid-write
  }
  JobLog log(path, 3, 1000);
  auto e = log.events("bulk-999");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->size(), 3u);
  EXPECT_FALSE(log.events("bulk-0"));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace dockhand::console::test
