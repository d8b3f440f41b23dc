// smtp_secrets.cc (fuzz) — control/smtpsecrets (src/qmail-smtpd/secrets.h)
// with hostile bytes: parse_secrets, and edit_secrets adding, replacing and
// deleting a user. Traps when an accepted file holds a user name outside
// the grammar, a hash that check_hash refuses or whose costs pass the caps,
// a dummy hash that is not valid; when an error has no text or a line past
// the input; or when an edit's result does not parse, loses or changes
// another user, or misses its own change. Nothing is hashed: the harness
// never calls verify(), whose cost the caps bound instead.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "core/byte_buffer.h"
#include "qmail-smtpd/secrets.h"
#include "require.h"

using qcell_fuzz::require;

namespace {

using namespace qcell::smtpd;


// A valid hash made of the input's own first hash, or a fixed one.
const std::string fixed_hash = unmatchable_hash(HashCosts{8, 1});

void check_edit(std::span<const std::byte> input, const Secrets& before, std::string_view user) {
  // Set the user's hash.
  auto set = edit_secrets(input, user, fixed_hash);
  if (set) {
    require(set->change == (before.find(user) != nullptr ? SecretsChange::replaced : SecretsChange::added));
    auto after = parse_secrets(qcell::as_bytes(set->content));
    require(after.ok());
    require(after->find(user) != nullptr && after->find(user)->hash == fixed_hash);
    require(after->users.size() == before.users.size() + (set->change == SecretsChange::added ? 1 : 0));
    for (const auto& [name, entry] : before.users) {
      if (name != user) require(after->find(name) != nullptr && after->find(name)->hash == entry.hash);
    }
  } else {
    // Only a file grown past its limit or a line too long is refused.
    require(set.error().code == SecretsErrc::file_too_large);
  }
  // Delete the user.
  auto removed = edit_secrets(input, user, std::nullopt);
  if (before.find(user) == nullptr) {
    require(!removed.ok() && removed.error().code == SecretsErrc::not_present);
    return;
  }
  require(removed.ok() && removed->change == SecretsChange::deleted);
  require(removed->content.size() < input.size());
  auto after = parse_secrets(qcell::as_bytes(removed->content));
  require(after.ok());
  require(after->find(user) == nullptr && after->users.size() + 1 == before.users.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::span<const std::byte> input(reinterpret_cast<const std::byte*>(data), size);
  auto secrets = parse_secrets(input);
  if (!secrets) {
    require(!format_secrets_error(secrets.error()).empty());
    require(secrets.error().line <= size);
    require(secrets.error().code != SecretsErrc::not_present);
    if (secrets.error().code == SecretsErrc::duplicate_user) {
      require(secrets.error().other_line != 0 && secrets.error().other_line < secrets.error().line);
    }
    // An edit of a file that does not parse fails with the same error.
    auto edited = edit_secrets(input, "fuzz", fixed_hash);
    require(!edited.ok() && edited.error() == secrets.error());
    return 0;
  }
  for (const auto& [user, entry] : secrets->users) {
    require(valid_secrets_user(user));
    auto costs = check_hash(entry.hash);
    require(costs.ok());
    require(costs->memory_kib <= secrets_memory_kib_max && costs->passes <= secrets_passes_max);
    require(entry.hash.size() <= secrets_hash_max && entry.line >= 1 && entry.line <= size);
  }
  require(check_hash(secrets->dummy_hash).ok());
  // Edit a user the file has (the first) and one it does not.
  if (!secrets->users.empty()) check_edit(input, *secrets, secrets->users.begin()->first);
  check_edit(input, *secrets, "fuzz.new-user@example.org");
  return 0;
}
