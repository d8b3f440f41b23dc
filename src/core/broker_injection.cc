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

Result<std::uint64_t, ChannelFailure> BrokerChannel::start(const Request& request,
                                                           std::span<const int> descriptors, Deadline deadline) {
  // ETOOMANYREFS: the kernel bounds the descriptors in flight over Unix
  // sockets per user by the sender's RLIMIT_NOFILE, and cells of one kind
  // are the same user: with many at once the broker may not have taken
  // the others' yet. It passes as the broker reads: retry.
  for (int attempt = 0;; ++attempt) {
    auto sent = send_request(channel_, request, descriptors, deadline);
    if (sent) break;
    const auto* frame = std::get_if<FrameError>(&sent.error());
    if (frame != nullptr && frame->kind == FrameErrc::system && frame->sys_errno == ETOOMANYREFS &&
        Clock::now() < deadline && attempt < 2000) {
      ::usleep(1000);
      continue;
    }
    std::string error = describe(sent.error());
    cell_log("broker-channel-error step=send error=" + log_value(error, 200));
    return fail(ChannelFailure{ChannelFailure::Kind::channel, std::move(error)});
  }
  for (int skipped = 0; skipped < max_skipped_replies; ++skipped) {
    auto reply = receive_reply(channel_, deadline);
    if (!reply) {
      std::string error = describe(reply.error());
      cell_log("broker-channel-error step=receive error=" + log_value(error, 200));
      return fail(ChannelFailure{ChannelFailure::Kind::channel, std::move(error)});
    }
    if (const auto* started = std::get_if<Started>(&*reply)) return started->cell_id;
    if (const auto* refused = std::get_if<Refused>(&*reply)) {
      return fail(ChannelFailure{is_temporary(refused->reason) ? ChannelFailure::Kind::refused_temporarily
                                                               : ChannelFailure::Kind::refused_for_good,
                                 refused->text});
    }
    // A `finished` of an abandoned request: skip it.
    if (const auto* finished = std::get_if<Finished>(&*reply)) abandoned_.erase(finished->cell_id);
  }
  // A broker that floods replies is treated as one that refused for good.
  return fail(ChannelFailure{ChannelFailure::Kind::refused_for_good, "the broker sent no answer"});
}

Result<ExitStatus, ChannelFailure> BrokerChannel::wait_finished(std::uint64_t id, Deadline deadline) {
  for (int skipped = 0; skipped < max_skipped_replies; ++skipped) {
    auto reply = receive_reply(channel_, deadline);
    if (!reply) return fail(ChannelFailure{ChannelFailure::Kind::channel, describe(reply.error())});
    const auto* finished = std::get_if<Finished>(&*reply);
    if (finished == nullptr) continue;
    if (finished->cell_id != id) {
      abandoned_.erase(finished->cell_id);
      continue;
    }
    return finished->status;
  }
  return fail(ChannelFailure{ChannelFailure::Kind::channel, "the broker sent no answer"});
}

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
  auto started = channel_.start(SpawnQueue{}, handed, deadline);
  if (!started) {
    switch (started.error().kind) {
      case ChannelFailure::Kind::channel: return fail(code(Exit::connection_error));
      case ChannelFailure::Kind::refused_temporarily: return fail(code(Exit::refused_temporarily));
      case ChannelFailure::Kind::refused_for_good: return fail(code(Exit::internal_bug));
    }
  }
  return StartedInjection{*started, std::move(message_write), std::move(envelope_write)};
}

Result<ExitStatus, int> BrokerInjector::wait_finished(std::uint64_t id, Deadline deadline) {
  auto finished = channel_.wait_finished(id, deadline);
  if (!finished) return fail(code(Exit::internal_bug));  // the broker went away holding the message
  return *finished;
}

}  // namespace qcell
