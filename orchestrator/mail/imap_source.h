// IMAP source through libcurl: TLS (imaps://, or imap:// with STARTTLS required), password or XOAUTH2
// bearer, progress tracked by UIDVALIDITY + UID, handled messages moved to a mailbox (UID MOVE, or
// COPY + STORE \Deleted + UID EXPUNGE where MOVE is missing). Polling is the caller's: call fetch_new
// at its interval. The \Seen flag is never relied on (curl's UID fetch sets it).
#pragma once

#include "mail_source.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <set>

namespace dockhand::mail {

struct ImapOptions {
  std::string url;                          // "imaps://mail.example.com" or "imap://host:143"; no user/password in it
  std::string mailbox = "INBOX";            // where routing requests arrive
  std::string handled_mailbox = "Handled";  // created when missing
  std::string user;
  std::string password;        // password login, or
  std::string xoauth2_bearer;  // an OAuth 2 access token (SASL XOAUTH2 / OAUTHBEARER)
  bool allow_plaintext = false;  // imap:// without TLS: only when explicitly allowed (loopback tests)
  std::string ca_file;           // extra CA bundle (e.g. a self-signed server certificate)
  bool verify_peer = true;
  long connect_timeout_ms = 10000;
  long timeout_ms = 60000;
  bool use_move = true;    // false: always COPY + STORE \Deleted + UID EXPUNGE
  std::string state_file;  // where UIDVALIDITY + last UID persist (JSON, written atomically); empty: memory only
};

struct ImapProgress {
  std::uint64_t uidvalidity = 0;
  std::uint64_t last_uid = 0;  // every message with a UID at or below this one has been handled
  bool operator==(const ImapProgress&) const = default;
};

class ImapSource : public MailSource {
 public:
  using ProgressCallback = std::function<void(const ImapProgress&)>;
  // initial: progress from the caller's own store (ignored when state_file holds one). on_progress is called
  // whenever progress moves, so the caller can persist it where it likes.
  explicit ImapSource(ImapOptions options, ProgressCallback on_progress = {}, ImapProgress initial = {});
  ~ImapSource() override;

  // Messages above the last handled UID, in UID order. When UIDVALIDITY changed since last time, the whole
  // mailbox is read again (the store's dedupe makes that harmless) and a warning is logged.
  std::vector<RawMessage> fetch_new(std::size_t max_messages = 100) override;
  void mark_handled(const RawMessage& message) override;
  std::string describe() const override;  // never contains the password or token

  ImapProgress progress() const { return progress_; }

 private:
  struct Curl;
  std::string run(const std::string& path, const std::string& command, const char* step);
  void set_progress(ImapProgress p);
  void ensure_handled_mailbox();

  ImapOptions options_;
  ProgressCallback on_progress_;
  ImapProgress progress_;
  std::set<std::uint64_t> pending_;  // fetched, not yet handled
  std::uint64_t handled_max_ = 0;
  bool handled_mailbox_ready_ = false;
  bool fresh_connection_ = false;
  std::unique_ptr<Curl> curl_;
};

// Writes/reads the state file format ({"uidvalidity": n, "last_uid": n}).
void save_imap_progress(const std::string& path, const ImapProgress& progress);
ImapProgress load_imap_progress(const std::string& path);

}  // namespace dockhand::mail
