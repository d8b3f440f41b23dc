// supervisor.cc — the broker's poll loop: signals through a signalfd, one log
// pipe per cell, the status socket, and restart timers. Single-threaded.
#include "qcell/supervisor.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <optional>

#include "core/byte_buffer.h"
#include "core/control.h"
#include "core/control_snapshot.h"
#include "core/tcp_rules.h"
#include "core/zygote_protocol.h"
#include "core/fd.h"
#include "core/fd_passing.h"
#include "core/limits.h"
#include "core/log_line.h"
#include "core/queue_exit.h"
#include "core/queue_job.h"
#include "qcell/check.h"
#include "qcell/local_users.h"
#include "qcell/policies.h"
#include "qcell/privileges.h"
#include "sandbox/kernel_log.h"

namespace qcell {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Local injectors connected at once, and how long one has to send its
// request after connecting.
constexpr std::size_t max_inject_clients = 256;
constexpr milliseconds inject_request_time{10000};

struct Cell {
  const CellKind* kind = nullptr;
  pid_t pid = -1;
  UniqueFd log;
  UniqueFd requests;  // the broker's end of the cell's `broker` descriptor
  // For a cell started on request (requester > 0) or per connection: its id.
  pid_t requester = -1;
  std::uint64_t id = 0;
  bool transient = false;                // started on request or per connection: never restarted
  ByteBuffer partial{limits::log_line};  // an incomplete log line
  Clock::time_point started{};
  Clock::time_point next_start{};  // when not running
  milliseconds backoff{0};
  int restarts = 0;
  std::string last_exit;
  std::string remote_ip;  // per connection: the client's address, for the per-address limit
  bool zygote_ready = false;  // a zygote: it said `ready` and takes connections
  std::size_t handed = 0;     // a zygote: connections handed over since it started
  bool retiring = false;      // a zygote: takes no more (limits::zygote_children)
  bool write_closed = false;  // a retiring zygote: its channel is shut for writing
  pid_t zygote = -1;          // forked by a zygote: the zygote's pid (its pid stays -1 until `forked`)
  // Started for a recipient (spawn-local): the Assignment the broker chose,
  // which a program delivery it asks for (spawn-command) runs as. Never
  // taken from the cell.
  std::optional<Assignment> recipient;
  // Forked by a zygote, and not yet handed to it: its channel holds at most
  // a few frames (net.unix.max_dgram_qlen), and the broker never waits.
  struct Handover {
    ByteBuffer frame{zygote_frame};
    UniqueFd connection;
    UniqueFd log_write;
    UniqueFd channel;
    std::vector<std::string> environment;  // for a fresh cell, should the zygote end first
  };
  std::unique_ptr<Handover> handover;
};

std::string signal_name(int sig) {
  const char* abbrev = ::sigabbrev_np(sig);
  return abbrev != nullptr ? std::string("SIG") + abbrev : std::to_string(sig);
}

// The broker's own descriptors for each cell (its log pipe, its request
// channel) live from number 4096 up, so that with a thousand connection
// cells the descriptors handed to a new cell still get numbers below the
// 1021 that spawn_cell() requires of them (docs/cells.md, step 6). Where the
// limit does not allow it, the descriptor stays where it is.
UniqueFd keep_high(UniqueFd fd) {
  if (!fd || fd.get() >= 4096) return fd;
  const int high = ::fcntl(fd.get(), F_DUPFD_CLOEXEC, 4096);
  if (high < 0) return fd;
  return UniqueFd(high);
}

struct Listener {
  const CellKind* kind;
  UniqueFd socket;
};

class Broker {
 public:
  Broker(std::vector<CellKind> kinds, std::vector<CellKind> on_request, std::vector<CellKind> per_connection,
         const sandbox::Walls& walls, const SupervisorOptions& options)
      : kinds_(std::move(kinds)),
        on_request_(std::move(on_request)),
        per_connection_(std::move(per_connection)),
        walls_(walls),
        options_(options) {}

  int run();

 private:
  void emit(const LogLine& line) { (void)write_full(options_.log_fd, line.finish()); }
  bool setup();
  bool start(Cell& cell, std::vector<sandbox::FdGrant> extra = {}, const std::vector<std::string>& environment = {},
             const sandbox::CellSpec* own_spec = nullptr);
  bool prepare_local_delivery(Cell& sender, const CellKind& target, const SpawnLocal& request,
                              std::vector<sandbox::FdGrant>& grants, std::vector<std::string>& environment,
                              std::optional<sandbox::CellSpec>& spec, UniqueFd& home,
                              std::optional<Assignment>& recipient);
  bool prepare_command(Cell& sender, const CellKind& target, std::optional<sandbox::CellSpec>& spec);
  // Cells of `kind` started on request that have not ended.
  std::size_t running_cells(const CellKind& kind) const {
    return static_cast<std::size_t>(
        std::count_if(requested_.begin(), requested_.end(), [&kind](const Cell& c) { return c.kind == &kind; }));
  }
  void end_commands_of(pid_t requester);
  void handle_request(Cell& sender);
  void refuse(Cell& sender, RefusalReason reason, const std::string& text, std::string_view request);
  bool listen_all();
  bool build_snapshot();
  bool prepare_remote_delivery(Cell& sender, const CellKind& target, const SpawnRemote& request,
                               std::vector<std::string>& environment);
  bool load_connection_policy();
  void refuse_connection(const CellKind& kind, int connection, const std::string& remote, std::string_view reason,
                         std::size_t line);
  void accept_connections(Listener& listener);
  void schedule_restart(Cell& cell);
  void start_zygotes();
  Cell* ready_zygote(const CellKind& kind);
  bool hand_over(Cell& zygote, Cell& cell, UniqueFd& connection, const std::vector<std::string>& environment);
  void flush_handovers();
  void retire(Cell& zygote);
  void close_retired_channels();
  void handle_zygote_reports(Cell& zygote);
  bool handle_zygote_report(Cell& zygote, Clock::time_point deadline);
  void refuse_zygote(Cell& zygote, std::string_view error);
  void end_zygote_children(pid_t zygote);
  void emit_exit(Cell& cell, pid_t pid, int status, std::string_view reason = {});
  void reap();
  void read_log(Cell& cell, bool final_drain);
  void emit_log_text(Cell& cell, std::string_view text, bool truncated);
  void answer_status();
  void shutdown();

  // Injections: the broker forwards each to the long-lived qmail-queue cell
  // and relays its answer to whoever asked (a cell, or a local injector).
  struct PendingJob {
    std::uint64_t id = 0;
    pid_t cell = -1;          // the requesting cell, or -1
    std::uint64_t client = 0;  // the requesting injector (InjectClient::key), or 0
    pid_t queue = -1;          // the queue cell holding it
  };
  struct InjectClient {
    std::uint64_t key = 0;
    UniqueFd socket;
    uid_t uid = 0;
    pid_t pid = 0;
    Clock::time_point deadline{};  // to send its request
    std::uint64_t job = 0;         // forwarded: waiting for the answer
  };
  bool open_grants();
  Cell* find_cell(pid_t pid);
  Cell* queue_cell();
  QueueOrigin origin_of(uid_t uid) const;
  void refuse_on(int socket, std::string_view who, pid_t pid, RefusalReason reason, const std::string& text,
                 std::string_view request);
  void forward_job(int reply_socket, std::string_view who, pid_t cell, std::uint64_t client, uid_t uid, pid_t pid,
                   std::vector<UniqueFd>& descriptors);
  void handle_queue_done(Cell& queue);
  void answer_job(const PendingJob& job, const Reply& reply);
  void fail_pending_jobs(pid_t queue, std::string_view why);
  std::size_t jobs_held_by(pid_t queue) const {
    return static_cast<std::size_t>(
        std::count_if(jobs_.begin(), jobs_.end(), [queue](const PendingJob& j) { return j.queue == queue; }));
  }
  void accept_injectors();
  void handle_injector(InjectClient& client);

  std::vector<PendingJob> jobs_;
  std::vector<InjectClient> clients_;
  std::uint64_t next_client_ = 1;
  UniqueFd queue_dir_;
  UniqueFd control_dir_;
  UniqueFd snapshot_;         // the sealed control snapshot, read-only (control_snapshot.h)
  UniqueFd remote_snapshot_;  // qmail-remote's: its own files and extras, never qmail-smtpd's key
  // Who may connect (control/tcp.smtp) and how many at once
  // (control/smtpconnections, control/smtpconnectionsperip).
  std::optional<TcpRules> tcp_rules_;
  std::uint64_t max_connections_ = 1000;
  std::uint64_t max_connections_per_ip_ = 50;
  UniqueFd inject_;

