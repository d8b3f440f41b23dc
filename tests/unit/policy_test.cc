// policy_test.cc — the cell policy format: every error code from a real
// input with its exact one-line message and line number, a complete
// realistic policy parsed to the expected struct and round-tripped through
// format_policy, the file and line limits, numbers and their overflow, the
// whole-file checks, and docs/policy.md against the error table.
// Reads docs/policy.md from the source tree (QCELL_SOURCE_DIR); trusts nothing else.
#include "core/policy.h"

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "core/byte_buffer.h"
#include "core/limits.h"

namespace qcell {
namespace {

constexpr std::string_view file_name = "policy/t.policy";

// A minimal valid policy; the line numbers in the comments are used below.
constexpr std::string_view base =
    "cell t\n"            // 1
    "program t\n"         // 2
    "user nobody\n"       // 3
    "group nogroup\n"     // 4
    "lifetime request\n"  // 5
    "namespaces mount\n"  // 6
    "fd 2 log\n"          // 7
    "rlimit as 64M\n"     // 8
    "rlimit nofile 16\n"  // 9
    "rlimit nproc 1\n"    // 10
    "rlimit fsize 0\n"    // 11
    "rlimit core 0\n"     // 12
    "allow read\n";       // 13; extra lines start at 14

std::string with(std::string_view extra) { return std::string(base) + std::string(extra); }

// The base policy with one whole line replaced (or removed when `to` is empty).
std::string replaced(std::string_view from, std::string_view to) {
  std::string text(base);
  std::string needle = std::string(from) + "\n";
  auto at = text.find(needle);
  if (at == std::string::npos) ADD_FAILURE() << "no line " << from;
  text.replace(at, needle.size(), to.empty() ? std::string() : std::string(to) + "\n");
  return text;
}

Result<Policy, PolicyError> parse(std::string_view text) { return parse_policy(as_bytes(text)); }

std::string error_of(std::string_view text) {
  auto r = parse(text);
  if (r.ok()) return "(parsed)";
  return format_policy_error(file_name, r.error());
}

struct Case {
  PolicyErrc code;
  std::string input;
  std::string message;  // the whole formatted line
};

std::string many_views(std::size_t count) {
  std::string text;
  for (std::size_t i = 0; i < count; ++i) text += "view /v" + std::to_string(i) + " ro\n";
  return with(text);
}

std::vector<Case> error_cases() {
  const std::string p = "policy/t.policy";
  return {
      {PolicyErrc::file_too_large, std::string(limits::policy_file + 1, '\n'), p + ": file is larger than 65536 bytes"},
      {PolicyErrc::line_too_long, with("#" + std::string(1024, 'x') + "\n"),
       p + " line 14: line is longer than 1024 bytes"},
      {PolicyErrc::nul_byte, with(std::string("allow wr\0ite\n", 13)), p + " line 14: NUL byte"},
      {PolicyErrc::control_character, with("allow write\x0b\n"), p + " line 14: control character 0x0b"},
      {PolicyErrc::non_ascii, with("allow \xc3\xa9\n"),
       p + " line 14: byte 0xc3 outside a comment: directives are ASCII"},
      {PolicyErrc::bad_utf8, with("# caf\xc3\n"), p + " line 14: ill-formed UTF-8 in a comment at byte 0xc3"},
      {PolicyErrc::bidi_control, with("allow write # \xe2\x80\xae etirw\n"),
       p + " line 14: bidirectional control character U+202E in a comment: it can make the line read differently"},
      {PolicyErrc::unknown_directive, with("alow write\n"), p + " line 14: unknown directive 'alow'"},
      {PolicyErrc::wrong_arguments, with("view /var/qmail\n"),
       p + " line 14: wrong number of arguments: usage is `view PATH ro|rw|rx`"},
      {PolicyErrc::cell_not_first, "# comment\nprogram t\ncell t\n",
       p + " line 2: `cell` must be the first directive, not 'program'"},
      {PolicyErrc::repeated_directive, with("lifetime long\n"),
       p + " line 14: `lifetime` may appear only once: it is already on line 5"},
      {PolicyErrc::missing_directive, replaced("namespaces mount", ""),
       p + ": missing required directive `namespaces`"},
      {PolicyErrc::too_many, many_views(33), p + " line 46: too many `view` rules: at most 32"},
      {PolicyErrc::repeated_word, with("request spawn-queue\nrequest spawn-local spawn-queue\n"),
       p + " line 15: 'spawn-queue' is already listed on line 14"},
      {PolicyErrc::bad_name, replaced("cell t", "cell Test"),
       p + " line 1: bad name 'Test': use 1 to 64 of a-z, 0-9 and -, not starting with -"},
      {PolicyErrc::bad_account, replaced("user nobody", "user 9lives"),
       p + " line 3: bad account name '9lives': use a-z or _, then up to 31 of a-z, 0-9, _ and -"},
      {PolicyErrc::root_account, replaced("group nogroup", "group root"), p + " line 4: a cell never runs as root"},
      {PolicyErrc::recipient_mismatch, replaced("user nobody", "user recipient"),
       p + " line 4: `user recipient` and `group recipient` go together (see line 3)"},
      {PolicyErrc::unknown_lifetime, replaced("lifetime request", "lifetime forever"),
       p + " line 5: unknown lifetime 'forever': use long, connection, request, caller"},
      {PolicyErrc::unknown_namespace, replaced("namespaces mount", "namespaces mount cgroup"),
       p + " line 6: unknown namespace 'cgroup': use mount, pid, net, ipc, uts, or none alone"},
      {PolicyErrc::user_namespace, replaced("namespaces mount", "namespaces mount user"),
       p + " line 6: user namespaces are not used: cells run as real unprivileged uids"},
      {PolicyErrc::none_with_namespaces, replaced("namespaces mount", "namespaces none mount"),
       p + " line 6: `namespaces none` cannot list other namespaces"},
      {PolicyErrc::path_too_long, with("view /" + std::string(255, 'a') + " ro\n"),
       p + " line 14: path '/" + std::string(60, 'a') + "...' is longer than 255 bytes"},
      {PolicyErrc::path_not_absolute, with("view var/qmail ro\n"),
       p + " line 14: path 'var/qmail' does not start with '/', $root or $home"},
      {PolicyErrc::path_variable, with("view $HOME ro\n"),
       p + " line 14: path '$HOME' uses a variable other than a leading $root or $home"},
      {PolicyErrc::path_empty_component, with("view /var//qmail ro\n"),
       p + " line 14: path '/var//qmail' has an empty component ('//')"},
      {PolicyErrc::path_dot_component, with("view /var/qmail/../etc ro\n"),
       p + " line 14: path '/var/qmail/../etc' has a '.' or '..' component"},
      {PolicyErrc::path_trailing_slash, with("view / ro\n"),
       p + " line 14: path '/' ends with '/' (and '/' itself cannot be granted)"},
      {PolicyErrc::home_needs_recipient, with("view $home/Maildir rw\n"),
       p + " line 14: $home is only defined for `user recipient` (user is on line 3)"},
      {PolicyErrc::bad_view_mode, with("view /var/qmail rwx\n"), p + " line 14: view mode 'rwx' is not ro, rw or rx"},
      {PolicyErrc::repeated_view, with("view /var/qmail ro\nview /var/qmail rw\n"),
       p + " line 15: '/var/qmail' is already a view on line 14"},
      {PolicyErrc::view_needs_mount_namespace,
       replaced("namespaces mount", "namespaces pid") + "view /var/qmail/control ro\n",
       p + " line 14: `view` needs a mount namespace: add mount to `namespaces` on line 6"},
      {PolicyErrc::bad_fd_number, with("fd 64 control\n"), p + " line 14: descriptor number '64' is not in 0..63"},
      {PolicyErrc::unknown_fd_name, with("fd 3 socket\n"),
       p + " line 14: unknown descriptor name 'socket': use connection, log, control, queue, message, envelope, "
           "trigger, broker, home, maildir, pipe-in, pipe-out, snapshot, requester, command"},
      {PolicyErrc::repeated_fd_number, with("fd 2 control\n"),
       p + " line 14: descriptor 2 is already granted on line 7"},
      {PolicyErrc::repeated_fd_name, with("fd 3 log\n"), p + " line 14: descriptor 'log' is already granted on line 7"},
      {PolicyErrc::missing_log_fd, replaced("fd 2 log", ""), p + ": every cell logs on descriptor 2: add `fd 2 log`"},
      {PolicyErrc::bad_number, with("rlimit cpu ten\n"), p + " line 14: 'ten' is not a number"},
      {PolicyErrc::leading_zero, with("allow fchmod where arg1 == 0644\n"),
       p + " line 14: '0644' has a leading zero: write octal values in 0x hexadecimal"},
      {PolicyErrc::number_too_large, replaced("rlimit as 64M", "rlimit as 99999999999999999999G"),
       p + " line 8: '99999999999999999999G' does not fit in 64 bits"},
      {PolicyErrc::unknown_rlimit, with("rlimit rss 1M\n"),
       p + " line 14: unknown rlimit 'rss': use as, nofile, fsize, nproc, cpu, core, memlock, stack"},
      {PolicyErrc::suffix_not_allowed, with("rlimit cpu 10K\n"),
       p + " line 14: `rlimit cpu` counts, not bytes: it takes no K, M or G suffix"},
      {PolicyErrc::unlimited_not_allowed, replaced("rlimit nproc 1", "rlimit nproc unlimited"),
       p + " line 10: `rlimit nproc` cannot be unlimited: a cell must have a finite limit for it"},
      {PolicyErrc::rlimit_too_large, with("rlimit stack 4294967297G\n"),
       p + " line 14: rlimit value '4294967297G' is over 2^62: write `unlimited` if that is meant"},
      {PolicyErrc::repeated_rlimit, with("rlimit as 1G\n"),
       p + " line 14: contradictory rule: `rlimit as` is also set on line 8"},
      {PolicyErrc::missing_rlimits, replaced("rlimit as 64M", "rlimit stack 8M"), p + ": missing required rlimits: as"},
      {PolicyErrc::bad_syscall_name, with("allow Write\n"),
       p + " line 14: bad syscall name 'Write': use 1 to 40 of a-z, 0-9 and _"},
      {PolicyErrc::where_needs_one_syscall, with("allow socket socketpair where arg0 == 1\n"),
       p + " line 14: `where` must follow exactly one syscall name"},
      {PolicyErrc::bad_argument, with("allow socket where arg6 == 1\n"),
       p + " line 14: 'arg6' is not a syscall argument: use arg0 to arg5"},
      {PolicyErrc::bad_operator, with("allow socket where arg0 =< 1\n"),
       p + " line 14: '=<' is not an operator: use ==, !=, <, <=, >, >= or & MASK =="},
      {PolicyErrc::malformed_condition, with("allow socket where arg0 == 1 or arg0 == 2\n"),
       p + " line 14: expected `and` or the end of the line, not 'or'"},
      {PolicyErrc::incomplete_condition, with("allow socket where arg0 ==\n"),
       p + " line 14: the line ends inside a condition, after '=='"},
      {PolicyErrc::repeated_argument, with("allow socket where arg0 >= 1 and arg0 <= 2\n"),
       p + " line 14: 'arg0' is compared twice in one rule: write a second `allow ... where` rule"},
      {PolicyErrc::mask_excludes_value, with("allow mmap where arg2 & 0x3 == 0x4\n"),
       p + " line 14: value '0x4' has bits outside its mask: the condition can never match"},
      {PolicyErrc::syscall_rule_conflict, with("allow read where arg0 == 0\n"),
       p + " line 14: contradictory rule: `read` is allowed both unconditionally and with conditions (see line 13)"},
      {PolicyErrc::repeated_syscall_rule, with("allow write read\n"), p + " line 14: rule for `read` repeats line 13"},
      {PolicyErrc::unknown_landlock_access, with("landlock append /var/qmail\n"),
       p + " line 14: unknown landlock rule 'append': use read, write, execute, scope or connect-tcp"},
      {PolicyErrc::unknown_landlock_scope, with("landlock scope ptrace\n"),
       p + " line 14: unknown landlock scope 'ptrace': use abstract-unix, signal"},
      {PolicyErrc::repeated_landlock_rule,
       with("view /var/qmail ro\nlandlock read /var/qmail\nlandlock read /var/qmail\n"),
       p + " line 16: landlock rule for '/var/qmail' repeats line 15"},
      {PolicyErrc::landlock_outside_views, with("view /var/qmail ro\nlandlock read /var/qmailx\n"),
       p + " line 15: landlock rule for '/var/qmailx' outside every view"},
      {PolicyErrc::landlock_write_in_readonly_view,
       with("view /var/qmail rw\nview /var/qmail/queue ro\nlandlock write /var/qmail/queue/pid\n"),
       p + " line 16: contradictory rule: landlock write for '/var/qmail/queue/pid' inside the read-only view on "
           "line 15"},
      {PolicyErrc::bad_tcp_port, with("landlock connect-tcp 25 smtp\n"),
       p + " line 14: 'smtp' is not a TCP port: use 1 to 65535 or $control"},
      {PolicyErrc::repeated_tcp_port, with("landlock connect-tcp 25 53\nlandlock connect-tcp 587 25\n"),
       p + " line 15: TCP port 25 is already allowed on line 14"},
      {PolicyErrc::connect_tcp_in_net_namespace,
       replaced("namespaces mount", "namespaces mount net") + "landlock connect-tcp 25\n",
       p + " line 14: contradictory rule: `landlock connect-tcp` in a cell whose network namespace (line 6) has no "
           "network"},
      {PolicyErrc::unknown_wall, with("require selinux\n"),
       p + " line 14: unknown wall 'selinux': use landlock, landlock-scope, landlock-net, mount-namespace, "
           "pid-namespace, net-namespace, ipc-namespace, uts-namespace"},
      {PolicyErrc::always_required_wall, with("require landlock seccomp\n"),
       p + " line 14: 'seccomp' is always required: remove it from `require`"},
      {PolicyErrc::wall_without_namespace, with("require mount-namespace\nrequire pid-namespace\n"),
       p + " line 15: contradictory rule: `require pid-namespace` but `namespaces` on line 6 does not create it"},
      {PolicyErrc::unknown_request, with("request spawn-shell\n"),
       p + " line 14: unknown broker request 'spawn-shell': use spawn-queue, spawn-local, spawn-remote, spawn-clean, spawn-command"},
      {PolicyErrc::caller_directive, replaced("lifetime request", "lifetime caller"),
       p + " line 3: `user` has no place in a `lifetime caller` policy: the program runs as its caller and "
           "confines itself"},
  };
}

// A caller policy (a program its caller runs, which confines itself): no
// user, group, namespaces, descriptors, views, walls or requests; rlimits,
// syscalls and Landlock rules beneath $root. Each forbidden directive is
// named on its line; it formats back to itself.
TEST(PolicyCaller, HoldsOnlyWhatAProgramCanApplyToItself) {
  constexpr std::string_view caller =
      "cell qmail-inject\n"
      "program qmail-inject\n"
      "lifetime caller\n"
      "rlimit as 1G\n"
      "rlimit nofile 64\n"
      "rlimit nproc 0\n"
      "rlimit fsize unlimited\n"
      "rlimit core 0\n"
      "allow read write close exit_group\n"
      "landlock read $root/queue\n"
      "landlock scope abstract-unix signal\n";
  auto policy = parse(caller);
  ASSERT_TRUE(policy.ok()) << format_policy_error(file_name, policy.error());
  EXPECT_EQ(policy->lifetime, Lifetime::caller);
  EXPECT_TRUE(policy->user.empty());
  EXPECT_FALSE(policy->namespaces.mount);
  EXPECT_EQ(format_policy(*policy), caller);
  EXPECT_EQ(parse(format_policy(*policy)).value(), *policy);
  for (std::string_view line : {"user nobody\n", "group nogroup\n", "namespaces none\n", "fd 2 log\n",
                                "view /var/qmail ro\n", "require landlock\n", "request spawn-queue\n"}) {
    auto r = parse(std::string(caller) + std::string(line));
    ASSERT_FALSE(r.ok()) << line;
    EXPECT_EQ(r.error().code, PolicyErrc::caller_directive) << line;
    EXPECT_EQ(r.error().line, 12u) << line;
    std::string word(line.substr(0, line.find(' ')));
    EXPECT_EQ(r.error().detail, word) << line;
  }
  auto no_program = parse("cell x\nlifetime caller\nrlimit as 1G\n");
  ASSERT_FALSE(no_program.ok());
  EXPECT_EQ(format_policy_error(file_name, no_program.error()), std::string(file_name) + ": missing required directive `program`");
  auto no_rlimits = parse("cell x\nprogram x\nlifetime caller\n");
  ASSERT_FALSE(no_rlimits.ok());
  EXPECT_EQ(no_rlimits.error().code, PolicyErrc::missing_rlimits);
  auto home = parse(std::string(caller) + "landlock read $home\n");
  ASSERT_FALSE(home.ok());
  EXPECT_EQ(home.error().code, PolicyErrc::home_needs_recipient);
}

TEST(PolicyErrors, EveryCodeHasAnInputAndItsExactMessage) {
  std::set<PolicyErrc> covered;
  for (const Case& c : error_cases()) {
    SCOPED_TRACE(std::string(describe(c.code)));
    auto r = parse(c.input);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, c.code);
    EXPECT_EQ(format_policy_error(file_name, r.error()), c.message);
    EXPECT_LE(r.error().detail.size(), policy_limits::error_detail);
    covered.insert(c.code);
  }
  for (PolicyErrc code : policy_error_codes()) {
    EXPECT_TRUE(covered.count(code)) << "no test input for: " << describe(code);
  }
}

TEST(PolicyErrors, MessagesAreOneLineOfPrintableText) {
  for (const Case& c : error_cases()) {
    auto r = parse(c.input);
    ASSERT_FALSE(r.ok());
    for (char ch : format_policy_error(file_name, r.error())) {
      EXPECT_TRUE(ch >= 0x20 && ch < 0x7f) << describe(c.code);
    }
  }
}

TEST(PolicyErrors, MissingLogDescriptorNamesTheLineThatGrantsItOtherwise) {
  EXPECT_EQ(error_of(replaced("fd 2 log", "fd 2 pipe-out")),
            "policy/t.policy line 7: every cell logs on descriptor 2: add `fd 2 log`");
  EXPECT_EQ(error_of(replaced("fd 2 log", "fd 5 log")),
            "policy/t.policy line 7: every cell logs on descriptor 2: add `fd 2 log`");
  // Both wrong: the earliest line is named.
  EXPECT_EQ(error_of(replaced("fd 2 log", "fd 5 log") + "fd 2 pipe-out\n"),
            "policy/t.policy line 7: every cell logs on descriptor 2: add `fd 2 log`");
}

TEST(PolicyErrors, MissingRlimitsAreAllListed) {
  std::string text = replaced("rlimit as 64M", "");
  text = text.replace(text.find("rlimit core 0\n"), 14, "");
  EXPECT_EQ(error_of(text), "policy/t.policy: missing required rlimits: as, core");
}

TEST(PolicyErrors, AnEmptyFileMissesCell) {
  EXPECT_EQ(error_of(""), "policy/t.policy: missing required directive `cell`");
  EXPECT_EQ(error_of("# only a comment\n\n"), "policy/t.policy: missing required directive `cell`");
}

TEST(PolicyErrors, LineErrorsComeBeforeWholeFileChecks) {
  // namespaces is missing, but the bad line is reported first.
  std::string text = replaced("namespaces mount", "") + "\n\nallow Bad\n";
  EXPECT_EQ(error_of(text), "policy/t.policy line 15: bad syscall name 'Bad': use 1 to 40 of a-z, 0-9 and _");
}

TEST(PolicyErrors, UnknownDirectiveBeforeCellIsStillUnknown) {
  EXPECT_EQ(error_of("alow read\ncell t\n"), "policy/t.policy line 1: unknown directive 'alow'");
}

TEST(PolicyErrors, WrongArgumentCountsNameTheUsage) {
  EXPECT_EQ(error_of("cell\n"), "policy/t.policy line 1: wrong number of arguments: usage is `cell NAME`");
  EXPECT_EQ(error_of(with("allow\n")),
            "policy/t.policy line 14: wrong number of arguments: usage is `allow SYSCALL... or allow SYSCALL where "
            "CONDITION [and CONDITION]...`");
  EXPECT_EQ(error_of(with("landlock scope\n")),
            "policy/t.policy line 14: wrong number of arguments: usage is `landlock scope abstract-unix|signal...`");
  EXPECT_EQ(error_of(with("landlock read\n")),
            "policy/t.policy line 14: wrong number of arguments: usage is `landlock read|write|execute PATH`");
  EXPECT_EQ(error_of(with("fd 3\n")), "policy/t.policy line 14: wrong number of arguments: usage is `fd NUMBER NAME`");
}

TEST(PolicyErrors, UserNamespaceIsRefusedInRequireToo) {
  EXPECT_EQ(error_of(with("require user-namespace\n")),
            "policy/t.policy line 14: user namespaces are not used: cells run as real unprivileged uids");
}

TEST(PolicyErrors, EveryAlwaysRequiredWallIsRefused) {
  for (std::string_view wall : {"seccomp", "no-new-privs", "capabilities", "uid"}) {
    auto r = parse(with("require " + std::string(wall) + "\n"));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, PolicyErrc::always_required_wall);
    EXPECT_EQ(r.error().detail, wall);
  }
}

