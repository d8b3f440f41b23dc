// injection.h — one message on its way into the queue, in qmail-queue's
// order (docs/queue.md): a pid/ file whose inode number names the message,
// linked into mess/, the Received: line and the message written to it; then
// intd/<id> with the injector's uid and pid and the checked envelope. It is
// then ready; commit_batch() makes ready injections durable and links them
// into todo/. The message and envelope bytes are hostile; they are copied
// to disk, never interpreted, except the envelope's records, which
// EnvelopeScanner checks as they stream past.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/envelope.h"
#include "core/fd.h"
#include "core/queue_exit.h"
#include "core/queue_job.h"
#include "core/queue_sync.h"
#include "qmail-queue/queue_dirs.h"

namespace qcell::queue {

struct InjectionLimits {
  std::uint64_t message_bytes = 0;  // the most message bytes accepted (the Received: line not counted)
  EnvelopeLimits envelope{};
};

class Injection {
 public:
  enum class Phase : std::uint8_t { message, envelope, ready, done };

  Injection(const QueueJob& job, UniqueFd message, UniqueFd envelope, const InjectionLimits& limits);
  Injection(Injection&&) noexcept = default;
  Injection& operator=(Injection&&) noexcept = default;
  ~Injection() = default;

  // Creates the message's files and writes the Received: line. On failure
  // the injection is done with its exit code and nothing is left behind.
  void begin(const QueueDirs& dirs, std::time_t now);

  // The descriptor to wait on in the current phase (-1 when none).
  int input() const noexcept;
  // Reads once from input() (non-blocking) and writes what it read; moves
  // to the next phase at end of input. False when nothing was there.
  bool on_readable(const QueueDirs& dirs, std::span<std::byte> buffer);
  // Ends the injection with `code`, removing every file it made.
  void abandon(const QueueDirs& dirs, Exit code);
  // commit_batch's verdict for a ready injection (0: it is in todo/).
  void finish(Exit code) noexcept;

  Phase phase() const noexcept { return phase_; }
  Exit exit_code() const noexcept { return exit_; }
  const QueueJob& job() const noexcept { return job_; }
  std::uint64_t id() const noexcept { return id_; }
  std::uint64_t message_bytes() const noexcept { return bytes_; }
  int message_file() const noexcept { return mess_.get(); }
  int envelope_file() const noexcept { return intd_.get(); }
  std::chrono::steady_clock::time_point last_activity() const noexcept { return last_activity_; }
  std::chrono::steady_clock::time_point started() const noexcept { return started_; }

 private:
  void read_some(const QueueDirs& dirs, std::span<std::byte> bytes);
  void message_ended(const QueueDirs& dirs);
  void envelope_bytes(const QueueDirs& dirs, std::span<const std::byte> bytes);

  QueueJob job_;
  UniqueFd message_in_;
  UniqueFd envelope_in_;
  InjectionLimits limits_;
  EnvelopeScanner scanner_;
  UniqueFd mess_;  // mess/<split>/<id>, open for writing
  UniqueFd intd_;  // intd/<id>, open for writing
  std::uint64_t id_ = 0;
  std::uint64_t bytes_ = 0;
  bool mess_linked_ = false;
  bool intd_created_ = false;
  Phase phase_ = Phase::message;
  Exit exit_ = Exit::ok;
  std::chrono::steady_clock::time_point started_;
  std::chrono::steady_clock::time_point last_activity_;
};

// Makes every ready injection durable and visible to qmail-send, with as
// few syncs as the batch allows: the contents and the mess/ names by
// `mode`, then intd/<id> is linked to todo/<id> and todo/ is fsynced once
// for the whole batch. Each injection ends with 0 only when all of that
// succeeded for it; an injection that fails is removed (todo/ link
// included), so no exit code but 0 leaves a message in todo/.
struct CommitCount {
  std::size_t queued = 0;
  std::size_t syncs = 0;  // fsync(2) and syncfs(2) calls the batch made
};
CommitCount commit_batch(const QueueDirs& dirs, std::span<Injection*> ready, SyncMode mode);

// Wakes qmail-send: one byte into lock/trigger if anyone listens.
void pull_trigger(const QueueDirs& dirs) noexcept;

}  // namespace qcell::queue
