// local_cell_test.cc — the built bin/qmail-local program, run directly (not
// in a cell): the test sets up its descriptors 0..4 as the broker would
// (the message file, the report pipe, the log pipe, the home directory, and
// one end of a SOCK_SEQPACKET socket pair standing in for the broker
// channel) and its QCELL_* environment. On the socket pair the test answers
// a forward's spawn-queue with `started` and `finished`, using the broker
// protocol's own codec. Checks the descriptor check, the environment check,
// the report, the log line and the exit code end to end. Every test runs
// twice: as it is, and under the seccomp filter the broker compiles from
// policy/qmail-local.policy (installed before the exec, as the broker
// does), so the policy's allowlist is shown to be enough for each case.
#include <fcntl.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "core/broker_request.h"
#include "core/byte_buffer.h"
#include "core/command_job.h"
#include "core/fd.h"
#include "core/fd_passing.h"
#include "core/queue_exit.h"
#include "qcell/policies.h"
#include "sandbox/linux/seccomp_filter.h"
#include "../unit/test_files.h"

namespace qcell {
namespace {

const std::string qmail_local = QCELL_BINARY_DIR "/bin/qmail-local";
const std::string message_text = "Received: (qmail 1 invoked by uid 1000); 2 Dec 2025 18:26:39 -0000\n"
                                 "Subject: hi\n\nbody\n";

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}


std::vector<std::string> entries(const std::string& path) {
  std::vector<std::string> names;
  std::string listing;
  FILE* pipe = ::popen(("ls -A '" + path + "'").c_str(), "r");
  if (pipe == nullptr) return names;
  listing = drain(::fileno(pipe));
  ::pclose(pipe);
  std::istringstream lines(listing);
  for (std::string line; std::getline(lines, line);) names.push_back(line);
  return names;
}

struct Ran {
  int exit_code = -1;  // -1: killed by a signal
  std::string report;  // what it wrote on descriptor 1
  std::string log;     // what it wrote on descriptor 2
};

// The filter the broker would install for a delivery to nobody.
sandbox::BpfProgram shipped_filter() {
  auto files = load_policies(QCELL_SOURCE_DIR "/policy");
  EXPECT_TRUE(files.ok());
  if (!files) return {};
  for (const PolicyFile& f : *files) {
    if (f.policy.cell != "qmail-local") continue;
    Installation installation{QCELL_SOURCE_DIR "/policy", QCELL_BINARY_DIR "/bin", "/nonexistent", "/var/qmail"};
    auto spec = compile_recipient_policy(f.policy, installation, 65534, 65534, "/nonexistent");
    EXPECT_TRUE(spec.ok());
    if (!spec) return {};
    auto program = sandbox::compile_filter(spec->syscalls);
    EXPECT_TRUE(program.ok());
    return program ? std::move(program.value()) : sandbox::BpfProgram{};
  }
  ADD_FAILURE() << "no policy/qmail-local.policy";
  return {};
}

// What the stand-in broker does with the cell's requests.
using BrokerScript = std::function<void(int channel)>;

class LocalCell : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/qcell-local-it-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
    home_ = dir_ + "/home";
    ASSERT_EQ(::mkdir(home_.c_str(), 0755), 0);
    for (const char* sub : {"", "/tmp", "/new", "/cur"}) ASSERT_EQ(::mkdir((home_ + "/Maildir" + sub).c_str(), 0700), 0);
    std::ofstream(dir_ + "/message", std::ios::binary) << message_text;
    environment_ = {
        {"QCELL_CELL", "qmail-local"},       {"QCELL_USER", "alice"},        {"QCELL_HOME", home_},
        {"QCELL_LOCAL", "alice"},            {"QCELL_DASH", ""},             {"QCELL_EXT", ""},
        {"QCELL_HOST", "example.org"},       {"QCELL_SENDER", "bob@example.net"},
        {"QCELL_DEFAULT_DELIVERY", "./Maildir/\n"}, {"QCELL_HOSTNAME", "mx.example"},
    };
  }
  void TearDown() override { ASSERT_EQ(std::system(("rm -rf '" + dir_ + "'").c_str()), 0); }

  void write(const std::string& name, const std::string& text, mode_t mode = 0644) {
    std::ofstream(home_ + "/" + name, std::ios::binary) << text;
    ASSERT_EQ(::chmod((home_ + "/" + name).c_str(), mode), 0);
  }

  // Runs qmail-local with descriptors 0..4 as the broker places them,
  // or without descriptor `leave_out`, or with one more at `extra`.
  Ran run(const BrokerScript& broker = {}, int leave_out = -1, int extra = -1) {
    Ran ran;
    UniqueFd message(::open((dir_ + "/message").c_str(), O_RDONLY | O_CLOEXEC));
    auto home = open_directory(home_.c_str());
    int report[2];
    int log[2];
    int channel[2];
    EXPECT_EQ(::pipe2(report, O_CLOEXEC), 0);
    EXPECT_EQ(::pipe2(log, O_CLOEXEC), 0);
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, channel), 0);
    EXPECT_TRUE(message.valid());
    EXPECT_TRUE(home);
    const bool filtered = GetParam();
    sandbox::BpfProgram filter = filtered ? shipped_filter() : sandbox::BpfProgram{};
    UniqueFd program(::open(qmail_local.c_str(), O_RDONLY | O_CLOEXEC));
    EXPECT_TRUE(program.valid());
    const sock_fprog fprog = filter.fprog();
    std::vector<std::string> env_strings;
    for (const auto& [name, value] : environment_) env_strings.push_back(name + "=" + value);
    std::vector<char*> envp;
    for (std::string& entry : env_strings) envp.push_back(entry.data());
    envp.push_back(nullptr);
    const pid_t child = ::fork();
    if (child == 0) {
      // Move the grants above 10 first, so no dup2 overwrites another.
      const int sources[5] = {::fcntl(message.get(), F_DUPFD, 10), ::fcntl(report[1], F_DUPFD, 10),
                              ::fcntl(log[1], F_DUPFD, 10), ::fcntl(home->get(), F_DUPFD, 10),
                              ::fcntl(channel[1], F_DUPFD, 10)};
      for (int fd = 0; fd < 5; ++fd) {
        if (fd == leave_out) continue;
        if (::dup2(sources[fd], fd) != fd) ::_exit(90);
      }
      if (leave_out >= 0 && leave_out <= 4) ::close(leave_out);
      // The program at the broker's exec descriptor, close-on-exec.
      if (::dup2(program.get(), sandbox::exec_program_fd) != sandbox::exec_program_fd) ::_exit(90);
      if (::fcntl(sandbox::exec_program_fd, F_SETFD, FD_CLOEXEC) != 0) ::_exit(90);
      const unsigned last = sandbox::exec_program_fd - 1;
      if (extra > 5) {
        if (::dup2(sources[0], extra) != extra) ::_exit(90);
        ::close_range(5, static_cast<unsigned>(extra - 1), 0);
        ::close_range(static_cast<unsigned>(extra + 1), last, 0);
      } else {
        ::close_range(5, last, 0);
      }
      ::close_range(sandbox::exec_program_fd + 1, ~0U, 0);
      if (in_child_) in_child_();
      if (filtered) {
        if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) ::_exit(92);
        if (::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog) != 0) ::_exit(93);
      }
      char* argv[] = {const_cast<char*>("qmail-local"), const_cast<char*>("qmail-local"), nullptr};
      ::syscall(SYS_execveat, sandbox::exec_program_fd, "", argv, envp.data(), AT_EMPTY_PATH);
      ::syscall(SYS_exit_group, 91);
    }
    ::close(report[1]);
    ::close(log[1]);
    ::close(channel[1]);
    UniqueFd broker_end(channel[0]);
    if (broker) broker(broker_end.get());
    int status = 0;
    EXPECT_EQ(::waitpid(child, &status, 0), child);
    ran.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    EXPECT_FALSE(WIFSIGNALED(status)) << "killed by signal " << WTERMSIG(status)
                                      << (WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS ? " (SIGSYS: a syscall outside the policy)" : "");
    ran.report = drain(report[0]);
    ran.log = drain(log[0]);
    ::close(report[0]);
    ::close(log[0]);
    return ran;
  }

  std::string dir_;
  std::string home_;
  std::map<std::string, std::string> environment_;
  std::function<void()> in_child_;  // runs in the child just before exec
};

