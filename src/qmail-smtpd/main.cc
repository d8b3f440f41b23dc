// main.cc (qmail-smtpd) — one SMTP connection, in one of two ways:
//
// - As a cell (QCELL_CELL=qmail-smtpd): the broker starts it per accepted
//   connection under policy/qmail-smtpd.policy with 2 the log, 3 the
//   connection, 4 the broker channel (spawn-queue), 5 the control snapshot,
//   and TCPREMOTEIP, TCPREMOTEPORT, TCPLOCALIP, TCPLOCALPORT, PROTO and, from
//   control/tcp.smtp, RELAYCLIENT or DATABYTES in its environment.
// - As the kind's zygote (QCELL_ZYGOTE=1 besides): started and confined
//   the same way with 3 the child filter instead of a connection and 4 the
//   zygote channel; checks its snapshot once, then forks one child per
//   connection the broker hands over (core/zygote.h). Each child is set up
//   exactly as the cell above and serves the connection.
// - Under ucspi-tcp's tcpserver (anything else): the connection is 0 and 1,
//   the environment is tcpserver's, the control files are read from
//   $QCELL_ROOT/control (default /var/qmail/control) into a snapshot of its
//   own, then it confines itself (policy/qmail-smtpd-tcpserver.policy) and
//   reaches the queue through $QCELL_ROOT/run/qmail-queue.sock.
//
// Both then serve the connection with the same code (serve.h). Everything
// the client sends is hostile and is handled by the session (session.h).
//
// Exit codes: 0 the session ended (whatever the client did), 111 start-up
// failed (logged on 2; the client got a 421 when one could be sent).
#include <signal.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include <string>

#include "core/cell_skeleton.h"
#include "core/control_snapshot.h"
#include "core/fd.h"
#include "core/zygote.h"
#include "qmail-smtpd/broker_queue.h"
#include "qmail-smtpd/serve.h"
#include "qmail-smtpd/smtpd_config.h"
#include "sandbox/confine.h"
#include "sandbox/embedded_policy.h"

namespace {

constexpr int connection_fd = 3;
constexpr int channel_fd = 4;
constexpr int snapshot_fd = 5;

int refuse_start(int client, const std::string& text) {
  qcell::cell_log("start-failed error=\"" + text + "\"");
  // qmail's answer when its controls cannot be read; the client retries later.
  (void)qcell::write_full(client, "421 4.3.0 Unable to read controls, closing connection\r\n");
  return 111;
}

const char* environment(const char* name) { return ::getenv(name); }

// The session on `input`/`output` with the queue and configuration given.
int serve_connection(int input, int output, const qcell::smtpd::SmtpdSetup& setup, qcell::smtpd::MessageQueue& queue) {
  using namespace qcell::smtpd;
  std::optional<SecretsAuthenticator> authenticator;
  if (setup.secrets) authenticator.emplace(*setup.secrets);
  Session session(setup.session, setup.client, queue, authenticator ? &*authenticator : nullptr);
  ServeOptions options;
  options.timeout = setup.timeout;
  options.tls = setup.tls ? &*setup.tls : nullptr;
  options.log = [](std::string_view line) { qcell::cell_log(line); };
  const ServeEnd end = serve(input, output, session, options);
  qcell::cell_log("end how=" + std::string(serve_end_name(end)) +
                  " messages=" + std::to_string(session.messages_accepted()));
  return 0;
}

// What a cell and its zygote check before anything else: descriptors 2 to
// 5 as the policy places them (3 is the connection, or the zygote's child
// filter), libsodium, the sealed snapshot. The error is the log text.
qcell::Result<qcell::ControlSnapshot, std::string> start_cell() {
  using namespace qcell;
  int wrong = -1;
  if (!holds_exactly({2, connection_fd, channel_fd, snapshot_fd}, wrong)) {
    return fail("descriptor " + std::to_string(wrong) + " is not as the policy says");
  }
  if (::sodium_init() < 0) return fail(std::string("libsodium cannot be initialised"));
  return ControlSnapshot::open(UniqueFd(snapshot_fd));
}

// A cell's session: its setup from the snapshot and its environment, the
// queue through the broker channel.
int serve_cell(const qcell::ControlSnapshot& snapshot) {
  using namespace qcell::smtpd;
  auto setup = load_smtpd_setup(snapshot, environment);
  if (!setup) return refuse_start(connection_fd, setup.error());
  BrokerQueue queue(channel_fd);
  return serve_connection(connection_fd, connection_fd, *setup, queue);
}

int run_cell() {
  auto snapshot = start_cell();
  if (!snapshot) return refuse_start(connection_fd, snapshot.error());
  return serve_cell(*snapshot);
}

// The zygote: everything a connection needs that is the same for all
// connections is checked once here; each child loads its own setup, with
// its own environment, from the same snapshot.
int run_zygote_cell() {
  using namespace qcell;
  using namespace qcell::smtpd;
  auto snapshot = start_cell();
  std::string error = snapshot ? std::string() : snapshot.error();
  if (snapshot) {
    if (auto setup = load_smtpd_setup(*snapshot, environment); !setup) error = setup.error();
  }
  if (!error.empty()) {
    cell_log("start-failed error=\"" + error + "\"");
    return 111;
  }
  ZygoteHooks hooks;
  hooks.serve = [&snapshot]() { return serve_cell(*snapshot); };
  hooks.refuse = [](int connection) {
    (void)qcell::write_full(connection, "421 4.3.0 Unable to start a session, closing connection\r\n");
  };
  return run_zygote(ZygoteLayout{3, channel_fd, connection_fd, channel_fd}, hooks);
}

int run_under_tcpserver() {
  using namespace qcell;
  using namespace qcell::smtpd;
  const char* root_variable = ::getenv("QCELL_ROOT");
  const std::string root = root_variable != nullptr && *root_variable != '\0' ? root_variable : "/var/qmail";
  if (::sodium_init() < 0) return refuse_start(1, "libsodium cannot be initialised");
  const std::string control_path = root + "/control";
  Result<UniqueFd, std::string> snapshot_file = fail(std::string());
  {
    auto control = open_directory(control_path.c_str());  // closed at the end of this block
    if (!control) return refuse_start(1, "cannot open " + control_path + ": " + ::strerror(control.error()));
    snapshot_file = build_control_snapshot(*control, smtpd_control_files);
  }
  if (!snapshot_file) return refuse_start(1, snapshot_file.error());
  auto snapshot = ControlSnapshot::open(std::move(snapshot_file.value()));
  if (!snapshot) return refuse_start(1, snapshot.error());
  auto setup = load_smtpd_setup(*snapshot, environment);
  if (!setup) return refuse_start(1, setup.error());
  // Confinement point: every file is read; from here on only 0, 1, 2, the
  // snapshot's mapping and the injection socket are used.
  if (auto confined = sandbox::confine_self(embedded_policy, "qmail-smtpd", root); !confined) {
    return refuse_start(1, "unable to confine itself: " + confined.error());
  }
  BrokerQueue queue(root + "/run/qmail-queue.sock");
  return serve_connection(0, 1, *setup, queue);
}

}  // namespace

int main() {
  ::signal(SIGPIPE, SIG_IGN);
  const char* role = ::getenv("QCELL_CELL");
  if (role != nullptr && std::string_view(role) == "qmail-smtpd") {
    const char* zygote = ::getenv("QCELL_ZYGOTE");
    if (zygote != nullptr && std::string_view(zygote) == "1") return run_zygote_cell();
    return run_cell();
  }
  return run_under_tcpserver();
}
