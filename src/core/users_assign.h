// users_assign.h — qmail's recipient-to-user mapping (docs/delivery.md,
// "Which user receives a local address"): users/assign, its compiled
// form users/cdb (qmail-newu), qmail-lspawn's lookup in it, and the
// passwd rules of qmail-getpw for when there is no users/cdb.
//
// users/assign is the administrator's, the local part is hostile (it came
// through SMTP): both parsers are bounded, linear and fuzzed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"

namespace qcell {

// Who receives a local address, and how qmail-local looks at it.
struct Assignment {
  std::string user;
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  std::string home;  // absolute
  std::string dash;  // "" or "-" usually: the .qmail file is ".qmail" + dash + ext
  std::string ext;
  bool operator==(const Assignment&) const = default;
};

// One line of users/assign:
//   =local:user:uid:gid:home:dash:ext:   the local part exactly (any case)
//   +prefix:user:uid:gid:home:dash:pre:  every local part starting with prefix;
//                                        the rest is appended to pre as ext
struct AssignEntry {
  bool wildcard = false;
  std::string local;  // lowercased
  Assignment assignment;
  std::size_t line = 0;
  bool operator==(const AssignEntry&) const = default;
};

enum class UsersAssignErrc {
  too_large,          // more than limits::users_assign_file bytes
  nul_byte,           // a NUL anywhere
  missing_end,        // no line "." before the end of the file
  unterminated_line,  // the last line has no LF before the end
  bad_kind,           // a line that does not start with '=' or '+'
  empty_local,        // "=:..." (a prefix may be empty: "+:" matches everything)
  wrong_field_count,  // not seven fields ending in ':'
  bad_uid,            // not canonical decimal below 2^32, or 0 (root receives no mail as itself)
  bad_gid,            // not canonical decimal below 2^32
  home_not_absolute,  // the home directory does not start with '/'
  bad_name,           // a user, dash or ext holding '/' (they become file names)
};

struct UsersAssignError {
  UsersAssignErrc code = UsersAssignErrc::missing_end;
  std::size_t line = 0;  // 1-based; 0 for the whole file
  bool operator==(const UsersAssignError&) const = default;
};

std::string describe(const UsersAssignError& error);

Result<std::vector<AssignEntry>, UsersAssignError> parse_users_assign(std::span<const std::byte> text);

// users/cdb's records, as qmail-newu writes them: "!local\0" for an exact
// entry, "!prefix" for a wildcard (keys lowercased; the first entry for a
// key wins), each valued "user\0uid\0gid\0home\0dash\0ext\0"; and the key
// "" holding the last character of every non-empty wildcard prefix.
std::vector<std::pair<std::string, std::string>> users_cdb_records(const std::vector<AssignEntry>& entries);

enum class UsersLookupErrc {
  corrupt,  // a value that is not six NUL-ended fields with a valid uid, gid and home
};

// qmail-lspawn's lookup of `local` through `find` (a users/cdb lookup):
// the exact entry; else the longest wildcard prefix (only prefixes whose
// last character is in the "" record, and the empty prefix), whose pre
// gets the rest of the local part (as the address wrote it) appended.
// nullopt: no entry matches.
using CdbFind = std::function<std::optional<std::string>(std::string_view key)>;
Result<std::optional<Assignment>, UsersLookupErrc> lookup_users_cdb(std::string_view local, const CdbFind& find);

// An account as the passwd database gives it, with whether its home exists
// and is owned by its uid.
struct Account {
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  std::string home;
  bool home_owned = false;
};
using AccountFind = std::function<std::optional<Account>(std::string_view name)>;

// qmail-getpw's rules, for when there is no users/cdb: from the whole local
// part (lowercased) down to each '-', the first name that is an account
// (shorter than 32 bytes, not root, its home owned by it) receives, with
// dash "" and ext "" at full length, or dash "-" and ext the rest after a
// '-' (the ext as the address wrote it). Otherwise the account "alias"
// receives, with dash "-" and ext the whole local part. nullopt: not even
// "alias" exists.
std::optional<Assignment> assignment_from_passwd(std::string_view local, const AccountFind& find);

}  // namespace qcell