Deadline soon() { return std::chrono::steady_clock::now() + std::chrono::seconds(20); }

// A broker that takes one spawn-queue, answers `started` with `id`, reads
// the message and the envelope, and answers `finished` with `exit_code`.
struct QueueingBroker {
  std::uint64_t id = 42;
  int exit_code = 0;
  std::string message;
  std::string envelope;
  bool asked = false;
  void operator()(int channel) {
    auto request = receive_request(channel, soon());
    ASSERT_TRUE(request) << describe(request.error());
    ASSERT_TRUE(std::holds_alternative<SpawnQueue>(request->request));
    ASSERT_EQ(request->descriptors.size(), 2u);
    asked = true;
    ASSERT_TRUE(send_reply(channel, Started{id}, soon()));
    message = drain(request->descriptors[0].get());
    envelope = drain(request->descriptors[1].get());
    ExitStatus status;
    status.number = static_cast<std::uint8_t>(exit_code);
    ASSERT_TRUE(send_reply(channel, Finished{id, status}, soon()));
  }
};

TEST_P(LocalCell, DeliversToTheMaildirAndReportsDid) {
  Ran ran = run();
  EXPECT_EQ(ran.exit_code, 0) << ran.log;
  EXPECT_EQ(ran.report, "did 1+0+0\n");
  EXPECT_EQ(ran.log, "delivered recipient=alice@example.org dot_qmail=default did=1+0+0\n");
  auto names = entries(home_ + "/Maildir/new");
  ASSERT_EQ(names.size(), 1u);
  EXPECT_EQ(slurp(home_ + "/Maildir/new/" + names[0]),
            "Return-Path: <bob@example.net>\nDelivered-To: alice@example.org\n" + message_text);
  EXPECT_NE(names[0].find(".mx.example"), std::string::npos) << names[0];
  EXPECT_EQ(entries(home_ + "/Maildir/tmp").size(), 0u);
}

