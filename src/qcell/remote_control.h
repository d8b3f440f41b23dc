// remote_control.h — what the broker works out for qmail-remote cells at
// start, because the cell cannot (it sees no file and may not list the
// host's interfaces): the extra snapshot entries (ipme, dnsservers and the
// CA certificates control/tlsdestinations names; control_snapshot.h) and
// the TCP ports its Landlock rules let it connect to beyond its policy's
// own (`landlock connect-tcp $control`: the ports control/smtproutes and
// the DNS servers name).
//
// Trust: control files and /etc/resolv.conf are the administrator's; they
// are parsed with the same strict parsers qmail-remote uses, and every
// error names the file and line.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/control_snapshot.h"
#include "core/fd.h"
#include "core/listen_spec.h"
#include "core/result.h"

namespace qcell {

struct RemoteControl {
  std::vector<SnapshotExtra> extras;
  std::vector<std::uint16_t> tcp_ports;
};

// Where the resolvers are read from when control/dnsservers is absent.
inline constexpr std::string_view resolv_conf_path = "/etc/resolv.conf";

// `listening`: the broker's listening addresses, which count as ours (a
// wildcard one adds nothing: every interface's address is ours anyway).
Result<RemoteControl, std::string> prepare_remote_control(const DirFd& control, std::span<const ListenSpec> listening,
                                                          const std::string& resolv_conf = std::string(resolv_conf_path));

// The nameserver lines of a resolv.conf's text, as control/dnsservers
// lines; link-local IPv6 servers with a zone ("%eth0") are skipped.
std::vector<std::string> resolv_conf_servers(std::string_view text);

}  // namespace qcell
