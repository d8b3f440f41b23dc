// queue_client.h — runs a qmail-queue program for an injector (qmail's
// qmail_open/qmail_put/qmail_close): the message goes to the program's
// descriptor 0 and the envelope to its descriptor 1, both pipes; then its exit
// status is collected and explained with queue::describe_exit().
//
// The program path is the caller's choice (bin/qmail-queue or $QMAILQUEUE);
// what the program does with the bytes, and how long it takes, is not trusted:
// a program that stops reading (EPIPE) or dies is reported, never fatal to the
// caller. SIGPIPE is blocked while writing and a SIGPIPE raised by our own
// write is consumed, so the caller's signal disposition does not matter.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/fd.h"
#include "core/result.h"

namespace qcell {

struct QueueEnvelope {
  std::string sender;  // "" for the null sender
  std::vector<std::string> recipients;
};

// The bytes qmail-queue reads on descriptor 1: F sender NUL, T recipient NUL
// for each recipient, then one more NUL.
std::string encode_envelope(const QueueEnvelope& envelope);

// The program an injector runs: `qmailqueue` ($QMAILQUEUE) when it is set
// and not empty, else <root>/bin/qmail-queue.
std::string queue_program_path(std::optional<std::string_view> qmailqueue, std::string_view root);

// Errors of our own side: the program's failures are a QueueOutcome.
enum class QueueClientErrc {
  pipe_failed,   // pipe2 or moving a descriptor failed (e.g. out of descriptors)
  spawn_failed,  // the process could not be created (fork-level failure, not exec)
  wait_failed,   // waitpid failed other than with EINTR
};

struct QueueClientError {
  QueueClientErrc code = QueueClientErrc::pipe_failed;
  int sys_errno = 0;
};

std::string describe(const QueueClientError& error);

// How the program ended.
struct QueueOutcome {
  enum class Kind {
    exited,       // exit_code holds its exit status
    signaled,     // signal holds the signal that killed it
    exec_failed,  // it could not be executed: exec_errno says why; exit_code is 120 (qmail's code)
  };
  Kind kind = Kind::exited;
  int exit_code = 0;
  int signal = 0;
  int exec_errno = 0;
  // The program stopped reading before it had the whole message and
  // envelope (EPIPE): even an exit code of 0 is then not a success.
  bool input_refused = false;
};

// The verdict for an outcome, as qmail_close() gives it: success, or a reply
// text (without the leading D/Z) and whether the failure is permanent.
struct QueueVerdict {
  bool ok = false;
  bool permanent = false;
  std::string_view reply;
};
QueueVerdict judge(const QueueOutcome& outcome) noexcept;

// One run of a qmail-queue program.
class QueueClient {
 public:
  // Starts `program` (an absolute path, or relative to the current directory;
  // no PATH search) with the caller's environment. When it cannot be executed, start still
  // succeeds: exec_failed() tells, writes are dropped and finish() reports
  // Kind::exec_failed, so callers handle it like any other outcome.
  static Result<QueueClient, QueueClientError> start(const std::string& program);

  QueueClient(QueueClient&& other) noexcept;
  QueueClient& operator=(QueueClient&& other) noexcept;
  QueueClient(const QueueClient&) = delete;
  QueueClient& operator=(const QueueClient&) = delete;
  // A client that was neither finished nor aborted is aborted.
  ~QueueClient();

  [[nodiscard]] bool exec_failed() const noexcept { return exec_errno_ != 0; }
  [[nodiscard]] int exec_errno() const noexcept { return exec_errno_; }

  // Sends message bytes. Once the program has stopped reading, the bytes are
  // dropped (finish() reports input_refused). Other write errors are returned.
  Status<IoError> write(std::span<const std::byte> bytes);
  Status<IoError> write(std::string_view text);

  // Ends the message, sends the envelope, closes both pipes and waits.
  Result<QueueOutcome, QueueClientError> finish(const QueueEnvelope& envelope);

  // Closes both pipes without an envelope, so that nothing is queued (qmail-
  // queue then exits 54 without queueing), and waits for the program.
  void abort() noexcept;

 private:
  QueueClient() noexcept = default;
  Result<QueueOutcome, QueueClientError> wait_for_exit();

  pid_t pid_ = -1;
  UniqueFd message_;   // our end of the program's descriptor 0
  UniqueFd envelope_;  // our end of the program's descriptor 1
  int exec_errno_ = 0;
  bool input_refused_ = false;
};

// qmail_open + qmail_put + qmail_close for a message held in memory.
Result<QueueOutcome, QueueClientError> run_queue(const std::string& program, std::span<const std::byte> message,
                                                 const QueueEnvelope& envelope);

}  // namespace qcell
