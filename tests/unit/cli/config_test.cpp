// The orchestrator's config file: defaults, relative paths, strictness, and secret files.
#include "config.h"
#include "logging.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <fstream>
#include <sstream>

namespace fs = std::filesystem;
using dockhand::cli::ConfigError;
using nlohmann::json;

namespace {

class Config : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = fs::temp_directory_path() / ("cli-config-" + std::to_string(::getpid()) + "-" +
                                       ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  void TearDown() override { fs::remove_all(dir); }
  fs::path write(const std::string& name, const std::string& text, fs::perms perms = fs::perms::owner_read | fs::perms::owner_write) {
    auto p = dir / name;
    std::ofstream(p) << text;
    fs::permissions(p, perms);
    return p;
  }
  static std::string error_of(const std::function<void()>& f) {
    try {
      f();
    } catch (const ConfigError& e) {
      return e.what();
    }
    return "";
  }
  fs::path dir;
};

}  // namespace

TEST_F(Config, EmptyDocumentGivesSaneDefaultsResolvedAgainstTheConfigFolder) {
  auto c = dockhand::cli::load_config(write("c.json", "{}"));
  EXPECT_EQ(c.store, (dir / "dockhand.sqlite").string());
  EXPECT_EQ(c.orders_db, (dir / "orders.sqlite").string());
  EXPECT_EQ(c.mail.source, "maildir");
  EXPECT_EQ(c.mail.maildir.root, dir / "inbox");
  EXPECT_EQ(c.mail.poll_interval, std::chrono::milliseconds(5000));
  EXPECT_TRUE(c.rules_file.empty());
  EXPECT_TRUE(c.fleet.is_null());
  EXPECT_EQ(c.spapi.region, "na");
  EXPECT_EQ(c.chain.processing_counts_as_success, std::chrono::minutes(15));
}

TEST_F(Config, EveryKeyOfTheDefaultsDocumentIsAccepted) {
  // serve --defaults prints this; feeding it back must work (and docs/configuration.md shows it).
  auto c = dockhand::cli::config_from_json(dockhand::cli::default_config_json(), dir);
  EXPECT_EQ(c.mail.imap.mailbox, "INBOX");
}

TEST_F(Config, ValuesAndAbsolutePathsAreTaken) {
  auto c = dockhand::cli::config_from_json(
      json::parse(R"({"store": "/var/lib/dockhand/store.sqlite", "mail": {"source": "imap", "poll_interval_ms": 1000,
        "imap": {"url": "imaps://mail.example.com", "user": "routing", "password_file": "imap.pw"}},
        "spapi": {"endpoint": "http://127.0.0.1:1", "client_id": "id"}, "chain": {"poll_initial_ms": 20},
        "logging": {"format": "json"}, "fleet": {"bind": "tcp://127.0.0.1:7610"}})"),
      dir);
  EXPECT_EQ(c.store, "/var/lib/dockhand/store.sqlite");
  EXPECT_EQ(c.mail.source, "imap");
  EXPECT_EQ(c.mail.poll_interval, std::chrono::milliseconds(1000));
  EXPECT_EQ(c.mail.imap_password_file, (dir / "imap.pw").string());
  EXPECT_EQ(c.chain.poll_initial, std::chrono::milliseconds(20));
  EXPECT_EQ(c.logging.format, "json");
  EXPECT_EQ(c.fleet["bind"], "tcp://127.0.0.1:7610");
}

TEST_F(Config, MistakesAreRefusedNamingTheKey) {
  auto bad = [&](const char* text) {
    return error_of([&] { dockhand::cli::config_from_json(json::parse(text), dir); });
  };
  EXPECT_NE(bad(R"({"mail": {"pol_interval_ms": 5}})").find("unknown key mail.pol_interval_ms"), std::string::npos);
  EXPECT_NE(bad(R"({"mail": {"poll_interval_ms": "5s"}})").find("mail.poll_interval_ms must be a whole number"),
            std::string::npos);
  EXPECT_NE(bad(R"({"mail": {"source": "pop3"}})").find("mail.source must be one of maildir, imap"), std::string::npos);
  EXPECT_NE(bad(R"({"mail": {"source": "imap"}})").find("mail.imap.url"), std::string::npos);
  EXPECT_NE(bad(R"({"logging": {"level": "loud"}})").find("logging.level"), std::string::npos);
  EXPECT_NE(bad(R"({"chain": {"poll_initial_ms": 0}})").find("chain.poll_initial_ms must be between"), std::string::npos);
  EXPECT_EQ(bad(R"({"_comment": "keys starting with _ are comments"})"), "");
  EXPECT_NE(error_of([&] { dockhand::cli::load_config(write("broken.json", "{ nope")); }).find("not valid JSON"),
            std::string::npos);
}

