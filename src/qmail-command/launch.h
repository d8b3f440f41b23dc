// launch.h — qmail-command's one decision: from the command job qmail-local
// sent (core/command_job.h), what to execute and with which environment,
// as qmail-local's mailprogram() does in qmail 1.03: `/bin/sh -c COMMAND`
// in the home directory, with qmail-command(8)'s variables. Pure: main.cc
// does the reading, chdir, descriptors and execve.
//
// The job's bytes were checked by parse_command_job; its values are still
// the sender's and are passed on unchanged, never interpreted here.
#pragma once

#include <string>
#include <vector>

#include "core/command_job.h"
#include "core/result.h"

namespace qcell::command {

// What every program finds in PATH (qmail's programs inherit qmail-send's,
// which is the administrator's; a cell has none, so qcell names one).
inline constexpr const char* program_path = "PATH=/usr/local/bin:/bin:/usr/bin";
inline constexpr const char* shell = "/bin/sh";

struct Launch {
  std::string home;                   // HOME's value: the directory to start in
  std::vector<std::string> argv;      // {"sh", "-c", COMMAND}
  std::vector<std::string> environment;  // the job's variables, then PATH
};

// The launch of `job`; refuses a job without an absolute HOME, or one that
// sets PATH itself (the broker's qmail-local never does).
Result<Launch, std::string> plan_launch(const CommandJob& job);

}  // namespace qcell::command
