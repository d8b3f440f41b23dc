// smtpd_cell_test.cc — qmail-smtpd for real: `qcell start --listen` hands
// each TCP connection to a fresh qmail-smtpd cell, which queues through the
// qmail-queue cell. A raw client, Python's smtplib and swaks send mail; the
// cell's walls are read from /proc while a client holds it; relaying is
// refused by default; every SMTP smuggling variant is refused end to end;
// the timeout, the error limit and an endless command line close the
// connection with their replies. Runs as root (CI does).
#include <gtest/gtest.h>

#include <pwd.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "smtpd_broker.h"

namespace {

using namespace smtpd_test;
using namespace std::string_literals;

// The pid of the newest qmail-smtpd cell in the broker's log.
pid_t newest_smtpd_pid(const std::string& log) {
  pid_t pid = -1;
  std::size_t at = 0;
  const std::string marker = "event=cell-start cell=qmail-smtpd pid=";
  while ((at = log.find(marker, at)) != std::string::npos) {
    at += marker.size();
    pid = static_cast<pid_t>(std::strtol(log.c_str() + at, nullptr, 10));
  }
  return pid;
}

std::string link_of(const std::string& path) {
  char target[256] = {};
  const ssize_t n = ::readlink(path.c_str(), target, sizeof target - 1);
  return n > 0 ? std::string(target, static_cast<std::size_t>(n)) : std::string();
}

// Runs a shell command, returning its exit status and output.
std::pair<int, std::string> run(const std::string& command) {
  std::string output;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return {-1, ""};
  char buffer[4096];
  while (std::size_t n = std::fread(buffer, 1, sizeof buffer, pipe)) output.append(buffer, n);
  const int status = ::pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

class SmtpdCell : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(broker.start()) << broker.log(); }
  SmtpdBroker broker;
};

