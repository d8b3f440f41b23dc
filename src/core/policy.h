// policy.h — the cell policy file (policy/NAME.policy): what one cell may do,
// as a list of what is allowed. A pure parser that also checks everything
// that needs no outside knowledge, the canonical renderer, the vocabularies,
// and precise one-line errors. docs/policy.md describes the format.
//
// Hostile input: the file's bytes. Policies are written by the project, but
// the broker reads them as root, and a policy that says less than it seems
// to (an invisible byte, a bidirectional override in a comment, a number
// that wraps to "unlimited") is an attack on the reviewer. So the file is
// parsed like mail: bounded size, bounded lines, no NUL or control bytes,
// strict numbers with checked arithmetic, and the first error stops it.
//
// Not checked here (a later step does it with outside knowledge): whether
// the syscall names exist (libseccomp resolves policy_syscall_names()),
// whether the accounts exist, whether the paths exist.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/limits.h"
#include "core/result.h"

namespace qcell {

// Bounds of the format beside limits::policy_file. They bound the parser's
// memory and the broker's BPF program, and together they guarantee that
// format_policy() of any parsed policy fits in limits::policy_file again
// (a static_assert in policy.cc adds up the worst case).
namespace policy_limits {
// One line, without its LF or CRLF: a rule is read at a glance.
inline constexpr std::size_t line = 1024;
// cell and program names: short words that name files and log lines.
inline constexpr std::size_t name = 64;
// user and group: the longest name useradd accepts (32).
inline constexpr std::size_t account = 32;
// A syscall name: the longest Linux syscall name is 23 bytes.
inline constexpr std::size_t syscall_name = 40;
// A view or Landlock path: the qmail tree is shallow.
inline constexpr std::size_t path = 255;
// Bind mounts into one cell's empty root.
inline constexpr std::size_t views = 32;
// Landlock rules of one cell.
inline constexpr std::size_t landlock_rules = 32;
// Ports of `landlock connect-tcp`: a cell that talks to the network needs a
// few (SMTP, DNS over TCP); each is a Landlock rule the kernel keeps.
inline constexpr std::size_t tcp_ports = 16;
// Ports that `$control` may add when the broker expands it from the control
// files (qcell/policies.h, add_control_tcp_ports).
inline constexpr std::size_t control_tcp_ports = 16;
// Syscalls allowed without conditions: more than Linux has (about 460 on x86-64).
inline constexpr std::size_t unconditional_syscalls = 512;
// `allow ... where` rules: each costs BPF instructions per condition.
inline constexpr std::size_t argument_rules = 48;
// Descriptor numbers a cell may receive: 0..63.
inline constexpr unsigned fd_numbers = 64;
// Conditions in one argument rule: libseccomp compares each argument at most
// once per rule, and there are six.
inline constexpr std::size_t conditions = 6;
// A finite rlimit: far above any real limit and far below RLIM_INFINITY, so
// that no number can mean "unlimited" by accident.
inline constexpr std::uint64_t rlimit_value = std::uint64_t{1} << 62;
// The offending token kept in an error (longer ones are cut and end in "...").
inline constexpr std::size_t error_detail = 64;
}  // namespace policy_limits

// --- vocabularies -----------------------------------------------------------------
// Each vocabulary is one constexpr table in policy.cc (word, meaning), in the
// order of its enum; add a word there and here.

enum class Lifetime : std::uint8_t {
  long_lived,  // "long": started once, restarted by the broker when it exits
  connection,  // one cell per accepted connection
  request,     // one cell per broker request (e.g. one delivery)
  caller,      // not a cell: a program its caller runs, which confines itself (sandbox/confine.h)
};

// Descriptors a cell can be given, by role.
enum class FdName : std::uint8_t {
  connection,
  log,
  control,
  queue,
  message,
  envelope,
  trigger,
  broker,
  home,
  maildir,
  pipe_in,
  pipe_out,
  snapshot,
  requester,
  command,
};

enum class RlimitName : std::uint8_t { as, nofile, fsize, nproc, cpu, core, memlock, stack };

enum class LandlockAccess : std::uint8_t { read, write, execute };

// Requests to the broker that a cell may send.
enum class RequestName : std::uint8_t { spawn_queue, spawn_local, spawn_remote, spawn_clean, spawn_command };

template <class E>
struct VocabularyEntry {
  E value;
  std::string_view text;
  std::string_view meaning;
};

std::span<const VocabularyEntry<Lifetime>> lifetime_table() noexcept;
std::span<const VocabularyEntry<FdName>> fd_name_table() noexcept;
std::span<const VocabularyEntry<RlimitName>> rlimit_name_table() noexcept;
std::span<const VocabularyEntry<LandlockAccess>> landlock_access_table() noexcept;
std::span<const VocabularyEntry<RequestName>> request_name_table() noexcept;

std::string_view lifetime_text(Lifetime value) noexcept;
std::optional<Lifetime> parse_lifetime(std::string_view text) noexcept;
std::string_view fd_name_text(FdName value) noexcept;
std::optional<FdName> parse_fd_name(std::string_view text) noexcept;
std::string_view rlimit_name_text(RlimitName value) noexcept;
std::optional<RlimitName> parse_rlimit_name(std::string_view text) noexcept;
std::string_view landlock_access_text(LandlockAccess value) noexcept;
std::optional<LandlockAccess> parse_landlock_access(std::string_view text) noexcept;
std::string_view request_name_text(RequestName value) noexcept;
std::optional<RequestName> parse_request_name(std::string_view text) noexcept;

// How each rlimit is written and checked.
struct RlimitRule {
  RlimitName name;
  bool bytes;              // takes a K, M or G suffix (powers of 1024)
  bool unlimited_allowed;  // `unlimited` is accepted
  bool required;           // every policy must set it
};
std::span<const RlimitRule> rlimit_rule_table() noexcept;

// --- the policy -------------------------------------------------------------------------

struct NamespaceSet {
  bool mount = false;
  bool pid = false;
  bool net = false;
  bool ipc = false;
  bool uts = false;
  bool operator==(const NamespaceSet&) const = default;
};

// A directory bind-mounted into the cell's otherwise empty root, at the same
// path. A path may start with $home: the recipient's home directory.
// Mode `ro` or `rw` mounts it noexec; `rx` (read-only, programs may be
// executed and libraries mapped from it) is for the system directories of
// the one cell that runs programs (qmail-command). There is no writable
// executable view.
struct View {
  std::string path;
  bool writable = false;
  bool executable = false;  // `rx`: never together with writable
  bool operator==(const View&) const = default;
};

struct FdGrant {
  unsigned number = 0;  // 0..63, the descriptor number inside the cell
  FdName name = FdName::log;
  bool operator==(const FdGrant&) const = default;
};

struct Rlimit {
  RlimitName name = RlimitName::as;
  std::optional<std::uint64_t> value;  // soft and hard limit; nullopt: unlimited
  bool operator==(const Rlimit&) const = default;
};

struct SyscallCondition {
  unsigned arg = 0;  // 0..5
  enum class Op : std::uint8_t { eq, ne, lt, le, gt, ge, masked_eq } op = Op::eq;
  std::uint64_t value = 0;
  std::uint64_t mask = 0;  // only for masked_eq ((arg & mask) == value); 0 otherwise
  bool operator==(const SyscallCondition&) const = default;
};

std::string_view syscall_op_text(SyscallCondition::Op op) noexcept;

struct SyscallRule {
  std::string name;
  std::vector<SyscallCondition> conditions;  // empty: allowed unconditionally
  std::size_t line = 0;                      // where the rule was written, for later errors
  // Two rules are equal when they allow the same thing: the line is where a
  // rule came from, not what it means (a re-rendered policy has other lines).
  bool operator==(const SyscallRule& other) const { return name == other.name && conditions == other.conditions; }
};

struct LandlockRule {
  LandlockAccess access = LandlockAccess::read;
  std::string path;
  bool operator==(const LandlockRule&) const = default;
};

struct LandlockScope {
  bool abstract_unix = false;
  bool signal = false;
  bool operator==(const LandlockScope&) const = default;
};

// Walls that must be on the running kernel, or the cell refuses to start.
// seccomp, no_new_privs, dropping capabilities and the uid change are always
// required and have no flag.
struct WallSet {
  bool landlock = false;
  bool landlock_scope = false;
  bool landlock_net = false;  // Landlock ABI 4: TCP bind and connect rules
  bool mount_namespace = false;
  bool pid_namespace = false;
  bool net_namespace = false;
  bool ipc_namespace = false;
  bool uts_namespace = false;
  bool operator==(const WallSet&) const = default;
};

// The word `recipient` for user and group: the broker picks the uid and gid
// per request (qmail-local runs as the recipient).
inline constexpr std::string_view recipient_account = "recipient";
// The path variables: the recipient's home directory, and the qmail root
// of the installation (`qcell --root`, /var/qmail by default).
inline constexpr std::string_view home_variable = "$home";
inline constexpr std::string_view root_variable = "$root";
// The word of `landlock connect-tcp` that stands for the ports the
// installation's control files name; the broker expands it.
inline constexpr std::string_view control_ports_word = "$control";

struct Policy {
  std::string cell;
  std::string program;
  std::string user;   // an account name or recipient_account
  std::string group;  // an account name or recipient_account
  Lifetime lifetime = Lifetime::long_lived;
  NamespaceSet namespaces;
  std::vector<View> views;
  std::vector<FdGrant> fds;
  std::vector<Rlimit> rlimits;
  std::vector<SyscallRule> syscalls;  // in file order
  std::vector<LandlockRule> landlock;
  LandlockScope landlock_scope;
  // `landlock connect-tcp`: the TCP ports the cell may connect to (1..65535,
  // in file order, each once), and whether `$control` adds the ports of the
  // control files. With either, the cell can connect to no other TCP port
  // and bind none (restricts_tcp).
  std::vector<std::uint16_t> connect_tcp_ports;
  bool connect_tcp_control = false;
  WallSet required;
  std::vector<RequestName> requests;

