// local_users.cc — users/cdb, then passwd, for spawn-local (local_users.h).
#include "qcell/local_users.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <string.h>
#include <sys/stat.h>

#include "core/cdb.h"

namespace qcell {

namespace {

// A users/cdb value: user, uid, gid, home, dash, ext, each NUL-ended; the
// longest a record can be with a 4096-byte home.
constexpr std::size_t users_cdb_value_max = 8192;

LocalUserError error(LocalUserErrc code, std::string text) { return LocalUserError{code, std::move(text)}; }

std::optional<Account> passwd_account(std::string_view name) {
  struct passwd entry {};
  struct passwd* found = nullptr;
  char buffer[4096];
  std::string key(name);
  if (::getpwnam_r(key.c_str(), &entry, buffer, sizeof buffer, &found) != 0 || found == nullptr) return std::nullopt;
  Account account{found->pw_uid, found->pw_gid, found->pw_dir, false};
  struct stat st {};
  // qmail-getpw: the account's home must belong to it.
  account.home_owned = account.home.size() > 1 && account.home.front() == '/' &&
                       ::stat(account.home.c_str(), &st) == 0 && st.st_uid == found->pw_uid;
  return account;
}

}  // namespace

Result<LocalUser, LocalUserError> find_local_user(const std::string& users_cdb, std::string_view recipient) {
  const std::size_t at = recipient.rfind('@');
  if (at == std::string_view::npos) return fail(error(LocalUserErrc::no_at, "the recipient has no @"));
  LocalUser user;
  user.local = std::string(recipient.substr(0, at));
  user.host = std::string(recipient.substr(at + 1));

  std::optional<Assignment> assignment;
  UniqueFd cdb_file(::open(users_cdb.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!cdb_file && errno != ENOENT) {
    return fail(error(LocalUserErrc::users_cdb, "cannot open users/cdb: " + std::string(::strerror(errno))));
  }
  if (cdb_file) {
    auto reader = CdbReader::open(std::move(cdb_file));
    if (!reader) return fail(error(LocalUserErrc::users_cdb, "users/cdb is not a cdb file"));
    bool broken = false;
    auto found = lookup_users_cdb(user.local, [&](std::string_view key) -> std::optional<std::string> {
      auto value = reader->find(key, users_cdb_value_max);
      if (!value) {
        broken = true;
        return std::nullopt;
      }
      return *value;
    });
    if (broken || !found) return fail(error(LocalUserErrc::users_cdb, "users/cdb holds a corrupt record"));
    assignment = *found;
  }
  if (!assignment) assignment = assignment_from_passwd(user.local, passwd_account);
  if (!assignment) {
    return fail(error(LocalUserErrc::no_such_user, "no user receives this address and there is no alias user"));
  }
  if (assignment->uid == 0) return fail(error(LocalUserErrc::no_such_user, "the address belongs to root"));
  user.home.reset(::open(assignment->home.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!user.home) {
    return fail(error(LocalUserErrc::home,
                      "cannot open the home directory of " + assignment->user + ": " + ::strerror(errno)));
  }
  user.assignment = std::move(*assignment);
  return user;
}

}  // namespace qcell
