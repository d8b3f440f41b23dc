// secrets.cc — control/smtpsecrets (secrets.h): parsing with every cost
// capped before a hash can be used, constant-work verification, and the
// edit applied by `qcell passwd`. The file's bytes are treated as hostile;
// so are the user name and password given to verify().
#include "qmail-smtpd/secrets.h"

#include <sodium.h>
#include <string.h>

#include <algorithm>
#include <array>
#include <iterator>
#include <utility>

#include "core/byte_buffer.h"
#include "core/enum_table.h"
#include "core/limits.h"

namespace qcell::smtpd {

namespace {

struct Entry {
  SecretsErrc code;
  std::string_view name;
  std::string_view text;
};

constexpr Entry entries[] = {
    {SecretsErrc::file_too_large, "file_too_large", "file is larger than 1048576 bytes"},
    {SecretsErrc::nul_byte, "nul_byte", "NUL byte in line"},
    {SecretsErrc::line_too_long, "line_too_long", "line longer than 1024 bytes"},
    {SecretsErrc::no_separator, "no_separator", "no ':' between user name and hash"},
    {SecretsErrc::bad_user, "bad_user", "user name is not 1 to 64 of A-Za-z0-9._@+- (not starting with '.' or '-')"},
    {SecretsErrc::duplicate_user, "duplicate_user", "user name already appeared on line"},
    {SecretsErrc::not_argon2id, "not_argon2id", "hash does not start with $argon2id$ (make it with qcell passwd)"},
    {SecretsErrc::hash_too_long, "hash_too_long", "hash is longer than 127 bytes"},
    {SecretsErrc::bad_hash, "bad_hash", "hash is not of the form $argon2id$v=19$m=M,t=T,p=1$SALT$DIGEST"},
    {SecretsErrc::memory_too_large, "memory_too_large",
     "hash's memory cost m= is above 262144 KiB (256 MiB): every AUTH would allocate it"},
    {SecretsErrc::too_many_passes, "too_many_passes", "hash's time cost t= is above 10"},
    {SecretsErrc::not_present, "not_present", "no such user in the file"},
};
static_assert(in_enum_order(entries, &Entry::code));
static_assert(std::size(entries) == static_cast<std::size_t>(SecretsErrc::not_present) + 1);
// The texts above name these numbers.
static_assert(secrets_file_max == 1048576 && secrets_line_max == 1024 && secrets_user_max == 64);
static_assert(secrets_hash_max == 127 && secrets_memory_kib_max == 262144 && secrets_passes_max == 10);

// The same bounds as every control file (read_control_file reads it).
static_assert(secrets_file_max == limits::control_file);
static_assert(secrets_line_max == limits::control_line);
// The numbers in secrets.h are libsodium's.
static_assert(secrets_hash_max + 1 == crypto_pwhash_argon2id_STRBYTES);
static_assert(passwd_passes == crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE);
static_assert(passwd_memory_bytes == crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE);
static_assert(passwd_memory_bytes / 1024 <= secrets_memory_kib_max);
static_assert(passwd_passes <= secrets_passes_max);

constexpr std::string_view argon2id_prefix = "$argon2id$";

// argon2's own floors (libsodium's OPSLIMIT_MIN and MEMLIMIT_MIN for argon2id).
constexpr std::uint64_t memory_kib_min = crypto_pwhash_argon2id_MEMLIMIT_MIN / 1024;
constexpr std::uint64_t passes_min = crypto_pwhash_argon2id_OPSLIMIT_MIN;

bool is_trimmed_byte(char c) noexcept { return c == ' ' || c == '\t' || c == '\r'; }

bool is_base64_digit(char c) noexcept {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
}

// Removes `word` from the front of `text`; false if it is not there.
bool take(std::string_view& text, std::string_view word) noexcept {
  if (!text.starts_with(word)) return false;
  text.remove_prefix(word.size());
  return true;
}

// A decimal number of 1 to 10 digits without a leading zero, taken from the
// front of `text` (so at most 9999999999: no overflow).
std::optional<std::uint64_t> take_number(std::string_view& text) noexcept {
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0 || digits > 10 || (digits > 1 && text[0] == '0')) return std::nullopt;
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < digits; ++i) value = value * 10 + static_cast<std::uint64_t>(text[i] - '0');
  text.remove_prefix(digits);
  return value;
}