TEST(PolicyErrors, RepeatedLandlockScopeIsARepeatedDirective) {
  EXPECT_EQ(error_of(with("landlock scope signal\nlandlock scope abstract-unix\n")),
            "policy/t.policy line 15: `landlock scope` may appear only once: it is already on line 14");
  EXPECT_EQ(error_of(with("landlock scope signal signal\n")),
            "policy/t.policy line 14: 'signal' is already listed on line 14");
}

// --- the realistic test-cell policy ----------------------------------------------------

constexpr std::string_view test_cell_policy = R"(# test-cell: a small cell for the policy tests. It reads a pipe on 0,
# writes a pipe on 1, logs on 2, and touches no file.
cell test-cell
program test-cell
user nobody
group nogroup
lifetime request
namespaces mount pid net ipc uts

fd 0 pipe-in
fd 1 pipe-out
fd 2 log

rlimit as 64M
rlimit nofile 16
rlimit nproc 1
rlimit fsize 0
rlimit core 0
rlimit cpu 10

# Start-up of a static binary and its C++ runtime.
allow read write close exit_group exit rt_sigreturn
allow brk mmap munmap mprotect mremap madvise
allow fstat newfstatat lseek
allow rt_sigaction rt_sigprocmask sigaltstack
allow arch_prctl set_tid_address set_robust_list rseq
allow prlimit64 getrandom futex
allow clock_gettime clock_nanosleep gettimeofday
allow getpid gettid tgkill
allow uname readlink
# AF_UNIX only: test_socket_unix needs a socketpair-like endpoint.
allow socket where arg0 == 1

