// broker_test.cc — `qcell start` as a real process: its structured log, the
// cells' log lines, restarts with back-off, a seccomp kill named by syscall,
// `qcell status`, a broken policy refused with its line number, and a clean
// stop on SIGTERM.
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/fd.h"
#include "free_port.h"
#include "queue_root.h"

namespace {

using namespace std::chrono_literals;

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// A root with control files and a policy directory holding long-lived
// variants of the test cell.
class BrokerRoot {
 public:
  BrokerRoot() {
    char pattern[] = "/tmp/qcell-broker-test-XXXXXX";
    if (::mkdtemp(pattern) == nullptr) std::abort();
    root_ = pattern;
    ::mkdir((root_ + "/control").c_str(), 0755);
    ::mkdir((root_ + "/policy").c_str(), 0755);
    std::ofstream(root_ + "/control/me") << "broker.test\n";
    std::ofstream(root_ + "/control/rcpthosts") << "broker.test\n";
  }
  ~BrokerRoot() {
    if (std::system(("rm -rf '" + root_ + "'").c_str()) != 0) std::fprintf(stderr, "cannot clean %s\n", root_.c_str());
  }
  // A long-lived copy of the shipped test-cell policy named `cell`, with `pause` allowed.
  void add_cell(const std::string& cell) {
    std::string text = slurp(QCELL_SOURCE_DIR "/policy/qcell-testcell.policy");
    std::size_t at = text.find("cell qcell-testcell\n");
    text.replace(at, 20, "cell " + cell + "\n");
    at = text.find("lifetime request");
    text.replace(at, 16, "lifetime long");
    text += "allow pause\n";
    std::ofstream(root_ + "/policy/" + cell + ".policy") << text;
  }
  // A requester: the test cell with a broker socket on descriptor 3 and the
  // syscalls the request protocol needs; `allowed` adds `request spawn-queue`.
  void add_requester(const std::string& cell, bool allowed) {
    add_cell(cell);
    std::string path = root_ + "/policy/" + cell + ".policy";
    std::string text = slurp(path);
    std::size_t at = text.find("fd 3 message");
    text.replace(at, 12, "fd 3 broker");
    text += "allow pipe2 sendmsg recvmsg poll ppoll clock_gettime\n";
    if (allowed) text += "request spawn-queue\n";
    std::ofstream(path) << text;
  }
  // The real qmail-queue cell, its policy as shipped, and a queue for it.
  void add_queue_cell() {
    std::ofstream(root_ + "/policy/qmail-queue.policy") << slurp(QCELL_SOURCE_DIR "/policy/qmail-queue.policy");
    make_queue(root_ + "/queue");
  }
  // A per-connection cell: the test cell holding only the connection, at 0.
  void add_connection_cell(const std::string& cell) {
    std::string text = slurp(QCELL_SOURCE_DIR "/policy/qcell-testcell.policy");
    std::size_t at = text.find("cell qcell-testcell\n");
    text.replace(at, 20, "cell " + cell + "\n");
    at = text.find("lifetime request");
    text.replace(at, 16, "lifetime connection");
    for (const char* line : {"fd 0 pipe-in", "fd 1 pipe-out", "fd 3 message"}) {
      at = text.find(line);
      text.replace(at, std::strlen(line), "");
    }
    text += "fd 0 connection\n";
    std::ofstream(root_ + "/policy/" + cell + ".policy") << text;
  }
  void write_policy(const std::string& name, const std::string& text) {
    std::ofstream(root_ + "/policy/" + name) << text;
  }
  const std::string& path() const { return root_; }

 private:
  std::string root_;
};

// `qcell COMMAND --root ...` with stdout and stderr captured in a pipe.
class QcellProcess {
 public:
  QcellProcess(const std::string& command, const BrokerRoot& root, const std::string& listen = "") {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) std::abort();
    out_.reset(fds[0]);
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(fds[1], 1);
      ::dup2(fds[1], 2);
      std::string policy_dir = root.path() + "/policy";
      std::vector<const char*> args = {"qcell",        command.c_str(),    "--root",    root.path().c_str(),
                                       "--policy-dir", policy_dir.c_str(), "--bin-dir", QCELL_BINARY_DIR "/bin"};
      if (!listen.empty()) {
        args.push_back("--listen");
        args.push_back(listen.c_str());
      }
      args.push_back(nullptr);
      ::execv(QCELL_BINARY_DIR "/bin/qcell", const_cast<char* const*>(args.data()));
      ::_exit(127);
    }
    ::close(fds[1]);
  }
  ~QcellProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  // Reads output until `needle` appears or the deadline passes; returns all output so far.
  std::string wait_for(const std::string& needle, std::chrono::milliseconds limit = 10s) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (output_.find(needle) == std::string::npos) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      struct pollfd p {
        out_.get(), POLLIN, 0
      };
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
      char buffer[4096];
      ssize_t n = ::read(out_.get(), buffer, sizeof buffer);
      if (n <= 0) break;
      output_.append(buffer, static_cast<std::size_t>(n));
    }
    return output_;
  }
  int stop(int sig) {
    ::kill(pid_, sig);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    wait_for("\x01never", 1s);  // collect what remains
    return status;
  }
  int wait_exit() {
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    wait_for("\x01never", 1s);
    return status;
  }
  const std::string& output() const { return output_; }

 private:
  pid_t pid_ = -1;
  qcell::UniqueFd out_;
  std::string output_;
};

