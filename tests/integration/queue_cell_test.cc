// queue_cell_test.cc — qmail-queue for real. Through the broker: the
// front end (bin/qmail-queue) injects into the sandboxed queue cell; exit
// codes for malformed envelopes and limits; the cell's walls read from
// /proc; a killed cell; many injectors at once. Directly (the cell program
// driven by this test as its broker, no walls): a failure injected by strace
// into every system call of an injection in turn, and a full disk. After
// every outcome the queue holds the message completely (exit 0) or not at
// all (any other exit). Runs as root (CI does).
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/byte_buffer.h"
#include "core/fd.h"
#include "core/fd_passing.h"
#include "core/queue_job.h"
#include "confinement_trace.h"
#include "queue_root.h"

extern char** environ;

namespace {

using namespace std::chrono_literals;
using namespace std::string_literals;
using Clock = std::chrono::steady_clock;

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string temp_dir(const char* what) {
  std::string pattern = std::string("/tmp/qcell-") + what + "-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) std::abort();
  ::chmod(pattern.c_str(), 0755);
  return pattern;
}

void remove_tree(const std::string& path) {
  if (std::system(("rm -rf '" + path + "'").c_str()) != 0) std::fprintf(stderr, "cannot remove %s\n", path.c_str());
}

// Every regular file under the queue, relative to it, except lock/.
std::set<std::string> queue_files(const std::string& queue) {
  std::set<std::string> files;
  for (const char* dir : {"pid", "mess", "intd", "todo", "info", "local", "remote", "bounce"}) {
    std::string top = queue + "/" + dir;
    std::vector<std::string> pending = {top};
    while (!pending.empty()) {
      std::string d = pending.back();
      pending.pop_back();
      DIR* handle = ::opendir(d.c_str());
      if (handle == nullptr) continue;
      while (dirent* e = ::readdir(handle)) {
        std::string name = e->d_name;
        if (name == "." || name == "..") continue;
        if (e->d_type == DT_DIR) {
          pending.push_back(d + "/" + name);
        } else {
          files.insert((d + "/" + name).substr(queue.size() + 1));
        }
      }
      ::closedir(handle);
    }
  }
  return files;
}

std::size_t count_prefix(const std::set<std::string>& files, const std::string& prefix) {
  std::size_t n = 0;
  for (const std::string& f : files) n += f.rfind(prefix, 0) == 0 ? 1 : 0;
  return n;
}

// A file holding `bytes`, open for reading (for a program's fd 0 or 1).
qcell::UniqueFd file_with(const std::string& dir, const std::string& name, const std::string& bytes) {
  std::string path = dir + "/" + name;
  std::ofstream(path, std::ios::binary) << bytes;
  return qcell::UniqueFd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
}

// Runs bin/qmail-queue with the message on fd 0 and the envelope on fd 1;
// returns its exit code and what it wrote on stderr.
struct FrontEndResult {
  int code = -1;
  std::string stderr_text;
};

FrontEndResult run_front_end(const std::string& root, const std::string& scratch, const std::string& message,
                             const std::string& envelope, int message_fd = -1) {
  static int serial = 0;
  std::string tag = std::to_string(::getpid()) + "." + std::to_string(++serial);
  qcell::UniqueFd m = message_fd >= 0 ? qcell::UniqueFd() : file_with(scratch, "m" + tag, message);
  qcell::UniqueFd e = file_with(scratch, "e" + tag, envelope);
  std::string err_path = scratch + "/err" + tag;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, message_fd >= 0 ? message_fd : m.get(), 0);
  posix_spawn_file_actions_adddup2(&actions, e.get(), 1);
  posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  std::string env_root = "QCELL_ROOT=" + root;
  char* envp[] = {env_root.data(), nullptr};
  std::string program = QCELL_BINARY_DIR "/bin/qmail-queue";
  char* argv[] = {program.data(), nullptr};
  pid_t pid = -1;
  FrontEndResult result;
  if (posix_spawn(&pid, program.c_str(), &actions, nullptr, argv, envp) != 0) return result;
  posix_spawn_file_actions_destroy(&actions);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.stderr_text = slurp(err_path);
  ::unlink(err_path.c_str());
  ::unlink((scratch + "/m" + tag).c_str());
  ::unlink((scratch + "/e" + tag).c_str());
  return result;
}

