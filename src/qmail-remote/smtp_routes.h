// smtp_routes.h — control/smtproutes, qmail's static routes: which relay
// (and port) takes the mail for a recipient domain instead of its MX hosts.
// A pure parser and the lookup of qmail-remote.c; docs/remote.md describes
// the format. The key syntax and the lookup order are shared with
// control/tlsdestinations (tls_policy.h).
//
// Hostile input: the lines (the administrator writes them, but a route
// decides where mail goes, so they are parsed strictly: every domain, relay
// and port checked, duplicates refused, each error a sentence with the line
// number; nothing is skipped) and the domain looked up (a recipient's).
// Text quoted in an error is made printable (\xNN) and cut short.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"

namespace qcell::remote {

inline constexpr std::string_view smtp_routes_file_name = "control/smtproutes";

namespace route_limits {
// Entries in one file: the lookup scans them for each suffix of the domain,
// once per delivery; 10,000 (as control/tcp.smtp's rules) exceeds any
// hand-written file, and a site with more routes wants MX records.
inline constexpr std::size_t entries = 10000;
// One line, as control files (limits::control_line); checked again here
// because the parser may be given lines from elsewhere (tests, fuzzing).
inline constexpr std::size_t line = 1024;
// A domain name (RFC 1035 2.3.4: 255 octets on the wire, 253 as text).
inline constexpr std::size_t domain = 253;
// One label of a domain name (RFC 1035 2.3.4).
inline constexpr std::size_t label = 63;
// Quoted text in an error message, before it is cut with "...".
inline constexpr std::size_t quote = 64;
}  // namespace route_limits

struct SmtpRoute {
  std::string relay;  // "" = look up the MX of the domain; else a host name or an address literal ("[192.0.2.1]")
  std::uint16_t port = 25;
  bool operator==(const SmtpRoute&) const = default;
};

struct SmtpRoutes {
  // In file order; keys lowercased: "example.com", ".example.com" or "" (the catch-all). Keys are unique.
  std::vector<std::pair<std::string, SmtpRoute>> entries;
};

struct RouteError {
  std::size_t line = 0;  // 1-based index into the lines given
  std::string text;      // one sentence, e.g. "port '99999' is not a number from 1 to 65535"
};

// "control/smtproutes line 3: port '99999' is not a number from 1 to 65535".
std::string describe(std::string_view file_name, const RouteError& error);

// Parses the lines of control/smtproutes as parse_control_list gives them
// (trimmed; empty lines and '#' comments already gone). Stops at the first error.
Result<SmtpRoutes, RouteError> parse_smtp_routes(std::span<const std::string> lines);

// The route for a recipient domain, looked up as qmail-remote.c does: the
// whole domain, then each suffix starting at a '.' ("a.b.example" tries
// ".b.example", then ".example"), then the catch-all ""; ASCII case is
// ignored. nullopt: no entry matched. A route whose relay is "" means: use MX.
std::optional<SmtpRoute> find_smtp_route(const SmtpRoutes& routes, std::string_view domain);

// --- shared with control/tlsdestinations ------------------------------------------------

// The key of a line and the rest after its ':' separator. The key ends at
// the first ':', except that a key starting with '[' (an address literal,
// "[IPv6:2001:db8::1]") ends after its ']'. Error text when there is no ':'
// (`example` completes the sentence: "write domain:relay").
Result<std::pair<std::string_view, std::string_view>, std::string> split_route_line(std::string_view line,
                                                                                    std::string_view example);

// Checks a key and returns it lowercased: "" (the catch-all), a domain name,
// "." and a domain name (every subdomain), or an address literal. Domain
// names are ASCII labels of letters, digits, '-' and '_' (write an
// internationalised name in its xn-- form).
Result<std::string, std::string> parse_route_key(std::string_view key);

// Whether text is a host name as parse_route_key takes a domain name.
bool is_host_name(std::string_view text) noexcept;

// Checks a whole line before its fields are parsed: its length and its bytes
// (no control bytes, TAB included).
std::optional<std::string> check_route_line(std::string_view line);

// The keys to try for a domain, in lookup order, lowercased: the domain,
// its suffixes from each '.', and "".
std::vector<std::string> route_lookup_keys(std::string_view domain);

// Printable, bounded text for an error message: "'...'" with bytes outside
// 0x20..0x7e as \xNN and long text cut with "...".
std::string quote_for_error(std::string_view text);

// The error sentence for a key listed twice.
std::string repeated_key_error(std::string_view key, std::size_t first_line);

// The entries of a "key:value" file (smtproutes, tlsdestinations), in file
// order: each line checked, split and keyed as above, its value read by
// `read_value` (std::string_view -> Result<T, std::string>); a key listed
// twice, and more than route_limits::entries lines, are refused. Fuzzed
// through both files' harnesses (fuzz/smtp_routes.cc, fuzz/tls_policy.cc).
template <class T, class ReadValue>
Result<std::vector<std::pair<std::string, T>>, RouteError> read_keyed_lines(std::span<const std::string> lines,
                                                                             std::string_view example,
                                                                             ReadValue read_value) {
  std::vector<std::pair<std::string, T>> entries;
  std::map<std::string, std::size_t, std::less<>> first_line;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    std::size_t number = i + 1;
    auto failure = [number](std::string text) { return fail(RouteError{number, std::move(text)}); };
    if (auto error = check_route_line(lines[i])) return failure(*error);
    if (entries.size() == route_limits::entries) {
      return failure("more than " + std::to_string(route_limits::entries) + " entries");
    }
    auto split = split_route_line(lines[i], example);
    if (!split) return failure(split.error());
    auto key = parse_route_key(split->first);
    if (!key) return failure(key.error());
    auto value = read_value(split->second);
    if (!value) return failure(value.error());
    auto [seen, inserted] = first_line.emplace(*key, number);
    if (!inserted) return failure(repeated_key_error(*key, seen->second));
    entries.emplace_back(std::move(*key), std::move(*value));
  }
  return entries;
}

// The value of the first key of route_lookup_keys(domain) that has an
// entry, or null.
template <class T>
const T* find_keyed(const std::vector<std::pair<std::string, T>>& entries, std::string_view domain) {
  for (const std::string& key : route_lookup_keys(domain)) {
    for (const auto& [entry_key, value] : entries) {
      if (entry_key == key) return &value;
    }
  }
  return nullptr;
}

}  // namespace qcell::remote
