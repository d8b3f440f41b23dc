// queue_client_test.cc — QueueClient against small shell scripts standing in
// for qmail-queue: the exact bytes on descriptors 0 and 1, exit codes and
// their verdicts, a program that stops reading (EPIPE, with SIGPIPE neither
// killing us nor left pending), one killed by a signal, one that cannot be
// executed (qmail's 120), abort() leaving the envelope empty, and EINTR.
#include "core/queue_client.h"

#include <errno.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "core/byte_buffer.h"
#include "core/queue_exit.h"

namespace qcell {
namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// A temporary directory with a fake qmail-queue script in it.
class FakeQueue {
 public:
  // `body` runs after `#!/bin/sh`; $DIR is the directory.
  explicit FakeQueue(const std::string& body) {
    char pattern[] = "/tmp/qcell-queue-client-test-XXXXXX";
    if (::mkdtemp(pattern) == nullptr) std::abort();
    dir_ = pattern;
    program_ = dir_ + "/qmail-queue";
    std::ofstream(program_) << "#!/bin/sh\nDIR='" << dir_ << "'\n" << body << "\n";
    ::chmod(program_.c_str(), 0755);
  }
  ~FakeQueue() {
    if (std::system(("rm -rf '" + dir_ + "'").c_str()) != 0) std::fprintf(stderr, "cannot clean %s\n", dir_.c_str());
  }
  // Saves descriptor 0 then descriptor 1, then exits with `code`.
  static std::string saving(int code) {
    return "cat > \"$DIR/message\"\ncat <&1 > \"$DIR/envelope\"\nexit " + std::to_string(code);
  }
  [[nodiscard]] const std::string& program() const { return program_; }
  [[nodiscard]] std::string message() const { return slurp(dir_ + "/message"); }
  [[nodiscard]] std::string envelope() const { return slurp(dir_ + "/envelope"); }

