// local_delivery.h — qmail-local: one delivery of one message to one local
// recipient, as qmail 1.03's qmail-local makes it (docs/delivery.md,
// "qmail-local"): the home directory's checks, the loop check, the .qmail
// file's search and instructions (Maildir, mbox, forwards; programs are not
// run yet), the forwards queued together at the end, and the report that
// goes back to qmail-send.
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

// A "|command" line. Program deliveries will run in a cell of their own
// (not built yet); until then this is the one place that answers for
// them, with a temporary failure: "program delivery is not available in
// this build: |command (#4.3.0)".
Status<DeliveryFailure> deliver_to_program(const DotQmailInstruction& instruction);

// The report as qmail-lspawn passes it on: at most report_limit bytes; a
// longer one is cut and ends in "\nError report too long, sorry.\n".
inline constexpr std::size_t report_limit = 3000;
std::string bounded_report(std::string_view report);

}  // namespace qcell::local
