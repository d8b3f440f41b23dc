// front_end.cc (qmail-queue) — the drop-in qmail-queue that injectors run
// (qmail-inject, sendmail, ezmlm-style tools via QMAILQUEUE or bin/qmail-queue).
// It has no privilege and writes no queue file: it asks the broker, over
// ROOT/run/qmail-queue.sock, for an injection into the qmail-queue cell,
// hands the cell two fresh pipes, copies its own descriptor 0 (the message)
// and descriptor 1 (the envelope) into them, and exits with the cell's exit
// code. The caller's descriptors never leave this process. It prints
// nothing, as qmail-queue, except one line on stderr when the broker cannot
// be reached (exit 56), or cannot confine itself (exit 81). Input is the
// caller's; it is copied, not parsed.
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string>
#include <variant>

#include "core/broker_request.h"
#include "core/fd.h"
#include "core/fd_passing.h"
#include "core/limits.h"
#include "core/queue_exit.h"
#include "sandbox/confine.h"
#include "sandbox/embedded_policy.h"

namespace {

using qcell::queue::Exit;
using Clock = std::chrono::steady_clock;

int code(Exit exit) { return static_cast<int>(exit); }

// Copies `from` into `to` until end of file. False on a read error; a gone
// reader (EPIPE: the cell refused the message early) ends the copy quietly.
bool pump(int from, int to) {
  char buffer[65536];
  for (;;) {
    ssize_t n = ::read(from, buffer, sizeof buffer);
    if (n == 0) return true;
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    if (!qcell::write_full(to, std::string_view(buffer, static_cast<std::size_t>(n)))) return true;
  }
}

int exit_for_refusal(qcell::RefusalReason reason) {
  for (const auto& entry : qcell::refusal_reason_table()) {
    if (entry.reason == reason) return entry.temporary ? code(Exit::refused_temporarily) : code(Exit::internal_bug);
  }
  return code(Exit::internal_bug);
}

}  // namespace

int run_front_end() {
  ::signal(SIGPIPE, SIG_IGN);
  // qmail-queue's own alarm: no injection outlives a day.
  ::alarm(static_cast<unsigned>(qcell::limits::queue_job_lifetime_seconds));
  const char* root = std::getenv("QCELL_ROOT");
  std::string path = std::string(root != nullptr && *root != '\0' ? root : "/var/qmail") + "/run/qmail-queue.sock";
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.size() >= sizeof address.sun_path) {
    std::string text = "qmail-queue: broker socket path too long: " + path + "\n";
    (void)qcell::write_full(2, text);
    return code(Exit::connection_error);
  }
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  qcell::UniqueFd broker(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
  if (!broker || ::connect(broker.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    std::string text = "qmail-queue: cannot reach the qcell broker at " + path + ": " + ::strerror(errno) + "\n";
    (void)qcell::write_full(2, text);
    return code(Exit::connection_error);
  }
  // Confinement point: the broker's socket is open; from here on nothing
  // is opened by path, and only pipes, the socket and descriptors 0 and 1
  // are used (policy/qmail-queue-front-end.policy).
  if (auto confined = qcell::sandbox::confine_self(qcell::embedded_policy, "qmail-queue",
                                                   root != nullptr && *root != '\0' ? root : "/var/qmail");
      !confined) {
    std::string text = "qmail-queue: unable to confine itself: " + confined.error() + "\n";
    (void)qcell::write_full(2, text);
    return code(Exit::internal_bug);
  }
  int message[2];
  int envelope[2];
  if (::pipe2(message, O_CLOEXEC) != 0) return code(Exit::out_of_memory);
  qcell::UniqueFd message_read(message[0]);
  qcell::UniqueFd message_write(message[1]);
  if (::pipe2(envelope, O_CLOEXEC) != 0) return code(Exit::out_of_memory);
  qcell::UniqueFd envelope_read(envelope[0]);
  qcell::UniqueFd envelope_write(envelope[1]);
  int handed[] = {message_read.get(), envelope_read.get()};
  if (!qcell::send_request(broker.get(), qcell::SpawnQueue{}, handed, Clock::now() + std::chrono::seconds(60))) {
    return code(Exit::refused_temporarily);
  }
  message_read.reset();
  envelope_read.reset();
  // Copy only once the broker has accepted: nobody would read otherwise.
  auto first = qcell::receive_reply(broker.get(), Clock::now() + std::chrono::seconds(60));
  if (!first) return code(Exit::refused_temporarily);
  if (auto* refused = std::get_if<qcell::Refused>(&*first)) return exit_for_refusal(refused->reason);
  if (!std::holds_alternative<qcell::Started>(*first)) return code(Exit::internal_bug);
  if (!pump(0, message_write.get())) return code(Exit::read_error);
  message_write.reset();
  if (!pump(1, envelope_write.get())) return code(Exit::read_error);
  envelope_write.reset();
  auto last = qcell::receive_reply(
      broker.get(), Clock::now() + std::chrono::seconds(qcell::limits::queue_job_lifetime_seconds + 60));
  if (!last) return code(Exit::internal_bug);  // the broker went away holding the message: not queued for sure
  auto* finished = std::get_if<qcell::Finished>(&*last);
  if (finished == nullptr || finished->status.signalled) return code(Exit::internal_bug);
  return finished->status.number;
}
