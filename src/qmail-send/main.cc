// main.cc (qmail-send) — the long-lived scheduler cell. The broker starts
// bin/qmail-send under policy/qmail-send.policy, as qmails, with: 2 the log,
// 3 the queue directory, 4 the broker channel, 5 the control directory.
// It checks its descriptors, reads its control files, takes
// lock/sendmutex (one qmail-send per queue), asks the broker for its
// qmail-clean cell (spawn-clean), and runs the scheduler (sender.h).
// Exit codes: 0 after SIGTERM, 111 start-up or channel failure (logged).
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/socket.h>

#include <chrono>
#include <string>

#include "core/broker_request.h"
#include "core/cell_skeleton.h"
#include "core/control.h"
#include "core/fd.h"
#include "core/fd_passing.h"
#include "core/log_line.h"
#include "core/recipient_rewrite.h"
#include "qmail-send/queue_store.h"
#include "qmail-send/sender.h"

namespace {

constexpr int queue_fd = 3;
constexpr int broker_fd = 4;
constexpr int control_fd = 5;

int refuse_start(const std::string& why) {
  qcell::cell_log("start-failed error=" + qcell::log_value(why, 400));
  return 111;
}

void ignore(int) {}

}  // namespace

int main() {
  using namespace qcell;
  int wrong = -1;
  if (!holds_exactly({2, queue_fd, broker_fd, control_fd}, wrong)) {
    return refuse_start("descriptor " + std::to_string(wrong) + " is not as the policy says");
  }
  auto control = adopt_directory(UniqueFd(control_fd));
  auto queue = adopt_directory(UniqueFd(queue_fd));
  if (!control || !queue) return refuse_start("descriptor 3 or 5 is not a directory");
  auto set = load_control_set(*control);
  if (!set) return refuse_start(format_control_error(set.error().first, set.error().second));

  send::SendConfig config;
  config.me = set->value("me");
  config.rules.envnoathost = set->value("envnoathost");
  config.rules.locals = set->list("locals");
  config.rules.percenthack = set->list("percenthack");
  auto virtualdomains = parse_virtualdomains(set->list("virtualdomains"));
  if (!virtualdomains) {
    return refuse_start("control/virtualdomains line " + std::to_string(virtualdomains.error().second) +
                        ": no colon");
  }
  config.rules.virtualdomains = std::move(virtualdomains.value());
  config.bounce.bouncefrom = set->value("bouncefrom");
  config.bounce.bouncehost = set->value("bouncehost");
  config.bounce.doublebouncehost = set->value("doublebouncehost");
  config.bounce.doublebounceto = set->value("doublebounceto");
  config.concurrency[0] = set->number("concurrencylocal");
  config.concurrency[1] = set->number("concurrencyremote");
  config.queuelifetime = static_cast<std::int64_t>(set->number("queuelifetime"));

  // One qmail-send per queue: lock/sendmutex, held until exit.
  auto lock = open_directory_beneath(*queue, "lock");
  if (!lock) return refuse_start(std::string("queue/lock: ") + ::strerror(lock.error()));
  auto mutex = open_beneath(*lock, "sendmutex", O_RDWR);
  if (!mutex) return refuse_start(std::string("queue/lock/sendmutex: ") + ::strerror(mutex.error()));
  if (::flock(mutex->get(), LOCK_EX | LOCK_NB) != 0) {
    return refuse_start(errno == EWOULDBLOCK ? std::string("another qmail-send holds queue/lock/sendmutex")
                                             : std::string("queue/lock/sendmutex: ") + ::strerror(errno));
  }

  // Signals through a signalfd. A handler (not SIG_DFL) is installed too: a
  // pid namespace's init receives from outside only signals it handles.
  sigset_t signals;
  sigemptyset(&signals);
  for (int sig : {SIGTERM, SIGALRM, SIGHUP}) {
    sigaddset(&signals, sig);
    struct sigaction action {};
    action.sa_handler = ignore;
    (void)::sigaction(sig, &action, nullptr);
  }
  if (::sigprocmask(SIG_BLOCK, &signals, nullptr) != 0) return refuse_start("sigprocmask failed");
  UniqueFd signal_fd(::signalfd(-1, &signals, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!signal_fd) return refuse_start(std::string("signalfd: ") + ::strerror(errno));

  // qmail-clean, on a channel of our own.
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) {
    return refuse_start(std::string("socketpair: ") + ::strerror(errno));
  }
  UniqueFd clean(pair[0]);
  UniqueFd theirs(pair[1]);
  const int fds[] = {theirs.get()};
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  if (auto sent = send_request(broker_fd, Request{SpawnClean{}}, fds, deadline); !sent) {
    return refuse_start("spawn-clean: " + describe(sent.error()));
  }
  theirs.reset();
  auto reply = receive_reply(broker_fd, deadline);
  if (!reply) return refuse_start("spawn-clean: " + describe(reply.error()));
  const auto* started = std::get_if<Started>(&*reply);
  if (started == nullptr) {
    const auto* refused = std::get_if<Refused>(&*reply);
    return refuse_start("spawn-clean refused: " + (refused != nullptr ? refused->text : std::string("?")));
  }

  send::QueueStore store(std::move(queue.value()));
  send::SendChannels channels;
  channels.broker = broker_fd;
  channels.clean = clean.get();
  channels.lock = lock->get();
  channels.signals = signal_fd.get();
  channels.clean_cell = started->cell_id;
  return send::run_sender(store, config, channels);
}