// A qmail root with control files, the shipped qmail-queue policy, a queue,
// and `qcell start` running on it (log in ROOT/broker.log).
class QueueBroker {
 public:
  explicit QueueBroker(const std::string& databytes = "") {
    root_ = temp_dir("queue-broker");
    ::mkdir((root_ + "/control").c_str(), 0755);
    ::mkdir((root_ + "/policy").c_str(), 0755);
    ::mkdir((root_ + "/scratch").c_str(), 0755);
    std::ofstream(root_ + "/control/me") << "queue.test\n";
    std::ofstream(root_ + "/control/rcpthosts") << "queue.test\n";
    if (!databytes.empty()) std::ofstream(root_ + "/control/databytes") << databytes << "\n";
    std::ofstream(root_ + "/policy/qmail-queue.policy") << slurp(QCELL_SOURCE_DIR "/policy/qmail-queue.policy");
    make_queue(root_ + "/queue");
  }
  ~QueueBroker() {
    stop();
    remove_tree(root_);
  }
  // Writes control/NAME before the broker starts.
  void control(const std::string& name, const std::string& value) const {
    std::ofstream(root_ + "/control/" + name) << value << "\n";
  }
  // Starts `qcell start` and waits until a queue cell serves.
  void start() {
    launch();
    ASSERT_FALSE(wait_for("text=\"ready max_bytes=").empty()) << log();
  }
  // Starts `qcell start` only.
  void launch() {
    pid_ = ::fork();
    if (pid_ == 0) {
      int log = ::open((root_ + "/broker.log").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);
      ::dup2(log, 1);
      ::dup2(log, 2);
      std::string policy = root_ + "/policy";
      ::execl(QCELL_BINARY_DIR "/bin/qcell", "qcell", "start", "--root", root_.c_str(), "--policy-dir", policy.c_str(),
              "--bin-dir", QCELL_BINARY_DIR "/bin", static_cast<char*>(nullptr));
      ::_exit(127);
    }
  }
  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }
  std::string log() const { return slurp(root_ + "/broker.log"); }
  // The log once it holds `needle` (empty if it never does).
  std::string wait_for(const std::string& needle, std::chrono::milliseconds limit = 10s) const {
    Clock::time_point end = Clock::now() + limit;
    while (Clock::now() < end) {
      std::string text = log();
      if (text.find(needle) != std::string::npos) return text;
      std::this_thread::sleep_for(20ms);
    }
    return {};
  }
  // The pid of the running queue cell, from the newest cell-start line.
  pid_t queue_cell_pid() const {
    std::string text = log();
    std::size_t at = text.rfind("event=cell-start cell=qmail-queue pid=");
    if (at == std::string::npos) return -1;
    return static_cast<pid_t>(std::atol(text.c_str() + at + 38));
  }
  FrontEndResult inject(const std::string& message, const std::string& envelope, int message_fd = -1) const {
    return run_front_end(root_, root_ + "/scratch", message, envelope, message_fd);
  }
  const std::string& root() const { return root_; }
  std::string queue() const { return root_ + "/queue"; }

 private:
  std::string root_;
  pid_t pid_ = -1;
};

const std::string envelope_ok = "Fsender@queue.test\0Trcpt@queue.test\0\0"s;

TEST(QueueCell, InjectionLandsInTodo) {
  QueueBroker broker;
  broker.start();
  std::string message = "Subject: test\n\nline one\nline two\n";
  FrontEndResult r = broker.inject(message, "Fa@queue.test\0Tb@queue.test\0Tc@queue.test\0\0"s);
  ASSERT_EQ(r.code, 0) << r.stderr_text << broker.log();
  EXPECT_EQ(r.stderr_text, "");
  auto files = queue_files(broker.queue());
  ASSERT_EQ(count_prefix(files, "todo/"), 1u);
  ASSERT_EQ(count_prefix(files, "mess/"), 1u);
  ASSERT_EQ(count_prefix(files, "intd/"), 1u);
  EXPECT_EQ(files.size(), 3u);
  std::string todo = *std::find_if(files.begin(), files.end(), [](const std::string& f) { return f.rfind("todo/", 0) == 0; });
  std::string id = todo.substr(5);
  std::string mess = "mess/" + std::to_string(std::stoull(id) % 23) + "/" + id;
  EXPECT_TRUE(files.count(mess)) << mess;
  // mess/N has inode number N.
  struct stat st {};
  ASSERT_EQ(::stat((broker.queue() + "/" + mess).c_str(), &st), 0);
  EXPECT_EQ(std::to_string(st.st_ino), id);
  EXPECT_EQ(st.st_uid, ::getpwnam("qmailq")->pw_uid);
  // The message: one Received: line, then exactly the bytes given.
  std::string stored = slurp(broker.queue() + "/" + mess);
  std::size_t end = stored.find('\n');
  ASSERT_NE(end, std::string::npos);
  std::string received = stored.substr(0, end + 1);
  EXPECT_EQ(received.rfind("Received: (qmail ", 0), 0u) << received;
  EXPECT_NE(received.find(" invoked by uid 0); "), std::string::npos) << received;
  EXPECT_NE(received.find(" -0000\n"), std::string::npos) << received;
  EXPECT_EQ(stored.substr(end + 1), message);
  // The envelope: u, p, then the records without the final NUL.
  std::string record = slurp(broker.queue() + "/todo/" + id);
  std::string qp = received.substr(17, received.find(' ', 17) - 17);
  EXPECT_EQ(record, "u0\0p"s + qp + "\0Fa@queue.test\0Tb@queue.test\0Tc@queue.test\0"s);
  std::string log = broker.log();
  EXPECT_NE(log.find("event=queue-job id="), std::string::npos) << log;
  EXPECT_NE(log.find("text=\"queued=yes job="), std::string::npos) << log;
  // The default commit: one syncfs for the files and mess/ names, one fsync of todo/.
  EXPECT_NE(log.find("text=\"ready max_bytes=33619968 max_jobs=64 sync=syncfs filesystems=1\""), std::string::npos)
      << log;
  EXPECT_NE(log.find("text=\"commit messages=1 syncs=2\""), std::string::npos) << log;
}

