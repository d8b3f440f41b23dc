// spawn.cc — creates a cell: clone into new namespaces, then in the child,
// in this fixed order, each step checked: join shared namespaces, hostname,
// mount view and pivot_root, descriptors, rlimits, bounding and ambient
// capability sets, groups and gid, uid, capabilities, no_new_privs, Landlock,
// seccomp, execveat. A failed step is reported to the broker through a pipe
// and the child exits; the cell never runs with a wall missing.
//
// The child is created like posix_spawn's: CLONE_VM|CLONE_VFORK, on a stack
// of its own, sharing the broker's memory until exec while the broker waits
// (copying the address space is what makes fork cost milliseconds here; see
// docs/cells.md). So everything that allocates is prepared in the parent,
// and the child changes credentials with raw system calls: glibc's wrappers
// would broadcast the change to the broker's threads.
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/seccomp.h>
#include <linux/securebits.h>
#include <sched.h>
#include <signal.h>
#include <sys/capability.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "sandbox/linux/landlock.h"
#include "sandbox/linux/seccomp_filter.h"
#include "sandbox/sandbox.h"

namespace qcell::sandbox {

namespace {

// What the child reports when a step fails.
struct FailureRecord {
  Step step;
  int sys_errno;
  char detail[96];
};

struct MountPlan {
  std::string source;
  std::string target_in_staging;  // staging_root + target
  bool writable;
  bool executable;  // without MS_NOEXEC; spawn_cell refuses it with writable
};

struct ChildPlan {
  const CellSpec* spec;
  std::string staging_root;
  std::vector<MountPlan> mounts;
  std::vector<std::string> directories_to_create;  // in order, inside the staging root
  std::vector<char*> argv;
  std::vector<char*> envp;
  BpfProgram filter;
  int report_fd;  // the pipe's write end in the parent's numbering
  int ruleset_fd = -1;  // the Landlock ruleset built in the parent, or -1
  int landlock_abi;
  bool restrict_network;
};

[[noreturn]] void report_and_exit(Step step, int err, const char* detail) noexcept {
  FailureRecord record{};
  record.step = step;
  record.sys_errno = err;
  if (detail != nullptr) {
    std::size_t n = std::strlen(detail);
    if (n >= sizeof record.detail) n = sizeof record.detail - 1;
    std::memcpy(record.detail, detail, n);
  }
  // The report descriptor is exec_report_fd by the time anything can fail
  // after the descriptor step; before it, the parent's number is still valid
  // and was moved to exec_report_fd first thing.
  ssize_t ignored = ::write(exec_report_fd, &record, sizeof record);
  (void)ignored;
  ::_exit(127);
}

void check(bool ok, Step step, const char* detail = nullptr) noexcept {
  if (!ok) report_and_exit(step, errno, detail);
}

void join_shared_namespaces(const CellSpec& spec) noexcept {
  if (spec.namespaces.mount && spec.shared.mnt >= 0) {
    check(::setns(spec.shared.mnt, CLONE_NEWNS) == 0, Step::join_namespaces, "mnt");
    check(::chdir("/") == 0, Step::join_namespaces, "chdir /");
  }
  if (spec.namespaces.net && spec.shared.net >= 0)
    check(::setns(spec.shared.net, CLONE_NEWNET) == 0, Step::join_namespaces, "net");
  if (spec.namespaces.ipc && spec.shared.ipc >= 0)
    check(::setns(spec.shared.ipc, CLONE_NEWIPC) == 0, Step::join_namespaces, "ipc");
  if (spec.namespaces.uts && spec.shared.uts >= 0)
    check(::setns(spec.shared.uts, CLONE_NEWUTS) == 0, Step::join_namespaces, "uts");
}

// An empty read-only tmpfs root holding only the views, entered with pivot_root.
void mount_view(const ChildPlan& plan) noexcept {
  const std::string& staging_root = plan.staging_root;
  check(::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0, Step::mount_view, "make / private");
  check(::mount("qcell", staging_root.c_str(), "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
                "size=64k,nr_inodes=256,mode=0755") == 0,
        Step::mount_view, "tmpfs root");
  for (const std::string& dir : plan.directories_to_create) {
    check(::mkdir(dir.c_str(), 0755) == 0 || errno == EEXIST, Step::mount_view, dir.c_str());
  }
  for (const MountPlan& m : plan.mounts) {
    check(::mount(m.source.c_str(), m.target_in_staging.c_str(), nullptr, MS_BIND | MS_REC, nullptr) == 0,
          Step::mount_view, m.source.c_str());
    unsigned long flags = MS_BIND | MS_REMOUNT | MS_NOSUID | MS_NODEV;
    if (!m.executable) flags |= MS_NOEXEC;
    if (!m.writable) flags |= MS_RDONLY;
    check(::mount(nullptr, m.target_in_staging.c_str(), nullptr, flags, nullptr) == 0, Step::mount_view,
          m.target_in_staging.c_str());
  }
  check(::chdir(staging_root.c_str()) == 0, Step::pivot_root, "chdir to new root");
  check(::syscall(SYS_pivot_root, ".", ".") == 0, Step::pivot_root, "pivot_root");
  check(::umount2(".", MNT_DETACH) == 0, Step::pivot_root, "detach old root");
  check(::chdir("/") == 0, Step::pivot_root, "chdir /");
  check(::mount(nullptr, "/", nullptr, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) == 0,
        Step::pivot_root, "remount root read-only");
}

// Moves a descriptor to exactly `target`, keeping close-on-exec as asked.
void place(int from, int target, bool cloexec, Step step) noexcept {
  if (from == target) {
    check(::fcntl(target, F_SETFD, cloexec ? FD_CLOEXEC : 0) == 0, step, "fcntl");
    return;
  }
  check(::dup3(from, target, cloexec ? O_CLOEXEC : 0) == target, step, "dup3");
}

// Grants land on their numbers; the program and the report pipe sit at
// exec_program_fd and exec_report_fd (close-on-exec); everything else closes.
void arrange_descriptors(const ChildPlan& plan) noexcept {
  const CellSpec& spec = *plan.spec;
  // 1. Everything we keep goes above 1024 first, so no placement clobbers another source.
  constexpr int parking = 1100;
  int parked_program = ::fcntl(spec.program_fd, F_DUPFD_CLOEXEC, parking);
  check(parked_program >= 0, Step::descriptors, "park program");
  int parked_report = ::fcntl(exec_report_fd, F_DUPFD_CLOEXEC, parking);
  check(parked_report >= 0, Step::descriptors, "park report pipe");
  int parked_ruleset = -1;
  if (plan.ruleset_fd >= 0) {
    parked_ruleset = ::fcntl(plan.ruleset_fd, F_DUPFD_CLOEXEC, parking);
    check(parked_ruleset >= 0, Step::descriptors, "park landlock ruleset");
  }
  // Up to 64 grants (the policy format's limit).
  int parked_grants[64];
  std::size_t grants = spec.fds.size() < 64 ? spec.fds.size() : 64;
  for (std::size_t i = 0; i < grants; ++i) {
    parked_grants[i] = ::fcntl(spec.fds[i].source, F_DUPFD_CLOEXEC, parking);
    check(parked_grants[i] >= 0, Step::descriptors, "park grant");
  }
  // 2. Place them.
  place(parked_report, exec_report_fd, true, Step::descriptors);
  place(parked_program, exec_program_fd, true, Step::descriptors);
  if (parked_ruleset >= 0) place(parked_ruleset, exec_ruleset_fd, true, Step::descriptors);
  for (std::size_t i = 0; i < grants; ++i) place(parked_grants[i], spec.fds[i].target, false, Step::descriptors);
  // 3. Close everything else: 0..1020 except the grants (and 1021 unless it
  // holds the ruleset), and 1024 upwards.
  bool keep[1022] = {};
  keep[exec_ruleset_fd] = parked_ruleset >= 0;
  for (std::size_t i = 0; i < grants; ++i) {
    int t = spec.fds[i].target;
    if (t >= 0 && t < 1022) keep[t] = true;
  }
  int run_start = -1;
  for (int fd = 0; fd <= 1022; ++fd) {
    bool closing = fd < 1022 && !keep[fd];
    if (closing && run_start < 0) run_start = fd;
    if (!closing && run_start >= 0) {
      check(::syscall(SYS_close_range, run_start, fd - 1, 0) == 0, Step::descriptors, "close_range");
      run_start = -1;
    }
  }
  check(::syscall(SYS_close_range, 1024, ~0U, 0) == 0, Step::descriptors, "close_range high");
}

void set_rlimits(const CellSpec& spec, bool nproc_pass) noexcept {
  for (const Rlimit& r : spec.rlimits) {
    // RLIMIT_NPROC is lowered only after the uid change: set before it, the
    // kernel marks the process PF_NPROC_EXCEEDED and execve fails (EAGAIN).
    // RLIMIT_AS waits too, until the last allocation before exec is done
    // (libcap's): in sanitizer builds the child still runs the broker's
    // instrumented code, whose allocator maps far more than a cell's limit.
    const bool late = r.resource == RLIMIT_NPROC || r.resource == RLIMIT_AS;
    if (late != nproc_pass) continue;
    struct rlimit limit {};
    limit.rlim_cur = r.value;
    limit.rlim_max = r.value;
    check(::setrlimit(r.resource, &limit) == 0, Step::rlimits, "setrlimit");
  }
}

void drop_privileges(const CellSpec& spec) noexcept {
  // Bounding and ambient sets first: clearing the bounding set needs CAP_SETPCAP.
  for (int cap = 0; cap <= CAP_LAST_CAP; ++cap) {
    if (CAP_IS_SUPPORTED(cap))
      check(cap_drop_bound(static_cast<cap_value_t>(cap)) == 0, Step::bounding_set, "cap_drop_bound");
  }
  check(cap_reset_ambient() == 0, Step::bounding_set, "cap_reset_ambient");
  // Lock the securebits so that nothing can regain privilege through uid 0
  // semantics, keep-caps or ambient raising (the setuid fixup stays on: it
  // is what clears the capability sets below).
  check(::prctl(PR_SET_SECUREBITS, SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP_LOCKED |
                                       SECBIT_KEEP_CAPS_LOCKED | SECBIT_NO_CAP_AMBIENT_RAISE |
                                       SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED) == 0,
        Step::bounding_set, "securebits");
  check(::syscall(SYS_setgroups, 0, nullptr) == 0, Step::groups, "setgroups");
  check(::syscall(SYS_setresgid, spec.gid, spec.gid, spec.gid) == 0, Step::gid, "setresgid");
  check(::syscall(SYS_setresuid, spec.uid, spec.uid, spec.uid) == 0, Step::uid, "setresuid");
  // Verify: every id is the role's, and every capability set is empty.
  uid_t ru = 0, eu = 0, su = 0;
  gid_t rg = 0, eg = 0, sg = 0;
  check(::getresuid(&ru, &eu, &su) == 0 && ru == spec.uid && eu == spec.uid && su == spec.uid, Step::uid, "verify uid");
  check(::getresgid(&rg, &eg, &sg) == 0 && rg == spec.gid && eg == spec.gid && sg == spec.gid, Step::gid, "verify gid");
  cap_t empty = cap_init();
  check(empty != nullptr, Step::capabilities, "cap_init");
  check(cap_set_proc(empty) == 0, Step::capabilities, "cap_set_proc");
  cap_t now = cap_get_proc();
  check(now != nullptr && cap_compare(now, empty) == 0, Step::capabilities, "verify capabilities");
  cap_free(now);
  cap_free(empty);
  set_rlimits(spec, true);
  // Die with the broker rather than outlive it (set after the uid change,
  // which clears it).
  check(::prctl(PR_SET_PDEATHSIG, SIGKILL) == 0, Step::uid, "pdeathsig");
}

[[noreturn]] void run_child(const ChildPlan& plan) noexcept {
  const CellSpec& spec = *plan.spec;
  // Move the report pipe to its fixed number at once so report_and_exit works.
  if (plan.report_fd != exec_report_fd && ::dup3(plan.report_fd, exec_report_fd, O_CLOEXEC) != exec_report_fd) {
    ::_exit(126);
  }
  const ChildPlan& local = plan;

  join_shared_namespaces(spec);
  if (spec.namespaces.uts) {
    check(::sethostname(spec.name.data(), spec.name.size()) == 0, Step::hostname, "sethostname");
  }
  if (spec.namespaces.mount && spec.shared.mnt < 0) mount_view(local);
  arrange_descriptors(local);
  set_rlimits(spec, false);
  drop_privileges(spec);
  check(::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0, Step::no_new_privs, "no_new_privs");
  if (local.ruleset_fd >= 0) {
    check(restrict_self(exec_ruleset_fd), Step::landlock, "landlock_restrict_self");
    ::close(exec_ruleset_fd);
  }
  sock_fprog program = local.filter.fprog();
  check(::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &program) == 0, Step::seccomp, "seccomp");
  ::syscall(SYS_execveat, exec_program_fd, "", local.argv.data(), local.envp.data(), AT_EMPTY_PATH);
  report_and_exit(Step::exec, errno, "execveat");
}

int child_entry(void* plan) { run_child(*static_cast<const ChildPlan*>(plan)); }

// A stack for the child, with a guard page below it.
class ChildStack {
 public:
  static constexpr std::size_t size = 256 * 1024;
  ChildStack() {
    void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (p == MAP_FAILED) return;
    base_ = static_cast<char*>(p);
    if (::mprotect(base_, 4096, PROT_NONE) != 0) {
      ::munmap(base_, size);
      base_ = nullptr;
    }
  }
  ~ChildStack() {
    if (base_ != nullptr) ::munmap(base_, size);
  }
  ChildStack(const ChildStack&) = delete;
  ChildStack& operator=(const ChildStack&) = delete;
  [[nodiscard]] void* top() const { return base_ == nullptr ? nullptr : base_ + size; }