TEST_F(SmtpdCell, QueuesAMessageOnlyAfterTheQueueHasIt) {
  Client c(broker.port());
  ASSERT_TRUE(c.connected());
  EXPECT_EQ(Client::first_line(c.reply()), "220 mx.test ESMTP");
  EXPECT_EQ(c.command("EHLO client.example"), "250-mx.test");
  EXPECT_EQ(c.command("MAIL FROM:<alice@sender.example>"), "250 2.1.0 Sender ok");
  EXPECT_EQ(c.command("RCPT TO:<bob@example.org>"), "250 2.1.5 Recipient ok");
  EXPECT_EQ(c.command("DATA"), "354 End data with <CR><LF>.<CR><LF>");
  ASSERT_TRUE(c.send("Subject: hello\r\n\r\nbody line\r\n..stuffed\r\n.\r\n"));
  const std::string queued = Client::first_line(c.reply());
  EXPECT_EQ(queued.substr(0, 25), "250 2.0.0 Ok: queued as 2") << broker.log();
  EXPECT_EQ(broker.queued(), 1U);
  EXPECT_EQ(c.command("QUIT"), "221 2.0.0 mx.test closing connection");
  EXPECT_TRUE(c.closed_by_server());
  const std::set<std::string> messages = broker.messages();
  ASSERT_EQ(messages.size(), 1U);
  const std::string& message = *messages.begin();
  EXPECT_NE(message.find("Received: from client.example (unknown [127.0.0.1])\n\tby mx.test (qcell) with ESMTP;\n"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("\nSubject: hello\n\nbody line\n.stuffed\n"), std::string::npos) << message;
  EXPECT_FALSE(broker.wait_for("text=\"accepted id=2 from=alice@sender.example rcpts=1").empty());
  EXPECT_FALSE(broker.wait_for("cell=qmail-smtpd pid=").empty());
}

TEST_F(SmtpdCell, RunsInsideItsWalls) {
  Client c(broker.port());
  ASSERT_TRUE(c.connected());
  ASSERT_EQ(Client::first_line(c.reply()), "220 mx.test ESMTP");
  // A forked cell may greet before the broker has logged its pid.
  const pid_t pid = newest_smtpd_pid(broker.wait_for("event=cell-start cell=qmail-smtpd pid="));
  ASSERT_GT(pid, 0) << broker.log();
  const std::string status = slurp("/proc/" + std::to_string(pid) + "/status");
  EXPECT_NE(status.find("Seccomp:\t2"), std::string::npos) << status;
  EXPECT_NE(status.find("NoNewPrivs:\t1"), std::string::npos);
  EXPECT_NE(status.find("CapEff:\t0000000000000000"), std::string::npos);
  EXPECT_NE(status.find("CapPrm:\t0000000000000000"), std::string::npos);
  EXPECT_NE(status.find("CapBnd:\t0000000000000000"), std::string::npos);
  const passwd* qmaild = ::getpwnam("qmaild");
  ASSERT_NE(qmaild, nullptr);
  const std::string uid = std::to_string(qmaild->pw_uid);
  EXPECT_NE(status.find("Uid:\t" + uid + "\t" + uid + "\t" + uid + "\t" + uid), std::string::npos) << status;
  // Exactly its four descriptors: the log, the connection, the broker, the snapshot.
  std::vector<std::string> fds;
  const std::string fd_dir = "/proc/" + std::to_string(pid) + "/fd";
  if (DIR* d = ::opendir(fd_dir.c_str())) {
    while (dirent* e = ::readdir(d)) {
      if (e->d_name[0] != '.') fds.emplace_back(e->d_name);
    }
    ::closedir(d);
  }
  std::sort(fds.begin(), fds.end());
  EXPECT_EQ(fds, (std::vector<std::string>{"2", "3", "4", "5"}));
  EXPECT_EQ(link_of(fd_dir + "/3").substr(0, 8), "socket:[");
  EXPECT_EQ(link_of(fd_dir + "/5").substr(0, 20), "/memfd:qcell-control") << link_of(fd_dir + "/5");
  // Its root is empty: no filesystem view.
  EXPECT_EQ(run("ls -A /proc/" + std::to_string(pid) + "/root/").second, "");
  // Its network namespace is not the host's.
  EXPECT_NE(link_of("/proc/self/ns/net"), link_of("/proc/" + std::to_string(pid) + "/ns/net"));
  EXPECT_EQ(c.command("QUIT"), "221 2.0.0 mx.test closing connection");
}

TEST_F(SmtpdCell, OpenRelayIsImpossibleByDefault) {
  Client c(broker.port());
  ASSERT_EQ(Client::first_line(c.reply()), "220 mx.test ESMTP");
  c.command("EHLO outsider.example");
  EXPECT_EQ(c.command("MAIL FROM:<spam@outsider.example>"), "250 2.1.0 Sender ok");
  EXPECT_EQ(c.command("RCPT TO:<victim@elsewhere.example>"),
            "553 5.7.1 Sorry, that domain isn't in my list of allowed rcpthosts");
  // A source route through this host is discarded: the mailbox decides.
  EXPECT_EQ(c.command("RCPT TO:<@mx.test:victim@elsewhere.example>"),
            "553 5.7.1 Sorry, that domain isn't in my list of allowed rcpthosts");
  EXPECT_EQ(c.command("RCPT TO:<victim@ELSEWHERE.example>"),
            "553 5.7.1 Sorry, that domain isn't in my list of allowed rcpthosts");
  EXPECT_EQ(c.command("DATA"), "554 5.5.1 No valid recipients");
  EXPECT_EQ(broker.queued(), 0U);
  EXPECT_FALSE(broker.wait_for("refused why=relay_denied to=victim@elsewhere.example remote=127.0.0.1").empty());
}

// Every end-of-data variant of the 2023 SMTP smuggling attacks, whole and
// split across TCP segments: refused with 554 5.6.0, the connection closed,
// nothing queued.
TEST_F(SmtpdCell, SmugglingVariantsAreRefusedEndToEnd) {
  const std::vector<std::string> attacks = {
      "x\n.\nMAIL FROM:<e@vil.example>\r\n", "x\n.\r\nMAIL FROM:<e@vil.example>\r\n",
      "x\r\n.\nMAIL FROM:<e@vil.example>\r\n", "x\r.\rMAIL FROM:<e@vil.example>\r\n",
      "x\r\n.\rMAIL FROM:<e@vil.example>\r\n", "x\0\r\n.\r\n"s};
  for (const std::string& attack : attacks) {
    for (bool split : {false, true}) {
      Client c(broker.port());
      ASSERT_EQ(Client::first_line(c.reply()), "220 mx.test ESMTP");
      c.command("EHLO c.example");
      c.command("MAIL FROM:<a@sender.example>");
      c.command("RCPT TO:<b@example.org>");
      ASSERT_EQ(c.command("DATA"), "354 End data with <CR><LF>.<CR><LF>");
      if (split) {
        for (char byte : attack) {
          c.send(std::string(1, byte));
          std::this_thread::sleep_for(2ms);
        }
      } else {
        c.send(attack);
      }
      EXPECT_EQ(Client::first_line(c.reply()).substr(0, 9), "554 5.6.0") << attack;
      EXPECT_TRUE(c.closed_by_server()) << attack;
    }
  }
  EXPECT_EQ(broker.queued(), 0U);
}

TEST_F(SmtpdCell, GarbageMeetsTheErrorLimit) {
  Client c(broker.port());
  ASSERT_EQ(Client::first_line(c.reply()), "220 mx.test ESMTP");
  std::string batch;
  for (int i = 0; i < 20; ++i) batch += "GET / HTTP/1.0\r\n";
  c.send(batch);
  for (int i = 1; i < 10; ++i) EXPECT_EQ(Client::first_line(c.reply()), "500 5.5.1 Unrecognised command") << i;
  EXPECT_EQ(Client::first_line(c.reply()), "500 5.5.1 Unrecognised command");
  EXPECT_EQ(Client::first_line(c.reply()), "421 4.7.0 Too many errors, closing connection");
  EXPECT_TRUE(c.closed_by_server());
}

// A command line that never ends: 500 after 2 KiB and the connection is
// closed while the client is still sending; the cell never holds more.
TEST_F(SmtpdCell, EndlessCommandLineIsCutOff) {
  Client c(broker.port());
  ASSERT_EQ(Client::first_line(c.reply()), "220 mx.test ESMTP");
  const std::string chunk(1 << 16, 'A');
  std::uint64_t sent = 0;
  while (sent < (std::uint64_t{1} << 32) && c.send(chunk)) {
    sent += chunk.size();
    if (c.closed_by_server(0ms)) break;
  }
  EXPECT_LT(sent, std::uint64_t{64} << 20) << "the server kept reading";
  EXPECT_TRUE(c.closed_by_server());
  EXPECT_FALSE(broker.wait_for("close reason=line_too_long").empty()) << broker.log();
}

// control/tcp.smtp: RELAYCLIENT for one address, deny for another, the
// default for the rest; the variables reach the cell's environment.
TEST(SmtpdCellAccess, TcpRulesSetRelayClientAndDeny) {
  SmtpdBroker broker;
  broker.control("tcp.smtp", "127.0.0.3:allow,RELAYCLIENT=\"\"\n127.0.0.4:deny\n:allow\n");
  ASSERT_TRUE(broker.start()) << broker.log();
  EXPECT_FALSE(broker.wait_for("event=connection-policy tcp_rules=3 max_connections=1000 max_per_ip=50").empty());
  {
    Client relay(broker.port(), "127.0.0.1", "127.0.0.3");
    ASSERT_EQ(Client::first_line(relay.reply()), "220 mx.test ESMTP");
    relay.command("EHLO relay.example");
    relay.command("MAIL FROM:<a@mx.test>");
    EXPECT_EQ(relay.command("RCPT TO:<far@elsewhere.example>"), "250 2.1.5 Recipient ok");
  }
  {
    Client outsider(broker.port(), "127.0.0.1", "127.0.0.5");
    ASSERT_EQ(Client::first_line(outsider.reply()), "220 mx.test ESMTP");
    outsider.command("EHLO outsider.example");
    outsider.command("MAIL FROM:<a@outsider.example>");
    EXPECT_EQ(outsider.command("RCPT TO:<far@elsewhere.example>"),
              "553 5.7.1 Sorry, that domain isn't in my list of allowed rcpthosts");
  }
  Client denied(broker.port(), "127.0.0.1", "127.0.0.4");
  EXPECT_EQ(denied.reply(3s), "");
  EXPECT_TRUE(denied.closed_by_server());
  EXPECT_FALSE(broker.wait_for("event=connection-refused cell=qmail-smtpd remote=127.0.0.4:").empty());
  EXPECT_NE(broker.log().find("reason=denied line=2"), std::string::npos) << broker.log();
}

TEST(SmtpdCellAccess, BadTcpRulesStopTheBroker) {
  SmtpdBroker broker;
  broker.control("tcp.smtp", "=host.example:allow\n");
  EXPECT_FALSE(broker.start());
  // qcell start checks the installation first (qcell check) and stops.
  EXPECT_NE(broker.log().find("qcell check: control/tcp.smtp line 1: host-name rule (=name)"), std::string::npos)
      << broker.log();
}

// The per-address limit answers 421 while another address is served; the
// total limit likewise.
TEST(SmtpdCellAccess, ConnectionLimitsAnswer421) {
  SmtpdBroker broker;
  broker.control("smtpconnectionsperip", "2");
  broker.control("smtpconnections", "3");
  ASSERT_TRUE(broker.start()) << broker.log();
  Client first(broker.port(), "127.0.0.1", "127.0.0.6");
  Client second(broker.port(), "127.0.0.1", "127.0.0.6");
  ASSERT_EQ(Client::first_line(first.reply()), "220 mx.test ESMTP");
  ASSERT_EQ(Client::first_line(second.reply()), "220 mx.test ESMTP");
  Client third(broker.port(), "127.0.0.1", "127.0.0.6");
  EXPECT_EQ(Client::first_line(third.reply()), "421 4.7.0 Too many connections from your address, try again later");
  EXPECT_TRUE(third.closed_by_server());
  Client other(broker.port(), "127.0.0.1", "127.0.0.7");
  EXPECT_EQ(Client::first_line(other.reply()), "220 mx.test ESMTP");
  Client fourth(broker.port(), "127.0.0.1", "127.0.0.8");
  EXPECT_EQ(Client::first_line(fourth.reply()), "421 4.3.2 Too many connections, try again later");
  // Once one leaves, the address may connect again.
  EXPECT_EQ(first.command("QUIT"), "221 2.0.0 mx.test closing connection");
  EXPECT_TRUE(first.closed_by_server());
  EXPECT_FALSE(broker.wait_for("event=cell-exit cell=qmail-smtpd pid=").empty());
  Client again(broker.port(), "127.0.0.1", "127.0.0.6");
  EXPECT_EQ(Client::first_line(again.reply()), "220 mx.test ESMTP") << broker.log();
  EXPECT_FALSE(broker.wait_for("reason=too-many-from-address").empty());
  EXPECT_FALSE(broker.wait_for("reason=too-many-connections").empty());
}

TEST(SmtpdCellIpv6, ListensAndRecordsTheIpv6Client) {
  SmtpdBroker broker;
  ASSERT_TRUE(broker.start("[::1]")) << broker.log();
  const std::string script = R"(
import smtplib, sys
s = smtplib.SMTP('::1', int(sys.argv[1]), timeout=20)
assert s.sendmail('a@sender.example', ['b@example.org'], b'Subject: v6\r\n\r\nover IPv6\r\n') == {}
s.quit()
print('ok')
)";
  const std::string path = broker.root() + "/v6.py";
  std::ofstream(path) << script;
  auto [status, output] = run("python3 " + path + " " + std::to_string(broker.port()));
  EXPECT_EQ(status, 0) << output << broker.log();
  ASSERT_EQ(broker.messages().size(), 1U);
  EXPECT_NE(broker.messages().begin()->find("(unknown [IPv6:::1])"), std::string::npos) << *broker.messages().begin();
  EXPECT_FALSE(broker.wait_for("event=connection cell=qmail-smtpd id=").empty());
}

