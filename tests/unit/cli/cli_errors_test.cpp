// The command line as a new user meets it, in the real binaries: every usage error names the option or
// argument, the value given and the form expected, with the exit code of the one table (docs/operations.md);
// reads never write (a foreign SQLite file and a Dockhand store come out of status and plan byte for byte
// the same, and no side file appears); serve --check on a failing config leaves its folder as it was.
#include "orchestrator/chain/clock.h"
#include "orchestrator/chain/store.h"
#include "orchestrator/pretender/pretender.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

extern char** environ;

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct Ran {
  int code = -1;
  std::string out, err;
};

std::string read_text(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void write_text(const fs::path& file, const std::string& text) {
  std::ofstream(file, std::ios::binary) << text;
}

// Every file under `dir` with the SHA-256 of its bytes: what "left as it was" compares.
std::map<std::string, std::string> snapshot(const fs::path& dir) {
  std::map<std::string, std::string> files;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    auto rel = fs::relative(e.path(), dir).string();
    files[rel] = e.is_regular_file() ? dockhand::pretender::sha256_hex(read_text(e.path())) : "(folder)";
  }
  return files;
}

class Cli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = fs::temp_directory_path() / ("cli-errors-" + std::to_string(::getpid()) + "-" +
                                       ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(dir);
  }

  // Runs a program in `dir`, stdout and stderr captured apart.
  Ran run(const std::string& program, const std::vector<std::string>& args) {
    Ran r;
    auto out = dir / ".out", err = dir / ".err";
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    std::vector<std::string> argv{program};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<char*> c_args;
    for (auto& a : argv) c_args.push_back(a.data());
    c_args.push_back(nullptr);
    auto cwd = fs::current_path();
    fs::current_path(dir);
    pid_t pid = -1;
    int rc = posix_spawn(&pid, program.c_str(), &actions, nullptr, c_args.data(), environ);
    fs::current_path(cwd);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) return r;
    int status = 0;
    ::waitpid(pid, &status, 0);
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    r.out = read_text(out);
    r.err = read_text(err);
    fs::remove(out);
    fs::remove(err);
    return r;
  }
  Ran orchestrator(const std::vector<std::string>& args) { return run(DOCKHAND_ORCHESTRATOR_BIN, args); }
  Ran agent(const std::vector<std::string>& args) { return run(DOCKHAND_AGENT_BIN, args); }

  // A Dockhand store with one routing request in it (written the way serve writes it).
  fs::path make_store(const std::string& name = "dockhand.sqlite") {
    dockhand::chain::SystemClock clock;
    dockhand::chain::Store store((dir / name).string(), clock);
    store.receive({"maildir:one.eml", read_text(fs::path(DOCKHAND_SOURCE_DIR) / "tests/fixtures/emails/01-plain-key-value.eml")},
                  "test");
    return dir / name;
  }
  // Another program's SQLite database (rollback journal, like most).
  fs::path make_foreign(const std::string& name = "inventory.sqlite") {
    sqlite3* db = nullptr;
    sqlite3_open((dir / name).c_str(), &db);
    sqlite3_exec(db, "CREATE TABLE bins (id INTEGER PRIMARY KEY, aisle TEXT); INSERT INTO bins (aisle) VALUES ('A1');",
                 nullptr, nullptr, nullptr);
    sqlite3_close(db);
    return dir / name;
  }
  fs::path make_orders() {
    auto fixtures = fs::path(DOCKHAND_SOURCE_DIR) / "tests/fixtures/orders";
    auto r = orchestrator({"orders", "import", (fixtures / "orders.csv").string(), (fixtures / "order_lines.csv").string(),
                           (fixtures / "cartons.csv").string(), "--db", "orders.sqlite"});
    EXPECT_EQ(r.code, 0) << r.err;
    return dir / "orders.sqlite";
  }
  fs::path email() const { return fs::path(DOCKHAND_SOURCE_DIR) / "tests/fixtures/emails/01-plain-key-value.eml"; }

  fs::path dir;
};

