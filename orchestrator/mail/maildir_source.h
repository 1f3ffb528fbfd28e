// Maildir source: reads new/ and cur/ of a Maildir, moves handled messages to a Maildir++ subfolder
// (default ".Handled") with an atomic rename. Messages still being delivered sit in tmp/ and are not read.
#pragma once

#include "mail_source.h"

#include <filesystem>
#include <map>

namespace dockhand::mail {

struct MaildirOptions {
  std::filesystem::path root;                  // the Maildir (holds tmp/, new/, cur/)
  std::string handled_folder = ".Handled";     // Maildir++ subfolder under root that handled mail moves to
  bool create = true;                          // create root and the handled folder when missing
};

class MaildirSource : public MailSource {
 public:
  explicit MaildirSource(MaildirOptions options);

  // Every message in new/ and cur/ not yet marked handled, oldest delivery first (Maildir names start with
  // the delivery time). A message whose storing failed comes back on the next call.
  std::vector<RawMessage> fetch_new(std::size_t max_messages = 100) override;
  // Moves the message to <handled_folder>/cur/ (rename: atomic, same file system). Idempotent: a message
  // already moved is fine; one that vanished from both places is a MailError.
  void mark_handled(const RawMessage& message) override;
  std::string describe() const override;

  // Delivers bytes into a Maildir the standard way (write to tmp/, fsync, rename to new/); returns the file
  // name. For tests, the demo, and tools that drop mail in.
  static std::string deliver(const std::filesystem::path& root, const std::string& bytes);

 private:
  MaildirOptions options_;
  std::map<std::string, std::filesystem::path> where_;  // source_id -> file path, from the last fetch
};

}  // namespace dockhand::mail