 private:
  char* base_ = nullptr;
};

// Parent directories of `path` (absolute), shallowest first, then path itself.
void add_directories(const std::string& root, const std::string& path, std::vector<std::string>& out) {
  std::size_t pos = 1;
  while (pos <= path.size()) {
    std::size_t slash = path.find('/', pos);
    if (slash == std::string::npos) slash = path.size();
    std::string dir = root + path.substr(0, slash);
    if (std::find(out.begin(), out.end(), dir) == out.end()) out.push_back(dir);
    pos = slash + 1;
  }
}

}  // namespace

std::string_view step_name(Step step) noexcept {
  switch (step) {
    case Step::clone: return "clone";
    case Step::join_namespaces: return "join-namespaces";
    case Step::hostname: return "hostname";
    case Step::mount_view: return "mount-view";
    case Step::pivot_root: return "pivot-root";
    case Step::descriptors: return "descriptors";
    case Step::rlimits: return "rlimits";
    case Step::bounding_set: return "bounding-set";
    case Step::groups: return "groups";
    case Step::gid: return "gid";
    case Step::uid: return "uid";
    case Step::capabilities: return "capabilities";
    case Step::no_new_privs: return "no-new-privs";
    case Step::landlock: return "landlock";
    case Step::seccomp: return "seccomp";
    case Step::exec: return "exec";
    case Step::missing_wall: return "missing-wall";
  }
  return "unknown";
}

