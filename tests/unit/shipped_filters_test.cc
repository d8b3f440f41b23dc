// shipped_filters_test.cc — every shipped policy's syscall allowlist, as the
// broker compiles it, loaded into a forked child: a syscall outside the
// policy kills the child with SIGSYS, and one inside it is allowed. This is
// the filter the broker installs last before a cell's exec
// (src/sandbox/linux/spawn.cc); the cells' own tests show it is installed.
#include <sys/syscall.h>
#include <sys/wait.h>

#include <gtest/gtest.h>

#include <csignal>
#include <string>

#include "filter_harness.h"

namespace qcell {
namespace {

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

// qmail-local runs as the recipient on the user's own files: it must not
// make a socket, start a program (program deliveries will get cells of
// their own) or fork, and may do what Maildir, mbox and forwards need.
TEST(ShippedFilters, LocalCellDiesOnSyscallsOutsideItsPolicy) {
  sandbox::BpfProgram program = filter_of("qmail-local");
  for (long forbidden : {long{SYS_socket}, long{SYS_execve}, long{SYS_clone}}) {
    int status = run_filtered(program, forbidden);
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS) << "syscall " << forbidden << " status " << status;
  }
  for (long allowed : {long{SYS_linkat}, long{SYS_fsync}, long{SYS_ftruncate}, long{SYS_pipe2}, long{SYS_sendmsg}}) {
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
