// flush_command.h — `qcell queue flush [--root DIR]`: asks the running
// qmail-send to try every waiting delivery now (qmail's SIGALRM to
// qmail-send). It finds qmail-send's pid in what the broker's status
// socket says (root's only) and sends it SIGALRM.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace qcell {

// The pid of the running qmail-send in a `qcell status` text, if any.
std::optional<long> qmail_send_pid(std::string_view status);

// Exit codes: 0 signalled, 111 no broker or no qmail-send running (a line
// on `err_fd` says which), 100 usage.
int run_flush_command(int argc, char** argv, int out_fd, int err_fd);

}  // namespace qcell
