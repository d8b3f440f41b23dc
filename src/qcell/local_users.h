// local_users.h — the broker's half of qmail-lspawn: which user receives a
// local recipient (users/cdb first, then the passwd database's rules, then
// the alias user), and the home directory the delivery cell may reach.
//
// Trusts: users/cdb and passwd (the administrator's). The recipient comes
// from qmail-send, which parses mail: it has passed the request codec's
// checks (printable, bounded) and is only split at its last '@' and looked
// up here; the lookups are the fuzzed pure functions of core/users_assign.h.
#pragma once

#include <string>
#include <string_view>

#include "core/fd.h"
#include "core/result.h"
#include "core/users_assign.h"

namespace qcell {

enum class LocalUserErrc {
  no_at,          // the recipient has no '@' (qmail-send always writes one)
  no_such_user,   // neither users/cdb nor passwd has it, and no alias user exists (permanent)
  users_cdb,      // users/cdb exists but cannot be read, or a record is corrupt (temporary)
  home,           // the home directory cannot be opened (temporary)
};

struct LocalUserError {
  LocalUserErrc code = LocalUserErrc::no_such_user;
  std::string text;  // for the refusal and the log
};

struct LocalUser {
  Assignment assignment;
  std::string local;  // the recipient's local part, as written
  std::string host;   // the recipient's domain, as written
  UniqueFd home;      // O_PATH descriptor of assignment.home
};

// `users_cdb`: the path of users/cdb (missing: passwd only).
Result<LocalUser, LocalUserError> find_local_user(const std::string& users_cdb, std::string_view recipient);

}  // namespace qcell
