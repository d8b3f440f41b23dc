// smtp_session_fakes.h — a queue and an authenticator for driving the
// qmail-smtpd session without a broker, shared by the session's unit tests.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/byte_buffer.h"
#include "qmail-smtpd/session.h"

namespace qcell::smtpd::testing {

// What one injection received.
struct Injected {
  std::string message;
  QueueEnvelope envelope;
  bool finished = false;
  bool aborted = false;
};

class FakeQueue final : public MessageQueue {
 public:
  class FakeInjection final : public Injection {
   public:
    FakeInjection(FakeQueue& queue, std::size_t index) : queue_(queue), index_(index) {}
    void write(std::span<const std::byte> bytes) noexcept override { record().message.append(as_text(bytes)); }
    QueueOutcome finish(const QueueEnvelope& envelope) override {
      record().envelope = envelope;
      record().finished = true;
      return queue_.outcome;
    }
    void abort() noexcept override { record().aborted = true; }
    std::string id() const override { return std::to_string(index_ + 1); }

   private:
    Injected& record() { return queue_.injections[index_]; }
    FakeQueue& queue_;
    std::size_t index_;
  };

  Result<std::unique_ptr<Injection>, int> open() override {
    if (open_failure != 0) return fail(open_failure);
    injections.emplace_back();
    return std::unique_ptr<Injection>(new FakeInjection(*this, injections.size() - 1));
  }

  std::vector<Injected> injections;
  int open_failure = 0;  // an exit code: open() fails with it
  QueueOutcome outcome;  // what finish() reports
};

class FakeAuthenticator final : public Authenticator {
 public:
  AuthVerdict verify(std::string_view user, std::string_view password) override {
    ++calls;
    if (temporary) return AuthVerdict::temporary;
    return user == "joe" && password == "secret" ? AuthVerdict::ok : AuthVerdict::bad_credentials;
  }
  std::size_t calls = 0;
  bool temporary = false;
};

}  // namespace qcell::smtpd::testing
