// chain/ store: raw bytes first, dedupe, guarded transitions, the append-only event log.
#include "chain_doubles.h"

#include <sqlite3.h>

using namespace dockhand;
using namespace dockhand::chain;
using namespace dockhand::chain::testing;

using StoreTest = ChainFixture;

TEST_F(StoreTest, ReceiveKeepsTheExactBytesAndLogsTheEvent) {
  auto message = email("maildir:1", "a1", "2K4GH7QZ");
  message.bytes += std::string("\0binary\xff", 8);
  auto received = store->receive(message, "mail");
  EXPECT_EQ(received.state, State::RECEIVED);
  EXPECT_FALSE(received.redelivery);
  EXPECT_EQ(store->raw_message(received.request_id), message.bytes);
  auto events = store->events(received.request_id);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].step, "RECEIVED");
  EXPECT_EQ(events[0].actor, "mail");
  EXPECT_EQ(events[0].time.substr(0, 10), "2026-11-22");
}

TEST_F(StoreTest, SameMessageIdIsADuplicateAndStillStored) {
  auto first = store->receive(email("maildir:1", "same", "2K4GH7QZ"), "mail");
  auto second = store->receive(email("imap:7:12", "same", "7HXQ3M2P"), "mail");
  EXPECT_EQ(second.state, State::DUPLICATE);
  auto r = store->request(second.request_id);
  ASSERT_TRUE(r->duplicate_of);
  EXPECT_EQ(*r->duplicate_of, first.request_id);
  EXPECT_NE(r->reason.find("duplicate of routing request #" + std::to_string(first.request_id)), std::string::npos);
  EXPECT_NE(store->raw_message(second.request_id).find("7HXQ3M2P"), std::string::npos) << "never dropped";
  EXPECT_FALSE(r->next_attempt_ms) << "a duplicate is not processed";
}

TEST_F(StoreTest, WithoutMessageIdTheHeadersMinusReceivedDecide) {
  auto a = email("maildir:1", "", "2K4GH7QZ");
  auto b = a;
  b.source_id = "maildir:2";
  b.bytes = "Received: from another relay; later\r\n" + b.bytes;  // only trace headers differ
  auto c = email("maildir:3", "", "7HXQ3M2P");                     // a different message
  EXPECT_EQ(Store::dedupe_key(a.bytes), Store::dedupe_key(b.bytes));
  EXPECT_NE(Store::dedupe_key(a.bytes), Store::dedupe_key(c.bytes));
  EXPECT_EQ(store->receive(a, "mail").state, State::RECEIVED);
  EXPECT_EQ(store->receive(b, "mail").state, State::DUPLICATE);
  EXPECT_EQ(store->receive(c, "mail").state, State::RECEIVED);
}

TEST_F(StoreTest, RedeliveryOfTheSameSourceMessageAddsNothing) {
  auto first = store->receive(email("imap:7:12", "r1", "2K4GH7QZ"), "mail");
  auto again = store->receive(email("imap:7:12", "r1", "2K4GH7QZ"), "mail");
  EXPECT_TRUE(again.redelivery);
  EXPECT_EQ(again.request_id, first.request_id);
  EXPECT_EQ(store->count_requests(), 1u);
}

TEST_F(StoreTest, TransitionFromTheWrongStateIsRefused) {
  auto r = store->receive(email("maildir:1", "t1", "2K4GH7QZ"), "mail");
  EXPECT_THROW(store->begin_closeout(r.request_id, "test", ""), TransitionError);
  EXPECT_THROW(store->finish_closeout(r.request_id, {}, "test", ""), TransitionError);
  EXPECT_EQ(state(r.request_id), State::RECEIVED);
  EXPECT_EQ(store->events(r.request_id).size(), 1u) << "a refused transition leaves no event";
}

TEST_F(StoreTest, EventLogIsAppendOnly) {
  auto r = store->receive(email("maildir:1", "e1", "2K4GH7QZ"), "mail");
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir / "store.sqlite").c_str(), &db), SQLITE_OK);
  char* error = nullptr;
  EXPECT_NE(sqlite3_exec(db, "UPDATE events SET step = 'DONE'", nullptr, nullptr, &error), SQLITE_OK);
  ASSERT_TRUE(error);
  EXPECT_NE(std::string(error).find("append-only"), std::string::npos);
  sqlite3_free(error);
  EXPECT_NE(sqlite3_exec(db, "DELETE FROM events", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  EXPECT_EQ(store->events(r.request_id).at(0).step, "RECEIVED");
}

TEST_F(StoreTest, StateSurvivesReopening) {
  auto r = store->receive(email("maildir:1", "s1", "2K4GH7QZ"), "mail");
  chain->advance(r.request_id);
  auto before = state(r.request_id);
  open();
  EXPECT_EQ(state(r.request_id), before);
  EXPECT_EQ(store->events(r.request_id).size(), steps(r.request_id).size());
}

TEST_F(StoreTest, NewWorkIsDueBeforePollsOfAmazon) {
  // #1 is SUBMITTED and due since long ago (a poll); #2 arrives later: it still comes first.
  auto polled = store->receive(email("maildir:1", "p1", "2K4GH7QZ"), "mail");
  amazon.default_statuses = {"Processing"};
  amazon.final_status = "Processing";
  chain->advance(polled.request_id);
  ASSERT_EQ(state(polled.request_id), State::SUBMITTED);
  store->schedule(polled.request_id, clock.now_ms() - 60000);
  clock.advance(std::chrono::milliseconds(10));
  auto fresh = store->receive(email("maildir:2", "p2", "9LMN4R8T"), "mail");
  EXPECT_EQ(store->due(clock.now_ms(), 10), (std::vector<std::int64_t>{fresh.request_id, polled.request_id}));
  EXPECT_EQ(store->due(clock.now_ms(), 1), (std::vector<std::int64_t>{fresh.request_id}));
}

// A store full from its very first write (a low store_max_bytes, a disk filled while serve was down) still
// says so in its health file, and the message is refused whole, never half stored.
TEST_F(StoreTest, AStoreFullFromItsFirstWriteSaysSoInItsHealthFile) {
  const auto path = (dir / "full.sqlite").string();
  {
    Store full(path, clock);
    full.limit_size(1);  // one page: every write that needs a new page fails
    auto message = email("maildir:1", "full1", "2K4GH7QZ");
    message.bytes += std::string(64 * 1024, 'p');
    EXPECT_ANY_THROW(full.receive(message, "mail"));
    EXPECT_EQ(full.health().state, "disk_full");
    EXPECT_EQ(full.count_requests(), 0u);
  }
  auto health = Store::read_health(path);
  ASSERT_TRUE(health) << "the health file exists although nothing could be written";
  EXPECT_EQ(health->state, "disk_full");
}
