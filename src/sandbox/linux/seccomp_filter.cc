// seccomp_filter.cc — libseccomp context to BPF, exported through a memfd
// (libseccomp 2.5 has no in-memory export).
#include "sandbox/linux/seccomp_filter.h"

#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <memory>

#include "core/fd.h"

namespace qcell::sandbox {

namespace {

struct ContextDeleter {
  void operator()(void* ctx) const noexcept { seccomp_release(ctx); }
};
using Context = std::unique_ptr<void, ContextDeleter>;

scmp_compare to_libseccomp(SyscallCondition::Op op) noexcept {
  switch (op) {
    case SyscallCondition::Op::eq: return SCMP_CMP_EQ;
    case SyscallCondition::Op::ne: return SCMP_CMP_NE;
    case SyscallCondition::Op::lt: return SCMP_CMP_LT;
    case SyscallCondition::Op::le: return SCMP_CMP_LE;
    case SyscallCondition::Op::gt: return SCMP_CMP_GT;
    case SyscallCondition::Op::ge: return SCMP_CMP_GE;
    case SyscallCondition::Op::masked_eq: return SCMP_CMP_MASKED_EQ;
  }
  return SCMP_CMP_EQ;
}

int add_rule(void* ctx, int number, const std::vector<SyscallCondition>& conditions) {
  std::vector<scmp_arg_cmp> args;
  for (const SyscallCondition& c : conditions) {
    scmp_arg_cmp cmp{};
    cmp.arg = c.arg;
    cmp.op = to_libseccomp(c.op);
    if (c.op == SyscallCondition::Op::masked_eq) {
      cmp.datum_a = c.mask;
      cmp.datum_b = c.value;
    } else {
      cmp.datum_a = c.value;
    }
    args.push_back(cmp);
  }
  return seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, number, static_cast<unsigned>(args.size()),
                                args.empty() ? nullptr : args.data());
}

}  // namespace

Result<BpfProgram, FilterError> compile_filter(const std::vector<SyscallRule>& rules, bool exec_window) {
  Context ctx(seccomp_init(SCMP_ACT_KILL_PROCESS));
  if (!ctx) return fail(FilterError{-1, ENOMEM, "seccomp_init failed"});
  if (int rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS); rc != 0) {
    return fail(FilterError{-1, -rc, "cannot set the bad-architecture action"});
  }
  // Unknown syscall numbers in the rules are the policy checker's business;
  // libseccomp refuses them here too.
  for (const SyscallRule& rule : rules) {
    if (int rc = add_rule(ctx.get(), rule.number, rule.conditions); rc != 0) {
      return fail(FilterError{rule.number, -rc, "libseccomp refused the rule"});
    }
  }
  // Where clone is allowed (always with a condition that excludes new
  // namespaces: the policy checker insists), clone3, whose flags lie in
  // memory that a filter cannot read, fails with ENOSYS instead of killing
  // the cell: glibc's pthread_create and posix_spawn then fall back to
  // clone, whose flags the filter does see. clone3 itself never runs.
  const bool clone_allowed = std::any_of(rules.begin(), rules.end(), [](const SyscallRule& r) {
    return r.number == SCMP_SYS(clone);
  });
  if (clone_allowed) {
    if (int rc = seccomp_rule_add(ctx.get(), SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0); rc != 0) {
      return fail(FilterError{SCMP_SYS(clone3), -rc, "cannot refuse clone3"});
    }
  }
  // The exec window (seccomp_filter.h): exec the program, report a failed
  // exec, exit. Dead after exec: no descriptor can hold these numbers.
  if (exec_window) {
    const scmp_arg_cmp exec_args[] = {
        {0, SCMP_CMP_EQ, static_cast<scmp_datum_t>(exec_program_fd), 0},
        {4, SCMP_CMP_EQ, static_cast<scmp_datum_t>(AT_EMPTY_PATH), 0},
    };
    if (int rc = seccomp_rule_add_array(ctx.get(), SCMP_ACT_ALLOW, SCMP_SYS(execveat), 2, exec_args); rc != 0) {
      return fail(FilterError{SCMP_SYS(execveat), -rc, "cannot add the exec rule"});
    }
    const scmp_arg_cmp report_args[] = {{0, SCMP_CMP_EQ, static_cast<scmp_datum_t>(exec_report_fd), 0}};
    if (int rc = seccomp_rule_add_array(ctx.get(), SCMP_ACT_ALLOW, SCMP_SYS(write), 1, report_args);
        rc != 0 && rc != -EEXIST) {
      return fail(FilterError{SCMP_SYS(write), -rc, "cannot add the report rule"});
    }
  }
  for (int always : {SCMP_SYS(exit_group), SCMP_SYS(exit)}) {
    int rc = seccomp_rule_add(ctx.get(), SCMP_ACT_ALLOW, always, 0);
    if (rc != 0 && rc != -EEXIST) return fail(FilterError{always, -rc, "cannot allow exit"});
  }

  UniqueFd memfd(::memfd_create("qcell-seccomp-bpf", MFD_CLOEXEC));
  if (!memfd) return fail(FilterError{-1, errno, "memfd_create"});
  if (int rc = seccomp_export_bpf(ctx.get(), memfd.get()); rc != 0) {
    return fail(FilterError{-1, -rc, "seccomp_export_bpf"});
  }
  struct stat st {};
  if (::fstat(memfd.get(), &st) != 0) return fail(FilterError{-1, errno, "fstat"});
  auto size = static_cast<std::size_t>(st.st_size);
  if (size == 0 || size % sizeof(sock_filter) != 0 || size / sizeof(sock_filter) > BPF_MAXINSNS) {
    return fail(FilterError{-1, E2BIG, "exported filter has an impossible size"});
  }
  BpfProgram program;
  program.instructions.resize(size / sizeof(sock_filter));
  if (::lseek(memfd.get(), 0, SEEK_SET) != 0) return fail(FilterError{-1, errno, "lseek"});
  auto n = read_full(memfd.get(), std::as_writable_bytes(std::span(program.instructions)));
  if (!n || *n != size) return fail(FilterError{-1, EIO, "short read of the exported filter"});
  return program;
}

Result<UniqueFd, SpawnError> export_cell_filter(const CellSpec& spec) {
  auto filter = compile_filter(spec.syscalls);
  if (!filter) return fail(SpawnError{Step::seccomp, filter.error().sys_errno, filter.error().detail});
  UniqueFd memfd(::memfd_create("qcell-child-filter", MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (!memfd) return fail(SpawnError{Step::seccomp, errno, "memfd_create"});
  auto bytes = std::as_bytes(std::span(filter->instructions));
  if (!write_full(memfd.get(), bytes)) return fail(SpawnError{Step::seccomp, errno, "writing the child filter"});
  if (::fcntl(memfd.get(), F_ADD_SEALS, memory_file_seals) != 0) {
    return fail(SpawnError{Step::seccomp, errno, "sealing the child filter"});
  }
  return memfd;
}

}  // namespace qcell::sandbox
