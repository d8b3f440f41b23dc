// queue_server.cc — the qmail-queue cell's poll loop. The job channel comes
// from the broker (trusted, still decoded strictly); the pipes carry
// hostile bytes, handled by Injection.
#include "qmail-queue-cell/queue_server.h"

#include <errno.h>
#include <poll.h>

#include <algorithm>
#include <ctime>
#include <string>
#include <vector>

#include "core/byte_buffer.h"
#include "core/cell_skeleton.h"
#include "core/fd_passing.h"
#include "core/limits.h"

namespace qcell::queue {

namespace {

using Clock = std::chrono::steady_clock;

// Tried twice: once a message is in todo/, a lost answer means the injector
// retries and the message is delivered twice, so one transient failure of
// sendmsg(2) must not decide that.
bool answer(int channel, std::uint64_t id, Exit code) {
  ByteBuffer frame(queue_job_frame);
  if (!encode_queue_done(QueueDone{id, static_cast<std::uint8_t>(code)}, frame)) return false;
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto sent = send_frame(channel, frame.bytes(), {}, Clock::now() + std::chrono::seconds(5));
    if (sent) return true;
    if (sent.error().kind == FrameErrc::system && sent.error().sys_errno == EPIPE) return false;
  }
  return false;
}

void log_done(const Injection& in) {
  std::string line = "queued=" + std::string(in.exit_code() == Exit::ok ? "yes" : "no") +
                     " job=" + std::to_string(in.job().id) + " msg=" + std::to_string(in.id()) +
                     " bytes=" + std::to_string(in.message_bytes()) + " uid=" + std::to_string(in.job().uid) +
                     " qp=" + std::to_string(in.job().pid) + " exit=" + std::to_string(static_cast<int>(in.exit_code()));
  cell_log(line);
}

}  // namespace

int serve_queue(const QueueDirs& dirs, int channel, const ServerLimits& limits) {
  std::vector<Injection> jobs;
  jobs.reserve(limits.jobs);
  std::vector<std::byte> buffer(limits::read_chunk * 4);
  std::vector<pollfd> fds;
  bool channel_open = true;
  while (channel_open || !jobs.empty()) {
    fds.clear();
    bool take_jobs = channel_open && jobs.size() < limits.jobs;
    fds.push_back({take_jobs ? channel : -1, POLLIN, 0});
    for (const Injection& in : jobs) fds.push_back({in.input(), POLLIN, 0});
    // Wake for the nearest deadline.
    Clock::time_point now = Clock::now();
    Clock::time_point next = now + std::chrono::hours(1);
    for (const Injection& in : jobs) {
      next = std::min({next, in.last_activity() + limits.idle, in.started() + limits.lifetime});
    }
    auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(next - now).count();
    int ready = ::poll(fds.data(), fds.size(), static_cast<int>(std::clamp<long long>(wait, 0, 3600000)));
    if (ready < 0 && errno != EINTR) {
      cell_log("poll-failed errno=" + std::to_string(errno));
      for (Injection& in : jobs) in.abandon(dirs, Exit::internal_bug);
      return 111;
    }

    // Injections with bytes to read.
    for (std::size_t i = 0; i < jobs.size(); ++i) {
      if ((fds[i + 1].revents & (POLLIN | POLLHUP | POLLERR)) != 0) jobs[i].on_readable(dirs, buffer);
    }
    // A new injection from the broker.
    if ((fds[0].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
      ByteBuffer frame(limits::broker_request);
      auto received = receive_frame(channel, frame, 2, Clock::now() + std::chrono::seconds(1));
      if (!received) {
        if (received.error().kind == FrameErrc::end_of_file) {
          channel_open = false;
        } else if (received.error().kind != FrameErrc::timeout) {
          // The channel itself is broken: stop; the broker restarts the cell.
          cell_log("channel-failed error=\"" + describe(received.error()) + "\"");
          for (Injection& in : jobs) in.abandon(dirs, Exit::internal_bug);
          return 111;
        }
      } else if (auto job = decode_queue_job(frame.bytes()); !job) {
        cell_log("job-refused error=\"" + std::string(describe(job.error())) + "\"");
      } else if (received->size() != 2) {
        cell_log("job-refused job=" + std::to_string(job->id) + " error=\"wrong number of descriptors\"");
        if (!answer(channel, job->id, Exit::internal_bug)) return 111;
      } else {
        jobs.emplace_back(*job, std::move((*received)[0]), std::move((*received)[1]), limits.injection);
        jobs.back().begin(dirs, std::time(nullptr));
      }
    }
    // Deadlines.
    now = Clock::now();
    for (Injection& in : jobs) {
      if (in.phase() == Injection::Phase::done) continue;
      if (now - in.last_activity() >= limits.idle || now - in.started() >= limits.lifetime) {
        in.abandon(dirs, Exit::timeout);
      }
    }
    // Everything that became ready in this turn is committed together.
    std::vector<Injection*> batch;
    for (Injection& in : jobs) {
      if (in.phase() == Injection::Phase::ready) batch.push_back(&in);
    }
    if (!batch.empty()) {
      CommitCount count = commit_batch(dirs, batch);
      cell_log("commit messages=" + std::to_string(count.queued) + " fsyncs=" + std::to_string(count.fsyncs));
      if (count.queued > 0) pull_trigger(dirs);
    }
    // Answers, and the finished injections leave.
    for (const Injection& in : jobs) {
      if (in.phase() != Injection::Phase::done) continue;
      log_done(in);
      if (channel_open && !answer(channel, in.job().id, in.exit_code())) channel_open = false;
    }
    std::erase_if(jobs, [](const Injection& in) { return in.phase() == Injection::Phase::done; });
    if (!channel_open) {
      // Nobody can be told the outcome: what is unfinished is removed.
      for (Injection& in : jobs) in.abandon(dirs, Exit::internal_bug);
      jobs.clear();
    }
  }
  return 0;
}

}  // namespace qcell::queue