// control/queuesync: fsync syncs each file and directory instead (the
// message, the envelope, its mess/ subdirectory, todo/); a value that is
// neither keeps the cell from starting, with a line that names the file.
TEST(QueueCell, QueuesyncFsyncSyncsEachFileAndAnUnknownValueIsRefused) {
  {
    QueueBroker broker;
    broker.control("queuesync", "fsync");
    broker.start();
    EXPECT_NE(broker.log().find(" sync=fsync filesystems=1\""), std::string::npos) << broker.log();
    ASSERT_EQ(broker.inject("Subject: fsync\n\n", envelope_ok).code, 0) << broker.log();
    EXPECT_FALSE(broker.wait_for("text=\"commit messages=1 syncs=4\"").empty()) << broker.log();
    EXPECT_EQ(count_prefix(queue_files(broker.queue()), "todo/"), 1u);
  }
  QueueBroker broker;
  broker.control("queuesync", "sometimes");
  broker.launch();
  std::string log = broker.wait_for("start-failed error=\\\"control/queuesync: not syncfs or fsync\\\"");
  EXPECT_FALSE(log.empty()) << broker.log();
  EXPECT_EQ(log.find("ready max_bytes="), std::string::npos) << log;
}

TEST(QueueCell, MalformedEnvelopesGetTheirExitCodeAndLeaveNothing) {
  QueueBroker broker;
  broker.start();
  struct Case {
    std::string envelope;
    int code;
    const char* what;
  };
  std::vector<Case> cases = {
      {"Fa@b\0Tc@d\0"s, 54, "missing final NUL"},
      {""s, 54, "empty envelope"},
      {"Fa@b\0T\0\0"s, 91, "empty recipient"},
      {"Fa@b\0Tc@d\0\0"s.insert(6, "\0"s), 91, "embedded NUL: an empty record"},
      {"Tc@d\0\0"s, 91, "no sender record"},
      {"Fa@b\0Xc@d\0\0"s, 91, "unknown record"},
      {"Fa\nb\0Tc@d\0\0"s, 91, "control byte"},
      {"F" + std::string(1000, 'a') + "\0Tc@d\0\0"s, 11, "1000-byte sender"},
      {"Fa@b\0T" + std::string(5000, 'c') + "\0\0"s, 11, "5000-byte recipient"},
      {"Fa@b\0\0"s, 14, "no recipients"},
  };
  std::string many = "Fa@b\0"s;
  for (int i = 0; i <= 10000; ++i) many += "Tr" + std::to_string(i) + "@queue.test\0"s;
  cases.push_back({many + "\0"s, 13, "10001 recipients"});
  for (const Case& c : cases) {
    FrontEndResult r = broker.inject("Subject: x\n\nbody\n", c.envelope);
    EXPECT_EQ(r.code, c.code) << c.what;
    EXPECT_TRUE(queue_files(broker.queue()).empty()) << c.what;
  }
  // 10000 recipients is still accepted.
  std::string limit = "Fa@b\0"s;
  for (int i = 0; i < 10000; ++i) limit += "Tr" + std::to_string(i) + "@queue.test\0"s;
  EXPECT_EQ(broker.inject("Subject: x\n\nbody\n", limit + "\0"s).code, 0);
}

TEST(QueueCell, DatabytesBoundsTheMessage) {
  QueueBroker broker("1000");  // limit: 1000 + 65536 bytes of header allowance
  broker.start();
  EXPECT_NE(broker.log().find("ready max_bytes=66536 "), std::string::npos) << broker.log();
  EXPECT_EQ(broker.inject(std::string(66536, 'x'), envelope_ok).code, 0);
  EXPECT_EQ(broker.inject(std::string(66537, 'x'), envelope_ok).code, 12);
  // Megabytes past the limit end the same way, and nothing is left of them.
  EXPECT_EQ(broker.inject(std::string(8 << 20, 'x'), envelope_ok).code, 12);
  auto files = queue_files(broker.queue());
  EXPECT_EQ(count_prefix(files, "todo/"), 1u);
  EXPECT_EQ(count_prefix(files, "mess/"), 1u);
  EXPECT_EQ(files.size(), 3u);
}

TEST(QueueCell, FrontEndWithoutBrokerSaysSoAndExits56) {
  QueueBroker broker;  // not started
  FrontEndResult r = broker.inject("x\n", envelope_ok);
  EXPECT_EQ(r.code, 56);
  EXPECT_EQ(r.stderr_text, "qmail-queue: cannot reach the qcell broker at " + broker.root() +
                               "/run/qmail-queue.sock: No such file or directory\n");
}

