// run.h — qmail-inject's whole run, from its arguments (argv without
// argv[0]) to its exit code; main() of qmail-inject and of sendmail (which
// translates its own command line first) call it. `program` names the
// built-in policy it confines itself with: "qmail-inject" or "sendmail".
#pragma once

#include <span>
#include <string_view>

namespace qcell::inject {

int run_qmail_inject(std::span<const char* const> args, std::string_view program);

}  // namespace qcell::inject