// Takes exactly `out.size()` bytes' worth of unpadded base64 from the front
// of `text` (the form argon2 strings use) and decodes it into `out`.
// libsodium's decoder refuses non-zero bits left over in the last digit, so
// only the canonical spelling is accepted.
bool take_base64(std::string_view& text, std::span<unsigned char> out) noexcept {
  const std::size_t digits = (out.size() * 4 + 2) / 3;
  if (text.size() < digits) return false;
  for (std::size_t i = 0; i < digits; ++i) {
    if (!is_base64_digit(text[i])) return false;
  }
  std::size_t length = 0;
  const char* end = nullptr;
  if (sodium_base642bin(out.data(), out.size(), text.data(), digits, nullptr, &length, &end,
                        sodium_base64_VARIANT_ORIGINAL_NO_PADDING) != 0 ||
      length != out.size() || end != text.data() + digits) {
    return false;
  }
  text.remove_prefix(digits);
  return true;
}

// Calls visit(line, number) for each line, without its LF, untrimmed.
template <class Visit>
void for_each_line(std::string_view text, Visit&& visit) {
  std::size_t number = 0;
  while (!text.empty()) {
    ++number;
    std::size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    if (!visit(line, number)) return;
  }
}

std::string_view trim_right(std::string_view line) noexcept {
  while (!line.empty() && is_trimmed_byte(line.back())) line.remove_suffix(1);
  return line;
}

// A hash string as libsodium's functions take it: an array of
// crypto_pwhash_STRBYTES with the string NUL-terminated inside it (they are
// declared with that array size; a shorter buffer would be read past).
struct HashText {
  explicit HashText(std::string_view hash) noexcept { hash.copy(text.data(), std::min(hash.size(), text.size() - 1)); }
  std::array<char, crypto_pwhash_argon2id_STRBYTES> text{};
};

// What crypto_pwhash_str writes: a 16-byte salt and a 32-byte digest.
constexpr std::size_t salt_bytes = crypto_pwhash_argon2id_SALTBYTES;
constexpr std::size_t digest_bytes = 32;
static_assert(salt_bytes == 16);

struct DecodedHash {
  HashCosts costs;
  std::array<unsigned char, salt_bytes> salt{};
  std::array<unsigned char, digest_bytes> digest{};
};

// Decodes $argon2id$v=19$m=M,t=T,p=1$SALT$DIGEST, as libsodium's encoder
// writes it (argon2-encoding.c); the caps are checked before anything
// else reads it, and libsodium's own decoder has the last word.
Result<DecodedHash, SecretsError> decode_hash(std::string_view hash) {
  if (!hash.starts_with(argon2id_prefix)) return fail(SecretsError{SecretsErrc::not_argon2id});
  if (hash.size() > secrets_hash_max) return fail(SecretsError{SecretsErrc::hash_too_long});
  const SecretsError bad{SecretsErrc::bad_hash};
  DecodedHash decoded;
  std::string_view rest = hash.substr(argon2id_prefix.size());
  if (!take(rest, "v=19$m=")) return fail(bad);
  auto memory_kib = take_number(rest);
  if (!memory_kib || !take(rest, ",t=")) return fail(bad);
  auto passes = take_number(rest);
  if (!passes || !take(rest, ",p=1$")) return fail(bad);
  if (!take_base64(rest, decoded.salt) || !take(rest, "$") || !take_base64(rest, decoded.digest) || !rest.empty()) {
    return fail(bad);
  }
  if (*memory_kib > secrets_memory_kib_max) return fail(SecretsError{SecretsErrc::memory_too_large});
  if (*passes > secrets_passes_max) return fail(SecretsError{SecretsErrc::too_many_passes});
  if (*memory_kib < memory_kib_min || *passes < passes_min) return fail(bad);
  // -1: libsodium's decoder refuses the string (it computes nothing).
  const HashText terminated(hash);
  if (crypto_pwhash_argon2id_str_needs_rehash(terminated.text.data(), *passes,
                                              static_cast<std::size_t>(*memory_kib) * 1024) < 0) {
    return fail(bad);
  }
  decoded.costs = HashCosts{*memory_kib, *passes};
  return decoded;
}