TEST(SmtpdCellTimeout, IdleClientGets421) {
  SmtpdBroker broker;
  broker.control("timeoutsmtpd", "1");
  ASSERT_TRUE(broker.start()) << broker.log();
  Client c(broker.port());
  ASSERT_EQ(Client::first_line(c.reply()), "220 mx.test ESMTP");
  const Clock::time_point begin = Clock::now();
  EXPECT_EQ(Client::first_line(c.reply(5s)), "421 4.4.2 Timeout waiting for the client, closing connection");
  EXPECT_GE(Clock::now() - begin, 900ms);
  EXPECT_TRUE(c.closed_by_server());
}

TEST_F(SmtpdCell, PythonSmtplibSendsPipelinedAnd8Bit) {
  const std::string script = R"(
import smtplib, sys
s = smtplib.SMTP('127.0.0.1', int(sys.argv[1]), timeout=20)
code, text = s.ehlo('smtplib.example')
assert code == 250 and b'PIPELINING' in text and b'8BITMIME' in text, text
refused = s.sendmail('sender@example.net', ['one@example.org', 'two@mx.test'],
                     'Subject: caf\u00e9\r\n\r\nna\u00efve body\r\n'.encode('utf-8'), mail_options=['BODY=8BITMIME'])
assert refused == {}, refused
try:
    s.sendmail('sender@example.net', ['far@elsewhere.example'], b'x\r\n')
    sys.exit('relayed')
except smtplib.SMTPRecipientsRefused as e:
    assert e.recipients['far@elsewhere.example'][0] == 553
s.quit()
print('ok')
)";
  const std::string path = broker.root() + "/client.py";
  std::ofstream(path) << script;
  auto [status, output] = run("python3 " + path + " " + std::to_string(broker.port()));
  EXPECT_EQ(status, 0) << output;
  EXPECT_EQ(output, "ok\n");
  EXPECT_EQ(broker.queued(), 1U);
  ASSERT_EQ(broker.messages().size(), 1U);
  EXPECT_NE(broker.messages().begin()->find("na\xC3\xAFve body"), std::string::npos);
}