std::string run_status(const BrokerRoot& root) {
  QcellProcess status("status", root);
  status.wait_exit();
  return status.output();
}

TEST(Broker, StartsCellsLogsTheirLinesAndStopsCleanly) {
  ASSERT_EQ(::geteuid(), 0u) << "the broker creates cells and must run as root (CI does)";
  BrokerRoot root;
  root.add_cell("testcell-idle");
  QcellProcess broker("start", root);
  std::string out = broker.wait_for("event=log cell=testcell-idle");
  EXPECT_NE(out.find("event=broker-start pid="), std::string::npos) << out;
  EXPECT_NE(out.find("walls=\"landlock=yes"), std::string::npos) << out;
  EXPECT_NE(out.find("event=cell-start cell=testcell-idle pid="), std::string::npos) << out;
  out = broker.wait_for("tab\\t.\"");
  EXPECT_NE(out.find("text=\"testcell testcell-idle started\""), std::string::npos) << out;
  EXPECT_NE(out.find("text=\"second line with \\\"quotes\\\" and a tab\\t.\""), std::string::npos) << out;

  std::string status = run_status(root);
  EXPECT_EQ(status.rfind("broker pid=", 0), 0u) << status;
  // The broker kept only what creating cells needs (src/qcell/privileges.h):
  // CAP_KILL(5) SETGID(6) SETUID(7) SETPCAP(8) SYS_CHROOT(18) SYS_ADMIN(21).
  std::string broker_pid = status.substr(11, status.find(' ', 11) - 11);
  std::string proc = slurp("/proc/" + broker_pid + "/status");
  const std::string kept = "00000000002401e0";
  for (const char* set : {"CapPrm:\t", "CapEff:\t", "CapBnd:\t"}) {
    EXPECT_NE(proc.find(std::string(set) + kept), std::string::npos) << set << "\n" << proc;
  }
  EXPECT_NE(proc.find("CapInh:\t0000000000000000"), std::string::npos) << proc;
  EXPECT_NE(proc.find("NoNewPrivs:\t1"), std::string::npos) << proc;
  EXPECT_NE(out.find("capabilities=cap_kill,cap_setgid,cap_setuid,cap_setpcap,cap_sys_chroot,cap_sys_admin"),
            std::string::npos)
      << out;
  EXPECT_NE(status.find(" cells=1 requested_cells=0\n"), std::string::npos) << status;
  EXPECT_NE(status.find("cell=testcell-idle state=running pid="), std::string::npos) << status;
  EXPECT_NE(status.find("restarts=0"), std::string::npos) << status;

  int exit_status = broker.stop(SIGTERM);
  ASSERT_TRUE(WIFEXITED(exit_status)) << broker.output();
  EXPECT_EQ(WEXITSTATUS(exit_status), 0);
  EXPECT_NE(broker.output().find("event=broker-stopping signal=SIGTERM"), std::string::npos) << broker.output();
  EXPECT_NE(broker.output().find("event=cell-exit cell=testcell-idle"), std::string::npos) << broker.output();
  EXPECT_NE(broker.output().find("event=broker-stop"), std::string::npos) << broker.output();
}

TEST(Broker, RestartsADeadCellWithBackoff) {
  BrokerRoot root;
  root.add_cell("testcell-exit");
  QcellProcess broker("start", root);
  std::string out = broker.wait_for("restarts=2");
  EXPECT_NE(out.find("event=cell-exit cell=testcell-exit pid="), std::string::npos) << out;
  EXPECT_NE(out.find("status=3"), std::string::npos) << out;
  EXPECT_NE(out.find("event=cell-restart-scheduled cell=testcell-exit delay_ms=1000"), std::string::npos) << out;
  out = broker.wait_for("delay_ms=2000", 15s);
  EXPECT_NE(out.find("event=cell-restart-scheduled cell=testcell-exit delay_ms=2000"), std::string::npos)
      << "the back-off doubles\n"
      << out;
  std::string status = run_status(root);
  EXPECT_NE(status.find("cell=testcell-exit"), std::string::npos) << status;
  EXPECT_NE(status.find("last_exit=\"status 3\""), std::string::npos) << status;
  broker.stop(SIGTERM);
}

