// users_assign.cc — users/assign, users/cdb and qmail-getpw's rules
// (users_assign.h).
#include "core/users_assign.h"

#include <array>
#include <string_view>

#include "core/ascii.h"
#include "core/decimal.h"
#include "core/limits.h"

namespace qcell {

namespace {

// The six fields of an assignment, from text ending in the separator
// after the sixth (':' in users/assign, NUL in users/cdb).
bool split_six(std::string_view text, char separator, std::array<std::string_view, 6>& fields) {
  for (std::string_view& field : fields) {
    const std::size_t end = text.find(separator);
    if (end == std::string_view::npos) return false;
    field = text.substr(0, end);
    text.remove_prefix(end + 1);
  }
  return text.empty();
}

enum class FieldsCheck { ok, bad_uid, bad_gid, home_not_absolute, bad_name };

FieldsCheck make_assignment(const std::array<std::string_view, 6>& f, Assignment& out) {
  auto uid = parse_canonical_decimal(f[1], UINT32_MAX);
  if (!uid || *uid == 0) return FieldsCheck::bad_uid;
  auto gid = parse_canonical_decimal(f[2], UINT32_MAX);
  if (!gid) return FieldsCheck::bad_gid;
  if (f[3].empty() || f[3].front() != '/') return FieldsCheck::home_not_absolute;
  for (std::size_t i : {std::size_t{0}, std::size_t{4}, std::size_t{5}}) {
    if (f[i].find('/') != std::string_view::npos) return FieldsCheck::bad_name;
  }
  if (f[0].empty()) return FieldsCheck::bad_name;
  out = Assignment{std::string(f[0]), static_cast<std::uint32_t>(*uid), static_cast<std::uint32_t>(*gid),
                   std::string(f[3]), std::string(f[4]), std::string(f[5])};
  return FieldsCheck::ok;
}

std::string cdb_value(const Assignment& a) {
  const std::string uid = std::to_string(a.uid);
  const std::string gid = std::to_string(a.gid);
  std::string value;
  for (const std::string* field : {&a.user, &uid, &gid, &a.home, &a.dash, &a.ext}) {
    value.append(*field);
    value.push_back('\0');
  }
  return value;
}

}  // namespace

std::string describe(const UsersAssignError& error) {
  const std::string where = error.line == 0 ? "users/assign: " : "users/assign line " + std::to_string(error.line) + ": ";
  switch (error.code) {
    case UsersAssignErrc::too_large:
      return where + "larger than " + std::to_string(limits::users_assign_file) + " bytes";
    case UsersAssignErrc::nul_byte: return where + "contains a NUL byte";
    case UsersAssignErrc::missing_end: return where + "does not end with a line holding a single dot";
    case UsersAssignErrc::unterminated_line: return where + "the last line has no newline";
    case UsersAssignErrc::bad_kind: return where + "a line must start with = (one address) or + (a prefix)";
    case UsersAssignErrc::empty_local: return where + "an = line needs a local part";
    case UsersAssignErrc::wrong_field_count:
      return where + "expected =local:user:uid:gid:home:dash:ext: (seven fields, each ending in a colon)";
    case UsersAssignErrc::bad_uid: return where + "the uid is not a decimal number from 1 to 4294967295";
    case UsersAssignErrc::bad_gid: return where + "the gid is not a decimal number below 4294967296";
    case UsersAssignErrc::home_not_absolute: return where + "the home directory must be an absolute path";
    case UsersAssignErrc::bad_name: return where + "the user must be non-empty, and no user, dash or ext may hold a /";
  }
  return where + "unknown error";
}

Result<std::vector<AssignEntry>, UsersAssignError> parse_users_assign(std::span<const std::byte> bytes) {
  if (bytes.size() > limits::users_assign_file) return fail(UsersAssignError{UsersAssignErrc::too_large, 0});
  const std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  std::vector<AssignEntry> entries;
  std::size_t number = 0;
  std::size_t start = 0;
  while (start < text.size()) {
    ++number;
    const std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) {
      const std::string_view last = text.substr(start);
      if (last.find('\0') != std::string_view::npos) return fail(UsersAssignError{UsersAssignErrc::nul_byte, number});
      if (last == ".") return entries;  // qmail-newu stops at the dot, newline or not
      return fail(UsersAssignError{UsersAssignErrc::unterminated_line, number});
    }
    const std::string_view line = text.substr(start, end - start);
    start = end + 1;
    if (line.find('\0') != std::string_view::npos) return fail(UsersAssignError{UsersAssignErrc::nul_byte, number});
    if (line == ".") return entries;
    if (line.empty() || (line.front() != '=' && line.front() != '+')) {
      return fail(UsersAssignError{UsersAssignErrc::bad_kind, number});
    }
    const bool wildcard = line.front() == '+';
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) return fail(UsersAssignError{UsersAssignErrc::wrong_field_count, number});
    if (!wildcard && colon == 1) return fail(UsersAssignError{UsersAssignErrc::empty_local, number});
    std::array<std::string_view, 6> fields{};
    if (!split_six(line.substr(colon + 1), ':', fields)) {
      return fail(UsersAssignError{UsersAssignErrc::wrong_field_count, number});
    }
    AssignEntry entry{wildcard, ascii_lower(line.substr(1, colon - 1)), {}, number};
    switch (make_assignment(fields, entry.assignment)) {
      case FieldsCheck::ok: break;
      case FieldsCheck::bad_uid: return fail(UsersAssignError{UsersAssignErrc::bad_uid, number});
      case FieldsCheck::bad_gid: return fail(UsersAssignError{UsersAssignErrc::bad_gid, number});
      case FieldsCheck::home_not_absolute: return fail(UsersAssignError{UsersAssignErrc::home_not_absolute, number});
      case FieldsCheck::bad_name: return fail(UsersAssignError{UsersAssignErrc::bad_name, number});
    }
    entries.push_back(std::move(entry));
  }
  return fail(UsersAssignError{UsersAssignErrc::missing_end, 0});
}

