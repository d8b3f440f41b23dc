// broker_queue.h — qmail-smtpd's way into the queue inside its cell: for
// each message it asks the broker, over its request channel, to start an
// injection (`spawn-queue` with two fresh pipes), writes the message and
// the envelope into the pipes, and waits for `finished` with qmail-queue's
// exit code (docs/broker-protocol.md). The broker's replies are decoded
// strictly by the codec; an id that is not the current injection's is an
// abandoned one's and is skipped.
#pragma once

#include <cstdint>
#include <memory>
#include <set>
#include <string>

#include "core/fd.h"
#include "qmail-smtpd/session.h"

namespace qcell::smtpd {

class BrokerQueue final : public MessageQueue {
 public:
  // `channel`: the cell's `fd N broker` (not owned).
  explicit BrokerQueue(int channel) noexcept : channel_(channel) {}
  // Under tcpserver: a new connection to the broker's injection socket
  // (ROOT/run/qmail-queue.sock, one spawn-queue per connection) for each
  // message, as the qmail-queue front end makes.
  explicit BrokerQueue(std::string socket_path) : channel_(-1), socket_path_(std::move(socket_path)) {}
  Result<std::unique_ptr<Injection>, int> open() override;

 private:
  friend class BrokerInjection;
  int channel_;
  std::string socket_path_;  // empty: channel_ is the cell's own
  UniqueFd connection_;      // the current injection socket connection (tcpserver mode)
  std::set<std::uint64_t> abandoned_;  // ids whose `finished` is still to come and is of no interest
};

}  // namespace qcell::smtpd