  std::vector<CellKind> kinds_;
  std::vector<CellKind> on_request_;
  std::vector<CellKind> per_connection_;
  std::vector<Listener> listeners_;
  std::vector<Cell> requested_;  // cells started on request or per connection, until they end
  std::size_t pending_handovers_ = 0;  // requested_ cells whose handover waits (flush_handovers)
  std::uint64_t next_id_ = 1;
  sandbox::Walls walls_;
  SupervisorOptions options_;
  std::vector<Cell> cells_;
  UniqueFd signals_;
  UniqueFd status_;
  sandbox::KernelLog kernel_log_;
  bool stopping_ = false;
};

bool Broker::setup() {
  sigset_t set;
  sigemptyset(&set);
  for (int sig : {SIGCHLD, SIGTERM, SIGINT, SIGHUP}) sigaddset(&set, sig);
  if (::sigprocmask(SIG_BLOCK, &set, nullptr) != 0) return false;
  ::signal(SIGPIPE, SIG_IGN);
  signals_.reset(::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!signals_) return false;

  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (options_.status_socket.size() >= sizeof address.sun_path) return false;
  std::memcpy(address.sun_path, options_.status_socket.c_str(), options_.status_socket.size() + 1);
  status_.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!status_) return false;
  ::unlink(options_.status_socket.c_str());
  mode_t old = ::umask(077);  // the status socket is the administrator's only
  int bound = ::bind(status_.get(), reinterpret_cast<sockaddr*>(&address), sizeof address);
  ::umask(old);
  if (bound != 0 || ::listen(status_.get(), 8) != 0) return false;
  return open_grants();
}

