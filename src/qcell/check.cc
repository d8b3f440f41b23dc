// check.cc — `qcell check`: loads the control set through the core reader
// and renders it, one setting per line.
#include "qcell/check.h"

#include <errno.h>
#include <string.h>

#include <variant>

#include "core/byte_buffer.h"
#include "core/control.h"
#include "core/control_snapshot.h"
#include "core/fd.h"
#include "core/tcp_rules.h"
#include "qmail-smtpd/smtpd_config.h"
#include "qcell/policies.h"
#include "sandbox/sandbox.h"

namespace qcell {

namespace {

std::string render(const ControlValue& value) {
  if (std::holds_alternative<std::monostate>(value)) return "(not set)";  // docs/qcell.md
  if (const auto* text = std::get_if<std::string>(&value)) return *text;
  if (const auto* number = std::get_if<std::uint64_t>(&value)) return std::to_string(*number);
  const auto& list = std::get<std::vector<std::string>>(value);
  std::string out;
  for (const std::string& item : list) {
    if (!out.empty()) out += ' ';
    out += item;
  }
  return list.empty() ? "(empty list)" : out;
}

}  // namespace

CheckReport check_installation(std::string_view root) {
  CheckReport report;
  std::string control_path = std::string(root) + "/control";
  auto dir = open_directory(control_path.c_str());
  if (!dir) {
    report.exit_code = dir.error() == ENOENT ? exit_config_error : exit_system_error;
    report.errors = "qcell check: cannot open " + control_path + ": " + ::strerror(dir.error()) + "\n";
    return report;
  }
  auto set = load_control_set(*dir);
  if (!set) {
    const auto& [name, error] = set.error();
    report.exit_code = error.code == ControlErrc::unreadable && error.sys_errno != ELOOP && error.sys_errno != EINVAL
                           ? exit_system_error
                           : exit_config_error;
    report.errors = "qcell check: " + format_control_error(name, error) + "\n";
    return report;
  }
  report.output = "qcell check: control directory " + control_path + "\n";
  for (const ControlEntry& entry : control_table()) {
    const ControlSetting* setting = set->find(entry.name);
    report.output += "control " + std::string(entry.name) + " = " + render(setting->value) + " (" +
                     (setting->from_file ? "file" : "default") + ")\n";
  }
  // qmail-smtpd's files as its cell reads them (the snapshot: TLS
  // certificate and key, smtpsecrets), and the broker's control/tcp.smtp.
  auto fail_with = [&report](const std::string& text) {
    report.exit_code = exit_config_error;
    report.errors = "qcell check: " + text + "\n";
    return report;
  };
  auto snapshot_fd = build_control_snapshot(*dir, smtpd_control_files);
  if (!snapshot_fd) return fail_with(snapshot_fd.error());
  auto snapshot = ControlSnapshot::open(std::move(snapshot_fd.value()));
  if (!snapshot) return fail_with(snapshot.error());
  auto setup = smtpd::load_smtpd_setup(*snapshot, [](const char*) -> const char* { return nullptr; });
  if (!setup) return fail_with(setup.error());
  if (setup->tls) {
    if (auto context = smtpd::make_tls_context(*setup->tls); !context) {
      return fail_with("control/smtpcert.pem or smtpkey.pem: " + context.error().text);
    }
  }
  report.output += std::string("qmail-smtpd: starttls=") + (setup->tls ? "yes" : "no (no control/smtpcert.pem)") +
                   " auth=" +
                   (setup->secrets ? (setup->tls ? std::to_string(setup->secrets->users.size()) + " users"
                                                 : std::string("no (smtpsecrets without a certificate)"))
                                   : std::string("no (no control/smtpsecrets)")) +
                   "\n";
  auto rules_text = read_control_file(*dir, "tcp.smtp");
  if (!rules_text) return fail_with(format_control_error("tcp.smtp", rules_text.error()));
  if (*rules_text) {
    auto rules = parse_tcp_rules(as_bytes(**rules_text));
    if (!rules) return fail_with(describe(rules.error()));
    report.output += "tcp.smtp: " + std::to_string(rules->rules.size()) + " rules\n";
  } else {
    report.output += "tcp.smtp: (not set: every client is allowed, none may relay without AUTH)\n";
  }
  report.output += "qcell check: control files ok\n";
  return report;
}

CheckReport check_policies(const std::string& policy_dir, const std::string& bin_dir) {
  return check_policies(load_policies(policy_dir), policy_dir, bin_dir);
}

CheckReport check_policies(const LoadedPolicies& files, const std::string& policy_dir, const std::string& bin_dir,
                           const std::string& root) {
  CheckReport report;
  if (!files) {
    report.exit_code = exit_config_error;
    for (const std::string& error : files.error()) report.errors += "qcell check: " + error + "\n";
    return report;
  }
  sandbox::Walls walls = sandbox::probe_walls();
  report.output += "qcell check: kernel walls: " + sandbox::describe_walls(walls) + "\n";
  Installation installation{policy_dir, bin_dir, "", root};
  for (const PolicyFile& file : *files) {
    std::vector<std::string> problems = validate_policy(file, installation);
    const Policy& p = file.policy;
    if (std::string missing = sandbox::missing_walls(required_walls(p), walls); !missing.empty()) {
      problems.push_back("policy/" + file.file_name + ": required wall missing on this kernel: " + missing +
                         " (the cell would refuse to start)");
    }
    std::string degraded = sandbox::missing_walls(used_walls(p), walls);
    for (const std::string& problem : problems) report.errors += "qcell check: " + problem + "\n";
    if (!problems.empty()) {
      report.exit_code = exit_config_error;
      continue;
    }
    report.output +=
        "cell " + p.cell + ": ok" + (degraded.empty() ? "" : " (degraded: runs without " + degraded + ")") + "\n";
    report.output += describe_allowances(p);
  }
  if (report.exit_code == exit_ok) {
    report.output +=
        "qcell check: " + std::to_string(files->size()) + (files->size() == 1 ? " policy ok\n" : " policies ok\n");
  }
  return report;
}

}  // namespace qcell