std::vector<std::pair<std::string, std::string>> users_cdb_records(const std::vector<AssignEntry>& entries) {
  std::vector<std::pair<std::string, std::string>> records;
  std::string wildchars;
  for (const AssignEntry& entry : entries) {
    std::string key = "!" + entry.local;
    if (entry.wildcard) {
      if (!entry.local.empty() && wildchars.find(entry.local.back()) == std::string::npos) {
        wildchars.push_back(entry.local.back());
      }
    } else {
      key.push_back('\0');
    }
    bool seen = false;
    for (const auto& record : records) seen = seen || record.first == key;
    if (!seen) records.emplace_back(std::move(key), cdb_value(entry.assignment));  // the first entry wins
  }
  records.emplace_back("", wildchars);
  return records;
}

Result<std::optional<Assignment>, UsersLookupErrc> lookup_users_cdb(std::string_view local, const CdbFind& find) {
  const std::string lower = ascii_lower(local);
  auto decode = [](std::string_view value, Assignment& out) {
    std::array<std::string_view, 6> fields{};
    if (!value.empty() && value.back() != '\0') return false;
    return split_six(value, '\0', fields) && make_assignment(fields, out) == FieldsCheck::ok;
  };
  Assignment found;
  if (auto exact = find("!" + lower + std::string(1, '\0'))) {
    if (!decode(*exact, found)) return fail(UsersLookupErrc::corrupt);
    return std::optional<Assignment>(found);
  }
  const std::string wildchars = find("").value_or("");
  for (std::size_t length = lower.size() + 1; length-- > 0;) {
    if (length > 0 && wildchars.find(lower[length - 1]) == std::string::npos) continue;
    auto value = find("!" + lower.substr(0, length));
    if (!value) continue;
    if (!decode(*value, found)) return fail(UsersLookupErrc::corrupt);
    found.ext += local.substr(length);
    return std::optional<Assignment>(found);
  }
  return std::optional<Assignment>();
}

std::optional<Assignment> assignment_from_passwd(std::string_view local, const AccountFind& find) {
  const std::string lower = ascii_lower(local);
  // From the whole local part down to each '-': the first account wins.
  for (std::size_t length = lower.size() + 1; length-- > 0;) {
    const bool boundary = length == lower.size() || lower[length] == '-';
    if (!boundary || length == 0 || length >= 32) continue;
    const std::string name = lower.substr(0, length);
    std::optional<Account> account = find(name);
    if (!account || account->uid == 0 || !account->home_owned) continue;
    const bool whole = length == lower.size();
    return Assignment{name, account->uid, account->gid, account->home, whole ? "" : "-",
                      whole ? "" : std::string(local.substr(length + 1))};
  }
  std::optional<Account> alias = find("alias");
  if (!alias || alias->uid == 0) return std::nullopt;
  return Assignment{"alias", alias->uid, alias->gid, alias->home, "-", std::string(local)};
}

}  // namespace qcell