landlock scope abstract-unix signal
require landlock
)";

Policy expected_test_cell() {
  Policy p;
  p.cell = "test-cell";
  p.program = "test-cell";
  p.user = "nobody";
  p.group = "nogroup";
  p.lifetime = Lifetime::request;
  p.namespaces = NamespaceSet{true, true, true, true, true};
  p.fds = {{0, FdName::pipe_in}, {1, FdName::pipe_out}, {2, FdName::log}};
  p.rlimits = {{RlimitName::as, 64ULL << 20}, {RlimitName::nofile, 16}, {RlimitName::nproc, 1},
               {RlimitName::fsize, 0},        {RlimitName::core, 0},    {RlimitName::cpu, 10}};
  const std::pair<std::size_t, std::vector<std::string>> lines[] = {
      {22, {"read", "write", "close", "exit_group", "exit", "rt_sigreturn"}},
      {23, {"brk", "mmap", "munmap", "mprotect", "mremap", "madvise"}},
      {24, {"fstat", "newfstatat", "lseek"}},
      {25, {"rt_sigaction", "rt_sigprocmask", "sigaltstack"}},
      {26, {"arch_prctl", "set_tid_address", "set_robust_list", "rseq"}},
      {27, {"prlimit64", "getrandom", "futex"}},
      {28, {"clock_gettime", "clock_nanosleep", "gettimeofday"}},
      {29, {"getpid", "gettid", "tgkill"}},
      {30, {"uname", "readlink"}},
  };
  for (const auto& [line, names] : lines) {
    for (const std::string& name : names) p.syscalls.push_back(SyscallRule{name, {}, line});
  }
  p.syscalls.push_back(SyscallRule{"socket", {{0, SyscallCondition::Op::eq, 1, 0}}, 32});
  p.landlock_scope = LandlockScope{true, true};
  p.required.landlock = true;
  return p;
}

