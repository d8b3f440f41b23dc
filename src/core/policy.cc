// policy.cc — the cell policy format: line checks, one handler per
// directive, the whole-file checks, the canonical renderer, and the tables
// (vocabularies, directives, errors) that the documentation is tested against.
//
// Hostile input: the policy file's bytes (see policy.h). The parser keeps
// string_views into the input only while parsing; every count it keeps is
// bounded by a limit in policy_limits, and the one multiplication (rlimit
// suffixes) is checked.
#include "core/policy.h"

#include <algorithm>
#include <array>
#include <initializer_list>
#include <iterator>

#include "core/byte_buffer.h"

namespace qcell {

namespace {

using Byte = unsigned char;

// --- vocabularies ------------------------------------------------------------------

constexpr auto lifetimes = std::to_array<VocabularyEntry<Lifetime>>({
    {Lifetime::long_lived, "long", "started once, restarted by the broker when it exits"},
    {Lifetime::connection, "connection", "one cell per accepted connection"},
    {Lifetime::request, "request", "one cell per broker request, e.g. one delivery"},
    {Lifetime::caller, "caller", "not started by the broker: run by its caller, it confines itself"},
});

constexpr auto fd_names = std::to_array<VocabularyEntry<FdName>>({
    {FdName::connection, "connection", "the accepted network connection (read and write)"},
    {FdName::log, "log", "the log pipe to the broker; always descriptor 2"},
    {FdName::control, "control", "the control directory, read-only"},
    {FdName::queue, "queue", "the queue directory"},
    {FdName::message, "message", "one message file, read-only"},
    {FdName::envelope, "envelope", "the envelope pipe (qmail-queue's descriptor 1)"},
    {FdName::trigger, "trigger", "the queue's trigger fifo, to wake qmail-send"},
    {FdName::broker, "broker", "the request channel to the broker"},
    {FdName::home, "home", "the recipient's home directory"},
    {FdName::maildir, "maildir", "the user's Maildir"},
    {FdName::pipe_in, "pipe-in", "a pipe the cell reads (e.g. qmail-queue's message on 0)"},
    {FdName::pipe_out, "pipe-out", "a pipe the cell writes"},
    {FdName::snapshot, "snapshot", "the control values, a sealed read-only memory file made by the broker"},
    {FdName::requester, "requester", "a channel to the cell whose request started this one (qmail-clean's to qmail-send)"},
    {FdName::command, "command", "a program delivery's command and environment, a sealed memory file (core/command_job.h)"},
});

constexpr auto rlimit_names = std::to_array<VocabularyEntry<RlimitName>>({
    {RlimitName::as, "as", "address space (RLIMIT_AS), bytes"},
    {RlimitName::nofile, "nofile", "open descriptors (RLIMIT_NOFILE)"},
    {RlimitName::fsize, "fsize", "largest file written (RLIMIT_FSIZE), bytes"},
    {RlimitName::nproc, "nproc", "processes of the cell's uid (RLIMIT_NPROC)"},
    {RlimitName::cpu, "cpu", "CPU time (RLIMIT_CPU), seconds"},
    {RlimitName::core, "core", "core file size (RLIMIT_CORE), bytes"},
    {RlimitName::memlock, "memlock", "locked memory (RLIMIT_MEMLOCK), bytes"},
    {RlimitName::stack, "stack", "main thread stack (RLIMIT_STACK), bytes"},
});

// name, bytes (takes K/M/G), unlimited allowed, required
constexpr auto rlimit_rules = std::to_array<RlimitRule>({
    {RlimitName::as, true, false, true},
    {RlimitName::nofile, false, false, true},
    {RlimitName::fsize, true, true, true},
    {RlimitName::nproc, false, false, true},
    {RlimitName::cpu, false, true, false},
    {RlimitName::core, true, true, true},
    {RlimitName::memlock, true, true, false},
    {RlimitName::stack, true, true, false},
});

constexpr auto landlock_accesses = std::to_array<VocabularyEntry<LandlockAccess>>({
    {LandlockAccess::read, "read", "read files and list directories beneath the path"},
    {LandlockAccess::write, "write", "write, create, rename and remove beneath the path"},
    {LandlockAccess::execute, "execute", "execute files beneath the path"},
});

constexpr auto request_names = std::to_array<VocabularyEntry<RequestName>>({
    {RequestName::spawn_queue, "spawn-queue", "start a qmail-queue cell and receive its pipes"},
    {RequestName::spawn_local, "spawn-local", "start a qmail-local cell as a recipient"},
    {RequestName::spawn_remote, "spawn-remote", "start a qmail-remote cell"},
    {RequestName::spawn_clean, "spawn-clean", "start a qmail-clean cell on a channel to the sender"},
    {RequestName::spawn_command, "spawn-command", "start a qmail-command cell as the recipient the sender runs as"},
});

// True when the table lists every value of its enum once, in enum order
// (get() reads the enum value of an entry).
template <class Table, class Get>
constexpr bool in_enum_order(const Table& table, Get get) {
  std::size_t expected = 0;
  for (const auto& entry : table) {
    if (static_cast<std::size_t>(get(entry)) != expected++) return false;
  }
  return true;
}
constexpr auto value_of = [](const auto& entry) { return entry.value; };
static_assert(in_enum_order(lifetimes, value_of));
static_assert(in_enum_order(fd_names, value_of));
static_assert(in_enum_order(rlimit_names, value_of));
static_assert(in_enum_order(landlock_accesses, value_of));
static_assert(in_enum_order(request_names, value_of));
static_assert(fd_names.size() == static_cast<std::size_t>(FdName::command) + 1);
static_assert(request_names.size() == static_cast<std::size_t>(RequestName::spawn_command) + 1);
static_assert(rlimit_names.size() == static_cast<std::size_t>(RlimitName::stack) + 1);
static_assert(rlimit_rules.size() == rlimit_names.size());
static_assert(in_enum_order(rlimit_rules, [](const RlimitRule& rule) { return rule.name; }));

template <class E, std::size_t N>
std::optional<E> find_word(const std::array<VocabularyEntry<E>, N>& table, std::string_view text) noexcept {
  for (const auto& entry : table) {
    if (entry.text == text) return entry.value;
  }
  return std::nullopt;
}

template <class E, std::size_t N>
std::string_view word_of(const std::array<VocabularyEntry<E>, N>& table, E value) noexcept {
  for (const auto& entry : table) {
    if (entry.value == value) return entry.text;
  }
  return "?";
}

const RlimitRule* find_rlimit_rule(RlimitName name) noexcept {
  for (const RlimitRule& rule : rlimit_rules) {
    if (rule.name == name) return &rule;
  }
  return nullptr;
}

// Flag vocabularies: a word sets one member of a flag set.
struct NamespaceWord {
  std::string_view text;
  bool NamespaceSet::*member;
};
constexpr auto namespace_words = std::to_array<NamespaceWord>({
    {"mount", &NamespaceSet::mount},
    {"pid", &NamespaceSet::pid},
    {"net", &NamespaceSet::net},
    {"ipc", &NamespaceSet::ipc},
    {"uts", &NamespaceSet::uts},
});
constexpr std::string_view no_namespaces = "none";

struct WallWord {
  std::string_view text;
  bool WallSet::*member;
  bool NamespaceSet::*needs;  // the namespace the wall is about, or nullptr
};
constexpr auto wall_words = std::to_array<WallWord>({
    {"landlock", &WallSet::landlock, nullptr},
    {"landlock-scope", &WallSet::landlock_scope, nullptr},
    {"landlock-net", &WallSet::landlock_net, nullptr},
    {"mount-namespace", &WallSet::mount_namespace, &NamespaceSet::mount},
    {"pid-namespace", &WallSet::pid_namespace, &NamespaceSet::pid},
    {"net-namespace", &WallSet::net_namespace, &NamespaceSet::net},
    {"ipc-namespace", &WallSet::ipc_namespace, &NamespaceSet::ipc},
    {"uts-namespace", &WallSet::uts_namespace, &NamespaceSet::uts},
});
// Walls that every cell has whatever its policy says; naming one is refused
// so that no policy reads as if leaving it out turned it off.
constexpr auto always_required_walls =
    std::to_array<std::string_view>({"seccomp", "no-new-privs", "capabilities", "uid"});

struct ScopeWord {
  std::string_view text;
  bool LandlockScope::*member;
};
constexpr auto scope_words = std::to_array<ScopeWord>({
    {"abstract-unix", &LandlockScope::abstract_unix},
    {"signal", &LandlockScope::signal},
});

struct OpWord {
  std::string_view text;
  SyscallCondition::Op op;
};
constexpr auto op_words = std::to_array<OpWord>({
    {"==", SyscallCondition::Op::eq},
    {"!=", SyscallCondition::Op::ne},
    {"<", SyscallCondition::Op::lt},
    {"<=", SyscallCondition::Op::le},
    {">", SyscallCondition::Op::gt},
    {">=", SyscallCondition::Op::ge},
});
constexpr std::string_view mask_word = "&";

// --- directives: syntax and limits, for messages and the documentation ---------------

struct UsageEntry {
  std::string_view directive;
  std::string_view usage;
};
constexpr auto usages = std::to_array<UsageEntry>({
    {"cell", "cell NAME"},
    {"program", "program NAME"},
    {"user", "user ACCOUNT|recipient"},
    {"group", "group GROUP|recipient"},
    {"lifetime", "lifetime long|connection|request"},
    {"namespaces", "namespaces mount|pid|net|ipc|uts... or namespaces none"},
    {"view", "view PATH ro|rw|rx"},
    {"fd", "fd NUMBER NAME"},
    {"rlimit", "rlimit NAME VALUE"},
    {"allow", "allow SYSCALL... or allow SYSCALL where CONDITION [and CONDITION]..."},
    {"landlock", "landlock read|write|execute PATH"},
    {"landlock scope", "landlock scope abstract-unix|signal..."},
    {"landlock connect-tcp", "landlock connect-tcp PORT|$control..."},
    {"require", "require WALL..."},
    {"request", "request NAME..."},
});

struct CountLimit {
  std::string_view what;
  std::size_t limit;
};
constexpr auto count_limits = std::to_array<CountLimit>({
    {"view", policy_limits::views},
    {"landlock", policy_limits::landlock_rules},
    {"allow", policy_limits::unconditional_syscalls},
    {"allow where", policy_limits::argument_rules},
    {"landlock connect-tcp", policy_limits::tcp_ports},
});

// --- errors --------------------------------------------------------------------------

struct ErrorEntry {
  PolicyErrc code;
  std::string_view name;
  std::string_view text;   // template: {token} {other} {usage} {limit} {choices}
  std::string_view cause;  // for the documentation
};

// clang-format off
constexpr auto error_entries = std::to_array<ErrorEntry>({
  {PolicyErrc::file_too_large, "file_too_large", "file is larger than 65536 bytes",
   "the file exceeds limits::policy_file"},
  {PolicyErrc::line_too_long, "line_too_long", "line is longer than 1024 bytes",
   "a line exceeds 1024 bytes, not counting its LF or CRLF"},
  {PolicyErrc::nul_byte, "nul_byte", "NUL byte", "a NUL byte anywhere in the line"},
  {PolicyErrc::control_character, "control_character", "control character {token}",
   "a control byte other than tab (a CR only at the line end), also in a comment"},
  {PolicyErrc::non_ascii, "non_ascii", "byte {token} outside a comment: directives are ASCII",
   "a byte above 0x7e before the comment"},
  {PolicyErrc::bad_utf8, "bad_utf8", "ill-formed UTF-8 in a comment at byte {token}",
   "a comment that is not well-formed UTF-8 (overlong, surrogate, truncated)"},
  {PolicyErrc::bidi_control, "bidi_control",
   "bidirectional control character {token} in a comment: it can make the line read differently",
   "U+061C, U+200E, U+200F, U+202A..U+202E or U+2066..U+2069 in a comment (\"Trojan Source\")"},
  {PolicyErrc::unknown_directive, "unknown_directive", "unknown directive '{token}'",
   "the first word of a line is not a directive"},
  {PolicyErrc::wrong_arguments, "wrong_arguments", "wrong number of arguments: usage is `{usage}`",
   "too few or too many words after the directive"},
  {PolicyErrc::cell_not_first, "cell_not_first", "`cell` must be the first directive, not '{token}'",
   "a directive before `cell`"},
  {PolicyErrc::repeated_directive, "repeated_directive",
   "`{token}` may appear only once: it is already on line {other}",
   "a second cell, program, user, group, lifetime, namespaces or landlock scope"},
  {PolicyErrc::missing_directive, "missing_directive", "missing required directive `{token}`",
   "no cell, program, user, group, lifetime or namespaces line"},
  {PolicyErrc::too_many, "too_many", "too many `{token}` rules: at most {limit}",
   "more views, Landlock rules, allowed syscalls, argument rules or TCP ports than policy_limits allows"},
  {PolicyErrc::repeated_word, "repeated_word", "'{token}' is already listed on line {other}",
   "a word twice in namespaces, landlock scope, require or request"},
  {PolicyErrc::bad_name, "bad_name", "bad name '{token}': use 1 to 64 of a-z, 0-9 and -, not starting with -",
   "a cell or program name outside the allowed bytes"},
  {PolicyErrc::bad_account, "bad_account",
   "bad account name '{token}': use a-z or _, then up to 31 of a-z, 0-9, _ and -",
   "a user or group name outside the allowed bytes"},
  {PolicyErrc::root_account, "root_account", "a cell never runs as root", "user root or group root"},
  {PolicyErrc::recipient_mismatch, "recipient_mismatch",
   "`user recipient` and `group recipient` go together (see line {other})",
   "one of user and group is recipient and the other is not"},
  {PolicyErrc::unknown_lifetime, "unknown_lifetime", "unknown lifetime '{token}': use {choices}",
   "a lifetime outside the vocabulary"},
  {PolicyErrc::unknown_namespace, "unknown_namespace", "unknown namespace '{token}': use {choices}, or none alone",
   "a namespace outside the vocabulary"},
  {PolicyErrc::user_namespace, "user_namespace", "user namespaces are not used: cells run as real unprivileged uids",
   "`user` in namespaces (or user-namespace in require)"},
  {PolicyErrc::none_with_namespaces, "none_with_namespaces", "`namespaces none` cannot list other namespaces",
   "none together with a namespace"},
  {PolicyErrc::path_too_long, "path_too_long", "path '{token}' is longer than 255 bytes",
   "a view or Landlock path over policy_limits::path"},
  {PolicyErrc::path_not_absolute, "path_not_absolute", "path '{token}' does not start with '/', $root or $home",
   "a relative path"},
  {PolicyErrc::path_variable, "path_variable", "path '{token}' uses a variable other than a leading $root or $home",
   "a '$' anywhere but a leading $root or $home"},
  {PolicyErrc::path_empty_component, "path_empty_component", "path '{token}' has an empty component ('//')",
   "two slashes in a row"},
  {PolicyErrc::path_dot_component, "path_dot_component", "path '{token}' has a '.' or '..' component",
   "a . or .. component"},
  {PolicyErrc::path_trailing_slash, "path_trailing_slash",
   "path '{token}' ends with '/' (and '/' itself cannot be granted)", "a trailing slash, or the root itself"},
  {PolicyErrc::home_needs_recipient, "home_needs_recipient",
   "$home is only defined for `user recipient` (user is on line {other})",
   "a $home path in a cell that does not run as the recipient"},
  {PolicyErrc::bad_view_mode, "bad_view_mode", "view mode '{token}' is not ro, rw or rx", "a view mode other than ro, rw, rx"},
  {PolicyErrc::repeated_view, "repeated_view", "'{token}' is already a view on line {other}",
   "the same view path twice"},
  {PolicyErrc::view_needs_mount_namespace, "view_needs_mount_namespace",
   "`view` needs a mount namespace: add mount to `namespaces` on line {other}",
   "a view in a cell without a mount namespace"},
  {PolicyErrc::bad_fd_number, "bad_fd_number", "descriptor number '{token}' is not in 0..63",
   "a descriptor number of 64 or more"},
  {PolicyErrc::unknown_fd_name, "unknown_fd_name", "unknown descriptor name '{token}': use {choices}",
   "a descriptor name outside the vocabulary"},
  {PolicyErrc::repeated_fd_number, "repeated_fd_number", "descriptor {token} is already granted on line {other}",
   "the same descriptor number twice"},
  {PolicyErrc::repeated_fd_name, "repeated_fd_name", "descriptor '{token}' is already granted on line {other}",
   "the same descriptor name twice"},
  {PolicyErrc::missing_log_fd, "missing_log_fd", "every cell logs on descriptor 2: add `fd 2 log`",
   "no `fd 2 log` (line 0), or descriptor 2 or log granted otherwise (that line)"},
  {PolicyErrc::bad_number, "bad_number", "'{token}' is not a number",
   "not decimal digits (or 0x and hex digits where hex is allowed)"},
  {PolicyErrc::leading_zero, "leading_zero", "'{token}' has a leading zero: write octal values in 0x hexadecimal",
   "a decimal number such as 0644, which a reader could take for octal"},
  {PolicyErrc::number_too_large, "number_too_large", "'{token}' does not fit in 64 bits",
   "a number, or a number times its K, M or G suffix, of 2^64 or more"},
  {PolicyErrc::unknown_rlimit, "unknown_rlimit", "unknown rlimit '{token}': use {choices}",
   "an rlimit outside the vocabulary"},
  {PolicyErrc::suffix_not_allowed, "suffix_not_allowed",
   "`rlimit {token}` counts, not bytes: it takes no K, M or G suffix",
   "a suffix on nofile, nproc or cpu"},
  {PolicyErrc::unlimited_not_allowed, "unlimited_not_allowed",
   "`rlimit {token}` cannot be unlimited: a cell must have a finite limit for it", "unlimited for as, nofile or nproc"},
  {PolicyErrc::rlimit_too_large, "rlimit_too_large",
   "rlimit value '{token}' is over 2^62: write `unlimited` if that is meant",
   "a finite rlimit so large that it could mean RLIM_INFINITY"},
  {PolicyErrc::repeated_rlimit, "repeated_rlimit", "contradictory rule: `rlimit {token}` is also set on line {other}",
   "the same rlimit twice"},
  {PolicyErrc::missing_rlimits, "missing_rlimits", "missing required rlimits: {token}",
   "one of as, nofile, nproc, fsize, core is not set"},
  {PolicyErrc::bad_syscall_name, "bad_syscall_name", "bad syscall name '{token}': use 1 to 40 of a-z, 0-9 and _",
   "a syscall name outside the allowed bytes"},
  {PolicyErrc::where_needs_one_syscall, "where_needs_one_syscall", "`where` must follow exactly one syscall name",
   "`allow where ...` or `allow a b where ...`"},
  {PolicyErrc::bad_argument, "bad_argument", "'{token}' is not a syscall argument: use arg0 to arg5",
   "a condition that does not start with arg0..arg5"},
  {PolicyErrc::bad_operator, "bad_operator", "'{token}' is not an operator: use ==, !=, <, <=, >, >= or & MASK ==",
   "an unknown comparison, or a masked comparison with another operator than =="},
  {PolicyErrc::malformed_condition, "malformed_condition", "expected `and` or the end of the line, not '{token}'",
   "a word after a complete condition that is not `and`"},
  {PolicyErrc::incomplete_condition, "incomplete_condition", "the line ends inside a condition, after '{token}'",
   "`where`, `and`, an argument or an operator at the end of the line"},
  {PolicyErrc::repeated_argument, "repeated_argument",
   "'{token}' is compared twice in one rule: write a second `allow ... where` rule",
   "one argument in two conditions of a rule (libseccomp refuses it)"},
  {PolicyErrc::mask_excludes_value, "mask_excludes_value",
   "value '{token}' has bits outside its mask: the condition can never match",
   "argN & MASK == VALUE with VALUE & ~MASK != 0"},
  {PolicyErrc::syscall_rule_conflict, "syscall_rule_conflict",
   "contradictory rule: `{token}` is allowed both unconditionally and with conditions (see line {other})",
   "a syscall in a plain allow and in an allow ... where"},
  {PolicyErrc::repeated_syscall_rule, "repeated_syscall_rule", "rule for `{token}` repeats line {other}",
   "the same syscall allowed twice, or the same conditions twice"},
  {PolicyErrc::unknown_landlock_access, "unknown_landlock_access",
   "unknown landlock rule '{token}': use {choices}, scope or connect-tcp",
   "landlock followed by an unknown word"},
  {PolicyErrc::unknown_landlock_scope, "unknown_landlock_scope", "unknown landlock scope '{token}': use {choices}",
   "a scope outside the vocabulary"},
  {PolicyErrc::repeated_landlock_rule, "repeated_landlock_rule", "landlock rule for '{token}' repeats line {other}",
   "the same access and path twice"},
  {PolicyErrc::landlock_outside_views, "landlock_outside_views", "landlock rule for '{token}' outside every view",
   "with a mount namespace, a Landlock path that no view contains"},
  {PolicyErrc::landlock_write_in_readonly_view, "landlock_write_in_readonly_view",
   "contradictory rule: landlock write for '{token}' inside the read-only view on line {other}",
   "a write rule whose innermost view is ro"},
  {PolicyErrc::bad_tcp_port, "bad_tcp_port", "'{token}' is not a TCP port: use 1 to 65535 or $control",
   "a word of landlock connect-tcp that is neither a decimal number in 1..65535 nor $control"},
  {PolicyErrc::repeated_tcp_port, "repeated_tcp_port", "TCP port {token} is already allowed on line {other}",
   "the same port, or $control, twice in landlock connect-tcp"},
  {PolicyErrc::connect_tcp_in_net_namespace, "connect_tcp_in_net_namespace",
   "contradictory rule: `landlock connect-tcp` in a cell whose network namespace (line {other}) has no network",
   "landlock connect-tcp with net in namespaces: the cell's own namespace reaches no host"},
  {PolicyErrc::unknown_wall, "unknown_wall", "unknown wall '{token}': use {choices}", "a wall outside the vocabulary"},
  {PolicyErrc::always_required_wall, "always_required_wall", "'{token}' is always required: remove it from `require`",
   "seccomp, no-new-privs, capabilities or uid in require"},
  {PolicyErrc::wall_without_namespace, "wall_without_namespace",
   "contradictory rule: `require {token}` but `namespaces` on line {other} does not create it",
   "a namespace wall required that the namespaces line does not list"},
  {PolicyErrc::unknown_request, "unknown_request", "unknown broker request '{token}': use {choices}",
   "a request outside the vocabulary"},
  {PolicyErrc::caller_directive, "caller_directive",
   "`{token}` has no place in a `lifetime caller` policy: the program runs as its caller and confines itself",
   "user, group, namespaces, view, fd, require, request or landlock connect-tcp $control with lifetime caller"},
});
// clang-format on

static_assert(in_enum_order(error_entries, [](const ErrorEntry& entry) { return entry.code; }));
static_assert(error_entries.size() == static_cast<std::size_t>(PolicyErrc::caller_directive) + 1);

constexpr std::array<PolicyErrc, error_entries.size()> all_codes = [] {
  std::array<PolicyErrc, error_entries.size()> codes{};
  auto out = codes.begin();
  for (const ErrorEntry& entry : error_entries) *out++ = entry.code;
  return codes;
}();

// --- the canonical text fits the file limit ----------------------------------------------

// The longest canonical rendering of each directive, and of a whole policy
// built to every count limit: format_policy() of anything parse_policy()
// accepts can always be parsed again.
constexpr std::size_t longest_word(std::initializer_list<std::string_view> words) {
  std::size_t longest = 0;
  for (auto w : words) longest = std::max(longest, w.size());
  return longest;
}
constexpr std::size_t max_number_text = 20;   // 2^64-1 in decimal
constexpr std::size_t max_operand_text = 18;  // "0x" and 16 hex digits, or at most 5 decimal digits
constexpr std::size_t max_condition_text = 4 + 3 + max_operand_text + 4 + max_operand_text;  // arg5 & M == V
constexpr std::size_t max_argument_rule_line =
    6 + policy_limits::syscall_name + 6 + policy_limits::conditions * (5 + max_condition_text) + 1;
constexpr std::size_t max_view_line = 5 + policy_limits::path + 4;
constexpr std::size_t max_landlock_line = 9 + 8 + policy_limits::path + 1;
constexpr std::size_t max_connect_tcp_line = 20 + policy_limits::tcp_ports * 6 + 1 + control_ports_word.size() + 1;
constexpr std::size_t max_header =
    (5 + policy_limits::name + 1) + (8 + policy_limits::name + 1) + (5 + policy_limits::account + 1) +
    (6 + policy_limits::account + 1) + (9 + 10 + 1) + (11 + 20 + 1) + (8 + 16 * wall_words.size() + 1) +
    (14 + 15 * scope_words.size() + 1) + (8 + 13 * request_names.size() + 1) + max_connect_tcp_line;
constexpr std::size_t max_canonical_size =
    max_header + policy_limits::views * max_view_line +
    fd_names.size() * (3 + 3 + longest_word({"connection", "pipe-out", "envelope"}) + 1) +
    rlimit_names.size() * (7 + 8 + max_number_text + 1) +
    policy_limits::unconditional_syscalls * (6 + policy_limits::syscall_name + 1) +
    policy_limits::argument_rules * max_argument_rule_line + policy_limits::landlock_rules * max_landlock_line;
static_assert(max_canonical_size <= limits::policy_file, "lower a count in policy_limits");
static_assert(max_argument_rule_line <= policy_limits::line && max_view_line <= policy_limits::line &&
              max_landlock_line <= policy_limits::line && max_connect_tcp_line <= policy_limits::line);
static_assert(policy_limits::error_detail >= 4);

// --- small helpers ----------------------------------------------------------------------

std::string bounded(std::string_view token) {
  if (token.size() <= policy_limits::error_detail) return std::string(token);
  std::string cut(token.substr(0, policy_limits::error_detail - 3));
  cut += "...";
  return cut;
}

Failure<PolicyError> refuse(PolicyErrc code, std::size_t line, std::string_view token = {}, std::size_t other = 0) {
  return fail(PolicyError{code, line, other, bounded(token)});
}

constexpr std::string_view hex_digits = "0123456789abcdef";

std::string hex_byte(Byte b) {
  std::string text = "0x";
  text += hex_digits[b >> 4];
  text += hex_digits[b & 0xf];
  return text;
}

std::string code_point_text(std::uint32_t cp) {
  std::string digits;
  do {
    digits.insert(digits.begin(), hex_digits[cp & 0xf]);
    cp >>= 4;
  } while (cp != 0);
  while (digits.size() < 4) digits.insert(digits.begin(), '0');
  for (char& c : digits) {
    if (c >= 'a' && c <= 'f') c = static_cast<char>(c - 'a' + 'A');
  }
  return "U+" + digits;
}

std::string hex_number(std::uint64_t value) {
  std::string digits;
  do {
    digits.insert(digits.begin(), hex_digits[value & 0xf]);
    value >>= 4;
  } while (value != 0);
  return "0x" + digits;
}

constexpr bool is_lower(char c) noexcept { return c >= 'a' && c <= 'z'; }
constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

// cell and program names: [a-z0-9-]{1,64}, not starting with '-' (names
// reach argv and file names, where a leading '-' reads as an option).
bool is_name(std::string_view s) noexcept {
  if (s.empty() || s.size() > policy_limits::name || s.front() == '-') return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return is_lower(c) || is_digit(c) || c == '-'; });
}

