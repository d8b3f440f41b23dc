// tcp_rules.cc (fuzz) — parses hostile bytes as control/tcp.smtp and traps
// when the result breaks the documented rules: bounded counts and sizes, valid
// variable names, rules in line order, sane address blocks; then matches
// probe addresses (each rule's edges, their neighbours, a few fixed ones and
// bytes of the input) and traps unless every matcher (binary, IPv4-mapped,
// textual) agrees, matching twice gives the same decision, the decision
// names an existing rule that covers the address, and no rule covering it
// ranks higher (or equally high and earlier) — checked against a separate,
// deliberately naive implementation here.
#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/tcp_rules.h"
#include "require.h"

using qcell_fuzz::require;

namespace {

using qcell::TcpClientAddress;
using qcell::TcpDecision;
using qcell::TcpFamily;
using qcell::TcpRule;
using qcell::TcpRules;
using qcell::TcpVerdict;
using Bytes = std::array<std::uint8_t, 16>;


// Probes per input: enough to touch every rule's edges in small files,
// bounded so that large files stay fast.
constexpr std::size_t max_probe_rules = 64;

bool is_mapped(const Bytes& bytes) {
  static constexpr std::array<std::uint8_t, 12> prefix = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  return std::equal(prefix.begin(), prefix.end(), bytes.begin());
}

std::size_t width(TcpFamily family) { return family == TcpFamily::ipv4 ? 4 : 16; }

// Bit i (0 = most significant) of an address.
bool bit(const Bytes& bytes, unsigned i) { return ((bytes[i / 8] >> (7 - i % 8)) & 1U) != 0; }

// Naive containment, bit by bit: the address lies between first and last,
// compared as big-endian numbers.
bool naive_covers(const TcpRule& rule, const TcpClientAddress& client) {
  if (rule.family == TcpFamily::any) return true;
  if (rule.family != client.family) return false;
  unsigned bits = static_cast<unsigned>(width(client.family)) * 8;
  int low = 0;   // sign of client - first, once decided
  int high = 0;  // sign of client - last, once decided
  for (unsigned i = 0; i < bits; ++i) {
    bool c = bit(client.bytes, i);
    if (low == 0 && c != bit(rule.first, i)) low = c ? 1 : -1;
    if (high == 0 && c != bit(rule.last, i)) high = c ? 1 : -1;
  }
  return low >= 0 && high <= 0;
}

std::size_t naive_best_line(const TcpRules& rules, const TcpClientAddress& client) {
  long best_rank = -1;
  std::size_t best_line = 0;
  for (const TcpRule& rule : rules.rules) {
    if (!naive_covers(rule, client)) continue;
    long rank = rule.family == TcpFamily::any ? 0 : static_cast<long>(rule.prefix_length) + 1;
    if (rank > best_rank) {
      best_rank = rank;
      best_line = rule.line;
    }
  }
  return best_line;
}

void check_rules(const TcpRules& rules, std::size_t line_count) {
  require(rules.rules.size() <= qcell::tcp_rules_limits::rules);
  std::size_t previous_line = 0;
  for (const TcpRule& rule : rules.rules) {
    require(rule.line > previous_line && rule.line <= line_count);
    previous_line = rule.line;
    switch (rule.family) {
      case TcpFamily::any: require(rule.prefix_length == 0 && rule.first == Bytes{} && rule.last == Bytes{}); break;
      case TcpFamily::ipv4:
        require(rule.prefix_length <= 32);
        require(std::all_of(rule.first.begin() + 4, rule.first.end(), [](std::uint8_t b) { return b == 0; }));
        require(std::all_of(rule.last.begin() + 4, rule.last.end(), [](std::uint8_t b) { return b == 0; }));
        break;
      case TcpFamily::ipv6:
        require(rule.prefix_length <= 128);
        require(!(rule.prefix_length >= 96 && is_mapped(rule.first)));
        break;
    }
    require(std::memcmp(rule.first.data(), rule.last.data(), 16) <= 0);
    // The block: first and last agree on the prefix, except that an IPv4
    // range differs within its last written octet; beyond the prefix, first
    // is all zeros and last all ones.
    unsigned bits = rule.family == TcpFamily::any ? 0 : static_cast<unsigned>(width(rule.family)) * 8;
    for (unsigned i = 0; i < bits; ++i) {
      if (i < rule.prefix_length) {
        if (bit(rule.first, i) != bit(rule.last, i)) {
          require(rule.family == TcpFamily::ipv4 && rule.prefix_length % 8 == 0 && i + 8 >= rule.prefix_length);
        }
      } else {
        require(!bit(rule.first, i) && bit(rule.last, i));
      }
    }
    require(rule.variables.size() <= qcell::tcp_rules_limits::variables);
    for (std::size_t i = 0; i < rule.variables.size(); ++i) {
      const auto& variable = rule.variables[i];
      require(!variable.name.empty());
      require(!(variable.name.front() >= '0' && variable.name.front() <= '9'));
      for (char c : variable.name) {
        require((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_');
      }
      require(variable.value.size() <= qcell::tcp_rules_limits::value);
      for (char c : variable.value) {
        auto byte = static_cast<unsigned char>(c);
        require(byte >= 0x20 || c == '\t');
        require(byte != 0x7f);
      }
      for (std::size_t j = 0; j < i; ++j) require(rule.variables[j].name != variable.name);
    }
  }
}

const TcpRule* rule_at_line(const TcpRules& rules, std::size_t line) {
  for (const TcpRule& rule : rules.rules) {
    if (rule.line == line) return &rule;
  }
  return nullptr;
}

void check_decision(const TcpRules& rules, const TcpClientAddress& client) {
  TcpDecision decision = qcell::match_tcp_rules(rules, client);
  require(decision == qcell::match_tcp_rules(rules, client));
  require(decision.line == naive_best_line(rules, client));
  if (decision.line == 0) {
    require(decision.verdict == TcpVerdict::no_rule && decision.variables.empty());
  } else {
    const TcpRule* rule = rule_at_line(rules, decision.line);
    require(rule != nullptr);
    require(naive_covers(*rule, client));
    require(decision.verdict == (rule->allow ? TcpVerdict::allow : TcpVerdict::deny));
    require(rule->allow ? decision.variables == rule->variables : decision.variables.empty());
  }

  std::array<char, INET6_ADDRSTRLEN> text{};
  if (client.family == TcpFamily::ipv4) {
    in_addr v4{};
    std::memcpy(&v4, client.bytes.data(), sizeof v4);
    require(qcell::match_tcp_rules(rules, v4) == decision);
    Bytes mapped_bytes = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    std::copy_n(client.bytes.begin(), 4, mapped_bytes.begin() + 12);
    in6_addr mapped{};
    std::memcpy(&mapped, mapped_bytes.data(), sizeof mapped);
    require(qcell::match_tcp_rules(rules, mapped) == decision);
    require(::inet_ntop(AF_INET, &v4, text.data(), text.size()) != nullptr);
    auto by_text = qcell::match_tcp_rules(rules, std::string_view(text.data()));
    require(by_text.has_value() && *by_text == decision);
    std::string mapped_text = "::ffff:" + std::string(text.data());
    auto by_mapped_text = qcell::match_tcp_rules(rules, mapped_text);
    require(by_mapped_text.has_value() && *by_mapped_text == decision);
  } else {
    in6_addr v6{};
    std::memcpy(&v6, client.bytes.data(), sizeof v6);
    require(qcell::match_tcp_rules(rules, v6) == decision);
    require(::inet_ntop(AF_INET6, &v6, text.data(), text.size()) != nullptr);
    auto by_text = qcell::match_tcp_rules(rules, std::string_view(text.data()));
    require(by_text.has_value() && *by_text == decision);
  }
}

TcpClientAddress make_client(TcpFamily family, Bytes bytes) {
  TcpClientAddress client;
  client.family = family;
  client.bytes = bytes;
  if (family == TcpFamily::ipv4) std::fill(client.bytes.begin() + 4, client.bytes.end(), std::uint8_t{0});
  if (family == TcpFamily::ipv6 && is_mapped(client.bytes)) client.bytes[0] = 0x20;  // keep it IPv6
  return client;
}

// The big-endian number one above or below (wrapping), in the family's width.
Bytes step(Bytes bytes, TcpFamily family, int direction) {
  for (std::size_t i = width(family); i-- > 0;) {
    if (direction > 0) {
      if (++bytes[i] != 0) break;
    } else {
      if (bytes[i]-- != 0) break;
    }
  }
  return bytes;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::span<const std::byte> input(reinterpret_cast<const std::byte*>(data), size);
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::size_t line_count = static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1;

  // Whatever the input, the textual client parser agrees with itself.
  std::string_view first_line = text.substr(0, text.find('\n'));
  auto client_from_text = qcell::parse_tcp_client_address(first_line);
  if (client_from_text) require(client_from_text->family != TcpFamily::any);

  auto parsed = qcell::parse_tcp_rules(input);
  if (!parsed) {
    const qcell::TcpRulesError& error = parsed.error();
    require(static_cast<std::size_t>(error.code) < qcell::tcp_rules_errors().size());
    require((error.line == 0) == (error.code == qcell::TcpRulesErrc::file_too_large));
    require(error.line <= line_count);
    std::string message = qcell::describe(error);
    require(message.rfind("control/tcp.smtp", 0) == 0);
    return 0;
  }
  const TcpRules& rules = *parsed;
  check_rules(rules, line_count);

  std::vector<TcpClientAddress> probes;
  probes.push_back(make_client(TcpFamily::ipv4, {127, 0, 0, 1}));
  probes.push_back(make_client(TcpFamily::ipv4, {}));
  probes.push_back(make_client(TcpFamily::ipv4, {255, 255, 255, 255}));
  probes.push_back(make_client(TcpFamily::ipv6, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}));
  probes.push_back(make_client(TcpFamily::ipv6, {0x20, 0x01, 0x0d, 0xb8}));
  if (client_from_text) probes.push_back(*client_from_text);
  Bytes from_input{};
  std::memcpy(from_input.data(), data, std::min(size, from_input.size()));
  probes.push_back(make_client(TcpFamily::ipv4, from_input));
  probes.push_back(make_client(TcpFamily::ipv6, from_input));
  std::size_t probed = 0;
  for (const TcpRule& rule : rules.rules) {
    if (rule.family == TcpFamily::any) continue;
    if (++probed > max_probe_rules) break;
    probes.push_back(make_client(rule.family, rule.first));
    probes.push_back(make_client(rule.family, rule.last));
    probes.push_back(make_client(rule.family, step(rule.first, rule.family, -1)));
    probes.push_back(make_client(rule.family, step(rule.last, rule.family, +1)));
  }
  for (const TcpClientAddress& client : probes) check_decision(rules, client);
  return 0;
}
