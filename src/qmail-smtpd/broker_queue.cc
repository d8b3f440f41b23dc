// broker_queue.cc — spawn-queue over the cell's broker channel
// (core/broker_injection.h), with the session's write batching.
#include "qmail-smtpd/broker_queue.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cstring>

#include <chrono>

#include "core/cell_skeleton.h"
#include "core/log_line.h"
#include "core/fd.h"
#include "core/limits.h"
#include "core/queue_exit.h"

namespace qcell::smtpd {

namespace {

using Clock = std::chrono::steady_clock;
using queue::Exit;

constexpr int code(Exit exit) { return static_cast<int>(exit); }
// Message bytes are gathered into writes of this size (the decoder hands
// them over a line or a run at a time).
constexpr std::size_t write_batch = 64 * 1024;

}  // namespace

class BrokerInjection final : public Injection {
 public:
  BrokerInjection(BrokerQueue& queue, std::uint64_t id, UniqueFd message, UniqueFd envelope)
      : queue_(queue), id_(id), message_(std::move(message)), envelope_(std::move(envelope)) {
    pending_.reserve(write_batch);
  }
  ~BrokerInjection() override { abort(); }

  void write(std::span<const std::byte> bytes) noexcept override {
    if (!message_ || failed_) return;
    const char* data = reinterpret_cast<const char*>(bytes.data());
    pending_.append(data, bytes.size());
    if (pending_.size() >= write_batch) flush();
  }

  QueueOutcome finish(const QueueEnvelope& envelope) override {
    QueueOutcome outcome;
    flush();
    message_.reset();
    if (!failed_) {
      if (!write_full(envelope_.get(), encode_envelope(envelope))) failed_ = true;
    }
    envelope_.reset();
    done_ = true;
    // The queue cell's verdict, through the broker.
    const auto deadline = Clock::now() + std::chrono::seconds(limits::queue_job_idle_seconds);
    auto status = queue_.injector_.wait_finished(id_, deadline);
    if (!status) {
      outcome.exit_code = status.error();  // the broker went away holding the message
      return outcome;
    }
    if (status->signalled) {
      outcome.kind = QueueOutcome::Kind::signaled;
      outcome.signal = status->number;
    } else {
      outcome.exit_code = status->number;
    }
    outcome.input_refused = failed_ && outcome.exit_code == 0;
    return outcome;
  }

  void abort() noexcept override {
    if (done_) return;
    done_ = true;
    // Closing the pipes without an envelope: the queue cell queues nothing
    // and its `finished` (54) is skipped when it comes.
    message_.reset();
    envelope_.reset();
    queue_.injector_.abandon(id_);
  }

  std::string id() const override { return std::to_string(id_); }

 private:
  void flush() noexcept {
    if (pending_.empty() || failed_) {
      pending_.clear();
      return;
    }
    if (!write_full(message_.get(), pending_)) failed_ = true;  // EPIPE: the queue cell refused it
    pending_.clear();
  }

  BrokerQueue& queue_;
  std::uint64_t id_;
  UniqueFd message_;
  UniqueFd envelope_;
  std::string pending_;
  bool failed_ = false;
  bool done_ = false;
};

Result<std::unique_ptr<Injection>, int> BrokerQueue::open() {
  if (!socket_path_.empty()) {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (socket_path_.size() >= sizeof address.sun_path) return fail(code(Exit::connection_error));
    std::memcpy(address.sun_path, socket_path_.c_str(), socket_path_.size() + 1);
    connection_.reset(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
    if (!connection_ || ::connect(connection_.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
      cell_log("broker-channel-error step=connect error=" + log_value(::strerror(errno), 200));
      connection_.reset();
      return fail(code(Exit::connection_error));
    }
    injector_.use_channel(connection_.get());  // a fresh connection carries only this injection's replies
  }
  auto started = injector_.start(Clock::now() + std::chrono::seconds(60));
  if (!started) return fail(started.error());
  return std::unique_ptr<Injection>(new BrokerInjection(*this, started->id, std::move(started->message),
                                                        std::move(started->envelope)));
}

}  // namespace qcell::smtpd