TEST_F(SmtpdCell, SwaksPlainAndPipelined) {
  const std::string base = "swaks --server 127.0.0.1 --port " + std::to_string(broker.port()) +
                           " --from a@sender.example --to b@example.org --helo swaks.example --timeout 20";
  auto [plain, plain_output] = run(base + " --body 'plain body'");
  EXPECT_EQ(plain, 0) << plain_output;
  EXPECT_NE(plain_output.find("<-  250 2.0.0 Ok: queued as"), std::string::npos) << plain_output;
  auto [piped, piped_output] = run(base + " --pipeline --body 'pipelined body'");
  EXPECT_EQ(piped, 0) << piped_output;
  EXPECT_NE(piped_output.find("<-  250 2.0.0 Ok: queued as"), std::string::npos) << piped_output;
  const std::string eight_body = broker.root() + "/eight.txt";
  std::ofstream(eight_body) << "caf\xC3\xA9 8-bit body\n";
  auto [eight, eight_output] = run(base + " --body @" + eight_body + " --add-header 'Content-Transfer-Encoding: 8bit'");
  EXPECT_EQ(eight, 0) << eight_output;
  EXPECT_NE(eight_output.find("<-  250 2.0.0 Ok: queued as"), std::string::npos) << eight_output;
  auto [relay, relay_output] = run("swaks --server 127.0.0.1 --port " + std::to_string(broker.port()) +
                                   " --from a@sender.example --to far@elsewhere.example --timeout 20");
  EXPECT_NE(relay, 0) << relay_output;
  EXPECT_NE(relay_output.find("<** 553 5.7.1 Sorry, that domain isn't in my list of allowed rcpthosts"),
            std::string::npos)
      << relay_output;
  EXPECT_EQ(broker.queued(), 3U);
  bool eight_bit_found = false;
  for (const std::string& message : broker.messages()) {
    eight_bit_found |= message.find("caf\xC3\xA9 8-bit body") != std::string::npos;
  }
  EXPECT_TRUE(eight_bit_found);
}