TEST(PolicyParse, RealisticTestCellParsesToTheExpectedPolicy) {
  auto r = parse(test_cell_policy);
  ASSERT_TRUE(r.ok()) << format_policy_error(file_name, r.error());
  EXPECT_EQ(*r, expected_test_cell());
  EXPECT_EQ(r->syscalls.size(), 34u);
  // Lines are kept (equality ignores them, so check them one by one).
  auto names = policy_syscall_names(*r);
  ASSERT_EQ(names.size(), 34u);
  EXPECT_EQ(names.front(), (std::pair<std::string, std::size_t>{"read", 22}));
  EXPECT_EQ(names[6], (std::pair<std::string, std::size_t>{"brk", 23}));
  EXPECT_EQ(names.back(), (std::pair<std::string, std::size_t>{"socket", 32}));
  EXPECT_FALSE(r->runs_as_recipient());
}

TEST(PolicyParse, RealisticTestCellIsTheFuzzSeed) {
  std::ifstream file(std::string(QCELL_SOURCE_DIR) + "/fuzz/corpus/policy/test_cell.policy", std::ios::binary);
  std::stringstream text;
  text << file.rdbuf();
  EXPECT_EQ(text.str(), test_cell_policy);
}

// `rx`: read-only and executable, for the program cell's system views;
// `ro` and `rw` stay noexec. The mode survives the canonical form.
TEST(PolicyFormat, ExecutableViewsRoundTrip) {
  auto policy = parse(with("view /usr rx\nview /etc ro\n"));
  ASSERT_TRUE(policy.ok()) << format_policy_error(file_name, policy.error());
  ASSERT_EQ(policy->views.size(), 2u);
  EXPECT_TRUE(policy->views[0].executable);
  EXPECT_FALSE(policy->views[0].writable);
  EXPECT_FALSE(policy->views[1].executable);
  const std::string text = format_policy(*policy);
  EXPECT_NE(text.find("view /usr rx\n"), std::string::npos) << text;
  EXPECT_EQ(parse(text).value(), *policy);
}

TEST(PolicyFormat, RealisticTestCellRoundTrips) {
  auto r = parse(test_cell_policy);
  ASSERT_TRUE(r.ok());
  std::string canonical = format_policy(*r);
  auto again = parse(canonical);
  ASSERT_TRUE(again.ok()) << format_policy_error("canonical", again.error()) << "\n" << canonical;
  EXPECT_EQ(*again, *r);
  EXPECT_EQ(format_policy(*again), canonical);
  EXPECT_NE(canonical.find("rlimit as 64M\n"), std::string::npos);
  EXPECT_NE(canonical.find("allow socket where arg0 == 1\n"), std::string::npos);
  EXPECT_NE(canonical.find("landlock scope abstract-unix signal\nrequire landlock\n"), std::string::npos);
}

