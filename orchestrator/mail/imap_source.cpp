#include "imap_source.h"

#include <curl/curl.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <mutex>
#include <sstream>

namespace dockhand::mail {
namespace {

std::size_t on_data(char* data, std::size_t size, std::size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

// Numbers after "KEY " in an IMAP response, e.g. value_after("... UIDVALIDITY 123 ...", "UIDVALIDITY").
std::optional<std::uint64_t> value_after(const std::string& text, const char* key) {
  std::size_t pos = text.find(std::string(key) + " ");
  if (pos == std::string::npos) return std::nullopt;
  pos += std::strlen(key) + 1;
  std::uint64_t v = 0;
  bool any = false;
  while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
    v = v * 10 + std::uint64_t(text[pos++] - '0');
    any = true;
  }
  return any ? std::optional<std::uint64_t>(v) : std::nullopt;
}

std::vector<std::uint64_t> search_results(const std::string& text) {
  std::vector<std::uint64_t> uids;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind("* SEARCH", 0) != 0) continue;
    std::istringstream words(line.substr(8));
    std::uint64_t uid;
    while (words >> uid) uids.push_back(uid);
  }
  return uids;
}

// IMAP quoted string for a mailbox name in a command.
std::string imap_quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

struct ImapSource::Curl {
  CURL* handle = nullptr;
  char error[CURL_ERROR_SIZE] = {0};
  ~Curl() {
    if (handle) curl_easy_cleanup(handle);
  }
};

void save_imap_progress(const std::string& path, const ImapProgress& progress) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << nlohmann::json{{"uidvalidity", progress.uidvalidity}, {"last_uid", progress.last_uid}}.dump() << "\n";
    out.flush();
    if (!out) throw MailError("imap: cannot write progress to " + tmp + ": " + std::strerror(errno));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0)
    throw MailError("imap: cannot replace " + path + ": " + std::strerror(errno));
}

ImapProgress load_imap_progress(const std::string& path) {
  std::ifstream in(path);
  if (!in) return {};
  try {
    auto j = nlohmann::json::parse(in);
    return {j.at("uidvalidity").get<std::uint64_t>(), j.at("last_uid").get<std::uint64_t>()};
  } catch (const std::exception& e) {
    throw MailError("imap: progress file " + path + " is not valid: " + e.what());
  }
}

ImapSource::ImapSource(ImapOptions options, ProgressCallback on_progress, ImapProgress initial)
    : options_(std::move(options)), on_progress_(std::move(on_progress)), progress_(initial), curl_(new Curl) {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  while (!options_.url.empty() && options_.url.back() == '/') options_.url.pop_back();

  CURLU* u = curl_url();
  bool parsed = curl_url_set(u, CURLUPART_URL, options_.url.c_str(), 0) == CURLUE_OK;
  char* scheme = nullptr;
  char* password = nullptr;
  char* userinfo = nullptr;
  if (parsed) {
    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0);
    curl_url_get(u, CURLUPART_PASSWORD, &password, 0);
    curl_url_get(u, CURLUPART_USER, &userinfo, 0);
  }
  std::string sch = scheme ? scheme : "";
  bool has_credentials = password || userinfo;
  curl_free(scheme);
  curl_free(password);
  curl_free(userinfo);
  curl_url_cleanup(u);
  // The URL goes into logs and errors: credentials belong in their own fields. (Not echoed: it may hold one.)
  if (has_credentials) throw MailError("imap: put the user and password in their own settings, not in the URL");
  if (!parsed || (sch != "imap" && sch != "imaps"))
    throw MailError("imap: url must be imaps://host[:port] or imap://host[:port], got '" + options_.url + "'");
  if (options_.user.empty()) throw MailError("imap " + options_.url + ": no user given");
  if (options_.password.empty() && options_.xoauth2_bearer.empty())
    throw MailError("imap " + options_.url + ": neither a password nor an XOAUTH2 token given");
  if (options_.mailbox.empty() || options_.handled_mailbox.empty() || options_.mailbox == options_.handled_mailbox)
    throw MailError("imap " + options_.url + ": mailbox and handled mailbox must be two different names");

  if (!options_.state_file.empty()) {
    ImapProgress saved = load_imap_progress(options_.state_file);
    if (saved.uidvalidity != 0) progress_ = saved;
  }

  curl_->handle = curl_easy_init();
  if (!curl_->handle) throw MailError("imap: curl_easy_init failed");
  CURL* h = curl_->handle;
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, curl_->error);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, options_.connect_timeout_ms);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, options_.timeout_ms);
  curl_easy_setopt(h, CURLOPT_USERNAME, options_.user.c_str());
  if (!options_.xoauth2_bearer.empty()) {
    curl_easy_setopt(h, CURLOPT_XOAUTH2_BEARER, options_.xoauth2_bearer.c_str());
  } else {
    curl_easy_setopt(h, CURLOPT_PASSWORD, options_.password.c_str());
  }
  if (sch == "imap") {
    // Plain imap:// upgrades with STARTTLS and refuses to go on without it, unless plaintext is allowed.
    curl_easy_setopt(h, CURLOPT_USE_SSL, options_.allow_plaintext ? (long)CURLUSESSL_NONE : (long)CURLUSESSL_ALL);
  }
  if (!options_.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, options_.ca_file.c_str());
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, options_.verify_peer ? 1L : 0L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, options_.verify_peer ? 2L : 0L);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(h, CURLOPT_MAXCONNECTS, 1L);
}

