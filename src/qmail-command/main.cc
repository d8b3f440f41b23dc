// main.cc (qmail-command) — the launcher of one program delivery, as a
// cell. The broker starts bin/qmail-command per spawn-command request under
// policy/qmail-command.policy, as the recipient that the asking qmail-local
// runs as, with
//
//   0 message   the stored message, a regular file open read-only
//   1 pipe-out  the output pipe to qmail-local
//   2 log       log lines to the broker
//   3 command   the command and environment (core/command_job.h), sealed
//
// It checks those, reads and parses descriptor 3 (hostile: qmail-local
// wrote it, most values are the sender's), enters the home directory,
// makes the output pipe the program's stdout and stderr, and execs
// /bin/sh -c COMMAND with exactly the job's environment and PATH. From then
// on the cell is the program: its exit code or signal is the cell's, and
// the broker reports it to qmail-local in `finished`.
//
// A launcher failure: exit 111 (temporary, as qmail-local's "Unable to
// run /bin/sh"), logged as start-failed; a text on 1 when it can.
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "core/byte_buffer.h"
#include "core/cell_skeleton.h"
#include "core/command_job.h"
#include "core/fd.h"
#include "core/limits.h"
#include "qmail-command/launch.h"

namespace {

constexpr int message_fd = 0;
constexpr int output_fd = 1;
constexpr int log_fd = 2;
constexpr int command_fd = 3;

int refuse_start(const std::string& error, bool can_report) {
  qcell::cell_log("start-failed error=\"" + error + "\"");
  if (can_report) (void)qcell::write_full(output_fd, "qmail-command could not start: " + error + ". (#4.3.0)\n");
  return 111;
}

// The whole job: a regular file of at most limits::command_job bytes.
qcell::Result<std::string, std::string> read_job() {
  struct stat st {};
  if (::fstat(command_fd, &st) != 0 || !S_ISREG(st.st_mode)) return qcell::fail(std::string("descriptor 3 is not a file"));
  if (st.st_size < 0 || static_cast<std::uint64_t>(st.st_size) > qcell::limits::command_job) {
    return qcell::fail(std::string("descriptor 3 is larger than its limit"));
  }
  std::string frame(static_cast<std::size_t>(st.st_size), '\0');
  std::size_t got = 0;
  while (got < frame.size()) {
    const ssize_t n = ::pread(command_fd, frame.data() + got, frame.size() - got, static_cast<off_t>(got));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return qcell::fail(std::string("cannot read descriptor 3"));
    got += static_cast<std::size_t>(n);
  }
  return frame;
}

}  // namespace

int main() {
  using namespace qcell;
  int wrong = -1;
  if (!holds_exactly({message_fd, output_fd, log_fd, command_fd}, wrong)) {
    return refuse_start("descriptor " + std::to_string(wrong) + " is not as the policy says", false);
  }
  auto frame = read_job();
  if (!frame) return refuse_start(frame.error(), true);
  auto job = parse_command_job(qcell::as_bytes(std::string_view(*frame)));
  if (!job) return refuse_start(std::string(describe(job.error())), true);
  auto launch = command::plan_launch(*job);
  if (!launch) return refuse_start(launch.error(), true);
  if (::chdir(launch->home.c_str()) != 0) {
    // qmail-local's "Unable to chdir to home directory" is temporary too.
    return refuse_start("Unable to chdir to " + launch->home + ": " + ::strerror(errno), true);
  }
  ::close(command_fd);

  std::vector<char*> argv;
  for (std::string& arg : launch->argv) argv.push_back(arg.data());
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (std::string& entry : launch->environment) envp.push_back(entry.data());
  envp.push_back(nullptr);
  // The program's stderr is the output pipe, as qmail-local's fd_copy(2,1):
  // the log descriptor goes.
  if (::dup2(output_fd, log_fd) != log_fd) return refuse_start("cannot place the output pipe on 2", true);
  ::execve(command::shell, argv.data(), envp.data());
  const std::string error = "Unable to run /bin/sh: " + std::string(::strerror(errno)) + ". (#4.3.0)\n";
  (void)write_full(output_fd, error);
  return 111;
}