TEST(QueueCell, RunsUnderItsPolicy) {
  QueueBroker broker;
  broker.start();
  std::string log = broker.log();
  std::size_t starts = 0;
  for (std::size_t at = log.find("event=cell-start cell=qmail-queue "); at != std::string::npos;
       at = log.find("event=cell-start cell=qmail-queue ", at + 1)) {
    ++starts;
  }
  EXPECT_EQ(starts, 2u) << "limits::queue_cells\n" << log;
  pid_t cell = broker.queue_cell_pid();
  ASSERT_GT(cell, 0) << broker.log();
  std::string status = slurp("/proc/" + std::to_string(cell) + "/status");
  std::string uid = std::to_string(::getpwnam("qmailq")->pw_uid);
  EXPECT_NE(status.find("\nUid:\t" + uid + "\t" + uid + "\t" + uid + "\t" + uid + "\n"), std::string::npos) << status;
  EXPECT_NE(status.find("\nNoNewPrivs:\t1\n"), std::string::npos) << status;
  EXPECT_NE(status.find("\nSeccomp:\t2\n"), std::string::npos) << status;
  EXPECT_NE(status.find("\nCapEff:\t0000000000000000\n"), std::string::npos) << status;
  for (const char* ns : {"mnt", "net", "pid", "ipc", "uts"}) {
    char mine[64] = {}, its[64] = {};
    ASSERT_GT(::readlink((std::string("/proc/self/ns/") + ns).c_str(), mine, sizeof mine - 1), 0);
    ASSERT_GT(::readlink(("/proc/" + std::to_string(cell) + "/ns/" + ns).c_str(), its, sizeof its - 1), 0);
    EXPECT_STRNE(mine, its) << ns;
  }
  // Its four descriptors, and the 27 queue directories it opened beneath
  // descriptor 3 (pid, intd, todo, lock, mess/0..22): nothing of the broker's.
  std::size_t count = 0;
  DIR* dir = ::opendir(("/proc/" + std::to_string(cell) + "/fd").c_str());
  ASSERT_NE(dir, nullptr);
  while (dirent* e = ::readdir(dir)) {
    if (e->d_name[0] == '.') continue;
    ++count;
    std::string fd = e->d_name;
    struct stat st {};
    ASSERT_EQ(::stat(("/proc/" + std::to_string(cell) + "/fd/" + fd).c_str(), &st), 0) << fd;
    if (fd == "2") {
      EXPECT_TRUE(S_ISFIFO(st.st_mode)) << fd;
    } else if (fd == "4") {
      EXPECT_TRUE(S_ISSOCK(st.st_mode)) << fd;
    } else {
      EXPECT_TRUE(S_ISDIR(st.st_mode)) << fd;
    }
  }
  ::closedir(dir);
  EXPECT_EQ(count, 31u);
}

// The cell dies while an injector is still writing: the injector hears 81
// (temporary), nothing is queued, and the restarted cell takes the next.
TEST(QueueCell, AKilledCellFailsItsInjectionsAndIsRestarted) {
  QueueBroker broker;
  broker.start();
  int held[2];
  ASSERT_EQ(::pipe2(held, O_CLOEXEC), 0);
  ASSERT_EQ(::write(held[1], "Subject: half\n", 14), 14);
  FrontEndResult result;
  std::thread injector([&] { result = broker.inject("", envelope_ok, held[0]); });
  std::string log = broker.wait_for("event=queue-job id=1 ");
  ASSERT_FALSE(log.empty()) << broker.log();
  // The cell that holds it (the broker runs queue_cells of them).
  std::size_t at = log.find("queue_pid=", log.find("event=queue-job id=1 "));
  ASSERT_NE(at, std::string::npos) << log;
  pid_t cell = static_cast<pid_t>(std::atol(log.c_str() + at + 10));
  std::this_thread::sleep_for(200ms);
  ::kill(cell, SIGKILL);
  // The front end learns it when it next writes: the rest of the message.
  std::this_thread::sleep_for(200ms);
  ASSERT_EQ(::write(held[1], "\nrest\n", 6), 6);
  ::close(held[1]);
  injector.join();
  ::close(held[0]);
  EXPECT_EQ(result.code, 81) << broker.log();
  ASSERT_FALSE(broker.wait_for("restarts=1", 10s).empty()) << broker.log();
  EXPECT_NE(broker.log().find("event=queue-done id=1 status=81 error=\"the qmail-queue cell ended\""), std::string::npos)
      << broker.log();
  // The half-written message is not in todo/; its mess file may remain for fsck.
  EXPECT_EQ(count_prefix(queue_files(broker.queue()), "todo/"), 0u);
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(broker.inject("Subject: after\n\n", envelope_ok).code, 0) << broker.log();
}

// Runs a program from the build with `input` on its descriptor 0 and the
// given environment; its exit code and standard output.
std::pair<int, std::string> run_program(const std::vector<std::string>& args, const std::string& input,
                                        const std::vector<std::string>& env, const std::string& scratch) {
  std::string in_path = scratch + "/stdin", out_path = scratch + "/stdout";
  std::ofstream(in_path, std::ios::binary) << input;
  pid_t pid = ::fork();
  if (pid == 0) {
    int in = ::open(in_path.c_str(), O_RDONLY);
    int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(in, 0);
    ::dup2(out, 1);
    ::dup2(out, 2);
    std::vector<char*> argv, envp;
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    for (const std::string& e : env) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), slurp(out_path)};
}