// Account names: [a-z_][a-z0-9_-]{0,31}.
bool is_account(std::string_view s) noexcept {
  if (s.empty() || s.size() > policy_limits::account) return false;
  if (!is_lower(s.front()) && s.front() != '_') return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return is_lower(c) || is_digit(c) || c == '_' || c == '-'; });
}

bool is_syscall_name(std::string_view s) noexcept {
  if (s.empty() || s.size() > policy_limits::syscall_name) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return is_lower(c) || is_digit(c) || c == '_'; });
}

// A decimal number without a leading zero ("0" itself is fine).
Result<std::uint64_t, PolicyErrc> parse_decimal(std::string_view s) {
  if (s.empty()) return fail(PolicyErrc::bad_number);
  if (!std::all_of(s.begin(), s.end(), is_digit)) return fail(PolicyErrc::bad_number);
  if (s.size() > 1 && s.front() == '0') return fail(PolicyErrc::leading_zero);
  std::uint64_t value = 0;
  for (char c : s) {
    if (__builtin_mul_overflow(value, std::uint64_t{10}, &value) ||
        __builtin_add_overflow(value, static_cast<std::uint64_t>(c - '0'), &value)) {
      return fail(PolicyErrc::number_too_large);
    }
  }
  return value;
}

// Decimal as above, or "0x" and 1 or more hex digits (leading zeros allowed).
Result<std::uint64_t, PolicyErrc> parse_operand(std::string_view s) {
  if (s.size() < 2 || s.substr(0, 2) != "0x") return parse_decimal(s);
  s.remove_prefix(2);
  if (s.empty()) return fail(PolicyErrc::bad_number);
  std::uint64_t value = 0;
  for (char c : s) {
    unsigned digit = 0;
    if (is_digit(c)) {
      digit = static_cast<unsigned>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      digit = static_cast<unsigned>(c - 'a' + 10);
    } else if (c >= 'A' && c <= 'F') {
      digit = static_cast<unsigned>(c - 'A' + 10);
    } else {
      return fail(PolicyErrc::bad_number);
    }
    if ((value >> 60) != 0) return fail(PolicyErrc::number_too_large);
    value = (value << 4) | digit;
  }
  return value;
}

