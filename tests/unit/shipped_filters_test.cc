// shipped_filters_test.cc — every shipped policy's syscall allowlist, as the
// broker compiles it, loaded into a forked child: a syscall outside the
// policy kills the child with SIGSYS, and one inside it is allowed. This is
// the filter the broker installs last before a cell's exec
// (src/sandbox/linux/spawn.cc); the cells' own tests show it is installed.
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <csignal>
#include <string>

#include "qcell/policies.h"
#include "sandbox/linux/seccomp_filter.h"

namespace qcell {
namespace {

// Forks, installs `program`, makes syscall `number` with harmless
// arguments, and exits 0 if it returned; the wait status.
int run_filtered(const sandbox::BpfProgram& program, long number) {
  pid_t pid = ::fork();
  if (pid == 0) {
    sock_fprog fprog = program.fprog();
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) ::_exit(90);
    if (::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog) != 0) ::_exit(91);
    // Arguments that make each call fail harmlessly if it is allowed.
    (void)::syscall(number, -1L, 0L, 0L, 0L, 0L, 0L);
    // Straight to exit_group: _exit would let a sanitizer runtime make
    // calls (sigaltstack) the filter does not allow.
    ::syscall(SYS_exit_group, 0);
    ::_exit(0);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return status;
}

sandbox::BpfProgram filter_of(const std::string& cell) {
  auto files = load_policies(QCELL_SOURCE_DIR "/policy");
  EXPECT_TRUE(files.ok());
  for (const PolicyFile& f : *files) {
    if (f.policy.cell != cell) continue;
    Installation installation{QCELL_SOURCE_DIR "/policy", QCELL_BINARY_DIR "/bin", "/nonexistent", "/var/qmail"};
    auto spec = compile_policy(f.policy, installation);
    EXPECT_TRUE(spec.ok()) << (spec ? "" : spec.error());
    auto program = sandbox::compile_filter(spec->syscalls);
    EXPECT_TRUE(program.ok());
    return std::move(program.value());
  }
  ADD_FAILURE() << "no policy for " << cell;
  return {};
}

TEST(ShippedFilters, QueueCellDiesOnSyscallsOutsideItsPolicy) {
  sandbox::BpfProgram program = filter_of("qmail-queue");
  // Each kill writes a kernel audit record, and the kernel rate-limits
  // them: a few calls, so that the containment tests still find theirs.
  for (long forbidden : {long{SYS_socket}, long{SYS_execve}, long{SYS_ptrace}}) {
    int status = run_filtered(program, forbidden);
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS) << "syscall " << forbidden << " status " << status;
  }
  for (long allowed : {long{SYS_fsync}, long{SYS_linkat}, long{SYS_getrandom}, long{SYS_close}}) {
    int status = run_filtered(program, allowed);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "syscall " << allowed << " status " << status;
  }
}

// qmail-smtpd reads hostile bytes all day: it must not open a file, make a
// socket or connect, or start a program, and may do what a session needs.
TEST(ShippedFilters, SmtpdCellDiesOnSyscallsOutsideItsPolicy) {
  sandbox::BpfProgram program = filter_of("qmail-smtpd");
  for (long forbidden : {long{SYS_openat}, long{SYS_socket}, long{SYS_execve}}) {
    int status = run_filtered(program, forbidden);
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS) << "syscall " << forbidden << " status " << status;
  }
  for (long allowed : {long{SYS_recvfrom}, long{SYS_sendto}, long{SYS_pipe2}, long{SYS_sendmsg}, long{SYS_poll}}) {
    int status = run_filtered(program, allowed);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "syscall " << allowed << " status " << status;
  }
}

TEST(ShippedFilters, TestCellDiesOnPtrace) {
  int status = run_filtered(filter_of("qcell-testcell"), SYS_ptrace);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS) << status;
}

}  // namespace
}  // namespace qcell
