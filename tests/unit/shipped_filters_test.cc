// shipped_filters_test.cc — every shipped policy's syscall allowlist, as the
// broker compiles it, loaded into a forked child: a syscall outside the
// policy kills the child with SIGSYS, and one inside it is allowed. This is
// the filter the broker installs last before a cell's exec
// (src/sandbox/linux/spawn.cc); the cells' own tests show it is installed.
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <gtest/gtest.h>

#include <algorithm>
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

// qmail-remote talks to hostile servers from the host's network: TCP and
// UDP over IPv4 and IPv6 only, and nothing that listens, opens a file's
// contents for writing, or starts a program.
TEST(ShippedFilters, RemoteCellDiesOnSyscallsOutsideItsPolicy) {
  sandbox::BpfProgram program = filter_of("qmail-remote");
  auto killed = [](int status) { return WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS; };
  auto returned = [](int status) { return WIFEXITED(status) && WEXITSTATUS(status) == 0; };
  // Three kills only: each writes a kernel audit record, the kernel
  // rate-limits them, and containment.TheKernelLogNamesTheForbiddenSyscall
  // must still find its own. Everything not listed is killed alike.
  EXPECT_TRUE(killed(run_filtered(program, SYS_bind))) << "bind";
  EXPECT_TRUE(killed(run_filtered(program, SYS_socket, {AF_UNIX, SOCK_STREAM, 0, 0, 0, 0}))) << "a Unix socket";
  EXPECT_TRUE(killed(run_filtered(program, SYS_socket, {AF_INET, SOCK_RAW, 0, 0, 0, 0}))) << "a raw socket";
  for (std::array<long, 2> socket :
       {std::array<long, 2>{AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC}, std::array<long, 2>{AF_INET, SOCK_DGRAM},
        std::array<long, 2>{AF_INET6, SOCK_STREAM}, std::array<long, 2>{AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK}}) {
    EXPECT_TRUE(returned(run_filtered(program, SYS_socket, {socket[0], socket[1], 0, 0, 0, 0})))
        << "socket(" << socket[0] << ", " << socket[1] << ")";
  }
  for (long allowed : {long{SYS_connect}, long{SYS_pread64}, long{SYS_poll}, long{SYS_getrandom}}) {
    EXPECT_TRUE(returned(run_filtered(program, allowed))) << "syscall " << allowed;
  }
  // What else its policy leaves out (listen, accept, execve, unlinkat,
  // ptrace, netlink and packet sockets) is read from the compiled rules.
  const sandbox::CellSpec spec = spec_of("qmail-remote");
  for (long absent : {long{SYS_listen}, long{SYS_accept4}, long{SYS_execve}, long{SYS_unlinkat}, long{SYS_ptrace}}) {
    EXPECT_TRUE(std::none_of(spec.syscalls.begin(), spec.syscalls.end(),
                             [absent](const auto& rule) { return rule.number == absent; }))
        << "syscall " << absent;
  }
}

TEST(ShippedFilters, TestCellDiesOnPtrace) {
  int status = run_filtered(filter_of("qcell-testcell"), SYS_ptrace);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS) << status;
}

}  // namespace
}  // namespace qcell