TEST_P(LocalCell, ForwardsGoThroughOneSpawnQueue) {
  write(".qmail", "&carol@example.com\ndave@example.net\n");
  QueueingBroker broker;
  Ran ran = run(std::ref(broker));
  EXPECT_EQ(ran.exit_code, 0) << ran.log;
  EXPECT_EQ(ran.report, "did 0+2+0\nqp 42\n");
  EXPECT_EQ(ran.log, "delivered recipient=alice@example.org dot_qmail=.qmail did=0+2+0 qp=42\n");
  EXPECT_EQ(broker.message, "Delivered-To: alice@example.org\n" + message_text);
  EXPECT_EQ(broker.envelope, std::string("Fbob@example.net\0Tcarol@example.com\0Tdave@example.net\0\0", 55));
}

TEST_P(LocalCell, AForwardTheQueueRefusesForGoodIsPermanent) {
  write(".qmail", "&carol@example.com\n");
  QueueingBroker broker;
  broker.exit_code = static_cast<int>(queue::Exit::refused_permanently);
  Ran ran = run(std::ref(broker));
  EXPECT_EQ(ran.exit_code, 100) << ran.log;
  EXPECT_EQ(ran.report,
            "Unable to forward message: " + std::string(queue::describe_exit(broker.exit_code).reply));
}

TEST_P(LocalCell, AForwardTheBrokerRefusesForNowIsTemporary) {
  write(".qmail", "&carol@example.com\n");
  Ran ran = run([](int channel) {
    auto request = receive_request(channel, soon());
    ASSERT_TRUE(request);
    ASSERT_TRUE(send_reply(channel, Refused{RefusalReason::busy, "too many injections"}, soon()));
  });
  EXPECT_EQ(ran.exit_code, 111) << ran.log;
  EXPECT_EQ(ran.report, "Unable to forward message: mail server temporarily rejected message (#4.3.0)");
}

