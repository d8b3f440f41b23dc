// broker_forwarder.h — qmail-local's forwards through its broker channel:
// one spawn-queue (core/broker_injection.h) carrying the new Delivered-To
// line and the stored message, then the envelope; qmail-queue's exit code
// is told as qmail's qmail_close() tells it ("qq write error or disk full
// (#4.3.0)"). The message is the sender's (hostile) but is only copied;
// the broker's replies are checked by the codec.
#pragma once

#include "core/broker_injection.h"
#include "qmail-local/local_delivery.h"

namespace qcell::local {

class BrokerForwarder final : public Forwarder {
 public:
  // `channel`: the cell's `fd 4 broker` (not owned).
  explicit BrokerForwarder(int channel) noexcept : injector_(channel) {}
  ForwardOutcome forward(std::string_view prefix, int message_fd, const QueueEnvelope& envelope) override;

 private:
  BrokerInjector injector_;
};

}  // namespace qcell::local
