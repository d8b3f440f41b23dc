// landlock.cc — Landlock syscalls by number (glibc has no wrappers).
#include "sandbox/linux/landlock.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/fd.h"

namespace qcell::sandbox {

namespace {

// From the kernel's uapi/linux/landlock.h (ABI noted per bit).
constexpr std::uint64_t fs_execute = 1ULL << 0;
constexpr std::uint64_t fs_write_file = 1ULL << 1;
constexpr std::uint64_t fs_read_file = 1ULL << 2;
constexpr std::uint64_t fs_read_dir = 1ULL << 3;
constexpr std::uint64_t fs_remove_dir = 1ULL << 4;
constexpr std::uint64_t fs_remove_file = 1ULL << 5;
constexpr std::uint64_t fs_make_char = 1ULL << 6;
constexpr std::uint64_t fs_make_dir = 1ULL << 7;
constexpr std::uint64_t fs_make_reg = 1ULL << 8;
constexpr std::uint64_t fs_make_sock = 1ULL << 9;
constexpr std::uint64_t fs_make_fifo = 1ULL << 10;
constexpr std::uint64_t fs_make_block = 1ULL << 11;
constexpr std::uint64_t fs_make_sym = 1ULL << 12;
constexpr std::uint64_t fs_refer = 1ULL << 13;                   // ABI 2
constexpr std::uint64_t fs_truncate = 1ULL << 14;                // ABI 3
constexpr std::uint64_t fs_ioctl_dev = 1ULL << 15;               // ABI 5
constexpr std::uint64_t net_bind_tcp = 1ULL << 0;                // ABI 4
constexpr std::uint64_t net_connect_tcp = 1ULL << 1;             // ABI 4
constexpr std::uint64_t scope_abstract_unix_socket = 1ULL << 0;  // ABI 6
constexpr std::uint64_t scope_signal = 1ULL << 1;                // ABI 6
constexpr unsigned create_ruleset_version = 1U << 0;
constexpr int rule_path_beneath = 1;
constexpr int rule_net_port = 2;  // ABI 4

struct RulesetAttr {
  std::uint64_t handled_access_fs;
  std::uint64_t handled_access_net;
  std::uint64_t scoped;
};

struct __attribute__((packed)) PathBeneathAttr {
  std::uint64_t allowed_access;
  std::int32_t parent_fd;
};

// struct landlock_net_port_attr: the port in host byte order.
struct NetPortAttr {
  std::uint64_t allowed_access;
  std::uint64_t port;
};
static_assert(sizeof(NetPortAttr) == 16);

std::uint64_t handled_fs(int abi) noexcept {
  std::uint64_t all = fs_execute | fs_write_file | fs_read_file | fs_read_dir | fs_remove_dir | fs_remove_file |
                      fs_make_char | fs_make_dir | fs_make_reg | fs_make_sock | fs_make_fifo | fs_make_block |
                      fs_make_sym;
  if (abi >= 2) all |= fs_refer;
  if (abi >= 3) all |= fs_truncate;
  if (abi >= 5) all |= fs_ioctl_dev;
  return all;
}

// What each policy access grants. Writing never includes creating devices,
// sockets, FIFOs or symlinks: no cell needs them.
std::uint64_t grant(Access access, int abi) noexcept {
  switch (access) {
    case Access::read: return fs_read_file | fs_read_dir;
    case Access::write: {
      std::uint64_t w = fs_write_file | fs_remove_dir | fs_remove_file | fs_make_dir | fs_make_reg;
      if (abi >= 2) w |= fs_refer;  // link(2)/rename(2) across directories (Maildir tmp -> new)
      if (abi >= 3) w |= fs_truncate;
      return w;
    }
    case Access::execute: return fs_execute | fs_read_file;
  }
  return 0;
}

}  // namespace

int landlock_abi() noexcept {
  long abi = ::syscall(SYS_landlock_create_ruleset, nullptr, 0, create_ruleset_version);
  return abi < 0 ? 0 : static_cast<int>(abi);
}

int build_landlock_ruleset(const std::vector<LandlockRule>& rules, bool scope_abstract_unix, bool scope_signals,
                           bool restrict_network, const std::vector<std::uint16_t>& connect_tcp_ports, int abi,
                           int program_fd, LandlockFailure& failure) noexcept {
  RulesetAttr attr{};
  attr.handled_access_fs = handled_fs(abi);
  std::size_t size = sizeof attr.handled_access_fs;
  if (abi >= 4) {
    if (restrict_network) attr.handled_access_net = net_bind_tcp | net_connect_tcp;
    size = 2 * sizeof(std::uint64_t);
  }
  if (abi >= 6) {
    if (scope_abstract_unix) attr.scoped |= scope_abstract_unix_socket;
    if (scope_signals) attr.scoped |= scope_signal;
    size = sizeof attr;
  } else if (scope_abstract_unix || scope_signals) {
    failure = {EOPNOTSUPP, "landlock scopes need ABI 6"};
    return -1;
  }
  long ruleset = ::syscall(SYS_landlock_create_ruleset, &attr, size, 0);
  if (ruleset < 0) {
    failure = {errno, "landlock_create_ruleset"};
    return -1;
  }
  UniqueFd ruleset_fd(static_cast<int>(ruleset));
  for (const LandlockRule& rule : rules) {
    // Opened by the broker as root: a symlink in the last component is
    // not followed (adding a rule for it fails, and the cell does not start).
    UniqueFd path(::open(rule.path.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
    if (!path) {
      failure = {errno, "open of a landlock path"};
      return -1;
    }
    PathBeneathAttr beneath{};
    beneath.allowed_access = grant(rule.access, abi) & attr.handled_access_fs;
    beneath.parent_fd = path.get();
    if (::syscall(SYS_landlock_add_rule, ruleset_fd.get(), rule_path_beneath, &beneath, 0) != 0) {
      failure = {errno, "landlock_add_rule"};
      return -1;
    }
  }
  // The TCP ports the cell may connect to; binding stays handled and
  // unallowed, so the cell can listen on no TCP port.
  if (attr.handled_access_net != 0) {
    for (std::uint16_t port : connect_tcp_ports) {
      NetPortAttr rule{net_connect_tcp, port};
      if (::syscall(SYS_landlock_add_rule, ruleset_fd.get(), rule_net_port, &rule, 0) != 0) {
        failure = {errno, "landlock_add_rule for a TCP port"};
        return -1;
      }
    }
  }
  // The program itself: the only file this cell may execute (none for a
  // program that confines itself: program_fd -1).
  if (program_fd < 0) return ruleset_fd.release();
  PathBeneathAttr program{};
  program.allowed_access = fs_execute | fs_read_file;
  program.parent_fd = program_fd;
  if (::syscall(SYS_landlock_add_rule, ruleset_fd.get(), rule_path_beneath, &program, 0) != 0) {
    failure = {errno, "landlock_add_rule for the program"};
    return -1;
  }
  return ruleset_fd.release();
}

bool restrict_self(int ruleset_fd) noexcept { return ::syscall(SYS_landlock_restrict_self, ruleset_fd, 0) == 0; }

}  // namespace qcell::sandbox