TEST(SmtpdCellSize, SwaksOversizedMessageIsRefused) {
  SmtpdBroker broker;
  broker.control("databytes", "10000");
  ASSERT_TRUE(broker.start()) << broker.log();
  const std::string body = broker.root() + "/big.txt";
  std::ofstream(body) << std::string(20000, 'x') << "\n";
  auto [status, output] = run("swaks --server 127.0.0.1 --port " + std::to_string(broker.port()) +
                              " --from a@sender.example --to b@example.org --timeout 20 --body @" + body);
  EXPECT_NE(status, 0);
  EXPECT_NE(output.find("<** 552 5.3.4 message too big: more than 10000 bytes"), std::string::npos) << output;
  EXPECT_EQ(broker.queued(), 0U);
}

// STARTTLS and AUTH: a self-signed certificate made by openssl, a secret
// added with `qcell passwd`, real clients.
class SmtpdTls : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string control = broker.root() + "/control";
    auto [made, output] = run("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout " +
                              control + "/smtpkey.pem -out " + control +
                              "/smtpcert.pem -days 2 -subj /CN=mx.test");
    ASSERT_EQ(made, 0) << output;
    auto [added, added_output] =
        run("printf 'secret\\n' | " QCELL_BINARY_DIR "/bin/qcell passwd --root " + broker.root() + " joe");
    ASSERT_EQ(added, 0) << added_output;
    ASSERT_EQ(added_output, "qcell passwd: added joe\n");
    ASSERT_TRUE(broker.start()) << broker.log();
  }
  std::string swaks(const std::string& arguments) {
    return "swaks --server 127.0.0.1 --port " + std::to_string(broker.port()) + " --helo swaks.example --timeout 20 " +
           arguments;
  }
  SmtpdBroker broker;
};