 private:
  std::string dir_;
  std::string program_;
};

QueueEnvelope test_envelope() { return QueueEnvelope{"sender@example.com", {"a@example.org", "b@example.net"}}; }

bool sigpipe_pending() {
  sigset_t pending;
  sigemptyset(&pending);
  sigpending(&pending);
  return sigismember(&pending, SIGPIPE) == 1;
}

bool sigpipe_blocked() {
  sigset_t mask;
  sigemptyset(&mask);
  pthread_sigmask(SIG_BLOCK, nullptr, &mask);
  return sigismember(&mask, SIGPIPE) == 1;
}

TEST(QueueClient, EncodesTheEnvelope) {
  EXPECT_EQ(encode_envelope(test_envelope()),
            std::string("Fsender@example.com\0Ta@example.org\0Tb@example.net\0\0", 51));
  EXPECT_EQ(encode_envelope(QueueEnvelope{"", {}}), std::string("F\0\0", 3));
}

TEST(QueueClient, ProgramPath) {
  EXPECT_EQ(queue_program_path(std::nullopt, "/var/qmail"), "/var/qmail/bin/qmail-queue");
  EXPECT_EQ(queue_program_path(std::string_view(""), "/r"), "/r/bin/qmail-queue");
  EXPECT_EQ(queue_program_path(std::string_view("/opt/filter"), "/r"), "/opt/filter");
}

TEST(QueueClient, WritesMessageThenEnvelope) {
  FakeQueue queue(FakeQueue::saving(0));
  const std::string message = std::string("Subject: x\n\nbody with \0 byte\n", 30);
  auto outcome = run_queue(queue.program(), as_bytes(message), test_envelope());
  ASSERT_TRUE(outcome.ok()) << describe(outcome.error());
  EXPECT_EQ(outcome->kind, QueueOutcome::Kind::exited);
  EXPECT_EQ(outcome->exit_code, 0);
  EXPECT_FALSE(outcome->input_refused);
  EXPECT_TRUE(judge(*outcome).ok);
  EXPECT_EQ(queue.message(), message);
  EXPECT_EQ(queue.envelope(), encode_envelope(test_envelope()));
}

TEST(QueueClient, StreamsInPieces) {
  FakeQueue queue(FakeQueue::saving(0));
  auto client = QueueClient::start(queue.program());
  ASSERT_TRUE(client.ok());
  EXPECT_FALSE(client->exec_failed());
  std::string expected;
  for (int i = 0; i < 200; ++i) {
    const std::string piece = "line " + std::to_string(i) + " " + std::string(1000, 'x') + "\n";
    ASSERT_TRUE(client->write(piece).ok());
    expected += piece;
  }
  auto outcome = client->finish(test_envelope());
  ASSERT_TRUE(outcome.ok());
  EXPECT_EQ(outcome->exit_code, 0);
  EXPECT_EQ(queue.message(), expected);
  EXPECT_EQ(queue.envelope(), encode_envelope(test_envelope()));
}

TEST(QueueClient, ExitCodesAreJudgedByTheTable) {
  for (int code : {11, 12, 13, 14, 20, 31, 40, 51, 52, 53, 54, 55,  56,  61, 62,
                   63, 64, 65, 66, 71, 72, 73, 74, 81, 91, 99, 115, 120, 1,  255}) {
    FakeQueue queue(FakeQueue::saving(code));
    auto outcome = run_queue(queue.program(), as_bytes(std::string_view("x\n")), test_envelope());
    ASSERT_TRUE(outcome.ok()) << code;
    EXPECT_EQ(outcome->kind, QueueOutcome::Kind::exited);
    EXPECT_EQ(outcome->exit_code, code);
    const QueueVerdict verdict = judge(*outcome);
    const queue::ExitMeaning meaning = queue::describe_exit(code);
    EXPECT_FALSE(verdict.ok) << code;
    EXPECT_EQ(verdict.permanent, meaning.permanent) << code;
    EXPECT_EQ(verdict.reply, meaning.reply) << code;
  }
}

TEST(QueueClient, SomeRepliesExactly) {
  const auto reply_for = [](int code) {
    QueueOutcome outcome;
    outcome.exit_code = code;
    return std::string(judge(outcome).reply);
  };
  EXPECT_EQ(reply_for(11), "qq permanent problem: address too long (#5.1.3)");
  EXPECT_EQ(reply_for(53), "qq write error or disk full (#4.3.0)");
  EXPECT_EQ(reply_for(91), "qq internal bug (#4.3.0)");
  EXPECT_EQ(reply_for(115), "qq permanent problem: address too long (#5.1.3)");
  EXPECT_EQ(reply_for(25), "qq permanent problem (#5.3.0)");
  EXPECT_EQ(reply_for(99), "qq temporary problem (#4.3.0)");
  EXPECT_TRUE(judge(QueueOutcome{}).ok);
}

TEST(QueueClient, ProgramThatStopsReadingIsReportedNotFatal) {
  ASSERT_EQ(::signal(SIGPIPE, SIG_DFL), SIG_DFL);  // a SIGPIPE would kill this test
  FakeQueue queue("exec 0<&- 1>&-\nexit 53");
  const std::string message(4 * 1024 * 1024, 'm');  // far more than a pipe holds
  auto outcome = run_queue(queue.program(), as_bytes(message), test_envelope());
  ASSERT_TRUE(outcome.ok());
  EXPECT_EQ(outcome->kind, QueueOutcome::Kind::exited);
  EXPECT_EQ(outcome->exit_code, 53);
  EXPECT_TRUE(outcome->input_refused);
  EXPECT_EQ(judge(*outcome).reply, "qq write error or disk full (#4.3.0)");
  EXPECT_FALSE(judge(*outcome).permanent);
  EXPECT_FALSE(sigpipe_pending());
  EXPECT_FALSE(sigpipe_blocked());
}

TEST(QueueClient, ExitZeroWithoutReadingEverythingIsAReadError) {
  FakeQueue queue("exec 0<&- 1>&-\nexit 0");
  const std::string message(4 * 1024 * 1024, 'm');
  auto outcome = run_queue(queue.program(), as_bytes(message), test_envelope());
  ASSERT_TRUE(outcome.ok());
  EXPECT_EQ(outcome->exit_code, 0);
  EXPECT_TRUE(outcome->input_refused);
  const QueueVerdict verdict = judge(*outcome);
  EXPECT_FALSE(verdict.ok);
  EXPECT_FALSE(verdict.permanent);
  EXPECT_EQ(verdict.reply, "qq read error (#4.3.0)");
}

TEST(QueueClient, EnvelopeRefusedAfterTheMessage) {
  // Reads the message, then closes descriptor 1 without reading it.
  FakeQueue queue("cat > \"$DIR/message\"\nexec 1>&-\nsleep 0.2\nexit 91");
  QueueEnvelope big;
  big.sender = "s";
  for (int i = 0; i < 2000; ++i) big.recipients.push_back(std::string(100, 'r') + "@x");
  auto outcome = run_queue(queue.program(), as_bytes(std::string_view("m\n")), big);
  ASSERT_TRUE(outcome.ok());
  EXPECT_EQ(outcome->exit_code, 91);
  EXPECT_TRUE(outcome->input_refused);
  EXPECT_EQ(queue.message(), "m\n");
  EXPECT_FALSE(sigpipe_pending());
}

TEST(QueueClient, KilledBySignal) {
  FakeQueue queue("cat > /dev/null\nkill -TERM $$");
  auto outcome = run_queue(queue.program(), as_bytes(std::string_view("x")), test_envelope());
  ASSERT_TRUE(outcome.ok());
  EXPECT_EQ(outcome->kind, QueueOutcome::Kind::signaled);
  EXPECT_EQ(outcome->signal, SIGTERM);
  EXPECT_EQ(judge(*outcome).reply, "qq crashed (#4.3.0)");
  EXPECT_FALSE(judge(*outcome).permanent);
}

TEST(QueueClient, MissingProgramIsExitCode120) {
  auto client = QueueClient::start("/nonexistent/qcell/qmail-queue");
  ASSERT_TRUE(client.ok());
  EXPECT_TRUE(client->exec_failed());
  EXPECT_EQ(client->exec_errno(), ENOENT);
  EXPECT_TRUE(client->write(std::string_view("dropped")).ok());
  auto outcome = client->finish(test_envelope());
  ASSERT_TRUE(outcome.ok());
  EXPECT_EQ(outcome->kind, QueueOutcome::Kind::exec_failed);
  EXPECT_EQ(outcome->exit_code, 120);
  EXPECT_EQ(outcome->exec_errno, ENOENT);
  EXPECT_EQ(judge(*outcome).reply, "unable to exec qq (#4.3.0)");
  EXPECT_FALSE(judge(*outcome).permanent);
}

TEST(QueueClient, NonExecutableProgram) {
  FakeQueue queue("exit 0");
  ::chmod(queue.program().c_str(), 0644);
  auto outcome = run_queue(queue.program(), as_bytes(std::string_view("x")), test_envelope());
  ASSERT_TRUE(outcome.ok());
  EXPECT_EQ(outcome->kind, QueueOutcome::Kind::exec_failed);
  EXPECT_EQ(outcome->exec_errno, EACCES);
}

TEST(QueueClient, AbortSendsNoEnvelope) {
  FakeQueue queue(FakeQueue::saving(54));
  {
    auto client = QueueClient::start(queue.program());
    ASSERT_TRUE(client.ok());
    ASSERT_TRUE(client->write(std::string_view("partial")).ok());
    client->abort();
  }
  EXPECT_EQ(queue.message(), "partial");
  EXPECT_EQ(queue.envelope(), "");
}

TEST(QueueClient, DestructorAborts) {
  FakeQueue queue(FakeQueue::saving(0));
  {
    auto client = QueueClient::start(queue.program());
    ASSERT_TRUE(client.ok());
    ASSERT_TRUE(client->write(std::string_view("unfinished")).ok());
  }
  EXPECT_EQ(queue.message(), "unfinished");
  EXPECT_EQ(queue.envelope(), "");
}

TEST(QueueClient, ProgramGetsDefaultSigpipeEvenIfWeIgnoreIt) {
  // The caller ignores SIGPIPE (as qmail-inject does); the program must not
  // inherit that. /proc/self/status shows ignored signals as SigIgn.
  FakeQueue queue("grep SigIgn /proc/$$/status > \"$DIR/sigign\"\ncat > \"$DIR/message\"\ncat <&1 > \"$DIR/envelope\"");
  auto previous = ::signal(SIGPIPE, SIG_IGN);
  auto outcome = run_queue(queue.program(), as_bytes(std::string_view("x")), test_envelope());
  ::signal(SIGPIPE, previous);
  ASSERT_TRUE(outcome.ok());
  EXPECT_EQ(outcome->exit_code, 0);
  const std::string sigign = slurp(queue.program().substr(0, queue.program().rfind('/')) + "/sigign");
  ASSERT_GT(sigign.size(), 8u);
  const unsigned long long mask = std::strtoull(sigign.c_str() + 7, nullptr, 16);
  EXPECT_EQ(mask & (1ULL << (SIGPIPE - 1)), 0u) << sigign;
  EXPECT_EQ(queue.message(), "x");
}

TEST(QueueClient, WorksWhenOurDescriptorsZeroAndOneAreClosed) {
  // The pipes then get descriptors 0 and 1 first; they must be moved out of
  // the way before the program's 0 and 1 are set up.
  FakeQueue queue(FakeQueue::saving(0));
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(0);
    ::close(1);
    auto outcome = run_queue(queue.program(), as_bytes(std::string_view("closed stdio\n")), test_envelope());
    ::_exit(outcome.ok() && outcome->kind == QueueOutcome::Kind::exited && outcome->exit_code == 0 ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_EQ(queue.message(), "closed stdio\n");
  EXPECT_EQ(queue.envelope(), encode_envelope(test_envelope()));
}

volatile sig_atomic_t alarms = 0;
void count_alarm(int) { alarms = alarms + 1; }

TEST(QueueClient, SurvivesEintr) {
  struct sigaction action {};
  action.sa_handler = count_alarm;  // no SA_RESTART: blocking calls fail with EINTR
  sigemptyset(&action.sa_mask);
  struct sigaction previous {};
  ASSERT_EQ(::sigaction(SIGALRM, &action, &previous), 0);
  itimerval timer{};
  timer.it_interval.tv_usec = 5000;
  timer.it_value.tv_usec = 5000;
  ASSERT_EQ(::setitimer(ITIMER_REAL, &timer, nullptr), 0);

  FakeQueue queue("sleep 0.3\n" + FakeQueue::saving(0));
  const std::string message(1024 * 1024, 'e');
  auto outcome = run_queue(queue.program(), as_bytes(message), test_envelope());

  itimerval off{};
  ::setitimer(ITIMER_REAL, &off, nullptr);
  ::sigaction(SIGALRM, &previous, nullptr);
  ASSERT_TRUE(outcome.ok()) << describe(outcome.error());
  EXPECT_EQ(outcome->exit_code, 0);
  EXPECT_GT(alarms, 0);
  EXPECT_EQ(queue.message(), message);
  EXPECT_EQ(queue.envelope(), encode_envelope(test_envelope()));
}

TEST(QueueClient, DescribesOwnErrors) {
  EXPECT_EQ(describe(QueueClientError{QueueClientErrc::pipe_failed, EMFILE}),
            "unable to create pipes for qmail-queue: Too many open files");
  EXPECT_EQ(describe(QueueClientError{QueueClientErrc::spawn_failed, 0}), "unable to start a process for qmail-queue");
  EXPECT_EQ(describe(QueueClientError{QueueClientErrc::wait_failed, ECHILD}),
            "unable to wait for qmail-queue: No child processes");
}

}  // namespace
}  // namespace qcell
