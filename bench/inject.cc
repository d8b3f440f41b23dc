// inject.cc — messages per second into the queue, against the ceiling of
// the same disk. Run by hand as root (bench/README.md), never as a test:
//
//   build/bin/bench_inject [MESSAGES] [CONCURRENCY] [DIRECTORY] [QUEUESYNC] [ROUNDS]
//
// It measures, each with MESSAGES messages of 5 KiB and CONCURRENCY at once:
//   ceiling   create, write, fsync, rename, fsync directory (the disk's cost
//             of one durable insert), CONCURRENCY writer processes;
//   direct    the qmail-queue cell without walls, this program as its broker,
//             CONCURRENCY injections in flight on its channel;
//   cell      `qcell start` with the shipped policy, CONCURRENCY processes
//             injecting over ROOT/run/qmail-queue.sock as bin/qmail-queue does
//             (without the front end's own process creation);
// QUEUESYNC (syncfs, the default, or fsync) goes into both queues'
// control/queuesync. It prints messages per second, syncs per message
// (from the queue cell's `commit messages=N syncs=N` lines), and each rate
// as a share of the ceiling, for each of ROUNDS (default 3) rounds in which
// the three take turns, then the medians.
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/broker_request.h"
#include "core/byte_buffer.h"
#include "core/fd.h"
#include "core/fd_passing.h"
#include "core/queue_job.h"
#include "queue_root.h"

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

const std::string message = "Subject: bench\n\n" + std::string(5 * 1024 - 16, 'x');
std::string queuesync = "syncfs";  // argv[4]
const std::string envelope = std::string("Fbench@example.org\0Trcpt@example.org\0\0", 39);

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Sum of N and M over "commit messages=N syncs=M" in a log.
std::pair<long, long> commit_totals(const std::string& log) {
  long messages = 0, syncs = 0;
  for (std::size_t at = log.find("commit messages="); at != std::string::npos; at = log.find("commit messages=", at + 1)) {
    messages += std::atol(log.c_str() + at + 16);
    std::size_t f = log.find("syncs=", at);
    if (f != std::string::npos) syncs += std::atol(log.c_str() + f + 6);
  }
  return {messages, syncs};
}

// Runs `work(worker, count)` in `workers` processes, splitting `total`.
template <class Work>
bool in_processes(int workers, int total, Work work) {
  std::vector<pid_t> children;
  for (int w = 0; w < workers; ++w) {
    int count = total / workers + (w < total % workers ? 1 : 0);
    pid_t pid = ::fork();
    if (pid == 0) ::_exit(work(w, count) ? 0 : 1);
    children.push_back(pid);
  }
  bool ok = true;
  for (pid_t pid : children) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    ok = ok && WIFEXITED(status) && WEXITSTATUS(status) == 0;
  }
  return ok;
}

double ceiling(const std::string& dir, int total, int workers) {
  ::mkdir(dir.c_str(), 0755);
  Clock::time_point start = Clock::now();
  bool ok = in_processes(workers, total, [&](int w, int count) {
    std::string sub = dir + "/" + std::to_string(w);
    ::mkdir(sub.c_str(), 0755);
    qcell::UniqueFd d(::open(sub.c_str(), O_RDONLY | O_DIRECTORY));
    for (int i = 0; i < count; ++i) {
      std::string tmp = "t" + std::to_string(i), name = "f" + std::to_string(i);
      qcell::UniqueFd f(::openat(d.get(), tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0644));
      if (!f || !qcell::write_full(f.get(), message) || ::fsync(f.get()) != 0) return false;
      if (::renameat(d.get(), tmp.c_str(), d.get(), name.c_str()) != 0 || ::fsync(d.get()) != 0) return false;
    }
    return true;
  });
  double rate = total / seconds_since(start);
  return ok ? rate : 0;
}

