// secrets.h — the credential store of SMTP AUTH: control/smtpsecrets, one
// `user:hash` a line, where hash is an argon2id string made by libsodium's
// crypto_pwhash_str (docs/smtpd-auth.md). The pure parser, the check of a
// password against it, and the pure edit that `qcell passwd` applies.
//
// The file is the administrator's, but qmail-smtpd reads it in a cell that
// faces the network, so it is parsed as if hostile: bounded size and lines,
// a strict user-name grammar, and hashes whose memory and time costs are
// capped, so that a bad line cannot make every AUTH allocate gigabytes or
// spin for minutes. The user name and password given to verify() come from
// an unauthenticated client: they are only compared and hashed, and an
// unknown user costs the same work as a known one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/result.h"

namespace qcell::smtpd {

// The file's name beneath the control directory.
inline constexpr std::string_view secrets_file_name = "smtpsecrets";

// --- limits --------------------------------------------------------------------

// The whole file: a line is about 100 bytes, so a mebibyte holds some ten
// thousand users; more belongs in a database. Equal to limits::control_file,
// so read_control_file reads it (checked in secrets.cc).
inline constexpr std::size_t secrets_file_max = std::size_t{1024} * 1024;
// One line without its LF: a 64-byte user, ':', a 127-byte hash, and room
// for a comment. Equal to limits::control_line.
inline constexpr std::size_t secrets_line_max = 1024;
// A user name: room for an address as the login name, short enough that
// a log line naming it stays readable.
inline constexpr std::size_t secrets_user_max = 64;
// A hash string: libsodium's crypto_pwhash_STRBYTES (128) less its NUL;
// crypto_pwhash_str_verify reads no more.
inline constexpr std::size_t secrets_hash_max = 127;
// Largest argon2id memory cost (m=, in KiB) accepted: 256 MiB, libsodium's
// MEMLIMIT_MODERATE. Every AUTH for the user allocates this much, so a
// mistaken or hostile line with m=4194304 (4 GiB) must not load.
inline constexpr std::uint64_t secrets_memory_kib_max = std::uint64_t{256} * 1024;
// Largest argon2id time cost (t=, passes over the memory) accepted.
// libsodium's presets stop at 4 (SENSITIVE); 10 leaves room and bounds one
// check at the memory cap to about two seconds of one core.
inline constexpr std::uint64_t secrets_passes_max = 10;

// --- the parameters `qcell passwd` hashes with ---------------------------------

// libsodium's crypto_pwhash_OPSLIMIT_INTERACTIVE and MEMLIMIT_INTERACTIVE,
// its recommendation for online authentication: about 0.1 s and 64 MiB per
// check. (secrets.cc checks that they equal libsodium's constants.)
inline constexpr std::uint64_t passwd_passes = 2;
inline constexpr std::size_t passwd_memory_bytes = std::size_t{64} * 1024 * 1024;

// --- errors ----------------------------------------------------------------------

enum class SecretsErrc : std::uint8_t {
  file_too_large,    // more than secrets_file_max bytes
  nul_byte,          // a NUL byte in a line
  line_too_long,     // a line (without LF) longer than secrets_line_max
  no_separator,      // a line without ':'
  bad_user,          // the name breaks the grammar (see valid_secrets_user)
  duplicate_user,    // the same name on an earlier line (other_line)
  not_argon2id,      // the hash does not start with "$argon2id$"
  hash_too_long,     // the hash is longer than secrets_hash_max
  bad_hash,          // not $argon2id$v=19$m=M,t=T,p=1$SALT$DIGEST as crypto_pwhash_str
                     // writes it (a 16-byte salt, a 32-byte digest, canonical base64)
  memory_too_large,  // m= above secrets_memory_kib_max
  too_many_passes,   // t= above secrets_passes_max
  not_present,       // edit_secrets: deleting a user the file does not have
};

struct SecretsError {
  SecretsErrc code = SecretsErrc::bad_hash;
  std::size_t line = 0;        // 1-based line where it applies, else 0
  std::size_t other_line = 0;  // duplicate_user: the line that had the name first
  bool operator==(const SecretsError&) const = default;
};

std::string_view describe(SecretsErrc code) noexcept;
std::string_view secrets_error_name(SecretsErrc code) noexcept;
// One line: "control/smtpsecrets line 4: user name is not 1 to 64 of ...".
std::string format_secrets_error(const SecretsError& error);

// --- the parsed file ---------------------------------------------------------------

struct SecretsEntry {
  std::string hash;      // the whole $argon2id$... string
  std::size_t line = 0;  // where it is in the file
  bool operator==(const SecretsEntry&) const = default;
};

struct Secrets {
  // Users by exact name (bytes compared; "Joe" and "joe" are two users).
  std::map<std::string, SecretsEntry, std::less<>> users;
  // A well-formed hash that no password matches, with the costs most of the
  // file's hashes have (passwd_* when it has none): an unknown user is
  // checked against it, so the answer takes as long as for a known one.
  std::string dummy_hash;