std::string format_spawn_error(std::string_view cell, const SpawnError& error) {
  std::string out = "cell ";
  out += cell;
  out += " not started: step ";
  out += step_name(error.step);
  if (!error.detail.empty()) out += " (" + error.detail + ")";
  if (error.sys_errno != 0) {
    out += ": ";
    out += ::strerror(error.sys_errno);
  }
  return out;
}

Result<pid_t, SpawnError> spawn_cell(const CellSpec& spec, const Walls& available) {
  // Refuse before creating anything when a required wall is missing.
  if (std::string missing = missing_walls(spec.required, available); !missing.empty()) {
    return fail(SpawnError{Step::missing_wall, 0, "required wall missing: " + missing});
  }
  if (spec.uid == 0 || spec.gid == 0) return fail(SpawnError{Step::uid, EPERM, "a cell never runs as root"});
  if (spec.fds.size() > 64) return fail(SpawnError{Step::descriptors, E2BIG, "more than 64 descriptors"});
  for (const FdGrant& g : spec.fds) {
    if (g.target < 0 || g.target >= exec_ruleset_fd || g.source < 0 || g.source >= exec_program_fd) {
      return fail(SpawnError{Step::descriptors, EBADF, "grant number out of range"});
    }
  }
  if (spec.program_fd < 0 || spec.program_fd >= exec_program_fd) {
    return fail(SpawnError{Step::exec, EBADF, "program descriptor out of range"});
  }
  bool nofile_set = false;
  for (const Rlimit& r : spec.rlimits) {
    if (r.resource == RLIMIT_NOFILE) {
      nofile_set = true;
      if (r.value >= static_cast<std::uint64_t>(exec_program_fd)) {
        return fail(SpawnError{Step::rlimits, EINVAL, "RLIMIT_NOFILE must stay below 1022"});
      }
    }
  }
  if (!nofile_set) return fail(SpawnError{Step::rlimits, EINVAL, "RLIMIT_NOFILE must be set"});
  if (spec.namespaces.mount && spec.shared.mnt < 0 && spec.staging_root.empty()) {
    return fail(SpawnError{Step::mount_view, EINVAL, "no staging root for the mount view"});
  }
  if (!spec.namespaces.mount && !spec.views.empty()) {
    return fail(SpawnError{Step::mount_view, EINVAL, "views need a mount namespace"});
  }

  ChildPlan plan;
  plan.spec = &spec;
  plan.staging_root = spec.staging_root;
  plan.landlock_abi = available.landlock ? landlock_abi() : 0;
  // TCP is handled for a cell without network (nothing to reach, so no
  // port) and for one on the host's network that names its ports.
  plan.restrict_network = spec.namespaces.net || spec.restrict_tcp;
  for (const View& v : spec.views) {
    add_directories(spec.staging_root, v.target, plan.directories_to_create);
    if (v.writable && v.executable) {
      return fail(SpawnError{Step::mount_view, EINVAL, "a view is never both writable and executable"});
    }
    plan.mounts.push_back({v.source, spec.staging_root + v.target, v.writable, v.executable});
  }
  auto filter = compile_filter(spec.syscalls);
  if (!filter) return fail(SpawnError{Step::seccomp, filter.error().sys_errno, filter.error().detail});
  plan.filter = std::move(filter.value());
  for (const std::string& a : spec.argv) plan.argv.push_back(const_cast<char*>(a.c_str()));
  plan.argv.push_back(nullptr);
  for (const std::string& e : spec.envp) plan.envp.push_back(const_cast<char*>(e.c_str()));
  plan.envp.push_back(nullptr);

  // Landlock rules are resolved here, in the broker's view of the files.
  UniqueFd ruleset;
  if (plan.landlock_abi >= 1) {
    // A rule path inside a view names the view's source on the host; any
    // other path is the host's own (a directory granted as a descriptor).
    std::vector<LandlockRule> rules = spec.landlock;
    for (LandlockRule& rule : rules) {
      const View* inner = nullptr;
      for (const View& v : spec.views) {
        bool inside = rule.path.rfind(v.target, 0) == 0 &&
                      (rule.path.size() == v.target.size() || rule.path[v.target.size()] == '/');
        if (inside && (inner == nullptr || v.target.size() > inner->target.size())) inner = &v;
      }
      if (inner != nullptr) rule.path = inner->source + rule.path.substr(inner->target.size());
    }
    LandlockFailure failure;
    ruleset.reset(build_landlock_ruleset(rules, spec.landlock_scope_abstract_unix && plan.landlock_abi >= 6,
                                         spec.landlock_scope_signal && plan.landlock_abi >= 6, plan.restrict_network,
                                         spec.restrict_tcp ? spec.connect_tcp_ports : std::vector<std::uint16_t>{},
                                         plan.landlock_abi, spec.program_fd, failure));
    if (!ruleset) return fail(SpawnError{Step::landlock, failure.sys_errno, failure.what});
    plan.ruleset_fd = ruleset.get();
  }

  int report[2];
  if (::pipe2(report, O_CLOEXEC) != 0) return fail(SpawnError{Step::clone, errno, "pipe"});
  UniqueFd report_read(report[0]);
  UniqueFd report_write(report[1]);
  plan.report_fd = report_write.get();

  int flags = SIGCHLD | CLONE_VM | CLONE_VFORK;
  if (spec.namespaces.mount && spec.shared.mnt < 0) flags |= CLONE_NEWNS;
  if (spec.namespaces.pid) flags |= CLONE_NEWPID;
  if (spec.namespaces.net && spec.shared.net < 0) flags |= CLONE_NEWNET;
  if (spec.namespaces.ipc && spec.shared.ipc < 0) flags |= CLONE_NEWIPC;
  if (spec.namespaces.uts && spec.shared.uts < 0) flags |= CLONE_NEWUTS;
  ChildStack stack;
  if (stack.top() == nullptr) return fail(SpawnError{Step::clone, ENOMEM, "child stack"});
  // Returns once the child has exec'd or exited (CLONE_VFORK).
  int child = ::clone(child_entry, stack.top(), flags, &plan);
  if (child < 0) return fail(SpawnError{Step::clone, errno, "clone"});

  report_write.reset();
  FailureRecord record{};
  auto got = read_full(report_read.get(), std::as_writable_bytes(std::span(&record, 1)));
  auto pid = static_cast<pid_t>(child);
  if (got.ok() && *got == 0) return pid;  // the pipe closed at exec: the cell runs
  // Any record (or a short one) means the child failed and exits: reap it.
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!got.ok() || *got != sizeof record) return fail(SpawnError{Step::clone, EPROTO, "child died before reporting"});
  record.detail[sizeof record.detail - 1] = '\0';
  return fail(SpawnError{record.step, record.sys_errno, record.detail});
}

