// policy_rules.h — a parsed policy's rules in the sandbox's terms: rlimit
// resources, syscall numbers (resolved with libseccomp) with their
// conditions, and Landlock rules with `$root` resolved. Used by the broker
// when it compiles a cell and by a caller program when it confines itself.
#pragma once

#include <string>
#include <vector>

#include "core/policy.h"
#include "core/result.h"
#include "sandbox/sandbox.h"

namespace qcell::sandbox {

// RLIMIT_* of a policy rlimit name.
int rlimit_resource(RlimitName name) noexcept;

// Every rlimit of the policy; an unlimited one is RLIM_INFINITY.
std::vector<Rlimit> rlimits_of(const Policy& policy);

// The syscall rules, in file order; fails naming the first syscall
// libseccomp does not know.
Result<std::vector<SyscallRule>, std::string> syscall_rules_of(const Policy& policy);

// The Landlock rules, with a leading `$root` replaced by `root`.
std::vector<LandlockRule> landlock_rules_of(const Policy& policy, const std::string& root);

// `path` with a leading `$root` replaced by `root`.
std::string resolve_root(const std::string& path, const std::string& root);

}  // namespace qcell::sandbox
