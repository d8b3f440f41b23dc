// main.cc (qmail-local) — one local delivery, as a cell. The broker starts
// bin/qmail-local per delivery under policy/qmail-local.policy, as the
// recipient's uid and gid, with
//
//   0 message   the stored message, a regular file open read-only
//   1 pipe-out  the report pipe to qmail-send
//   2 log       log lines to the broker
//   3 home      the recipient's home directory (O_RDONLY|O_DIRECTORY)
//   4 broker    the request channel (spawn-queue for forwards, spawn-command
//               for programs)
//
// and QCELL_CELL=qmail-local, QCELL_USER, QCELL_HOME, QCELL_LOCAL,
// QCELL_DASH, QCELL_EXT, QCELL_HOST, QCELL_SENDER, QCELL_DEFAULT_DELIVERY
// and QCELL_HOSTNAME in its environment (docs/delivery.md, "qmail-local").
// This file only checks that and turns it into a call of deliver()
// (local_delivery.h); it trusts none of the bytes it is given.
//
// Exit codes: 0 delivered, 100 permanent failure, 111 temporary failure
// (also a start-up failure, logged as start-failed and reported on 1).
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <string>

#include "core/cell_skeleton.h"
#include "core/fd.h"
#include "qmail-local/broker_forwarder.h"
#include "qmail-local/broker_program.h"
#include "qmail-local/local_delivery.h"

namespace {

constexpr int message_fd = 0;
constexpr int report_fd = 1;
constexpr int home_fd = 3;
constexpr int channel_fd = 4;

void report(const std::string& text) {
  (void)qcell::write_full(report_fd, qcell::local::bounded_report(text));
}

int refuse_start(const std::string& error, bool can_report) {
  qcell::cell_log("start-failed error=\"" + error + "\"");
  if (can_report) report("qmail-local could not start: " + error + ". (#4.3.0)");
  return 111;
}

}  // namespace

int main() {
  using namespace qcell;
  // A forward's queue cell that ends early must not kill the delivery
  // with SIGPIPE: the write fails and its exit code tells why.
  ::signal(SIGPIPE, SIG_IGN);
  int wrong = -1;
  if (!holds_exactly({message_fd, report_fd, 2, home_fd, channel_fd}, wrong)) {
    // Descriptor 1 may not be the report pipe: write nothing on it.
    return refuse_start("descriptor " + std::to_string(wrong) + " is not as the policy says", false);
  }
  auto request = local::request_from_environment([](const char* name) { return ::getenv(name); });
  if (!request) return refuse_start(request.error(), true);
  auto home = adopt_directory(UniqueFd(home_fd));
  if (!home) return refuse_start("descriptor 3 is not a directory", true);
  local::BrokerForwarder forwarder(channel_fd);
  local::BrokerProgramRunner programs(channel_fd);
  local::DeliveryOptions options;
  options.programs = &programs;
  const local::DeliveryResult result = local::deliver(*request, *home, message_fd, forwarder, options);
  report(result.report);
  ::close(report_fd);
  cell_log(result.log);
  return local::exit_code(result.outcome);
}