// The directories granted by name, and the injection socket when a
// qmail-queue cell will run.
bool Broker::open_grants() {
  for (auto [path, fd] : {std::pair{&options_.queue_dir, &queue_dir_}, std::pair{&options_.control_dir, &control_dir_}}) {
    if (path->empty()) continue;
    fd->reset(::open(path->c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!*fd && errno != ENOENT) return false;
  }
  bool queue_cell_runs =
      std::any_of(kinds_.begin(), kinds_.end(), [](const CellKind& k) { return k.serves == RequestKind::spawn_queue; });
  if (!queue_cell_runs || options_.inject_socket.empty()) return true;
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (options_.inject_socket.size() >= sizeof address.sun_path) return false;
  std::memcpy(address.sun_path, options_.inject_socket.c_str(), options_.inject_socket.size() + 1);
  inject_.reset(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!inject_) return false;
  ::unlink(options_.inject_socket.c_str());
  // Anyone may inject, as anyone may run qmail-queue; the broker learns who
  // from the kernel (SO_PEERCRED), never from the injector.
  if (::bind(inject_.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::chmod(options_.inject_socket.c_str(), 0666) != 0 || ::listen(inject_.get(), 128) != 0) {
    return false;
  }
  return true;
}

// A new cell's log pipe and, with `channel`, its broker channel (a
// SOCK_SEQPACKET pair): the cell's ends and the broker's. On failure, the
// step for the cell-start-failed line and the errno.
struct CellEnds {
  UniqueFd log_read;   // the broker's
  UniqueFd log_write;  // the cell's descriptor 2
  UniqueFd mine;       // the broker's end of the channel
  UniqueFd theirs;     // the cell's `broker` descriptor
};
struct CellEndsError {
  const char* step;
  int sys_errno;
};

Result<CellEnds, CellEndsError> make_cell_ends(bool channel) {
  CellEnds ends;
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return fail(CellEndsError{"log-pipe", errno});
  ends.log_read.reset(pipe_fds[0]);
  ends.log_write.reset(pipe_fds[1]);
  if (channel) {
    int pair[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) {
      return fail(CellEndsError{"broker-socket", errno});
    }
    ends.mine.reset(pair[0]);
    ends.theirs.reset(pair[1]);
  }
  return ends;
}

// The broker's ends go to `cell`, non-blocking, for the poll loop.
void take_broker_ends(Cell& cell, CellEnds& ends) {
  ::fcntl(ends.log_read.get(), F_SETFL, O_NONBLOCK);
  if (ends.mine) ::fcntl(ends.mine.get(), F_SETFL, O_NONBLOCK);
  cell.log = keep_high(std::move(ends.log_read));
  cell.requests = keep_high(std::move(ends.mine));
  cell.partial.clear();
}

bool Broker::start(Cell& cell, std::vector<sandbox::FdGrant> extra, const std::vector<std::string>& environment,
                   const sandbox::CellSpec* own_spec) {
  const CellKind& kind = *cell.kind;
  // A cell whose policy grants `fd N broker` gets one end of a socket pair.
  const std::optional<int> broker_number = kind.fd_number(FdName::broker);
  auto ends = make_cell_ends(broker_number.has_value());
  if (!ends) {
    emit(LogLine("cell-start-failed")
             .add("cell", kind.name)
             .add("step", ends.error().step)
             .add("error", ::strerror(ends.error().sys_errno)));
    schedule_restart(cell);
    return false;
  }
  UniqueFd program(::open(kind.program_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!program) {
    emit(LogLine("cell-start-failed")
             .add("cell", kind.name)
             .add("step", "open-program")
             .add("error", ::strerror(errno)));
    schedule_restart(cell);
    return false;
  }
  sandbox::CellSpec spec = own_spec != nullptr ? *own_spec : kind.spec;
  spec.envp.insert(spec.envp.end(), environment.begin(), environment.end());
  spec.program_fd = program.get();
  spec.fds = std::move(extra);
  spec.fds.push_back({2, ends->log_write.get()});
  const int snapshot = kind.serves == RequestKind::spawn_remote ? remote_snapshot_.get() : snapshot_.get();
  for (auto [name, fd] : {std::pair{FdName::queue, queue_dir_.get()}, std::pair{FdName::control, control_dir_.get()},
                          std::pair{FdName::snapshot, snapshot}}) {
    std::optional<int> number = kind.fd_number(name);
    if (!number) continue;
    if (fd < 0) {
      emit(LogLine("cell-start-failed")
               .add("cell", kind.name)
               .add("step", "grant")
               .add("error", "no " + std::string(fd_name_text(name)) + " directory to grant"));
      schedule_restart(cell);
      return false;
    }
    spec.fds.push_back({*number, fd});
  }
  // A zygote holds its children's filter where they hold their connection.
  if (kind.child_filter) spec.fds.push_back({*kind.fd_number(FdName::connection), kind.child_filter->get()});
  if (broker_number) spec.fds.push_back({*broker_number, ends->theirs.get()});
  auto pid = sandbox::spawn_cell(spec, walls_);
  if (!pid) {
    emit(LogLine("cell-start-failed")
             .add("cell", kind.name)
             .add("step", sandbox::step_name(pid.error().step))
             .add("error", sandbox::format_spawn_error(kind.name, pid.error())));
    schedule_restart(cell);
    return false;
  }
  take_broker_ends(cell, *ends);
  cell.pid = *pid;
  cell.started = Clock::now();
  LogLine started("cell-start");
  started.add("cell", kind.name).add("pid", cell.pid);
  if (cell.requester > 0) {
    started.add("id", static_cast<std::int64_t>(cell.id)).add("for_pid", cell.requester);
  } else if (cell.transient) {
    started.add("id", static_cast<std::int64_t>(cell.id));
  } else {
    started.add("restarts", cell.restarts);
  }
  emit(started);
  return true;
}

// Builds the control snapshots for cells that are granted one: sealed
// memfds, reopened read-only for the grants. qmail-remote's holds its own
// files and the extras worked out at start (remote_control.h); every other
// cell's holds qmail-smtpd's files.
bool Broker::build_snapshot() {
  auto wants = [](const CellKind& kind) {
    return kind.fd_number(FdName::snapshot).has_value() && kind.serves != RequestKind::spawn_remote;
  };
  auto wants_remote = [](const CellKind& kind) {
    return kind.fd_number(FdName::snapshot).has_value() && kind.serves == RequestKind::spawn_remote;
  };
  const bool smtpd = std::any_of(per_connection_.begin(), per_connection_.end(), wants) ||
                     std::any_of(kinds_.begin(), kinds_.end(), wants) ||
                     std::any_of(on_request_.begin(), on_request_.end(), wants);
  const bool remote = std::any_of(on_request_.begin(), on_request_.end(), wants_remote);
  if (!smtpd && !remote) return true;
  std::string error;
  if (!control_dir_) error = "no control directory";
  auto build = [&](UniqueFd& into, std::span<const std::string_view> files, std::span<const SnapshotExtra> extras) {
    if (!error.empty()) return;
    UniqueFd copy(::fcntl(control_dir_.get(), F_DUPFD_CLOEXEC, 0));
    auto directory = adopt_directory(std::move(copy));
    if (!directory) {
      error = "control directory: " + std::string(::strerror(directory.error()));
      return;
    }
    auto built = build_control_snapshot(*directory, files, extras);
    if (!built) {
      error = built.error();
      return;
    }
    const std::string path = "/proc/self/fd/" + std::to_string(built->get());
    into.reset(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!into) error = "control snapshot: reopening read-only: " + std::string(::strerror(errno));
  };
  if (smtpd) build(snapshot_, smtpd_control_files, {});
  if (remote) build(remote_snapshot_, remote_control_files, options_.remote_snapshot_extras);
  if (!error.empty()) {
    emit(LogLine("broker-start-failed").add("error", error));
    return false;
  }
  return true;
}

// The variables of control/tcp.smtp that reach a cell's environment: those
// qmail-smtpd reads. Others (tcpserver passed any) are ignored, and said so
// at start: an access file must not set LD_*, GLIBC_TUNABLES or TCP*.
constexpr std::string_view connection_variables[] = {"RELAYCLIENT", "DATABYTES"};

// control/tcp.smtp and the connection limits, read once at start.
bool Broker::load_connection_policy() {
  if (per_connection_.empty() || !control_dir_) return true;
  UniqueFd copy(::fcntl(control_dir_.get(), F_DUPFD_CLOEXEC, 0));
  auto directory = adopt_directory(std::move(copy));
  if (!directory) {
    emit(LogLine("broker-start-failed").add("error", "control directory: " + std::string(::strerror(directory.error()))));
    return false;
  }
  for (auto [name, value] : {std::pair{"smtpconnections", &max_connections_},
                             std::pair{"smtpconnectionsperip", &max_connections_per_ip_}}) {
    const ControlEntry* entry = find_control(name);
    auto text = read_control_file(*directory, name);
    if (!text) {
      emit(LogLine("broker-start-failed").add("error", format_control_error(name, text.error())));
      return false;
    }
    if (!*text) continue;
    auto number = parse_control_number(as_bytes(**text), entry->minimum, entry->maximum);
    if (!number) {
      emit(LogLine("broker-start-failed").add("error", format_control_error(name, number.error())));
      return false;
    }
    if (*number) *value = **number;
  }
  auto rules_text = read_control_file(*directory, "tcp.smtp");
  if (!rules_text) {
    emit(LogLine("broker-start-failed").add("error", format_control_error("tcp.smtp", rules_text.error())));
    return false;
  }
  if (*rules_text) {
    auto rules = parse_tcp_rules(as_bytes(**rules_text));
    if (!rules) {
      emit(LogLine("broker-start-failed").add("error", describe(rules.error())));
      return false;
    }
    for (const TcpRule& rule : rules->rules) {
      for (const TcpVariable& variable : rule.variables) {
        if (std::find(std::begin(connection_variables), std::end(connection_variables), variable.name) ==
            std::end(connection_variables)) {
          emit(LogLine("tcp-rules-ignored")
                   .add("variable", variable.name)
                   .add("line", static_cast<std::int64_t>(rule.line)));
        }
      }
    }
    tcp_rules_ = std::move(rules.value());
  }
  emit(LogLine("connection-policy")
           .add("tcp_rules", tcp_rules_ ? static_cast<std::int64_t>(tcp_rules_->rules.size()) : std::int64_t{0})
           .add("max_connections", static_cast<std::int64_t>(max_connections_))
           .add("max_per_ip", static_cast<std::int64_t>(max_connections_per_ip_)));
  return true;
}

// A connection the broker will not hand to a cell: an SMTP client is told
// why with a 421 (one fixed line, sent without waiting), then closed.
void Broker::refuse_connection(const CellKind& kind, int connection, const std::string& remote,
                               std::string_view reason, std::size_t line) {
  LogLine refused("connection-refused");
  refused.add("cell", kind.name).add("remote", remote).add("reason", reason);
  if (line != 0) refused.add("line", static_cast<std::int64_t>(line));
  emit(refused);
  if (kind.name != "qmail-smtpd" || reason == "denied") return;  // tcpserver closes a denied client without a word
  const std::string_view text = reason == "too-many-from-address"
                                    ? "421 4.7.0 Too many connections from your address, try again later\r\n"
                                    : "421 4.3.2 Too many connections, try again later\r\n";
  (void)::send(connection, text.data(), text.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
}

// Binds every per-connection cell's address before any cell starts.
bool Broker::listen_all() {
  for (const CellKind& kind : per_connection_) {
    const ListenSpec& spec = *kind.listen;
    UniqueFd socket(::socket(spec.address.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    int on = 1;
    bool ok = socket.valid() && ::setsockopt(socket.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) == 0;
    if (ok && spec.address.ss_family == AF_INET6) {
      ok = ::setsockopt(socket.get(), IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on) == 0;
    }
    ok = ok && ::bind(socket.get(), reinterpret_cast<const sockaddr*>(&spec.address), spec.address_length) == 0 &&
         ::listen(socket.get(), 1024) == 0;
    if (!ok) {
      emit(LogLine("broker-start-failed")
               .add("cell", kind.name)
               .add("listen", spec.text)
               .add("error", ::strerror(errno)));
      return false;
    }
    emit(LogLine("listen").add("cell", kind.name).add("address", spec.text));
    listeners_.push_back({&kind, std::move(socket)});
  }
  return true;
}

// An IPv4 or IPv6 socket address as text (an IPv4-mapped IPv6 address as
// IPv4, as tcpserver gives it) and its port.
static std::pair<std::string, unsigned> address_text(const sockaddr_storage& address) {
  char host[INET6_ADDRSTRLEN] = "?";
  unsigned port = 0;
  if (address.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&address);
    ::inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
    port = ntohs(in->sin_port);
  } else if (address.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&address);
    if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
      ::inet_ntop(AF_INET, &in6->sin6_addr.s6_addr[12], host, sizeof host);
    } else {
      ::inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
    }
    port = ntohs(in6->sin6_port);
  }
  return {host, port};
}

// One cell per accepted connection, holding the connection at the number
// its policy gives `connection`. The broker keeps no copy of it.
void Broker::accept_connections(Listener& listener) {
  const CellKind& kind = *listener.kind;
  std::optional<int> number = kind.fd_number(FdName::connection);  // checked by qcell start
  if (!number) return;
  for (int round = 0; round < 32; ++round) {
    sockaddr_storage peer{};
    socklen_t peer_length = sizeof peer;
    UniqueFd connection(
        ::accept4(listener.socket.get(), reinterpret_cast<sockaddr*>(&peer), &peer_length, SOCK_CLOEXEC));
    if (!connection) return;  // EAGAIN: no more waiting; other errors: the next poll tries again
    // Replies are written whole, one write per batch of commands: Nagle's
    // algorithm would only hold the last one back behind a delayed ACK.
    const int on = 1;
    (void)::setsockopt(connection.get(), IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    sockaddr_storage local{};
    socklen_t local_length = sizeof local;
    if (::getsockname(connection.get(), reinterpret_cast<sockaddr*>(&local), &local_length) != 0) continue;
    const auto [host, port] = address_text(peer);
    const auto [local_host, local_port] = address_text(local);
    const std::string remote = host + ":" + std::to_string(port);
    // What tcpserver would give: the cell reads it from its environment.
    std::vector<std::string> environment = {"PROTO=TCP", "TCPREMOTEIP=" + host, "TCPREMOTEPORT=" + std::to_string(port),
                                            "TCPLOCALIP=" + local_host, "TCPLOCALPORT=" + std::to_string(local_port)};
    if (tcp_rules_) {
      std::optional<TcpClientAddress> client = tcp_client_address(peer);
      TcpDecision decision = client ? match_tcp_rules(*tcp_rules_, *client) : TcpDecision{};
      if (decision.verdict == TcpVerdict::deny) {
        refuse_connection(kind, connection.get(), remote, "denied", decision.line);
        continue;
      }
      for (const TcpVariable& variable : decision.variables) {
        if (std::find(std::begin(connection_variables), std::end(connection_variables), variable.name) !=
            std::end(connection_variables)) {
          environment.push_back(variable.name + "=" + variable.value);
        }
      }
    }
    std::size_t of_kind = 0;
    std::size_t of_address = 0;
    for (const Cell& other : requested_) {
      if (other.kind != &kind) continue;
      ++of_kind;
      if (other.remote_ip == host) ++of_address;
    }
    if (of_kind >= max_connections_) {
      refuse_connection(kind, connection.get(), remote, "too-many-connections", 0);
      continue;
    }
    if (of_address >= max_connections_per_ip_) {
      refuse_connection(kind, connection.get(), remote, "too-many-from-address", 0);
      continue;
    }
    Cell cell;
    cell.kind = &kind;
    cell.id = next_id_++;
    cell.transient = true;
    cell.remote_ip = host;
    emit(LogLine("connection")
             .add("cell", kind.name)
             .add("id", static_cast<std::int64_t>(cell.id))
             .add("remote", remote));
    if (Cell* zygote = ready_zygote(kind); zygote != nullptr && hand_over(*zygote, cell, connection, environment)) {
      requested_.push_back(std::move(cell));
    } else if (start(cell, {{*number, connection.get()}}, environment)) {
      requested_.push_back(std::move(cell));
    }
  }
}

void Broker::refuse(Cell& sender, RefusalReason reason, const std::string& text, std::string_view request) {
  refuse_on(sender.requests.get(), sender.kind->name, sender.pid, reason, text, request);
}

void Broker::refuse_on(int socket, std::string_view who, pid_t pid, RefusalReason reason, const std::string& text,
                       std::string_view request) {
  emit(LogLine("request-refused")
           .add("cell", who)
           .add("pid", pid)
           .add("request", request)
           .add("reason", refusal_reason_name(reason))
           .add("text", text));
  (void)send_reply(socket, Refused{reason, text}, Clock::now() + milliseconds(100));
}

Cell* Broker::find_cell(pid_t pid) {
  if (pid <= 0) return nullptr;
  for (auto* group : {&cells_, &requested_}) {
    for (Cell& cell : *group) {
      if (cell.pid == pid) return &cell;
    }
  }
  return nullptr;
}

// The running queue cell that takes the next injection: the busiest one
// still below queue_jobs_in_flight. Packing injections into one cell makes
// its batches, and so its group commits, as large as they can be; the next
// cell takes over when the first is full or has died. Null when every
// running cell is full (or none runs).
Cell* Broker::queue_cell() {
  Cell* best = nullptr;
  std::size_t best_held = 0;
  for (Cell& cell : cells_) {
    if (cell.pid <= 0 || !cell.requests || cell.kind->serves != RequestKind::spawn_queue) continue;
    std::size_t held = jobs_held_by(cell.pid);
    if (held >= limits::queue_jobs_in_flight) continue;
    if (best == nullptr || held > best_held) {
      best = &cell;
      best_held = held;
    }
  }
  return best;
}

QueueOrigin Broker::origin_of(uid_t uid) const {
  if (static_cast<long>(uid) == options_.alias_uid) return QueueOrigin::alias;
  if (static_cast<long>(uid) == options_.qmaild_uid) return QueueOrigin::network;
  if (static_cast<long>(uid) == options_.qmails_uid) return QueueOrigin::bounce;
  return QueueOrigin::user;
}

// Hands an injection's two pipes to the queue cell, and answers `started`.
void Broker::forward_job(int reply_socket, std::string_view who, pid_t cell, std::uint64_t client, uid_t uid,
                         pid_t pid, std::vector<UniqueFd>& descriptors) {
  Cell* queue = queue_cell();
  if (queue == nullptr) {
    bool running = std::any_of(cells_.begin(), cells_.end(), [](const Cell& c) {
      return c.pid > 0 && c.requests && c.kind->serves == RequestKind::spawn_queue;
    });
    if (running) {
      refuse_on(reply_socket, who, pid, RefusalReason::busy,
                "every queue cell holds " + std::to_string(limits::queue_jobs_in_flight) + " injections already",
                "spawn-queue");
    } else {
      refuse_on(reply_socket, who, pid, RefusalReason::internal, "the qmail-queue cell is not running", "spawn-queue");
    }
    return;
  }
  QueueJob job{next_id_++, static_cast<std::uint32_t>(uid), static_cast<std::uint32_t>(pid), origin_of(uid)};
  ByteBuffer frame(queue_job_frame);
  int fds[] = {descriptors[0].get(), descriptors[1].get()};
  if (!encode_queue_job(job, frame) ||
      !send_frame(queue->requests.get(), frame.bytes(), fds, Clock::now() + milliseconds(100))) {
    refuse_on(reply_socket, who, pid, RefusalReason::internal, "the qmail-queue cell does not take injections",
              "spawn-queue");
    return;
  }
  emit(LogLine("queue-job")
           .add("id", static_cast<std::int64_t>(job.id))
           .add("queue_pid", queue->pid)
           .add("from", who)
           .add("uid", static_cast<std::int64_t>(uid))
           .add("pid", pid)
           .add("origin", queue_origin_name(job.origin)));
  jobs_.push_back({job.id, cell, client, queue->pid});
  (void)send_reply(reply_socket, Started{job.id}, Clock::now() + milliseconds(100));
}

void Broker::answer_job(const PendingJob& job, const Reply& reply) {
  if (Cell* cell = find_cell(job.cell); cell != nullptr && cell->requests) {
    (void)send_reply(cell->requests.get(), reply, Clock::now() + milliseconds(100));
    return;
  }
  auto client = std::find_if(clients_.begin(), clients_.end(), [&](const InjectClient& c) { return c.key == job.client; });
  if (job.client != 0 && client != clients_.end()) {
    (void)send_reply(client->socket.get(), reply, Clock::now() + milliseconds(100));
    clients_.erase(client);  // one injection per connection
  }
}

// One answer from the queue cell. It parses hostile envelopes, so its
// frames are decoded strictly and an answer for an unknown id is dropped.
void Broker::handle_queue_done(Cell& queue) {
  ByteBuffer frame(limits::broker_request);
  auto received = receive_frame(queue.requests.get(), frame, 0, Clock::now() + milliseconds(100));
  if (!received) {
    // End of file, or a frame the codec refuses: the channel is done with.
    // The cell will be reaped and restarted; its injections then fail (81).
    if (received.error().kind != FrameErrc::timeout) {
      emit(LogLine("queue-answer-refused").add("pid", queue.pid).add("error", describe(received.error())));
      queue.requests.reset();
      ::kill(queue.pid, SIGKILL);
    }
    return;
  }
  auto done = decode_queue_done(frame.bytes());
  if (!done) {
    emit(LogLine("queue-answer-refused").add("pid", queue.pid).add("error", describe(done.error())));
    return;
  }
  auto job = std::find_if(jobs_.begin(), jobs_.end(), [&](const PendingJob& j) { return j.id == done->id; });
  if (job == jobs_.end()) {
    emit(LogLine("queue-answer-refused").add("pid", queue.pid).add("error", "unknown injection id"));
    return;
  }
  emit(LogLine("queue-done").add("id", static_cast<std::int64_t>(done->id)).add("status", done->exit_code));
  PendingJob pending = *job;
  jobs_.erase(job);
  answer_job(pending, Finished{pending.id, ExitStatus{false, done->exit_code}});
}

// The queue cell ended: whatever it held is not queued, and each injector
// hears qmail's "internal bug" (temporary: it retries).
void Broker::fail_pending_jobs(pid_t queue, std::string_view why) {
  std::vector<PendingJob> pending;
  for (const PendingJob& job : jobs_) {
    if (job.queue == queue) pending.push_back(job);
  }
  std::erase_if(jobs_, [queue](const PendingJob& j) { return j.queue == queue; });
  for (const PendingJob& job : pending) {
    emit(LogLine("queue-done")
             .add("id", static_cast<std::int64_t>(job.id))
             .add("status", static_cast<int>(queue::Exit::internal_bug))
             .add("error", why));
    answer_job(job, Finished{job.id, ExitStatus{false, static_cast<std::uint8_t>(queue::Exit::internal_bug)}});
  }
}

void Broker::accept_injectors() {
  for (int round = 0; round < 32; ++round) {
    UniqueFd socket(::accept4(inject_.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
    if (!socket) return;
    ucred peer{};
    socklen_t length = sizeof peer;
    if (::getsockopt(socket.get(), SOL_SOCKET, SO_PEERCRED, &peer, &length) != 0) continue;
    auto same_user = static_cast<std::size_t>(
        std::count_if(clients_.begin(), clients_.end(), [&](const InjectClient& c) { return c.uid == peer.uid; }));
    bool user_full = peer.uid != 0 && same_user >= limits::queue_injectors_per_user;
    if (clients_.size() >= max_inject_clients || user_full) {
      std::string why = user_full ? "uid " + std::to_string(peer.uid) + " has " +
                                        std::to_string(limits::queue_injectors_per_user) + " injections open"
                                  : std::string("too many injectors connected");
      emit(LogLine("inject-refused")
               .add("uid", static_cast<std::int64_t>(peer.uid))
               .add("pid", peer.pid)
               .add("reason", "busy")
               .add("text", why));
      (void)send_reply(socket.get(), Refused{RefusalReason::busy, why}, Clock::now() + milliseconds(10));
      continue;
    }
    clients_.push_back({next_client_++, std::move(socket), peer.uid, peer.pid, Clock::now() + inject_request_time, 0});
  }
}

// A local injector's one request: only spawn-queue, checked by the same
// codec as a cell's.
void Broker::handle_injector(InjectClient& client) {
  std::string who = "uid:" + std::to_string(client.uid);
  auto received = receive_request(client.socket.get(), Clock::now() + milliseconds(100));
  if (!received) {
    bool gone = std::holds_alternative<FrameError>(received.error()) &&
                std::get<FrameError>(received.error()).kind == FrameErrc::end_of_file;
    if (!gone) refuse_on(client.socket.get(), who, client.pid, RefusalReason::bad_request, describe(received.error()), "unknown");
    client.socket.reset();
    return;
  }
  if (kind_of(received->request) != RequestKind::spawn_queue) {
    refuse_on(client.socket.get(), who, client.pid, RefusalReason::not_allowed,
              "the injection socket takes spawn-queue only", request_kind_name(kind_of(received->request)));
    client.socket.reset();
    return;
  }
  std::uint64_t key = client.key;
  std::size_t before = jobs_.size();
  forward_job(client.socket.get(), who, -1, key, client.uid, client.pid, received->descriptors);
  if (jobs_.size() == before) {
    client.socket.reset();  // refused: nothing more to say
  } else {
    client.job = jobs_.back().id;
  }
}

// One request from a cell: decoded and checked by the protocol code, then
// allowed only if the sender's policy lists its kind.
void Broker::handle_request(Cell& sender) {
  auto received = receive_request(sender.requests.get(), Clock::now() + milliseconds(100));
  if (!received) {
    // The cell has gone (end of file) or its socket failed: nobody to
    // answer, and the channel is not polled again. A timeout waits for more.
    if (const auto* frame = std::get_if<FrameError>(&received.error())) {
      if (frame->kind == FrameErrc::end_of_file || frame->kind == FrameErrc::system) {
        sender.requests.reset();
        return;
      }
      if (frame->kind == FrameErrc::timeout) return;
    }
    refuse(sender, RefusalReason::bad_request, describe(received.error()), "unknown");
    return;
  }
  RequestKind kind = kind_of(received->request);
  std::string_view kind_name = request_kind_name(kind);
  auto allowed = std::find_if(sender.kind->requests.begin(), sender.kind->requests.end(),
                              [kind_name](RequestName r) { return request_name_text(r) == kind_name; });
  if (allowed == sender.kind->requests.end()) {
    refuse(sender, RefusalReason::not_allowed,
           "the policy of cell " + sender.kind->name + " has no `request " + std::string(kind_name) + "`", kind_name);
    return;
  }
  if (kind == RequestKind::spawn_queue) {
    forward_job(sender.requests.get(), sender.kind->name, sender.pid, 0, sender.kind->spec.uid, sender.pid,
                received->descriptors);
    return;
  }
  auto target =
      std::find_if(on_request_.begin(), on_request_.end(), [kind](const CellKind& k) { return k.serves == kind; });
  if (target == on_request_.end()) {
    refuse(sender, RefusalReason::internal, "no cell in this installation serves " + std::string(kind_name), kind_name);
    return;
  }
  // The request's descriptors go to the numbers the target's policy gives
  // their names (request_descriptor_table(): the checks already made sure
  // that exactly these arrived, in this order).
  std::vector<sandbox::FdGrant> grants;
  for (const RequestDescriptorEntry& entry : request_descriptor_table()) {
    if (entry.kind != kind || entry.place >= received->descriptors.size()) continue;
    std::optional<int> number = target->fd_number(entry.grant);
    if (!number) {
      refuse(
          sender, RefusalReason::internal,
          "the policy of cell " + target->name + " grants no `" + std::string(fd_name_text(entry.grant)) + "` descriptor",
          kind_name);
      return;
    }
    grants.push_back({*number, received->descriptors[entry.place].get()});
  }
  std::vector<std::string> environment;
  std::optional<sandbox::CellSpec> spec;
  UniqueFd home;
  std::optional<Assignment> recipient;
  if (const auto* local = std::get_if<SpawnLocal>(&received->request)) {
    if (!prepare_local_delivery(sender, *target, *local, grants, environment, spec, home, recipient)) return;
  }
  if (const auto* remote = std::get_if<SpawnRemote>(&received->request)) {
    if (!prepare_remote_delivery(sender, *target, *remote, environment)) return;
  }
  if (kind == RequestKind::spawn_command && !prepare_command(sender, *target, spec)) return;
  Cell cell;
  cell.recipient = std::move(recipient);
  cell.kind = &*target;
  cell.requester = sender.pid;
  cell.id = next_id_++;
  cell.transient = true;
  if (!start(cell, std::move(grants), environment, spec ? &*spec : nullptr)) {
    refuse(sender, RefusalReason::internal, "cell " + target->name + " could not be started", kind_name);
    return;
  }
  (void)send_reply(sender.requests.get(), Started{cell.id}, Clock::now() + milliseconds(100));
  requested_.push_back(std::move(cell));
}

// spawn-local (qmail-lspawn's part): which user receives, as which uid and
// gid, with which home, and the facts qmail-local is given. Refuses and
// returns false when the delivery cannot start.
bool Broker::prepare_local_delivery(Cell& sender, const CellKind& target, const SpawnLocal& request,
                                    std::vector<sandbox::FdGrant>& grants, std::vector<std::string>& environment,
                                    std::optional<sandbox::CellSpec>& spec, UniqueFd& home,
                                    std::optional<Assignment>& recipient) {
  if (running_cells(target) >= limits::delivery_cells) {
    refuse(sender, RefusalReason::busy,
           std::to_string(limits::delivery_cells) + " " + target.name + " cells run already", "spawn-local");
    return false;
  }
  std::optional<int> home_number = target.fd_number(FdName::home);
  if (!target.compile_for_recipient || !home_number) {
    refuse(sender, RefusalReason::internal,
           "the policy of cell " + target.name + " must run as the recipient and grant `fd N home`", "spawn-local");
    return false;
  }
  auto user = find_local_user(options_.users_cdb, request.recipient);
  if (!user) {
    const bool permanent =
        user.error().code == LocalUserErrc::no_such_user || user.error().code == LocalUserErrc::no_at;
    refuse(sender, permanent ? RefusalReason::no_such_user : RefusalReason::internal, user.error().text,
           "spawn-local");
    return false;
  }
  const Assignment& who = user->assignment;
  auto compiled = target.compile_for_recipient(who.uid, who.gid, who.home);
  if (!compiled) {
    refuse(sender, RefusalReason::internal, compiled.error(), "spawn-local");
    return false;
  }
  spec = std::move(compiled.value());
  spec->shared = target.spec.shared;
  home = std::move(user->home);
  grants.push_back({*home_number, home.get()});
  environment = {"QCELL_USER=" + who.user,
                 "QCELL_HOME=" + who.home,
                 "QCELL_LOCAL=" + user->local,
                 "QCELL_DASH=" + who.dash,
                 "QCELL_EXT=" + who.ext,
                 "QCELL_HOST=" + user->host,
                 "QCELL_SENDER=" + request.sender,
                 "QCELL_DEFAULT_DELIVERY=" + options_.default_delivery,
                 "QCELL_HOSTNAME=" + options_.hostname};
  emit(LogLine("local-user")
           .add("for_pid", sender.pid)
           .add("user", who.user)
           .add("uid", static_cast<std::int64_t>(who.uid))
           .add("ext", who.ext));
  recipient = who;
  return true;
}

// spawn-remote (qmail-rspawn's part): the cell runs as its policy says
// (qmailr), with the host, the sender and the recipients in its
// environment. Refuses and returns false when it cannot start.
bool Broker::prepare_remote_delivery(Cell& sender, const CellKind& target, const SpawnRemote& request,
                                     std::vector<std::string>& environment) {
  if (running_cells(target) >= limits::delivery_cells) {
    refuse(sender, RefusalReason::busy,
           std::to_string(limits::delivery_cells) + " " + target.name + " cells run already", "spawn-remote");
    return false;
  }
  environment = {"QCELL_HOST=" + request.host, "QCELL_SENDER=" + request.sender,
                 "QCELL_RECIPIENTS=" + std::to_string(request.recipients.size())};
  for (std::size_t i = 0; i < request.recipients.size(); ++i) {
    environment.push_back("QCELL_RECIPIENT_" + std::to_string(i + 1) + "=" + request.recipients[i]);
  }
  return true;
}

// spawn-command: a program delivery runs as the recipient that the asking
// cell was started for (its Assignment, remembered by the broker), in a
// cell compiled for that uid, gid and home. Its views hold the home, which
// differs per user, so it gets fresh namespaces of every kind: nothing is
// shared with another user's program. Refuses and returns false when it
// cannot start.
bool Broker::prepare_command(Cell& sender, const CellKind& target, std::optional<sandbox::CellSpec>& spec) {
  if (!sender.recipient) {
    refuse(sender, RefusalReason::not_allowed,
           "cell " + sender.kind->name + " was not started for a recipient: it cannot run programs", "spawn-command");
    return false;
  }
  if (running_cells(target) >= limits::command_cells) {
    refuse(sender, RefusalReason::busy,
           std::to_string(limits::command_cells) + " " + target.name + " cells run already", "spawn-command");
    return false;
  }
  if (!target.compile_for_recipient) {
    refuse(sender, RefusalReason::internal, "the policy of cell " + target.name + " must run as the recipient",
           "spawn-command");
    return false;
  }
  const Assignment& who = *sender.recipient;
  auto compiled = target.compile_for_recipient(who.uid, who.gid, who.home);
  if (!compiled) {
    refuse(sender, RefusalReason::internal, compiled.error(), "spawn-command");
    return false;
  }
  spec = std::move(compiled.value());
  spec->shared = target.spec.shared;  // none when its views hold $home (precreate_namespaces)
  emit(LogLine("command-user")
           .add("for_pid", sender.pid)
           .add("user", who.user)
           .add("uid", static_cast<std::int64_t>(who.uid)));
  return true;
}

// The program deliveries that a cell asked for, when it has ended: nobody
// waits for them any more (qmail-local gave up, or was killed).
void Broker::end_commands_of(pid_t requester) {
  for (Cell& cell : requested_) {
    if (cell.requester == requester && cell.pid > 0 && cell.kind->serves == RequestKind::spawn_command) {
      ::kill(cell.pid, SIGKILL);
    }
  }
}

// --- connection cells forked by a zygote (docs/cells.md) --------------------

// Two zygotes per per-connection kind (one forks, one stands by), run as
// long-lived cells. Where none can be made, the kind's connections get
// fresh cells, and the log says so.
void Broker::start_zygotes() {
  kinds_.reserve(kinds_.size() + 2 * per_connection_.size());
  for (const CellKind& kind : per_connection_) {
    auto zygote = make_zygote_kind(kind, max_connections_);
    if (!zygote) {
      emit(LogLine("zygote-unavailable").add("cell", kind.name).add("error", zygote.error()));
      continue;
    }
    zygote->zygote_for = &kind;
    kinds_.push_back(zygote.value());
    kinds_.push_back(std::move(zygote.value()));
  }
}

// The zygote that takes the kind's next connection: the one that has
// taken most so far (the other stands by). Past limits::zygote_children it
// retires, if the other is ready to take over. Null if none is ready.
Cell* Broker::ready_zygote(const CellKind& kind) {
  Cell* active = nullptr;
  Cell* standby = nullptr;
  for (Cell& cell : cells_) {
    if (cell.kind->zygote_for != &kind || cell.pid <= 0 || !cell.zygote_ready || !cell.requests || cell.retiring) {
      continue;
    }
    if (active == nullptr || cell.handed > active->handed) {
      standby = active;
      active = &cell;
    } else {
      standby = &cell;
    }
  }
  if (active != nullptr && active->handed >= limits::zygote_children && standby != nullptr) {
    retire(*active);
    return standby;
  }
  return active;
}

// A retiring zygote gets what waits for it, then its channel is shut for
// writing: it forks no more and ends after its last child.
void Broker::retire(Cell& zygote) {
  zygote.retiring = true;
  emit(LogLine("zygote-retiring")
           .add("cell", zygote.kind->name)
           .add("pid", zygote.pid)
           .add("children", static_cast<std::int64_t>(zygote.handed)));
  close_retired_channels();
}

void Broker::close_retired_channels() {
  for (Cell& zygote : cells_) {
    if (!zygote.retiring || zygote.write_closed || !zygote.requests) continue;
    const bool waiting = std::any_of(requested_.begin(), requested_.end(),
                                     [&](const Cell& c) { return c.handover && c.zygote == zygote.pid; });
    if (waiting) continue;
    ::shutdown(zygote.requests.get(), SHUT_WR);
    zygote.write_closed = true;
  }
}

// Prepares the handover of `connection` to the zygote, with the child's
// log pipe and broker channel; the broker keeps its ends in `cell`, and
// the frame and the descriptors to send until flush_handovers() sends them.
// False: nothing was prepared (the caller makes a fresh cell instead).
bool Broker::hand_over(Cell& zygote, Cell& cell, UniqueFd& connection, const std::vector<std::string>& environment) {
  auto handover = std::make_unique<Cell::Handover>();
  if (auto encoded = encode_zygote_handover({cell.id, environment}, handover->frame); !encoded) {
    emit(LogLine("zygote-handover-failed").add("cell", zygote.kind->name).add("error", describe(encoded.error())));
    return false;
  }
  auto ends = make_cell_ends(true);
  if (!ends) return false;
  // The cell's ends wait in the broker until they are sent: kept high too.
  handover->log_write = keep_high(std::move(ends->log_write));
  handover->channel = keep_high(std::move(ends->theirs));
  handover->connection = keep_high(std::move(connection));
  handover->environment = environment;
  take_broker_ends(cell, *ends);
  cell.zygote = zygote.pid;
  cell.started = Clock::now();
  cell.handover = std::move(handover);
  ++pending_handovers_;
  ++zygote.handed;
  return true;
}

// Sends waiting handovers, oldest first, as far as each zygote's channel
// takes them without waiting.
void Broker::flush_handovers() {
  if (pending_handovers_ == 0) return;
  std::vector<pid_t> full;  // zygotes whose channel is full for now
  for (Cell& cell : requested_) {
    if (!cell.handover || std::find(full.begin(), full.end(), cell.zygote) != full.end()) continue;
    auto zygote = std::find_if(cells_.begin(), cells_.end(), [&](const Cell& c) { return c.pid == cell.zygote; });
    if (zygote == cells_.end() || !zygote->requests) continue;  // ending: end_zygote_children takes over
    const int fds[] = {cell.handover->connection.get(), cell.handover->log_write.get(), cell.handover->channel.get()};
    auto sent = send_frame(zygote->requests.get(), cell.handover->frame.bytes(), fds, Clock::now());
    if (!sent && sent.error().kind == FrameErrc::timeout) {
      full.push_back(cell.zygote);
      continue;
    }
    if (!sent) {
      emit(LogLine("zygote-handover-failed").add("cell", zygote->kind->name).add("error", describe(sent.error())));
      refuse_zygote(*zygote, "its channel failed");
      full.push_back(cell.zygote);
      continue;
    }
    cell.handover.reset();
    --pending_handovers_;
  }
  close_retired_channels();
}

// The pid a pidfd refers to, as the broker's pid namespace numbers it
// (/proc/self/fdinfo, "Pid:"); -1 when it cannot be read.
static pid_t pid_of_pidfd(int pidfd) {
  const std::string path = "/proc/self/fdinfo/" + std::to_string(pidfd);
  UniqueFd info(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!info) return -1;
  char text[1024];
  auto n = read_full(info.get(), std::as_writable_bytes(std::span(text, sizeof text - 1)));
  if (!n) return -1;
  text[*n] = '\0';
  const char* field = std::strstr(text, "\nPid:\t");
  if (field == nullptr) return -1;
  const long pid = std::strtol(field + 6, nullptr, 10);
  return pid > 0 && pid <= INT32_MAX ? static_cast<pid_t>(pid) : -1;
}

// A zygote that breaks its protocol is killed; its children end with it.
void Broker::refuse_zygote(Cell& zygote, std::string_view error) {
  emit(LogLine("zygote-report-refused").add("cell", zygote.kind->name).add("pid", zygote.pid).add("error", error));
  zygote.zygote_ready = false;
  zygote.requests.reset();
  ::kill(zygote.pid, SIGKILL);
}

// The reports waiting on a zygote's channel: a zygote reports two per
// connection, and its channel holds few frames, so they are drained (a
// bounded number per turn of the loop).
void Broker::handle_zygote_reports(Cell& zygote) {
  Clock::time_point deadline = Clock::now() + milliseconds(100);  // poll said one is there
  for (int round = 0; round < 64 && zygote.requests; ++round) {
    if (!handle_zygote_report(zygote, deadline)) return;
    deadline = Clock::now();  // the rest only if already there
  }
}

// One report; false when there was none, or the channel is done with.
bool Broker::handle_zygote_report(Cell& zygote, Clock::time_point deadline) {
  ByteBuffer frame(zygote_frame);
  auto received = receive_frame(zygote.requests.get(), frame, 1, deadline);
  if (!received) {
    if (received.error().kind == FrameErrc::timeout) return false;
    if (received.error().kind == FrameErrc::end_of_file) {
      zygote.zygote_ready = false;
      zygote.requests.reset();  // it is ending: reaped and restarted
      return false;
    }
    refuse_zygote(zygote, describe(received.error()));
    return false;
  }
  auto report = decode_zygote_report(frame.bytes());
  if (!report) {
    refuse_zygote(zygote, describe(report.error()));
    return false;
  }
  const bool forked = report->kind == ZygoteReportKind::forked;
  if ((!forked && !received->empty()) || (forked && received->size() != 1)) {
    refuse_zygote(zygote, "wrong descriptors with " + std::string(zygote_report_name(report->kind)));
    return false;
  }
  if (report->kind == ZygoteReportKind::ready) {
    zygote.zygote_ready = true;
    emit(LogLine("zygote-ready").add("cell", zygote.kind->name).add("pid", zygote.pid));
    return true;
  }
  auto child = std::find_if(requested_.begin(), requested_.end(),
                            [&](const Cell& c) { return c.id == report->id && c.zygote == zygote.pid; });
  if (child == requested_.end()) {
    refuse_zygote(zygote, "a report for connection " + std::to_string(report->id) + ", which it does not hold");
    return false;
  }
  switch (report->kind) {
    case ZygoteReportKind::forked:
      if (child->pid > 0) {
        refuse_zygote(zygote, "connection " + std::to_string(report->id) + " forked twice");
        return false;
      }
      child->pid = pid_of_pidfd((*received)[0].get());
      emit(LogLine("cell-start")
               .add("cell", child->kind->name)
               .add("pid", child->pid)
               .add("id", static_cast<std::int64_t>(child->id))
               .add("zygote", zygote.pid));
      return true;
    case ZygoteReportKind::exited:
      emit_exit(*child, child->pid, static_cast<int>(report->value));
      requested_.erase(child);
      return true;
    case ZygoteReportKind::failed:
      emit(LogLine("cell-start-failed")
               .add("cell", child->kind->name)
               .add("id", static_cast<std::int64_t>(child->id))
               .add("step", "fork")
               .add("error", ::strerror(static_cast<int>(report->value))));
      requested_.erase(child);
      return true;
    case ZygoteReportKind::ready:
      return true;
  }
  return true;
}

// A zygote ended: its children were killed with it (it is their pid
// namespace's init), and nobody will report their ends.
void Broker::end_zygote_children(pid_t zygote) {
  std::vector<Cell> waiting;  // never handed over: they get fresh cells
  for (Cell& child : requested_) {
    if (child.zygote != zygote) continue;
    if (child.handover) {
      --pending_handovers_;
      waiting.push_back(std::move(child));
      continue;
    }
    emit_exit(child, child.pid, SIGKILL, "zygote-ended");  // the wait status of a SIGKILL
  }
  std::erase_if(requested_, [zygote](const Cell& c) { return c.zygote == zygote; });
  for (Cell& cell : waiting) {
    std::unique_ptr<Cell::Handover> handover = std::move(cell.handover);
    cell.zygote = -1;
    cell.log.reset();
    cell.requests.reset();
    const int number = *cell.kind->fd_number(FdName::connection);
    if (start(cell, {{number, handover->connection.get()}}, handover->environment)) requested_.push_back(std::move(cell));
  }
}

void Broker::schedule_restart(Cell& cell) {
  if (stopping_ || cell.transient) return;
  Clock::time_point now = Clock::now();
  bool healthy = cell.started != Clock::time_point{} && now - cell.started >= options_.healthy_after;
  if (healthy || cell.backoff.count() == 0) {
    cell.backoff = healthy ? milliseconds(0) : options_.first_backoff;
  } else {
    cell.backoff = std::min(cell.backoff * 2, options_.max_backoff);
  }
  cell.next_start = now + cell.backoff;
  ++cell.restarts;
  emit(LogLine("cell-restart-scheduled")
           .add("cell", cell.kind->name)
           .add("delay_ms", static_cast<std::int64_t>(cell.backoff.count())));
}

void Broker::emit_log_text(Cell& cell, std::string_view text, bool truncated) {
  LogLine line("log");
  line.add("cell", cell.kind->name).add("pid", cell.pid).add("text", text);
  if (truncated) line.add("truncated", "yes");
  emit(line);
}

void Broker::read_log(Cell& cell, bool final_drain) {
  char chunk[4096];
  for (int round = 0; round < 16 || final_drain; ++round) {  // bounded per loop turn unless draining a dead cell
    ssize_t n = ::read(cell.log.get(), chunk, sizeof chunk);
    if (n <= 0) break;
    std::string_view data(chunk, static_cast<std::size_t>(n));
    while (!data.empty()) {
      std::size_t newline = data.find('\n');
      std::string_view piece = data.substr(0, newline);
      // A line longer than the limit is emitted in parts, each marked.
      while (piece.size() > cell.partial.maximum() - cell.partial.size()) {
        std::size_t room = cell.partial.maximum() - cell.partial.size();
        (void)cell.partial.append(piece.substr(0, room));
        emit_log_text(cell, cell.partial.view(), true);
        cell.partial.clear();
        piece.remove_prefix(room);
      }
      (void)cell.partial.append(piece);
      if (newline == std::string_view::npos) break;
      emit_log_text(cell, cell.partial.view(), false);
      cell.partial.clear();
      data.remove_prefix(newline + 1);
    }
  }
  if (final_drain && !cell.partial.empty()) {
    emit_log_text(cell, cell.partial.view(), false);
    cell.partial.clear();
  }
}

// The cell-exit line for `cell`, whose process `pid` ended with `status`
// (a wait status), after the last of its log; `reason` when the broker
// knows more than the status says.
void Broker::emit_exit(Cell& cell, pid_t pid, int status, std::string_view reason) {
  read_log(cell, true);
  LogLine line("cell-exit");
  line.add("cell", cell.kind->name).add("pid", pid);
  if (cell.transient) line.add("id", static_cast<std::int64_t>(cell.id));
  if (WIFEXITED(status)) {
    line.add("status", WEXITSTATUS(status));
    cell.last_exit = "status " + std::to_string(WEXITSTATUS(status));
  } else if (WIFSIGNALED(status)) {
    int sig = WTERMSIG(status);
    line.add("signal", signal_name(sig));
    cell.last_exit = signal_name(sig);
    if (sig == SIGSYS) {
      // The seccomp filter killed it: the kernel's audit record names the call.
      auto kill = pid > 0 ? kernel_log_.find_kill(pid, milliseconds(1000)) : std::nullopt;
      line.add("syscall", kill ? kill->name : "unknown");
      if (kill) cell.last_exit += " " + kill->name;
    } else if (sig == SIGXCPU) {
      line.add("limit", "cpu");
    } else if (sig == SIGXFSZ) {
      line.add("limit", "fsize");
    }
  }
  if (!reason.empty()) line.add("reason", reason);
  line.add("uptime_ms",
           static_cast<std::int64_t>(std::chrono::duration_cast<milliseconds>(Clock::now() - cell.started).count()));
  emit(line);
}

void Broker::reap() {
  for (;;) {
    int status = 0;
    pid_t pid = ::waitpid(-1, &status, WNOHANG);
    if (pid <= 0) return;
    auto it = std::find_if(cells_.begin(), cells_.end(), [pid](const Cell& c) { return c.pid == pid; });
    auto requested = std::find_if(requested_.begin(), requested_.end(),
                                  [pid](const Cell& c) { return c.pid == pid && c.zygote <= 0; });
    if (it == cells_.end() && requested == requested_.end()) continue;
    Cell& cell = it != cells_.end() ? *it : *requested;
    emit_exit(cell, pid, status);
    end_commands_of(pid);
    if (requested != requested_.end()) {
      // Tell the cell that asked (if any, and if it is still there).
      Cell* sender = find_cell(cell.requester);
      auto exit_status = exit_status_from_wait(status);
      if (sender != nullptr && sender->requests && exit_status) {
        (void)send_reply(sender->requests.get(), Finished{cell.id, *exit_status}, Clock::now() + milliseconds(100));
      }
      requested_.erase(requested);
      continue;
    }
    cell.pid = -1;
    cell.log.reset();
    cell.requests.reset();
    if (cell.kind->serves == RequestKind::spawn_queue) fail_pending_jobs(pid, "the qmail-queue cell ended");
    if (cell.kind->zygote_for != nullptr) {
      const bool retired = cell.retiring && WIFEXITED(status) && WEXITSTATUS(status) == 0;
      cell.zygote_ready = false;
      cell.retiring = false;
      cell.write_closed = false;
      cell.handed = 0;
      end_zygote_children(pid);
      if (retired && !stopping_) {
        // It did its share: it stands by again at once, with a fresh layout.
        cell.next_start = Clock::now();
        continue;
      }
    }
    schedule_restart(cell);
  }
}

void Broker::answer_status() {
  UniqueFd client(::accept4(status_.get(), nullptr, nullptr, SOCK_CLOEXEC));
  if (!client) return;
  Clock::time_point now = Clock::now();
  std::string text = "broker pid=" + std::to_string(::getpid()) + " cells=" + std::to_string(cells_.size()) +
                     " requested_cells=" + std::to_string(requested_.size()) + "\n";
  for (const Cell& cell : cells_) {
    text += "cell=" + log_value(cell.kind->name, 64);
    if (cell.pid > 0) {
      text += " state=running pid=" + std::to_string(cell.pid) + " uptime_s=" +
              std::to_string(std::chrono::duration_cast<std::chrono::seconds>(now - cell.started).count());
    } else {
      auto wait_ms = std::chrono::duration_cast<milliseconds>(cell.next_start - now).count();
      text += " state=waiting next_start_ms=" + std::to_string(wait_ms < 0 ? 0 : wait_ms);
    }
    text += " restarts=" + std::to_string(cell.restarts);
    if (!cell.last_exit.empty()) text += " last_exit=" + log_value(cell.last_exit, 128);
    text += "\n";
  }
  // A client that does not read gets nothing more: the socket is non-blocking
  // for the broker, and the broker never waits for a status reader.
  ::fcntl(client.get(), F_SETFL, O_NONBLOCK);
  (void)write_full(client.get(), text);
}

void Broker::shutdown() {
  stopping_ = true;
  // A delivery in progress is let finish (within the grace period), so that
  // qmail-send hears how it ended, and qmail-clean ends with qmail-send's
  // channel; a connection cell has nothing to finish.
  auto serves_sender = [](const Cell& c) {
    return c.kind->serves == RequestKind::spawn_local || c.kind->serves == RequestKind::spawn_remote ||
           c.kind->serves == RequestKind::spawn_clean || c.kind->serves == RequestKind::spawn_command;
  };
  for (Cell& cell : requested_) {
    if (cell.pid > 0 && !serves_sender(cell)) ::kill(cell.pid, SIGKILL);
  }
  // A zygote's children are not the broker's to reap; they end with it.
  std::erase_if(requested_, [](const Cell& c) { return c.zygote > 0; });
  pending_handovers_ = 0;
  for (Cell& cell : cells_) {
    // A closed channel is the queue cell's and a zygote's signal to finish
    // and exit. A cell that asks for deliveries (qmail-send) keeps its
    // channel, to be told of those that end, and finishes on SIGTERM.
    const bool asks = cell.kind->zygote_for == nullptr && cell.kind->serves != RequestKind::spawn_queue &&
                      !cell.kind->requests.empty();
    if (!asks) cell.requests.reset();
    if (cell.pid > 0) ::kill(cell.pid, SIGTERM);
  }
  // A cell is its pid namespace's init and ignores SIGTERM unless it handles
  // it: after the grace period, SIGKILL.
  Clock::time_point deadline = Clock::now() + options_.stop_grace;
  bool killed = false;
  for (;;) {
    reap();
    bool any =
        !requested_.empty() || std::any_of(cells_.begin(), cells_.end(), [](const Cell& c) { return c.pid > 0; });
    if (!any) break;
    if (!killed && Clock::now() >= deadline) {
      for (auto* group : {&cells_, &requested_}) {
        for (Cell& cell : *group) {
          if (cell.pid > 0) ::kill(cell.pid, SIGKILL);
        }
      }
      killed = true;
    }
    struct pollfd p {
      signals_.get(), POLLIN, 0
    };
    ::poll(&p, 1, 50);
    signalfd_siginfo info{};
    while (::read(signals_.get(), &info, sizeof info) > 0) {
    }
  }
  ::unlink(options_.status_socket.c_str());
  if (inject_) ::unlink(options_.inject_socket.c_str());
  emit(LogLine("broker-stop"));
}

int Broker::run() {
  // Each connection cell costs the broker two descriptors (its log pipe and
  // its request channel): take the hard limit for the soft one, so that
  // control/smtpconnections is what bounds connections, not a shell's 1024.
  if (rlimit files{}; ::getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    (void)::setrlimit(RLIMIT_NOFILE, &files);
  }
  if (!setup()) {
    emit(LogLine("broker-start-failed").add("error", ::strerror(errno)).add("status_socket", options_.status_socket));
    return exit_system_error;
  }
  if (!build_snapshot() || !load_connection_policy() || !listen_all()) return exit_system_error;
  // Everything that needed full root (sockets, directories, /dev/kmsg,
  // pre-created namespaces) is done: keep only what cell creation needs.
  if (options_.drop_privileges) {
    if (std::string error = drop_broker_privileges(); !error.empty()) {
      emit(LogLine("broker-start-failed").add("error", error));
      return exit_system_error;
    }
  }
  emit(LogLine("broker-start")
           .add("pid", ::getpid())
           .add("walls", sandbox::describe_walls(walls_))
           .add("cells", static_cast<std::int64_t>(kinds_.size()))
           .add("seccomp_reports", kernel_log_.available() ? "kernel-log" : "unavailable")
           .add("capabilities", options_.drop_privileges ? broker_capabilities : "all"));
  if (options_.fork_connection_cells) start_zygotes();
  cells_.resize(kinds_.size());
  for (std::size_t i = 0; i < kinds_.size(); ++i) {
    cells_[i].kind = &kinds_[i];
    start(cells_[i]);
  }

  while (!stopping_) {
    std::vector<pollfd> fds;
    fds.push_back({signals_.get(), POLLIN, 0});
    fds.push_back({status_.get(), POLLIN, 0});
    std::vector<Cell*> polled;
    for (Cell& cell : cells_) {
      if (cell.pid > 0 && cell.log) {
        fds.push_back({cell.log.get(), POLLIN, 0});
        polled.push_back(&cell);
      }
    }
    for (Cell& cell : requested_) {
      if (cell.log) {
        fds.push_back({cell.log.get(), POLLIN, 0});
        polled.push_back(&cell);
      }
    }
    std::size_t first_listener = fds.size();
    for (Listener& listener : listeners_) fds.push_back({listener.socket.get(), POLLIN, 0});
    // By pid: handling one request may start a cell, which moves requested_.
    std::vector<pid_t> asking;
    for (auto* group : {&cells_, &requested_}) {
      for (Cell& cell : *group) {
        if (cell.pid > 0 && cell.requests) {
          // A zygote with handovers waiting is watched for room too.
          const bool waiting = cell.kind->zygote_for != nullptr && pending_handovers_ > 0 && !cell.write_closed;
          fds.push_back({cell.requests.get(), static_cast<short>(waiting ? POLLIN | POLLOUT : POLLIN), 0});
          asking.push_back(cell.pid);
        }
      }
    }
    std::size_t first_inject = fds.size();
    fds.push_back({inject_ ? inject_.get() : -1, POLLIN, 0});
    std::vector<std::uint64_t> injectors;
    for (const InjectClient& client : clients_) {
      fds.push_back({client.socket.get(), static_cast<short>(client.job == 0 ? POLLIN : 0), 0});
      injectors.push_back(client.key);
    }
    int timeout = -1;
    Clock::time_point now = Clock::now();
    for (const Cell& cell : cells_) {
      if (cell.pid > 0) continue;
      auto wait = std::chrono::duration_cast<milliseconds>(cell.next_start - now).count();
      int ms = wait <= 0 ? 0 : static_cast<int>(std::min<long long>(wait, 60000));
      timeout = timeout < 0 ? ms : std::min(timeout, ms);
    }
    if (!clients_.empty()) timeout = timeout < 0 ? 1000 : std::min(timeout, 1000);  // request deadlines
    int ready = ::poll(fds.data(), fds.size(), timeout);
    if (ready < 0 && errno != EINTR) break;

    if ((fds[0].revents & POLLIN) != 0) {
      signalfd_siginfo info{};
      while (::read(signals_.get(), &info, sizeof info) == sizeof info) {
        if (info.ssi_signo == SIGTERM || info.ssi_signo == SIGINT) {
          emit(LogLine("broker-stopping").add("signal", signal_name(static_cast<int>(info.ssi_signo))));
          stopping_ = true;
        }
      }
    }
    for (std::size_t i = 0; i < polled.size(); ++i) {
      if ((fds[i + 2].revents & (POLLIN | POLLHUP)) != 0) read_log(*polled[i], false);
    }
    for (std::size_t i = 0; i < asking.size(); ++i) {
      short events = fds[i + first_listener + listeners_.size()].revents;
      Cell* cell = find_cell(asking[i]);
      if (cell == nullptr || !cell->requests) continue;
      if ((events & POLLIN) != 0) {
        if (cell->kind->serves == RequestKind::spawn_queue && !cell->transient) {
          handle_queue_done(*cell);
        } else if (cell->kind->zygote_for != nullptr) {
          handle_zygote_reports(*cell);
        } else {
          handle_request(*cell);
        }
      } else if ((events & (POLLHUP | POLLERR)) != 0) {
        cell->requests.reset();  // the cell closed its end: nothing more will come
      }
    }
    if ((fds[first_inject].revents & POLLIN) != 0) accept_injectors();
    for (std::size_t i = 0; i < injectors.size(); ++i) {
      short events = fds[first_inject + 1 + i].revents;
      auto client = std::find_if(clients_.begin(), clients_.end(),
                                 [&](const InjectClient& c) { return c.key == injectors[i]; });
      if (client == clients_.end()) continue;
      if ((events & POLLIN) != 0 && client->job == 0) {
        handle_injector(*client);
      } else if ((events & (POLLHUP | POLLERR)) != 0) {
        client->socket.reset();  // gone: an answer for it is dropped
      } else if (client->job == 0 && Clock::now() >= client->deadline) {
        client->socket.reset();
      }
    }
    std::erase_if(clients_, [](const InjectClient& c) { return !c.socket; });
    reap();
    for (std::size_t i = 0; i < listeners_.size() && !stopping_; ++i) {
      if ((fds[first_listener + i].revents & POLLIN) != 0) accept_connections(listeners_[i]);
    }
    flush_handovers();
    if ((fds[1].revents & POLLIN) != 0) answer_status();
    now = Clock::now();
    for (Cell& cell : cells_) {
      if (!stopping_ && cell.pid <= 0 && now >= cell.next_start) start(cell);
    }
  }
  shutdown();
  return exit_ok;
}

}  // namespace

int run_supervisor(std::vector<CellKind> long_lived, std::vector<CellKind> on_request,
                   std::vector<CellKind> per_connection, const sandbox::Walls& walls,
                   const SupervisorOptions& options) {
  Broker broker(std::move(long_lived), std::move(on_request), std::move(per_connection), walls, options);
  return broker.run();
}

int query_status(const std::string& status_socket, int out_fd) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (status_socket.size() >= sizeof address.sun_path) return exit_system_error;
  std::memcpy(address.sun_path, status_socket.c_str(), status_socket.size() + 1);
  UniqueFd socket(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!socket || ::connect(socket.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    (void)write_full(2, "qcell status: no broker answers on " + status_socket + ": " + ::strerror(errno) + "\n");
    return exit_system_error;
  }
  char buffer[4096];
  for (;;) {
    struct pollfd p {
      socket.get(), POLLIN, 0
    };
    if (::poll(&p, 1, 5000) <= 0) break;
    ssize_t n = ::read(socket.get(), buffer, sizeof buffer);
    if (n <= 0) break;
    (void)write_full(out_fd, std::string_view(buffer, static_cast<std::size_t>(n)));
  }
  return exit_ok;
}

}  // namespace qcell
