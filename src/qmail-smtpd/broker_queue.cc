// broker_queue.cc — spawn-queue over the cell's broker channel.
#include "qmail-smtpd/broker_queue.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

#include <chrono>
#include <variant>

#include "core/broker_request.h"
#include "core/cell_skeleton.h"
#include "core/log_line.h"
#include "core/fd.h"
#include "core/fd_passing.h"
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
    for (int skipped = 0; skipped < 1024; ++skipped) {
      auto reply = receive_reply(queue_.channel_, deadline);
      if (!reply) {
        outcome.exit_code = code(Exit::internal_bug);  // the broker went away holding the message
        return outcome;
      }
      const auto* finished = std::get_if<Finished>(&*reply);
      if (finished == nullptr) continue;
      if (finished->cell_id != id_) {
        queue_.abandoned_.erase(finished->cell_id);
        continue;
      }
      if (finished->status.signalled) {
        outcome.kind = QueueOutcome::Kind::signaled;
        outcome.signal = finished->status.number;
      } else {
        outcome.exit_code = finished->status.number;
      }
      outcome.input_refused = failed_ && outcome.exit_code == 0;
      return outcome;
    }
    outcome.exit_code = code(Exit::internal_bug);
    return outcome;
  }

  void abort() noexcept override {
    if (done_) return;
    done_ = true;
    // Closing the pipes without an envelope: the queue cell queues nothing
    // and its `finished` (54) is skipped when it comes.
    message_.reset();
    envelope_.reset();
    queue_.abandoned_.insert(id_);
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
    channel_ = connection_.get();
    abandoned_.clear();  // a fresh connection carries only this injection's replies
  }
  int message[2];
  int envelope[2];
  if (::pipe2(message, O_CLOEXEC) != 0) return fail(code(Exit::out_of_memory));
  UniqueFd message_read(message[0]);
  UniqueFd message_write(message[1]);
  if (::pipe2(envelope, O_CLOEXEC) != 0) return fail(code(Exit::out_of_memory));
  UniqueFd envelope_read(envelope[0]);
  UniqueFd envelope_write(envelope[1]);
  const int handed[] = {message_read.get(), envelope_read.get()};
  const auto deadline = Clock::now() + std::chrono::seconds(60);
  // ETOOMANYREFS: the kernel bounds the descriptors in flight over Unix
  // sockets per user by the sender's RLIMIT_NOFILE, and every qmail-smtpd
  // cell is the same user: with many sessions at once the broker may not
  // have taken the others' yet. It passes as the broker reads: retry.
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
  for (int skipped = 0; skipped < 1024; ++skipped) {
    auto reply = receive_reply(channel_, deadline);
    if (!reply) {
      cell_log("broker-channel-error step=receive error=" + log_value(describe(reply.error()), 200));
      return fail(code(Exit::connection_error));
    }
    if (const auto* started = std::get_if<Started>(&*reply)) {
      return std::unique_ptr<Injection>(
          new BrokerInjection(*this, started->cell_id, std::move(message_write), std::move(envelope_write)));
    }
    if (const auto* refused = std::get_if<Refused>(&*reply)) {
      return fail(is_temporary(refused->reason) ? code(Exit::refused_temporarily) : code(Exit::internal_bug));
    }
    // A `finished` of an abandoned injection: skip it.
    if (const auto* finished = std::get_if<Finished>(&*reply)) abandoned_.erase(finished->cell_id);
  }
  return fail(code(Exit::internal_bug));
}

}  // namespace qcell::smtpd