TEST(PolicyFormat, EveryCanonicalLineIsShortAndHasNoComment) {
  auto r = parse(test_cell_policy);
  ASSERT_TRUE(r.ok());
  std::istringstream lines(format_policy(*r));
  for (std::string line; std::getline(lines, line);) {
    EXPECT_LE(line.size(), 100u) << line;
    EXPECT_EQ(line.find('#'), std::string::npos);
    EXPECT_FALSE(line.empty());
  }
}

TEST(PolicyFormat, ArgumentRulesRenderEveryOperator) {
  std::string text = with(
      "allow mmap where arg2 & 0x4 == 0 and arg3 != 0x1000000\n"
      "allow mmap where arg0 < 5 and arg1 <= 6 and arg4 > 7 and arg5 >= 0xffffffffffffffff\n"
      "allow ioctl where arg1 == 0x5401\n");
  auto r = parse(text);
  ASSERT_TRUE(r.ok()) << format_policy_error(file_name, r.error());
  std::string canonical = format_policy(*r);
  EXPECT_NE(canonical.find("allow mmap where arg2 & 0x4 == 0 and arg3 != 0x1000000\n"), std::string::npos);
  EXPECT_NE(canonical.find("allow mmap where arg0 < 5 and arg1 <= 6 and arg4 > 7 and arg5 >= 0xffffffffffffffff\n"),
            std::string::npos);
  EXPECT_NE(canonical.find("allow ioctl where arg1 == 21505\n"), std::string::npos);
  auto again = parse(canonical);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *r);
}

// --- the file and its lines ------------------------------------------------------------------

TEST(PolicyParse, CommentsBlankLinesTabsAndCrlfAreAccepted) {
  std::string text =
      "# leading comment\r\n"
      "\r\n"
      "   \t  \n"
      "cell t # trailing comment\n"
      "\tprogram\tt\t\n"
      "user nobody#no space needed before a comment\n"
      "group nogroup\r\n"
      "lifetime request\n"
      "namespaces none   # café: UTF-8 in comments is fine\n"
      "fd 2 log\n"
      "rlimit as 1G\nrlimit nofile 8\nrlimit nproc 1\nrlimit fsize unlimited\nrlimit core 0\n"
      "allow read";  // no final newline
  auto r = parse(text);
  ASSERT_TRUE(r.ok()) << format_policy_error(file_name, r.error());
  EXPECT_EQ(r->cell, "t");
  EXPECT_EQ(r->program, "t");
  EXPECT_EQ(r->user, "nobody");
  EXPECT_EQ(r->group, "nogroup");
  EXPECT_EQ(r->namespaces, NamespaceSet{});
  EXPECT_EQ(r->rlimits[3], (Rlimit{RlimitName::fsize, std::nullopt}));
  EXPECT_EQ(r->syscalls.back().line, 16u);
}

TEST(PolicyParse, AHashInsideAWordStartsAComment) {
  EXPECT_EQ(error_of(with("view /var#qmail ro\n")),
            "policy/t.policy line 14: wrong number of arguments: usage is `view PATH ro|rw|rx`");
}

TEST(PolicyParse, FileOfExactlyTheLimitIsAcceptedAndOneByteMoreIsNot) {
  std::string text = with("");
  text += std::string(limits::policy_file - text.size(), '\n');
  ASSERT_EQ(text.size(), limits::policy_file);
  EXPECT_TRUE(parse(text).ok());
  text += '\n';
  auto r = parse(text);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, PolicyErrc::file_too_large);
  EXPECT_EQ(r.error().line, 0u);
}

TEST(PolicyParse, LineOfExactlyTheLimitIsAccepted) {
  std::string line = "#" + std::string(policy_limits::line - 1, 'x');
  EXPECT_TRUE(parse(with(line + "\n")).ok());
  EXPECT_TRUE(parse(with(line + "\r\n")).ok());  // the CR of CRLF is not counted
  auto r = parse(with(line + "x\n"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, PolicyErrc::line_too_long);
  EXPECT_EQ(r.error().line, 14u);
}

TEST(PolicyParse, NulByteIsRefusedEvenInAComment) {
  auto r = parse(with(std::string("# a\0b\n", 6)));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, PolicyErrc::nul_byte);
  EXPECT_EQ(r.error().line, 14u);
}

TEST(PolicyParse, ControlBytesAreRefusedInCommentsAndABareCrInALine) {
  EXPECT_EQ(error_of(with("# bell \x07\n")), "policy/t.policy line 14: control character 0x07");
  EXPECT_EQ(error_of(with("allow write\rallow exit\n")), "policy/t.policy line 14: control character 0x0d");
  EXPECT_EQ(error_of(with("# next line \xc2\x85\n")), "policy/t.policy line 14: control character U+0085");
  EXPECT_EQ(error_of(with("allow write\x7f\n")), "policy/t.policy line 14: control character 0x7f");
}

TEST(PolicyParse, IllFormedUtf8InCommentsIsRefused) {
  for (std::string_view bad : {"\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe2\x82", "\x80", "\xff"}) {
    auto r = parse(with("# " + std::string(bad) + "\n"));
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, PolicyErrc::bad_utf8);
  }
  EXPECT_TRUE(parse(with("# \xf0\x9f\x93\xa7 \xe2\x9c\x93 \xc3\xa9\n")).ok());
}

TEST(PolicyParse, EveryBidiControlIsRefused) {
  for (std::string_view bidi :
       {"\xd8\x9c", "\xe2\x80\x8e", "\xe2\x80\x8f", "\xe2\x80\xaa", "\xe2\x80\xae", "\xe2\x81\xa6", "\xe2\x81\xa9"}) {
    auto r = parse(with("# " + std::string(bidi) + "\n"));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, PolicyErrc::bidi_control);
  }
}

// --- numbers ---------------------------------------------------------------------------------------

TEST(PolicyNumbers, RlimitSuffixesArePowersOf1024) {
  auto r = parse(replaced("rlimit as 64M", "rlimit as 3G") + "rlimit stack 8K\nrlimit memlock 1024\n");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->rlimits[0].value, 3ULL << 30);
  EXPECT_EQ(r->rlimits[5].value, 8ULL << 10);
  EXPECT_EQ(r->rlimits[6].value, 1024u);
  // The largest finite value, 2^62, is accepted and rendered with a suffix.
  auto top = parse(with("rlimit stack 4294967296G\n"));
  ASSERT_TRUE(top.ok());
  EXPECT_EQ(top->rlimits.back().value, std::uint64_t{1} << 62);
  EXPECT_NE(format_policy(*top).find("rlimit stack 4294967296G\n"), std::string::npos);
}

