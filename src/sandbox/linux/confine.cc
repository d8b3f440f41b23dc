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

#if QCELL_SANITIZER_BUILD
#include <sanitizer/lsan_interface.h>
#include <seccomp.h>
#endif

namespace qcell::sandbox {

namespace {

#if QCELL_SANITIZER_BUILD
// Sanitizer builds only (the test suite's ASan+UBSan stage; never
// installed): the runtime reserves terabytes of address space, so RLIMIT_AS
// is not applied; it checks for leaks at exit from a ptrace'd thread, so
// that check is made at the confinement point instead (leaks before it are
// reported, later ones are not); and its allocator, its memory checks
// (pipe2: sanitizer_common probes whether memory is readable by writing it
// to a pipe) and its reports need these system calls beyond the policy's.
constexpr bool sanitized = true;
constexpr const char* sanitizer_syscalls[] = {"madvise", "mprotect", "sched_yield", "getpid", "gettid", "futex",
                                              "sigaltstack", "rt_sigaction", "rt_sigprocmask", "prctl", "pipe2"};
void add_sanitizer_rules(std::vector<SyscallRule>& rules) {
  for (const char* name : sanitizer_syscalls) rules.push_back({seccomp_syscall_resolve_name(name), {}});
}
#else
constexpr bool sanitized = false;
void add_sanitizer_rules(std::vector<SyscallRule>&) {}
#endif

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
  if (sanitized) add_sanitizer_rules(*syscalls);
  auto filter = compile_filter(*syscalls, false);
  if (!filter) return fail("seccomp filter: " + filter.error().detail);
  int abi = landlock_abi();
  UniqueFd ruleset;
  if (abi > 0) {
    bool scoped = abi >= 6;  // scopes are an extra where the kernel has them
    LandlockFailure why;
    ruleset.reset(
        build_landlock_ruleset(landlock_rules_of(*policy, root), scoped && policy->landlock_scope.abstract_unix,
                               scoped && policy->landlock_scope.signal, true, policy->connect_tcp_ports, abi, -1, why));
    if (!ruleset) return fail(failed(why.what, why.sys_errno));
  }
  // Then the walls, weakest first.
  for (const Rlimit& r : rlimits_of(*policy)) {
    if (sanitized && r.resource == RLIMIT_AS) continue;
    struct rlimit current {};
    if (::getrlimit(r.resource, &current) != 0) return fail(failed("getrlimit", errno));
    rlim_t value = static_cast<rlim_t>(r.value);
    if (current.rlim_max != RLIM_INFINITY && (value == RLIM_INFINITY || value > current.rlim_max)) {
      value = current.rlim_max;  // an unprivileged process cannot raise its hard limit
    }
    struct rlimit wanted {value, value};
    if (::setrlimit(r.resource, &wanted) != 0) return fail(failed("setrlimit", errno));
  }
#if QCELL_SANITIZER_BUILD
  __lsan_do_leak_check();
#endif
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return fail(failed("no_new_privs", errno));
  if (ruleset && !restrict_self(ruleset.get())) return fail(failed("landlock_restrict_self", errno));
  ruleset.reset();
  sock_fprog program_bpf = filter->fprog();
  if (::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program_bpf, 0, 0) != 0) return fail(failed("seccomp", errno));
  return {};
}

}  // namespace qcell::sandbox