  const SecretsEntry* find(std::string_view user) const;
};

// 1 to secrets_user_max bytes of A-Z a-z 0-9 . _ @ + -, not starting with
// '.' or '-' (so that a name is never mistaken for an option or a dot file).
bool valid_secrets_user(std::string_view user) noexcept;

// The argon2id costs of a hash string that parse_secrets would accept.
struct HashCosts {
  std::uint64_t memory_kib = 0;
  std::uint64_t passes = 0;
  bool operator==(const HashCosts&) const = default;
};
// Checks one hash string (the part after ':'): the error's line is 0.
Result<HashCosts, SecretsError> check_hash(std::string_view hash);

// A hash string that passes check_hash with the given costs and that no
// password matches (zero salt, zero digest: its chance of being a real
// digest is 2^-256). Costs outside the caps are the caller's bug.
std::string unmatchable_hash(const HashCosts& costs);

// Parses control/smtpsecrets. Lines end with LF; trailing spaces, tabs and
// CR are ignored (a file saved with CRLF still parses); empty lines and
// lines starting with '#' are comments. Every other line is `user:hash`.
// Pure: no I/O; memory bounded by the input.
Result<Secrets, SecretsError> parse_secrets(std::span<const std::byte> content);

// --- checking a password -----------------------------------------------------------

enum class Verdict : std::uint8_t {
  ok,            // the user exists and the password matches
  bad_password,  // the user exists and the password does not match
  no_such_user,  // no such user (the dummy hash was checked all the same)
  unavailable,   // the hash could not be computed (out of memory: RLIMIT_AS
                 // too low for the hash's m=): a temporary failure, which
                 // RFC 4954 answers with 454 4.7.0, never a wrong password
};

// Checks `password` against `user`'s hash, or against the dummy hash when
// there is no such user, so that both take the same time (one argon2id
// computation, the digest compared in constant time). libsodium need not
// be initialised for this (sodium_init only picks faster code), but a cell
// calls it once at start-up. Maps the hash's memory cost (64 MiB for qcell
// passwd's hashes, at most 256 MiB) for the duration of the call.
Verdict verify(const Secrets& secrets, std::string_view user, std::string_view password);

// Hashes a password with crypto_pwhash_str (argon2id); nullopt when
// libsodium cannot (out of memory). sodium_init must have succeeded.
std::optional<std::string> hash_password(std::string_view password, std::uint64_t passes = passwd_passes,
                                         std::size_t memory_bytes = passwd_memory_bytes);

// --- editing (for qcell passwd) ---------------------------------------------------

enum class SecretsChange : std::uint8_t { added, replaced, deleted };
std::string_view describe(SecretsChange change) noexcept;  // "added", "replaced", "deleted"

struct EditedSecrets {
  std::string content;  // the whole new file
  SecretsChange change = SecretsChange::added;
};

// The file `current` with `user`'s line set to `user:hash` (replaced in
// place, or appended), or removed when `hash` is nullopt. Every other line,
// comments included, is kept byte for byte. Fails when `current` does not
// parse, when deleting a user it lacks (not_present), or when the result
// would not parse (a bad user or hash, or a file grown past its limit).
// Pure.
Result<EditedSecrets, SecretsError> edit_secrets(std::span<const std::byte> current, std::string_view user,
                                                 std::optional<std::string_view> hash);

}  // namespace qcell::smtpd