TEST_P(LocalCell, ABrokerThatGoesAwayIsATemporaryFailure) {
  write(".qmail", "&carol@example.com\n");
  Ran ran = run([](int channel) { ::shutdown(channel, SHUT_RDWR); });
  EXPECT_EQ(ran.exit_code, 111) << ran.log;
  EXPECT_EQ(ran.report, "Unable to forward message: qq trouble making network connection (#4.3.0)");
  EXPECT_NE(ran.log.find("broker-channel-error step="), std::string::npos) << ran.log;
}

TEST_P(LocalCell, NoMailboxExits100) {
  environment_["QCELL_LOCAL"] = "alice-nobody";
  environment_["QCELL_DASH"] = "-";
  environment_["QCELL_EXT"] = "nobody";
  Ran ran = run();
  EXPECT_EQ(ran.exit_code, 100);
  EXPECT_EQ(ran.report, "Sorry, no mailbox here by that name. (#5.1.1)");
  EXPECT_EQ(ran.log, "failed recipient=alice-nobody@example.org status=permanent reason=\"Sorry, no mailbox here by "
                     "that name. (#5.1.1)\"\n");
}

// A broker that takes one spawn-command and plays the program: it reads
// the job from the sealed memory file and the message as the program's
// stdin would, writes `output` on the output pipe and ends with `status`.
struct CommandBroker {
  std::uint64_t id = 7;
  ExitStatus status;
  std::string output;
  std::optional<CommandJob> job;
  std::string input;
  void operator()(int channel) {
    auto request = receive_request(channel, soon());
    ASSERT_TRUE(request) << describe(request.error());
    ASSERT_TRUE(std::holds_alternative<SpawnCommand>(request->request));
    ASSERT_EQ(request->descriptors.size(), 3u);
    ASSERT_TRUE(send_reply(channel, Started{id}, soon()));
    std::string frame;
    std::array<char, 4096> buffer{};
    ASSERT_TRUE(pread_pieces(request->descriptors[2].get(), buffer, 1 << 20, [&](std::string_view piece) {
      frame += piece;
      return true;
    }));
    auto parsed = parse_command_job(as_bytes(std::string_view(frame)));
    ASSERT_TRUE(parsed) << describe(parsed.error());
    job = *parsed;
    input = drain(request->descriptors[0].get());  // from the shared offset: rewound to 0
    ASSERT_TRUE(write_full(request->descriptors[1].get(), output));
    request->descriptors[1].reset();
    ASSERT_TRUE(send_reply(channel, Finished{id, status}, soon()));
  }
};

TEST_P(LocalCell, AProgramRunsThroughSpawnCommand) {
  write(".qmail", "|preline procmail\n");
  CommandBroker broker;
  broker.output = "procmail: filed\n";
  Ran ran = run(std::ref(broker));
  EXPECT_EQ(ran.exit_code, 0) << ran.log;
  EXPECT_EQ(ran.report, "procmail: filed\ndid 0+0+1\n");
  ASSERT_TRUE(broker.job.has_value());
  EXPECT_EQ(broker.job->command, "preline procmail");
  EXPECT_NE(std::find(broker.job->environment.begin(), broker.job->environment.end(), "SENDER=bob@example.net"),
            broker.job->environment.end());
  EXPECT_EQ(broker.input, message_text);
}

TEST_P(LocalCell, AProgramThatExits100FailsForGoodWithItsOutput) {
  write(".qmail", "|vacation\n");
  CommandBroker broker;
  broker.status.number = 100;
  broker.output = "no such list\n";
  Ran ran = run(std::ref(broker));
  EXPECT_EQ(ran.exit_code, 100) << ran.log;
  EXPECT_EQ(ran.report, "no such list\n");
}

TEST_P(LocalCell, AMissingDescriptorStopsItBeforeAnything) {
  Ran ran = run({}, 4);
  EXPECT_EQ(ran.exit_code, 111);
  EXPECT_EQ(ran.report, "");
  EXPECT_EQ(ran.log, "start-failed error=\"descriptor 4 is not as the policy says\"\n");
  EXPECT_EQ(entries(home_ + "/Maildir/new").size(), 0u);
}

