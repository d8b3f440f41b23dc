// tcp_rules.cc — control/tcp.smtp: line checks, the ADDRESS forms, the
// instruction and its variables, and the most-specific-rule matcher.
// inet_pton reads IPv6 literals; IPv4 is read here, strictly (no leading
// zeros, which inet_aton would take as octal and tcpserver would never match).
#include "core/tcp_rules.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cstring>

#include "core/byte_buffer.h"
#include "core/enum_table.h"

namespace qcell {

namespace {

// clang-format off
constexpr TcpRulesErrorEntry error_entries[] = {
  {TcpRulesErrc::file_too_large, "file is larger than 1048576 bytes",
   "the file exceeds 1 MiB"},
  {TcpRulesErrc::line_too_long, "line is longer than 1024 bytes",
   "a line, after trimming trailing blanks and CR, exceeds 1024 bytes"},
  {TcpRulesErrc::control_byte, "NUL or control byte in line (only TAB is allowed)",
   "a byte below 0x20 other than TAB, or 0x7f, anywhere in a line (comments too)"},
  {TcpRulesErrc::too_many_rules, "more than 10000 rules",
   "the 10,001st rule"},
  {TcpRulesErrc::missing_instruction, "no :allow or :deny (followed by a comma or the end of the line)",
   "a line that is not a comment, not empty, and has no instruction; tcprules skipped lines without a colon"},
  {TcpRulesErrc::hostname_rule, "host-name rule (=name): qcell never looks up names, use addresses",
   "an ADDRESS starting with ="},
  {TcpRulesErrc::remote_info_rule, "ident rule (user@address): qcell never asks ident, use addresses",
   "an ADDRESS containing @"},
  {TcpRulesErrc::bad_ipv4_address,
   "bad IPv4 address (use a.b.c.d, a.b.c., a.b.c.d-e or a.b.c.d/n, without leading zeros)",
   "an octet above 255, with a leading zero, empty or not decimal; too many or too few octets; a range not in the last octet"},
  {TcpRulesErrc::bad_ipv6_address, "bad IPv6 address",
   "an ADDRESS with a colon that inet_pton does not accept (brackets, zone ids and prefixes ending in : are refused)"},
  {TcpRulesErrc::bad_prefix_length, "bad prefix length (/0 to /32 for IPv4, /0 to /128 for IPv6)",
   "a /n that is empty, not decimal, has a leading zero, or is too large"},
  {TcpRulesErrc::host_bits_set, "address has bits set beyond its prefix length (write the network address)",
   "192.0.2.1/24 instead of 192.0.2.0/24"},
  {TcpRulesErrc::backwards_range, "range runs backwards (its low end is above its high end)",
   "192.0.2.9-3"},
  {TcpRulesErrc::mapped_ipv6_rule,
   "IPv4-mapped IPv6 address: write the IPv4 form, which also matches ::ffff: clients",
   "an IPv6 rule inside ::ffff:0:0/96, which would never match"},
  {TcpRulesErrc::bad_variable_name, "bad variable name (use letters, digits and _, not starting with a digit)",
   "an empty name (a trailing comma), a name starting with a digit, or another character before ="},
  {TcpRulesErrc::missing_equals, "variable has no = and value",
   ",NAME alone; tcprules refused it too"},
  {TcpRulesErrc::unterminated_value, "value has no closing quote (the character after = is the quote)",
   "NAME= at the end of the line, or no second quote character"},
  {TcpRulesErrc::junk_after_value, "expected a comma or the end of the line after a value",
   "NAME=\"a\"b"},
  {TcpRulesErrc::too_many_variables, "more than 16 variables in one rule",
   "the 17th variable of a rule"},
  {TcpRulesErrc::value_too_long, "value is longer than 512 bytes",
   "a value over the limit (the longest SMTP reply line)"},
  {TcpRulesErrc::repeated_variable, "variable set twice in one rule",
   "the same NAME twice in one rule; tcpserver let the last one win"},
};
// clang-format on

static_assert(in_enum_order(error_entries, &TcpRulesErrorEntry::code));
static_assert(std::size(error_entries) == static_cast<std::size_t>(TcpRulesErrc::repeated_variable) + 1);

using Bytes = std::array<std::uint8_t, 16>;

bool is_trimmed_byte(char c) noexcept { return c == ' ' || c == '\t' || c == '\r'; }

bool is_control_byte(char c) noexcept {
  auto byte = static_cast<unsigned char>(c);
  return (byte < 0x20 && c != '\t') || byte == 0x7f;
}

bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

bool is_name_byte(char c) noexcept {
  return is_digit(c) || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

// Decimal without a leading zero (except "0" itself), at most `maximum`.
std::optional<unsigned> parse_small_decimal(std::string_view text, unsigned maximum) noexcept {
  if (text.empty() || text.size() > 3) return std::nullopt;
  if (text.size() > 1 && text.front() == '0') return std::nullopt;
  unsigned value = 0;
  for (char c : text) {
    if (!is_digit(c)) return std::nullopt;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (value > maximum) return std::nullopt;
  return value;
}

std::optional<std::uint8_t> parse_octet(std::string_view text) noexcept {
  auto value = parse_small_decimal(text, 255);
  if (!value) return std::nullopt;
  return static_cast<std::uint8_t>(*value);
}

// The bits of the byte that starts at bit `first_bit` lying at or beyond
// `prefix_length` (the host part of that byte).
std::uint8_t host_mask(unsigned first_bit, unsigned prefix_length) noexcept {
  if (first_bit + 8 <= prefix_length) return 0;
  if (first_bit >= prefix_length) return 0xff;
  return static_cast<std::uint8_t>(0xffU >> (prefix_length - first_bit));
}

bool host_bits_clear(const Bytes& network, unsigned prefix_length) noexcept {
  unsigned first_bit = 0;
  for (std::uint8_t byte : network) {
    if ((byte & host_mask(first_bit, prefix_length)) != 0) return false;
    first_bit += 8;
  }
  return true;
}

// `network` with every bit from `prefix_length` on set: the block's last address.
Bytes fill_host_bits(Bytes network, unsigned prefix_length) noexcept {
  unsigned first_bit = 0;
  for (std::uint8_t& byte : network) {
    byte = static_cast<std::uint8_t>(byte | host_mask(first_bit, prefix_length));
    first_bit += 8;
  }
  return network;
}

bool is_ipv4_mapped(const Bytes& bytes) noexcept {
  constexpr std::array<std::uint8_t, 12> mapped_prefix = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  return std::equal(mapped_prefix.begin(), mapped_prefix.end(), bytes.begin());
}

// An IPv4 address as a number, in bytes 0..3 (network order).
Bytes ipv4_bytes(std::uint32_t address) noexcept {
  Bytes bytes{};
  bytes[0] = static_cast<std::uint8_t>(address >> 24);
  bytes[1] = static_cast<std::uint8_t>(address >> 16);
  bytes[2] = static_cast<std::uint8_t>(address >> 8);
  bytes[3] = static_cast<std::uint8_t>(address);
  return bytes;
}

// One to four dotted octets ("192.0.2" of "192.0.2."), read as numbers with
// the first octet highest. The last octet may be a range "low-high"; `low`
// and `high` then differ in their last octet.
struct DottedIpv4 {
  std::uint32_t low = 0;
  std::uint32_t high = 0;
  unsigned octets = 0;
  bool has_range = false;
};

std::optional<DottedIpv4> read_dotted_ipv4(std::string_view text) noexcept {
  DottedIpv4 out;
  for (;;) {
    if (out.octets == 4) return std::nullopt;
    std::size_t dot = text.find('.');
    std::string_view part = text.substr(0, dot);
    bool is_last = dot == std::string_view::npos;
    std::size_t dash = is_last ? part.find('-') : std::string_view::npos;
    auto low = parse_octet(part.substr(0, dash));
    auto high = dash == std::string_view::npos ? low : parse_octet(part.substr(dash + 1));
    if (!low || !high) return std::nullopt;
    out.low = (out.low << 8) | std::uint32_t{*low};
    out.high = (out.high << 8) | std::uint32_t{*high};
    out.has_range = dash != std::string_view::npos;
    ++out.octets;
    if (is_last) return out;
    text.remove_prefix(dot + 1);
  }
}

// a.b.c.d/n
Status<TcpRulesErrc> parse_ipv4_cidr(std::string_view text, std::size_t slash, TcpRule& rule) {
  auto dotted = read_dotted_ipv4(text.substr(0, slash));
  if (!dotted || dotted->octets != 4 || dotted->has_range) return fail(TcpRulesErrc::bad_ipv4_address);
  auto prefix_length = parse_small_decimal(text.substr(slash + 1), 32);
  if (!prefix_length) return fail(TcpRulesErrc::bad_prefix_length);
  std::uint32_t host = *prefix_length == 0 ? ~std::uint32_t{0} : (std::uint32_t{1} << (32 - *prefix_length)) - 1;
  if ((dotted->low & host) != 0) return fail(TcpRulesErrc::host_bits_set);
  rule.family = TcpFamily::ipv4;
  rule.first = ipv4_bytes(dotted->low);
  rule.last = ipv4_bytes(dotted->low | host);
  rule.prefix_length = *prefix_length;
  return {};
}

// a.b.c.d, a.b.c. (a prefix of 1 to 3 octets), and either with a range
// "low-high" in its last octet (a.b.c.d-e, a.b-c.).
Status<TcpRulesErrc> parse_ipv4_dotted(std::string_view text, TcpRule& rule) {
  bool is_prefix = text.back() == '.';
  if (is_prefix) text.remove_suffix(1);
  auto dotted = read_dotted_ipv4(text);
  if (!dotted || (is_prefix ? dotted->octets > 3 : dotted->octets != 4)) {
    return fail(TcpRulesErrc::bad_ipv4_address);
  }
  if (dotted->low > dotted->high) return fail(TcpRulesErrc::backwards_range);
  unsigned host_bits = 32 - dotted->octets * 8;  // 0 to 24
  std::uint32_t host = (std::uint32_t{1} << host_bits) - 1;
  rule.family = TcpFamily::ipv4;
  rule.first = ipv4_bytes(dotted->low << host_bits);
  rule.last = ipv4_bytes((dotted->high << host_bits) | host);
  rule.prefix_length = dotted->octets * 8;
  return {};
}

Status<TcpRulesErrc> parse_ipv6(std::string_view text, TcpRule& rule) {
  std::size_t slash = text.find('/');
  std::string_view literal = text.substr(0, slash);
  std::array<char, INET6_ADDRSTRLEN> buffer{};
  if (literal.empty() || literal.size() >= buffer.size()) return fail(TcpRulesErrc::bad_ipv6_address);
  std::copy(literal.begin(), literal.end(), buffer.begin());
  Bytes network{};
  if (::inet_pton(AF_INET6, buffer.data(), network.data()) != 1) return fail(TcpRulesErrc::bad_ipv6_address);
  unsigned prefix_length = 128;
  if (slash != std::string_view::npos) {
    auto parsed = parse_small_decimal(text.substr(slash + 1), 128);
    if (!parsed) return fail(TcpRulesErrc::bad_prefix_length);
    prefix_length = *parsed;
  }
  if (prefix_length >= 96 && is_ipv4_mapped(network)) return fail(TcpRulesErrc::mapped_ipv6_rule);
  if (!host_bits_clear(network, prefix_length)) return fail(TcpRulesErrc::host_bits_set);
  rule.family = TcpFamily::ipv6;
  rule.first = network;
  rule.last = fill_host_bits(network, prefix_length);
  rule.prefix_length = prefix_length;
  return {};
}

Status<TcpRulesErrc> parse_address(std::string_view text, TcpRule& rule) {
  if (text.empty()) return {};  // the default rule: family any
  if (text.find('@') != std::string_view::npos) return fail(TcpRulesErrc::remote_info_rule);
  if (text.find(':') != std::string_view::npos) return parse_ipv6(text, rule);
  std::size_t slash = text.find('/');
  if (slash != std::string_view::npos) return parse_ipv4_cidr(text, slash, rule);
  return parse_ipv4_dotted(text, rule);
}

// The instruction is the first ":allow" or ":deny" followed by "," or the end
// of the line. No ADDRESS contains one (IPv6 digits are 0-9a-f), and values
// come after it, so a value holding ":allow" cannot move it.
struct Instruction {
  std::size_t colon = 0;  // where ADDRESS ends
  bool allow = false;
  std::string_view rest;  // empty, or starting with ','
};

std::optional<Instruction> find_instruction(std::string_view line) noexcept {
  std::size_t from = 0;
  for (;;) {
    std::size_t colon = line.find(':', from);
    if (colon == std::string_view::npos) return std::nullopt;
    std::string_view after = line.substr(colon + 1);
    for (std::string_view word : {std::string_view("allow"), std::string_view("deny")}) {
      if (after.substr(0, word.size()) != word) continue;
      std::string_view rest = after.substr(word.size());
      if (rest.empty() || rest.front() == ',') return Instruction{colon, word == "allow", rest};
    }
    from = colon + 1;
  }
}

// ,NAME=QvalueQ,... where Q is any character (the first after '=').
Status<TcpRulesErrc> parse_variables(std::string_view rest, TcpRule& rule) {
  while (!rest.empty()) {
    rest.remove_prefix(1);  // the ','
    std::size_t name_end = 0;
    while (name_end < rest.size() && is_name_byte(rest[name_end])) ++name_end;
    std::string_view name = rest.substr(0, name_end);
    rest.remove_prefix(name_end);
    if (name.empty() || is_digit(name.front())) return fail(TcpRulesErrc::bad_variable_name);
    if (rest.empty() || rest.front() == ',') return fail(TcpRulesErrc::missing_equals);
    if (rest.front() != '=') return fail(TcpRulesErrc::bad_variable_name);
    rest.remove_prefix(1);
    if (rest.empty()) return fail(TcpRulesErrc::unterminated_value);
    char quote = rest.front();
    rest.remove_prefix(1);
    std::size_t close = rest.find(quote);
    if (close == std::string_view::npos) return fail(TcpRulesErrc::unterminated_value);
    std::string_view value = rest.substr(0, close);
    rest.remove_prefix(close + 1);
    if (!rest.empty() && rest.front() != ',') return fail(TcpRulesErrc::junk_after_value);
    if (value.size() > tcp_rules_limits::value) return fail(TcpRulesErrc::value_too_long);
    for (const TcpVariable& seen : rule.variables) {
      if (seen.name == name) return fail(TcpRulesErrc::repeated_variable);
    }
    if (rule.variables.size() == tcp_rules_limits::variables) return fail(TcpRulesErrc::too_many_variables);
    rule.variables.push_back(TcpVariable{std::string(name), std::string(value)});
  }
  return {};
}

Result<TcpRule, TcpRulesErrc> parse_rule(std::string_view line) {
  TcpRule rule;
  // Before looking for the instruction: "=host" is refused for what it is,
  // with or without one.
  if (line.front() == '=') return fail(TcpRulesErrc::hostname_rule);
  auto instruction = find_instruction(line);
  if (!instruction) return fail(TcpRulesErrc::missing_instruction);
  if (auto status = parse_address(line.substr(0, instruction->colon), rule); !status) return fail(status.error());
  rule.allow = instruction->allow;
  if (auto status = parse_variables(instruction->rest, rule); !status) return fail(status.error());
  return rule;
}

// Rank of a rule that covers an address: the default rule lowest, then by
// prefix length.
unsigned rank(const TcpRule& rule) noexcept { return rule.family == TcpFamily::any ? 0 : rule.prefix_length + 1; }

bool covers(const TcpRule& rule, const TcpClientAddress& client) noexcept {
  if (rule.family == TcpFamily::any) return true;
  if (rule.family != client.family) return false;
  std::size_t size = client.family == TcpFamily::ipv4 ? 4 : 16;
  return std::memcmp(rule.first.data(), client.bytes.data(), size) <= 0 &&
         std::memcmp(client.bytes.data(), rule.last.data(), size) <= 0;
}

TcpClientAddress from_ipv6_bytes(const Bytes& bytes) noexcept {
  TcpClientAddress client;
  if (is_ipv4_mapped(bytes)) {
    client.family = TcpFamily::ipv4;
    std::copy_n(bytes.begin() + 12, 4, client.bytes.begin());
  } else {
    client.family = TcpFamily::ipv6;
    client.bytes = bytes;
  }
  return client;
}

}  // namespace

std::span<const TcpRulesErrorEntry> tcp_rules_errors() noexcept { return error_entries; }

std::string_view describe(TcpRulesErrc code) noexcept {
  for (const TcpRulesErrorEntry& entry : error_entries) {
    if (entry.code == code) return entry.text;
  }
  return "unknown tcp.smtp error";
}

std::string describe(const TcpRulesError& error) {
  std::string message(tcp_rules_file_name);
  if (error.line != 0) message += " line " + std::to_string(error.line);
  message += ": ";
  message += describe(error.code);
  return message;
}

Result<TcpRules, TcpRulesError> parse_tcp_rules(std::span<const std::byte> bytes) {
  if (bytes.size() > tcp_rules_limits::file) return fail(TcpRulesError{TcpRulesErrc::file_too_large, 0});
  std::string_view text = as_text(bytes);
  TcpRules out;
  std::size_t number = 0;
  while (!text.empty()) {
    ++number;
    std::size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    while (!line.empty() && is_trimmed_byte(line.back())) line.remove_suffix(1);
    if (line.size() > tcp_rules_limits::line) return fail(TcpRulesError{TcpRulesErrc::line_too_long, number});
    if (std::any_of(line.begin(), line.end(), is_control_byte)) {
      return fail(TcpRulesError{TcpRulesErrc::control_byte, number});
    }
    if (line.empty() || line.front() == '#') continue;
    if (out.rules.size() == tcp_rules_limits::rules) return fail(TcpRulesError{TcpRulesErrc::too_many_rules, number});
    auto rule = parse_rule(line);
    if (!rule) return fail(TcpRulesError{rule.error(), number});
    rule->line = number;
    out.rules.push_back(std::move(rule.value()));
  }
  return out;
}

TcpClientAddress tcp_client_address(const in_addr& address) noexcept {
  TcpClientAddress client;
  client.family = TcpFamily::ipv4;
  static_assert(sizeof address == 4);
  std::memcpy(client.bytes.data(), &address, sizeof address);
  return client;
}

TcpClientAddress tcp_client_address(const in6_addr& address) noexcept {
  static_assert(sizeof address == sizeof(Bytes));
  Bytes bytes{};
  std::memcpy(bytes.data(), &address, sizeof address);
  return from_ipv6_bytes(bytes);
}

std::optional<TcpClientAddress> tcp_client_address(const sockaddr_storage& address) noexcept {
  if (address.ss_family == AF_INET) {
    sockaddr_in v4{};
    std::memcpy(&v4, &address, sizeof v4);
    return tcp_client_address(v4.sin_addr);
  }
  if (address.ss_family == AF_INET6) {
    sockaddr_in6 v6{};
    std::memcpy(&v6, &address, sizeof v6);
    return tcp_client_address(v6.sin6_addr);
  }
  return std::nullopt;
}

std::optional<TcpClientAddress> parse_tcp_client_address(std::string_view text) noexcept {
  std::array<char, INET6_ADDRSTRLEN> buffer{};
  if (text.empty() || text.size() >= buffer.size()) return std::nullopt;
  if (text.find('\0') != std::string_view::npos) return std::nullopt;
  std::copy(text.begin(), text.end(), buffer.begin());
  Bytes bytes{};
  if (text.find(':') != std::string_view::npos) {
    if (::inet_pton(AF_INET6, buffer.data(), bytes.data()) != 1) return std::nullopt;
    return from_ipv6_bytes(bytes);
  }
  if (::inet_pton(AF_INET, buffer.data(), bytes.data()) != 1) return std::nullopt;
  TcpClientAddress client;
  client.family = TcpFamily::ipv4;
  client.bytes = bytes;
  return client;
}

TcpDecision match_tcp_rules(const TcpRules& rules, const TcpClientAddress& given) {
  // A hand-built IPv6 address may still be IPv4-mapped: hold it as IPv4.
  TcpClientAddress client = given.family == TcpFamily::ipv6 ? from_ipv6_bytes(given.bytes) : given;
  const TcpRule* best = nullptr;
  for (const TcpRule& rule : rules.rules) {
    if (!covers(rule, client)) continue;
    if (best == nullptr || rank(rule) > rank(*best)) best = &rule;
  }
  TcpDecision decision;
  if (best == nullptr) return decision;
  decision.line = best->line;
  decision.verdict = best->allow ? TcpVerdict::allow : TcpVerdict::deny;
  if (best->allow) decision.variables = best->variables;
  return decision;
}

TcpDecision match_tcp_rules(const TcpRules& rules, const in_addr& client) {
  return match_tcp_rules(rules, tcp_client_address(client));
}

TcpDecision match_tcp_rules(const TcpRules& rules, const in6_addr& client) {
  return match_tcp_rules(rules, tcp_client_address(client));
}

std::optional<TcpDecision> match_tcp_rules(const TcpRules& rules, std::string_view client) {
  auto address = parse_tcp_client_address(client);
  if (!address) return std::nullopt;
  return match_tcp_rules(rules, *address);
}

}  // namespace qcell
