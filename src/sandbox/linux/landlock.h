// landlock.h — Landlock, the second filesystem wall beside the mount
// namespace: restricts the cell to the access its policy grants beneath each
// path, and (ABI 6+) scopes abstract Unix sockets and signals to the cell.
// Constants are defined here because Debian 12's kernel headers predate ABI 4.
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

// Applies the rules to the calling process (after no_new_privs). `scope_*`
// need ABI 6; `restrict_network` handles TCP bind/connect (ABI 4) with no
// rule allowing any, for cells without network. `program_fd` is the one
// file the cell may execute (its own program). Returns false and fills
// `failure` on error. Called in the child between clone and exec: no
// allocation.
bool apply_landlock(const std::vector<LandlockRule>& rules, bool scope_abstract_unix, bool scope_signal,
                    bool restrict_network, int abi, int program_fd, LandlockFailure& failure) noexcept;

}  // namespace qcell::sandbox
