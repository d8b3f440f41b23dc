// confine.cc — a caller program applies its own policy (confine.h).
#include "sandbox/confine.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "core/byte_buffer.h"
#include "core/fd.h"
#include "core/policy.h"
#include "sandbox/linux/landlock.h"
#include "sandbox/linux/seccomp_filter.h"
#include "sandbox/policy_rules.h"

namespace qcell::sandbox {

namespace {

std::string failed(const char* what, int error) { return std::string(what) + ": " + ::strerror(error); }

}  // namespace

Status<std::string> confine_self(std::string_view policy_text, std::string_view program, const std::string& root) {
  auto policy = parse_policy(as_bytes(policy_text));
  if (!policy) return fail(format_policy_error("the built-in policy", policy.error()));
  if (policy->lifetime != Lifetime::caller || policy->program != program) {
    return fail(std::string("the built-in policy is not a `lifetime caller` policy for ") + std::string(program));
  }
  // Everything that can fail without changing the process comes first.
  auto syscalls = syscall_rules_of(*policy);
  if (!syscalls) return fail("the built-in policy: " + syscalls.error());
  auto filter = compile_filter(*syscalls, false);
  if (!filter) return fail("seccomp filter: " + filter.error().detail);
  int abi = landlock_abi();
  UniqueFd ruleset;
  if (abi > 0) {
    bool scoped = abi >= 6;  // scopes are an extra where the kernel has them
    LandlockFailure why;
    ruleset.reset(build_landlock_ruleset(landlock_rules_of(*policy, root), scoped && policy->landlock_scope.abstract_unix,
                                         scoped && policy->landlock_scope.signal, true, abi, -1, why));
    if (!ruleset) return fail(failed(why.what, why.sys_errno));
  }
  // Then the walls, weakest first.
  for (const Rlimit& r : rlimits_of(*policy)) {
    struct rlimit current {};
    if (::getrlimit(r.resource, &current) != 0) return fail(failed("getrlimit", errno));
    rlim_t value = static_cast<rlim_t>(r.value);
    if (current.rlim_max != RLIM_INFINITY && (value == RLIM_INFINITY || value > current.rlim_max)) {
      value = current.rlim_max;  // an unprivileged process cannot raise its hard limit
    }
    struct rlimit wanted {value, value};
    if (::setrlimit(r.resource, &wanted) != 0) return fail(failed("setrlimit", errno));
  }
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return fail(failed("no_new_privs", errno));
  if (ruleset && !restrict_self(ruleset.get())) return fail(failed("landlock_restrict_self", errno));
  ruleset.reset();
  sock_fprog program_bpf = filter->fprog();
  if (::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program_bpf, 0, 0) != 0) return fail(failed("seccomp", errno));
  return {};
}

}  // namespace qcell::sandbox
