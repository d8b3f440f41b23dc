// relay.h — qmail-smtpd's address rules, qmail-compatible: which recipient
// domains a client that may not relay can send to (control/rcpthosts and
// control/morercpthosts.cdb) and which envelope senders are refused
// (control/badmailfrom). Pure: the cdb lookup is a callback, so the rules
// are tested and fuzzed without files.
//
// The domain and address come from a parsed SMTP path (hostile but already
// checked by core/address.h); the lists come from control files (trusted,
// written by the administrator).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace qcell::smtpd {

// Looks a key up in morercpthosts.cdb: true if present, false if absent,
// nullopt when the database cannot be read (the session answers 451).
using MoreRcptHosts = std::function<std::optional<bool>(std::string_view key)>;

class RecipientHosts {
 public:
  RecipientHosts() = default;
  // `rcpthosts` as control/rcpthosts lists them (any case); `more` may be
  // empty (no morercpthosts.cdb).
  RecipientHosts(std::vector<std::string> rcpthosts, MoreRcptHosts more);

  // qmail's rule: the domain (case-insensitive) is listed, or one of its
  // suffixes starting at a dot is (".example.com" covers every host under
  // example.com). A recipient without a domain is accepted: qmail-send
  // appends envnoathost to it. nullopt: morercpthosts.cdb unreadable.
  std::optional<bool> accepts(std::string_view domain) const;

 private:
  std::vector<std::string> hosts_;  // lower case, sorted
  MoreRcptHosts more_;
};

// control/badmailfrom: an entry is a whole address or "@domain"; both are
// compared without regard to ASCII case, as qmail does. The null sender is
// never refused.
class BadMailFrom {
 public:
  BadMailFrom() = default;
  explicit BadMailFrom(std::vector<std::string> entries);
  bool refuses(std::string_view address) const;

 private:
  std::vector<std::string> entries_;  // lower case, sorted
};

}  // namespace qcell::smtpd