// The issue's end to end: qmail-inject and `sendmail -t` queue through the
// broker and the cell, and `qcell queue list` lists both messages.
TEST(QueueCell, QmailInjectAndSendmailQueueWhatQcellQueueLists) {
  QueueBroker broker;
  broker.start();
  std::string bin = QCELL_BINARY_DIR "/bin/";
  std::vector<std::string> env = {"QCELL_ROOT=" + broker.root(), "QMAILQUEUE=" + bin + "qmail-queue",
                                  "QMAILUSER=alice", "QMAILHOST=queue.test", "PATH=/usr/bin:/bin"};
  auto injected = run_program({bin + "qmail-inject", "bob@queue.test"}, "Subject: one\n\nfirst\n", env,
                              broker.root() + "/scratch");
  EXPECT_EQ(injected.first, 0) << injected.second << broker.log();
  auto sent = run_program({bin + "sendmail", "-t", "-f", "list@queue.test"},
                          "To: carol@queue.test\nBcc: dave@queue.test\nSubject: two\n\nsecond\n", env,
                          broker.root() + "/scratch");
  EXPECT_EQ(sent.first, 0) << sent.second << broker.log();
  auto listed = run_program({bin + "qcell", "queue", "list", "--json", "--root", broker.root()}, "", env,
                            broker.root() + "/scratch");
  ASSERT_EQ(listed.first, 0) << listed.second;
  std::istringstream lines(listed.second);
  std::vector<std::string> messages;
  for (std::string line; std::getline(lines, line);) messages.push_back(line);
  ASSERT_EQ(messages.size(), 2u) << listed.second;
  std::string all = listed.second;
  EXPECT_NE(all.find("\"state\":\"todo\""), std::string::npos) << all;
  EXPECT_NE(all.find("\"sender\":\"alice@queue.test\""), std::string::npos) << all;
  EXPECT_NE(all.find("\"address\":\"bob@queue.test\""), std::string::npos) << all;
  EXPECT_NE(all.find("\"sender\":\"list@queue.test\""), std::string::npos) << all;
  EXPECT_NE(all.find("\"address\":\"carol@queue.test\""), std::string::npos) << all;
  EXPECT_NE(all.find("\"address\":\"dave@queue.test\""), std::string::npos) << all;
  // The Bcc: line itself is gone from the stored message.
  for (const std::string& f : queue_files(broker.queue())) {
    if (f.rfind("mess/", 0) == 0) {
      EXPECT_EQ(slurp(broker.queue() + "/" + f).find("Bcc:"), std::string::npos) << f;
    }
  }
}

// One local user (here `nobody`) holds at most 16 injections open; the
// 17th is refused at once with 71, and others can still inject.
TEST(QueueCell, OneUserCannotTakeEveryInjectionSlot) {
  QueueBroker broker;
  broker.start();
  const passwd* nobody = ::getpwnam("nobody");
  ASSERT_NE(nobody, nullptr);
  int held[2];
  ASSERT_EQ(::pipe(held), 0);  // never written: each injection waits on its message
  std::string envelope_path = broker.root() + "/scratch/envelope";
  std::ofstream(envelope_path, std::ios::binary) << envelope_ok;
  auto start_as_nobody = [&] {
    pid_t pid = ::fork();
    if (pid == 0) {
      int e = ::open(envelope_path.c_str(), O_RDONLY);
      ::dup2(held[0], 0);
      ::dup2(e, 1);
      if (::setgid(nobody->pw_gid) != 0 || ::setuid(nobody->pw_uid) != 0) ::_exit(120);
      std::string env_root = "QCELL_ROOT=" + broker.root();
      char* envp[] = {env_root.data(), nullptr};
      ::execle(QCELL_BINARY_DIR "/bin/qmail-queue", "qmail-queue", static_cast<char*>(nullptr), envp);
      ::_exit(127);
    }
    return pid;
  };
  std::vector<pid_t> waiting;
  for (int i = 0; i < 16; ++i) waiting.push_back(start_as_nobody());
  ASSERT_FALSE(broker.wait_for("event=queue-job id=16 ").empty()) << broker.log();
  pid_t extra = start_as_nobody();
  int status = 0;
  ::waitpid(extra, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 71) << status << broker.log();
  EXPECT_NE(broker.log().find("event=inject-refused uid=" + std::to_string(nobody->pw_uid)), std::string::npos);
  // Root is not limited, and the queue still takes its message.
  EXPECT_EQ(broker.inject("Subject: root\n\n", envelope_ok).code, 0);
  for (pid_t pid : waiting) ::kill(pid, SIGKILL);
  for (pid_t pid : waiting) ::waitpid(pid, nullptr, 0);
  ::close(held[0]);
  ::close(held[1]);
}

// Starts bin/qmail-queue (the front end) with its message read from the
// pipe `held` (it waits there until the write end is written or closed)
// and its envelope from `envelope_path`.
pid_t start_held_front_end(const std::string& root, const int held[2], const std::string& envelope_path) {
  pid_t pid = ::fork();
  if (pid == 0) {
    int e = ::open(envelope_path.c_str(), O_RDONLY);
    ::dup2(held[0], 0);
    ::dup2(e, 1);
    ::close(held[1]);
    std::string env_root = "QCELL_ROOT=" + root;
    char* envp[] = {env_root.data(), nullptr};
    ::execle(QCELL_BINARY_DIR "/bin/qmail-queue", "qmail-queue", static_cast<char*>(nullptr), envp);
    ::_exit(127);
  }
  return pid;
}