ImapSource::~ImapSource() = default;

std::string ImapSource::run(const std::string& path, const std::string& command, const char* step) {
  CURL* h = curl_->handle;
  std::string url = options_.url + "/" + path;
  std::string body;
  curl_->error[0] = 0;
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, command.empty() ? nullptr : command.c_str());
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, fresh_connection_ ? 1L : 0L);
  fresh_connection_ = false;
  CURLcode rc = curl_easy_perform(h);
  if (rc == CURLE_RECV_ERROR || rc == CURLE_SEND_ERROR || rc == CURLE_GOT_NOTHING || rc == CURLE_WEIRD_SERVER_REPLY) {
    // The server dropped a kept-alive connection (restart, idle timeout, "* BYE" after a mailbox was
    // deleted under it): once more on a new connection.
    spdlog::info("imap {}: {} failed on a kept connection ({}); reconnecting", describe(), step, curl_easy_strerror(rc));
    body.clear();
    curl_->error[0] = 0;
    curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, 1L);
    rc = curl_easy_perform(h);
    curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, 0L);
  }
  if (rc != CURLE_OK) {
    std::string detail = curl_->error[0] ? curl_->error : curl_easy_strerror(rc);
    throw MailError("imap " + std::string(step) + " (" + describe() + "): " + detail + " [curl " +
                    std::to_string(int(rc)) + "]");
  }
  return body;
}

void ImapSource::set_progress(ImapProgress p) {
  if (p == progress_) return;
  progress_ = p;
  if (!options_.state_file.empty()) save_imap_progress(options_.state_file, progress_);
  if (on_progress_) on_progress_(progress_);
}