std::string render_operand(std::uint64_t value) { return value < 0x10000 ? std::to_string(value) : hex_number(value); }

// Path rules shared by view and landlock (see policy.h). Returns the error code.
std::optional<PolicyErrc> check_path(std::string_view path) {
  if (path.size() > policy_limits::path) return PolicyErrc::path_too_long;
  std::string_view rest = path;
  if (rest.front() == '$') {
    std::string_view variable = rest.substr(0, home_variable.size()) == home_variable   ? home_variable
                                : rest.substr(0, root_variable.size()) == root_variable ? root_variable
                                                                                        : std::string_view();
    if (variable.empty()) return PolicyErrc::path_variable;
    rest.remove_prefix(variable.size());
    if (rest.empty()) return std::nullopt;  // $home or $root itself
    if (rest.front() != '/') return PolicyErrc::path_variable;
  } else if (rest.front() != '/') {
    return PolicyErrc::path_not_absolute;
  }
  if (rest.find('$') != std::string_view::npos) return PolicyErrc::path_variable;
  if (rest.back() == '/') return PolicyErrc::path_trailing_slash;
  rest.remove_prefix(1);  // the leading '/'
  while (true) {
    std::size_t slash = rest.find('/');
    std::string_view component = rest.substr(0, slash);
    if (component.empty()) return PolicyErrc::path_empty_component;
    if (component == "." || component == "..") return PolicyErrc::path_dot_component;
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }
  return std::nullopt;
}