TEST_F(Config, SecretFilesMustBePrivateAndTheErrorNeverShowsTheSecret) {
  auto ok = write("secret", "s3cr3t-value\n");
  EXPECT_EQ(dockhand::cli::read_secret_file(ok, "x"), "s3cr3t-value");
  auto open = write("open", "s3cr3t-value\n", fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
  auto message = error_of([&] { dockhand::cli::read_secret_file(open, "spapi.client_secret_file"); });
  EXPECT_NE(message.find("mode 0444"), std::string::npos) << message;
  EXPECT_NE(message.find("chmod 600"), std::string::npos) << message;
  EXPECT_EQ(message.find("s3cr3t"), std::string::npos) << message;
  EXPECT_NE(error_of([&] { dockhand::cli::read_secret_file(dir / "missing", "x"); }).find("cannot read"),
            std::string::npos);
  EXPECT_NE(error_of([&] { dockhand::cli::read_secret_file(write("empty", "\n"), "x"); }).find("empty"),
            std::string::npos);
}

// A secret too short to be real is a wrong file: refused with the file, the length and what a real one
// looks like, never the secret itself.
TEST_F(Config, LoadSecretsRefusesASecretTooShortToBeReal) {
  write("cs", "x");
  write("rt", "refresh-token-0001");
  auto c = dockhand::cli::config_from_json(
      json::parse(R"({"spapi": {"client_id": "id", "client_secret_file": "cs", "refresh_token_file": "rt"}})"), dir);
  auto message = error_of([&] { dockhand::cli::load_secrets(c); });
  EXPECT_NE(message.find("spapi.client_secret_file"), std::string::npos) << message;
  EXPECT_NE(message.find("1 character long, too short to be real"), std::string::npos) << message;
  EXPECT_NE(message.find((dir / "cs").string()), std::string::npos) << message;

  write("cs", "client-secret-0001");
  write("rt", "Atzr|short");
  message = error_of([&] { dockhand::cli::load_secrets(c); });
  EXPECT_NE(message.find("spapi.refresh_token_file"), std::string::npos) << message;
  EXPECT_EQ(message.find("Atzr|short"), std::string::npos) << "the secret is in the message: " << message;

  write("pw", "pw");
  write("rt", "refresh-token-0001");
  auto imap = dockhand::cli::config_from_json(
      json::parse(R"({"mail": {"source": "imap", "imap": {"url": "imaps://h", "user": "u", "password_file": "pw"}},
        "spapi": {"client_id": "id", "client_secret_file": "cs", "refresh_token_file": "rt"}})"),
      dir);
  message = error_of([&] { dockhand::cli::load_secrets(imap); });
  EXPECT_NE(message.find("mail.imap.password_file"), std::string::npos) << message;
}

// The log scrubber replaces whole secret values: a secret that is part of an ordinary word leaves the word
// alone, and the secret itself is caught beside any punctuation.
TEST_F(Config, LogRedactionReplacesWholeSecretValuesOnly) {
  auto file = dir / "words.log";
  dockhand::cli::LoggingConfig logging;
  logging.file = file.string();
  dockhand::cli::setup_logging(logging, {"x", "xis", "ist", "tent"});
  dockhand::cli::add_log_secret("content");
  spdlog::info("the file does not exist; its content is intentional; x marks the spot (x)");
  spdlog::default_logger()->flush();
  std::ifstream in(file);
  std::string text((std::istreambuf_iterator<char>(in)), {});
  EXPECT_NE(text.find("does not exist;"), std::string::npos) << text;
  EXPECT_NE(text.find("intentional"), std::string::npos) << text;
  EXPECT_NE(text.find("its [redacted] is"), std::string::npos) << text;
  EXPECT_NE(text.find("[redacted] marks the spot ([redacted])"), std::string::npos) << text;
  EXPECT_EQ(text.find("e[redacted]"), std::string::npos) << text;
}

