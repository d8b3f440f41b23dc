// smtpd_tcpserver_test.cc — qmail-smtpd under ucspi-tcp's tcpserver, for
// administrators who keep their daemontools set-up: the same program, run
// by tcpserver as qmaild, reads its control files, confines itself, serves
// the connection on 0 and 1 and queues through the broker's injection
// socket; RELAYCLIENT comes from tcprules' cdb as with qmail. Runs as root.
#include <grp.h>
#include <sys/prctl.h>
#include <pwd.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "smtpd_broker.h"

namespace {

using namespace smtpd_test;

class SmtpdTcpserver : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(broker.start()) << broker.log();
    const std::string rules = broker.root() + "/tcp.rules";
    std::ofstream(rules) << "127.0.0.9:allow,RELAYCLIENT=\"\"\n:allow\n";
    const std::string cdb = broker.root() + "/tcp.cdb";
    ASSERT_EQ(std::system(("tcprules " + cdb + " " + cdb + ".tmp < " + rules).c_str()), 0);
    const passwd* qmaild = ::getpwnam("qmaild");
    const group* nofiles = ::getgrnam("nofiles");
    ASSERT_TRUE(qmaild != nullptr && nofiles != nullptr);
    // A port taken between pick_port and tcpserver's bind makes tcpserver
    // exit ("unable to bind"): try another, a bounded number of times.
    for (int attempt = 0; attempt < 5; ++attempt) {
      if (start_tcpserver(cdb, qmaild->pw_uid, nofiles->gr_gid)) return;
    }
    FAIL() << "tcpserver did not listen: " << log();
  }
  // Starts tcpserver on a fresh port; true once it accepts connections.
  bool start_tcpserver(const std::string& cdb, uid_t uid, gid_t gid) {
    port = pick_port();
    pid = ::fork();
    if (pid == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGTERM);  // tcpserver goes with the test
      const int log = ::open((broker.root() + "/tcpserver.log").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      ::dup2(log, 2);
      ::setenv("QCELL_ROOT", broker.root().c_str(), 1);
      const std::string uid_text = std::to_string(uid);
      const std::string gid_text = std::to_string(gid);
      const std::string port_text = std::to_string(port);
      ::execlp("tcpserver", "tcpserver", "-R", "-H", "-x", cdb.c_str(), "-u", uid_text.c_str(), "-g",
               gid_text.c_str(), "127.0.0.1", port_text.c_str(), QCELL_BINARY_DIR "/bin/qmail-smtpd",
               static_cast<char*>(nullptr));
      ::_exit(127);
    }
    for (int i = 0; i < 100; ++i) {
      int status = 0;
      if (::waitpid(pid, &status, WNOHANG) == pid) {  // tcpserver gave up (port taken)
        pid = -1;
        return false;
      }
      Client probe(port);
      if (probe.connected()) {
        (void)probe.command("QUIT");
        return true;
      }
      std::this_thread::sleep_for(50ms);
    }
    ::kill(pid, SIGTERM);
    ::waitpid(pid, nullptr, 0);
    pid = -1;
    return false;
  }
  void TearDown() override {
    if (pid > 0) {
      ::kill(pid, SIGTERM);
      int status = 0;
      ::waitpid(pid, &status, 0);
    }
  }
  std::string log() const { return slurp(broker.root() + "/tcpserver.log"); }

  SmtpdBroker broker;
  int port = 0;
  pid_t pid = -1;
};

TEST_F(SmtpdTcpserver, QueuesThroughTheBroker) {
  Client c(port);
  ASSERT_EQ(Client::first_line(c.reply()), "220 mx.test ESMTP") << log();
  EXPECT_EQ(c.command("EHLO tcpserver.example"), "250-mx.test");
  EXPECT_EQ(c.command("MAIL FROM:<a@sender.example>"), "250 2.1.0 Sender ok");
  EXPECT_EQ(c.command("RCPT TO:<b@example.org>"), "250 2.1.5 Recipient ok");
  EXPECT_EQ(c.command("RCPT TO:<far@elsewhere.example>"),
            "553 5.7.1 Sorry, that domain isn't in my list of allowed rcpthosts");
  EXPECT_EQ(c.command("DATA"), "354 End data with <CR><LF>.<CR><LF>");
  c.send("Subject: via tcpserver\r\n\r\nhello\r\n.\r\n");
  EXPECT_EQ(Client::first_line(c.reply()).substr(0, 23), "250 2.0.0 Ok: queued as") << log();
  // While the session is open: the process confined itself.
  std::string pids;
  FILE* pipe = ::popen(("pgrep -P " + std::to_string(pid) + " qmail-smtpd").c_str(), "r");
  char buffer[64] = {};
  while (pipe != nullptr && std::fgets(buffer, sizeof buffer, pipe) != nullptr) pids += buffer;
  if (pipe != nullptr) ::pclose(pipe);
  const pid_t child = static_cast<pid_t>(std::strtol(pids.c_str(), nullptr, 10));
  ASSERT_GT(child, 0);
  const std::string status = slurp("/proc/" + std::to_string(child) + "/status");
  EXPECT_NE(status.find("Seccomp:\t2"), std::string::npos) << status;
  EXPECT_NE(status.find("NoNewPrivs:\t1"), std::string::npos);
  EXPECT_EQ(c.command("QUIT"), "221 2.0.0 mx.test closing connection");
  EXPECT_EQ(broker.queued(), 1U);
  ASSERT_EQ(broker.messages().size(), 1U);
  EXPECT_NE(broker.messages().begin()->find("Received: from tcpserver.example (unknown [127.0.0.1])"),
            std::string::npos);
  EXPECT_NE(log().find("accepted id="), std::string::npos) << log();
}

TEST_F(SmtpdTcpserver, RelayClientFromTcprules) {
  Client c(port, "127.0.0.1", "127.0.0.9");
  ASSERT_EQ(Client::first_line(c.reply()), "220 mx.test ESMTP") << log();
  c.command("EHLO trusted.example");
  c.command("MAIL FROM:<a@mx.test>");
  EXPECT_EQ(c.command("RCPT TO:<far@elsewhere.example>"), "250 2.1.5 Recipient ok");
}

}  // namespace
