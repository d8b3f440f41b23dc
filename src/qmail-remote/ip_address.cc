// ip_address.cc — IP addresses and domain literals (ip_address.h). The
// parsing is core/tcp_rules.h's parse_tcp_client_address; this only maps
// its result to the socket families and strips the literal's brackets.
#include "qmail-remote/ip_address.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>

#include "core/ascii.h"
#include "core/tcp_rules.h"

namespace qcell::remote {

std::string IpAddress::text() const {
  std::array<char, INET6_ADDRSTRLEN> buffer{};
  if (family != AF_INET && family != AF_INET6) return {};
  if (::inet_ntop(family, bytes.data(), buffer.data(), buffer.size()) == nullptr) return {};
  return std::string(buffer.data());
}

IpAddress ipv4_address(std::span<const std::uint8_t, 4> bytes) noexcept {
  IpAddress address;
  address.family = AF_INET;
  std::copy(bytes.begin(), bytes.end(), address.bytes.begin());
  return address;
}

IpAddress ipv6_address(std::span<const std::uint8_t, 16> bytes) noexcept {
  static constexpr std::array<std::uint8_t, 12> mapped_prefix = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::equal(mapped_prefix.begin(), mapped_prefix.end(), bytes.begin())) {
    return ipv4_address(bytes.subspan<12, 4>());
  }
  IpAddress address;
  address.family = AF_INET6;
  std::copy(bytes.begin(), bytes.end(), address.bytes.begin());
  return address;
}

std::optional<IpAddress> parse_ip_address(std::string_view text) noexcept {
  auto client = parse_tcp_client_address(text);
  if (!client) return std::nullopt;
  IpAddress address;
  address.family = client->family == TcpFamily::ipv4 ? AF_INET : AF_INET6;
  address.bytes = client->bytes;
  return address;
}

std::optional<IpAddress> parse_address_literal(std::string_view text) noexcept {
  if (text.size() < 2 || text.front() != '[' || text.back() != ']') return std::nullopt;
  std::string_view inside = text.substr(1, text.size() - 2);
  constexpr std::string_view ipv6_tag = "IPv6:";
  bool tagged =
      inside.size() > ipv6_tag.size() && equals_ignoring_ascii_case(inside.substr(0, ipv6_tag.size()), ipv6_tag);
  if (tagged) inside.remove_prefix(ipv6_tag.size());
  // "[IPv6:1.2.3.4]" is not an IPv6 literal; "[1.2.3.4]" needs no tag.
  if (tagged && inside.find(':') == std::string_view::npos) return std::nullopt;
  return parse_ip_address(inside);
}

}  // namespace qcell::remote