TEST_F(Config, LoadSecretsReadsEveryNamedFile) {
  write("cs", "client-secret-0001");
  write("rt", "refresh-token-0001");
  write("pw", "imap-password-1");
  auto c = dockhand::cli::config_from_json(
      json::parse(R"({"mail": {"source": "imap", "imap": {"url": "imaps://h", "user": "u", "password_file": "pw"}},
        "spapi": {"client_id": "id", "client_secret_file": "cs", "refresh_token_file": "rt"}})"),
      dir);
  dockhand::cli::load_secrets(c);
  EXPECT_EQ(c.spapi.client_secret, "client-secret-0001");
  EXPECT_EQ(c.spapi.refresh_token, "refresh-token-0001");
  EXPECT_EQ(c.mail.imap.password, "imap-password-1");
  auto secrets = c.secrets();
  EXPECT_EQ(secrets.size(), 3u);
  auto summary = c.summary().dump();
  for (const auto& s : secrets) EXPECT_EQ(summary.find(s), std::string::npos) << summary;
}

TEST_F(Config, LogLinesNeverCarryARegisteredSecret) {
  dockhand::cli::LoggingConfig logging;
  logging.file = (dir / "log.jsonl").string();
  logging.format = "json";
  dockhand::cli::setup_logging(logging, {"hunter2-secret"});
  spdlog::info("token is hunter2-secret and again hunter2-secret; a quote \" stays JSON");
  spdlog::default_logger()->flush();
  std::ifstream in(logging.file);
  std::string line;
  std::getline(in, line);
  auto j = json::parse(line);
  EXPECT_EQ(j["msg"], "token is [redacted] and again [redacted]; a quote \" stays JSON");
  EXPECT_EQ(j["level"], "info");
  EXPECT_TRUE(j.contains("time"));
  spdlog::set_default_logger(spdlog::stderr_color_mt("restored"));
}

TEST_F(Config, TheDocumentedExamplesAreValid) {
  for (const char* name : {"orchestrator.json", "orchestrator-demo.json"}) {
    auto c = dockhand::cli::load_config(fs::path(DOCKHAND_SOURCE_DIR) / "docs" / "examples" / name);
    EXPECT_FALSE(c.spapi.client_id.empty()) << name;
  }
}

