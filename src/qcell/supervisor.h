// supervisor.h — `qcell start`: the broker's main loop. Starts the long-lived
// cells, gives each a log pipe, turns every line a cell writes into one
// structured log event on standard output, reaps cells, names the syscall
// that killed a cell (kernel log), restarts dead cells with back-off, answers
// `qcell status` on a Unix socket, and stops every cell on SIGTERM/SIGINT.
//
// It never parses mail or network data. Cell log text is hostile and is only
// escaped (log_line.h), never interpreted.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/control_snapshot.h"
#include "core/broker_request.h"
#include "core/listen_spec.h"
#include "core/policy.h"
#include "sandbox/sandbox.h"

namespace qcell {

// One kind of long-lived cell: its specification, without the log
// descriptor, which the supervisor adds at each start (as fd 2).
struct CellKind {
  std::string name;
  sandbox::CellSpec spec;
  std::string program_path;  // opened at each start
  // Descriptor numbers by name, from the policy's `fd` lines.
  std::vector<std::pair<FdName, int>> fd_numbers;
  // The number the policy gives descriptor `wanted` (names are unique), if any.
  [[nodiscard]] std::optional<int> fd_number(FdName wanted) const {
    for (const auto& [granted, number] : fd_numbers) {
      if (granted == wanted) return number;
    }
    return std::nullopt;
  }
  // Requests the policy allows this cell to send (its `request` lines).
  std::vector<RequestName> requests;
  // For a cell started per request: the request kind it serves. The
  // long-lived qmail-queue cell serves spawn-queue through its job channel.
  std::optional<RequestKind> serves;
  // For a cell started per connection: where the broker listens for it.
  std::optional<ListenSpec> listen;
  // Namespaces made once for every cell of this kind (spec.shared points
  // into them); kept open as long as the kind exists.
  std::shared_ptr<sandbox::OwnedNamespaces> shared_namespaces;
  // For a zygote (policies.h, make_zygote_kind): the sealed memory file of
  // its children's filter, granted at its `connection` number; and the
  // per-connection kind whose connections it takes.
  std::shared_ptr<UniqueFd> child_filter;
  const CellKind* zygote_for = nullptr;
  // For a cell that runs as the recipient (`user recipient`): its spec for
  // one uid, gid and home (policies.h, compile_recipient_policy). `spec` is
  // then only the template that holds the shared namespaces.
  std::function<Result<sandbox::CellSpec, std::string>(uid_t, gid_t, const std::string&)> compile_for_recipient;
  // Its views hold `$home` (qmail-command): each cell gets namespaces of
  // its own, none made once for the kind (precreate_namespaces).
  bool views_per_recipient = false;
  // Its policy says `landlock connect-tcp $control`: the broker adds the
  // TCP ports of the control files to spec.connect_tcp_ports with
  // add_control_tcp_ports (policies.h) before starting a cell of the kind.
  bool connect_tcp_control = false;
};

struct SupervisorOptions {
  std::string status_socket;                       // path of the status socket
  std::chrono::milliseconds first_backoff{1000};   // delay before the first restart
  std::chrono::milliseconds max_backoff{60000};    // back-off doubles up to this
  std::chrono::milliseconds healthy_after{60000};  // a cell that ran this long restarts at once
  std::chrono::milliseconds stop_grace{5000};      // SIGTERM to SIGKILL on shutdown
  int log_fd = 1;                                  // where the structured log goes
  bool drop_privileges = false;                    // keep only what creating cells needs, once set up
  // Directories the broker opens once and grants to cells whose policy
  // names them (`fd N queue`, `fd N control`); empty: not granted.
  std::string queue_dir;
  std::string control_dir;
  // Where local injectors (bin/qmail-queue) reach the broker; created, mode
  // 0666, when a qmail-queue cell runs. Empty: no injection socket.
  std::string inject_socket;
  // The accounts whose injections the Received: line names specially
  // (qmail's alias, qmaild and qmails); -1 when absent.
  long alias_uid = -1;
  long qmaild_uid = -1;
  long qmails_uid = -1;
  // Where spawn-local looks up recipients (qmail-lspawn's users/cdb), the
  // default delivery of a recipient without a .qmail file (qmail-start's
  // argument; control/defaultdelivery), and the host name for Maildir names.
  std::string users_cdb;
  std::string default_delivery = "./Maildir/\n";
  std::string hostname;
  // Per-connection cells are forked by a zygote of their kind (docs/cells.md);
  // false: the broker makes a fresh cell for each connection.
  bool fork_connection_cells = true;
  // The extra entries of qmail-remote's snapshot (remote_control.h).
  std::vector<SnapshotExtra> remote_snapshot_extras;
};

// Runs until SIGTERM or SIGINT; returns the broker's exit code (0 after a
// clean stop, 111 when it could not start).
// `long_lived` are started at once and restarted; `on_request` are started
// when a cell sends the request they serve (docs/broker-protocol.md);
// `per_connection` are started for each connection accepted on their
// listening socket, which the broker binds before anything else.
int run_supervisor(std::vector<CellKind> long_lived, std::vector<CellKind> on_request,
                   std::vector<CellKind> per_connection, const sandbox::Walls& walls, const SupervisorOptions& options);

// `qcell status`: connects to the status socket and copies what it says to
// `out_fd`. Returns 0, or 111 when no broker answers.
int query_status(const std::string& status_socket, int out_fd);

}  // namespace qcell