// The cell program with this process as its broker: `window` jobs in flight.
double direct(const std::string& root, int total, int window, long& syncs) {
  ::mkdir((root + "/control").c_str(), 0755);
  std::ofstream(root + "/control/me") << "bench.test\n";
  std::ofstream(root + "/control/queuesync") << queuesync << "\n";
  make_queue(root + "/queue");
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) return 0;
  qcell::UniqueFd channel(pair[0]);
  std::string log = root + "/cell.log";
  pid_t pid = ::fork();
  if (pid == 0) {
    int l = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    int q = ::open((root + "/queue").c_str(), O_RDONLY | O_DIRECTORY);
    int c = ::open((root + "/control").c_str(), O_RDONLY | O_DIRECTORY);
    int l2 = ::fcntl(l, F_DUPFD, 100), q2 = ::fcntl(q, F_DUPFD, 100), s2 = ::fcntl(pair[1], F_DUPFD, 100),
        c2 = ::fcntl(c, F_DUPFD, 100);
    ::dup2(l2, 2);
    ::dup2(q2, 3);
    ::dup2(s2, 4);
    ::dup2(c2, 5);
    ::close(0);
    ::close(1);
    ::close_range(6, ~0U, 0);
    char cell_env[] = "QCELL_CELL=qmail-queue";
    char* envp[] = {cell_env, nullptr};
    ::execle(QCELL_BINARY_DIR "/bin/qmail-queue", "qmail-queue", "qmail-queue", static_cast<char*>(nullptr), envp);
    ::_exit(127);
  }
  ::close(pair[1]);
  Clock::time_point start = Clock::now();
  int sent = 0, done = 0;
  std::uint64_t id = 0;
  bool ok = true;
  while (done < total && ok) {
    while (sent < total && sent - done < window) {
      int m[2], e[2];
      if (::pipe2(m, O_CLOEXEC) != 0 || ::pipe2(e, O_CLOEXEC) != 0) return 0;
      qcell::ByteBuffer frame(qcell::queue_job_frame);
      (void)qcell::encode_queue_job(qcell::QueueJob{++id, 0, 1, qcell::QueueOrigin::user}, frame);
      int fds[] = {m[0], e[0]};
      ok = ok && qcell::send_frame(channel.get(), frame.bytes(), fds, Clock::now() + 5s).ok();
      ::close(m[0]);
      ::close(e[0]);
      ok = ok && qcell::write_full(m[1], message).ok() && qcell::write_full(e[1], envelope).ok();  // fits a pipe
      ::close(m[1]);
      ::close(e[1]);
      ++sent;
    }
    qcell::ByteBuffer answer(4096);
    auto got = qcell::receive_frame(channel.get(), answer, 0, Clock::now() + 30s);
    auto code = got ? qcell::decode_queue_done(answer.bytes()) : qcell::Result<qcell::QueueDone, qcell::QueueJobError>(
                                                                     qcell::fail(qcell::QueueJobError::bad_framing));
    ok = ok && code && code->exit_code == 0;
    ++done;
  }
  double rate = total / seconds_since(start);
  channel.reset();
  ::waitpid(pid, nullptr, 0);
  syncs = commit_totals(slurp(log)).second;
  return ok ? rate : 0;
}