// The front end confines itself (policy/qmail-queue-front-end.policy) once
// connected to the broker, before it reads the message; confined, it still
// hands the message over, and /proc shows the walls while it waits.
TEST(QueueCell, TheFrontEndConfinesItselfBeforeReadingTheMessage) {
  QueueBroker broker;
  broker.start();
  std::string message_path = broker.root() + "/scratch/message", envelope_path = broker.root() + "/scratch/envelope";
  std::ofstream(message_path) << "Subject: confined\n\nbody\n";
  std::ofstream(envelope_path, std::ios::binary) << envelope_ok;
  qcell::testing::Traced traced =
      qcell::testing::run_traced({QCELL_BINARY_DIR "/bin/qmail-queue"}, {{"QCELL_ROOT", broker.root()}}, message_path,
                                 broker.root() + "/scratch/trace", envelope_path);
  EXPECT_EQ(traced.exit_code, 0) << traced.trace << broker.log();
  EXPECT_TRUE(qcell::testing::confined_before(traced.trace, "read(0,"));
  EXPECT_EQ(count_prefix(queue_files(broker.queue()), "todo/"), 1u);

  int held[2];
  ASSERT_EQ(::pipe(held), 0);
  pid_t pid = start_held_front_end(broker.root(), held, envelope_path);
  ::close(held[0]);
  EXPECT_TRUE(qcell::testing::wait_until_filtered(pid));
  EXPECT_TRUE(qcell::testing::shows_walls(pid));
  ::close(held[1]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

// queue_jobs_in_flight (64) per cell, queue_cells (2) cells: the broker
// fills one cell first (larger batches), the second takes the 65th to the
// 128th, and the 129th is refused as busy (exit 71) while every cell is
// full. Released, all 128 are queued.
TEST(QueueCell, InjectionsFillOneCellThenTheNextThenAreRefusedBusy) {
  QueueBroker broker;
  broker.start();
  ASSERT_FALSE(broker.wait_for("ready max_bytes=", 10s).empty());
  int held[2];
  ASSERT_EQ(::pipe(held), 0);  // each front end reads its message from here: nothing until it is closed
  std::string envelope_path = broker.root() + "/scratch/envelope";
  std::ofstream(envelope_path, std::ios::binary) << envelope_ok;
  auto start_front_end = [&] { return start_held_front_end(broker.root(), held, envelope_path); };
  constexpr int per_cell = 64, cells = 2;
  std::vector<pid_t> waiting;
  for (int i = 0; i < per_cell * cells; ++i) {
    waiting.push_back(start_front_end());
    // One at a time, so that the ids follow the order of the front ends.
    ASSERT_FALSE(broker.wait_for("event=queue-job id=" + std::to_string(i + 1) + " ").empty()) << broker.log();
  }
  pid_t extra = start_front_end();
  int status = 0;
  ::waitpid(extra, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 71) << status;
  std::string log = broker.log();
  EXPECT_NE(log.find("every queue cell holds 64 injections already"), std::string::npos) << log;
  // Which cell took each injection.
  std::map<long, int> per_pid;
  std::vector<long> order;
  for (std::size_t at = log.find("event=queue-job id="); at != std::string::npos;
       at = log.find("event=queue-job id=", at + 1)) {
    std::size_t q = log.find("queue_pid=", at);
    ASSERT_NE(q, std::string::npos);
    long pid = std::atol(log.c_str() + q + 10);
    ++per_pid[pid];
    order.push_back(pid);
  }
  ASSERT_EQ(order.size(), static_cast<std::size_t>(per_cell * cells));
  EXPECT_EQ(per_pid.size(), 2u);
  for (int i = 0; i < per_cell * cells; ++i) EXPECT_EQ(order[i], order[i < per_cell ? 0 : per_cell]) << i;
  EXPECT_NE(order[0], order[per_cell]);
  // Released: end of message for every front end; each is queued.
  ::close(held[1]);
  int queued = 0;
  for (pid_t pid : waiting) {
    ::waitpid(pid, &status, 0);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) ++queued;
  }
  ::close(held[0]);
  EXPECT_EQ(queued, per_cell * cells) << broker.log();
  EXPECT_EQ(count_prefix(queue_files(broker.queue()), "todo/"), static_cast<std::size_t>(per_cell * cells));
}

// Many injectors at once (16 processes): every message lands once, with its
// own id, and every todo entry has its message.
TEST(QueueCell, ConcurrentInjectionsAllLandOnce) {
  QueueBroker broker;
  broker.start();
  const int writers = 16;
  const int each = 500;
  std::vector<pid_t> children;
  for (int w = 0; w < writers; ++w) {
    pid_t pid = ::fork();
    if (pid == 0) {
      for (int i = 0; i < each; ++i) {
        std::string body = "Subject: " + std::to_string(w) + "-" + std::to_string(i) + "\n\nx\n";
        if (broker.inject(body, envelope_ok).code != 0) ::_exit(1);
      }
      ::_exit(0);
    }
    children.push_back(pid);
  }
  int failures = 0;
  for (pid_t pid : children) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    failures += WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
  }
  EXPECT_EQ(failures, 0) << broker.log().substr(0, 4000);
  auto files = queue_files(broker.queue());
  std::size_t total = static_cast<std::size_t>(writers * each);
  EXPECT_EQ(count_prefix(files, "todo/"), total);
  EXPECT_EQ(count_prefix(files, "mess/"), total);
  std::set<std::string> subjects;
  for (const std::string& f : files) {
    if (f.rfind("todo/", 0) != 0) continue;
    std::string id = f.substr(5);
    std::string stored = slurp(broker.queue() + "/mess/" + std::to_string(std::stoull(id) % 23) + "/" + id);
    std::size_t at = stored.find("Subject: ");
    ASSERT_NE(at, std::string::npos) << id;
    subjects.insert(stored.substr(at, stored.find('\n', at) - at));
  }
  EXPECT_EQ(subjects.size(), total) << "a message is missing or twice";
}

