// listen_spec.cc — CELL@ADDRESS:PORT, with inet_pton for the address.
#include "core/listen_spec.h"

#include <arpa/inet.h>

#include <cstring>

namespace qcell {

std::string_view describe(ListenSpecError error) noexcept {
  switch (error) {
    case ListenSpecError::too_long: return "listen argument longer than 128 bytes";
    case ListenSpecError::missing_cell: return "listen argument has no CELL@ before the address";
    case ListenSpecError::bad_cell: return "listen cell name is not 1 to 64 of a-z, 0-9 and -";
    case ListenSpecError::missing_port: return "listen address has no :PORT";
    case ListenSpecError::bad_port: return "listen port is not a number from 1 to 65535";
    case ListenSpecError::bad_address: return "listen address is not an IPv4 address or a bracketed IPv6 address";
  }
  return "unknown listen argument error";
}

Result<ListenSpec, ListenSpecError> parse_listen_spec(std::string_view text) {
  if (text.size() > 128) return fail(ListenSpecError::too_long);
  std::size_t at = text.find('@');
  if (at == std::string_view::npos) return fail(ListenSpecError::missing_cell);
  std::string_view cell = text.substr(0, at);
  if (cell.empty() || cell.size() > 64 || cell.front() == '-') return fail(ListenSpecError::bad_cell);
  for (char c : cell) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return fail(ListenSpecError::bad_cell);
  }
  std::string_view rest = text.substr(at + 1);
  std::size_t colon = rest.rfind(':');
  if (colon == std::string_view::npos) return fail(ListenSpecError::missing_port);
  std::string_view host = rest.substr(0, colon);
  std::string_view port_text = rest.substr(colon + 1);
  if (port_text.empty() || port_text.size() > 5 || port_text.front() == '0') return fail(ListenSpecError::bad_port);
  unsigned port = 0;
  for (char c : port_text) {
    if (c < '0' || c > '9') return fail(ListenSpecError::bad_port);
    port = port * 10 + static_cast<unsigned>(c - '0');
  }
  if (port == 0 || port > 65535) return fail(ListenSpecError::bad_port);

  ListenSpec spec;
  spec.cell = std::string(cell);
  spec.text = std::string(rest);
  char buffer[64] = {};
  bool bracketed = host.size() >= 2 && host.front() == '[' && host.back() == ']';
  if (bracketed) host = host.substr(1, host.size() - 2);
  if (host.empty() || host.size() >= sizeof buffer) return fail(ListenSpecError::bad_address);
  std::memcpy(buffer, host.data(), host.size());
  if (bracketed) {
    sockaddr_in6 v6{};
    v6.sin6_family = AF_INET6;
    v6.sin6_port = htons(static_cast<std::uint16_t>(port));
    if (::inet_pton(AF_INET6, buffer, &v6.sin6_addr) != 1) return fail(ListenSpecError::bad_address);
    std::memcpy(&spec.address, &v6, sizeof v6);
    spec.address_length = sizeof v6;
  } else {
    sockaddr_in v4{};
    v4.sin_family = AF_INET;
    v4.sin_port = htons(static_cast<std::uint16_t>(port));
    if (::inet_pton(AF_INET, buffer, &v4.sin_addr) != 1) return fail(ListenSpecError::bad_address);
    std::memcpy(&spec.address, &v4, sizeof v4);
    spec.address_length = sizeof v4;
  }
  return spec;
}

}  // namespace qcell
