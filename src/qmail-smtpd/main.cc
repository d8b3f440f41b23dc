// main.cc (qmail-smtpd) — one SMTP connection in its cell. The broker
// starts it per accepted connection under policy/qmail-smtpd.policy with:
// 2 the log, 3 the connection, 4 the broker channel (spawn-queue), 5 the
// control snapshot; and TCPREMOTEIP, TCPREMOTEPORT, TCPLOCALIP,
// TCPLOCALPORT, PROTO and, from control/tcp.smtp, RELAYCLIENT or DATABYTES
// in its environment. It checks its descriptors, reads its configuration
// from the snapshot, and serves the connection (serve.h). Everything the
// client sends is hostile and is handled by the session (session.h).
//
// Exit codes: 0 the session ended (whatever the client did), 111 start-up
// failed (logged; the client got a 421 when one could be sent).
#include <signal.h>
#include <sodium.h>
#include <stdlib.h>

#include <string>

#include "core/cell_skeleton.h"
#include "core/control_snapshot.h"
#include "core/fd.h"
#include "qmail-smtpd/broker_queue.h"
#include "qmail-smtpd/serve.h"
#include "qmail-smtpd/smtpd_config.h"

namespace {

constexpr int connection_fd = 3;
constexpr int channel_fd = 4;
constexpr int snapshot_fd = 5;

int refuse_start(const std::string& text) {
  qcell::cell_log("start-failed error=\"" + text + "\"");
  // qmail's answer when its controls cannot be read; the client retries later.
  (void)qcell::write_full(connection_fd, "421 4.3.0 Unable to read controls, closing connection\r\n");
  return 111;
}

const char* environment(const char* name) { return ::getenv(name); }

}  // namespace

int main() {
  using namespace qcell;
  using namespace qcell::smtpd;
  const char* role = ::getenv("QCELL_CELL");
  if (role == nullptr || std::string_view(role) != "qmail-smtpd") {
    static constexpr std::string_view text =
        "qmail-smtpd: runs only as a cell of `qcell start --listen qmail-smtpd@ADDRESS:PORT`; "
        "running it under tcpserver is not available yet (docs/smtpd.md)\n";
    (void)write_full(2, text);
    return 111;
  }
  int wrong = -1;
  if (!holds_exactly({2, connection_fd, channel_fd, snapshot_fd}, wrong)) {
    return refuse_start("descriptor " + std::to_string(wrong) + " is not as the policy says");
  }
  ::signal(SIGPIPE, SIG_IGN);
  if (::sodium_init() < 0) return refuse_start("libsodium cannot be initialised");
  auto snapshot = ControlSnapshot::open(UniqueFd(snapshot_fd));
  if (!snapshot) return refuse_start(snapshot.error());
  auto setup = load_smtpd_setup(*snapshot, environment);
  if (!setup) return refuse_start(setup.error());
  BrokerQueue queue(channel_fd);
  std::optional<SecretsAuthenticator> authenticator;
  if (setup->secrets) authenticator.emplace(*setup->secrets);
  Session session(setup->session, setup->client, queue, authenticator ? &*authenticator : nullptr);
  ServeOptions options;
  options.timeout = setup->timeout;
  options.tls = setup->tls ? &*setup->tls : nullptr;
  options.log = [](std::string_view line) { cell_log(line); };
  const ServeEnd end = serve(connection_fd, connection_fd, session, options);
  cell_log("end how=" + std::string(serve_end_name(end)) +
           " messages=" + std::to_string(session.messages_accepted()));
  return 0;
}