std::vector<RawMessage> ImapSource::fetch_new(std::size_t max_messages) {
  // Each poll asks STATUS on a new connection: a server answers STATUS for the mailbox a connection has
  // selected from that connection's view, which misses a mailbox deleted and made again (dovecot does).
  // MAXCONNECTS=1 makes the new connection the one the rest of this poll uses.
  fresh_connection_ = true;
  std::string status = run("", "STATUS " + imap_quoted(options_.mailbox) + " (UIDVALIDITY UIDNEXT)", "status");
  auto uidvalidity = value_after(status, "UIDVALIDITY");
  auto uidnext = value_after(status, "UIDNEXT");
  if (!uidvalidity) throw MailError("imap status (" + describe() + "): server gave no UIDVALIDITY for " + options_.mailbox);
  if (*uidvalidity != progress_.uidvalidity) {
    if (progress_.uidvalidity != 0)
      spdlog::warn("imap {}: UIDVALIDITY changed from {} to {}: reading the whole mailbox again", describe(),
                   progress_.uidvalidity, *uidvalidity);
    pending_.clear();
    handled_max_ = 0;
    set_progress({*uidvalidity, 0});
  }
  if (uidnext && *uidnext <= progress_.last_uid + 1) return {};  // nothing arrived since

  char* escaped = curl_easy_escape(curl_->handle, options_.mailbox.c_str(), int(options_.mailbox.size()));
  std::string box = escaped ? escaped : options_.mailbox;
  curl_free(escaped);
  // ;UIDVALIDITY= makes curl SELECT again when the connection still has an older mailbox of that name open.
  box += ";UIDVALIDITY=" + std::to_string(progress_.uidvalidity);
  std::string found = run(box, "UID SEARCH UID " + std::to_string(progress_.last_uid + 1) + ":*", "search");
  std::vector<std::uint64_t> uids = search_results(found);
  std::sort(uids.begin(), uids.end());
  std::vector<RawMessage> out;
  for (std::uint64_t uid : uids) {
    if (uid <= progress_.last_uid) continue;  // "n:*" always matches the highest UID
    if (out.size() >= max_messages) break;
    RawMessage m;
    m.source_id = "imap:" + std::to_string(progress_.uidvalidity) + ":" + std::to_string(uid);
    try {
      m.bytes = run(box + "/;UID=" + std::to_string(uid), "",
                    "fetch");
    } catch (const MailError& e) {
      // Expunged by someone else between SEARCH and FETCH: not ours any more. Anything else is an error.
      spdlog::warn("imap {}: UID {} could not be fetched, skipped for now: {}", describe(), uid, e.what());
      continue;
    }
    pending_.insert(uid);
    out.push_back(std::move(m));
  }
  spdlog::debug("imap {}: {} new message(s)", describe(), out.size());
  return out;
}

void ImapSource::ensure_handled_mailbox() {
  if (handled_mailbox_ready_) return;
  try {
    run("", "CREATE " + imap_quoted(options_.handled_mailbox), "create handled mailbox");
  } catch (const MailError&) {
    // Usually [ALREADYEXISTS]; a real problem shows up in the move that follows, with its own context.
  }
  handled_mailbox_ready_ = true;
}

void ImapSource::mark_handled(const RawMessage& message) {
  std::uint64_t validity = 0, uid = 0;
  if (std::sscanf(message.source_id.c_str(), "imap:%lu:%lu", &validity, &uid) != 2)
    throw MailError("imap (" + describe() + "): '" + message.source_id + "' is not an IMAP message id");
  if (validity != progress_.uidvalidity)
    throw MailError("imap (" + describe() + "): message " + message.source_id + " is from UIDVALIDITY " +
                    std::to_string(validity) + ", the mailbox is now " + std::to_string(progress_.uidvalidity) +
                    "; fetch again");
  ensure_handled_mailbox();
  char* escaped = curl_easy_escape(curl_->handle, options_.mailbox.c_str(), int(options_.mailbox.size()));
  std::string box = escaped ? escaped : options_.mailbox;
  curl_free(escaped);
  box += ";UIDVALIDITY=" + std::to_string(validity);
  std::string id = std::to_string(uid);
  bool moved = false;
  if (options_.use_move) {
    try {
      run(box, "UID MOVE " + id + " " + imap_quoted(options_.handled_mailbox), "move");
      moved = true;
    } catch (const MailError& e) {
      spdlog::info("imap {}: UID MOVE failed ({}); using COPY + STORE + EXPUNGE", describe(), e.what());
    }
  }
  if (!moved) {
    run(box, "UID COPY " + id + " " + imap_quoted(options_.handled_mailbox), "copy to handled mailbox");
    run(box, "UID STORE " + id + " +FLAGS.SILENT (\\Deleted)", "flag as deleted");
    run(box, "UID EXPUNGE " + id, "expunge");
  }
  pending_.erase(uid);
  handled_max_ = std::max(handled_max_, uid);
  std::uint64_t last = pending_.empty() ? handled_max_ : std::min(*pending_.begin() - 1, handled_max_);
  if (last > progress_.last_uid) set_progress({progress_.uidvalidity, last});
}

std::string ImapSource::describe() const {
  return "imap " + options_.url + " user " + options_.user + " mailbox " + options_.mailbox + " (" +
         (options_.xoauth2_bearer.empty() ? "password" : "XOAUTH2") + ")";
}

}  // namespace dockhand::mail