TEST(PolicyNumbers, RlimitSuffixOverflowIsRefused) {
  // 2^34 GiB is exactly 2^64: the multiplication overflows.
  for (std::string_view value : {"17179869184G", "99999999999999999999G", "18014398509481984K"}) {
    auto r = parse(with("rlimit stack " + std::string(value) + "\n"));
    ASSERT_FALSE(r.ok()) << value;
    EXPECT_EQ(r.error().code, PolicyErrc::number_too_large) << value;
    EXPECT_EQ(r.error().detail, value);
  }
  // 2^64 - 1 fits in 64 bits but is RLIM_INFINITY: it must not pass as a number.
  auto r = parse(with("rlimit stack 18446744073709551615\n"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, PolicyErrc::rlimit_too_large);
}

TEST(PolicyNumbers, RlimitValuesAreStrict) {
  for (std::string_view value : {"1k", "K", "-1", "1.5G", "1KB", "0x10", ""}) {
    auto r = parse(with("rlimit stack " + std::string(value) + "\n"));
    EXPECT_FALSE(r.ok()) << value;
  }
  EXPECT_EQ(error_of(with("rlimit stack 08M\n")),
            "policy/t.policy line 14: '08M' has a leading zero: write octal values in 0x hexadecimal");
  EXPECT_EQ(error_of(with("rlimit cpu unlimited\n")), "(parsed)");
  EXPECT_EQ(error_of(replaced("rlimit as 64M", "rlimit as unlimited")),
            "policy/t.policy line 8: `rlimit as` cannot be unlimited: a cell must have a finite limit for it");
  EXPECT_EQ(error_of(replaced("rlimit nofile 16", "rlimit nofile unlimited")),
            "policy/t.policy line 9: `rlimit nofile` cannot be unlimited: a cell must have a finite limit for it");
}

TEST(PolicyNumbers, ConditionValuesAreDecimalOrHexWithin64Bits) {
  auto r =
      parse(with("allow mmap where arg0 == 0xFFFFffffFFFFffff and arg1 == 18446744073709551615 and "
                 "arg2 == 0x0000000000000000001\n"));
  ASSERT_TRUE(r.ok()) << format_policy_error(file_name, r.error());
  const auto& c = r->syscalls.back().conditions;
  ASSERT_EQ(c.size(), 3u);
  EXPECT_EQ(c[0].value, UINT64_MAX);
  EXPECT_EQ(c[1].value, UINT64_MAX);
  EXPECT_EQ(c[2].value, 1u);
  for (std::string_view value : {"0x10000000000000000", "18446744073709551616"}) {
    auto big = parse(with("allow mmap where arg0 == " + std::string(value) + "\n"));
    ASSERT_FALSE(big.ok());
    EXPECT_EQ(big.error().code, PolicyErrc::number_too_large);
  }
  for (std::string_view value : {"0x", "0X10", "-1", "1e3", "0xg"}) {
    auto bad = parse(with("allow mmap where arg0 == " + std::string(value) + "\n"));
    ASSERT_FALSE(bad.ok()) << value;
    EXPECT_EQ(bad.error().code, PolicyErrc::bad_number) << value;
  }
}

TEST(PolicyNumbers, FdNumbersAreDecimal0To63) {
  EXPECT_EQ(error_of(with("fd 63 control\n")), "(parsed)");
  EXPECT_EQ(error_of(with("fd 03 control\n")),
            "policy/t.policy line 14: '03' has a leading zero: write octal values in 0x hexadecimal");
  EXPECT_EQ(error_of(with("fd -1 control\n")), "policy/t.policy line 14: '-1' is not a number");
  EXPECT_EQ(error_of(with("fd 99999999999999999999 control\n")),
            "policy/t.policy line 14: '99999999999999999999' does not fit in 64 bits");
}

// --- rules and whole-file checks ----------------------------------------------------------------

TEST(PolicyRules, ArgumentRulesForOneSyscallAreAlternatives) {
  auto r = parse(with("allow socket where arg0 == 1\nallow socket where arg0 == 2 and arg1 == 1\n"));
  ASSERT_TRUE(r.ok()) << format_policy_error(file_name, r.error());
  ASSERT_EQ(r->syscalls.size(), 3u);
  EXPECT_EQ(r->syscalls[1].line, 14u);
  EXPECT_EQ(r->syscalls[2].line, 15u);
  // The same conditions in another order are the same rule.
  EXPECT_EQ(error_of(with("allow socket where arg0 == 2 and arg1 == 1\nallow socket where arg1 == 1 and arg0 == 2\n")),
            "policy/t.policy line 15: rule for `socket` repeats line 14");
  // Conditional first, unconditional later: still a contradiction.
  EXPECT_EQ(error_of(with("allow socket where arg0 == 1\nallow socket\n")),
            "policy/t.policy line 15: contradictory rule: `socket` is allowed both unconditionally and with conditions "
            "(see line 14)");
}

TEST(PolicyRules, SixConditionsAreTheMostOneRuleCanHold) {
  auto r =
      parse(with("allow mmap where arg0 == 0 and arg1 == 1 and arg2 == 2 and arg3 == 3 and arg4 == 4 and "
                 "arg5 == 5\n"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->syscalls.back().conditions.size(), policy_limits::conditions);
  EXPECT_EQ(error_of(with("allow mmap where arg0 == 0 and arg1 == 1 and arg2 == 2 and arg3 == 3 and arg4 == 4 and "
                          "arg5 == 5 and arg0 == 6\n")),
            "policy/t.policy line 14: 'arg0' is compared twice in one rule: write a second `allow ... where` rule");
}

TEST(PolicyRules, MaskedConditionsNeedEqualsAndAValueInsideTheMask) {
  EXPECT_EQ(error_of(with("allow mmap where arg2 & 0x4 != 0\n")),
            "policy/t.policy line 14: '!=' is not an operator: use ==, !=, <, <=, >, >= or & MASK ==");
  EXPECT_EQ(error_of(with("allow mmap where arg2 & 0x4\n")),
            "policy/t.policy line 14: the line ends inside a condition, after '0x4'");
  EXPECT_EQ(error_of(with("allow mmap where\n")),
            "policy/t.policy line 14: the line ends inside a condition, after 'where'");
  EXPECT_EQ(error_of(with("allow mmap where arg0 == 1 and\n")),
            "policy/t.policy line 14: the line ends inside a condition, after 'and'");
  EXPECT_EQ(error_of(with("allow where arg0 == 1\n")),
            "policy/t.policy line 14: `where` must follow exactly one syscall name");
}

TEST(PolicyRules, CountLimitsAreEnforced) {
  EXPECT_TRUE(parse(many_views(policy_limits::views)).ok());
  std::string landlock = "view /v ro\n";
  for (std::size_t i = 0; i <= policy_limits::landlock_rules; ++i)
    landlock += "landlock read /v/" + std::to_string(i) + "\n";
  EXPECT_EQ(error_of(with(landlock)), "policy/t.policy line 47: too many `landlock` rules: at most 32");
  std::string where;
  for (std::size_t i = 0; i <= policy_limits::argument_rules; ++i)
    where += "allow ioctl where arg1 == " + std::to_string(i) + "\n";
  EXPECT_EQ(error_of(with(where)), "policy/t.policy line 62: too many `allow where` rules: at most 48");
  // 513 distinct names (read is already allowed on line 13).
  std::string names;
  for (std::size_t i = 0; i < policy_limits::unconditional_syscalls; ++i) names += "allow s" + std::to_string(i) + "\n";
  EXPECT_EQ(error_of(with(names)), "policy/t.policy line 525: too many `allow` rules: at most 512");
}

TEST(PolicyRules, RecipientCellsMayUseHome) {
  std::string text = replaced("user nobody", "user recipient");
  text = text.replace(text.find("group nogroup"), 13, "group recipient");
  text += "view $home rw\nview $home/Maildir/tmp ro\nlandlock write $home/Maildir\nlandlock read $home/Maildir/tmp/x\n";
  auto r = parse(text);
  ASSERT_TRUE(r.ok()) << format_policy_error(file_name, r.error());
  EXPECT_TRUE(r->runs_as_recipient());
  EXPECT_EQ(r->views[0], (View{"$home", true}));
  EXPECT_EQ(r->landlock[0], (LandlockRule{LandlockAccess::write, "$home/Maildir"}));
  EXPECT_EQ(parse(format_policy(*r)).value(), *r);
  // $homework is not $home.
  EXPECT_EQ(error_of(text + "view $homework ro\n"),
            "policy/t.policy line 18: path '$homework' uses a variable other than a leading $root or $home");
  EXPECT_EQ(error_of(text + "view /x/$home ro\n"),
            "policy/t.policy line 18: path '/x/$home' uses a variable other than a leading $root or $home");
  // The innermost view decides: a write beneath the ro view is refused.
  EXPECT_EQ(error_of(text + "landlock write $home/Maildir/tmp/new\n"),
            "policy/t.policy line 18: contradictory rule: landlock write for '$home/Maildir/tmp/new' inside the "
            "read-only view on line 15");
}

TEST(PolicyRules, WithoutAMountNamespaceLandlockPathsAreTheHostsOwn) {
  auto r = parse(replaced("namespaces mount", "namespaces none") + "landlock read /var/qmail/control\n");
  ASSERT_TRUE(r.ok()) << format_policy_error(file_name, r.error());
  EXPECT_EQ(r->landlock.size(), 1u);
  EXPECT_NE(format_policy(*r).find("namespaces none\n"), std::string::npos);
}

TEST(PolicyRules, NamespaceWallsNeedTheirNamespace) {
  auto r = parse(replaced("namespaces mount", "namespaces uts ipc net pid mount") +
                 "require uts-namespace ipc-namespace\nrequire net-namespace pid-namespace mount-namespace\n"
                 "require landlock-scope landlock\n");
  ASSERT_TRUE(r.ok()) << format_policy_error(file_name, r.error());
  EXPECT_EQ(r->required, (WallSet{true, true, false, true, true, true, true, true}));
  EXPECT_EQ(r->namespaces, (NamespaceSet{true, true, true, true, true}));
  EXPECT_EQ(error_of(with("require landlock\nrequire landlock\n")),
            "policy/t.policy line 15: 'landlock' is already listed on line 14");
}

// `landlock connect-tcp`: the only TCP ports a cell on the host's network
// may connect to; several lines add up, `$control` stands for the ports of
// the control files, and the canonical form is one line.
TEST(PolicyConnectTcp, PortsAndControlParseAndRoundTrip) {
  auto r = parse(with("landlock connect-tcp 25 53\nlandlock connect-tcp $control 65535 1\nrequire landlock-net\n"));
  ASSERT_TRUE(r.ok()) << format_policy_error(file_name, r.error());
  EXPECT_EQ(r->connect_tcp_ports, (std::vector<std::uint16_t>{25, 53, 65535, 1}));
  EXPECT_TRUE(r->connect_tcp_control);
  EXPECT_TRUE(r->restricts_tcp());
  EXPECT_TRUE(r->required.landlock_net);
  EXPECT_FALSE(r->required.landlock);
  std::string canonical = format_policy(*r);
  EXPECT_NE(canonical.find("landlock connect-tcp 25 53 65535 1 $control\nrequire landlock-net\n"), std::string::npos)
      << canonical;
  auto again = parse(canonical);
  ASSERT_TRUE(again.ok()) << format_policy_error("canonical", again.error()) << "\n" << canonical;
  EXPECT_EQ(*again, *r);
  EXPECT_EQ(format_policy(*again), canonical);

  auto only_control = parse(with("landlock connect-tcp $control\n"));
  ASSERT_TRUE(only_control.ok());
  EXPECT_TRUE(only_control->connect_tcp_ports.empty());
  EXPECT_TRUE(only_control->restricts_tcp());
  EXPECT_EQ(parse(format_policy(*only_control)).value(), *only_control);

  auto none = parse(with(""));
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->restricts_tcp());
  EXPECT_EQ(format_policy(*none).find("connect-tcp"), std::string::npos);
}

TEST(PolicyConnectTcp, EveryWrongPortIsRefusedWithItsCode) {
  EXPECT_EQ(error_of(with("landlock connect-tcp\n")),
            "policy/t.policy line 14: wrong number of arguments: usage is `landlock connect-tcp PORT|$control...`");
  for (std::string_view bad : {"0", "65536", "99999999999999999999", "-25", "0x19", "smtp", "$root", "$controls"}) {
    auto r = parse(with("landlock connect-tcp " + std::string(bad) + "\n"));
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, PolicyErrc::bad_tcp_port) << bad;
    EXPECT_EQ(r.error().line, 14u) << bad;
    EXPECT_EQ(r.error().detail, bad);
  }
  EXPECT_EQ(error_of(with("landlock connect-tcp 025\n")),
            "policy/t.policy line 14: '025' has a leading zero: write octal values in 0x hexadecimal");
  // Repeats: on one line, across lines, and `$control` twice.
  EXPECT_EQ(error_of(with("landlock connect-tcp 25 25\n")),
            "policy/t.policy line 14: TCP port 25 is already allowed on line 14");
  EXPECT_EQ(error_of(with("landlock connect-tcp $control\nlandlock connect-tcp 25 $control\n")),
            "policy/t.policy line 15: TCP port $control is already allowed on line 14");
  // At most 16 ports; `$control` is not one of them.
  std::string ports;
  for (unsigned port = 1; port <= policy_limits::tcp_ports; ++port) ports += " " + std::to_string(port);
  EXPECT_TRUE(parse(with("landlock connect-tcp" + ports + " $control\n")).ok());
  EXPECT_EQ(error_of(with("landlock connect-tcp" + ports + "\nlandlock connect-tcp 17\n")),
            "policy/t.policy line 15: too many `landlock connect-tcp` rules: at most 16");
}

