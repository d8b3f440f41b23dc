// queue_server.cc — the qmail-queue cell's poll loop. The job channel comes
// from the broker (trusted, still decoded strictly); the pipes carry
// hostile bytes, handled by Injection.
#include "qmail-queue/queue_server.h"

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

namespace {

// The loop's state and one turn of it: wait (up to `timeout_ms`) for any
// descriptor, then read what is there and take new injections.
class Server {
 public:
  Server(const QueueDirs& dirs, int channel, const ServerLimits& limits)
      : dirs_(dirs), channel_(channel), limits_(limits), buffer_(limits::read_chunk * 4) {
    jobs_.reserve(limits.jobs);
  }

  int run();

 private:
  // False when the loop must end with `exit_` (a broken channel or poll).
  bool turn(int timeout_ms);
  void take_jobs();
  bool any_ready() const {
    return std::any_of(jobs_.begin(), jobs_.end(),
                       [](const Injection& in) { return in.phase() == Injection::Phase::ready; });
  }
  void abandon_all() {
    for (Injection& in : jobs_) in.abandon(dirs_, Exit::internal_bug);
  }

  const QueueDirs& dirs_;
  int channel_;
  const ServerLimits& limits_;
  std::vector<std::byte> buffer_;
  std::vector<Injection> jobs_;
  std::vector<pollfd> fds_;
  bool channel_open_ = true;
  int exit_ = 0;
  std::uint64_t progress_ = 0;  // reads and new injections so far
};

bool Server::turn(int timeout_ms) {
  fds_.clear();
  bool taking = channel_open_ && jobs_.size() < limits_.jobs;
  fds_.push_back({taking ? channel_ : -1, POLLIN, 0});
  for (const Injection& in : jobs_) fds_.push_back({in.input(), POLLIN, 0});
  int ready = ::poll(fds_.data(), fds_.size(), timeout_ms);
  if (ready < 0 && errno != EINTR) {
    cell_log("poll-failed errno=" + std::to_string(errno));
    abandon_all();
    exit_ = 111;
    return false;
  }
  if (ready <= 0) return true;
  // Injections with bytes to read: as much as is there, bounded per turn.
  std::size_t polled = fds_.size() - 1;
  for (std::size_t i = 0; i < polled; ++i) {
    if ((fds_[i + 1].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
    for (int reads = 0; reads < 16 && jobs_[i].input() >= 0; ++reads) {
      if (!jobs_[i].on_readable(dirs_, buffer_)) break;
      ++progress_;
    }
  }
  if ((fds_[0].revents & (POLLIN | POLLHUP | POLLERR)) != 0) take_jobs();
  return exit_ == 0;
}

// Every injection the broker has sent, up to the limit.
void Server::take_jobs() {
  for (bool first = true; channel_open_ && jobs_.size() < limits_.jobs; first = false) {
    ByteBuffer frame(limits::broker_request);
    auto wait = first ? std::chrono::seconds(1) : std::chrono::seconds(0);
    auto received = receive_frame(channel_, frame, 2, Clock::now() + wait);
    if (!received) {
      if (received.error().kind == FrameErrc::timeout) return;
      if (received.error().kind == FrameErrc::end_of_file) {
        channel_open_ = false;
        return;
      }
      // The channel itself is broken: stop; the broker restarts the cell.
      cell_log("channel-failed error=\"" + describe(received.error()) + "\"");
      abandon_all();
      exit_ = 111;
      return;
    }
    auto job = decode_queue_job(frame.bytes());
    if (!job) {
      cell_log("job-refused error=\"" + std::string(describe(job.error())) + "\"");
    } else if (received->size() != 2) {
      cell_log("job-refused job=" + std::to_string(job->id) + " error=\"wrong number of descriptors\"");
      if (!answer(channel_, job->id, Exit::internal_bug)) channel_open_ = false;
    } else {
      jobs_.emplace_back(*job, std::move((*received)[0]), std::move((*received)[1]), limits_.injection);
      jobs_.back().begin(dirs_, std::time(nullptr));
      ++progress_;
    }
  }
}

int Server::run() {
  while (channel_open_ || !jobs_.empty()) {
    // Wake for the nearest deadline.
    Clock::time_point now = Clock::now();
    Clock::time_point next = now + std::chrono::hours(1);
    for (const Injection& in : jobs_) {
      next = std::min({next, in.last_activity() + limits_.idle, in.started() + limits_.lifetime});
    }
    auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(next - now).count();
    if (!turn(static_cast<int>(std::clamp<long long>(wait, 0, 3600000)))) return exit_;
    // Before a commit, take in whatever else is already waiting, so that
    // one round of syncs covers as many injections as possible.
    for (int extra = 0; extra < 8 && any_ready(); ++extra) {
      std::uint64_t before = progress_;
      if (!turn(0)) return exit_;
      if (progress_ == before) break;  // nothing more was waiting
    }
    now = Clock::now();
    for (Injection& in : jobs_) {
      if (in.phase() == Injection::Phase::done) continue;
      if (now - in.last_activity() >= limits_.idle || now - in.started() >= limits_.lifetime) {
        in.abandon(dirs_, Exit::timeout);
      }
    }
    // Everything that is ready is committed together.
    std::vector<Injection*> batch;
    for (Injection& in : jobs_) {
      if (in.phase() == Injection::Phase::ready) batch.push_back(&in);
    }
    if (!batch.empty()) {
      CommitCount count = commit_batch(dirs_, batch, limits_.sync);
      cell_log("commit messages=" + std::to_string(count.queued) + " syncs=" + std::to_string(count.syncs));
      if (count.queued > 0) pull_trigger(dirs_);
    }
    // Answers, and the finished injections leave.
    for (const Injection& in : jobs_) {
      if (in.phase() != Injection::Phase::done) continue;
      log_done(in);
      if (channel_open_ && !answer(channel_, in.job().id, in.exit_code())) channel_open_ = false;
    }
    std::erase_if(jobs_, [](const Injection& in) { return in.phase() == Injection::Phase::done; });
    if (!channel_open_) {
      // Nobody can be told the outcome: what is unfinished is removed.
      abandon_all();
      jobs_.clear();
    }
  }
  return 0;
}

}  // namespace

int serve_queue(const QueueDirs& dirs, int channel, const ServerLimits& limits) {
  Server server(dirs, channel, limits);
  return server.run();
}

}  // namespace qcell::queue