// Runs once: the exit code and a text that must be in stdout or stderr.
#define EXPECT_RAN(ran, expected_code, text)                                          \
  do {                                                                                \
    const Ran r_ = (ran);                                                             \
    EXPECT_EQ(r_.code, expected_code) << r_.err << r_.out;                            \
    EXPECT_NE((r_.err + r_.out).find(text), std::string::npos) << r_.err << r_.out;   \
  } while (0)

// ---- dockhand-orchestrator ------------------------------------------------------------------------------

TEST_F(Cli, OrchestratorUnknownCommandListsTheCommands) {
  auto r = orchestrator({"stauts"});
  EXPECT_RAN(r, 2, "\"stauts\" is not a command; the commands are accounts, bind, extract, keygen, orders, plan, serve, status");
  EXPECT_RAN(orchestrator({"--help"}), 0, "Exit status");
}

TEST_F(Cli, StatusErrorsSayWhatToDo) {
  auto store = make_store();
  EXPECT_RAN(orchestrator({"status", "abc", "--store", store.string()}), 2,
             "ID: \"abc\" is not a request id (e.g. status 12 or status #12)");
  EXPECT_RAN(orchestrator({"status", "--last", "x", "--store", store.string()}), 2,
             "--last: \"x\" is not a number of requests (e.g. --last 20)");
  EXPECT_RAN(orchestrator({"status", "--last"}), 2, "--last needs a value");
  EXPECT_RAN(orchestrator({"status", "--state", "donee", "--store", store.string()}), 2,
             "--state: \"donee\" is not a state; it is one of RECEIVED, EXTRACTED, PLANNED, SUBMITTED, CONFIRMED, "
             "CLOSING_OUT, DONE, NEEDS_ATTENTION, REJECTED, DUPLICATE, OTHER, QUARANTINED");
  EXPECT_RAN(orchestrator({"status", "--state", "received", "--store", store.string()}), 0, "RECEIVED");
  EXPECT_RAN(orchestrator({"status", "--state", "done", "--store", store.string()}), 0,
             "no routing requests in state DONE");
  EXPECT_RAN(orchestrator({"status", "--frobnicate"}), 2, "unknown option --frobnicate");
  EXPECT_RAN(orchestrator({"status", "1", "2"}), 2, "unexpected argument \"2\"");
  EXPECT_RAN(orchestrator({"status", "--timeout", "5", "--store", store.string()}), 2, "--timeout goes with --follow");
  EXPECT_RAN(orchestrator({"status", "--follow", "--timeout", "soon"}), 2,
             "--timeout: \"soon\" is not a number of seconds above 0 (e.g. --timeout 300)");
  EXPECT_RAN(orchestrator({"status", "99", "--store", store.string()}), 1, "no routing request #99");
  EXPECT_RAN(orchestrator({"status", "#1", "--store", store.string()}), 0, "#1  RECEIVED");
  // Files: the reason, not just "cannot read".
  EXPECT_RAN(orchestrator({"status", "--store", "missing.sqlite"}), 2, "no store at missing.sqlite");
  fs::create_directories(dir / "a-folder");
  EXPECT_RAN(orchestrator({"status", "--store", "a-folder"}), 2, "\"a-folder\": is a directory");
  write_text(dir / "notes.txt", "not a database at all, just some words that are long enough to be a header....\n");
  EXPECT_RAN(orchestrator({"status", "--store", "notes.txt"}), 2, "notes.txt is not a Dockhand store");
  if (::geteuid() != 0) {
    auto locked = make_store("locked.sqlite");
    fs::permissions(locked, fs::perms::none);
    EXPECT_RAN(orchestrator({"status", "--store", locked.string()}), 2, "permission denied");
  }
}

