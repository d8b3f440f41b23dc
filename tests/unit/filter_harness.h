// filter_harness.h — loads seccomp filters into a forked child and makes
// one syscall there: the shipped policies' filters, as the broker compiles
// them, judged by the kernel itself.
#pragma once

#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <array>
#include <initializer_list>
#include <string>

#include "qcell/policies.h"
#include "sandbox/linux/seccomp_filter.h"

namespace qcell {

// Forks, installs each of `programs` in order (stacked, as a zygote's child
// has them), makes syscall `number` with `arguments` (by default harmless
// ones: -1 and zeros), and exits 0 if it returned; the wait status.
inline int run_stacked(std::initializer_list<const sandbox::BpfProgram*> programs, long number,
                       std::array<long, 6> arguments = {-1L, 0L, 0L, 0L, 0L, 0L}) {
  pid_t pid = ::fork();
  if (pid == 0) {
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) ::_exit(90);
    for (const sandbox::BpfProgram* program : programs) {
      sock_fprog fprog = program->fprog();
      if (::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog) != 0) ::_exit(91);
    }
    // Arguments that make each call fail harmlessly if it is allowed.
    (void)::syscall(number, arguments[0], arguments[1], arguments[2], arguments[3], arguments[4], arguments[5]);
    // Straight to exit_group: _exit would let a sanitizer runtime make
    // calls (sigaltstack) the filter does not allow.
    ::syscall(SYS_exit_group, 0);
    ::_exit(0);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return status;
}

inline int run_filtered(const sandbox::BpfProgram& program, long number) { return run_stacked({&program}, number); }
inline int run_filtered(const sandbox::BpfProgram& program, long number, std::array<long, 6> arguments) {
  return run_stacked({&program}, number, arguments);
}

// The compiled spec of a shipped policy.
inline sandbox::CellSpec spec_of(const std::string& cell) {
  auto files = load_policies(QCELL_SOURCE_DIR "/policy");
  EXPECT_TRUE(files.ok());
  for (const PolicyFile& f : *files) {
    if (f.policy.cell != cell) continue;
    Installation installation{QCELL_SOURCE_DIR "/policy", QCELL_BINARY_DIR "/bin", "/nonexistent", "/var/qmail"};
    // A recipient's cell (qmail-local) is compiled per delivery: here for nobody.
    auto spec = f.policy.runs_as_recipient()
                    ? compile_recipient_policy(f.policy, installation, 65534, 65534, "/nonexistent")
                    : compile_policy(f.policy, installation);
    EXPECT_TRUE(spec.ok()) << (spec ? "" : spec.error());
    return spec ? std::move(spec.value()) : sandbox::CellSpec{};
  }
  ADD_FAILURE() << "no policy for " << cell;
  return {};
}

inline sandbox::BpfProgram filter_of(const std::string& cell) {
  auto program = sandbox::compile_filter(spec_of(cell).syscalls);
  EXPECT_TRUE(program.ok());
  return program ? std::move(program.value()) : sandbox::BpfProgram{};
}

}  // namespace qcell