TEST(PolicyConnectTcp, NeedsTheHostsNetworkAndCallersTakeOnlyNumbers) {
  // Only `$control` still restricts TCP, so it too needs the host's network.
  EXPECT_EQ(error_of(replaced("namespaces mount", "namespaces mount net") + "landlock connect-tcp $control\n"),
            "policy/t.policy line 14: contradictory rule: `landlock connect-tcp` in a cell whose network namespace "
            "(line 6) has no network");
  constexpr std::string_view caller =
      "cell c\nprogram c\nlifetime caller\n"
      "rlimit as 1G\nrlimit nofile 64\nrlimit nproc 0\nrlimit fsize 0\nrlimit core 0\n";
  auto numbered = parse(std::string(caller) + "landlock connect-tcp 25\n");
  ASSERT_TRUE(numbered.ok()) << format_policy_error(file_name, numbered.error());
  EXPECT_EQ(format_policy(*numbered), std::string(caller) + "landlock connect-tcp 25\n");
  EXPECT_EQ(error_of(std::string(caller) + "landlock connect-tcp 25 $control\n"),
            "policy/t.policy line 9: `landlock connect-tcp $control` has no place in a `lifetime caller` policy: the "
            "program runs as its caller and confines itself");
}

TEST(PolicyRules, NamespacesNoneIsAlone) {
  EXPECT_EQ(error_of(replaced("namespaces mount", "namespaces mount none")),
            "policy/t.policy line 6: `namespaces none` cannot list other namespaces");
  EXPECT_EQ(error_of(replaced("namespaces mount", "namespaces none none")),
            "policy/t.policy line 6: 'none' is already listed on line 6");
  EXPECT_EQ(error_of(replaced("namespaces mount", "namespaces pid pid")),
            "policy/t.policy line 6: 'pid' is already listed on line 6");
}