bool uses_home(std::string_view path) noexcept { return path.substr(0, home_variable.size()) == home_variable; }

// True when `path` is `outer` or lies beneath it (component-wise).
bool is_inside(std::string_view path, std::string_view outer) noexcept {
  if (path.size() < outer.size() || path.substr(0, outer.size()) != outer) return false;
  return path.size() == outer.size() || path[outer.size()] == '/';
}

// --- line checks ----------------------------------------------------------------------------

bool is_bidi_control(std::uint32_t cp) noexcept {
  return cp == 0x061C || cp == 0x200E || cp == 0x200F || (cp >= 0x202A && cp <= 0x202E) ||
         (cp >= 0x2066 && cp <= 0x2069);
}

// A comment: well-formed UTF-8 (RFC 3629), no control characters (C0 but
// tab, DEL, C1), no bidirectional controls.
Status<PolicyError> check_comment(std::string_view comment, std::size_t line) {
  std::size_t i = 0;
  while (i < comment.size()) {
    auto b = static_cast<Byte>(comment[i]);
    if (b < 0x80) {
      if ((b < 0x20 && b != '\t') || b == 0x7f) return refuse(PolicyErrc::control_character, line, hex_byte(b));
      ++i;
      continue;
    }
    std::size_t length = 0;
    std::uint32_t cp = 0;
    std::uint32_t minimum = 0;
    if (b >= 0xC2 && b <= 0xDF) {
      length = 2;
      cp = b & 0x1Fu;
      minimum = 0x80;
    } else if (b >= 0xE0 && b <= 0xEF) {
      length = 3;
      cp = b & 0x0Fu;
      minimum = 0x800;
    } else if (b >= 0xF0 && b <= 0xF4) {
      length = 4;
      cp = b & 0x07u;
      minimum = 0x10000;
    } else {
      return refuse(PolicyErrc::bad_utf8, line, hex_byte(b));
    }
    if (comment.size() - i < length) return refuse(PolicyErrc::bad_utf8, line, hex_byte(b));
    for (std::size_t k = 1; k < length; ++k) {
      auto next = static_cast<Byte>(comment[i + k]);
      if ((next & 0xC0u) != 0x80u) return refuse(PolicyErrc::bad_utf8, line, hex_byte(b));
      cp = (cp << 6) | (next & 0x3Fu);
    }
    if (cp < minimum || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return refuse(PolicyErrc::bad_utf8, line, hex_byte(b));
    }
    if (cp >= 0x80 && cp <= 0x9F) return refuse(PolicyErrc::control_character, line, code_point_text(cp));
    if (is_bidi_control(cp)) return refuse(PolicyErrc::bidi_control, line, code_point_text(cp));
    i += length;
  }
  return {};
}

// Checks one line (without its '\n') and returns the part before any comment.
Result<std::string_view, PolicyError> check_line(std::string_view line, std::size_t number) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.find('\0') != std::string_view::npos) return refuse(PolicyErrc::nul_byte, number);
  if (line.size() > policy_limits::line) return refuse(PolicyErrc::line_too_long, number);
  std::size_t hash = line.find('#');
  std::string_view content = line.substr(0, hash);
  for (char c : content) {
    auto b = static_cast<Byte>(c);
    if (b == '\t') continue;
    if (b < 0x20 || b == 0x7f) return refuse(PolicyErrc::control_character, number, hex_byte(b));
    if (b > 0x7f) return refuse(PolicyErrc::non_ascii, number, hex_byte(b));
  }
  if (hash != std::string_view::npos) {
    auto status = check_comment(line.substr(hash + 1), number);
    if (!status) return fail(status.error());
  }
  return content;
}

void split_words(std::string_view content, std::vector<std::string_view>& words) {
  words.clear();
  std::size_t i = 0;
  while (i < content.size()) {
    while (i < content.size() && (content[i] == ' ' || content[i] == '\t')) ++i;
    std::size_t start = i;
    while (i < content.size() && content[i] != ' ' && content[i] != '\t') ++i;
    if (i > start) words.push_back(content.substr(start, i - start));
  }
}

// --- the parser --------------------------------------------------------------------------------

using Words = std::span<const std::string_view>;
using Check = Status<PolicyError>;

// Where each thing was written, for errors that name two lines.
struct Seen {
  std::size_t cell = 0, program = 0, user = 0, group = 0, lifetime = 0, namespaces = 0, scope = 0;
  std::size_t connect_tcp = 0;                                       // the first `landlock connect-tcp` line
  std::size_t connect_tcp_control = 0;                               // the line of its `$control`
  std::vector<std::size_t> views, fds, rlimits, landlock, requests;  // parallel to the Policy's vectors
  std::vector<std::size_t> connect_tcp_ports;                        // parallel to policy.connect_tcp_ports
  std::vector<std::pair<const WallWord*, std::size_t>> walls;        // in line order
};