TEST_F(Config, AccountsAreReadWithTheirRegionAndEveryMistakeIsNamed) {
  auto c = dockhand::cli::config_from_json(json::parse(R"({"spapi": {"client_id": "id", "region": "eu", "sandbox": true,
      "accounts": [
        {"brand": "Acme Home", "vendor_codes": ["acme1", "ACME2"], "marketplace_id": "ATVPDKIKX0DER",
         "sender_domains": ["Acme-Home.com"], "refresh_token_file": "secrets/acme.token", "sandbox": false},
        {"brand": "Bolt", "vendor_codes": ["BOLTX"], "refresh_token_file": "/etc/dockhand/bolt.token"}]}})"),
                                           dir);
  ASSERT_EQ(c.accounts.size(), 2u);
  EXPECT_EQ(c.accounts[0].vendor_codes, (std::vector<std::string>{"ACME1", "ACME2"}));
  EXPECT_EQ(c.accounts[0].sender_domains, (std::vector<std::string>{"acme-home.com"}));
  EXPECT_EQ(c.accounts[0].region, "na") << "from the marketplace";
  EXPECT_FALSE(c.accounts[0].sandbox);
  EXPECT_EQ(c.accounts[0].refresh_token_file, (dir / "secrets/acme.token").string());
  EXPECT_EQ(c.accounts[1].region, "eu") << "spapi.region";
  EXPECT_TRUE(c.accounts[1].sandbox) << "spapi.sandbox";
  EXPECT_EQ(c.account("bolt"), &c.accounts[1]) << "a brand is found in any case";
  auto s = c.spapi_for(c.accounts[0]);
  EXPECT_EQ(s.region, "na");
  EXPECT_EQ(s.account, "Acme Home");
  EXPECT_EQ(s.client_id, "id");

  auto refused = [&](const std::string& spapi) {
    return error_of([&] { dockhand::cli::config_from_json(json::parse(R"({"spapi": )" + spapi + "}"), dir); });
  };
  const std::string acme = R"({"brand": "Acme", "vendor_codes": ["ACME1"], "refresh_token_file": "a"})";
  EXPECT_NE(refused(R"({"refresh_token_file": "x", "accounts": [)" + acme + "]}").find("both given"), std::string::npos);
  EXPECT_NE(refused(R"({"accounts": [)" + acme + "," + acme + "]}").find("brand 'Acme' is named twice"),
            std::string::npos);
  EXPECT_NE(refused(R"({"accounts": [{"brand": "A", "refresh_token_file": "a"}, {"brand": "B", "refresh_token_file": "a"}]})")
                .find("name the same refresh_token_file"),
            std::string::npos);
  EXPECT_NE(refused(R"({"accounts": [{"brand": "A", "vendor_codes": ["AC-1"], "refresh_token_file": "a"}]})")
                .find("spapi.accounts[0].vendor_codes: 'AC-1' is not a vendor code"),
            std::string::npos);
  EXPECT_NE(refused(R"({"accounts": [{"brand": "A", "marketplace_id": "A1PA6795UKMFR9", "region": "na", "refresh_token_file": "a"}]})")
                .find("marketplace A1PA6795UKMFR9 is in region eu, not na"),
            std::string::npos);
  EXPECT_NE(refused(R"({"accounts": [{"brand": "A", "marketplace_id": "XNEW", "refresh_token_file": "a"}]})")
                .find("give the account's region too"),
            std::string::npos);
  EXPECT_NE(refused(R"({"accounts": [{"brand": "A"}]})").find("spapi.accounts[0].refresh_token_file is not set"),
            std::string::npos);
  EXPECT_NE(refused(R"({"accounts": [{"brand": "A", "refresh_token_file": "a", "vendorcodes": []}]})")
                .find("unknown key spapi.accounts[0].vendorcodes"),
            std::string::npos);
  EXPECT_NE(refused(R"({"authorization": {"listen": "nowhere"}})").find("application_id is not set"), std::string::npos);
}

TEST_F(Config, EachAccountsRefreshTokenIsASecretAndASingleAccountConfigIsTheDefaultAccount) {
  write("cs", "amzn1.oa2-cs.v1.client-secret-0001");
  write("acme", "Atzr|acme-refresh-token-0001");
  write("bolt", "Atzr|bolt-refresh-token-0002");
  auto c = dockhand::cli::config_from_json(
      json::parse(R"({"spapi": {"client_id": "id", "client_secret_file": "cs", "accounts": [
        {"brand": "Acme", "vendor_codes": ["ACME1"], "refresh_token_file": "acme"},
        {"brand": "Bolt", "vendor_codes": ["BOLTX"], "refresh_token_file": "bolt"}]}})"),
      dir);
  dockhand::cli::load_secrets(c);
  EXPECT_EQ(c.accounts[1].refresh_token, "Atzr|bolt-refresh-token-0002");
  auto secrets = c.secrets();
  for (const char* s : {"amzn1.oa2-cs.v1.client-secret-0001", "Atzr|acme-refresh-token-0001", "Atzr|bolt-refresh-token-0002"})
    EXPECT_NE(std::find(secrets.begin(), secrets.end(), s), secrets.end()) << s;

  auto old = dockhand::cli::config_from_json(
      json::parse(R"({"spapi": {"client_id": "id", "client_secret_file": "cs", "refresh_token_file": "acme"}})"), dir);
  ASSERT_EQ(old.accounts.size(), 1u);
  EXPECT_EQ(old.accounts[0].brand, "default");
  EXPECT_TRUE(old.accounts[0].implicit);
  EXPECT_TRUE(old.accounts[0].rule().vendor_codes.empty()) << "it takes every request";
  dockhand::cli::load_secrets(old);
  EXPECT_EQ(old.spapi_for(old.accounts[0]).refresh_token, "Atzr|acme-refresh-token-0001");
  EXPECT_EQ(old.spapi_for(old.accounts[0]).account, "") << "log lines as before";

  auto none = dockhand::cli::config_from_json(json::parse(R"({"spapi": {"client_id": "id", "client_secret_file": "cs"}})"), dir);
  EXPECT_NE(error_of([&] { dockhand::cli::load_secrets(none); }).find("no Amazon account"), std::string::npos);
}
