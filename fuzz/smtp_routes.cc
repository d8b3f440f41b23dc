// smtp_routes.cc (fuzz) — hostile bytes as control/smtproutes, read into
// lines by parse_control_list (the one control-file reader). An error
// names a line that exists and is printable text; a parsed file has unique
// lowercased keys that parse back to themselves, relays that are host names
// or address literals, ports from 1; and find_smtp_route agrees, for probe
// domains (each key, a subdomain of it, the first line), with a naive copy
// of qmail-remote.c's loop over constmap.
#include <sys/socket.h>

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
#include "qmail-remote/ip_address.h"
#include "qmail-remote/smtp_routes.h"
#include "require.h"

using qcell::remote::SmtpRoute;
using qcell::remote::SmtpRoutes;
using qcell_fuzz::printable;
using qcell_fuzz::require;

namespace {

// Lookups per input: every key's, bounded to stay fast.
constexpr std::size_t max_probes = 64;

// qmail-remote.c: for (i = 0; i <= len; ++i) if (i == 0 || i == len || host[i] == '.') constmap(host + i).
std::optional<SmtpRoute> naive_find(const SmtpRoutes& routes, std::string_view domain) {
  for (std::size_t i = 0; i <= domain.size(); ++i) {
    if (i != 0 && i != domain.size() && domain[i] != '.') continue;
    for (const auto& [key, route] : routes.entries) {
      if (qcell::equals_ignoring_ascii_case(key, domain.substr(i))) return route;
    }
  }
  return std::nullopt;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // The lines as the one control-file reader gives them (trimmed, no empty
  // lines or comments).
  auto list = qcell::parse_control_list(std::span(reinterpret_cast<const std::byte*>(data), size));
  if (!list) return 0;
  const std::vector<std::string>& lines = *list;
  auto parsed = qcell::remote::parse_smtp_routes(lines);
  if (!parsed) {
    require(parsed.error().line >= 1 && parsed.error().line <= lines.size());
    require(!parsed.error().text.empty() && printable(parsed.error().text));
    require(qcell::remote::describe(qcell::remote::smtp_routes_file_name, parsed.error())
                .rfind("control/smtproutes line ", 0) == 0);
    return 0;
  }
  const SmtpRoutes& routes = *parsed;
  require(routes.entries.size() == lines.size());
  std::set<std::string> keys;
  for (const auto& [key, route] : routes.entries) {
    require(keys.insert(key).second);
    require(key == qcell::ascii_lower(key));
    auto again = qcell::remote::parse_route_key(key);
    require(again.ok() && *again == key);
    require(route.relay.empty() || qcell::remote::is_host_name(route.relay) ||
            qcell::remote::parse_address_literal(route.relay).has_value());
    require(route.port >= 1);
    require(!route.relay.empty() || route.port == 25);
  }

  std::vector<std::string> probes = {lines.empty() ? std::string() : lines.front(), "", "example.com",
                                     "a.b.example.com"};
  for (const auto& entry : routes.entries) {
    if (probes.size() >= max_probes) break;
    probes.push_back(entry.first);
    probes.push_back("x" + (entry.first.empty() || entry.first.front() == '.' ? entry.first : "." + entry.first));
  }
  for (const std::string& probe : probes) {
    auto found = qcell::remote::find_smtp_route(routes, probe);
    require(found == naive_find(routes, probe));
    std::string upper = probe;
    for (char& c : upper) {
      if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    }
    require(qcell::remote::find_smtp_route(routes, upper) == found);
  }
  for (const auto& [key, route] : routes.entries) {
    if (key.empty() || key.front() != '.') {
      auto exact = qcell::remote::find_smtp_route(routes, key);
      require(exact.has_value() && *exact == route);
    }
  }
  return 0;
}
