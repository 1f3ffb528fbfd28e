// Maildir source: reads new/ and cur/ of a Maildir, moves handled messages to a Maildir++ subfolder
// (default ".Handled") with an atomic rename. Messages still being delivered sit in tmp/ and are not read.
// Whoever can drop a file into the Maildir is not trusted: only regular files are read, never through a
// symbolic link (O_NOFOLLOW, then fstat on the open descriptor) and never blocking (O_NONBLOCK: a FIFO
// cannot hold the reader), with the size checked before reading. Anything else (a symlink, FIFO,
// directory, device, socket, or a file over max_file_bytes) is moved aside into quarantine_folder with a
// NAME.reason file beside it, and logged once.
#pragma once

#include "mail_source.h"

#include <filesystem>
#include <map>
#include <set>

namespace dockhand::mail {

struct MaildirOptions {
  std::filesystem::path root;                  // the Maildir (holds tmp/, new/, cur/)
  std::string handled_folder = ".Handled";     // Maildir++ subfolder under root that handled mail moves to
  bool create = true;                          // create root and the handled folder when missing
  // Entries that are not message files go here (a plain folder under root, not a Maildir++ folder, so
  // no mail client or IMAP server ever opens what was put aside).
  std::string quarantine_folder = "quarantine";
  std::size_t max_file_bytes = 64u * 1024 * 1024;  // bigger files are put aside unread
};

class MaildirSource : public MailSource {
 public:
  explicit MaildirSource(MaildirOptions options);

  // Every message in new/ and cur/ not yet marked handled, oldest delivery first (Maildir names start with
  // the delivery time). A message whose storing failed comes back on the next call. Entries that are not
  // regular files are put aside (see above); a file that vanishes between listing and opening is skipped.
  std::vector<RawMessage> fetch_new(std::size_t max_messages = 100) override;
  // Moves the message to <handled_folder>/cur/ (rename: atomic, same file system). Idempotent: a message
  // already moved is fine; one that vanished from both places is a MailError.
  void mark_handled(const RawMessage& message) override;
  std::string describe() const override;
  // Where entries that are not message files are moved.
  std::filesystem::path quarantine_dir() const { return options_.root / options_.quarantine_folder; }

  // Delivers bytes into a Maildir the standard way (write to tmp/, fsync, rename to new/); returns the file
  // name. For tests, the demo, and tools that drop mail in.
  static std::string deliver(const std::filesystem::path& root, const std::string& bytes);

 private:
  void put_aside(const std::filesystem::path& entry, const std::string& reason);

  MaildirOptions options_;
  std::map<std::string, std::filesystem::path> where_;  // source_id -> file path, from the last fetch
  std::set<std::string> put_aside_failed_;               // logged once each, until a move succeeds
};

}  // namespace dockhand::mail
