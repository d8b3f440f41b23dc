// shipped_filters_test.cc — every shipped policy's syscall allowlist, as the
// broker compiles it, loaded into a forked child: a syscall outside the
// policy kills the child with SIGSYS, and one inside it is allowed. This is
// the filter the broker installs last before a cell's exec
// (src/sandbox/linux/spawn.cc); the cells' own tests show it is installed.
#include <sys/socket.h>
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

// qmail-remote talks to hostile servers from the host's network: TCP and
// UDP over IPv4 and IPv6 only, and nothing that listens, opens a file's
// contents for writing, or starts a program.
TEST(ShippedFilters, RemoteCellDiesOnSyscallsOutsideItsPolicy) {
  sandbox::BpfProgram program = filter_of("qmail-remote");
  auto killed = [](int status) { return WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS; };
  auto returned = [](int status) { return WIFEXITED(status) && WEXITSTATUS(status) == 0; };
  for (long forbidden : {long{SYS_bind}, long{SYS_listen}, long{SYS_accept4}, long{SYS_execve}, long{SYS_unlinkat},
                         long{SYS_ptrace}}) {
    EXPECT_TRUE(killed(run_filtered(program, forbidden))) << "syscall " << forbidden;
  }
  // Sockets: a Unix, a netlink, a raw and a packet socket are refused.
  for (std::array<long, 2> socket : {std::array<long, 2>{AF_UNIX, SOCK_STREAM}, std::array<long, 2>{AF_NETLINK, SOCK_RAW},
                                     std::array<long, 2>{AF_INET, SOCK_RAW}, std::array<long, 2>{AF_PACKET, SOCK_RAW},
                                     std::array<long, 2>{AF_INET6, SOCK_SEQPACKET}}) {
    EXPECT_TRUE(killed(run_filtered(program, SYS_socket, {socket[0], socket[1], 0, 0, 0, 0})))
        << "socket(" << socket[0] << ", " << socket[1] << ")";
  }
  for (std::array<long, 2> socket :
       {std::array<long, 2>{AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC}, std::array<long, 2>{AF_INET, SOCK_DGRAM},
        std::array<long, 2>{AF_INET6, SOCK_STREAM}, std::array<long, 2>{AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK}}) {
    EXPECT_TRUE(returned(run_filtered(program, SYS_socket, {socket[0], socket[1], 0, 0, 0, 0})))
        << "socket(" << socket[0] << ", " << socket[1] << ")";
  }
  for (long allowed : {long{SYS_connect}, long{SYS_pread64}, long{SYS_poll}, long{SYS_getrandom}}) {
    EXPECT_TRUE(returned(run_filtered(program, allowed))) << "syscall " << allowed;
  }
}

TEST(ShippedFilters, TestCellDiesOnPtrace) {
  int status = run_filtered(filter_of("qcell-testcell"), SYS_ptrace);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS) << status;
}

}  // namespace
}  // namespace qcell
