// main.cc (qmail-remote) — one remote delivery, in its cell. The broker
// starts it on qmail-send's spawn-remote under policy/qmail-remote.policy,
// as qmailr, with: 0 the message (a regular file, read-only), 1 the report
// pipe to qmail-send, 2 the log, 3 the control snapshot (the files of
// remote_control_files and the broker's extras: ipme, dnsservers, CA
// certificates); and in its environment QCELL_HOST, QCELL_SENDER,
// QCELL_RECIPIENTS (a count) and QCELL_RECIPIENT_1 ... _N.
//
// Its report on 1 is qmail-remote's (core/remote_report.h): one result per
// recipient, then one for the message, and it always exits 0 once the
// report is written, as qmail-remote did; 111 when even that failed
// (qmail-send then counts the delivery as a temporary failure).
#include <signal.h>
#include <stdlib.h>

#include <string>

#include "core/cell_skeleton.h"
#include "core/control_snapshot.h"
#include "core/fd.h"
#include "core/log_line.h"
#include "core/remote_report.h"
#include "qmail-remote/remote_delivery.h"

namespace {

constexpr int message_fd = 0;
constexpr int report_fd = 1;
constexpr int snapshot_fd = 3;

std::string environment(const char* name) {
  const char* value = ::getenv(name);
  return value != nullptr ? std::string(value) : std::string();
}

// A failure before any delivery could start: a temporary one, reported
// and logged.
int report_start_failure(const std::string& text) {
  qcell::cell_log("start-failed error=" + qcell::log_value(text, 1024));
  const std::string report =
      qcell::encode_remote_message(qcell::RemoteVerdict::deferral, "qmail-remote could not start: " + text + " (#4.3.0)");
  return qcell::write_full(report_fd, report) ? 0 : 111;
}

}  // namespace

int main() {
  using namespace qcell;
  ::signal(SIGPIPE, SIG_IGN);
  int wrong = -1;
  if (!holds_exactly({message_fd, report_fd, 2, snapshot_fd}, wrong)) {
    cell_log("start-failed error=\"descriptor " + std::to_string(wrong) + " is not as the policy says\"");
    return 111;
  }
  auto snapshot = ControlSnapshot::open(UniqueFd(snapshot_fd));
  if (!snapshot) return report_start_failure(snapshot.error());
  auto setup = remote::load_remote_setup(*snapshot);
  if (!setup) return report_start_failure(setup.error());

  remote::Delivery delivery;
  delivery.host = environment("QCELL_HOST");
  delivery.sender = environment("QCELL_SENDER");
  delivery.message_fd = message_fd;
  const std::string count_text = environment("QCELL_RECIPIENTS");
  std::size_t count = 0;
  for (char c : count_text) {
    if (c < '0' || c > '9' || count > 10000) return report_start_failure("QCELL_RECIPIENTS is not a count");
    count = count * 10 + static_cast<std::size_t>(c - '0');
  }
  if (count == 0) return report_start_failure("no recipient");
  for (std::size_t i = 1; i <= count; ++i) {
    const std::string name = "QCELL_RECIPIENT_" + std::to_string(i);
    if (::getenv(name.c_str()) == nullptr) return report_start_failure(name + " is missing");
    delivery.recipients.push_back(environment(name.c_str()));
  }
  const remote::DeliveryResult result = remote::deliver(*setup, delivery);
  cell_log(result.log_line);
  return write_full(report_fd, result.report) ? 0 : 111;
}
