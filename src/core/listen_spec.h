// listen_spec.h — parses the broker's `--listen CELL@ADDRESS:PORT` argument:
// which cell serves connections on which address. IPv4 as 127.0.0.1:2525,
// IPv6 in brackets as [::1]:2525. The argument comes from the administrator's
// command line; it is still parsed strictly (no host names: nothing is
// resolved) and bounded.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

namespace qcell {

struct ListenSpec {
  std::string cell;
  sockaddr_storage address{};
  socklen_t address_length = 0;
  std::string text;  // ADDRESS:PORT as given, for logs
};

enum class ListenSpecError {
  too_long,      // more than 128 bytes
  missing_cell,  // no "CELL@"
  bad_cell,      // the cell name is not [a-z0-9-]{1,64} (policy names)
  missing_port,  // no ":PORT"
  bad_port,      // not 1..65535 in decimal without leading zeros
  bad_address,   // not an IPv4 or bracketed IPv6 literal
};

std::string_view describe(ListenSpecError error) noexcept;

Result<ListenSpec, ListenSpecError> parse_listen_spec(std::string_view text);

}  // namespace qcell