TEST(Broker, NamesTheSyscallThatKilledACellAndKeepsTheOthersRunning) {
  BrokerRoot root;
  root.add_cell("testcell-forbidden");
  root.add_cell("testcell-idle");
  QcellProcess broker("start", root);
  std::string out = broker.wait_for("syscall=");
  EXPECT_NE(out.find("event=cell-exit cell=testcell-forbidden"), std::string::npos) << out;
  EXPECT_NE(out.find("signal=SIGSYS syscall=ptrace"), std::string::npos) << out;
  std::string status = run_status(root);
  EXPECT_NE(status.find("cell=testcell-idle state=running"), std::string::npos) << status;
  broker.stop(SIGTERM);
}

TEST(Broker, ABrokenPolicyIsRefusedWithItsLine) {
  BrokerRoot root;
  root.add_cell("testcell-idle");
  root.write_policy("broken.policy", "cell broken\nprogram qcell-testcell\nalow read\n");
  QcellProcess broker("start", root);
  int status = broker.wait_exit();
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 100);
  EXPECT_NE(broker.output().find("policy/broken.policy line 3: "), std::string::npos) << broker.output();
  EXPECT_EQ(broker.output().find("event=broker-start"), std::string::npos) << "nothing starts";
}

TEST(Broker, AnUnknownSyscallIsReportedByCheck) {
  BrokerRoot root;
  root.add_cell("testcell-idle");
  std::ofstream(root.path() + "/policy/testcell-idle.policy", std::ios::app) << "allow frobnicate\n";
  QcellProcess check("check", root);
  int status = check.wait_exit();
  EXPECT_EQ(WEXITSTATUS(status), 100);
  EXPECT_NE(check.output().find("unknown syscall 'frobnicate'"), std::string::npos) << check.output();
  EXPECT_NE(check.output().find("policy/testcell-idle.policy line "), std::string::npos) << check.output();
}

TEST(Broker, SandboxEscapingSyscallsAreNeverAllowed) {
  BrokerRoot root;
  root.add_cell("testcell-idle");
  std::ofstream(root.path() + "/policy/testcell-idle.policy", std::ios::app) << "allow unshare\nallow clone\n";
  QcellProcess check("check", root);
  EXPECT_EQ(WEXITSTATUS(check.wait_exit()), 100);
  EXPECT_NE(check.output().find("syscall 'unshare' is never allowed in a cell"), std::string::npos) << check.output();
  EXPECT_NE(check.output().find("clone must be restricted"), std::string::npos) << check.output();
}

// A cell's spawn-queue goes to the long-lived qmail-queue cell, which
// queues what the requester wrote into the pipes it passed.
TEST(Broker, AnAllowedSpawnQueueIsServedByTheQueueCell) {
  BrokerRoot root;
  root.add_requester("testcell-requester", true);
  root.add_queue_cell();
  QcellProcess broker("start", root);
  std::string out = broker.wait_for("reply finished");
  EXPECT_NE(out.find("text=\"request sent\""), std::string::npos) << out;
  EXPECT_NE(out.find("event=cell-start cell=qmail-queue pid="), std::string::npos) << out;
  EXPECT_NE(out.find("event=queue-job id=1 queue_pid="), std::string::npos) << out;
  EXPECT_NE(out.find(" from=testcell-requester uid="), std::string::npos) << out;
  EXPECT_NE(out.find("origin=user"), std::string::npos) << out;
  EXPECT_NE(out.find("text=\"reply started id=1\""), std::string::npos) << out;
  EXPECT_NE(out.find("text=\"reply finished id=1 status=0\""), std::string::npos) << out;
  EXPECT_EQ(count_files(root.path() + "/queue/todo"), 1u);
  broker.stop(SIGTERM);
}

TEST(Broker, ARequestThePolicyDoesNotAllowIsRefused) {
  BrokerRoot root;
  root.add_requester("testcell-requester", false);
  root.add_queue_cell();
  QcellProcess broker("start", root);
  std::string out = broker.wait_for("reply refused");
  EXPECT_NE(out.find("event=request-refused cell=testcell-requester"), std::string::npos) << out;
  EXPECT_NE(out.find("request=spawn-queue reason=not-allowed"), std::string::npos) << out;
  EXPECT_NE(out.find("text=\"reply refused reason=not-allowed\""), std::string::npos) << out;
  EXPECT_EQ(out.find("event=queue-job"), std::string::npos) << "nothing was handed to the queue\n" << out;
  broker.stop(SIGTERM);
}


