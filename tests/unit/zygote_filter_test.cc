// zygote_filter_test.cc — what a zygote may call, and what its children may
// (docs/cells.md, "Connection cells are forked"): the zygote's filter is
// its kind's policy plus a few conditioned calls; each child stacks the
// kind's own filter, exported sealed by the broker, so that it is left with
// exactly the policy. Judged by the kernel in forked children.
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>

#include "filter_harness.h"

namespace qcell {
namespace {

bool killed(int status) { return WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS; }
bool returned(int status) { return WIFEXITED(status) && WEXITSTATUS(status) == 0; }

sandbox::BpfProgram read_exported(int fd) {
  struct stat st {};
  EXPECT_EQ(::fstat(fd, &st), 0);
  sandbox::BpfProgram program;
  program.instructions.resize(static_cast<std::size_t>(st.st_size) / sizeof(sock_filter));
  EXPECT_EQ(::pread(fd, program.instructions.data(), static_cast<std::size_t>(st.st_size), 0), st.st_size);
  return program;
}

TEST(ZygoteFilters, AChildLosesTheZygotesExtraCalls) {
  const sandbox::CellSpec spec = spec_of("qmail-smtpd");
  std::vector<sandbox::SyscallRule> zygote_rules = spec.syscalls;
  for (sandbox::SyscallRule& rule : zygote_extra_syscalls()) zygote_rules.push_back(std::move(rule));
  auto zygote = sandbox::compile_filter(zygote_rules);
  ASSERT_TRUE(zygote.ok());
  auto exported = sandbox::export_cell_filter(spec);
  ASSERT_TRUE(exported.ok());
  // Sealed against every change, and the same program the broker loads
  // into a fresh cell.
  const int seals = ::fcntl(exported->get(), F_GET_SEALS);
  EXPECT_EQ(seals & (F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL),
            F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL);
  const sandbox::BpfProgram child = read_exported(exported->get());
  const sandbox::BpfProgram fresh = filter_of("qmail-smtpd");
  ASSERT_EQ(child.instructions.size(), fresh.instructions.size());
  EXPECT_TRUE(std::equal(child.instructions.begin(), child.instructions.end(), fresh.instructions.begin(),
                         [](const sock_filter& a, const sock_filter& b) {
                           return a.code == b.code && a.jt == b.jt && a.jf == b.jf && a.k == b.k;
                         }));
  // The zygote reaps and opens pidfds; not even it may make namespaces
  // (clone with every flag set) or load a filter with flags.
  EXPECT_TRUE(returned(run_filtered(*zygote, SYS_wait4)));
  EXPECT_TRUE(returned(run_filtered(*zygote, SYS_signalfd4)));
  EXPECT_TRUE(killed(run_filtered(*zygote, SYS_clone)));
  EXPECT_TRUE(killed(run_filtered(*zygote, SYS_seccomp)));
  // Its child, with both filters: none of the extra calls; its policy's still.
  EXPECT_TRUE(killed(run_stacked({&*zygote, &child}, SYS_wait4)));
  EXPECT_TRUE(killed(run_stacked({&*zygote, &child}, SYS_pidfd_open)));
  // Siblings share a pid namespace: limits only on itself (pid 0), never
  // on another process (the harness passes -1 as the first argument).
  EXPECT_TRUE(killed(run_stacked({&*zygote, &child}, SYS_prlimit64)));
  EXPECT_TRUE(returned(run_stacked({&*zygote, &child}, SYS_sendmsg)));
  EXPECT_TRUE(returned(run_stacked({&*zygote, &child}, SYS_poll)));
}

CellKind smtpd_kind() {
  auto files = load_policies(QCELL_SOURCE_DIR "/policy");
  for (const PolicyFile& f : *files) {
    if (f.policy.cell != "qmail-smtpd") continue;
    Installation installation{QCELL_SOURCE_DIR "/policy", QCELL_BINARY_DIR "/bin", "/nonexistent", "/var/qmail"};
    auto kind = make_cell_kind(f.policy, installation);
    EXPECT_TRUE(kind.ok()) << (kind ? "" : kind.error());
    if (kind) return std::move(kind.value());
  }
  ADD_FAILURE() << "no qmail-smtpd policy";
  return {};
}

TEST(ZygoteFilters, TheZygoteKindIsTheCellWithRoomToFork) {
  const CellKind kind = smtpd_kind();
  auto zygote = make_zygote_kind(kind, 1000);
  ASSERT_TRUE(zygote.ok()) << (zygote ? "" : zygote.error());
  EXPECT_EQ(zygote->name, "qmail-smtpd-zygote");
  EXPECT_EQ(zygote->spec.uid, kind.spec.uid);
  EXPECT_NE(std::find(zygote->spec.envp.begin(), zygote->spec.envp.end(), "QCELL_ZYGOTE=1"), zygote->spec.envp.end());
  EXPECT_TRUE(zygote->requests.empty()) << "a zygote sends no requests of its own";
  EXPECT_FALSE(zygote->listen.has_value());
  ASSERT_TRUE(zygote->child_filter && zygote->child_filter->valid());
  EXPECT_EQ(zygote->spec.syscalls.size(), kind.spec.syscalls.size() + zygote_extra_syscalls().size());
  auto nproc = std::find_if(zygote->spec.rlimits.begin(), zygote->spec.rlimits.end(),
                            [](const sandbox::Rlimit& r) { return r.resource == RLIMIT_NPROC; });
  ASSERT_NE(nproc, zygote->spec.rlimits.end());
  EXPECT_EQ(nproc->value, 1016U);
  // The kind itself is unchanged: fresh cells keep their NPROC of 0.
  auto kind_nproc = std::find_if(kind.spec.rlimits.begin(), kind.spec.rlimits.end(),
                                 [](const sandbox::Rlimit& r) { return r.resource == RLIMIT_NPROC; });
  ASSERT_NE(kind_nproc, kind.spec.rlimits.end());
  EXPECT_EQ(kind_nproc->value, 0U);
}

TEST(ZygoteFilters, AKindWithoutConnectionAndBrokerCannotBeForked) {
  CellKind kind = smtpd_kind();
  std::erase_if(kind.fd_numbers, [](const auto& entry) { return entry.first == FdName::broker; });
  auto zygote = make_zygote_kind(kind, 10);
  ASSERT_FALSE(zygote.ok());
  EXPECT_EQ(zygote.error(), "cell qmail-smtpd grants no connection and broker descriptors: it cannot be forked");
}

}  // namespace
}  // namespace qcell
