// tls_policy.cc (fuzz) — hostile bytes as control/tlsdestinations, read
// into lines by parse_control_list (the one control-file reader). An error
// names an existing line and is printable; a parsed policy has unique keys,
// a CA file only with verify and always a plain absolute path; the lookup
// agrees with a naive copy of qmail-remote.c's loop, defaults to may, and
// control/tlsrequired raises exactly none and may to encrypt; the CA file
// list is the distinct non-empty files.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/ascii.h"
#include "core/control.h"
#include "qmail-remote/tls_policy.h"
#include "require.h"

using qcell::remote::TlsDestination;
using qcell::remote::TlsLevel;
using qcell::remote::TlsPolicy;
using qcell_fuzz::printable;
using qcell_fuzz::require;

namespace {

constexpr std::size_t max_probes = 64;

TlsDestination naive_find(const TlsPolicy& policy, std::string_view domain) {
  for (std::size_t i = 0; i <= domain.size(); ++i) {
    if (i != 0 && i != domain.size() && domain[i] != '.') continue;
    for (const auto& [key, destination] : policy.entries) {
      if (qcell::equals_ignoring_ascii_case(key, domain.substr(i))) return destination;
    }
  }
  return TlsDestination{};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // The lines as the one control-file reader gives them (trimmed, no empty
  // lines or comments).
  auto list = qcell::parse_control_list(std::span(reinterpret_cast<const std::byte*>(data), size));
  if (!list) return 0;
  const std::vector<std::string>& lines = *list;
  auto parsed = qcell::remote::parse_tls_policy(lines);
  if (!parsed) {
    require(parsed.error().line >= 1 && parsed.error().line <= lines.size());
    require(!parsed.error().text.empty() && printable(parsed.error().text));
    return 0;
  }
  const TlsPolicy& policy = *parsed;
  require(policy.entries.size() == lines.size());
  std::set<std::string> keys;
  std::set<std::string> files;
  for (const auto& [key, destination] : policy.entries) {
    require(keys.insert(key).second);
    require(key == qcell::ascii_lower(key));
    require(static_cast<std::size_t>(destination.level) <= static_cast<std::size_t>(TlsLevel::verify));
    if (!destination.ca_file.empty()) {
      require(destination.level == TlsLevel::verify);
      require(destination.ca_file.front() == '/' && destination.ca_file.back() != '/');
      require(destination.ca_file.find("//") == std::string::npos);
      require(destination.ca_file.find("/./") == std::string::npos &&
              destination.ca_file.find("/../") == std::string::npos);
      files.insert(destination.ca_file);
    }
  }
  std::vector<std::string> ca_files = qcell::remote::tls_ca_files(policy);
  require(ca_files.size() == files.size());
  require(std::set<std::string>(ca_files.begin(), ca_files.end()) == files);

  std::vector<std::string> probes = {lines.empty() ? std::string() : lines.front(), "", "example.com"};
  for (const auto& entry : policy.entries) {
    if (probes.size() >= max_probes) break;
    probes.push_back(entry.first);
    probes.push_back("x" + (entry.first.empty() || entry.first.front() == '.' ? entry.first : "." + entry.first));
  }
  for (const std::string& probe : probes) {
    TlsDestination found = qcell::remote::find_tls_destination(policy, probe, false);
    require(found == naive_find(policy, probe));
    TlsDestination required = qcell::remote::find_tls_destination(policy, probe, true);
    require(required.ca_file == found.ca_file);
    if (found.level == TlsLevel::none || found.level == TlsLevel::may) {
      require(required.level == TlsLevel::encrypt);
    } else {
      require(required.level == found.level);
    }
    require(!qcell::remote::tls_level_name(found.level).empty());
  }
  return 0;
}