class Parser {
 public:
  Check directive(std::size_t line, Words words);
  Check finish();
  Check finish_caller();
  Policy policy;

 private:
  struct Handler {
    std::string_view keyword;
    Check (Parser::*handle)(std::size_t line, Words args);
    std::size_t Seen::*once;  // line of the directive that may appear once, or nullptr
  };
  static const Handler handlers[];

  Check cell(std::size_t line, Words args);
  Check program(std::size_t line, Words args);
  Check user(std::size_t line, Words args);
  Check group(std::size_t line, Words args);
  Check lifetime(std::size_t line, Words args);
  Check namespaces(std::size_t line, Words args);
  Check view(std::size_t line, Words args);
  Check fd(std::size_t line, Words args);
  Check rlimit(std::size_t line, Words args);
  Check allow(std::size_t line, Words args);
  Check landlock(std::size_t line, Words args);
  Check require(std::size_t line, Words args);
  Check request(std::size_t line, Words args);

  Check account(std::size_t line, Words args, std::string_view directive, std::string& out);
  Check allow_where(std::size_t line, std::string_view name, Words conditions);
  Check landlock_scope(std::size_t line, Words words);
  Check landlock_connect_tcp(std::size_t line, Words words);
  Check add_syscall_rule(std::size_t line, SyscallRule rule);

  Check check_accounts();
  Check check_home();
  Check check_namespaces();
  Check check_landlock();
  Check check_network();
  Check check_rlimits();
  Check check_log_fd();

  Seen seen_;
};

const Parser::Handler Parser::handlers[] = {
    {"cell", &Parser::cell, &Seen::cell},
    {"program", &Parser::program, &Seen::program},
    {"user", &Parser::user, &Seen::user},
    {"group", &Parser::group, &Seen::group},
    {"lifetime", &Parser::lifetime, &Seen::lifetime},
    {"namespaces", &Parser::namespaces, &Seen::namespaces},
    {"view", &Parser::view, nullptr},
    {"fd", &Parser::fd, nullptr},
    {"rlimit", &Parser::rlimit, nullptr},
    {"allow", &Parser::allow, nullptr},
    {"landlock", &Parser::landlock, nullptr},  // `landlock scope` is once: see landlock_scope
    {"require", &Parser::require, nullptr},
    {"request", &Parser::request, nullptr},
};

Check Parser::directive(std::size_t line, Words words) {
  std::string_view keyword = words.front();
  const Handler* handler = nullptr;
  for (const Handler& h : handlers) {
    if (h.keyword == keyword) handler = &h;
  }
  if (handler == nullptr) return refuse(PolicyErrc::unknown_directive, line, keyword);
  if (seen_.cell == 0 && keyword != "cell") return refuse(PolicyErrc::cell_not_first, line, keyword);
  if (handler->once != nullptr) {
    std::size_t& first = seen_.*(handler->once);
    if (first != 0) return refuse(PolicyErrc::repeated_directive, line, keyword, first);
    first = line;
  }
  return (this->*(handler->handle))(line, words.subspan(1));
}

Check Parser::cell(std::size_t line, Words args) {
  if (args.size() != 1) return refuse(PolicyErrc::wrong_arguments, line, "cell");
  if (!is_name(args[0])) return refuse(PolicyErrc::bad_name, line, args[0]);
  policy.cell = args[0];
  return {};
}

Check Parser::program(std::size_t line, Words args) {
  if (args.size() != 1) return refuse(PolicyErrc::wrong_arguments, line, "program");
  if (!is_name(args[0])) return refuse(PolicyErrc::bad_name, line, args[0]);
  policy.program = args[0];
  return {};
}

Check Parser::account(std::size_t line, Words args, std::string_view directive, std::string& out) {
  if (args.size() != 1) return refuse(PolicyErrc::wrong_arguments, line, directive);
  if (!is_account(args[0])) return refuse(PolicyErrc::bad_account, line, args[0]);
  if (args[0] == "root") return refuse(PolicyErrc::root_account, line, args[0]);
  out = args[0];
  return {};
}

Check Parser::user(std::size_t line, Words args) { return account(line, args, "user", policy.user); }
Check Parser::group(std::size_t line, Words args) { return account(line, args, "group", policy.group); }

Check Parser::lifetime(std::size_t line, Words args) {
  if (args.size() != 1) return refuse(PolicyErrc::wrong_arguments, line, "lifetime");
  auto value = find_word(lifetimes, args[0]);
  if (!value) return refuse(PolicyErrc::unknown_lifetime, line, args[0]);
  policy.lifetime = *value;
  return {};
}

Check Parser::namespaces(std::size_t line, Words args) {
  if (args.empty()) return refuse(PolicyErrc::wrong_arguments, line, "namespaces");
  bool none = false;
  bool some = false;
  std::vector<std::string_view> listed;
  for (std::string_view word : args) {
    if (std::find(listed.begin(), listed.end(), word) != listed.end()) {
      return refuse(PolicyErrc::repeated_word, line, word, line);
    }
    listed.push_back(word);
    if (word == "user") return refuse(PolicyErrc::user_namespace, line, word);
    if (word == no_namespaces) {
      if (some) return refuse(PolicyErrc::none_with_namespaces, line, word);
      none = true;
      continue;
    }
    const NamespaceWord* found = nullptr;
    for (const NamespaceWord& n : namespace_words) {
      if (n.text == word) found = &n;
    }
    if (found == nullptr) return refuse(PolicyErrc::unknown_namespace, line, word);
    if (none) return refuse(PolicyErrc::none_with_namespaces, line, word);
    some = true;
    policy.namespaces.*(found->member) = true;
  }
  return {};
}

Check Parser::view(std::size_t line, Words args) {
  if (args.size() != 2) return refuse(PolicyErrc::wrong_arguments, line, "view");
  std::string_view path = args[0];
  if (auto bad = check_path(path)) return refuse(*bad, line, path);
  if (args[1] != "ro" && args[1] != "rw" && args[1] != "rx") return refuse(PolicyErrc::bad_view_mode, line, args[1]);
  for (std::size_t i = 0; i < policy.views.size(); ++i) {
    if (policy.views[i].path == path) return refuse(PolicyErrc::repeated_view, line, path, seen_.views[i]);
  }
  if (policy.views.size() >= policy_limits::views) return refuse(PolicyErrc::too_many, line, "view");
  policy.views.push_back(View{std::string(path), args[1] == "rw", args[1] == "rx"});
  seen_.views.push_back(line);
  return {};
}

Check Parser::fd(std::size_t line, Words args) {
  if (args.size() != 2) return refuse(PolicyErrc::wrong_arguments, line, "fd");
  auto number = parse_decimal(args[0]);
  if (!number) return refuse(number.error(), line, args[0]);
  if (*number >= policy_limits::fd_numbers) return refuse(PolicyErrc::bad_fd_number, line, args[0]);
  auto name = find_word(fd_names, args[1]);
  if (!name) return refuse(PolicyErrc::unknown_fd_name, line, args[1]);
  for (std::size_t i = 0; i < policy.fds.size(); ++i) {
    if (policy.fds[i].number == *number) return refuse(PolicyErrc::repeated_fd_number, line, args[0], seen_.fds[i]);
    if (policy.fds[i].name == *name) return refuse(PolicyErrc::repeated_fd_name, line, args[1], seen_.fds[i]);
  }
  policy.fds.push_back(FdGrant{static_cast<unsigned>(*number), *name});
  seen_.fds.push_back(line);
  return {};
}

Check Parser::rlimit(std::size_t line, Words args) {
  if (args.size() != 2) return refuse(PolicyErrc::wrong_arguments, line, "rlimit");
  auto name = find_word(rlimit_names, args[0]);
  if (!name) return refuse(PolicyErrc::unknown_rlimit, line, args[0]);
  for (std::size_t i = 0; i < policy.rlimits.size(); ++i) {
    if (policy.rlimits[i].name == *name) return refuse(PolicyErrc::repeated_rlimit, line, args[0], seen_.rlimits[i]);
  }
  const RlimitRule* rule = find_rlimit_rule(*name);
  if (rule == nullptr) return refuse(PolicyErrc::unknown_rlimit, line, args[0]);  // a table out of step
  std::string_view text = args[1];
  std::optional<std::uint64_t> value;
  if (text == "unlimited") {
    if (!rule->unlimited_allowed) return refuse(PolicyErrc::unlimited_not_allowed, line, args[0]);
  } else {
    std::uint64_t unit = 1;
    std::string_view digits = text;
    char last = text.back();
    if (last == 'K' || last == 'M' || last == 'G') {
      if (!rule->bytes) return refuse(PolicyErrc::suffix_not_allowed, line, args[0]);
      unit = last == 'K' ? (std::uint64_t{1} << 10) : last == 'M' ? (std::uint64_t{1} << 20) : (std::uint64_t{1} << 30);
      digits.remove_suffix(1);
    }
    auto number = parse_decimal(digits);
    if (!number) return refuse(number.error(), line, text);
    std::uint64_t product = 0;
    if (__builtin_mul_overflow(*number, unit, &product)) return refuse(PolicyErrc::number_too_large, line, text);
    if (product > policy_limits::rlimit_value) return refuse(PolicyErrc::rlimit_too_large, line, text);
    value = product;
  }
  policy.rlimits.push_back(Rlimit{*name, value});
  seen_.rlimits.push_back(line);
  return {};
}

