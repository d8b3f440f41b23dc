// check.h — `qcell check`: validate a qcell installation's configuration and
// print what is in force. Reads only the administrator's files under the
// root it is given; never network or mail data.
#pragma once

#include <string>
#include <string_view>

#include "qcell/policies.h"

namespace qcell {

// Exit codes of the qcell command (docs/qcell.md).
inline constexpr int exit_ok = 0;
inline constexpr int exit_config_error = 100;  // the configuration is wrong: fix it
inline constexpr int exit_system_error = 111;  // could not read it: a temporary or system problem
inline constexpr int exit_usage = 100;         // bad command line

struct CheckReport {
  int exit_code = exit_ok;
  std::string output;  // lines for standard output
  std::string errors;  // lines for standard error
};

// Checks the control directory `root`/control and describes every setting.
CheckReport check_installation(std::string_view root);

// Checks every policy in `policy_dir` (syntax, syscall names, accounts,
// views, programs in `bin_dir`, walls the kernel lacks) and prints what each
// cell will be allowed.
CheckReport check_policies(const std::string& policy_dir, const std::string& bin_dir);
// The same for policies already loaded (so `qcell start` reads them once).
CheckReport check_policies(const LoadedPolicies& files, const std::string& policy_dir, const std::string& bin_dir,
                           const std::string& root = "/var/qmail");

}  // namespace qcell
