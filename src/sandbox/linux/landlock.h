// landlock.h — Landlock, the second filesystem wall beside the mount
// namespace: restricts the cell to the access its policy grants beneath each
// path, and (ABI 6+) scopes abstract Unix sockets and signals to the cell.
// Constants are defined here (landlock.cc) because Debian 12's kernel headers
// predate ABI 4; TCP rules (ABI 4) allow connecting to single ports.
#pragma once

#include <cstdint>
#include <vector>

#include "sandbox/sandbox.h"

namespace qcell::sandbox {

// The Landlock ABI the kernel offers, 0 if none.
int landlock_abi() noexcept;

struct LandlockFailure {
  int sys_errno = 0;
  const char* what = "";
};

// Builds a ruleset from the rules, in the broker before the cell is cloned:
// the rule paths are opened in the broker's view of the filesystem, so a
// directory the cell reaches only through a granted descriptor (the queue)
// can be ruled too, and a view's paths name the same inodes. `scope_*` need
// ABI 6; `restrict_network` handles TCP bind and connect (ABI 4; ignored
// below it), with no bind allowed and a connect rule for each of
// `connect_tcp_ports` (none for cells without network). `program_fd` is the one file the
// cell may execute (its own program; -1: none). Returns the ruleset descriptor
// (close-on-exec), or -1 and fills `failure`.
int build_landlock_ruleset(const std::vector<LandlockRule>& rules, bool scope_abstract_unix, bool scope_signal,
                           bool restrict_network, const std::vector<std::uint16_t>& connect_tcp_ports, int abi,
                           int program_fd, LandlockFailure& failure) noexcept;

// Enforces a ruleset on the calling process (after no_new_privs). Called in
// the child between clone and exec: no allocation.
bool restrict_self(int ruleset_fd) noexcept;

}  // namespace qcell::sandbox