Check Parser::add_syscall_rule(std::size_t line, SyscallRule rule) {
  const bool unconditional = rule.conditions.empty();
  std::size_t same_kind = 0;
  auto sorted = [](std::vector<SyscallCondition> c) {
    std::sort(c.begin(), c.end(), [](const auto& a, const auto& b) { return a.arg < b.arg; });
    return c;
  };
  const auto conditions = sorted(rule.conditions);
  for (const SyscallRule& other : policy.syscalls) {
    if (other.conditions.empty() == unconditional) ++same_kind;
    if (other.name != rule.name) continue;
    if (other.conditions.empty() != unconditional) {
      return refuse(PolicyErrc::syscall_rule_conflict, line, rule.name, other.line);
    }
    if (unconditional || sorted(other.conditions) == conditions) {
      return refuse(PolicyErrc::repeated_syscall_rule, line, rule.name, other.line);
    }
  }
  if (unconditional && same_kind >= policy_limits::unconditional_syscalls) {
    return refuse(PolicyErrc::too_many, line, "allow");
  }
  if (!unconditional && same_kind >= policy_limits::argument_rules) {
    return refuse(PolicyErrc::too_many, line, "allow where");
  }
  rule.line = line;
  policy.syscalls.push_back(std::move(rule));
  return {};
}

Check Parser::allow(std::size_t line, Words args) {
  if (args.empty()) return refuse(PolicyErrc::wrong_arguments, line, "allow");
  auto where = std::find(args.begin(), args.end(), std::string_view("where"));
  if (where != args.end()) {
    if (where - args.begin() != 1) return refuse(PolicyErrc::where_needs_one_syscall, line, "where");
    if (!is_syscall_name(args[0])) return refuse(PolicyErrc::bad_syscall_name, line, args[0]);
    return allow_where(line, args[0], args.subspan(2));
  }
  for (std::string_view name : args) {
    if (!is_syscall_name(name)) return refuse(PolicyErrc::bad_syscall_name, line, name);
    if (auto added = add_syscall_rule(line, SyscallRule{std::string(name), {}, line}); !added) return added;
  }
  return {};
}

// CONDITION [and CONDITION]...; CONDITION is argN OP VALUE or argN & MASK == VALUE.
Check Parser::allow_where(std::size_t line, std::string_view name, Words words) {
  SyscallRule rule{std::string(name), {}, line};
  std::size_t i = 0;
  std::string_view previous = "where";
  // The next word of the condition, or nullopt at the end of the line.
  auto next = [&]() -> std::optional<std::string_view> {
    if (i >= words.size()) return std::nullopt;
    previous = words[i];
    return words[i++];
  };
  while (true) {
    auto arg = next();
    if (!arg) return refuse(PolicyErrc::incomplete_condition, line, previous);
    if (arg->size() != 4 || arg->substr(0, 3) != "arg" || (*arg)[3] < '0' || (*arg)[3] > '5') {
      return refuse(PolicyErrc::bad_argument, line, *arg);
    }
    SyscallCondition condition;
    condition.arg = static_cast<unsigned>((*arg)[3] - '0');
    for (const SyscallCondition& c : rule.conditions) {
      if (c.arg == condition.arg) return refuse(PolicyErrc::repeated_argument, line, *arg);
    }
    auto op = next();
    if (!op) return refuse(PolicyErrc::incomplete_condition, line, previous);
    if (*op == mask_word) {
      auto mask = next();
      if (!mask) return refuse(PolicyErrc::incomplete_condition, line, previous);
      auto mask_value = parse_operand(*mask);
      if (!mask_value) return refuse(mask_value.error(), line, *mask);
      auto equals = next();
      if (!equals) return refuse(PolicyErrc::incomplete_condition, line, previous);
      if (*equals != "==") return refuse(PolicyErrc::bad_operator, line, *equals);
      condition.op = SyscallCondition::Op::masked_eq;
      condition.mask = *mask_value;
    } else {
      const OpWord* found = nullptr;
      for (const OpWord& o : op_words) {
        if (o.text == *op) found = &o;
      }
      if (found == nullptr) return refuse(PolicyErrc::bad_operator, line, *op);
      condition.op = found->op;
    }
    auto value = next();
    if (!value) return refuse(PolicyErrc::incomplete_condition, line, previous);
    auto number = parse_operand(*value);
    if (!number) return refuse(number.error(), line, *value);
    condition.value = *number;
    if (condition.op == SyscallCondition::Op::masked_eq && (condition.value & ~condition.mask) != 0) {
      return refuse(PolicyErrc::mask_excludes_value, line, *value);
    }
    rule.conditions.push_back(condition);
    auto joiner = next();
    if (!joiner) break;
    if (*joiner != "and") return refuse(PolicyErrc::malformed_condition, line, *joiner);
  }
  return add_syscall_rule(line, std::move(rule));
}

Check Parser::landlock(std::size_t line, Words args) {
  if (args.empty()) return refuse(PolicyErrc::wrong_arguments, line, "landlock");
  if (args[0] == "scope") return landlock_scope(line, args.subspan(1));
  if (args[0] == "connect-tcp") return landlock_connect_tcp(line, args.subspan(1));
  auto access = find_word(landlock_accesses, args[0]);
  if (!access) return refuse(PolicyErrc::unknown_landlock_access, line, args[0]);
  if (args.size() != 2) return refuse(PolicyErrc::wrong_arguments, line, "landlock");
  std::string_view path = args[1];
  if (auto bad = check_path(path)) return refuse(*bad, line, path);
  for (std::size_t i = 0; i < policy.landlock.size(); ++i) {
    if (policy.landlock[i].access == *access && policy.landlock[i].path == path) {
      return refuse(PolicyErrc::repeated_landlock_rule, line, path, seen_.landlock[i]);
    }
  }
  if (policy.landlock.size() >= policy_limits::landlock_rules) return refuse(PolicyErrc::too_many, line, "landlock");
  policy.landlock.push_back(LandlockRule{*access, std::string(path)});
  seen_.landlock.push_back(line);
  return {};
}

Check Parser::landlock_scope(std::size_t line, Words words) {
  if (seen_.scope != 0) return refuse(PolicyErrc::repeated_directive, line, "landlock scope", seen_.scope);
  if (words.empty()) return refuse(PolicyErrc::wrong_arguments, line, "landlock scope");
  seen_.scope = line;
  for (std::size_t i = 0; i < words.size(); ++i) {
    const ScopeWord* found = nullptr;
    for (const ScopeWord& s : scope_words) {
      if (s.text == words[i]) found = &s;
    }
    if (found == nullptr) return refuse(PolicyErrc::unknown_landlock_scope, line, words[i]);
    if (policy.landlock_scope.*(found->member)) return refuse(PolicyErrc::repeated_word, line, words[i], line);
    policy.landlock_scope.*(found->member) = true;
  }
  return {};
}

// PORT or $control, one or more; several lines add up. A port is decimal
// 1..65535 without a leading zero.
Check Parser::landlock_connect_tcp(std::size_t line, Words words) {
  if (words.empty()) return refuse(PolicyErrc::wrong_arguments, line, "landlock connect-tcp");
  if (seen_.connect_tcp == 0) seen_.connect_tcp = line;
  for (std::string_view word : words) {
    if (word == control_ports_word) {
      if (policy.connect_tcp_control) {
        return refuse(PolicyErrc::repeated_tcp_port, line, word, seen_.connect_tcp_control);
      }
      policy.connect_tcp_control = true;
      seen_.connect_tcp_control = line;
      continue;
    }
    auto number = parse_decimal(word);
    if (!number && number.error() == PolicyErrc::leading_zero) return refuse(PolicyErrc::leading_zero, line, word);
    if (!number || *number == 0 || *number > 65535) return refuse(PolicyErrc::bad_tcp_port, line, word);
    auto port = static_cast<std::uint16_t>(*number);
    for (std::size_t i = 0; i < policy.connect_tcp_ports.size(); ++i) {
      if (policy.connect_tcp_ports[i] == port) {
        return refuse(PolicyErrc::repeated_tcp_port, line, word, seen_.connect_tcp_ports[i]);
      }
    }
    if (policy.connect_tcp_ports.size() >= policy_limits::tcp_ports) {
      return refuse(PolicyErrc::too_many, line, "landlock connect-tcp");
    }
    policy.connect_tcp_ports.push_back(port);
    seen_.connect_tcp_ports.push_back(line);
  }
  return {};
}