  [[nodiscard]] bool runs_as_recipient() const { return user == recipient_account; }
  [[nodiscard]] bool restricts_tcp() const { return !connect_tcp_ports.empty() || connect_tcp_control; }
  bool operator==(const Policy&) const = default;
};

// --- errors -------------------------------------------------------------------------------

enum class PolicyErrc : std::uint8_t {
  // the file and its lines
  file_too_large,
  line_too_long,
  nul_byte,
  control_character,
  non_ascii,
  bad_utf8,
  bidi_control,
  // directives
  unknown_directive,
  wrong_arguments,
  cell_not_first,
  repeated_directive,
  missing_directive,
  too_many,
  repeated_word,
  // names and accounts
  bad_name,
  bad_account,
  root_account,
  recipient_mismatch,
  // lifetime and namespaces
  unknown_lifetime,
  unknown_namespace,
  user_namespace,
  none_with_namespaces,
  // paths and views
  path_too_long,
  path_not_absolute,
  path_variable,
  path_empty_component,
  path_dot_component,
  path_trailing_slash,
  home_needs_recipient,
  bad_view_mode,
  repeated_view,
  view_needs_mount_namespace,
  // descriptors
  bad_fd_number,
  unknown_fd_name,
  repeated_fd_number,
  repeated_fd_name,
  missing_log_fd,
  // numbers and rlimits
  bad_number,
  leading_zero,
  number_too_large,
  unknown_rlimit,
  suffix_not_allowed,
  unlimited_not_allowed,
  rlimit_too_large,
  repeated_rlimit,
  missing_rlimits,
  // syscalls
  bad_syscall_name,
  where_needs_one_syscall,
  bad_argument,
  bad_operator,
  malformed_condition,
  incomplete_condition,
  repeated_argument,
  mask_excludes_value,
  syscall_rule_conflict,
  repeated_syscall_rule,
  // landlock
  unknown_landlock_access,
  unknown_landlock_scope,
  repeated_landlock_rule,
  landlock_outside_views,
  landlock_write_in_readonly_view,
  bad_tcp_port,
  repeated_tcp_port,
  connect_tcp_in_net_namespace,
  // walls and requests
  unknown_wall,
  always_required_wall,
  wall_without_namespace,
  unknown_request,
  // lifetime caller
  caller_directive,
};

struct PolicyError {
  PolicyErrc code = PolicyErrc::file_too_large;
  std::size_t line = 0;        // 1-based line of the error; 0: the file as a whole
  std::size_t other_line = 0;  // the other line involved (first seen, contradicted); 0 if none
  // The offending token, at most policy_limits::error_detail bytes, printable
  // ASCII; for a control byte, its value ("0x0b").
  std::string detail;
  bool operator==(const PolicyError&) const = default;
};

// The message template of a code, with placeholders {token} (the detail),
// {other} (other_line), {usage} (the directive's syntax) and {limit}.
std::string_view describe(PolicyErrc code) noexcept;
// The message without file and line: "unknown directive 'alow'".
std::string policy_error_message(const PolicyError& error);
// One line naming file and line: "policy/x.policy line 7: unknown directive 'alow'".
std::string format_policy_error(std::string_view file_name, const PolicyError& error);
// Every code, its template and its cause, as a Markdown table; the test suite
// checks that docs/policy.md contains it verbatim.
std::string policy_error_table_markdown();
// Every code in declaration order (for tests and documentation).
std::span<const PolicyErrc> policy_error_codes() noexcept;

// --- parsing and rendering ----------------------------------------------------------------

// Parses and checks a policy file. Pure: no I/O, no globals; memory bounded
// by limits::policy_file. Returns the first error in the order documented
// in docs/policy.md (errors inside a line first, in line order, then the
// checks that need the whole file).
Result<Policy, PolicyError> parse_policy(std::span<const std::byte> text);

// Canonical text of a policy: the directives in a fixed order, single
// spaces, no comments. For every Policy that parse_policy returned, the text
// is at most limits::policy_file bytes and parses to an equal Policy.
std::string format_policy(const Policy& policy);

// The syscall names of every rule with the line it was written on, in file
// order (a name appears once per rule), for the step that resolves them with
// libseccomp and reports unknown names.
std::vector<std::pair<std::string, std::size_t>> policy_syscall_names(const Policy& policy);

}  // namespace qcell
