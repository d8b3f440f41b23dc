// main.cc — the qcell command: turns arguments into calls of qcell_broker.
// Subcommands: check, start, status, control-table, cells-table, version
// (docs/qcell.md), queue (docs/queue-tools.md), passwd (docs/smtpd-auth.md) and
// newu (docs/delivery.md).
#include <errno.h>
#include <pwd.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "core/control.h"
#include "core/fd.h"
#include "core/limits.h"
#include "core/listen_spec.h"
#include "qcell/check.h"
#include "qcell/flush_command.h"
#include "qcell/newu_command.h"
#include "qcell/passwd_command.h"
#include "qcell/policies.h"
#include "qcell/queue_command.h"
#include "qcell/remote_control.h"
#include "qcell/supervisor.h"
#include "sandbox/embedded_policy.h"

namespace {

constexpr std::string_view usage =
    "usage: qcell check [--root DIR] [--policy-dir DIR] [--bin-dir DIR]\n"
    "                                   validate control files and cell policies\n"
    "       qcell start [--root DIR] [--policy-dir DIR] [--bin-dir DIR] [--listen CELL@ADDRESS:PORT]...\n"
    "                   [--fresh-connection-cells]\n"
    "                                   run the broker in the foreground (connection cells are forked\n"
    "                                   by a zygote unless --fresh-connection-cells)\n"
    "       qcell status [--root DIR]   ask the running broker about its cells\n"
    "       qcell control-table         print the control-file table (Markdown)\n"
    "       qcell cells-table [--policy-dir DIR]  print the cell table (Markdown)\n"
    "       qcell version               print the version\n"
    "       qcell queue init|list|show ID|count|fsck|flush [--root DIR] [--json] ...\n"
    "                                   create, list and check the queue (docs/queue-tools.md)\n"
    "       qcell newu [--root DIR]      compile users/assign into users/cdb (qmail-newu)\n"
    "       qcell passwd [--root DIR] [--delete] USER\n"
    "                                   set USER's SMTP AUTH password (read from standard input)\n"
    "                                   or delete USER, in control/smtpsecrets (docs/smtpd-auth.md)\n"
    "DIR defaults: --root /var/qmail, --policy-dir ROOT/policy, --bin-dir ROOT/bin\n";

struct Paths {
  std::string root = "/var/qmail";
  std::string policy_dir;
  std::string bin_dir;
  std::vector<std::string> listen;  // qcell start only
  bool fresh_connection_cells = false;  // qcell start only
};

// Parses --root/--policy-dir/--bin-dir; false on anything else.
bool parse_paths(int argc, char** argv, Paths& paths) {
  for (int i = 2; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--fresh-connection-cells" && std::string_view(argv[1]) == "start") {
      paths.fresh_connection_cells = true;
      continue;
    }
    if (i + 1 >= argc) return false;
    if (arg == "--root") {
      paths.root = argv[++i];
    } else if (arg == "--policy-dir") {
      paths.policy_dir = argv[++i];
    } else if (arg == "--bin-dir") {
      paths.bin_dir = argv[++i];
    } else if (arg == "--listen" && std::string_view(argv[1]) == "start") {
      paths.listen.emplace_back(argv[++i]);
    } else {
      return false;
    }
  }
  if (paths.policy_dir.empty()) paths.policy_dir = paths.root + "/policy";
  if (paths.bin_dir.empty()) paths.bin_dir = paths.root + "/bin";
  return true;
}

int usage_error(const char* command) {
  std::fprintf(stderr, "qcell %s: bad arguments\n%s", command, usage.data());
  return qcell::exit_usage;
}

int emit(const qcell::CheckReport& report) {
  (void)qcell::write_full(STDOUT_FILENO, report.output);
  (void)qcell::write_full(STDERR_FILENO, report.errors);
  return report.exit_code;
}

int check(const Paths& paths, const qcell::LoadedPolicies& files) {
  int control = emit(qcell::check_installation(paths.root));
  int policies = emit(qcell::check_policies(files, paths.policy_dir, paths.bin_dir, paths.root));
  return control != qcell::exit_ok ? control : policies;
}