TEST_F(SmtpdTls, OpensslStartTlsNegotiatesTls12OrLater) {
  // s_client sends what it reads on stdin after the handshake; the pauses
  // keep it from ending before the answers come.
  auto [status, output] = run("(sleep 1; printf 'EHLO s.example\\r\\n'; sleep 1; printf 'QUIT\\r\\n'; sleep 1) | "
                              "timeout 20 openssl s_client -starttls smtp -brief -nocommands -connect 127.0.0.1:" +
                              std::to_string(broker.port()));
  EXPECT_NE(output.find("Protocol version: TLSv1.3"), std::string::npos) << output;
  EXPECT_NE(output.find("250-AUTH PLAIN LOGIN"), std::string::npos) << output;
  EXPECT_NE(output.find("221 2.0.0 mx.test closing connection"), std::string::npos) << output;
  auto [old_status, old_output] = run("printf 'QUIT\\r\\n' | timeout 20 openssl s_client -starttls smtp -tls1_1 "
                                      "-connect 127.0.0.1:" + std::to_string(broker.port()));
  EXPECT_NE(old_status, 0) << old_output;
  EXPECT_FALSE(broker.wait_for("tls-failed error=").empty()) << broker.log();
}

TEST_F(SmtpdTls, SwaksTlsAuthPlainAndLoginMayRelay) {
  auto [plain, plain_output] = run(swaks("--tls --auth PLAIN --auth-user joe --auth-password secret "
                                         "--from joe@mx.test --to far@elsewhere.example"));
  EXPECT_EQ(plain, 0) << plain_output;
  EXPECT_NE(plain_output.find("<~  235 2.7.0 Authentication successful"), std::string::npos) << plain_output;
  auto [login, login_output] = run(swaks("--tls --auth LOGIN --auth-user joe --auth-password secret "
                                         "--from joe@mx.test --to far@elsewhere.example"));
  EXPECT_EQ(login, 0) << login_output;
  EXPECT_NE(login_output.find("<~  235 2.7.0 Authentication successful"), std::string::npos) << login_output;
  auto [wrong, wrong_output] = run(swaks("--tls --auth PLAIN --auth-user joe --auth-password nope "
                                         "--from joe@mx.test --to far@elsewhere.example"));
  EXPECT_NE(wrong, 0);
  EXPECT_NE(wrong_output.find("535 5.7.8 Authentication credentials invalid"), std::string::npos) << wrong_output;
  // Without TLS, AUTH is not offered and not accepted.
  auto [clear, clear_output] = run(swaks("--auth PLAIN --auth-user joe --auth-password secret "
                                         "--from joe@mx.test --to far@elsewhere.example"));
  EXPECT_NE(clear, 0);
  EXPECT_EQ(clear_output.find("250-AUTH"), std::string::npos) << clear_output;
  // Relay attempt with TLS but without AUTH.
  auto [relay, relay_output] = run(swaks("--tls --from joe@mx.test --to far@elsewhere.example"));
  EXPECT_NE(relay, 0);
  EXPECT_NE(relay_output.find("553 5.7.1"), std::string::npos) << relay_output;
  EXPECT_EQ(broker.queued(), 2U);
  const std::set<std::string> messages = broker.messages();
  for (const std::string& message : messages) {
    EXPECT_NE(message.find("with ESMTPSA (TLSv1.3 "), std::string::npos) << message;
    EXPECT_NE(message.find("\t(authenticated as joe);"), std::string::npos) << message;
  }
}

