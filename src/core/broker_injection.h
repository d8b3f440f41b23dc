// broker_injection.h — a cell's requests over its broker channel
// (docs/broker-protocol.md), in one place: BrokerChannel sends a request
// with its descriptors, waits for `started` (or `refused`), and later for
// the `finished` of that id; qmail-local runs its program deliveries
// (`spawn-command`) through it. BrokerInjector is the way into the queue on
// top of it: a `spawn-queue` request carrying the
// read ends of two fresh pipes (message, envelope); the broker answers
// `started` with the injection's id; the cell writes the message and the
// envelope into the write ends; the broker's `finished` brings
// qmail-queue's exit code. qmail-smtpd injects each message this way, and
// qmail-local its forwards.
//
// Trusts the broker's replies only as far as the codec checks them
// (receive_reply decodes strictly). A `finished` for another id is an
// abandoned injection's and is skipped (at most 1024 of them per wait, so
// a broker that floods replies cannot hold the cell forever). Failures are
// qmail-queue exit codes (core/queue_exit.h), so callers explain them the
// way qmail's qmail_close() does.
#pragma once

#include <cstdint>
#include <set>
#include <span>
#include <string>

#include "core/broker_request.h"
#include "core/fd.h"
#include "core/fd_passing.h"
#include "core/result.h"

namespace qcell {

// Why a request did not start: the channel failed (sending or receiving:
// logged as broker-channel-error), or the broker refused it.
struct ChannelFailure {
  enum class Kind { channel, refused_temporarily, refused_for_good } kind = Kind::channel;
  std::string text;  // the refusal's text, or the channel error
};

class BrokerChannel {
 public:
  // `channel`: a SOCK_SEQPACKET channel to the broker (not owned).
  explicit BrokerChannel(int channel) noexcept : channel_(channel) {}

  // A new channel: the old channel's pending replies are forgotten.
  void use_channel(int channel) noexcept {
    channel_ = channel;
    abandoned_.clear();
  }
  [[nodiscard]] int channel() const noexcept { return channel_; }

  // Sends `request` with `descriptors` (the caller keeps and closes its
  // copies) and waits for `started`: its id. A `finished` of an abandoned
  // request that comes first is skipped.
  Result<std::uint64_t, ChannelFailure> start(const Request& request, std::span<const int> descriptors,
                                              Deadline deadline);

  // Waits for the `finished` of `id`, skipping others' (at most 1024).
  Result<ExitStatus, ChannelFailure> wait_finished(std::uint64_t id, Deadline deadline);

  // The caller gives up on `id`: the `finished` that still comes is skipped.
  void abandon(std::uint64_t id) { abandoned_.insert(id); }

 private:
  int channel_;
  std::set<std::uint64_t> abandoned_;  // ids whose `finished` is still to come and is of no interest
};

struct StartedInjection {
  std::uint64_t id = 0;  // the broker's id for it, as in its `finished`
  UniqueFd message;      // the message pipe's write end
  UniqueFd envelope;     // the envelope pipe's write end
};

class BrokerInjector {
 public:
  // `channel`: a SOCK_SEQPACKET channel to the broker (not owned).
  explicit BrokerInjector(int channel) noexcept : channel_(channel) {}

  // A new channel (a fresh connection to the broker's injection socket):
  // the old channel's pending replies are forgotten.
  void use_channel(int channel) noexcept { channel_.use_channel(channel); }
  [[nodiscard]] int channel() const noexcept { return channel_.channel(); }

  // Sends spawn-queue and waits for `started`. On failure, the qmail-queue
  // exit code that explains it: 51 no pipes, 56 the channel failed (logged
  // as broker-channel-error), 71 the broker refused for now, 81 it refused
  // for good or never answered.
  Result<StartedInjection, int> start(Deadline deadline);

  // Waits for the `finished` of `id`. On failure 81: the broker went away
  // (or said nothing of it) while holding the message.
  Result<ExitStatus, int> wait_finished(std::uint64_t id, Deadline deadline);

  // The caller gives up on `id` (it closes the pipes without an envelope,
  // so nothing is queued): the `finished` that still comes is skipped.
  void abandon(std::uint64_t id) { channel_.abandon(id); }

 private:
  BrokerChannel channel_;
};

}  // namespace qcell