// Sends a line on a connection and reads one line back (10 s at most).
std::string ask(int socket, const std::string& command) {
  std::string line = command + "\n";
  if (!qcell::write_full(socket, line).ok()) return "";
  std::string answer;
  for (;;) {
    struct pollfd p {
      socket, POLLIN, 0
    };
    if (::poll(&p, 1, 10000) <= 0) return answer;
    char c = 0;
    if (::read(socket, &c, 1) != 1 || c == '\n') return answer;
    answer += c;
  }
}

TEST(Broker, ListensAndGivesEachConnectionACellOfItsOwn) {
  BrokerRoot root;
  root.add_connection_cell("conn-testcell");
  int port = free_loopback_port();
  QcellProcess broker("start", root, "conn-testcell@127.0.0.1:" + std::to_string(port));
  std::string out = broker.wait_for("event=broker-start");
  ASSERT_NE(out.find("event=listen cell=conn-testcell address=127.0.0.1:" + std::to_string(port)), std::string::npos)
      << out;
  auto connect_to_broker = [port] {
    int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(s, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) std::abort();
    return s;
  };
  int first = connect_to_broker();
  int second = connect_to_broker();
  EXPECT_EQ(ask(first, "ping"), "ok pong");
  EXPECT_EQ(ask(second, "ping"), "ok pong");
  // Each connection's cell is sandboxed like any other.
  EXPECT_EQ(ask(first, "open /etc/passwd"), "errno " + std::to_string(ENOENT));
  EXPECT_EQ(ask(second, "listdir /proc"), "errno " + std::to_string(ENOENT));
  // The second cell's start line, which ends in " id=2" (not just "id=2":
  // "pid=20352" holds that too); the connection line comes before it.
  out = broker.wait_for(" id=2\n");
  EXPECT_NE(out.find("event=connection cell=conn-testcell id=1 remote=127.0.0.1:"), std::string::npos) << out;
  EXPECT_NE(out.find("event=cell-start cell=conn-testcell pid="), std::string::npos) << out;
  std::string status = run_status(root);
  EXPECT_NE(status.find("requested_cells=2"), std::string::npos) << status;
  // Both cells joined the kind's pre-created mount and network namespaces;
  // each has a pid namespace of its own.
  std::vector<std::string> pids;
  for (std::size_t at = out.find("event=cell-start cell=conn-testcell pid="); at != std::string::npos;
       at = out.find("event=cell-start cell=conn-testcell pid=", at + 1)) {
    std::size_t start = at + std::strlen("event=cell-start cell=conn-testcell pid=");
    pids.push_back(out.substr(start, out.find(' ', start) - start));
  }
  ASSERT_EQ(pids.size(), 2u) << out;
  auto ns = [](const std::string& pid, const char* name) {
    char target[128] = {};
    ssize_t n = ::readlink(("/proc/" + pid + "/ns/" + name).c_str(), target, sizeof target - 1);
    return n > 0 ? std::string(target, static_cast<std::size_t>(n)) : std::string("?") + pid;
  };
  EXPECT_EQ(ns(pids[0], "mnt"), ns(pids[1], "mnt"));
  EXPECT_EQ(ns(pids[0], "net"), ns(pids[1], "net"));
  EXPECT_NE(ns(pids[0], "net"), ns("self", "net"));
  EXPECT_NE(ns(pids[0], "pid"), ns(pids[1], "pid"));
  ::close(first);  // end of input: the cell exits
  out = broker.wait_for("event=cell-exit cell=conn-testcell");
  EXPECT_NE(out.find("event=cell-exit cell=conn-testcell"), std::string::npos) << out;
  EXPECT_EQ(out.find("event=cell-restart-scheduled cell=conn-testcell"), std::string::npos)
      << "a connection's cell is never restarted\n"
      << out;
  ::close(second);
  broker.stop(SIGTERM);
}

TEST(Broker, AConnectionCellWithoutListenIsRefused) {
  BrokerRoot root;
  root.add_connection_cell("conn-testcell");
  QcellProcess broker("start", root);
  int status = broker.wait_exit();
  EXPECT_EQ(WEXITSTATUS(status), 100);
  EXPECT_NE(
      broker.output().find("cell conn-testcell has `lifetime connection` but no --listen conn-testcell@ADDRESS:PORT"),
      std::string::npos)
      << broker.output();
}

TEST(Broker, StatusWithoutABrokerSaysSo) {
  BrokerRoot root;
  QcellProcess status("status", root);
  int code = status.wait_exit();
  EXPECT_EQ(WEXITSTATUS(code), 111);
  EXPECT_NE(status.output().find("qcell status: no broker answers on"), std::string::npos) << status.output();
}

}  // namespace