// CVE-2011-0411: commands sent in clear text after STARTTLS, in the same
// packet, must not be executed inside TLS.
TEST_F(SmtpdTls, CommandsInjectedBeforeTheHandshakeAreDiscarded) {
  const std::string script = R"(
import socket, ssl, sys
s = socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=20)
f = s.makefile('rb')
def reply():
    lines = []
    while True:
        line = f.readline()
        lines.append(line)
        if len(line) < 4 or line[3:4] == b' ':
            return b''.join(lines)
assert reply().startswith(b'220 ')
s.sendall(b'EHLO c.example\r\n'); assert b'STARTTLS' in reply()
s.sendall(b'STARTTLS\r\nEHLO injected.example\r\nMAIL FROM:<inject@evil.example>\r\n')
assert reply().startswith(b'220 2.0.0'), 'no 220'
context = ssl.create_default_context(); context.check_hostname = False; context.verify_mode = ssl.CERT_NONE
t = context.wrap_socket(s, server_hostname='mx.test')
g = t.makefile('rb')
t.sendall(b'MAIL FROM:<a@b.example>\r\n')
answer = g.readline()
print(answer.decode().strip())
t.sendall(b'QUIT\r\n'); print(g.readline().decode().strip())
)";
  const std::string path = broker.root() + "/inject.py";
  std::ofstream(path) << script;
  auto [status, output] = run("python3 " + path + " " + std::to_string(broker.port()));
  EXPECT_EQ(status, 0) << output;
  EXPECT_EQ(output, "503 5.5.1 Send EHLO or HELO first\n221 2.0.0 mx.test closing connection\n");
}

TEST_F(SmtpdTls, PythonSmtplibStartTlsAndLogin) {
  const std::string script = R"(
import smtplib, ssl, sys
context = ssl.create_default_context(); context.check_hostname = False; context.verify_mode = ssl.CERT_NONE
s = smtplib.SMTP('127.0.0.1', int(sys.argv[1]), timeout=20)
s.starttls(context=context)
s.login('joe', 'secret')
assert s.sendmail('joe@mx.test', ['far@elsewhere.example'], b'Subject: t\r\n\r\nvia tls\r\n') == {}
s.quit()
print('ok')
)";
  const std::string path = broker.root() + "/login.py";
  std::ofstream(path) << script;
  auto [status, output] = run("python3 " + path + " " + std::to_string(broker.port()));
  EXPECT_EQ(status, 0) << output;
  EXPECT_EQ(output, "ok\n");
  EXPECT_EQ(broker.queued(), 1U);
}

}  // namespace
