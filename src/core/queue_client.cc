// queue_client.cc — spawning a qmail-queue program with posix_spawn, feeding
// it through two pipes with SIGPIPE held off, and collecting its status.
//
// posix_spawn (glibc: clone with CLONE_VFORK, then exec) runs no code of ours
// between fork and exec and reports an exec failure as its return value, so
// the child needs no error pipe. The pipe ends the program gets are moved to
// descriptors 3 and up first, so that the dup2 onto 0 and 1 never collides
// with them.
#include "core/queue_client.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <array>
#include <cstring>

#include "core/byte_buffer.h"
#include "core/queue_exit.h"

extern char** environ;  // NOLINT: the POSIX interface

namespace qcell {

namespace {

// Blocks SIGPIPE for its lifetime. If a write of ours raised one, it is
// consumed before the old mask comes back, unless it was already pending.
class SigpipeHold {
 public:
  SigpipeHold() noexcept {
    ::sigemptyset(&pipe_only_);
    ::sigaddset(&pipe_only_, SIGPIPE);
    ::pthread_sigmask(SIG_BLOCK, &pipe_only_, &previous_);
    sigset_t pending;
    ::sigemptyset(&pending);
    if (::sigpending(&pending) == 0) was_pending_ = ::sigismember(&pending, SIGPIPE) == 1;
  }
  ~SigpipeHold() {
    if (raised_ && !was_pending_) {
      const struct timespec no_wait {};
      while (::sigtimedwait(&pipe_only_, nullptr, &no_wait) < 0 && errno == EINTR) {
      }
    }
    ::pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
  }
  SigpipeHold(const SigpipeHold&) = delete;
  SigpipeHold& operator=(const SigpipeHold&) = delete;

  void note_broken_pipe() noexcept { raised_ = true; }

