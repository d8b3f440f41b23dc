// broker_program.cc — program deliveries through the broker (broker_program.h).
#include "qmail-local/broker_program.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <array>

#include "core/limits.h"

namespace qcell::local {

namespace {

using Clock = std::chrono::steady_clock;

ProgramRun problem(bool temporary, std::string text) {
  ProgramRun run;
  run.temporary_problem = temporary;
  run.problem = std::move(text);
  return run;
}

// Reads `fd` to its end or the deadline, keeping at most report_limit + 1
// bytes (enough for bounded_report to see that it is too long). False when
// the deadline came first.
bool read_output(int fd, std::string& output, Clock::time_point deadline) {
  std::array<char, 4096> buffer{};
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return false;
    struct pollfd p {
      fd, POLLIN, 0
    };
    const int ready = ::poll(&p, 1, static_cast<int>(std::min<long long>(left, 60000)));
    if (ready < 0 && errno != EINTR) return true;  // treated as the end of the output
    if (ready <= 0) continue;
    const ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) return true;
    const std::size_t room = report_limit + 1 - std::min(output.size(), report_limit + 1);
    output.append(buffer.data(), std::min(room, static_cast<std::size_t>(n)));
  }
}

}  // namespace

ProgramRun BrokerProgramRunner::run(const CommandJob& job, int message_fd) {
  auto frame = encode_command_job(job);
  if (!frame) {
    return problem(true, "Unable to run program: " + std::string(describe(frame.error())) + ". (#4.3.0)");
  }
  auto memory = sealed_memory_file("qmail-command", std::as_bytes(std::span(frame->data(), frame->size())));
  if (!memory) return problem(true, "Unable to run program: memfd: " + std::string(::strerror(memory.error())) + ". (#4.3.0)");
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    return problem(true, "Unable to run program: pipe: " + std::string(::strerror(errno)) + ". (#4.3.0)");
  }
  UniqueFd output_read(pipe_fds[0]);
  UniqueFd output_write(pipe_fds[1]);
  const Clock::time_point deadline = Clock::now() + limit_;
  const int handed[] = {message_fd, output_write.get(), memory->get()};
  auto started = channel_.start(SpawnCommand{}, handed, Clock::now() + std::chrono::seconds(60));
  if (!started) {
    const ChannelFailure& failure = started.error();
    switch (failure.kind) {
      case ChannelFailure::Kind::channel:
        return problem(true, "Unable to run program: the broker channel failed. (#4.3.0)");
      case ChannelFailure::Kind::refused_temporarily:
        return problem(true, "Unable to run program: the broker is busy: " + failure.text + ". (#4.3.0)");
      case ChannelFailure::Kind::refused_for_good:
        return problem(true, "Unable to run program: the broker refused: " + failure.text + ". (#4.3.0)");
    }
  }
  output_write.reset();
  memory->reset();
  ProgramRun run;
  if (!read_output(output_read.get(), run.output, deadline)) {
    channel_.abandon(*started);
    return problem(true, "Program ran longer than " + std::to_string(limit_.count()) + " seconds. (#4.3.0)");
  }
  auto finished = channel_.wait_finished(*started, deadline);
  if (!finished) return problem(true, "Unable to learn how the program ended: " + finished.error().text + ". (#4.3.0)");
  run.ran = true;
  run.signalled = finished->signalled;
  run.number = finished->number;
  return run;
}

}  // namespace qcell::local
