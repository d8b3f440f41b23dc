// local_delivery.h — qmail-local: one delivery of one message to one local
// recipient, as qmail 1.03's qmail-local makes it (docs/delivery.md,
// "qmail-local"): the home directory's checks, the loop check, the .qmail
// file's search and instructions (Maildir, mbox, programs, forwards), the
// forwards queued together at the end, and the report that goes back to
// qmail-send. A program runs in a cell of its own (qmail-command), which a
// ProgramRunner starts.
//
// Everything is reached through descriptors: the home directory (a DirFd;
// every path is opened beneath it, no symlink, no "..", so an absolute path
// in a .qmail file cannot be delivered to) and the stored message (read
// with pread from offset 0, once per instruction). The .qmail files and the
// message are the user's and the sender's: hostile. The QCELL_* values
// come from the broker (root) and are checked for form only.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/command_job.h"
#include "core/dot_qmail.h"
#include "core/fd.h"
#include "core/queue_client.h"
#include "core/result.h"

namespace qcell::local {

// One delivery, as the broker describes it (the QCELL_* environment;
// qmail-local's arguments).
struct DeliveryRequest {
  std::string user;              // QCELL_USER: the account
  std::string home;              // QCELL_HOME: absolute; for texts and programs' $HOME, never opened by path
  std::string local;             // QCELL_LOCAL: the recipient's local part
  std::string dash;              // QCELL_DASH: "" or "-"
  std::string ext;               // QCELL_EXT: the extension, may be empty
  std::string host;              // QCELL_HOST: the recipient's domain
  std::string sender;            // QCELL_SENDER: "" for a bounce
  std::string default_delivery;  // QCELL_DEFAULT_DELIVERY: .qmail text for a missing or empty .qmail
  std::string hostname;          // QCELL_HOSTNAME: for Maildir unique names
};

// Reads and checks the QCELL_* variables through `lookup` (getenv in the
// program). The error names the variable and what is wrong with it.
Result<DeliveryRequest, std::string> request_from_environment(
    const std::function<const char*(const char*)>& lookup);

// What queueing the forwards came to.
struct ForwardOutcome {
  enum class Kind { queued, temporary, permanent };
  Kind kind = Kind::temporary;
  std::string id;    // queued: the injection's id, for the report's "qp" line
  std::string text;  // failed: why, ending in its (#x.y.z)
};

// Queues one message for the forwards: `prefix` (the new Delivered-To line)
// followed by the message in `message_fd` (from offset 0), with
// `envelope`. The program's is BrokerForwarder (spawn-queue); tests use a
// fake.
class Forwarder {
 public:
  virtual ~Forwarder() = default;
  virtual ForwardOutcome forward(std::string_view prefix, int message_fd, const QueueEnvelope& envelope) = 0;
};

// How a program delivery went, as its runner saw it.
struct ProgramRun {
  bool ran = false;       // false: it could not be started or waited for (`problem`)
  bool signalled = false;  // killed by signal `number`; else exited with code `number`
  int number = 0;
  std::string output;      // its stdout and stderr, at most report_limit + 1 bytes kept
  bool temporary_problem = true;  // !ran: whether retrying can help
  std::string problem;     // !ran: why, ending in its (#x.y.z)
};

// Runs one program delivery: `job` (the command and qmail-command(8)'s
// environment) with the message in `message_fd` on its stdin (rewound to
// offset 0 by deliver_to_program). The program's is BrokerProgramRunner (spawn-command, a
// qmail-command cell); tests use a fake.
class ProgramRunner {
 public:
  virtual ~ProgramRunner() = default;
  virtual ProgramRun run(const CommandJob& job, int message_fd) = 0;
};

// qmail-local's exit codes: 0, 100, 111.
enum class Outcome { delivered, permanent, temporary };
int exit_code(Outcome outcome) noexcept;

struct DeliveryResult {
  Outcome outcome = Outcome::temporary;
  std::string report;  // for qmail-send: "did F+W+P\n" [+ "qp ID\n"], or the failure text
  std::string log;     // the one log line: "delivered ..." or "failed ..."
  std::string dot_qmail;  // the .qmail file whose instructions ran; empty: the default delivery
  std::optional<std::string> default_part;  // $DEFAULT, when a -default file matched
  unsigned files = 0;
  unsigned forwards = 0;
  unsigned programs = 0;
};

struct DeliveryOptions {
  std::chrono::milliseconds mbox_lock_wait{30000};  // qmail's 30 s
  // The time for Maildir names and the mbox From_ line; the real clock
  // unless a test sets it.
  std::function<struct timespec()> now;
  pid_t pid = 0;  // for Maildir names; 0: getpid()
  // Where "|command" lines run; none: each fails temporarily.
  ProgramRunner* programs = nullptr;
};

// The delivery: exactly what qmail-local does with these arguments, with
// the differences docs/delivery.md lists.
DeliveryResult deliver(const DeliveryRequest& request, const DirFd& home, int message_fd, Forwarder& forwarder,
                       const DeliveryOptions& options);

// Why an instruction failed: the report text, ending in its (#x.y.z).
struct DeliveryFailure {
  Outcome outcome = Outcome::temporary;
  std::string text;
};

// A "|command" line, run by `runner` with `environment`
// (command_environment). The program's exit code says what follows, as
// qmail-command(8) does (command_outcome): 0 delivered; 99 delivered and
// the rest of the .qmail file skipped (`stop`); 100, 64, 65, 70, 76, 77,
// 78, 112 permanent; anything else, and a signal, temporary. Its output is
// appended to `output`, and on failure is the failure's text, as qmail's
// qmail-local passes a program's output on as its report.
Status<DeliveryFailure> deliver_to_program(const DotQmailInstruction& instruction,
                                           std::vector<std::string> environment, int message_fd,
                                           ProgramRunner* runner, std::string& output, bool& stop);

// The report as qmail-lspawn passes it on: at most report_limit bytes; a
// longer one is cut and ends in "\nError report too long, sorry.\n".
inline constexpr std::size_t report_limit = 3000;
std::string bounded_report(std::string_view report);

}  // namespace qcell::local
