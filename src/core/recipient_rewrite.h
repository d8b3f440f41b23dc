// recipient_rewrite.h — qmail-send's rewriting of one envelope recipient
// into a local or a remote delivery (docs/delivery.md, "Which recipients
// are local"), from control/envnoathost, percenthack, locals and
// virtualdomains, exactly in qmail 1.03's order:
//
//   1. no '@': append '@' and envnoathost;
//   2. while the domain is in percenthack and the local part holds a '%':
//      the last '%' becomes the '@', and the old domain is dropped;
//   3. domain in locals (case-insensitive): local, the address unchanged;
//   4. the first virtualdomains key that matches, trying the whole address,
//      then the domain, then each ".suffix" of it, then "" (the catch-all):
//      a non-empty prepend makes it local as "PREPEND-ADDRESS"; an empty
//      one stops the search (remote);
//   5. otherwise remote.
//
// The recipient is hostile (it came through SMTP): the work is linear in
// its length, and nothing is allocated beyond copies of it.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"

namespace qcell {

struct RewriteRules {
  std::string envnoathost;                // control/envnoathost (default: me)
  std::vector<std::string> percenthack;   // domains
  std::vector<std::string> locals;        // domains (default: me)
  // control/virtualdomains, "KEY:PREPEND" lines split at the first ':'
  // (qmail's constmap with a colon): KEY is "user@domain", "domain",
  // ".suffix" or "" (every domain); the first line for a key counts.
  std::vector<std::pair<std::string, std::string>> virtualdomains;
};

enum class VirtualDomainsError {
  missing_colon,  // a line without ':' (qmail ignores it; qcell refuses it)
};

// Parses control/virtualdomains lines (already trimmed, comments and blank
// lines gone, as control.h gives them). Keys are kept as written; matching
// is case-insensitive.
Result<std::vector<std::pair<std::string, std::string>>, std::pair<VirtualDomainsError, std::size_t>>
parse_virtualdomains(const std::vector<std::string>& lines);

enum class Destination { local, remote };

struct Rewritten {
  Destination destination = Destination::remote;
  std::string address;  // local: "PREPEND-user@domain" for a virtual domain, else the address
};

Rewritten rewrite_recipient(std::string_view recipient, const RewriteRules& rules);

// A local address as a bounce shows it: qmail-send's stripvdomprepend. When
// virtualdomains gives the address's domain (or a ".suffix" of it, or "")
// a non-empty PREPEND and the address starts with "PREPEND-", that is
// removed ("joe-bob@virtual.example" -> "bob@virtual.example" for
// "virtual.example:joe"); any other address is returned as it is. As in
// qmail, a "user@domain:PREPEND" entry is not looked at here.
std::string strip_virtual_prepend(std::string_view address, const RewriteRules& rules);

}  // namespace qcell
