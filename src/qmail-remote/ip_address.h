// ip_address.h — the addresses qmail-remote connects to: parsing an IP
// address, and a domain literal ("[192.0.2.1]", "[IPv6:2001:db8::1]") as
// given for a recipient host or a relay in control/smtproutes.
//
// Hostile input: the text (a recipient's domain, a control file line) and,
// through ipv6_address(), the bytes of a DNS answer. The textual forms are
// the strict ones of parse_tcp_client_address (core/tcp_rules.h), which this
// reuses: dotted quads without leading zeros, IPv6 as inet_pton reads it (no
// zone ids, no prefixes). An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is
// always held as IPv4, so that comparing with our own addresses (ipme) and
// removing duplicates see one address, not two spellings of it.
#pragma once

#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace qcell::remote {

struct IpAddress {
  int family = 0;                        // AF_INET or AF_INET6 (0 only in a default-built value)
  std::array<std::uint8_t, 16> bytes{};  // network order; IPv4 in bytes 0..3, the rest zero
  // The inet_ntop form ("192.0.2.1", "2001:db8::1"); "" for family 0.
  std::string text() const;
  bool operator==(const IpAddress&) const = default;
};

IpAddress ipv4_address(std::span<const std::uint8_t, 4> bytes) noexcept;
// An IPv4-mapped address comes back as IPv4.
IpAddress ipv6_address(std::span<const std::uint8_t, 16> bytes) noexcept;

// A dotted quad or an IPv6 address, nothing else (no brackets, no spaces).
std::optional<IpAddress> parse_ip_address(std::string_view text) noexcept;

// A domain literal (RFC 5321 4.1.3): "[1.2.3.4]" or "[IPv6:2001:db8::1]"
// (the tag in any case), and also "[2001:db8::1]", the form qmail users
// write in smtproutes. General address literals ("[tag:...]") are refused.
std::optional<IpAddress> parse_address_literal(std::string_view text) noexcept;

}  // namespace qcell::remote