TEST_F(Cli, StatusAndPlanLeaveAForeignFileAndAStoreByteForByteAsTheyWere) {
  auto store = make_store();
  auto foreign = make_foreign();
  auto orders = make_orders();
  const auto before = snapshot(dir);

  auto r = orchestrator({"status", "--store", foreign.string()});
  EXPECT_RAN(r, 2, "inventory.sqlite is not a Dockhand store: it is an SQLite database with the tables bins");
  r = orchestrator({"status", "--store", orders.string()});
  EXPECT_RAN(r, 2, "is not a Dockhand store: it is an SQLite database with the tables cartons, order_lines, orders");
  EXPECT_RAN(orchestrator({"status", "--store", store.string()}), 0, "1 request");
  EXPECT_RAN(orchestrator({"status", "1", "--store", store.string()}), 0, "received");
  EXPECT_RAN(orchestrator({"status", "--json", "--store", store.string()}), 0, "\"id\": 1");
  EXPECT_RAN(orchestrator({"plan", email().string(), "--orders", foreign.string()}), 2,
             "--orders: " + foreign.string() + " is not warehouse order data");
  EXPECT_RAN(orchestrator({"plan", email().string(), "--orders", store.string()}), 2, "is not warehouse order data");
  r = orchestrator({"plan", email().string(), "--orders", orders.string(), "--today", "2026-11-20"});
  EXPECT_TRUE(r.code == 0 || r.code == 4) << r.err;
  EXPECT_RAN(orchestrator({"orders", "show", "2K4GH7QZ", "--db", orders.string()}), 0, "\"po\": \"2K4GH7QZ\"");

  EXPECT_EQ(snapshot(dir), before) << "a read changed a file or left one beside it";
}

TEST_F(Cli, AStoreOfANewerSchemaIsRefusedByItsVersionAndAnOlderOneIsAdoptedByServeOnly) {
  auto store = make_store();
  sqlite3* db = nullptr;
  sqlite3_open(store.c_str(), &db);
  sqlite3_exec(db, "PRAGMA user_version = 7", nullptr, nullptr, nullptr);
  sqlite3_close(db);
  EXPECT_RAN(orchestrator({"status", "--store", store.string()}), 2,
             "is a Dockhand store of schema version 7, newer than this program knows (schema version " +
                 std::to_string(dockhand::chain::Store::kSchemaVersion) + ")");

  // A store written before stores were marked: read as it is; marked by the first read-write open only.
  auto old = make_store("old.sqlite");
  sqlite3_open(old.c_str(), &db);
  sqlite3_exec(db, "PRAGMA application_id = 0; PRAGMA user_version = 0", nullptr, nullptr, nullptr);
  sqlite3_close(db);
  const auto before = dockhand::pretender::sha256_hex(read_text(old));
  EXPECT_RAN(orchestrator({"status", "--store", old.string()}), 0, "1 request");
  EXPECT_EQ(dockhand::pretender::sha256_hex(read_text(old)), before);
  dockhand::chain::SystemClock clock;
  dockhand::chain::Store adopted(old.string(), clock);
  EXPECT_EQ(adopted.migrated_from(), 0);
  EXPECT_EQ(adopted.count_requests(), 1u);

  // Opened for writing (serve), another program's database is refused before a byte is written.
  auto foreign = make_foreign();
  const auto foreign_before = snapshot(dir);
  EXPECT_THROW(dockhand::chain::Store(foreign.string(), clock), dockhand::chain::StoreFormatError);
  EXPECT_EQ(snapshot(dir), foreign_before);
}

TEST_F(Cli, PlanErrorsSayWhatToDo) {
  auto orders = make_orders();
  EXPECT_RAN(orchestrator({"plan"}), 2, "FILE.eml is missing");
  EXPECT_RAN(orchestrator({"plan", email().string()}), 2, "--orders DB is missing");
  EXPECT_RAN(orchestrator({"plan", "missing.eml", "--orders", orders.string()}), 2,
             "FILE.eml: cannot read \"missing.eml\": no such file");
  EXPECT_RAN(orchestrator({"plan", ".", "--orders", orders.string()}), 2, "FILE.eml: cannot read \".\": is a directory");
  EXPECT_RAN(orchestrator({"plan", email().string(), "--orders", "none.sqlite"}), 2,
             "--orders: warehouse order data none.sqlite does not exist");
  EXPECT_RAN(orchestrator({"plan", email().string(), "--orders", orders.string(), "--rules", "missing.json"}), 2,
             "--rules: cannot read \"missing.json\": no such file");
  write_text(dir / "rules.json", "{not json");
  EXPECT_RAN(orchestrator({"plan", email().string(), "--orders", orders.string(), "--rules", "rules.json"}), 2,
             "--rules: ");
  EXPECT_RAN(orchestrator({"plan", email().string(), "--orders", orders.string(), "--today", "2026-02-30"}), 2,
             "--today: \"2026-02-30\" is not a date that exists (YYYY-MM-DD, e.g. --today 2026-12-07)");
  // The fixtures' order data belongs to another vendor than the email: the rules stop it (4), as JSON types.
  EXPECT_RAN(orchestrator({"plan", email().string(), "--orders", orders.string(), "--json", "--today", "2026-11-20"}),
             4, "\"ok\": false");
  write_text(dir / "empty.eml", "");
  EXPECT_RAN(orchestrator({"plan", "empty.eml", "--orders", orders.string()}), 3, "\"quarantined\": true");
  EXPECT_RAN(orchestrator({"plan", (fs::path(DOCKHAND_SOURCE_DIR) / "tests/fixtures/emails/01-plain-key-value.eml").string(),
                           "--orders", orders.string(), "--today", "2027-06-01"}),
             4, "error [");
}