SecretsError at_line(SecretsError error, std::size_t line) {
  error.line = line;
  return error;
}

}  // namespace

std::string_view describe(SecretsErrc code) noexcept { return entries[static_cast<std::size_t>(code)].text; }

std::string_view secrets_error_name(SecretsErrc code) noexcept { return entries[static_cast<std::size_t>(code)].name; }

std::string format_secrets_error(const SecretsError& error) {
  std::string message = "control/";
  message += secrets_file_name;
  if (error.line != 0) message += " line " + std::to_string(error.line);
  message += ": ";
  message += describe(error.code);
  if (error.code == SecretsErrc::duplicate_user) message += " " + std::to_string(error.other_line);
  return message;
}

const SecretsEntry* Secrets::find(std::string_view user) const {
  auto it = users.find(user);
  return it == users.end() ? nullptr : &it->second;
}

bool valid_secrets_user(std::string_view user) noexcept {
  if (user.empty() || user.size() > secrets_user_max) return false;
  if (user.front() == '.' || user.front() == '-') return false;
  for (char c : user) {
    bool allowed = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
                   c == '@' || c == '+' || c == '-';
    if (!allowed) return false;
  }
  return true;
}

Result<HashCosts, SecretsError> check_hash(std::string_view hash) {
  auto decoded = decode_hash(hash);
  if (!decoded) return fail(decoded.error());
  return decoded->costs;
}

std::string unmatchable_hash(const HashCosts& costs) {
  // Unpadded base64 of a 16-byte salt and a 32-byte digest, all zero.
  return std::string(argon2id_prefix) + "v=19$m=" + std::to_string(costs.memory_kib) +
         ",t=" + std::to_string(costs.passes) + ",p=1$" + std::string(22, 'A') + "$" + std::string(43, 'A');
}

Result<Secrets, SecretsError> parse_secrets(std::span<const std::byte> content) {
  if (content.size() > secrets_file_max) return fail(SecretsError{SecretsErrc::file_too_large});
  Secrets secrets;
  std::optional<SecretsError> error;
  // How many hashes have each pair of costs: the dummy takes the commonest.
  std::map<std::pair<std::uint64_t, std::uint64_t>, std::size_t> costs_seen;
  HashCosts commonest{passwd_memory_bytes / 1024, passwd_passes};
  std::size_t commonest_count = 0;
  for_each_line(as_text(content), [&](std::string_view line, std::size_t number) {
    if (line.find('\0') != std::string_view::npos) {
      error = SecretsError{SecretsErrc::nul_byte, number};
      return false;
    }
    if (line.size() > secrets_line_max) {
      error = SecretsError{SecretsErrc::line_too_long, number};
      return false;
    }
    line = trim_right(line);
    if (line.empty() || line.front() == '#') return true;
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      error = SecretsError{SecretsErrc::no_separator, number};
      return false;
    }
    std::string_view user = line.substr(0, colon);
    std::string_view hash = line.substr(colon + 1);
    if (!valid_secrets_user(user)) {
      error = SecretsError{SecretsErrc::bad_user, number};
      return false;
    }
    auto costs = check_hash(hash);
    if (!costs) {
      error = at_line(costs.error(), number);
      return false;
    }
    if (const SecretsEntry* earlier = secrets.find(user)) {
      error = SecretsError{SecretsErrc::duplicate_user, number, earlier->line};
      return false;
    }
    secrets.users.emplace(std::string(user), SecretsEntry{std::string(hash), number});
    std::size_t count = ++costs_seen[{costs->memory_kib, costs->passes}];
    if (count > commonest_count) {
      commonest_count = count;
      commonest = *costs;
    }
    return true;
  });
  if (error) return fail(*error);
  secrets.dummy_hash = unmatchable_hash(commonest);
  return secrets;
}

