// policies.cc — loading, validating, describing and compiling policies.
#include "qcell/policies.h"

#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <linux/seccomp.h>
#include <pwd.h>
#include <sched.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>

#include "core/byte_buffer.h"
#include "core/control.h"
#include "core/fd.h"
#include "core/limits.h"
#include "sandbox/policy_rules.h"

namespace qcell {

namespace {

std::string at_line(const PolicyFile& file, std::size_t line) {
  return "policy/" + file.file_name + (line != 0 ? " line " + std::to_string(line) : std::string()) + ": ";
}

bool is_directory(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::string namespaces_text(const NamespaceSet& ns) {
  std::string out;
  auto add = [&out](bool on, const char* name) {
    if (!on) return;
    if (!out.empty()) out += ' ';
    out += name;
  };
  add(ns.mount, "mount");
  add(ns.pid, "pid");
  add(ns.net, "net");
  add(ns.ipc, "ipc");
  add(ns.uts, "uts");
  return out.empty() ? "none" : out;
}

std::string rlimit_text(const Rlimit& r) {
  return std::string(rlimit_name_text(r.name)) + "=" + (r.value ? std::to_string(*r.value) : "unlimited");
}

// Syscalls no cell may be allowed, whatever its policy says: they would let
// it leave or reshape its sandbox (namespaces, mounts, tracing, filters),
// reach the kernel's most exposed interfaces, or change the machine.
constexpr const char* never_allowed[] = {
    "unshare",
    "setns",
    "mount",
    "umount2",
    "pivot_root",
    "chroot",
    "ptrace",
    "process_vm_readv",
    "process_vm_writev",
    "bpf",
    "kexec_load",
    "kexec_file_load",
    "init_module",
    "finit_module",
    "delete_module",
    "reboot",
    "swapon",
    "swapoff",
    "keyctl",
    "add_key",
    "request_key",
    "perf_event_open",
    "userfaultfd",
    "open_by_handle_at",
    "fsopen",
    "fsmount",
    "move_mount",
    "open_tree",
    "mount_setattr",
    "seccomp",
    "landlock_create_ruleset",
    "personality",
    "iopl",
    "ioperm",
    "clone3",
};

// clone may only be allowed with a condition that excludes new namespaces.
constexpr std::uint64_t namespace_clone_flags =
    0x7E020000;  // CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET

}  // namespace

LoadedPolicies load_policies(const std::string& policy_dir) {
  std::vector<std::string> errors;
  auto dir = open_directory(policy_dir.c_str());
  if (!dir) return fail(std::vector<std::string>{"cannot open " + policy_dir + ": " + ::strerror(dir.error())});
  std::vector<std::string> names;
  DIR* listing = ::opendir(policy_dir.c_str());
  if (listing == nullptr) return fail(std::vector<std::string>{"cannot list " + policy_dir + ": " + ::strerror(errno)});
  while (struct dirent* entry = ::readdir(listing)) {
    std::string name = entry->d_name;
    if (name.size() > 7 && name.compare(name.size() - 7, 7, ".policy") == 0) names.push_back(name);
  }
  ::closedir(listing);
  std::sort(names.begin(), names.end());

  std::vector<PolicyFile> files;
  for (const std::string& name : names) {
    auto text = read_control_file(*dir, name);  // the same bounded, no-symlink reader
    if (!text || !text->has_value()) {
      errors.push_back("policy/" + name + ": cannot read file" +
                       (text ? std::string() : " (errno " + std::to_string(text.error().sys_errno) + ")"));
      continue;
    }
    auto policy = parse_policy(qcell::as_bytes(std::string_view(**text)));
    if (!policy) {
      errors.push_back(format_policy_error("policy/" + name, policy.error()));
      continue;
    }
    if (policy->cell + ".policy" != name) {
      errors.push_back("policy/" + name + ": the file must be named after its cell: " + policy->cell + ".policy");
      continue;
    }
    files.push_back({name, std::move(policy.value())});
  }
  if (!errors.empty()) return fail(std::move(errors));
  return files;
}

std::vector<std::string> validate_policy(const PolicyFile& file, const Installation& installation) {
  std::vector<std::string> problems;
  const Policy& p = file.policy;
  for (const SyscallRule& rule : p.syscalls) {
    if (seccomp_syscall_resolve_name(rule.name.c_str()) == __NR_SCMP_ERROR) {
      problems.push_back(at_line(file, rule.line) + "unknown syscall '" + rule.name + "'");
    }
    for (const char* forbidden : never_allowed) {
      if (rule.name == forbidden) {
        problems.push_back(at_line(file, rule.line) + "syscall '" + rule.name +
                           "' is never allowed in a cell (docs/cells.md)");
      }
    }
    if (rule.name == "clone") {
      bool excludes_namespaces =
          std::any_of(rule.conditions.begin(), rule.conditions.end(), [](const SyscallCondition& c) {
            return c.arg == 0 && c.op == SyscallCondition::Op::masked_eq &&
                   (c.mask & namespace_clone_flags) == namespace_clone_flags && (c.value & namespace_clone_flags) == 0;
          });
      if (!excludes_namespaces) {
        problems.push_back(at_line(file, rule.line) +
                           "clone must be restricted: `allow clone where arg0 & 0x7e020000 == 0` (no new namespaces)");
      }
    }
  }
  // A caller policy names no account: its program runs as whoever calls it.
  if (!p.runs_as_recipient() && p.lifetime != Lifetime::caller) {
    struct passwd* pw = ::getpwnam(p.user.c_str());
    if (pw == nullptr) {
      problems.push_back(at_line(file, 0) + "unknown user '" + p.user + "'");
    } else if (pw->pw_uid == 0) {
      problems.push_back(at_line(file, 0) + "user '" + p.user + "' is root: a cell never runs as root");
    }
    struct group* gr = ::getgrnam(p.group.c_str());
    if (gr == nullptr) {
      problems.push_back(at_line(file, 0) + "unknown group '" + p.group + "'");
    } else if (gr->gr_gid == 0) {
      problems.push_back(at_line(file, 0) + "group '" + p.group + "' is root's: a cell never runs in group 0");
    }
  }
  for (const View& v : p.views) {
    if (v.path.rfind(home_variable, 0) == 0) continue;  // resolved per request
    std::string path = resolve_root(v.path, installation);
    if (!is_directory(path)) problems.push_back(at_line(file, 0) + "view " + path + " is not a directory");
  }
  std::string program = installation.bin_dir + "/" + p.program;
  if (::access(program.c_str(), X_OK) != 0) {
    problems.push_back(at_line(file, 0) + "program " + program + " is missing or not executable");
  }
  for (const Rlimit& r : p.rlimits) {
    if (r.name == RlimitName::nofile && r.value && *r.value >= 1022) {
      problems.push_back(at_line(file, 0) + "rlimit nofile must stay below 1022 (docs/cells.md)");
    }
  }
  return problems;
}

sandbox::Walls required_walls(const Policy& p) { return p.required; }

sandbox::Walls used_walls(const Policy& p) {
  return {.landlock = !p.landlock.empty(),
          .landlock_scope = p.landlock_scope.abstract_unix || p.landlock_scope.signal,
          .landlock_net = p.restricts_tcp(),
          .mount_namespace = p.namespaces.mount,
          .pid_namespace = p.namespaces.pid,
          .net_namespace = p.namespaces.net,
          .ipc_namespace = p.namespaces.ipc,
          .uts_namespace = p.namespaces.uts};
}

namespace {

// The host network a cell reaches: "25, 53, $control" for
// `landlock connect-tcp 25 53 $control`.
std::string tcp_ports_text(const Policy& p) {
  std::string out;
  for (std::uint16_t port : p.connect_tcp_ports) out += (out.empty() ? "" : ", ") + std::to_string(port);
  if (p.connect_tcp_control) out += (out.empty() ? "" : ", ") + std::string(control_ports_word);
  return out;
}

}  // namespace

std::string describe_allowances(const Policy& p) {
  std::string out;
  if (p.lifetime == Lifetime::caller) {
    out += "  runs as: its caller, lifetime caller (confines itself; the broker never starts it)\n";
  } else {
    out += "  runs as: user " + p.user + ", group " + p.group + ", lifetime " + std::string(lifetime_text(p.lifetime)) +
           "\n";
  }
  out += "  namespaces: " + namespaces_text(p.namespaces) + "\n";
  out += "  sees: ";
  if (p.views.empty()) out += p.namespaces.mount ? "nothing (empty read-only root)" : "the host filesystem";
  for (std::size_t i = 0; i < p.views.size(); ++i) {
    out += (i ? ", " : "") + p.views[i].path + (p.views[i].writable ? " (rw)" : p.views[i].executable ? " (rx)" : " (ro)");
  }
  out += "\n  network: ";
  if (p.namespaces.net) {
    out += "none (own empty network namespace)";
  } else if (p.restricts_tcp()) {
    out += "the host's; TCP connect only to " + tcp_ports_text(p) + ", bind none (landlock connect-tcp)";
  } else {
    out += "the host's";
  }
  out += "\n";
  out += "  descriptors:";
  for (const FdGrant& g : p.fds) out += " " + std::to_string(g.number) + "=" + std::string(fd_name_text(g.name));
  out += "\n  rlimits:";
  for (const Rlimit& r : p.rlimits) out += " " + rlimit_text(r);
  out += "\n  syscalls (" + std::to_string(p.syscalls.size()) + "):";
  for (const SyscallRule& s : p.syscalls) out += " " + s.name + (s.conditions.empty() ? "" : "(conditional)");
  out += "\n  landlock:";
  if (p.landlock.empty() && !p.landlock_scope.abstract_unix && !p.landlock_scope.signal && !p.restricts_tcp()) {
    out += " no rules";
  }
  for (const LandlockRule& l : p.landlock) out += " " + std::string(landlock_access_text(l.access)) + ":" + l.path;
  if (p.landlock_scope.abstract_unix) out += " scope:abstract-unix";
  if (p.landlock_scope.signal) out += " scope:signal";
  for (std::uint16_t port : p.connect_tcp_ports) out += " connect-tcp:" + std::to_string(port);
  if (p.connect_tcp_control) out += " connect-tcp:" + std::string(control_ports_word);
  out += "\n  requests:";
  if (p.requests.empty()) out += " none";
  for (RequestName r : p.requests) out += " " + std::string(request_name_text(r));
  out += "\n";
  return out;
}

std::string cells_table_markdown(const std::vector<PolicyFile>& files) {
  std::string out = "| cell | uid | group | sees | network | descriptors | syscalls | requests |\n";
  out += "|---|---|---|---|---|---|---|---|\n";
  for (const PolicyFile& f : files) {
    const Policy& p = f.policy;
    if (p.lifetime == Lifetime::caller) continue;  // not a cell: docs/policy.md, `lifetime caller`
    std::string sees;
    for (const View& v : p.views) {
      sees += (sees.empty() ? "" : ", ") + v.path + (v.writable ? " rw" : v.executable ? " rx" : " ro");
    }
    if (sees.empty()) sees = p.namespaces.mount ? "nothing" : "host filesystem";
    if (p.namespaces.mount) {
      // Directories reached through a granted descriptor, as Landlock bounds them.
      std::string reached;
      for (const LandlockRule& l : p.landlock) {
        bool in_view = std::any_of(p.views.begin(), p.views.end(), [&](const View& v) {
          return l.path.rfind(v.path, 0) == 0 && (l.path.size() == v.path.size() || l.path[v.path.size()] == '/');
        });
        if (in_view || l.access == LandlockAccess::execute) continue;
        reached += (reached.empty() ? "" : ", ") + l.path + " " + std::string(landlock_access_text(l.access));
      }
      if (!reached.empty()) sees += "; by descriptor: " + reached;
    }
    std::string fds;
    for (const FdGrant& g : p.fds)
      fds += (fds.empty() ? "" : ", ") + std::to_string(g.number) + " " + std::string(fd_name_text(g.name));
    std::string requests;
    for (RequestName r : p.requests) requests += (requests.empty() ? "" : ", ") + std::string(request_name_text(r));
    out += "| `" + p.cell + "` | " + p.user + " | " + p.group + " | " + sees + " | " +
           (p.namespaces.net    ? "none"
            : p.restricts_tcp() ? "host, TCP " + tcp_ports_text(p)
                                : "host") +
           " | " + fds + " | " + std::to_string(p.syscalls.size()) + " | " + (requests.empty() ? "none" : requests) +
           " |\n";
  }
  return out;
}

namespace {

// The spec of a policy for one uid, gid and home ("" when the cell does not
// run as a recipient): `$root` and `$home` resolved in views and Landlock rules.
Result<sandbox::CellSpec, std::string> compile_for(const Policy& p, const Installation& installation, uid_t uid,
                                                   gid_t gid, const std::string& home) {
  sandbox::CellSpec spec;
  spec.name = p.cell;
  spec.uid = uid;
  spec.gid = gid;
  spec.namespaces = {p.namespaces.mount, p.namespaces.pid, p.namespaces.net, p.namespaces.ipc, p.namespaces.uts};
  auto resolve = [&](const std::string& path) {
    if (!home.empty() && path.rfind(home_variable, 0) == 0) return home + path.substr(home_variable.size());
    return resolve_root(path, installation);
  };
  for (const View& v : p.views) {
    std::string path = resolve(v.path);
    // The mount follows symlinks in its source (/bin is usr/bin on a
    // merged-/usr system), and Landlock rules must name what was mounted:
    // the administrator's system paths are resolved once, here. A `$home`
    // view is the assignment's path as it is.
    std::string source = path;
    if (v.path.rfind(home_variable, 0) != 0) {
      if (char* real = ::realpath(path.c_str(), nullptr)) {
        source = real;
        ::free(real);
      }
    }
    spec.views.push_back({source, path, v.writable, v.executable});
  }
  // Outer directories before the views nested in them.
  std::stable_sort(spec.views.begin(), spec.views.end(),
                   [](const sandbox::View& a, const sandbox::View& b) { return a.target.size() < b.target.size(); });
  spec.rlimits = sandbox::rlimits_of(p);
  auto syscalls = sandbox::syscall_rules_of(p);
  if (!syscalls) return fail("cell " + p.cell + ": " + syscalls.error());
  spec.syscalls = std::move(syscalls.value());
  spec.landlock = sandbox::landlock_rules_of(p, installation.root);
  for (sandbox::LandlockRule& rule : spec.landlock) rule.path = resolve(rule.path);
  spec.landlock_scope_abstract_unix = p.landlock_scope.abstract_unix;
  spec.landlock_scope_signal = p.landlock_scope.signal;
  // `$control` adds nothing here: the broker appends the control files'
  // ports (add_control_tcp_ports); until then the cell may connect only to
  // the numbered ports, or to none.
  spec.restrict_tcp = p.restricts_tcp();
  spec.connect_tcp_ports = p.connect_tcp_ports;
  spec.required = required_walls(p);
  spec.argv = {p.program, p.cell};
  spec.envp = {"QCELL_CELL=" + p.cell};
  spec.staging_root = installation.staging_root;
  return spec;
}

}  // namespace

Result<sandbox::CellSpec, std::string> compile_policy(const Policy& p, const Installation& installation) {
  if (p.runs_as_recipient())
    return fail(std::string("cell " + p.cell + " runs as the recipient: compiled per request"));
  struct passwd* pw = ::getpwnam(p.user.c_str());
  struct group* gr = ::getgrnam(p.group.c_str());
  if (pw == nullptr || gr == nullptr) return fail("cell " + p.cell + ": unknown user or group");
  return compile_for(p, installation, pw->pw_uid, gr->gr_gid, "");
}

Result<sandbox::CellSpec, std::string> compile_recipient_policy(const Policy& p, const Installation& installation,
                                                                uid_t uid, gid_t gid, const std::string& home) {
  if (!p.runs_as_recipient()) return fail("cell " + p.cell + " does not run as the recipient");
  if (uid == 0 || gid == 0) return fail("cell " + p.cell + ": a cell never runs as root or in group 0");
  if (home.empty() || home.front() != '/') return fail("cell " + p.cell + ": the home directory is not absolute");
  return compile_for(p, installation, uid, gid, home);
}

std::string resolve_root(const std::string& path, const Installation& installation) {
  return sandbox::resolve_root(path, installation.root);
}

std::optional<RequestKind> request_served_by(const Policy& policy) {
  // The queue cell is long-lived and takes injections on its job channel.
  if (policy.cell == "qmail-queue") {
    return policy.lifetime == Lifetime::long_lived ? std::optional(RequestKind::spawn_queue) : std::nullopt;
  }
  if (policy.lifetime != Lifetime::request) return std::nullopt;
  if (policy.cell == "qmail-local") return RequestKind::spawn_local;
  if (policy.cell == "qmail-remote") return RequestKind::spawn_remote;
  if (policy.cell == "qmail-clean") return RequestKind::spawn_clean;
  if (policy.cell == "qmail-command") return RequestKind::spawn_command;
  return std::nullopt;
}

Result<CellKind, std::string> make_cell_kind(const Policy& policy, const Installation& installation) {
  CellKind kind;
  if (policy.runs_as_recipient()) {
    // Compiled per delivery; the template (nobody's ids) only carries the
    // namespaces every delivery cell of the kind shares. A kind whose views
    // hold $home (qmail-command's) differs per user: it shares none.
    for (const View& v : policy.views) {
      if (v.path.rfind(home_variable, 0) == 0) kind.views_per_recipient = true;
    }
    auto shared_policy = std::make_shared<const Policy>(policy);
    kind.compile_for_recipient = [shared_policy, installation](uid_t uid, gid_t gid, const std::string& home) {
      return compile_recipient_policy(*shared_policy, installation, uid, gid, home);
    };
  }
  auto spec = policy.runs_as_recipient() ? compile_for(policy, installation, 65534, 65534, "/nonexistent")
                                         : compile_policy(policy, installation);
  if (!spec) return fail(spec.error());
  kind.name = policy.cell;
  kind.spec = std::move(spec.value());
  kind.program_path = installation.bin_dir + "/" + policy.program;
  for (const FdGrant& g : policy.fds) kind.fd_numbers.emplace_back(g.name, static_cast<int>(g.number));
  kind.requests = policy.requests;
  kind.serves = request_served_by(policy);
  kind.connect_tcp_control = policy.connect_tcp_control;
  return kind;
}

Status<std::string> add_control_tcp_ports(CellKind& kind, std::span<const std::uint16_t> ports) {
  if (!kind.connect_tcp_control) {
    return fail("cell " + kind.name + ": its policy has no `landlock connect-tcp $control`");
  }
  if (ports.size() > policy_limits::control_tcp_ports) {
    return fail("cell " + kind.name + ": the control files name more than " +
                std::to_string(policy_limits::control_tcp_ports) + " TCP ports");
  }
  for (std::uint16_t port : ports) {
    if (port == 0) return fail("cell " + kind.name + ": TCP port 0 named by the control files");
  }
  std::vector<std::uint16_t>& allowed = kind.spec.connect_tcp_ports;
  for (std::uint16_t port : ports) {
    if (std::find(allowed.begin(), allowed.end(), port) == allowed.end()) allowed.push_back(port);
  }
  kind.spec.restrict_tcp = true;  // already set by the policy; never cleared
  return {};
}

std::optional<std::string> precreate_namespaces(CellKind& kind) {
  // Views that hold a user's home cannot be made once, and a network or
  // IPC namespace shared by different users' programs would let them talk.
  if (kind.views_per_recipient) return std::nullopt;
  const sandbox::Namespaces& ns = kind.spec.namespaces;
  sandbox::Namespaces which{ns.mount, false, ns.net, ns.ipc, ns.uts};
  if (!which.mount && !which.net && !which.ipc && !which.uts) return std::nullopt;
  auto owned = sandbox::create_shared_namespaces(which, kind.spec.views, kind.spec.staging_root);
  if (!owned) return sandbox::format_spawn_error(kind.name, owned.error());
  kind.shared_namespaces = std::make_shared<sandbox::OwnedNamespaces>(std::move(owned.value()));
  kind.spec.shared = kind.shared_namespaces->view();
  return std::nullopt;
}

std::vector<sandbox::SyscallRule> zygote_extra_syscalls() {
  using Op = sandbox::SyscallCondition::Op;
  // The namespace flags and CLONE_NEWTIME, as the policy checker forbids them (docs/cells.md).
  constexpr std::uint64_t namespace_flags = 0x7e020000 | CLONE_NEWTIME;
  return {
      {SYS_clone, {{0, Op::masked_eq, 0, namespace_flags}}},
      {SYS_wait4, {}},
      {SYS_pidfd_open, {{1, Op::eq, 0, 0}}},
      {SYS_seccomp, {{0, Op::eq, SECCOMP_SET_MODE_FILTER, 0}, {1, Op::eq, 0, 0}}},
      {SYS_signalfd4, {}},
      {SYS_rt_sigprocmask, {}},
      {SYS_dup2, {}},
  };
}

Result<CellKind, std::string> make_zygote_kind(const CellKind& kind, std::uint64_t max_children) {
  if (!kind.fd_number(FdName::connection) || !kind.fd_number(FdName::broker)) {
    return fail("cell " + kind.name + " grants no connection and broker descriptors: it cannot be forked");
  }
  CellKind zygote = kind;
  zygote.name = kind.name + "-zygote";
  zygote.listen.reset();
  zygote.requests.clear();
  zygote.serves.reset();
  zygote.spec.envp.emplace_back("QCELL_ZYGOTE=1");
  for (sandbox::SyscallRule& rule : zygote_extra_syscalls()) zygote.spec.syscalls.push_back(std::move(rule));
  auto filter = sandbox::export_cell_filter(kind.spec);
  if (!filter) return fail(sandbox::format_spawn_error(kind.name, filter.error()));
  zygote.child_filter = std::make_shared<UniqueFd>(std::move(filter.value()));
  // Its children count against qmaild's processes too; each child lowers
  // its own limit to 0.
  bool set = false;
  for (sandbox::Rlimit& limit : zygote.spec.rlimits) {
    if (limit.resource == RLIMIT_NPROC) {
      limit.value = max_children + 16;
      set = true;
    }
  }
  if (!set) zygote.spec.rlimits.push_back({RLIMIT_NPROC, max_children + 16});
  return zygote;
}

}  // namespace qcell
