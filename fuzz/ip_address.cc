// ip_address.cc (fuzz) — hostile text as an IP address and as a domain
// literal: every accepted address has a socket family, IPv4 leaves bytes
// 4..15 zero, no IPv4-mapped address stays IPv6, text() parses back to the
// same address, and the bracketed forms of that text parse to it too.
#include <arpa/inet.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "qmail-remote/ip_address.h"
#include "require.h"

using qcell::remote::IpAddress;
using qcell_fuzz::require;

namespace {

void check(const IpAddress& address) {
  require(address.family == AF_INET || address.family == AF_INET6);
  if (address.family == AF_INET) {
    require(std::all_of(address.bytes.begin() + 4, address.bytes.end(), [](std::uint8_t b) { return b == 0; }));
  } else {
    static constexpr std::uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    require(!std::equal(std::begin(mapped), std::end(mapped), address.bytes.begin()));
  }
  std::string text = address.text();
  require(!text.empty());
  auto again = qcell::remote::parse_ip_address(text);
  require(again.has_value() && *again == address);
  auto literal =
      qcell::remote::parse_address_literal(address.family == AF_INET ? "[" + text + "]" : "[IPv6:" + text + "]");
  require(literal.has_value() && *literal == address);
  if (address.family == AF_INET6) {
    auto untagged = qcell::remote::parse_address_literal("[" + text + "]");
    require(untagged.has_value() && *untagged == address);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto address = qcell::remote::parse_ip_address(text);
  if (address) {
    check(*address);
    require(text.find('[') == std::string_view::npos);
  }
  auto literal = qcell::remote::parse_address_literal(text);
  if (literal) {
    check(*literal);
    require(text.size() >= 2 && text.front() == '[' && text.back() == ']');
  }
  return 0;
}