TEST(PolicyRules, NamesAndAccounts) {
  EXPECT_EQ(error_of(replaced("cell t", "cell -t")),
            "policy/t.policy line 1: bad name '-t': use 1 to 64 of a-z, 0-9 and -, not starting with -");
  EXPECT_TRUE(parse(replaced("cell t", "cell " + std::string(64, 'a'))).ok());
  EXPECT_FALSE(parse(replaced("cell t", "cell " + std::string(65, 'a'))).ok());
  EXPECT_TRUE(parse(replaced("user nobody", "user _qmail-d1")).ok());
  EXPECT_TRUE(parse(replaced("user nobody", "user " + std::string(32, 'q'))).ok());
  EXPECT_FALSE(parse(replaced("user nobody", "user " + std::string(33, 'q'))).ok());
  EXPECT_EQ(error_of(replaced("user nobody", "user root")), "policy/t.policy line 3: a cell never runs as root");
}

TEST(PolicyRules, LongTokensAreCutInErrors) {
  std::string name(200, 'x');
  auto r = parse(with("alow" + name + "\n"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().detail.size(), policy_limits::error_detail);
  EXPECT_EQ(r.error().detail.substr(61), "...");
}

// --- vocabularies and documentation ---------------------------------------------------------------

TEST(PolicyVocabulary, EveryWordRoundTrips) {
  for (const auto& e : fd_name_table()) EXPECT_EQ(parse_fd_name(fd_name_text(e.value)), e.value);
  for (const auto& e : rlimit_name_table()) EXPECT_EQ(parse_rlimit_name(rlimit_name_text(e.value)), e.value);
  for (const auto& e : lifetime_table()) EXPECT_EQ(parse_lifetime(lifetime_text(e.value)), e.value);
  for (const auto& e : landlock_access_table()) {
    EXPECT_EQ(parse_landlock_access(landlock_access_text(e.value)), e.value);
  }
  for (const auto& e : request_name_table()) EXPECT_EQ(parse_request_name(request_name_text(e.value)), e.value);
  EXPECT_EQ(parse_fd_name("socket"), std::nullopt);
  EXPECT_EQ(fd_name_text(FdName::pipe_in), "pipe-in");
  EXPECT_EQ(lifetime_text(Lifetime::long_lived), "long");
  EXPECT_EQ(rlimit_rule_table().size(), rlimit_name_table().size());
}

TEST(PolicyVocabulary, EveryRequestAndDescriptorParses) {
  std::string text = with("request spawn-queue spawn-local spawn-remote\n");
  unsigned number = 3;
  for (const auto& e : fd_name_table()) {
    if (e.value != FdName::log) text += "fd " + std::to_string(number++) + " " + std::string(e.text) + "\n";
  }
  auto r = parse(text);
  ASSERT_TRUE(r.ok()) << format_policy_error(file_name, r.error());
  EXPECT_EQ(r->fds.size(), fd_name_table().size());
  EXPECT_EQ(r->requests.size(), 3u);
  EXPECT_EQ(parse(format_policy(*r)).value(), *r);
}

std::string read_doc() {
  std::ifstream file(std::string(QCELL_SOURCE_DIR) + "/docs/policy.md", std::ios::binary);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

TEST(PolicyDocs, DocumentationHoldsTheErrorTable) {
  std::string doc = read_doc();
  ASSERT_FALSE(doc.empty()) << "docs/policy.md is missing";
  EXPECT_NE(doc.find(policy_error_table_markdown()), std::string::npos)
      << "docs/policy.md must contain policy_error_table_markdown() verbatim:\n"
      << policy_error_table_markdown();
}

TEST(PolicyDocs, DocumentationNamesEveryWord) {
  std::string doc = read_doc();
  auto has = [&](std::string_view word) { return doc.find("`" + std::string(word) + "`") != std::string::npos; };
  for (const auto& e : fd_name_table()) EXPECT_TRUE(has(e.text)) << e.text;
  for (const auto& e : rlimit_name_table()) EXPECT_TRUE(has(e.text)) << e.text;
  for (const auto& e : lifetime_table()) EXPECT_TRUE(has(e.text)) << e.text;
  for (const auto& e : landlock_access_table()) EXPECT_TRUE(has(e.text)) << e.text;
  for (const auto& e : request_name_table()) EXPECT_TRUE(has(e.text)) << e.text;
  for (std::string_view w : {"mount",
                             "pid",
                             "net",
                             "ipc",
                             "uts",
                             "none",
                             "landlock-scope",
                             "landlock-net",
                             "connect-tcp",
                             "$control",
                             "mount-namespace",
                             "pid-namespace",
                             "net-namespace",
                             "ipc-namespace",
                             "uts-namespace",
                             "abstract-unix",
                             "signal",
                             "seccomp",
                             "no-new-privs",
                             "capabilities",
                             "uid",
                             "recipient",
                             "$home"}) {
    EXPECT_TRUE(has(w)) << w;
  }
}

TEST(PolicyDocs, ExampleInTheDocumentationParses) {
  // The annotated example sits between the two marker comments.
  std::string doc = read_doc();
  const std::string begin = "<!-- example policy: begin -->\n```\n";
  const std::string end = "```\n<!-- example policy: end -->";
  auto from = doc.find(begin);
  auto to = doc.find(end);
  ASSERT_NE(from, std::string::npos);
  ASSERT_NE(to, std::string::npos);
  std::string example = doc.substr(from + begin.size(), to - from - begin.size());
  auto r = parse(example);
  EXPECT_TRUE(r.ok()) << format_policy_error("docs example", r.error());
}

}  // namespace
}  // namespace qcell
