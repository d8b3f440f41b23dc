// listen_spec.cc (fuzz) — parses hostile bytes as a `--listen` argument and
// traps when an accepted one breaks its invariants: a valid cell name, a
// port in range, an address family that matches the brackets.
#include <netinet/in.h>

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/listen_spec.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto spec = qcell::parse_listen_spec(text);
  if (!spec) {
    if (qcell::describe(spec.error()).empty()) __builtin_trap();
    return 0;
  }
  if (spec->cell.empty() || spec->cell.size() > 64) __builtin_trap();
  if (text.size() > 128) __builtin_trap();
  bool v6 = spec->address.ss_family == AF_INET6;
  if (v6 != (spec->text.front() == '[')) __builtin_trap();
  if (spec->address_length != (v6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in))) __builtin_trap();
  const auto* port = v6 ? &reinterpret_cast<const sockaddr_in6*>(&spec->address)->sin6_port
                        : &reinterpret_cast<const sockaddr_in*>(&spec->address)->sin_port;
  if (*port == 0) __builtin_trap();
  return 0;
}