TEST_F(Cli, ExtractErrorsSayWhatToDo) {
  EXPECT_RAN(orchestrator({"extract", "--max-bytes", "abc", email().string()}), 2,
             "--max-bytes: \"abc\" is not a number of bytes (e.g. --max-bytes 1048576)");
  EXPECT_RAN(orchestrator({"extract", "."}), 2, "FILE.eml: cannot read \".\": is a directory");
  EXPECT_RAN(orchestrator({"extract", "missing.eml"}), 2, "FILE.eml: cannot read \"missing.eml\": no such file");
  EXPECT_RAN(orchestrator({"extract"}), 2, "FILE.eml is missing");
  EXPECT_RAN(orchestrator({"extract", email().string(), "other.eml"}), 2, "unexpected argument \"other.eml\"");
  auto r = orchestrator({"extract", "--json", email().string()});
  EXPECT_EQ(r.code, 0) << r.err;
  auto j = json::parse(r.out);
  EXPECT_TRUE(j["purchase_orders"][0]["cartons"].is_number()) << r.out;
  write_text(dir / "empty.eml", "");
  r = orchestrator({"extract", "empty.eml"});
  EXPECT_EQ(r.code, 3);
  EXPECT_TRUE(json::parse(r.out)["quarantined"].is_boolean()) << r.out;
}

TEST_F(Cli, OrdersErrorsSayWhatToDo) {
  EXPECT_RAN(orchestrator({"orders"}), 2, "COMMAND is missing: import, show or schema");
  EXPECT_RAN(orchestrator({"orders", "frobnicate"}), 2,
             "COMMAND: \"frobnicate\" is not an orders command; it is one of import, show, schema");
  EXPECT_RAN(orchestrator({"orders", "SCHEMA"}), 0, "CREATE TABLE");
  EXPECT_RAN(orchestrator({"orders", "import", "missing.csv", "--db", "o.sqlite"}), 2,
             "FILE.csv: cannot read \"missing.csv\": no such file");
  EXPECT_FALSE(fs::exists(dir / "o.sqlite")) << "a failed import created the database";
  EXPECT_RAN(orchestrator({"orders", "show", "2K4GH7QZ"}), 2, "--db DB is missing");
  EXPECT_RAN(orchestrator({"orders", "show", "2K4GH7QZ", "--db", "missing.sqlite"}), 2, "does not exist");
  auto orders = make_orders();
  EXPECT_RAN(orchestrator({"orders", "show", "NOSUCHPO", "--db", orders.string()}), 1, "no PO NOSUCHPO");
}

