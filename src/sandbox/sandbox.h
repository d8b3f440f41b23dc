// sandbox.h — the sandbox interface: turn a cell specification into a
// running, confined process. The broker is the only caller; cells never call
// this. Linux backend: src/sandbox/linux/ (namespaces, pivot_root, rlimits,
// uid/gid, libcap, no_new_privs, Landlock, libseccomp). A Capsicum backend
// for FreeBSD would implement the same functions in a file of its own.
//
// Trusts: the CellSpec (built by the broker from a validated policy).
// Everything the cell does after exec is treated as hostile.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/fd.h"
#include "core/policy.h"
#include "core/result.h"

namespace qcell::sandbox {

struct Namespaces {
  bool mount = false;
  bool pid = false;
  bool net = false;
  bool ipc = false;
  bool uts = false;
};

// Namespaces created once by the broker and joined by every cell of a kind,
// where creating them per cell costs too much (a network namespace costs
// about a millisecond). Invalid descriptors mean "create a fresh one".
struct SharedNamespaces {
  int mnt = -1;  // a mount namespace whose root is already the cell's view
  int net = -1;
  int ipc = -1;
  int uts = -1;
};

struct View {
  std::string source;  // absolute path outside the cell
  std::string target;  // absolute path inside the cell
  bool writable = false;
  bool executable = false;  // mounted without noexec (a policy's `rx`); never with writable
};

struct FdGrant {
  int target = -1;  // number inside the cell
  int source = -1;  // descriptor in the broker
};

struct Rlimit {
  int resource = -1;        // RLIMIT_*
  std::uint64_t value = 0;  // soft and hard; RLIM_INFINITY for unlimited
};

enum class Access : std::uint8_t { read, write, execute };

struct LandlockRule {
  Access access = Access::read;
  std::string path;  // inside the cell's view
};

struct SyscallCondition {
  unsigned arg = 0;
  enum class Op { eq, ne, lt, le, gt, ge, masked_eq } op = Op::eq;
  std::uint64_t value = 0;
  std::uint64_t mask = 0;
};

struct SyscallRule {
  int number = -1;                           // resolved by the broker (seccomp_syscall_resolve_name)
  std::vector<SyscallCondition> conditions;  // empty: unconditional
};

// The walls a kernel offers or a cell requires: the policy format's own set
// (core/policy.h), so there is one definition of what a wall is.
using Walls = WallSet;

struct CellSpec {
  std::string name;
  uid_t uid = 0;
  gid_t gid = 0;
  Namespaces namespaces;
  SharedNamespaces shared;
  std::vector<View> views;
  std::vector<FdGrant> fds;
  std::vector<Rlimit> rlimits;
  std::vector<SyscallRule> syscalls;
  std::vector<LandlockRule> landlock;
  bool landlock_scope_abstract_unix = false;
  bool landlock_scope_signal = false;
  // TCP (a policy's `landlock connect-tcp`, Landlock ABI 4): with
  // restrict_tcp, the cell may bind no TCP port and connect only to these
  // ports (none: no TCP connection at all). A cell with its own network
  // namespace is restricted the same way, with no port. Where the kernel
  // lacks ABI 4 the rules are not applied: the `landlock-net` wall, which
  // `qcell check` reports as a degradation unless the policy requires it.
  bool restrict_tcp = false;
  std::vector<std::uint16_t> connect_tcp_ports;
  Walls required;       // walls whose absence stops the cell
  int program_fd = -1;  // the executable, opened by the broker (O_PATH is not enough: O_RDONLY)
  std::vector<std::string> argv;
  std::vector<std::string> envp;
  std::string staging_root;  // an empty directory the broker owns, used as the mount point of the new root
};

// The steps of cell creation, in order. A failure names the step.
enum class Step : std::uint8_t {
  clone,
  join_namespaces,
  hostname,
  mount_view,
  pivot_root,
  descriptors,
  rlimits,
  bounding_set,
  groups,
  gid,
  uid,
  capabilities,
  no_new_privs,
  landlock,
  seccomp,
  exec,
  missing_wall,
};

std::string_view step_name(Step step) noexcept;

struct SpawnError {
  Step step = Step::clone;
  int sys_errno = 0;
  std::string detail;  // e.g. the missing wall, the view that failed
};

std::string format_spawn_error(std::string_view cell, const SpawnError& error);

// What the running kernel offers (probed once by the broker; `qcell check`
// and the start-up log print it).
Walls probe_walls();
std::string describe_walls(const Walls& walls);
// Walls in `required` that `available` lacks, e.g. "landlock, net-namespace"; empty if none.
std::string missing_walls(const Walls& required, const Walls& available);

// Creates the cell and execs its program. Returns the cell's pid (in the
// broker's pid namespace) once exec has succeeded; on failure, the step that
// failed (the child has exited). Each step is checked; nothing is skipped.
Result<pid_t, SpawnError> spawn_cell(const CellSpec& spec, const Walls& available);

// The cell's own seccomp filter (its syscall rules, as spawn_cell loads
// it) compiled to classic BPF in a memory file sealed against every change,
// for a zygote to load into each child it forks (core/zygote.h).
Result<UniqueFd, SpawnError> export_cell_filter(const CellSpec& spec);

// Creates namespaces to be shared by the cells of one kind (net, ipc, uts as
// requested). The descriptors stay valid as long as they are open.
// With which.mount, the mount namespace is built with `views` under an empty
// read-only root exactly as a fresh cell's would be (pivot_root included),
// so cells that join it see the same view; staging_root as in CellSpec.
struct OwnedNamespaces {
  UniqueFd mnt;
  UniqueFd net;
  UniqueFd ipc;
  UniqueFd uts;
  [[nodiscard]] SharedNamespaces view() const { return {mnt.get(), net.get(), ipc.get(), uts.get()}; }
};
Result<OwnedNamespaces, SpawnError> create_shared_namespaces(const Namespaces& which,
                                                             const std::vector<View>& views = {},
                                                             const std::string& staging_root = {});

}  // namespace qcell::sandbox
