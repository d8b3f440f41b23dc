// tcp_rules.h — control/tcp.smtp, the SMTP access file in the tcprules style
// of ucspi-tcp: which client addresses may connect, and which environment
// variables (notably RELAYCLIENT) their qmail-smtpd cell gets. A pure parser
// and a matcher; docs/smtpd-access.md describes the format.
//
// Hostile input: the file's bytes. The administrator writes the file, but
// the broker reads it as root and a rule decides who may relay, so it is
// parsed strictly: bounded size, lines, rules and values; no NUL or control
// bytes; every address checked; anything tcpserver would ignore or could
// only resolve with DNS or ident (host-name and user@ rules) is refused
// with a precise error and the line number, never skipped. The client
// address given to the matcher comes from accept(), or from a caller that
// must still be parsed (parse_tcp_client_address).
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace qcell {

// The name used in error messages (the file lives in the control directory).
inline constexpr std::string_view tcp_rules_file_name = "control/tcp.smtp";

// Bounds of the format. They bound the parser's memory (about the file size
// again) and the matcher's work per connection (one pass over the rules).
namespace tcp_rules_limits {
// The whole file, as control files (limits::control_file): a site with more
// addresses than fit in 1 MiB of rules wants a firewall, not this file.
inline constexpr std::size_t file = std::size_t{1024} * 1024;
// Rules: the matcher scans them all for every connection; 10,000 take a few
// microseconds and exceed any hand-written tcp.smtp.
inline constexpr std::size_t rules = 10000;
// One line after trimming, as control files (limits::control_line).
inline constexpr std::size_t line = 1024;
// Variables in one rule: qmail-smtpd reads a handful (RELAYCLIENT,
// DATABYTES, RBLSMTPD, ...); more is a mistake, and each one is copied into
// a cell's environment.
inline constexpr std::size_t variables = 16;
// One value: the longest reply line SMTP allows (RFC 5321 4.5.3.1.5: 512
// bytes), the longest thing a value carries (an RBLSMTPD or greeting text).
// Shorter than a line, so that exceeding it is its own error.
inline constexpr std::size_t value = 512;
}  // namespace tcp_rules_limits

enum class TcpRulesErrc : std::uint8_t {
  file_too_large,       // more than tcp_rules_limits::file bytes
  line_too_long,        // a trimmed line longer than tcp_rules_limits::line
  control_byte,         // NUL or another control byte except TAB in a line
  too_many_rules,       // more than tcp_rules_limits::rules rules
  missing_instruction,  // no ":allow" or ":deny" followed by "," or the end
  hostname_rule,        // "=host" or "=.domain": needs reverse DNS
  remote_info_rule,     // "user@address": needs an ident (RFC 1413) lookup
  bad_ipv4_address,     // not a.b.c.d, a.b.c., a.b.c.d-e, a.b.c-d. or a.b.c.d/n
  bad_ipv6_address,     // not an IPv6 literal inet_pton accepts
  bad_prefix_length,    // /n not decimal, or above 32 (IPv4) or 128 (IPv6)
  host_bits_set,        // a.b.c.d/n with bits set beyond n
  backwards_range,      // a range whose low end is above its high end
  mapped_ipv6_rule,     // ::ffff:a.b.c.d[/n>=96]: write the IPv4 form
  bad_variable_name,    // not [A-Za-z_][A-Za-z0-9_]*
  missing_equals,       // ",NAME" without "="
  unterminated_value,   // "NAME=" at the end, or no closing quote
  junk_after_value,     // something other than "," or the end after a value
  too_many_variables,   // more than tcp_rules_limits::variables in one rule
  value_too_long,       // a value longer than tcp_rules_limits::value
  repeated_variable,    // the same name twice in one rule
};

struct TcpRulesError {
  TcpRulesErrc code = TcpRulesErrc::file_too_large;
  std::size_t line = 0;  // 1-based line number; 0 for file_too_large
};

// The table of errors, in enum order: the message text and, for the
// documentation, the cause. docs/smtpd-access.md is tested against it.
struct TcpRulesErrorEntry {
  TcpRulesErrc code;
  std::string_view text;
  std::string_view cause;
};
std::span<const TcpRulesErrorEntry> tcp_rules_errors() noexcept;

std::string_view describe(TcpRulesErrc code) noexcept;
// "control/tcp.smtp line 3: bad IPv4 address ..." (no line part when line is 0).
std::string describe(const TcpRulesError& error);

enum class TcpFamily : std::uint8_t {
  any,   // only the default rule (empty ADDRESS): matches every client
  ipv4,  // bytes 0..3 of an address are used
  ipv6,  // all 16 bytes; never an IPv4-mapped address
};

struct TcpVariable {
  std::string name;
  std::string value;
  bool operator==(const TcpVariable&) const = default;
};

struct TcpRule {
  std::size_t line = 0;  // 1-based line in the file
  TcpFamily family = TcpFamily::any;
  // The addresses the rule covers, first..last inclusive, in network byte
  // order (IPv4 in bytes 0..3, the rest zero). A prefix or CIDR covers a
  // block; a range covers consecutive blocks of the same size.
  std::array<std::uint8_t, 16> first{};
  std::array<std::uint8_t, 16> last{};
  // Prefix length in bits: 32 or 128 for an exact address, 24 for "a.b.c."
  // or "a.b.c.0/24", 32 for each address of "a.b.c.d-e", 16 for "a.b-c.".
  // 0 for the default rule (which ranks below a /0: see match_tcp_rules).
  unsigned prefix_length = 0;
  bool allow = false;
  std::vector<TcpVariable> variables;  // in file order, names unique
};

struct TcpRules {
  std::vector<TcpRule> rules;  // in file order
};

// Parses the bytes of control/tcp.smtp. Stops at the first error.
Result<TcpRules, TcpRulesError> parse_tcp_rules(std::span<const std::byte> text);

// A connecting client's address. An IPv4-mapped IPv6 address
// (::ffff:a.b.c.d) is always held as IPv4, so that IPv4 rules match it.
struct TcpClientAddress {
  TcpFamily family = TcpFamily::ipv4;  // ipv4 or ipv6, never any
  std::array<std::uint8_t, 16> bytes{};
  bool operator==(const TcpClientAddress&) const = default;
};

TcpClientAddress tcp_client_address(const in_addr& address) noexcept;
TcpClientAddress tcp_client_address(const in6_addr& address) noexcept;
// nullopt unless the family is AF_INET or AF_INET6.
std::optional<TcpClientAddress> tcp_client_address(const sockaddr_storage& address) noexcept;
// An IPv4 dotted quad or an IPv6 literal (inet_pton); nullopt for anything else.
std::optional<TcpClientAddress> parse_tcp_client_address(std::string_view text) noexcept;

enum class TcpVerdict : std::uint8_t {
  no_rule,  // no rule matched: the caller decides (the broker allows, without variables)
  allow,
  deny,
};

struct TcpDecision {
  TcpVerdict verdict = TcpVerdict::no_rule;
  std::size_t line = 0;                // the matching rule's line; 0 with no_rule
  std::vector<TcpVariable> variables;  // the rule's variables; empty unless allow
  bool operator==(const TcpDecision&) const = default;
};

// The most specific rule that covers the address wins: the longest prefix
// (a range counts as the prefix of each address it lists), then the first
// in the file; the default rule only when nothing else covers the address.
// IPv6 rules never match IPv4 clients (mapped or not), nor IPv4 rules IPv6.
TcpDecision match_tcp_rules(const TcpRules& rules, const TcpClientAddress& client);
TcpDecision match_tcp_rules(const TcpRules& rules, const in_addr& client);
TcpDecision match_tcp_rules(const TcpRules& rules, const in6_addr& client);
// nullopt when the text is not an address (see parse_tcp_client_address).
std::optional<TcpDecision> match_tcp_rules(const TcpRules& rules, std::string_view client);

}  // namespace qcell
