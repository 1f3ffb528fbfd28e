// mail/: where routing-request emails come from. Maildir (embedded default) or IMAP (production).
#pragma once

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace dockhand::mail {

struct RawMessage {
  // Stable identity of the message in its source: "maildir:<file name>" or "imap:<uidvalidity>:<uid>".
  std::string source_id;
  std::string bytes;  // the raw RFC 5322 message, exactly as received
};

class MailError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A source hands out messages not yet handled; the caller stores each one durably and only then calls
// mark_handled (Maildir: move to the handled folder; IMAP: move to the handled mailbox). A crash between
// the two re-delivers the message, and the store's dedupe makes that harmless.
class MailSource {
 public:
  virtual ~MailSource() = default;
  virtual std::vector<RawMessage> fetch_new(std::size_t max_messages = 100) = 0;
  virtual void mark_handled(const RawMessage& message) = 0;
  virtual std::string describe() const = 0;  // for logs; never contains a password
};

}  // namespace dockhand::mail