Check Parser::require(std::size_t line, Words args) {
  if (args.empty()) return refuse(PolicyErrc::wrong_arguments, line, "require");
  for (std::string_view word : args) {
    if (word == "user-namespace") return refuse(PolicyErrc::user_namespace, line, word);
    for (std::string_view always : always_required_walls) {
      if (word == always) return refuse(PolicyErrc::always_required_wall, line, word);
    }
    const WallWord* found = nullptr;
    for (const WallWord& w : wall_words) {
      if (w.text == word) found = &w;
    }
    if (found == nullptr) return refuse(PolicyErrc::unknown_wall, line, word);
    for (const auto& [wall, first] : seen_.walls) {
      if (wall == found) return refuse(PolicyErrc::repeated_word, line, word, first);
    }
    seen_.walls.emplace_back(found, line);
    policy.required.*(found->member) = true;
  }
  return {};
}

Check Parser::request(std::size_t line, Words args) {
  if (args.empty()) return refuse(PolicyErrc::wrong_arguments, line, "request");
  for (std::string_view word : args) {
    auto name = find_word(request_names, word);
    if (!name) return refuse(PolicyErrc::unknown_request, line, word);
    for (std::size_t i = 0; i < policy.requests.size(); ++i) {
      if (policy.requests[i] == *name) return refuse(PolicyErrc::repeated_word, line, word, seen_.requests[i]);
    }
    policy.requests.push_back(*name);
    seen_.requests.push_back(line);
  }
  return {};
}

// --- whole-file checks, in the documented order -----------------------------------------------

Check Parser::finish() {
  if (policy.lifetime == Lifetime::caller) return finish_caller();
  const auto required = std::to_array<std::pair<std::size_t, std::string_view>>({
      {seen_.cell, "cell"},
      {seen_.program, "program"},
      {seen_.user, "user"},
      {seen_.group, "group"},
      {seen_.lifetime, "lifetime"},
      {seen_.namespaces, "namespaces"},
  });
  for (const auto& [seen_line, name] : required) {
    if (seen_line == 0) return refuse(PolicyErrc::missing_directive, 0, name);
  }
  for (auto check : {&Parser::check_rlimits, &Parser::check_log_fd, &Parser::check_accounts, &Parser::check_home,
                     &Parser::check_namespaces, &Parser::check_landlock, &Parser::check_network}) {
    if (auto status = (this->*check)(); !status) return status;
  }
  return {};
}

// A caller policy: the program runs as whoever calls it, in the caller's
// namespaces, holding the caller's descriptors; it applies only its rlimits,
// Landlock rules and syscall allowlist to itself (docs/policy.md).
Check Parser::finish_caller() {
  for (const auto& [seen_line, name] : std::to_array<std::pair<std::size_t, std::string_view>>(
           {{seen_.cell, "cell"}, {seen_.program, "program"}})) {
    if (seen_line == 0) return refuse(PolicyErrc::missing_directive, 0, name);
  }
  // The earliest directive a caller policy cannot have.
  std::size_t first = 0;
  std::string_view word;
  auto consider = [&](std::size_t line, std::string_view name) {
    if (line != 0 && (first == 0 || line < first)) {
      first = line;
      word = name;
    }
  };
  consider(seen_.user, "user");
  consider(seen_.group, "group");
  consider(seen_.namespaces, "namespaces");
  for (std::size_t line : seen_.views) consider(line, "view");
  for (std::size_t line : seen_.fds) consider(line, "fd");
  for (std::size_t line : seen_.requests) consider(line, "request");
  for (const auto& wall : seen_.walls) consider(wall.second, "require");
  // Numbered ports are the program's own to apply (sandbox/confine.h);
  // `$control` needs the broker, which never starts a caller program.
  consider(seen_.connect_tcp_control, "landlock connect-tcp $control");
  if (first != 0) return refuse(PolicyErrc::caller_directive, first, word);
  if (auto status = check_rlimits(); !status) return status;
  return check_home();
}

Check Parser::check_rlimits() {
  std::string missing;
  for (const RlimitRule& rule : rlimit_rules) {
    if (!rule.required) continue;
    bool present =
        std::any_of(policy.rlimits.begin(), policy.rlimits.end(), [&](const Rlimit& r) { return r.name == rule.name; });
    if (present) continue;
    if (!missing.empty()) missing += ", ";
    missing += word_of(rlimit_names, rule.name);
  }
  if (!missing.empty()) return refuse(PolicyErrc::missing_rlimits, 0, missing);
  return {};
}

Check Parser::check_log_fd() {
  std::size_t wrong_line = 0;
  for (std::size_t i = 0; i < policy.fds.size(); ++i) {
    const FdGrant& grant = policy.fds[i];
    if (grant.number == 2 && grant.name == FdName::log) return {};
    if ((grant.number == 2 || grant.name == FdName::log) && wrong_line == 0) wrong_line = seen_.fds[i];
  }
  return refuse(PolicyErrc::missing_log_fd, wrong_line);
}

Check Parser::check_accounts() {
  bool user_recipient = policy.user == recipient_account;
  bool group_recipient = policy.group == recipient_account;
  if (user_recipient != group_recipient) {
    return refuse(PolicyErrc::recipient_mismatch, std::max(seen_.user, seen_.group), {},
                  std::min(seen_.user, seen_.group));
  }
  return {};
}

Check Parser::check_home() {
  if (policy.runs_as_recipient()) return {};
  std::size_t first = 0;
  std::string_view path;
  auto consider = [&](std::string_view p, std::size_t line) {
    if (uses_home(p) && (first == 0 || line < first)) {
      first = line;
      path = p;
    }
  };
  for (std::size_t i = 0; i < policy.views.size(); ++i) consider(policy.views[i].path, seen_.views[i]);
  for (std::size_t i = 0; i < policy.landlock.size(); ++i) consider(policy.landlock[i].path, seen_.landlock[i]);
  if (first != 0) return refuse(PolicyErrc::home_needs_recipient, first, path, seen_.user);
  return {};
}

Check Parser::check_namespaces() {
  if (!policy.namespaces.mount && !policy.views.empty()) {
    return refuse(PolicyErrc::view_needs_mount_namespace, seen_.views.front(), policy.views.front().path,
                  seen_.namespaces);
  }
  for (const auto& [wall, line] : seen_.walls) {  // in line order: the first is the earliest
    if (wall->needs != nullptr && !(policy.namespaces.*(wall->needs))) {
      return refuse(PolicyErrc::wall_without_namespace, line, wall->text, seen_.namespaces);
    }
  }
  return {};
}

Check Parser::check_landlock() {
  if (!policy.namespaces.mount) return {};  // the paths are the host's own
  bool grants_directory = std::any_of(policy.fds.begin(), policy.fds.end(), [](const FdGrant& g) {
    return g.name == FdName::queue || g.name == FdName::control || g.name == FdName::home ||
           g.name == FdName::maildir;
  });
  for (std::size_t i = 0; i < policy.landlock.size(); ++i) {
    const LandlockRule& rule = policy.landlock[i];
    std::size_t innermost = policy.views.size();
    for (std::size_t v = 0; v < policy.views.size(); ++v) {
      if (!is_inside(rule.path, policy.views[v].path)) continue;
      if (innermost == policy.views.size() || policy.views[v].path.size() > policy.views[innermost].path.size()) {
        innermost = v;
      }
    }
    if (innermost == policy.views.size()) {
      // A directory granted as a descriptor is reached without a view; the
      // rule is what keeps that descriptor's '..' from leading anywhere.
      if (grants_directory) continue;
      return refuse(PolicyErrc::landlock_outside_views, seen_.landlock[i], rule.path);
    }
    if (rule.access == LandlockAccess::write && !policy.views[innermost].writable) {
      return refuse(PolicyErrc::landlock_write_in_readonly_view, seen_.landlock[i], rule.path, seen_.views[innermost]);
    }
  }
  return {};
}

// A cell with its own network namespace reaches no host: TCP rules there are
// a mistake (the cell would need the host's network to use them).
Check Parser::check_network() {
  if (!policy.restricts_tcp() || !policy.namespaces.net) return {};
  return refuse(PolicyErrc::connect_tcp_in_net_namespace, seen_.connect_tcp, {}, seen_.namespaces);
}

// --- messages ---------------------------------------------------------------------------------------

template <class Table>
std::string join_texts(const Table& table) {
  std::string out;
  for (const auto& entry : table) {
    if (!out.empty()) out += ", ";
    out += entry.text;
  }
  return out;
}

std::string choices_for(PolicyErrc code) {
  switch (code) {
    case PolicyErrc::unknown_lifetime: return join_texts(lifetimes);
    case PolicyErrc::unknown_namespace: return join_texts(namespace_words);
    case PolicyErrc::unknown_fd_name: return join_texts(fd_names);
    case PolicyErrc::unknown_rlimit: return join_texts(rlimit_names);
    case PolicyErrc::unknown_landlock_access: return join_texts(landlock_accesses);
    case PolicyErrc::unknown_landlock_scope: return join_texts(scope_words);
    case PolicyErrc::unknown_wall: return join_texts(wall_words);
    case PolicyErrc::unknown_request: return join_texts(request_names);
    default: return "?";
  }
}

