// policies.h — the broker's side of policy files: load every policy in a
// directory, validate what the pure parser cannot (syscall names through
// libseccomp, accounts, directories, programs), describe a cell's
// allowances for `qcell check`, generate docs/cells.md, and compile a policy
// into the sandbox's CellSpec. Policy files are the administrator's; they are
// still parsed by the bounded, fuzzed parser in core/policy.h.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/policy.h"
#include "core/result.h"
#include "qcell/supervisor.h"
#include "sandbox/sandbox.h"

namespace qcell {

struct PolicyFile {
  std::string file_name;  // e.g. "qmail-smtpd.policy"
  Policy policy;
};

struct Installation {
  std::string policy_dir;    // where *.policy files are
  std::string bin_dir;       // where the programs are
  std::string staging_root;  // an empty directory for mount views
  std::string root = "/var/qmail";  // the qmail root: what `$root` in a policy path means
};

// A policy path with a leading `$root` replaced by the installation's root.
// `$home` paths are returned unchanged (resolved per request).
std::string resolve_root(const std::string& path, const Installation& installation);

// Every *.policy in the directory, parsed, sorted by name. Errors are
// complete messages ("policy/x.policy line 3: ...").
using LoadedPolicies = Result<std::vector<PolicyFile>, std::vector<std::string>>;
LoadedPolicies load_policies(const std::string& policy_dir);

// Problems the parser cannot see: unknown syscall names, unknown accounts,
// a root account, missing view directories or program. Empty when valid.
std::vector<std::string> validate_policy(const PolicyFile& file, const Installation& installation);

// The walls a policy requires, and the walls it uses (whether required or
// not), in the sandbox's terms.
sandbox::Walls required_walls(const Policy& policy);
sandbox::Walls used_walls(const Policy& policy);

// One line per allowance, for `qcell check`.
std::string describe_allowances(const Policy& policy);

// The table of docs/cells.md: one row per cell.
std::string cells_table_markdown(const std::vector<PolicyFile>& files);

// The sandbox specification of a cell that runs as a fixed account (not the
// recipient), without its descriptors. Fails with a message.
Result<sandbox::CellSpec, std::string> compile_policy(const Policy& policy, const Installation& installation);

// The same for a cell that runs as the recipient (`user recipient`), for
// one delivery: the uid, gid and home the broker chose, `$home` resolved.
// Refuses uid or gid 0 and a home that is not absolute.
Result<sandbox::CellSpec, std::string> compile_recipient_policy(const Policy& policy, const Installation& installation,
                                                                uid_t uid, gid_t gid, const std::string& home);

// The request a cell serves, by its qmail name: the long-lived qmail-queue
// serves spawn-queue (on its job channel, docs/queue.md); qmail-remote
// spawn-remote, qmail-local spawn-local, qmail-clean spawn-clean and
// qmail-command spawn-command, one cell per request. nullopt
// for any other cell, or one with another lifetime.
std::optional<RequestKind> request_served_by(const Policy& policy);

// A supervisor's view of a policy: compiled spec, program, descriptor
// numbers by name, allowed requests, and the request it serves.
Result<CellKind, std::string> make_cell_kind(const Policy& policy, const Installation& installation);

// The hook for `landlock connect-tcp $control` (kind.connect_tcp_control):
// the broker, which reads the control files, calls this once per kind with
// the TCP ports they name, before starting a cell of the kind. The ports
// are added to kind.spec.connect_tcp_ports (duplicates of the policy's own
// ports once); without this call the cell may connect only to the
// policy's numbered ports, or to none. Refuses port 0, more than
// policy_limits::control_tcp_ports ports, and a kind whose policy has no
// `$control`.
Status<std::string> add_control_tcp_ports(CellKind& kind, std::span<const std::uint16_t> ports);

// Creates, once, the mount namespace (with the kind's view already in place)
// and the net, ipc and uts namespaces its policy asks for, for every cell of
// the kind to join; each cell keeps a pid namespace of its own
// (docs/cells.md: this is what makes a per-connection cell cheap). A kind
// whose views hold `$home` gets none: each of its cells makes its own.
// Returns an error message, or nullopt.
std::optional<std::string> precreate_namespaces(CellKind& kind);

// The zygote of a per-connection kind (docs/cells.md, "Connection cells
// are forked"): the same cell, named KIND-zygote, with QCELL_ZYGOTE=1, the
// kind's own filter as a sealed memory file at the kind's `connection`
// number, RLIMIT_NPROC raised to let it fork `max_children` children, and
// the few calls forking needs added to its filter (zygote_extra_syscalls).
// The kind must grant `connection` and `broker` descriptors.
Result<CellKind, std::string> make_zygote_kind(const CellKind& kind, std::uint64_t max_children);

// The calls a zygote may make beyond its kind's policy, with conditions:
// fork without new namespaces, reap, open a pidfd, load one more filter
// (no flags), SIGCHLD through a signalfd, and place descriptors.
std::vector<sandbox::SyscallRule> zygote_extra_syscalls();

}  // namespace qcell
