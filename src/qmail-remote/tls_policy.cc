// tls_policy.cc — control/tlsdestinations (tls_policy.h): levels, CA file
// paths, and the lookup shared with control/smtproutes.
#include "qmail-remote/tls_policy.h"

#include <algorithm>
#include <array>
#include <optional>
#include <set>

namespace qcell::remote {

namespace {

struct LevelName {
  TlsLevel level;
  std::string_view name;
};
constexpr std::array<LevelName, 4> level_names = {{
    {TlsLevel::none, "none"},
    {TlsLevel::may, "may"},
    {TlsLevel::encrypt, "encrypt"},
    {TlsLevel::verify, "verify"},
}};
static_assert(level_names.size() == static_cast<std::size_t>(TlsLevel::verify) + 1);

std::optional<TlsLevel> parse_level(std::string_view text) noexcept {
  for (const LevelName& entry : level_names) {
    if (entry.name == text) return entry.level;
  }
  return std::nullopt;
}

// An absolute path with no empty, "." or ".." part: the name the broker
// opens is the name the administrator reads.
bool is_plain_absolute_path(std::string_view path) noexcept {
  if (path.size() < 2 || path.front() != '/' || path.back() == '/') return false;
  std::size_t start = 1;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view part = path.substr(start, end - start);
    if (part.empty() || part == "." || part == "..") return false;
    start = end + 1;
  }
  return true;
}

Result<TlsDestination, std::string> parse_destination(std::string_view value) {
  std::size_t colon = value.find(':');
  std::string_view level_text = value.substr(0, colon);
  auto level = parse_level(level_text);
  if (!level) return fail("level " + quote_for_error(level_text) + " is not none, may, encrypt or verify");
  TlsDestination destination;
  destination.level = *level;
  if (colon == std::string_view::npos) return destination;
  // The rest of the line is the path, colons included.
  std::string_view path = value.substr(colon + 1);
  if (*level != TlsLevel::verify) {
    return fail("a CA file is only used with level verify, not " + quote_for_error(level_text));
  }
  if (path.empty())
    return fail(std::string("CA file is empty (write domain:verify:/path/to/ca.pem, or drop the second ':')"));
  if (path.front() != '/') return fail("CA file " + quote_for_error(path) + " is not an absolute path");
  if (!is_plain_absolute_path(path)) {
    return fail("CA file " + quote_for_error(path) +
                " is not a plain path (no '.', '..' or empty parts, no trailing '/')");
  }
  destination.ca_file = std::string(path);
  return destination;
}

}  // namespace

std::string_view tls_level_name(TlsLevel level) noexcept {
  for (const LevelName& entry : level_names) {
    if (entry.level == level) return entry.name;
  }
  return "unknown";
}

Result<TlsPolicy, RouteError> parse_tls_policy(std::span<const std::string> lines) {
  auto entries = read_keyed_lines<TlsDestination>(lines, "domain:level", parse_destination);
  if (!entries) return fail(entries.error());
  return TlsPolicy{std::move(entries.value())};
}

TlsDestination find_tls_destination(const TlsPolicy& policy, std::string_view domain, bool always_require) {
  const TlsDestination* matched = find_keyed(policy.entries, domain);
  TlsDestination found = matched != nullptr ? *matched : TlsDestination{};
  if (always_require && (found.level == TlsLevel::none || found.level == TlsLevel::may)) {
    found.level = TlsLevel::encrypt;
  }
  return found;
}

bool tls_uses_system_store(const TlsPolicy& policy) noexcept {
  return std::any_of(policy.entries.begin(), policy.entries.end(), [](const auto& entry) {
    return entry.second.level == TlsLevel::verify && entry.second.ca_file.empty();
  });
}

std::vector<std::string> tls_ca_files(const TlsPolicy& policy) {
  std::vector<std::string> files;
  std::set<std::string_view> seen;
  for (const auto& entry : policy.entries) {
    const std::string& file = entry.second.ca_file;
    if (!file.empty() && seen.insert(file).second) files.push_back(file);
  }
  return files;
}

}  // namespace qcell::remote
