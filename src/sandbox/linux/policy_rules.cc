// policy_rules.cc — a parsed policy's rules in the sandbox's terms.
#include "sandbox/policy_rules.h"

#include <seccomp.h>
#include <sys/resource.h>

namespace qcell::sandbox {

namespace {

SyscallCondition::Op to_sandbox(qcell::SyscallCondition::Op op) noexcept {
  using From = qcell::SyscallCondition::Op;
  switch (op) {
    case From::eq: return SyscallCondition::Op::eq;
    case From::ne: return SyscallCondition::Op::ne;
    case From::lt: return SyscallCondition::Op::lt;
    case From::le: return SyscallCondition::Op::le;
    case From::gt: return SyscallCondition::Op::gt;
    case From::ge: return SyscallCondition::Op::ge;
    case From::masked_eq: return SyscallCondition::Op::masked_eq;
  }
  return SyscallCondition::Op::eq;
}

}  // namespace

int rlimit_resource(RlimitName name) noexcept {
  switch (name) {
    case RlimitName::as: return RLIMIT_AS;
    case RlimitName::nofile: return RLIMIT_NOFILE;
    case RlimitName::fsize: return RLIMIT_FSIZE;
    case RlimitName::nproc: return RLIMIT_NPROC;
    case RlimitName::cpu: return RLIMIT_CPU;
    case RlimitName::core: return RLIMIT_CORE;
    case RlimitName::memlock: return RLIMIT_MEMLOCK;
    case RlimitName::stack: return RLIMIT_STACK;
  }
  return -1;
}

std::vector<Rlimit> rlimits_of(const Policy& policy) {
  std::vector<Rlimit> out;
  for (const qcell::Rlimit& r : policy.rlimits) {
    out.push_back({rlimit_resource(r.name), r.value ? *r.value : static_cast<std::uint64_t>(RLIM_INFINITY)});
  }
  return out;
}

Result<std::vector<SyscallRule>, std::string> syscall_rules_of(const Policy& policy) {
  std::vector<SyscallRule> out;
  for (const qcell::SyscallRule& rule : policy.syscalls) {
    int number = seccomp_syscall_resolve_name(rule.name.c_str());
    if (number == __NR_SCMP_ERROR) return fail("unknown syscall '" + rule.name + "'");
    SyscallRule compiled{number, {}};
    for (const qcell::SyscallCondition& c : rule.conditions) {
      compiled.conditions.push_back({c.arg, to_sandbox(c.op), c.value, c.mask});
    }
    out.push_back(std::move(compiled));
  }
  return out;
}

std::string resolve_root(const std::string& path, const std::string& root) {
  if (path.rfind(root_variable, 0) != 0) return path;
  return root + path.substr(root_variable.size());
}

std::vector<LandlockRule> landlock_rules_of(const Policy& policy, const std::string& root) {
  std::vector<LandlockRule> out;
  for (const qcell::LandlockRule& l : policy.landlock) {
    Access access = l.access == LandlockAccess::read    ? Access::read
                    : l.access == LandlockAccess::write ? Access::write
                                                        : Access::execute;
    out.push_back({access, resolve_root(l.path, root)});
  }
  return out;
}

}  // namespace qcell::sandbox