Result<OwnedNamespaces, SpawnError> create_shared_namespaces(const Namespaces& which, const std::vector<View>& views,
                                                             const std::string& staging_root) {
  // A short-lived child enters new namespaces (building the mount view, if
  // asked) and reports; the parent opens its namespace files; the child
  // exits; the open descriptors keep the namespaces alive.
  if (which.mount && staging_root.empty()) return fail(SpawnError{Step::mount_view, EINVAL, "no staging root"});
  int report[2];
  int sync[2];
  if (::pipe2(report, O_CLOEXEC) != 0) return fail(SpawnError{Step::clone, errno, "pipe"});
  UniqueFd report_read(report[0]);
  UniqueFd report_write(report[1]);
  if (::pipe2(sync, O_CLOEXEC) != 0) return fail(SpawnError{Step::clone, errno, "pipe"});
  UniqueFd sync_read(sync[0]);
  UniqueFd sync_write(sync[1]);
  ChildPlan plan;
  plan.staging_root = staging_root;
  for (const View& v : views) {
    add_directories(staging_root, v.target, plan.directories_to_create);
    plan.mounts.push_back({v.source, staging_root + v.target, v.writable, v.executable && !v.writable});
  }
  unsigned long flags = SIGCHLD;
  if (which.mount) flags |= CLONE_NEWNS;
  if (which.net) flags |= CLONE_NEWNET;
  if (which.ipc) flags |= CLONE_NEWIPC;
  if (which.uts) flags |= CLONE_NEWUTS;
  long child = ::syscall(SYS_clone, flags, nullptr, nullptr, nullptr, 0);  // once per kind: a plain fork is fine
  if (child < 0) return fail(SpawnError{Step::clone, errno, "clone for shared namespaces"});
  if (child == 0) {
    sync_write.reset();  // or the read below would never see end of file
    if (::dup3(report_write.get(), exec_report_fd, O_CLOEXEC) != exec_report_fd) ::_exit(126);
    if (which.mount) mount_view(plan);
    FailureRecord ready{};
    ready.step = Step::exec;  // "ready", not a failure: see below
    ssize_t ignored = ::write(exec_report_fd, &ready, sizeof ready);
    char byte = 0;
    ignored = ::read(sync_read.get(), &byte, 1);  // wait until the parent has the namespaces open
    (void)ignored;
    ::_exit(0);
  }
  report_write.reset();
  auto pid = static_cast<pid_t>(child);
  FailureRecord record{};
  auto got = read_full(report_read.get(), std::as_writable_bytes(std::span(&record, 1)));
  OwnedNamespaces owned;
  SpawnError error{Step::clone, 0, ""};
  bool ok = got.ok() && *got == sizeof record && record.step == Step::exec;
  if (!ok) {
    record.detail[sizeof record.detail - 1] = '\0';
    error = got.ok() && *got == sizeof record ? SpawnError{record.step, record.sys_errno, record.detail}
                                              : SpawnError{Step::clone, EPROTO, "namespace child died"};
  } else {
    std::string base = "/proc/" + std::to_string(pid) + "/ns/";
    auto open_ns = [&](bool wanted, const char* name, UniqueFd& into) {
      if (!wanted || !ok) return;
      into.reset(::open((base + name).c_str(), O_RDONLY | O_CLOEXEC));
      if (!into) {
        ok = false;
        error = SpawnError{Step::join_namespaces, errno, std::string("open ") + name};
      }
    };
    open_ns(which.mount, "mnt", owned.mnt);
    open_ns(which.net, "net", owned.net);
    open_ns(which.ipc, "ipc", owned.ipc);
    open_ns(which.uts, "uts", owned.uts);
  }
  sync_write.reset();
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!ok) return fail(error);
  return owned;
}

}  // namespace qcell::sandbox