TEST_P(LocalCell, AnExtraDescriptorStopsItBeforeAnything) {
  Ran ran = run({}, -1, 7);
  EXPECT_EQ(ran.exit_code, 111);
  EXPECT_EQ(ran.report, "");
  EXPECT_EQ(ran.log, "start-failed error=\"descriptor 7 is not as the policy says\"\n");
  EXPECT_EQ(entries(home_ + "/Maildir/new").size(), 0u);
}

TEST_P(LocalCell, AMissingVariableStopsItBeforeAnything) {
  environment_.erase("QCELL_HOSTNAME");
  Ran ran = run();
  EXPECT_EQ(ran.exit_code, 111);
  EXPECT_EQ(ran.log, "start-failed error=\"QCELL_HOSTNAME is not set\"\n");
  EXPECT_EQ(ran.report, "qmail-local could not start: QCELL_HOSTNAME is not set. (#4.3.0)");
  EXPECT_EQ(entries(home_ + "/Maildir/new").size(), 0u);
}

TEST_P(LocalCell, AMalformedVariableStopsItBeforeAnything) {
  environment_["QCELL_DASH"] = "+";
  Ran ran = run();
  EXPECT_EQ(ran.exit_code, 111);
  EXPECT_EQ(ran.log, "start-failed error=\"QCELL_DASH is neither empty nor -\"\n");
  EXPECT_EQ(entries(home_ + "/Maildir/new").size(), 0u);
}

TEST_P(LocalCell, DeliversToAnMbox) {
  write(".qmail", "./Mailbox\n");
  Ran ran = run();
  EXPECT_EQ(ran.exit_code, 0) << ran.log;
  EXPECT_EQ(ran.report, "did 1+0+0\n");
  const std::string mbox = slurp(home_ + "/Mailbox");
  EXPECT_EQ(mbox.substr(0, 21), "From bob@example.net ");
  EXPECT_NE(mbox.find("\nReturn-Path: <bob@example.net>\nDelivered-To: alice@example.org\n" + message_text + "\n"),
            std::string::npos)
      << mbox;
}

// The dot lock of another mail program, removed after a moment: the
// delivery waits for it (clock_nanosleep between tries) and then appends.
TEST_P(LocalCell, WaitsForAnMboxLockToGo) {
  write(".qmail", "./Mailbox\n");
  write("Mailbox", "");
  write("Mailbox.lock", "");
  Ran ran = run([this](int) {
    ::usleep(300 * 1000);
    ::unlink((home_ + "/Mailbox.lock").c_str());
  });
  EXPECT_EQ(ran.exit_code, 0) << ran.log;
  EXPECT_EQ(ran.report, "did 1+0+0\n");
  EXPECT_NE(slurp(home_ + "/Mailbox").find(message_text), std::string::npos);
}

// A write that fails (the file size limit, as a quota would) truncates the
// mbox back to where the delivery began (lseek, ftruncate).
TEST_P(LocalCell, AFailedMboxWriteIsTruncatedBack) {
  const std::string before = "From x Tue Dec  2 18:26:40 2025\nSubject: old\n\nold\n\n";
  write(".qmail", "./Mailbox\n");
  write("Mailbox", before, 0600);
  in_child_ = [size = before.size()] {
    ::signal(SIGXFSZ, SIG_IGN);  // the write fails with EFBIG instead
    const rlimit limit{size + 40, size + 40};
    ::setrlimit(RLIMIT_FSIZE, &limit);
  };
  Ran ran = run();
  EXPECT_EQ(ran.exit_code, 111) << ran.log;
  EXPECT_EQ(ran.report, "Unable to write ./Mailbox: File too large. (#4.3.0)");
  EXPECT_EQ(slurp(home_ + "/Mailbox"), before);
}

TEST_P(LocalCell, AWritableHomeExits111) {
  ASSERT_EQ(::chmod(home_.c_str(), 0777), 0);
  Ran ran = run();
  EXPECT_EQ(ran.exit_code, 111);
  EXPECT_EQ(ran.report, "Uh-oh: home directory is writable. (#4.7.0)");
}

INSTANTIATE_TEST_SUITE_P(PlainAndFiltered, LocalCell, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& param) {
                           return param.param ? "UnderItsSeccompFilter" : "Plain";
                         });

}  // namespace
}  // namespace qcell