Verdict verify(const Secrets& secrets, std::string_view user, std::string_view password) {
  const SecretsEntry* entry = secrets.find(user);
  // An unknown user costs one argon2id computation as well, with the costs
  // most users have, so the reply's timing does not say who exists. (A
  // default-constructed Secrets has no dummy: qcell passwd's costs.)
  std::string fallback;
  if (entry == nullptr && secrets.dummy_hash.empty()) {
    fallback = unmatchable_hash(HashCosts{passwd_memory_bytes / 1024, passwd_passes});
  }
  auto decoded = decode_hash(entry != nullptr ? entry->hash : fallback.empty() ? secrets.dummy_hash : fallback);
  if (!decoded) return Verdict::unavailable;  // a hash not from parse_secrets
  // The digest is computed with crypto_pwhash_argon2id and compared in
  // constant time, rather than with crypto_pwhash_str_verify: libsodium
  // 1.0.18 reports an allocation failure (RLIMIT_AS too low) from the
  // latter as a mismatch, and a wrong-password reply would hide it.
  std::array<unsigned char, digest_bytes> computed{};
  if (crypto_pwhash_argon2id(computed.data(), computed.size(), password.data(), password.size(), decoded->salt.data(),
                             decoded->costs.passes, static_cast<std::size_t>(decoded->costs.memory_kib) * 1024,
                             crypto_pwhash_argon2id_ALG_ARGON2ID13) != 0) {
    return Verdict::unavailable;
  }
  const bool match = sodium_memcmp(computed.data(), decoded->digest.data(), computed.size()) == 0;
  sodium_memzero(computed.data(), computed.size());
  if (entry == nullptr) return Verdict::no_such_user;
  return match ? Verdict::ok : Verdict::bad_password;
}

std::optional<std::string> hash_password(std::string_view password, std::uint64_t passes, std::size_t memory_bytes) {
  std::array<char, crypto_pwhash_argon2id_STRBYTES> out{};
  if (crypto_pwhash_argon2id_str(out.data(), password.data(), password.size(), passes, memory_bytes) != 0) {
    return std::nullopt;
  }
  return std::string(out.data(), ::strnlen(out.data(), out.size()));
}

std::string_view describe(SecretsChange change) noexcept {
  switch (change) {
    case SecretsChange::added: return "added";
    case SecretsChange::replaced: return "replaced";
    case SecretsChange::deleted: return "deleted";
  }
  return "changed";
}

Result<EditedSecrets, SecretsError> edit_secrets(std::span<const std::byte> current, std::string_view user,
                                                 std::optional<std::string_view> hash) {
  if (!valid_secrets_user(user)) return fail(SecretsError{SecretsErrc::bad_user});
  if (hash) {
    if (auto costs = check_hash(*hash); !costs) return fail(costs.error());
  }
  auto parsed = parse_secrets(current);
  if (!parsed) return fail(parsed.error());
  const SecretsEntry* existing = parsed->find(user);
  if (!hash && existing == nullptr) return fail(SecretsError{SecretsErrc::not_present});

  const std::string_view text = as_text(current);
  EditedSecrets edited;
  if (existing == nullptr) {
    edited.change = SecretsChange::added;
    edited.content.reserve(text.size() + user.size() + hash->size() + 3);
    edited.content = text;
    if (!edited.content.empty() && edited.content.back() != '\n') edited.content += '\n';
    edited.content += std::string(user) + ":" + std::string(*hash) + "\n";
  } else {
    edited.change = hash ? SecretsChange::replaced : SecretsChange::deleted;
    // Rebuild line by line with the parser's numbering; only the user's
    // line changes (a CRLF line keeps its CR).
    std::string_view rest = text;
    for_each_line(text, [&](std::string_view line, std::size_t number) {
      const bool has_lf = line.size() < rest.size();
      rest.remove_prefix(line.size() + (has_lf ? 1 : 0));
      if (number != existing->line) {
        edited.content += line;
      } else if (hash) {
        edited.content += std::string(user) + ":" + std::string(*hash);
        if (line.ends_with('\r')) edited.content += '\r';
      } else {
        return true;  // deleted, with its LF
      }
      if (has_lf) edited.content += '\n';
      return true;
    });
  }
  // The result must load: a file grown past its limit is refused here.
  if (auto again = parse_secrets(as_bytes(edited.content)); !again) return fail(again.error());
  return edited;
}

}  // namespace qcell::smtpd