// One injection over the broker's socket, as bin/qmail-queue makes it.
bool inject_over_socket(const std::string& socket_path) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, socket_path.c_str(), socket_path.size() + 1);
  qcell::UniqueFd s(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
  if (!s || ::connect(s.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) return false;
  int m[2], e[2];
  if (::pipe2(m, O_CLOEXEC) != 0 || ::pipe2(e, O_CLOEXEC) != 0) return false;
  int fds[] = {m[0], e[0]};
  bool ok = qcell::send_request(s.get(), qcell::SpawnQueue{}, fds, Clock::now() + 10s).ok();
  ::close(m[0]);
  ::close(e[0]);
  auto first = ok ? qcell::receive_reply(s.get(), Clock::now() + 10s) : qcell::Result<qcell::Reply, qcell::ProtocolError>(
                                                                          qcell::fail(qcell::ProtocolError{}));
  ok = first && std::holds_alternative<qcell::Started>(*first);
  ok = ok && qcell::write_full(m[1], message).ok() && qcell::write_full(e[1], envelope).ok();
  ::close(m[1]);
  ::close(e[1]);
  auto last = ok ? qcell::receive_reply(s.get(), Clock::now() + 30s) : qcell::Result<qcell::Reply, qcell::ProtocolError>(
                                                                         qcell::fail(qcell::ProtocolError{}));
  const auto* finished = last ? std::get_if<qcell::Finished>(&*last) : nullptr;
  return finished != nullptr && finished->status.number == 0;
}

double in_cell(const std::string& root, int total, int workers, long& syncs) {
  ::mkdir((root + "/control").c_str(), 0755);
  ::mkdir((root + "/policy").c_str(), 0755);
  std::ofstream(root + "/control/me") << "bench.test\n";
  std::ofstream(root + "/control/rcpthosts") << "bench.test\n";
  std::ofstream(root + "/control/queuesync") << queuesync << "\n";
  std::ofstream(root + "/policy/qmail-queue.policy") << slurp(QCELL_SOURCE_DIR "/policy/qmail-queue.policy");
  make_queue(root + "/queue");
  std::string log = root + "/broker.log";
  pid_t broker = ::fork();
  if (broker == 0) {
    int l = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    ::dup2(l, 1);
    ::dup2(l, 2);
    std::string policy = root + "/policy";
    ::execl(QCELL_BINARY_DIR "/bin/qcell", "qcell", "start", "--root", root.c_str(), "--policy-dir", policy.c_str(),
            "--bin-dir", QCELL_BINARY_DIR "/bin", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  for (int i = 0; i < 200 && slurp(log).find("ready max_bytes") == std::string::npos; ++i) {
    std::this_thread::sleep_for(50ms);
  }
  std::string socket_path = root + "/run/qmail-queue.sock";
  Clock::time_point start = Clock::now();
  bool ok = in_processes(workers, total, [&](int, int count) {
    for (int i = 0; i < count; ++i) {
      if (!inject_over_socket(socket_path)) return false;
    }
    return true;
  });
  double rate = total / seconds_since(start);
  ::kill(broker, SIGTERM);
  ::waitpid(broker, nullptr, 0);
  syncs = commit_totals(slurp(log)).second;
  return ok ? rate : 0;
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  std::size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (::geteuid() != 0) {
    std::fprintf(stderr, "bench_inject: run as root (it starts qcell)\n");
    return 100;
  }
  ::signal(SIGPIPE, SIG_IGN);
  int total = argc > 1 ? std::atoi(argv[1]) : 2000;
  int concurrency = argc > 2 ? std::atoi(argv[2]) : 1;
  std::string base = argc > 3 ? argv[3] : "/var/tmp";
  if (argc > 4) queuesync = argv[4];
  int rounds = argc > 5 ? std::atoi(argv[5]) : 3;
  if (total <= 0 || concurrency <= 0 || rounds <= 0 || rounds > 99) {
    std::fprintf(stderr, "bench_inject: MESSAGES, CONCURRENCY and ROUNDS (1..99) must be positive\n");
    return 100;
  }
  std::printf("%d messages of %zu bytes, %d at once, queuesync %s, %d rounds\n", total, message.size(), concurrency,
              queuesync.c_str(), rounds);
  // The three measurements take turns, round after round, so that a
  // machine whose disk speed drifts affects each alike; the medians and the
  // median of each round's ratio are the result.
  std::vector<double> disks, plains, walleds, plain_ratios, walled_ratios;
  bool ok = true;
  for (int round = 1; round <= rounds && ok; ++round) {
    std::string dir = base + "/qcell-bench-inject-XXXXXX";
    if (::mkdtemp(dir.data()) == nullptr || ::chmod(dir.c_str(), 0755) != 0) return 111;
    double disk = ceiling(dir + "/ceiling", total, concurrency);
    ::mkdir((dir + "/direct").c_str(), 0755);
    long direct_syncs = 0;
    double plain = direct(dir + "/direct", total, concurrency, direct_syncs);
    ::mkdir((dir + "/cell").c_str(), 0755);
    long cell_syncs = 0;
    double walled = in_cell(dir + "/cell", total, concurrency, cell_syncs);
    if (std::system(("rm -rf '" + dir + "'").c_str()) != 0) return 111;
    std::printf("round %d: ceiling %6.0f/s (2 syncs/message)  without walls %6.0f/s (%.2f syncs/message, %3.0f%%)  "
                "in its cell %6.0f/s (%.2f syncs/message, %3.0f%%)\n",
                round, disk, plain, static_cast<double>(direct_syncs) / total, 100 * plain / disk, walled,
                static_cast<double>(cell_syncs) / total, 100 * walled / disk);
    std::fflush(stdout);
    ok = disk > 0 && plain > 0 && walled > 0;
    disks.push_back(disk);
    plains.push_back(plain);
    walleds.push_back(walled);
    plain_ratios.push_back(plain / disk);
    walled_ratios.push_back(walled / disk);
  }
  if (!ok) return 111;
  std::printf("median: ceiling (create, write, fsync, rename, fsync dir) %.0f/s\n", median(disks));
  std::printf("median: the qmail-queue cell without walls              %.0f/s  %.0f%% of ceiling\n", median(plains),
              100 * median(plain_ratios));
  std::printf("median: qmail-queue in its cell, through the broker     %.0f/s  %.0f%% of ceiling\n", median(walleds),
              100 * median(walled_ratios));
  return 0;
}
