// confine.h — self-confinement for the programs a caller runs (`lifetime
// caller` policies: qmail-inject, sendmail, qmail-qread, qmail-qstat, the
// qmail-queue front end). The broker never starts them, so each applies its
// own policy, compiled into it at build time (cmake/EmbedPolicy.cmake), at
// its confinement point: after it has opened by path everything it needs
// and before it reads the first byte of hostile input. docs/policy.md says
// what is applied and in which order.
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"

namespace qcell::sandbox {

// Applies `policy_text`, which must be a `lifetime caller` policy for
// `program`, to the calling (single-threaded) process: rlimits (never above
// the current hard limit), no_new_privs, Landlock with `$root` meaning
// `root` (skipped where the kernel has none), then the seccomp allowlist.
// On failure the process may be partly confined; the caller must exit.
// The error is one line: what failed and why.
Status<std::string> confine_self(std::string_view policy_text, std::string_view program, const std::string& root);

}  // namespace qcell::sandbox
