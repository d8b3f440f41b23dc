// broker_forwarder.cc — the forwards' injection (broker_forwarder.h).
#include "qmail-local/broker_forwarder.h"

#include <string.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <limits>

#include "core/limits.h"
#include "core/queue_exit.h"

namespace qcell::local {

namespace {

using Clock = std::chrono::steady_clock;

ForwardOutcome failure(int exit_code) {
  const queue::ExitMeaning meaning = queue::describe_exit(exit_code);
  return {meaning.permanent ? ForwardOutcome::Kind::permanent : ForwardOutcome::Kind::temporary, "",
          std::string(meaning.reply)};
}

}  // namespace

ForwardOutcome BrokerForwarder::forward(std::string_view prefix, int message_fd, const QueueEnvelope& envelope) {
  auto started = injector_.start(Clock::now() + std::chrono::seconds(60));
  if (!started) return failure(started.error());
  // The message: the prefix, then the stored message from its start. A
  // write that fails (EPIPE: the queue cell refused the message and ended)
  // stops the copy; qmail-queue's exit code then says why.
  bool written = static_cast<bool>(write_full(started->message.get(), prefix));
  std::array<char, 65536> buffer{};
  auto read = pread_pieces(message_fd, buffer, std::numeric_limits<std::size_t>::max(),
                           [&](std::string_view piece) {
                             written = written && static_cast<bool>(write_full(started->message.get(), piece));
                             return written;
                           });
  if (!read) {
    // Pipes closed without an envelope: nothing is queued.
    injector_.abandon(started->id);
    return {ForwardOutcome::Kind::temporary, "",
            "cannot read the message: " + std::string(::strerror(read.error().sys_errno)) + " (#4.3.0)"};
  }
  started->message.reset();
  if (written) written = static_cast<bool>(write_full(started->envelope.get(), encode_envelope(envelope)));
  started->envelope.reset();
  auto status = injector_.wait_finished(
      started->id, Clock::now() + std::chrono::seconds(limits::queue_job_idle_seconds));
  if (!status) return failure(status.error());
  if (status->signalled) return {ForwardOutcome::Kind::temporary, "", "qq crashed (#4.3.0)"};
  if (status->number == 0 && !written) {
    // Queued, yet a write failed: it cannot be told what was queued.
    return failure(static_cast<int>(queue::Exit::write_error));
  }
  if (status->number != 0) return failure(status->number);
  return {ForwardOutcome::Kind::queued, std::to_string(started->id), ""};
}

}  // namespace qcell::local
