// seccomp_filter.h — compiles a cell's syscall allowlist into a classic BPF
// program with libseccomp (default action: kill the process; a foreign
// architecture: kill the process). Compiled in the broker, loaded by the
// child as its last step before exec; unit tests evaluate the program.
#pragma once

#include <linux/filter.h>

#include <string>
#include <vector>

#include "core/result.h"
#include "sandbox/sandbox.h"

namespace qcell::sandbox {

// Descriptor numbers that only exist between clone and exec: the program to
// exec and the pipe that reports a failed step. A cell's RLIMIT_NOFILE must
// stay below both, so that after exec no descriptor can ever hold them and
// the two rules the filter adds for them are dead.
inline constexpr int exec_ruleset_fd = 1021;  // the Landlock ruleset, until it is enforced
inline constexpr int exec_program_fd = 1022;
inline constexpr int exec_report_fd = 1023;

struct BpfProgram {
  std::vector<sock_filter> instructions;
  [[nodiscard]] sock_fprog fprog() const {
    return {static_cast<unsigned short>(instructions.size()), const_cast<sock_filter*>(instructions.data())};
  }
};

struct FilterError {
  int syscall = -1;  // the rule that libseccomp refused, or -1
  int sys_errno = 0;
  std::string detail;
};

// `exec_window`: add the rules of the exec window (a cell's, before its
// exec); a program that confines itself has none, as its caller's
// descriptors could hold any number.
Result<BpfProgram, FilterError> compile_filter(const std::vector<SyscallRule>& rules, bool exec_window = true);

}  // namespace qcell::sandbox
