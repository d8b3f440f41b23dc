// policy.cc (fuzz) — parses hostile bytes as a cell policy file and traps
// when a result breaks the documented rules. For an error: its line and
// other line lie within the input, only whole-file errors have line 0, the
// detail is short printable ASCII and the message one printable line. For a
// policy: the checks hold (fd 2 log, or for `lifetime caller` none of what
// a caller policy cannot have; required rlimits, recipient pairs, no
// syscall both plain and conditional, counts within policy_limits, TCP
// ports in 1..65535, each once, never with a network namespace, and no
// `$control` in a caller policy), every
// syscall rule names a line that starts with `allow`, and format_policy()
// renders text within the file limit that parses to an equal policy and
// renders to itself again.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/byte_buffer.h"
#include "core/limits.h"
#include "core/policy.h"
#include "require.h"

using qcell_fuzz::printable;
using qcell_fuzz::require;

namespace {


// The lines as the parser counts them: a final line without '\n' counts.
std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    std::size_t end = text.find('\n');
    lines.push_back(text.substr(0, end));
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
  }
  return lines;
}

std::string_view first_word(std::string_view line) {
  line = line.substr(0, line.find('#'));
  std::size_t start = line.find_first_not_of(" \t");
  if (start == std::string_view::npos) return {};
  line.remove_prefix(start);
  return line.substr(0, line.find_first_of(" \t\r"));
}

bool whole_file_only(qcell::PolicyErrc code) {
  return code == qcell::PolicyErrc::file_too_large || code == qcell::PolicyErrc::missing_directive ||
         code == qcell::PolicyErrc::missing_rlimits;
}

void check_error(const qcell::PolicyError& error, std::size_t line_count) {
  require(error.line <= line_count);
  require(error.other_line <= line_count);
  if (error.line == 0) require(whole_file_only(error.code) || error.code == qcell::PolicyErrc::missing_log_fd);
  if (whole_file_only(error.code)) require(error.line == 0);
  require(error.detail.size() <= qcell::policy_limits::error_detail);
  require(printable(error.detail));
  std::string message = qcell::format_policy_error("policy/fuzz.policy", error);
  require(printable(message));
  // Every placeholder is filled. The token itself may hold '{' (it is
  // inserted, never rescanned), so look at a copy without it.
  qcell::PolicyError plain = error;
  for (char& c : plain.detail) {
    if (c == '{') c = '_';
  }
  require(qcell::format_policy_error("policy/fuzz.policy", plain).find('{') == std::string::npos);
}

void check_policy(const qcell::Policy& policy, const std::vector<std::string_view>& lines) {
  require(!policy.cell.empty() && !policy.program.empty());
  if (policy.lifetime == qcell::Lifetime::caller) {
    // A program that confines itself: no account, namespace, view,
    // descriptor, wall or request (caller_directive).
    require(policy.user.empty() && policy.group.empty() && policy.views.empty() && policy.fds.empty() &&
            policy.requests.empty() && policy.required == qcell::WallSet{} &&
            policy.namespaces == qcell::NamespaceSet{});
  } else {
    require(!policy.user.empty() && !policy.group.empty());
    require(policy.runs_as_recipient() == (policy.group == qcell::recipient_account));
    require(policy.user != "root" && policy.group != "root");
    bool log = false;
    for (const qcell::FdGrant& grant : policy.fds) {
      require(grant.number < qcell::policy_limits::fd_numbers);
      if (grant.number == 2) log = grant.name == qcell::FdName::log;
    }
    require(log);
  }
  for (const qcell::RlimitRule& rule : qcell::rlimit_rule_table()) {
    std::size_t count = 0;
    for (const qcell::Rlimit& r : policy.rlimits) {
      if (r.name != rule.name) continue;
      ++count;
      if (!rule.unlimited_allowed) require(r.value.has_value());
      if (r.value) require(*r.value <= qcell::policy_limits::rlimit_value);
    }
    require(count <= 1);
    if (rule.required) require(count == 1);
  }

  require(policy.connect_tcp_ports.size() <= qcell::policy_limits::tcp_ports);
  for (std::size_t i = 0; i < policy.connect_tcp_ports.size(); ++i) {
    require(policy.connect_tcp_ports[i] != 0);
    for (std::size_t j = 0; j < i; ++j) require(policy.connect_tcp_ports[j] != policy.connect_tcp_ports[i]);
  }
  if (policy.restricts_tcp()) require(!policy.namespaces.net);
  if (policy.lifetime == qcell::Lifetime::caller) require(!policy.connect_tcp_control);
  require(policy.views.size() <= qcell::policy_limits::views);
  require(policy.landlock.size() <= qcell::policy_limits::landlock_rules);
  if (!policy.views.empty()) require(policy.namespaces.mount);
  std::size_t unconditional = 0;
  for (const qcell::SyscallRule& rule : policy.syscalls) {
    require(!rule.name.empty() && rule.name.size() <= qcell::policy_limits::syscall_name);
    require(rule.conditions.size() <= qcell::policy_limits::conditions);
    if (rule.conditions.empty()) ++unconditional;
    for (const qcell::SyscallRule& other : policy.syscalls) {
      if (other.name == rule.name) require(other.conditions.empty() == rule.conditions.empty());
    }
    for (const qcell::SyscallCondition& c : rule.conditions) {
      require(c.arg < 6);
      if (c.op == qcell::SyscallCondition::Op::masked_eq) require((c.value & ~c.mask) == 0);
    }
  }
  require(unconditional <= qcell::policy_limits::unconditional_syscalls);
  require(policy.syscalls.size() - unconditional <= qcell::policy_limits::argument_rules);

  auto names = qcell::policy_syscall_names(policy);
  require(names.size() == policy.syscalls.size());
  for (const auto& [name, line] : names) {
    require(line >= 1 && line <= lines.size());
    require(first_word(lines[line - 1]) == "allow");
    require(lines[line - 1].find(name) != std::string_view::npos);
  }
}

}  // namespace

// Each vocabulary parser accepts exactly its table's words: a word it
// accepts renders back to itself.
void check_vocabularies(std::string_view word) {
  if (auto v = qcell::parse_lifetime(word)) require(qcell::lifetime_text(*v) == word);
  if (auto v = qcell::parse_fd_name(word)) require(qcell::fd_name_text(*v) == word);
  if (auto v = qcell::parse_rlimit_name(word)) require(qcell::rlimit_name_text(*v) == word);
  if (auto v = qcell::parse_landlock_access(word)) require(qcell::landlock_access_text(*v) == word);
  if (auto v = qcell::parse_request_name(word)) require(qcell::request_name_text(*v) == word);
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::span<const std::byte> input(reinterpret_cast<const std::byte*>(data), size);
  auto lines = split_lines(qcell::as_text(input));
  if (size <= 64) check_vocabularies(qcell::as_text(input));

  auto parsed = qcell::parse_policy(input);
  if (!parsed) {
    check_error(parsed.error(), lines.size());
    return 0;
  }
  check_policy(*parsed, lines);

  std::string canonical = qcell::format_policy(*parsed);
  require(canonical.size() <= qcell::limits::policy_file);
  auto again = qcell::parse_policy(qcell::as_bytes(canonical));
  require(again.ok());
  require(*again == *parsed);
  require(qcell::format_policy(*again) == canonical);
  check_policy(*again, split_lines(canonical));
  return 0;
}