std::string usage_for(std::string_view directive) {
  for (const UsageEntry& u : usages) {
    if (u.directive == directive) return std::string(u.usage);
  }
  return "?";
}

std::string limit_for(std::string_view what) {
  for (const CountLimit& c : count_limits) {
    if (c.what == what) return std::to_string(c.limit);
  }
  return "?";
}

}  // namespace

// --- public functions -----------------------------------------------------------------------------

std::span<const VocabularyEntry<Lifetime>> lifetime_table() noexcept { return lifetimes; }
std::span<const VocabularyEntry<FdName>> fd_name_table() noexcept { return fd_names; }
std::span<const VocabularyEntry<RlimitName>> rlimit_name_table() noexcept { return rlimit_names; }
std::span<const VocabularyEntry<LandlockAccess>> landlock_access_table() noexcept { return landlock_accesses; }
std::span<const VocabularyEntry<RequestName>> request_name_table() noexcept { return request_names; }
std::span<const RlimitRule> rlimit_rule_table() noexcept { return rlimit_rules; }

std::string_view lifetime_text(Lifetime value) noexcept { return word_of(lifetimes, value); }
std::optional<Lifetime> parse_lifetime(std::string_view text) noexcept { return find_word(lifetimes, text); }
std::string_view fd_name_text(FdName value) noexcept { return word_of(fd_names, value); }
std::optional<FdName> parse_fd_name(std::string_view text) noexcept { return find_word(fd_names, text); }
std::string_view rlimit_name_text(RlimitName value) noexcept { return word_of(rlimit_names, value); }
std::optional<RlimitName> parse_rlimit_name(std::string_view text) noexcept { return find_word(rlimit_names, text); }
std::string_view landlock_access_text(LandlockAccess value) noexcept { return word_of(landlock_accesses, value); }
std::optional<LandlockAccess> parse_landlock_access(std::string_view text) noexcept {
  return find_word(landlock_accesses, text);
}
std::string_view request_name_text(RequestName value) noexcept { return word_of(request_names, value); }
std::optional<RequestName> parse_request_name(std::string_view text) noexcept { return find_word(request_names, text); }

std::string_view syscall_op_text(SyscallCondition::Op op) noexcept {
  for (const OpWord& o : op_words) {
    if (o.op == op) return o.text;
  }
  return "&";  // masked_eq: "& MASK =="
}

std::string_view describe(PolicyErrc code) noexcept {
  for (const ErrorEntry& entry : error_entries) {
    if (entry.code == code) return entry.text;
  }
  return "unknown policy error";
}

std::span<const PolicyErrc> policy_error_codes() noexcept { return all_codes; }

std::string policy_error_message(const PolicyError& error) {
  std::string_view text = describe(error.code);
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t open = text.find('{', i);
    std::size_t close = open == std::string_view::npos ? open : text.find('}', open);
    if (close == std::string_view::npos) {
      out += text.substr(i);
      break;
    }
    out += text.substr(i, open - i);
    std::string_view name = text.substr(open + 1, close - open - 1);
    if (name == "token") {
      out += error.detail;
    } else if (name == "other") {
      out += std::to_string(error.other_line);
    } else if (name == "usage") {
      out += usage_for(error.detail);
    } else if (name == "limit") {
      out += limit_for(error.detail);
    } else if (name == "choices") {
      out += choices_for(error.code);
    } else {
      out += text.substr(open, close - open + 1);
    }
    i = close + 1;
  }
  return out;
}

std::string format_policy_error(std::string_view file_name, const PolicyError& error) {
  std::string message(file_name);
  if (error.line != 0) message += " line " + std::to_string(error.line);
  message += ": ";
  message += policy_error_message(error);
  return message;
}

std::string policy_error_table_markdown() {
  auto escape = [](std::string_view text) {
    std::string out;
    for (char c : text) {
      if (c == '|') out += '\\';
      out += c;
    }
    return out;
  };
  std::string out = "| code | message | cause |\n|---|---|---|\n";
  for (const ErrorEntry& e : error_entries) {
    out += "| `" + std::string(e.name) + "` | " + escape(e.text) + " | " + escape(e.cause) + " |\n";
  }
  return out;
}

Result<Policy, PolicyError> parse_policy(std::span<const std::byte> bytes) {
  if (bytes.size() > limits::policy_file) return refuse(PolicyErrc::file_too_large, 0);
  std::string_view text = as_text(bytes);
  Parser parser;
  std::vector<std::string_view> words;
  words.reserve(16);
  std::size_t number = 0;
  while (!text.empty()) {
    ++number;
    std::size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    auto content = check_line(line, number);
    if (!content) return fail(content.error());
    split_words(*content, words);
    if (words.empty()) continue;
    if (auto status = parser.directive(number, words); !status) return fail(status.error());
  }
  if (auto status = parser.finish(); !status) return fail(status.error());
  return std::move(parser.policy);
}

std::string format_policy(const Policy& policy) {
  std::string out;
  out += "cell " + policy.cell + "\n";
  out += "program " + policy.program + "\n";
  bool caller = policy.lifetime == Lifetime::caller;  // no user, group or namespaces line
  if (!caller) {
    out += "user " + policy.user + "\n";
    out += "group " + policy.group + "\n";
  }
  out += "lifetime " + std::string(lifetime_text(policy.lifetime)) + "\n";
  std::string namespaces;
  for (const NamespaceWord& n : namespace_words) {
    if (policy.namespaces.*(n.member)) namespaces += " " + std::string(n.text);
  }
  if (!caller) out += "namespaces" + (namespaces.empty() ? " " + std::string(no_namespaces) : namespaces) + "\n";
  for (const View& v : policy.views) out += "view " + v.path + (v.writable ? " rw\n" : v.executable ? " rx\n" : " ro\n");
  for (const FdGrant& f : policy.fds) {
    out += "fd " + std::to_string(f.number) + " " + std::string(fd_name_text(f.name)) + "\n";
  }
  for (const Rlimit& r : policy.rlimits) {
    out += "rlimit " + std::string(rlimit_name_text(r.name)) + " ";
    const RlimitRule* rule = find_rlimit_rule(r.name);
    if (!r.value) {
      out += "unlimited";
    } else if (rule != nullptr && rule->bytes && *r.value != 0) {
      std::uint64_t v = *r.value;
      const char* suffix = "";
      for (const char* s : {"K", "M", "G"}) {
        if (v % 1024 != 0) break;
        v /= 1024;
        suffix = s;
      }
      out += std::to_string(v) + suffix;
    } else {
      out += std::to_string(*r.value);
    }
    out += "\n";
  }
  // Unconditional rules: consecutive ones share a line of up to 100 columns.
  constexpr std::size_t allow_width = 100;
  std::string allow_line;
  auto flush = [&] {
    if (!allow_line.empty()) out += allow_line + "\n";
    allow_line.clear();
  };
  for (const SyscallRule& rule : policy.syscalls) {
    if (rule.conditions.empty()) {
      if (!allow_line.empty() && allow_line.size() + 1 + rule.name.size() > allow_width) flush();
      if (allow_line.empty()) allow_line = "allow";
      allow_line += " " + rule.name;
      continue;
    }
    flush();
    out += "allow " + rule.name + " where";
    bool first = true;
    for (const SyscallCondition& c : rule.conditions) {
      out += first ? " arg" : " and arg";
      first = false;
      out += std::to_string(c.arg);
      if (c.op == SyscallCondition::Op::masked_eq) {
        out += " & " + hex_number(c.mask) + " ==";
      } else {
        out += " " + std::string(syscall_op_text(c.op));
      }
      out += " " + render_operand(c.value);
    }
    out += "\n";
  }
  flush();
  for (const LandlockRule& l : policy.landlock) {
    out += "landlock " + std::string(landlock_access_text(l.access)) + " " + l.path + "\n";
  }
  std::string scope;
  for (const ScopeWord& s : scope_words) {
    if (policy.landlock_scope.*(s.member)) scope += " " + std::string(s.text);
  }
  if (!scope.empty()) out += "landlock scope" + scope + "\n";
  if (policy.restricts_tcp()) {
    out += "landlock connect-tcp";
    for (std::uint16_t port : policy.connect_tcp_ports) out += " " + std::to_string(port);
    if (policy.connect_tcp_control) out += " " + std::string(control_ports_word);
    out += "\n";
  }
  std::string walls;
  for (const WallWord& w : wall_words) {
    if (policy.required.*(w.member)) walls += " " + std::string(w.text);
  }
  if (!walls.empty()) out += "require" + walls + "\n";
  if (!policy.requests.empty()) {
    out += "request";
    for (RequestName r : policy.requests) out += " " + std::string(request_name_text(r));
    out += "\n";
  }
  return out;
}

std::vector<std::pair<std::string, std::size_t>> policy_syscall_names(const Policy& policy) {
  std::vector<std::pair<std::string, std::size_t>> names;
  names.reserve(policy.syscalls.size());
  for (const SyscallRule& rule : policy.syscalls) names.emplace_back(rule.name, rule.line);
  return names;
}

}  // namespace qcell
