// broker_injection.cc — spawn-queue over a cell's broker channel
// (broker_injection.h).
#include "core/broker_injection.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <variant>

#include "core/cell_skeleton.h"
#include "core/log_line.h"
#include "core/queue_exit.h"

namespace qcell {

namespace {

using Clock = std::chrono::steady_clock;
using queue::Exit;

constexpr int code(Exit exit) { return static_cast<int>(exit); }
// Replies skipped while waiting for one: enough for every abandoned
// injection of a long session, and a bound on a misbehaving broker.
constexpr int max_skipped_replies = 1024;

}  // namespace

Result<StartedInjection, int> BrokerInjector::start(Deadline deadline) {
  int message[2];
  int envelope[2];
  if (::pipe2(message, O_CLOEXEC) != 0) return fail(code(Exit::out_of_memory));
  UniqueFd message_read(message[0]);
  UniqueFd message_write(message[1]);
  if (::pipe2(envelope, O_CLOEXEC) != 0) return fail(code(Exit::out_of_memory));
  UniqueFd envelope_read(envelope[0]);
  UniqueFd envelope_write(envelope[1]);
  const int handed[] = {message_read.get(), envelope_read.get()};
  // ETOOMANYREFS: the kernel bounds the descriptors in flight over Unix
  // sockets per user by the sender's RLIMIT_NOFILE, and cells of one kind
  // are the same user: with many at once the broker may not have taken
  // the others' yet. It passes as the broker reads: retry.
  for (int attempt = 0;; ++attempt) {
    auto sent = send_request(channel_, SpawnQueue{}, handed, deadline);
    if (sent) break;
    const auto* frame = std::get_if<FrameError>(&sent.error());
    if (frame != nullptr && frame->kind == FrameErrc::system && frame->sys_errno == ETOOMANYREFS &&
        Clock::now() < deadline && attempt < 2000) {
      ::usleep(1000);
      continue;
    }
    cell_log("broker-channel-error step=send error=" + log_value(describe(sent.error()), 200));
    return fail(code(Exit::connection_error));
  }
  message_read.reset();
  envelope_read.reset();
  for (int skipped = 0; skipped < max_skipped_replies; ++skipped) {
    auto reply = receive_reply(channel_, deadline);
    if (!reply) {
      cell_log("broker-channel-error step=receive error=" + log_value(describe(reply.error()), 200));
      return fail(code(Exit::connection_error));
    }
    if (const auto* started = std::get_if<Started>(&*reply)) {
      return StartedInjection{started->cell_id, std::move(message_write), std::move(envelope_write)};
    }
    if (const auto* refused = std::get_if<Refused>(&*reply)) {
      return fail(is_temporary(refused->reason) ? code(Exit::refused_temporarily) : code(Exit::internal_bug));
    }
    // A `finished` of an abandoned injection: skip it.
    if (const auto* finished = std::get_if<Finished>(&*reply)) abandoned_.erase(finished->cell_id);
  }
  return fail(code(Exit::internal_bug));
}

Result<ExitStatus, int> BrokerInjector::wait_finished(std::uint64_t id, Deadline deadline) {
  for (int skipped = 0; skipped < max_skipped_replies; ++skipped) {
    auto reply = receive_reply(channel_, deadline);
    if (!reply) return fail(code(Exit::internal_bug));  // the broker went away holding the message
    const auto* finished = std::get_if<Finished>(&*reply);
    if (finished == nullptr) continue;
    if (finished->cell_id != id) {
      abandoned_.erase(finished->cell_id);
      continue;
    }
    return finished->status;
  }
  return fail(code(Exit::internal_bug));
}

}  // namespace qcell