int start(const Paths& paths) {
  if (::geteuid() != 0) {
    std::fprintf(stderr, "qcell start: must run as root (it creates cells)\n");
    return qcell::exit_config_error;
  }
  auto files = qcell::load_policies(paths.policy_dir);
  if (int checked = check(paths, files); checked != qcell::exit_ok) return checked;
  // The broker's own directory: the status socket and the mount point of
  // cell roots, root's only.
  std::string run = paths.root + "/run";
  std::string staging = run + "/cellroot";
  // run/ is searchable by everyone (local injectors reach the queue socket
  // in it); the status socket in it is root's only, and so is cellroot/.
  for (auto [dir, mode] : {std::pair{run, 0755}, std::pair{staging, 0700}}) {
    if ((::mkdir(dir.c_str(), static_cast<mode_t>(mode)) != 0 && errno != EEXIST) ||
        ::chmod(dir.c_str(), static_cast<mode_t>(mode)) != 0) {
      std::fprintf(stderr, "qcell start: cannot create %s: %s\n", dir.c_str(), ::strerror(errno));
      return qcell::exit_system_error;
    }
  }
  qcell::Installation installation{paths.policy_dir, paths.bin_dir, staging, paths.root};
  std::vector<qcell::ListenSpec> listens;
  for (const std::string& text : paths.listen) {
    auto spec = qcell::parse_listen_spec(text);
    if (!spec) {
      std::fprintf(stderr, "qcell start: --listen %s: %s\n", text.c_str(), qcell::describe(spec.error()).data());
      return qcell::exit_usage;
    }
    listens.push_back(std::move(spec.value()));
  }
  std::vector<qcell::CellKind> long_lived;
  std::vector<qcell::CellKind> on_request;
  std::vector<qcell::CellKind> per_connection;
  for (const qcell::ListenSpec& spec : listens) {
    auto file = std::find_if(files->begin(), files->end(),
                             [&](const qcell::PolicyFile& f) { return f.policy.cell == spec.cell; });
    if (file == files->end() || file->policy.lifetime != qcell::Lifetime::connection) {
      std::fprintf(stderr, "qcell start: --listen %s@%s: no policy with `lifetime connection` for cell %s\n",
                   spec.cell.c_str(), spec.text.c_str(), spec.cell.c_str());
      return qcell::exit_config_error;
    }
    auto kind = qcell::make_cell_kind(file->policy, installation);
    if (!kind) {
      std::fprintf(stderr, "qcell start: %s\n", kind.error().c_str());
      return qcell::exit_config_error;
    }
    if (!kind->fd_number(qcell::FdName::connection)) {
      std::fprintf(stderr, "qcell start: policy/%s: a connection cell needs `fd N connection`\n",
                   file->file_name.c_str());
      return qcell::exit_config_error;
    }
    kind->listen = spec;
    per_connection.push_back(std::move(kind.value()));
  }
  for (const qcell::PolicyFile& file : *files) {
    if (file.policy.lifetime == qcell::Lifetime::caller) continue;  // a program that confines itself
    bool serves = qcell::request_served_by(file.policy).has_value();
    if (file.policy.lifetime == qcell::Lifetime::connection) {
      bool listened = std::any_of(listens.begin(), listens.end(),
                                  [&](const qcell::ListenSpec& l) { return l.cell == file.policy.cell; });
      if (!listened) {
        std::fprintf(stderr, "qcell start: cell %s has `lifetime connection` but no --listen %s@ADDRESS:PORT\n",
                     file.policy.cell.c_str(), file.policy.cell.c_str());
        return qcell::exit_config_error;
      }
      continue;
    }
    if (file.policy.lifetime != qcell::Lifetime::long_lived && !serves) continue;
    auto kind = qcell::make_cell_kind(file.policy, installation);
    if (!kind) {
      std::fprintf(stderr, "qcell start: %s\n", kind.error().c_str());
      return qcell::exit_config_error;
    }
    bool per_request = serves && file.policy.lifetime == qcell::Lifetime::request;
    if (per_request) {
      on_request.push_back(std::move(kind.value()));
      continue;
    }
    // The queue runs as several identical cells, so that their fsyncs
    // overlap (docs/queue.md); every other long-lived kind runs once.
    std::size_t instances = kind->serves == qcell::RequestKind::spawn_queue ? qcell::limits::queue_cells : 1;
    for (std::size_t i = 1; i < instances; ++i) long_lived.push_back(kind.value());
    long_lived.push_back(std::move(kind.value()));
  }
  // qmail-remote's snapshot extras and the TCP ports its control files
  // name (remote_control.h), worked out once here.
  qcell::SupervisorOptions options;
  for (qcell::CellKind& kind : on_request) {
    if (kind.serves != qcell::RequestKind::spawn_remote) continue;
    auto control = qcell::open_directory((paths.root + "/control").c_str());
    if (!control) {
      std::fprintf(stderr, "qcell start: cannot open %s/control: %s\n", paths.root.c_str(), ::strerror(control.error()));
      return qcell::exit_config_error;
    }
    auto prepared = qcell::prepare_remote_control(*control, listens);
    if (!prepared) {
      std::fprintf(stderr, "qcell start: %s\n", prepared.error().c_str());
      return qcell::exit_config_error;
    }
    if (kind.connect_tcp_control) {
      if (auto added = qcell::add_control_tcp_ports(kind, prepared->tcp_ports); !added) {
        std::fprintf(stderr, "qcell start: %s\n", added.error().c_str());
        return qcell::exit_config_error;
      }
    }
    options.remote_snapshot_extras = std::move(prepared->extras);
  }
  // Cells started per connection or per request join namespaces made once
  // per kind; long-lived cells, started rarely, get fresh ones.
  for (auto* group : {&per_connection, &on_request}) {
    for (qcell::CellKind& kind : *group) {
      if (auto error = qcell::precreate_namespaces(kind)) {
        std::fprintf(stderr, "qcell start: %s\n", error->c_str());
        return qcell::exit_system_error;
      }
    }
  }
  options.status_socket = run + "/qcell.status";
  options.queue_dir = paths.root + "/queue";
  options.control_dir = paths.root + "/control";
  options.inject_socket = run + "/qmail-queue.sock";
  for (auto [name, uid] : {std::pair{"alias", &options.alias_uid}, std::pair{"qmaild", &options.qmaild_uid},
                           std::pair{"qmails", &options.qmails_uid}}) {
    if (const struct passwd* pw = ::getpwnam(name)) *uid = pw->pw_uid;
  }
  options.users_cdb = paths.root + "/users/cdb";
  // qmail-start's argument, kept in control/defaultdelivery by most qmail
  // installations; qcell's default is a Maildir (docs/delivery.md).
  if (auto control = qcell::open_directory((paths.root + "/control").c_str())) {
    auto text = qcell::read_control_file(*control, "defaultdelivery");
    if (!text) {
      std::fprintf(stderr, "qcell start: %s\n", qcell::format_control_error("defaultdelivery", text.error()).c_str());
      return qcell::exit_config_error;
    }
    if (*text && !(*text)->empty()) {
      options.default_delivery = **text;
      if (options.default_delivery.back() != '\n') options.default_delivery += '\n';
    }
  }
  char host[256] = {};
  options.hostname = ::gethostname(host, sizeof host - 1) == 0 && host[0] != '\0' ? host : "localhost";
  options.drop_privileges = true;
  options.fork_connection_cells = !paths.fresh_connection_cells;
  return qcell::run_supervisor(std::move(long_lived), std::move(on_request), std::move(per_connection),
                               qcell::sandbox::probe_walls(), options);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    (void)qcell::write_full(STDERR_FILENO, usage);
    return qcell::exit_usage;
  }
  std::string_view command = argv[1];
  Paths paths;
  if (command == "check") {
    if (!parse_paths(argc, argv, paths)) return usage_error("check");
    return check(paths, qcell::load_policies(paths.policy_dir));
  }
  if (command == "start") return parse_paths(argc, argv, paths) ? start(paths) : usage_error("start");
  // `qcell queue flush` signals qmail-send and reads the broker's status:
  // not a queue reader, so not confined by the queue tools' policy.
  if (command == "queue" && argc >= 3 && std::string_view(argv[2]) == "flush") {
    return qcell::run_flush_command(argc, argv, STDOUT_FILENO, STDERR_FILENO);
  }
  if (command == "queue") return qcell::run_queue_command(argc, argv, qcell::embedded_policy);
  if (command == "passwd") return qcell::run_passwd_command(argc, argv, STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO);
  if (command == "newu") return qcell::run_newu_command(argc, argv, STDOUT_FILENO, STDERR_FILENO);
  if (command == "status") {
    if (!parse_paths(argc, argv, paths)) return usage_error("status");
    return qcell::query_status(paths.root + "/run/qcell.status", STDOUT_FILENO);
  }
  if (command == "cells-table") {
    if (!parse_paths(argc, argv, paths)) return usage_error("cells-table");
    auto files = qcell::load_policies(paths.policy_dir);
    if (!files) {
      for (const std::string& e : files.error()) std::fprintf(stderr, "qcell cells-table: %s\n", e.c_str());
      return qcell::exit_config_error;
    }
    (void)qcell::write_full(STDOUT_FILENO, qcell::cells_table_markdown(*files));
    return qcell::exit_ok;
  }
  if (command == "control-table" && argc == 2) {
    (void)qcell::write_full(STDOUT_FILENO, qcell::control_table_markdown());
    return qcell::exit_ok;
  }
  if (command == "version" && argc == 2) {
    (void)qcell::write_full(STDOUT_FILENO, "qcell " QCELL_VERSION "\n");
    return qcell::exit_ok;
  }
  std::fprintf(stderr, "qcell: unknown command: %s\n%s", argv[1], usage.data());
  return qcell::exit_usage;
}
