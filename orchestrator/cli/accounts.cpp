// dockhand-orchestrator accounts list | check | add: the brands whose Amazon authorization Dockhand acts
// under (spapi.accounts), and whether each authorization works. bind ID BRAND: an operator binds a
// routing request to an account (and lets one stopped for want of an account go on).
#include "command.h"

#include "args.h"
#include "config.h"

#include "orchestrator/chain/store.h"
#include "orchestrator/spapi/vendor_shipments.h"

#include <spdlog/spdlog.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

namespace {

using namespace dockhand;
namespace cli = dockhand::cli;
using nlohmann::json;
namespace fs = std::filesystem;

const char* kHelp =
    "usage: dockhand-orchestrator accounts list  --config FILE [--json]\n"
    "       dockhand-orchestrator accounts check --config FILE [--brand BRAND] [--json]\n"
    "       dockhand-orchestrator accounts add   --config FILE --brand BRAND --vendor-codes CODE[,CODE...]\n"
    "                                            [--marketplace-id ID] [--region na|eu|fe] [--sandbox]\n"
    "                                            [--sender-domains DOMAIN[,...]] [--selling-partner-id ID]\n"
    "                                            [--refresh-token-file FILE] [--refresh-token-stdin]\n"
    "\n"
    "The brands (selling partners) that authorized the 3PL's SP-API application; every routing request runs\n"
    "under its own brand's authorization (docs/configuration.md, spapi.accounts; onboarding: docs/operations.md).\n"
    "\n"
    "  list   each account: brand, vendor codes, region and marketplace, sandbox, its refresh-token file and\n"
    "         whether it is there and private, and its routing requests per state (from the store)\n"
    "  check  for each account (or --brand): exchanges its refresh token at LWA and makes one harmless read\n"
    "         (getShipmentDetails, limit 1). Says ok, invalid_grant (revoked or wrong refresh token: authorize\n"
    "         again), invalid_client (the application's client id or secret), missing_role (the authorization\n"
    "         does not cover Vendor Shipments), no_token_file, or the error\n"
    "  add    adds an account to the config file (checked before it is written). --refresh-token-stdin reads\n"
    "         the refresh token (self-authorization) from stdin and stores it in the account's secret file\n"
    "         (mode 0600; default secrets/BRAND.refresh-token beside the config). Without a token, the brand\n"
    "         authorizes through the website workflow (spapi.authorization): /authorize?brand=BRAND\n"
    "\n"
    "Exit status: 0 fine; 1 check: an account failed; 2 bad arguments or config, or the config cannot be written.\n";

const char* kBindHelp =
    "usage: dockhand-orchestrator bind ID BRAND --config FILE [--store FILE]\n"
    "\n"
    "Binds routing request ID to BRAND's account: from now on every call to Amazon for it carries BRAND's\n"
    "authorization. A request waiting in NEEDS_ATTENTION because no account (or several) matched, or because\n"
    "its account's authorization was revoked, goes on where it stopped (serve picks it up at its next look).\n"
    "Refused when the request already went to Amazon under another account, or is finished.\n"
    "\n"
    "Exit status: 0 bound, 1 refused or no such request, 2 bad arguments.\n";

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream ss(text);
  for (std::string item; std::getline(ss, item, ',');) {
    item.erase(0, item.find_first_not_of(" \t"));
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.pop_back();
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

std::string join(const std::vector<std::string>& items, const char* sep = " ") {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : sep) + i;
  return out;
}

// Whether the refresh-token file is there and private, without reading more than needed.
std::string token_file_state(const std::string& path) {
  try {
    cli::read_secret_file(path, "refresh_token_file");
    return "present";
  } catch (const cli::ConfigError& e) {
    std::string what = e.what();
    if (what.find("has mode") != std::string::npos) return "not private (chmod 600)";
    if (what.find("is empty") != std::string::npos) return "empty";
    return "missing";
  }
}

// Routing requests per brand and state, from the store (empty when there is none yet).
std::map<std::string, std::map<std::string, int>> counts_by_brand(const std::string& store_path) {
  std::map<std::string, std::map<std::string, int>> counts;
  if (!fs::exists(store_path)) return counts;
  chain::SystemClock clock;
  chain::Store store(store_path, clock, chain::StoreAccess::read_once);
  for (const auto& r : store.requests())
    ++counts[r.account.empty() ? "(unbound)" : r.account][std::string(chain::to_string(r.state))];
  return counts;
}

int list(const cli::OrchestratorConfig& config, bool as_json) {
  auto counts = counts_by_brand(config.store);
  json out = json::array();
  for (const auto& a : config.accounts) {
    json counts_json = json::object();
    for (const auto& [state, n] : counts[a.brand]) counts_json[state] = n;
    out.push_back({{"brand", a.brand},
                   {"vendor_codes", a.vendor_codes},
                   {"sender_domains", a.sender_domains},
                   {"region", a.region},
                   {"marketplace_id", a.marketplace_id},
                   {"sandbox", a.sandbox},
                   {"refresh_token_file", a.refresh_token_file},
                   {"refresh_token", token_file_state(a.refresh_token_file)},
                   {"implicit", a.implicit},
                   {"requests", counts_json}});
  }
  if (as_json) {
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  for (const auto& a : out) {
    std::cout << a["brand"].get<std::string>() << (a["implicit"].get<bool>() ? " (the single account of spapi.refresh_token_file)" : "")
              << "\n    vendor codes: " << (a["vendor_codes"].empty() ? "(any)" : join(a["vendor_codes"].get<std::vector<std::string>>()))
              << "\n    sender domains: " << (a["sender_domains"].empty() ? "-" : join(a["sender_domains"].get<std::vector<std::string>>()))
              << "\n    region " << a["region"].get<std::string>()
              << (a["marketplace_id"].get<std::string>().empty() ? "" : ", marketplace " + a["marketplace_id"].get<std::string>())
              << (a["sandbox"].get<bool>() ? ", sandbox" : "")
              << "\n    refresh token: " << a["refresh_token_file"].get<std::string>() << " ("
              << a["refresh_token"].get<std::string>() << ")\n    requests:";
    if (a["requests"].empty()) std::cout << " none";
    for (auto it = a["requests"].begin(); it != a["requests"].end(); ++it)
      std::cout << " " << it.key() << " " << it.value().get<int>();
    std::cout << "\n";
  }
  if (counts.count("(unbound)")) {
    std::cout << "(not bound to an account):";
    for (const auto& [state, n] : counts["(unbound)"]) std::cout << " " << state << " " << n;
    std::cout << "\n";
  }
  return 0;
}

// One account's check: the token exchange and one harmless read. {"result": ok|..., "detail": ...}
json check_one(cli::OrchestratorConfig& config, cli::AccountConfig& account) {
  try {
    account.refresh_token = cli::read_refresh_token(account);
  } catch (const cli::ConfigError& e) {
    return {{"result", "no_token_file"}, {"detail", e.what()}};
  }
  auto settings = config.spapi_for(account);
  settings.max_retries = 1;
  try {
    spapi::VendorShipmentsClient client(settings);
    client.check_access();
    return {{"result", "ok"}, {"detail", "token exchanged, getShipmentDetails answered"}};
  } catch (const spapi::SpapiError& e) {
    std::string result = "error";
    if (e.auth_error == "invalid_grant") result = "invalid_grant";
    else if (e.auth_error == "invalid_client" || e.auth_error == "unauthorized_client") result = "invalid_client";
    else if (e.auth_error == "Unauthorized") result = "missing_role";
    return {{"result", result}, {"detail", e.what()}};
  } catch (const std::exception& e) {
    return {{"result", "error"}, {"detail", e.what()}};
  }
}

int check(cli::OrchestratorConfig& config, const std::string& brand, bool as_json) {
  try {
    if (config.spapi_client_secret_file.empty()) throw cli::ConfigError("spapi.client_secret_file is not set");
    config.spapi.client_secret = cli::read_secret_file(config.spapi_client_secret_file, "spapi.client_secret_file");
  } catch (const cli::ConfigError& e) {
    throw cli::UsageError(std::string("accounts check: ") + e.what());
  }
  json out = json::array();
  bool all_ok = true, found = brand.empty();
  for (auto& a : config.accounts) {
    if (!brand.empty() && a.brand != brand) continue;
    found = true;
    auto result = check_one(config, a);
    all_ok &= result["result"] == "ok";
    result["brand"] = a.brand;
    out.push_back(result);
  }
  if (!found) throw cli::UsageError("accounts check: no account '" + brand + "' in " + config.file.string());
  if (as_json) {
    std::cout << out.dump(2) << "\n";
  } else {
    for (const auto& r : out)
      std::cout << r["brand"].get<std::string>() << "  " << r["result"].get<std::string>() << "  "
                << r["detail"].get<std::string>() << "\n";
  }
  return all_ok ? cli::exit_code::ok : cli::exit_code::failed;
}


int add(const std::string& config_file, const std::map<std::string, std::string>& options, bool sandbox,
        bool token_from_stdin) {
  auto document = nlohmann::ordered_json::parse(cli::read_input(config_file, "--config"), nullptr, false);
  if (!document.is_object()) throw cli::UsageError("--config: " + config_file + " is not a JSON object");
  auto& spapi = document["spapi"];
  if (spapi.is_null()) spapi = nlohmann::ordered_json::object();
  if (spapi.contains("refresh_token_file") && !spapi["refresh_token_file"].is_null())
    throw cli::UsageError("accounts add: " + config_file + " has one account in spapi.refresh_token_file; to add "
                          "brands, first turn it into an entry of spapi.accounts (its brand, vendor_codes and that "
                          "refresh_token_file; docs/configuration.md) and remove spapi.refresh_token_file");
  const std::string brand = options.at("brand");
  nlohmann::ordered_json account = {{"brand", brand}, {"vendor_codes", split_list(options.count("vendor-codes") ? options.at("vendor-codes") : "")}};
  if (options.count("sender-domains")) account["sender_domains"] = split_list(options.at("sender-domains"));
  if (options.count("marketplace-id")) account["marketplace_id"] = options.at("marketplace-id");
  if (options.count("region")) account["region"] = options.at("region");
  if (sandbox) account["sandbox"] = true;
  std::string slug;
  for (unsigned char c : brand) slug += std::isalnum(c) ? static_cast<char>(std::tolower(c)) : '-';
  account["refresh_token_file"] =
      options.count("refresh-token-file") ? options.at("refresh-token-file") : "secrets/" + slug + ".refresh-token";
  if (options.count("selling-partner-id")) account["selling_partner_id"] = options.at("selling-partner-id");
  if (!spapi.contains("accounts") || !spapi["accounts"].is_array()) spapi["accounts"] = nlohmann::ordered_json::array();
  spapi["accounts"].push_back(account);

  // Checked as serve would read it before anything is written.
  cli::OrchestratorConfig parsed;
  try {
    parsed = cli::config_from_json(json::parse(document.dump()), fs::absolute(config_file).parent_path());
  } catch (const cli::ConfigError& e) {
    throw cli::UsageError(std::string("accounts add: the account is refused, nothing was written: ") + e.what());
  }
  const auto* added = parsed.account(brand);
  if (token_from_stdin) {
    std::string token;
    std::getline(std::cin, token);
    while (!token.empty() && (token.back() == '\r' || token.back() == ' ')) token.pop_back();
    if (token.empty()) throw cli::UsageError("accounts add: no refresh token on stdin (--refresh-token-stdin)");
    try {
      cli::write_secret_file(added->refresh_token_file, token, brand + "'s refresh_token_file");
    } catch (const cli::ConfigError& e) {
      std::cerr << "accounts add: " << e.what() << "\n";
      return cli::exit_code::failed;
    }
  }
  const std::string tmp = config_file + ".tmp-" + std::to_string(::getpid());
  {
    std::ofstream out(tmp);
    out << document.dump(2) << "\n";
    if (!out) {
      std::cerr << "accounts add: cannot write " << tmp << "\n";
      return cli::exit_code::failed;
    }
  }
  std::error_code ec;
  fs::permissions(tmp, fs::status(config_file).permissions(), ec);
  fs::rename(tmp, config_file, ec);
  if (ec) {
    std::cerr << "accounts add: cannot replace " << config_file << ": " << ec.message() << "\n";
    return cli::exit_code::failed;
  }
  std::cout << "added " << brand << " (vendor codes " << join(added->vendor_codes) << ", region " << added->region
            << ") to " << config_file << "; its refresh token: " << added->refresh_token_file << " ("
            << token_file_state(added->refresh_token_file) << ")\n";
  if (!token_from_stdin && token_file_state(added->refresh_token_file) != "present") {
    if (parsed.authorization)
      std::cout << "next: restart serve, then send " << brand << " the authorization link "
                << (parsed.authorization->public_url.empty() ? "http://" + parsed.authorization->listen
                                                             : parsed.authorization->public_url)
                << "/authorize?brand=" << brand << "\n";
    else
      std::cout << "next: put " << brand << "'s refresh token in that file (self-authorization, chmod 600), or "
                << "configure spapi.authorization for the website workflow; then restart serve\n";
  } else {
    std::cout << "next: dockhand-orchestrator accounts check --brand '" << brand << "' --config " << config_file
              << ", then restart serve\n";
  }
  return 0;
}

int run_accounts(const std::vector<std::string>& args) {
  std::string action, config_file, brand;
  bool as_json = false, sandbox = false, token_from_stdin = false;
  std::map<std::string, std::string> options;
  std::string vendor_codes, sender_domains, marketplace, region, token_file, partner;
  CLI::App app{"", "dockhand-orchestrator accounts"};
  app.add_option("ACTION", action)->transform(cli::one_of("an accounts action", {"list", "check", "add"}));
  app.add_option("--config", config_file);
  app.add_option("--brand", brand);
  app.add_flag("--json", as_json);
  app.add_flag("--sandbox", sandbox);
  app.add_flag("--refresh-token-stdin", token_from_stdin);
  app.add_option("--vendor-codes", vendor_codes);
  app.add_option("--sender-domains", sender_domains);
  app.add_option("--marketplace-id", marketplace);
  app.add_option("--region", region)->transform(cli::one_of("a region", {"na", "eu", "fe"}));
  app.add_option("--refresh-token-file", token_file);
  app.add_option("--selling-partner-id", partner);
  if (auto code = cli::parse(app, args, kHelp)) return *code;
  if (action.empty()) throw cli::UsageError("ACTION is missing: list, check or add");
  if (config_file.empty()) throw cli::UsageError("accounts " + action + ": --config FILE is missing (it lists the accounts)");
  if (action != "add" && (sandbox || token_from_stdin || !vendor_codes.empty() || !sender_domains.empty() ||
                          !marketplace.empty() || !region.empty() || !token_file.empty() || !partner.empty()))
    throw cli::UsageError("accounts " + action + ": the account's settings go with accounts add only");
  if (action == "add") {
    if (brand.empty()) throw cli::UsageError("accounts add: --brand BRAND is missing (the brand's name)");
    if (vendor_codes.empty() && sender_domains.empty())
      throw cli::UsageError("accounts add: --vendor-codes (or --sender-domains) is missing: how routing requests find "
                            "the account (e.g. --vendor-codes ACME1,ACME2)");
    options["brand"] = brand;
    for (auto [key, value] : {std::pair{"vendor-codes", vendor_codes}, {"sender-domains", sender_domains},
                              {"marketplace-id", marketplace}, {"region", region},
                              {"refresh-token-file", token_file}, {"selling-partner-id", partner}})
      if (!value.empty()) options[key] = value;
    return add(config_file, options, sandbox, token_from_stdin);
  }
  if (action == "list" && !brand.empty()) throw cli::UsageError("accounts list shows every account: no --brand");
  cli::OrchestratorConfig config;
  try {
    config = cli::load_config(config_file);
  } catch (const cli::ConfigError& e) {
    throw cli::UsageError(std::string("--config: ") + e.what());
  }
  // Messages from the SP-API client (retries, refusals) stay out of the report; it says what matters.
  spdlog::set_level(spdlog::level::off);
  if (action == "list") return list(config, as_json);
  return check(config, brand, as_json);
}

int run_bind(const std::vector<std::string>& args) {
  std::string config_file, store_path, id_text, brand;
  CLI::App app{"", "dockhand-orchestrator bind"};
  cli::request_id_argument(app, id_text, "bind 12 Acme --config FILE");
  app.add_option("BRAND", brand);
  app.add_option("--config", config_file);
  app.add_option("--store", store_path);
  if (auto code = cli::parse(app, args, kBindHelp)) return *code;
  if (id_text.empty() || brand.empty()) throw cli::UsageError("bind: give the request ID and the BRAND (bind 12 Acme)");
  if (config_file.empty()) throw cli::UsageError("bind: --config FILE is missing (it names the accounts)");
  const std::int64_t id = std::stoll(id_text);
  cli::OrchestratorConfig config;
  try {
    config = cli::load_config(config_file);
  } catch (const cli::ConfigError& e) {
    throw cli::UsageError(std::string("--config: ") + e.what());
  }
  const auto* account = config.account(brand);
  if (!account) {
    std::string brands;
    for (const auto& a : config.accounts) brands += (brands.empty() ? "" : ", ") + a.brand;
    throw cli::UsageError("bind: no account '" + brand + "' in " + config_file + " (accounts: " + brands + ")");
  }
  if (store_path.empty()) store_path = config.store;
  if (!fs::exists(store_path)) throw cli::UsageError("bind: no store at " + store_path);
  chain::SystemClock clock;
  chain::Store store(store_path, clock);
  const char* user = std::getenv("USER");
  const std::string actor = std::string("operator:") + (user ? user : "unknown");
  try {
    auto r = store.request(id);
    if (!r) {
      std::cerr << "bind: no routing request #" << id << " in " << store_path << "\n";
      return cli::exit_code::failed;
    }
    store.bind_account(id, account->brand, actor, account->brand + " (set by an operator)");
    std::cout << "#" << id << " bound to " << account->brand;
    if (r->state == chain::State::NEEDS_ATTENTION && r->evidence.is_object() && r->evidence.contains("resume_state")) {
      auto to = store.resume(id, actor, "bound to " + account->brand + " by an operator");
      std::cout << "; it goes on from " << chain::to_string(to);
    }
    std::cout << "\n";
  } catch (const chain::TransitionError& e) {
    std::cerr << "bind: " << e.what() << "\n";
    return cli::exit_code::failed;
  }
  return cli::exit_code::ok;
}

const dockhand::cli::Registration reg{"accounts", "list|check|add --config FILE",
                                      "The brands whose Amazon authorization Dockhand acts under; check each one",
                                      run_accounts};
const dockhand::cli::Registration bind_reg{"bind", "ID BRAND --config FILE",
                                           "Bind a routing request to a brand's account (and let it go on)", run_bind};

}  // namespace