TEST_F(Cli, ServeErrorsAndACheckThatFailsLeavesTheFolderAsItWas) {
  EXPECT_RAN(orchestrator({"serve"}), 2, "--config FILE is missing");
  EXPECT_RAN(orchestrator({"serve", "--config", "missing.json"}), 2, "missing.json");
  EXPECT_RAN(orchestrator({"serve", "--chek"}), 2, "unknown option --chek");

  // A config whose check fails (no order data), with a store, log file and Maildir that serve would create.
  fs::create_directories(dir / "secrets");
  write_text(dir / "secrets/cs", "amzn1.oa2-cs.v1.0123456789abcdef");
  write_text(dir / "secrets/rt", "Atzr|0123456789abcdef0123456789");
  fs::permissions(dir / "secrets/cs", fs::perms::owner_read | fs::perms::owner_write);
  fs::permissions(dir / "secrets/rt", fs::perms::owner_read | fs::perms::owner_write);
  write_text(dir / "orchestrator.json", json{{"store", "dockhand.sqlite"},
                                             {"orders_db", "orders.sqlite"},
                                             {"mail", {{"maildir", {{"path", "inbox"}}}}},
                                             {"logging", {{"file", "logs-orchestrator.log"}}},
                                             {"spapi",
                                              {{"endpoint", "http://127.0.0.1:9"},
                                               {"client_id", "amzn1.application-oa2-client.test"},
                                               {"client_secret_file", "secrets/cs"},
                                               {"refresh_token_file", "secrets/rt"}}}}
                                            .dump(2));
  auto before = snapshot(dir);
  auto r = orchestrator({"serve", "--config", "orchestrator.json", "--check"});
  EXPECT_RAN(r, 1, "orders.sqlite does not exist");
  EXPECT_EQ(snapshot(dir), before) << "serve --check wrote something";

  // With the order data it passes, and still writes nothing (the store and Maildir are reported as to come).
  make_orders();
  before = snapshot(dir);
  r = orchestrator({"serve", "--config", "orchestrator.json", "--check"});
  EXPECT_RAN(r, 0, "serve will create it");
  EXPECT_EQ(snapshot(dir), before) << "serve --check wrote something";

  // The secret too short to be real.
  write_text(dir / "secrets/cs", "x");
  EXPECT_RAN(orchestrator({"serve", "--config", "orchestrator.json", "--check"}), 2, "too short to be real");

  // serve pointed at another program's database refuses it and leaves it alone.
  write_text(dir / "secrets/cs", "amzn1.oa2-cs.v1.0123456789abcdef");
  auto foreign = make_foreign("dockhand.sqlite");
  const auto foreign_sum = dockhand::pretender::sha256_hex(read_text(foreign));
  EXPECT_RAN(orchestrator({"serve", "--config", "orchestrator.json", "--check"}), 1, "is not a Dockhand store");
  EXPECT_EQ(dockhand::pretender::sha256_hex(read_text(foreign)), foreign_sum);
}

TEST_F(Cli, KeygenErrors) {
  EXPECT_RAN(orchestrator({"keygen", "--bogus"}), 2, "--bogus");
  EXPECT_RAN(orchestrator({"keygen", "--name", "a/b"}), 2, "--name must be a plain file name");
  EXPECT_RAN(agent({"keygen", "--bogus"}), 2, "--bogus");
}

// ---- dockhand-agent (same table) ------------------------------------------------------------------------

TEST_F(Cli, AgentErrorsSayWhatToDo) {
  EXPECT_RAN(agent({"nope"}), 2, "\"nope\" is not a command; the commands are");
  EXPECT_RAN(agent({"serve", "--orchestrator", "tcp://127.0.0.1:1", "--insecure", "--heartbeat-ms", "x"}), 2,
             "--heartbeat-ms: \"x\" is not a number of milliseconds (e.g. --heartbeat-ms 1000)");
  EXPECT_RAN(agent({"serve", "--insecure"}), 2, "--orchestrator tcp://HOST:PORT is required");
  EXPECT_RAN(agent({"serve", "--orchestrator"}), 2, "--orchestrator needs a value");
  EXPECT_RAN(agent({"validate"}), 2, "no script given");
  EXPECT_RAN(agent({"run"}), 2, "no script given");
  EXPECT_RAN(agent({"run", "script.json", "--var", "novalue"}), 2,
             "--var: \"novalue\" is not a variable (name=value, e.g. --var po=2K4GH7QZ)");
  EXPECT_RAN(agent({"capture", "--region", "1,2"}), 2, "--region: \"1,2\" is not a region");
  EXPECT_RAN(agent({"ocr", "screen.png", "--region", "a,b,c,d"}), 2, "--region: \"a,b,c,d\" is not a region");
  EXPECT_RAN(agent({"find", "a.png", "b.png", "--score", "high"}), 2,
             "--score: \"high\" is not a number (e.g. --score 0.9)");
}

}  // namespace
