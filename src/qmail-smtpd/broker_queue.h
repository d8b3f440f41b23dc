// broker_queue.h — qmail-smtpd's way into the queue inside its cell: for
// each message it asks the broker, over its request channel, to start an
// injection (`spawn-queue` with two fresh pipes), writes the message and
// the envelope into the pipes, and waits for `finished` with qmail-queue's
// exit code (docs/broker-protocol.md). The exchange with the broker is
// core/broker_injection.h's; this file adds the session's batching of
// message bytes and the tcpserver mode's connection per message.
#pragma once

#include <memory>
#include <string>

#include "core/broker_injection.h"
#include "core/fd.h"
#include "qmail-smtpd/session.h"

namespace qcell::smtpd {

class BrokerQueue final : public MessageQueue {
 public:
  // `channel`: the cell's `fd N broker` (not owned).
  explicit BrokerQueue(int channel) noexcept : injector_(channel) {}
  // Under tcpserver: a new connection to the broker's injection socket
  // (ROOT/run/qmail-queue.sock, one spawn-queue per connection) for each
  // message, as the qmail-queue front end makes.
  explicit BrokerQueue(std::string socket_path) : injector_(-1), socket_path_(std::move(socket_path)) {}
  Result<std::unique_ptr<Injection>, int> open() override;

 private:
  friend class BrokerInjection;
  BrokerInjector injector_;
  std::string socket_path_;  // empty: the injector's channel is the cell's own
  UniqueFd connection_;      // the current injection socket connection (tcpserver mode)
};

}  // namespace qcell::smtpd