 private:
  sigset_t pipe_only_{};
  sigset_t previous_{};
  bool was_pending_ = false;
  bool raised_ = false;
};

// Moves `fd` to a descriptor >= 3 (close-on-exec), so that it cannot be 0 or 1.
Result<UniqueFd, int> above_stdio(UniqueFd fd) {
  if (fd.get() > 2) return fd;
  const int moved = ::fcntl(fd.get(), F_DUPFD_CLOEXEC, 3);
  if (moved < 0) return fail(errno);
  return UniqueFd(moved);
}

struct Pipe {
  UniqueFd read_end;
  UniqueFd write_end;
};

Result<Pipe, int> make_pipe() {
  std::array<int, 2> fds = {-1, -1};
  if (::pipe2(fds.data(), O_CLOEXEC) != 0) return fail(errno);
  UniqueFd read_end(fds[0]);
  UniqueFd write_end(fds[1]);
  auto read_moved = above_stdio(std::move(read_end));
  if (!read_moved) return fail(read_moved.error());
  auto write_moved = above_stdio(std::move(write_end));
  if (!write_moved) return fail(write_moved.error());
  return Pipe{std::move(read_moved.value()), std::move(write_moved.value())};
}

// Writes all of `bytes` with SIGPIPE held off; EPIPE sets `refused` instead
// of failing.
Status<IoError> write_or_note_refusal(int fd, std::span<const std::byte> bytes, bool& refused) {
  if (refused || bytes.empty()) return {};
  SigpipeHold hold;
  auto written = write_full(fd, bytes);
  if (written.ok()) return {};
  if (written.error().kind == IoErrc::system && written.error().sys_errno == EPIPE) {
    hold.note_broken_pipe();
    refused = true;
    return {};
  }
  return fail(written.error());
}

}  // namespace

std::string encode_envelope(const QueueEnvelope& envelope) {
  std::string encoded;
  encoded += 'F';
  encoded += envelope.sender;
  encoded += '\0';
  for (const std::string& recipient : envelope.recipients) {
    encoded += 'T';
    encoded += recipient;
    encoded += '\0';
  }
  encoded += '\0';
  return encoded;
}

std::string queue_program_path(std::optional<std::string_view> qmailqueue, std::string_view root) {
  if (qmailqueue && !qmailqueue->empty()) return std::string(*qmailqueue);
  std::string path(root);
  path += "/bin/qmail-queue";
  return path;
}

std::string describe(const QueueClientError& error) {
  std::string text;
  switch (error.code) {
    case QueueClientErrc::pipe_failed: text = "unable to create pipes for qmail-queue"; break;
    case QueueClientErrc::spawn_failed: text = "unable to start a process for qmail-queue"; break;
    case QueueClientErrc::wait_failed: text = "unable to wait for qmail-queue"; break;
  }
  if (error.sys_errno != 0) {
    text += ": ";
    text += std::strerror(error.sys_errno);
  }
  return text;
}

QueueVerdict judge(const QueueOutcome& outcome) noexcept {
  switch (outcome.kind) {
    case QueueOutcome::Kind::exited: {
      if (outcome.exit_code == 0 && outcome.input_refused) {
        // It exited 0 without reading everything: qmail_close() calls that a read error.
        const auto meaning = queue::describe_exit(static_cast<int>(queue::Exit::read_error));
        return {false, meaning.permanent, meaning.reply};
      }
      const auto meaning = queue::describe_exit(outcome.exit_code);
      return {meaning.ok, meaning.permanent, meaning.reply};
    }
    case QueueOutcome::Kind::signaled: return {false, false, "qq crashed (#4.3.0)"};
    case QueueOutcome::Kind::exec_failed: {
      const auto meaning = queue::describe_exit(120);
      return {false, meaning.permanent, meaning.reply};
    }
  }
  return {false, false, "qq internal bug (#4.3.0)"};
}

Result<QueueClient, QueueClientError> QueueClient::start(const std::string& program) {
  auto message = make_pipe();
  if (!message) return fail(QueueClientError{QueueClientErrc::pipe_failed, message.error()});
  auto envelope = make_pipe();
  if (!envelope) return fail(QueueClientError{QueueClientErrc::pipe_failed, envelope.error()});

  posix_spawn_file_actions_t actions;
  if (int rc = ::posix_spawn_file_actions_init(&actions); rc != 0) {
    return fail(QueueClientError{QueueClientErrc::spawn_failed, rc});
  }
  posix_spawnattr_t attributes;
  if (int rc = ::posix_spawnattr_init(&attributes); rc != 0) {
    ::posix_spawn_file_actions_destroy(&actions);
    return fail(QueueClientError{QueueClientErrc::spawn_failed, rc});
  }
  // The program starts with SIGPIPE at its default and nothing blocked,
  // whatever the caller had.
  sigset_t defaults;
  ::sigemptyset(&defaults);
  ::sigaddset(&defaults, SIGPIPE);
  sigset_t empty;
  ::sigemptyset(&empty);
  int rc = ::posix_spawn_file_actions_adddup2(&actions, message->read_end.get(), 0);
  if (rc == 0) rc = ::posix_spawn_file_actions_adddup2(&actions, envelope->read_end.get(), 1);
  if (rc == 0) rc = ::posix_spawnattr_setsigdefault(&attributes, &defaults);
  if (rc == 0) rc = ::posix_spawnattr_setsigmask(&attributes, &empty);
  if (rc == 0) {
    rc = ::posix_spawnattr_setflags(&attributes, static_cast<short>(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK));
  }

  QueueClient client;
  if (rc == 0) {
    std::string argv0 = program;
    std::array<char*, 2> argv = {argv0.data(), nullptr};
    pid_t pid = -1;
    rc = ::posix_spawn(&pid, program.c_str(), &actions, &attributes, argv.data(), environ);
    if (rc == 0) {
      client.pid_ = pid;
    } else if (rc == ENOENT || rc == EACCES || rc == ENOEXEC || rc == ENOTDIR || rc == ELOOP || rc == ENAMETOOLONG ||
               rc == ETXTBSY || rc == EISDIR || rc == EPERM) {
      client.exec_errno_ = rc;  // the program is not runnable: reported as qmail's exit code 120
      rc = 0;
    }
  }
  ::posix_spawnattr_destroy(&attributes);
  ::posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return fail(QueueClientError{QueueClientErrc::spawn_failed, rc});

  if (!client.exec_failed()) {
    client.message_ = std::move(message->write_end);
    client.envelope_ = std::move(envelope->write_end);
  }
  return client;
}

QueueClient::QueueClient(QueueClient&& other) noexcept
    : pid_(other.pid_),
      message_(std::move(other.message_)),
      envelope_(std::move(other.envelope_)),
      exec_errno_(other.exec_errno_),
      input_refused_(other.input_refused_) {
  other.pid_ = -1;
}

QueueClient& QueueClient::operator=(QueueClient&& other) noexcept {
  if (this != &other) {
    abort();
    pid_ = other.pid_;
    message_ = std::move(other.message_);
    envelope_ = std::move(other.envelope_);
    exec_errno_ = other.exec_errno_;
    input_refused_ = other.input_refused_;
    other.pid_ = -1;
  }
  return *this;
}

QueueClient::~QueueClient() { abort(); }

Status<IoError> QueueClient::write(std::span<const std::byte> bytes) {
  if (!message_.valid()) return {};  // exec failed, or after finish/abort: dropped
  return write_or_note_refusal(message_.get(), bytes, input_refused_);
}

Status<IoError> QueueClient::write(std::string_view text) { return write(as_bytes(text)); }

Result<QueueOutcome, QueueClientError> QueueClient::finish(const QueueEnvelope& envelope) {
  if (exec_failed()) {
    QueueOutcome outcome;
    outcome.kind = QueueOutcome::Kind::exec_failed;
    outcome.exit_code = 120;
    outcome.exec_errno = exec_errno_;
    return outcome;
  }
  message_.reset();  // end of message: the program now reads descriptor 1
  const std::string encoded = encode_envelope(envelope);
  if (envelope_.valid()) {
    // A write error other than EPIPE also leaves the envelope incomplete; the
    // program then refuses the message and its exit code says so.
    if (auto written = write_or_note_refusal(envelope_.get(), as_bytes(encoded), input_refused_); !written) {
      input_refused_ = true;
    }
  }
  envelope_.reset();
  return wait_for_exit();
}

Result<QueueOutcome, QueueClientError> QueueClient::wait_for_exit() {
  QueueOutcome outcome;
  outcome.input_refused = input_refused_;
  if (pid_ < 0) return fail(QueueClientError{QueueClientErrc::wait_failed, ECHILD});
  int status = 0;
  for (;;) {
    const pid_t waited = ::waitpid(pid_, &status, 0);
    if (waited == pid_) break;
    if (waited < 0 && errno == EINTR) continue;
    const int saved = errno;
    pid_ = -1;
    return fail(QueueClientError{QueueClientErrc::wait_failed, saved});
  }
  pid_ = -1;
  if (WIFEXITED(status)) {
    outcome.kind = QueueOutcome::Kind::exited;
    outcome.exit_code = WEXITSTATUS(status);
  } else {
    outcome.kind = QueueOutcome::Kind::signaled;
    outcome.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  }
  return outcome;
}

void QueueClient::abort() noexcept {
  message_.reset();
  envelope_.reset();
  if (pid_ >= 0) {
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
  }
}

Result<QueueOutcome, QueueClientError> run_queue(const std::string& program, std::span<const std::byte> message,
                                                 const QueueEnvelope& envelope) {
  auto client = QueueClient::start(program);
  if (!client) return fail(client.error());
  if (auto written = client->write(message); !written) {
    // Not EPIPE: our side cannot write. The program gets no envelope.
    client->abort();
    return fail(QueueClientError{QueueClientErrc::pipe_failed, written.error().sys_errno});
  }
  return client->finish(envelope);
}

}  // namespace qcell