// --- the cell driven directly, with this test as its broker ----------------------

// The queue cell program, started with a queue of its own under `root`,
// optionally under a command prefix (strace). No walls: this exercises the
// queue logic against failures, the walls are tested above.
class DirectCell {
 public:
  DirectCell(const std::string& root, const std::vector<std::string>& prefix) {
    ::signal(SIGPIPE, SIG_IGN);  // a cell that died mid-injection: EPIPE, not death
    int pair[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) std::abort();
    channel_.reset(pair[0]);
    qcell::UniqueFd theirs(pair[1]);
    qcell::UniqueFd queue(::open((root + "/queue").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    qcell::UniqueFd control(::open((root + "/control").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    log_path_ = root + "/cell.log";
    qcell::UniqueFd log(::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
    std::vector<std::string> args = prefix;
    args.push_back(QCELL_BINARY_DIR "/bin/qmail-queue");
    args.push_back("qmail-queue");  // with QCELL_CELL, as the broker starts it: the cell role
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_ = ::fork();
    if (pid_ == 0) {
      // Park above the targets, then place: 2 log, 3 queue, 4 channel, 5 control.
      int l = ::fcntl(log.get(), F_DUPFD, 100), q = ::fcntl(queue.get(), F_DUPFD, 100);
      int c = ::fcntl(theirs.get(), F_DUPFD, 100), k = ::fcntl(control.get(), F_DUPFD, 100);
      ::dup2(l, 2);
      ::dup2(q, 3);
      ::dup2(c, 4);
      ::dup2(k, 5);
      ::close(0);
      ::close(1);
      ::close_range(6, ~0U, 0);
      char cell_env[] = "QCELL_CELL=qmail-queue";
      char* envp[] = {cell_env, nullptr};
      ::execve(argv[0], argv.data(), envp);
      ::_exit(127);
    }
  }
  ~DirectCell() { (void)finish(); }

  // One injection; the exit code, or -1 when no answer came (the cell died
  // or closed its channel).
  int inject(const std::string& message, const std::string& envelope) {
    int m[2], e[2];
    if (::pipe2(m, O_CLOEXEC) != 0 || ::pipe2(e, O_CLOEXEC) != 0) std::abort();
    qcell::UniqueFd m_read(m[0]), m_write(m[1]), e_read(e[0]), e_write(e[1]);
    qcell::ByteBuffer frame(qcell::queue_job_frame);
    if (!qcell::encode_queue_job(qcell::QueueJob{++id_, 0, 4242, qcell::QueueOrigin::user}, frame)) std::abort();
    int fds[] = {m_read.get(), e_read.get()};
    if (!qcell::send_frame(channel_.get(), frame.bytes(), fds, Clock::now() + 5s)) return -1;
    m_read.reset();
    e_read.reset();
    (void)qcell::write_full(m_write.get(), message);
    m_write.reset();
    (void)qcell::write_full(e_write.get(), envelope);
    e_write.reset();
    qcell::ByteBuffer answer(4096);
    auto got = qcell::receive_frame(channel_.get(), answer, 0, Clock::now() + 20s);
    if (!got) return -1;
    auto done = qcell::decode_queue_done(answer.bytes());
    if (!done || done->id != id_) return -2;
    return done->exit_code;
  }
  // Closes the channel and waits for the cell; its exit status.
  int finish() {
    channel_.reset();
    if (pid_ <= 0) return -1;
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
    return status;
  }
  std::string log() const { return slurp(log_path_); }

 private:
  qcell::UniqueFd channel_;
  pid_t pid_ = -1;
  std::uint64_t id_ = 0;
  std::string log_path_;
};

// A root for DirectCell: control files and a queue (owned by root: no walls
// here); control/queuesync when `queuesync` is not empty.
std::string direct_root(const std::string& base, const std::string& queuesync = "") {
  ::mkdir((base + "/control").c_str(), 0755);
  std::ofstream(base + "/control/me") << "queue.test\n";
  if (!queuesync.empty()) std::ofstream(base + "/control/queuesync") << queuesync << "\n";
  make_queue(base + "/queue");
  return base;
}

bool have_strace() { return ::access("/usr/bin/strace", X_OK) == 0; }

// Per syscall, how often the cell makes it while starting and serving one
// injection (strace -c).
std::map<std::string, int> syscall_counts(const std::string& root, const std::string& message) {
  std::string summary = root + "/strace-summary";
  {
    DirectCell cell(root, {"/usr/bin/strace", "-f", "-qq", "-c", "-o", summary});
    EXPECT_EQ(cell.inject(message, envelope_ok), 0) << cell.log();
  }
  std::map<std::string, int> counts;
  std::istringstream in(slurp(summary));
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::vector<std::string> w;
    for (std::string word; words >> word;) w.push_back(word);
    // "% time seconds usecs/call calls [errors] syscall"
    if (w.size() < 5 || w[0].find('.') == std::string::npos || w.back() == "total") continue;
    counts[w.back()] = std::atoi(w[3].c_str());
  }
  return counts;
}

// strace fails the Nth call of one syscall with EIO, for every syscall the
// injection makes (or those in `only`) and every N: the outcome is exit 0
// with the message fully queued, or another outcome with nothing in todo/,
// info/, mess/ or intd/.
void fault_sweep(const std::string& queuesync, const std::set<std::string>& only, int minimum_runs) {
  if (!have_strace()) GTEST_FAIL() << "strace is missing (scripts/setup installs it)";
  std::string base = temp_dir("queue-faults");
  const std::string message = "Subject: fault\n\n" + std::string(200000, 'x') + "\n";  // several reads and writes
  std::map<std::string, int> counts = syscall_counts(direct_root(base + "/", queuesync), message);
  remove_tree(base);
  ASSERT_GT(counts["fsync"], 0);
  ASSERT_GT(counts["linkat"], 0);
  int runs = 0, queued = 0;
  std::string outcomes;
  for (const auto& [name, count] : counts) {
    if (!only.empty() && !only.count(name)) continue;
    for (int n = 1; n <= count; ++n) {
      std::string dir = temp_dir("queue-fault");
      direct_root(dir, queuesync);
      int code = -3;
      std::string cell_log;
      {
        DirectCell cell(dir, {"/usr/bin/strace", "-f", "-qq", "-o", "/dev/null", "-e",
                              "inject=" + name + ":error=EIO:when=" + std::to_string(n)});
        code = cell.inject(message, envelope_ok);
        cell_log = cell.log();
      }
      auto files = queue_files(dir + "/queue");
      std::string where = name + " call " + std::to_string(n) + " -> " + std::to_string(code) + "\n" + cell_log;
      if (code == 0) {
        ++queued;
        ASSERT_EQ(count_prefix(files, "todo/"), 1u) << where;
        std::string id = std::find_if(files.begin(), files.end(), [](const std::string& f) {
                           return f.rfind("todo/", 0) == 0;
                         })->substr(5);
        std::string stored = slurp(dir + "/queue/mess/" + std::to_string(std::stoull(id) % 23) + "/" + id);
        ASSERT_EQ(stored.substr(stored.find('\n') + 1), message) << where;
      } else {
        EXPECT_EQ(count_prefix(files, "todo/"), 0u) << where;
        EXPECT_EQ(count_prefix(files, "info/"), 0u) << where;
        EXPECT_EQ(count_prefix(files, "mess/"), 0u) << where;
        EXPECT_EQ(count_prefix(files, "intd/"), 0u) << where;
      }
      remove_tree(dir);
      ++runs;
      if (code != 0) outcomes += " " + name + "#" + std::to_string(n) + "=" + std::to_string(code);
    }
  }
  std::printf("queuesync %s: fault runs: %d, queued despite the fault: %d; not queued:%s\n",
              queuesync.empty() ? "(default)" : queuesync.c_str(), runs, queued, outcomes.c_str());
  EXPECT_GE(runs, minimum_runs);
}

// The default (syncfs): every system call of start-up and one injection.
TEST(QueueCellFaults, AFailureAtEverySyscallLeavesAllOrNothing) {
  fault_sweep("", {}, 40);
}

// queuesync fsync differs only in how it syncs: every fsync (message,
// envelope, mess/ subdirectory, todo/) and sync_file_range call.
TEST(QueueCellFaults, WithQueuesyncFsyncAFailingSyncLeavesAllOrNothing) {
  fault_sweep("fsync", {"fsync", "sync_file_range"}, 6);
}

// A full disk: a 512 KiB tmpfs holding the queue. A message larger than the
// space fails with 53 and leaves nothing; a small one still goes in after.
TEST(QueueCellFaults, AFullDiskIsATemporaryFailureAndLeavesNothing) {
  std::string dir = temp_dir("queue-full");
  ASSERT_EQ(::mount("tmpfs", dir.c_str(), "tmpfs", 0, "size=512k,mode=0755"), 0) << std::strerror(errno);
  direct_root(dir);
  {
    DirectCell cell(dir, {});
    EXPECT_EQ(cell.inject(std::string(2 << 20, 'x'), envelope_ok), 53) << cell.log();
    EXPECT_TRUE(queue_files(dir + "/queue").empty());
    EXPECT_EQ(cell.inject("Subject: small\n\nfits\n", envelope_ok), 0) << cell.log();
    EXPECT_EQ(count_prefix(queue_files(dir + "/queue"), "todo/"), 1u);
  }
  ::umount2(dir.c_str(), MNT_DETACH);
  remove_tree(dir);
}

}  // namespace
