// remote_test.cc — remote delivery end to end (docs/remote.md): a message
// accepted by qcell's qmail-smtpd, scheduled by qmail-send and delivered
// by a qmail-remote cell, routed by a DNS server of the test's own (NSD on
// a loopback port, control/dnsservers) to real receiving servers on
// loopback: Postfix's smtp-sink (accepting, or answering 4xx/5xx, or
// stalling), a Postfix that delivers to a Maildir (with STARTTLS from a
// test CA), and a second qcell. Nothing leaves 127.0.0.0/8.
//
// Each test has its own block of loopback addresses (127.88.N.x, N from
// the test's place in `test_names`), so that the tests, which bind port 25
// there, can run in parallel.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "core/fd.h"
#include "delivery_root.h"
#include "remote_peers.h"

namespace {

using namespace delivery_test;
using namespace std::chrono_literals;
using remote_peers::DnsServer;
using remote_peers::PostfixPeer;
using remote_peers::SmtpSink;
using remote_peers::TestCa;

constexpr const char* test_names[] = {
    "DeliversToTheBestMx",
    "FallsBackToTheNextMxWhenTheFirstRefuses",
    "FallsBackToTheAddressWithoutMx",
    "NullMxBouncesAtOnce",
    "SmtproutesOverridesMx",
    "TemporaryFailureIsRetriedThenDelivered",
    "PermanentFailureBouncesWithTheServersText",
    "StarttlsVerifiedWithTheTestCaToPostfix",
    "TlsRequiredButNotOfferedIsDeferredNeverPlaintext",
    "StallingServerTimesOutAndIsRetried",
    "MailToOurselvesIsRefused",
    "RelaysForAnAuthenticatedClient",
    "DeliversToAnotherQcell",
    "CnameToADomainWithMx",
    "VerificationFailsAgainstAnotherCa",
    "FallsBackToHeloForAServerWithoutEsmtp",
    "DisconnectAfterTheFinalDotIsAPossibleDuplicate",
    "GarbageReplyIsDeferred",
    "MessageLargerThanTheServersSizeBounces",
    "OpportunisticTlsWithPostfix",
};

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

class Remote : public Delivery {
 protected:
  Remote() : Delivery(std::vector<std::string>{"qmail-remote"}) {
    const std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    auto found = std::find(std::begin(test_names), std::end(test_names), name);
    block_ = static_cast<int>(found - std::begin(test_names)) + 1;
    if (found == std::end(test_names)) std::abort();  // every test has its block
  }
  void SetUp() override {}  // each test calls begin() once its peers run

  // An address of this test's block.
  std::string ip(int host) const { return "127.88." + std::to_string(block_) + "." + std::to_string(host); }

  // `records` of the zone relay.test, with {1}..{9} standing for ip(1)..ip(9).
  std::string with_addresses(std::string text) const {
    for (int n = 1; n <= 9; ++n) {
      const std::string mark = "{" + std::to_string(n) + "}";
      for (std::size_t at = text.find(mark); at != std::string::npos; at = text.find(mark)) {
        text.replace(at, mark.size(), ip(n));
      }
    }
    return text;
  }

  // Starts the DNS server with relay.test's `records`, then qcell with
  // `controls` besides the fixture's.
  void begin(const std::string& records, std::map<std::string, std::string> controls = {}) {
    dns_.zone("relay.test", with_addresses(records));
    ASSERT_TRUE(dns_.start()) << dns_.log();
    controls_ = std::move(controls);
    Delivery::SetUp();
  }
  void configure() override {
    // Relaying to *.test is open in these tests (RelaysForAnAuthenticatedClient sets its own).
    broker_.control("rcpthosts", "mx.test\n.test\nrelay.test");
    broker_.control("dnsservers", dns_.servers_csv());
    broker_.control("timeoutconnect", "5");
    for (const auto& [name, value] : controls_) broker_.control(name, value);
    if (before_start_) before_start_();
  }

  // alice@mx.test sends to `to` through qmail-smtpd.
  void send_to(const std::string& to, const std::string& subject = "remote") {
    const std::string data = "From: alice@mx.test\r\nTo: " + to + "\r\nSubject: " + subject +
                             "\r\n\r\nline one\r\n..a dot-stuffed line\r\n";
    ASSERT_TRUE(send("alice@mx.test", {to}, data)) << broker_.log();
  }

  // Waits for a `delivery` line of qmail-remote's that holds `text`.
  bool log_shows(const std::string& text, std::chrono::milliseconds limit = 20s) const {
    const auto end = Clock::now() + limit;
    while (Clock::now() < end) {
      if (broker_.log().find(text) != std::string::npos) return true;
      std::this_thread::sleep_for(50ms);
    }
    return false;
  }

  // The bounces alice has received (her Maildir), waited for.
  std::string bounce_text(std::chrono::milliseconds limit = 20s) {
    auto files = wait_for_mail(home_ + "/Maildir", 1, limit);
    return files.empty() ? std::string() : slurp(files.front());
  }

  void flush() { ASSERT_EQ(::kill(send_pid(), SIGALRM), 0); }

  int block_ = 0;
  std::function<void()> before_start_;  // last of configure(): files the broker reads at start
  DnsServer dns_;
  std::map<std::string, std::string> controls_;
};

TEST_F(Remote, DeliversToTheBestMx) {
  SmtpSink first({.address = ip(1), .port = 25, .hostname = "mx1.relay.test"});
  SmtpSink second({.address = ip(2), .port = 25, .hostname = "mx2.relay.test"});
  ASSERT_TRUE(first.start()) << first.log();
  ASSERT_TRUE(second.start()) << second.log();
  begin("@ MX 20 mx2\n@ MX 10 mx1\nmx1 A {1}\nmx2 A {2}\n");
  send_to("carol@relay.test");
  auto got = first.wait_for_messages(1, 20s);
  ASSERT_EQ(got.size(), 1U) << broker_.log();
  EXPECT_EQ(got[0].mail_args.substr(0, 15), "<alice@mx.test>");
  EXPECT_EQ(got[0].rcpt_args, std::vector<std::string>{"<carol@relay.test>"});
  EXPECT_EQ(got[0].helo_args, "mx.test");
  EXPECT_NE(got[0].content.find("\n.a dot-stuffed line\n"), std::string::npos) << got[0].content;
  EXPECT_TRUE(second.messages().empty());
  EXPECT_TRUE(log_shows("result=success")) << broker_.log();
  EXPECT_TRUE(queue_empties(10s)) << broker_.log();
  EXPECT_NE(broker_.log().find("ip=" + ip(1) + " port=25 tls=none"), std::string::npos) << broker_.log();
}

TEST_F(Remote, FallsBackToTheNextMxWhenTheFirstRefuses) {
  // Nothing listens on mx1's address: connection refused.
  SmtpSink second({.address = ip(2), .port = 25, .hostname = "mx2.relay.test"});
  ASSERT_TRUE(second.start()) << second.log();
  begin("@ MX 10 mx1\n@ MX 20 mx2\nmx1 A {1}\nmx2 A {2}\n");
  send_to("carol@relay.test");
  ASSERT_EQ(second.wait_for_messages(1, 20s).size(), 1U) << broker_.log();
  EXPECT_TRUE(log_shows("ip=" + ip(2))) << broker_.log();
  EXPECT_TRUE(queue_empties(10s)) << broker_.log();
}

TEST_F(Remote, FallsBackToTheAddressWithoutMx) {
  SmtpSink sink({.address = ip(3), .port = 25, .hostname = "plain.relay.test"});
  ASSERT_TRUE(sink.start()) << sink.log();
  begin("plain A {3}\n");
  send_to("dave@plain.relay.test");
  ASSERT_EQ(sink.wait_for_messages(1, 20s).size(), 1U) << broker_.log();
  EXPECT_TRUE(queue_empties(10s)) << broker_.log();
}

TEST_F(Remote, NullMxBouncesAtOnce) {
  begin("nomail MX 0 .\n");
  send_to("erin@nomail.relay.test");
  const std::string bounce = bounce_text();
  EXPECT_NE(bounce.find("erin@nomail.relay.test"), std::string::npos) << bounce << broker_.log();
  EXPECT_NE(bounce.find("null MX (RFC 7505)"), std::string::npos) << bounce;
  EXPECT_NE(bounce.find("5.1.10"), std::string::npos) << bounce;
  EXPECT_TRUE(queue_empties(10s)) << broker_.log();
}

TEST_F(Remote, SmtproutesOverridesMx) {
  SmtpSink sink({.address = ip(4), .port = 2525, .hostname = "smarthost.test"});
  ASSERT_TRUE(sink.start()) << sink.log();
  // The MX points at nothing that listens: only the route can deliver.
  begin("@ MX 10 mx1\nmx1 A {1}\n", {{"smtproutes", ".example.invalid:[192.0.2.1]\nrelay.test:[" + ip(4) + "]:2525"}});
  send_to("frank@relay.test");
  ASSERT_EQ(sink.wait_for_messages(1, 20s).size(), 1U) << broker_.log();
  EXPECT_TRUE(log_shows("ip=" + ip(4) + " port=2525")) << broker_.log();
  EXPECT_TRUE(queue_empties(10s)) << broker_.log();
}

TEST_F(Remote, TemporaryFailureIsRetriedThenDelivered) {
  auto failing = std::make_unique<SmtpSink>(SmtpSink::Options{
      .address = ip(1), .port = 25, .hostname = "mx1.relay.test", .soft_reject = "RCPT",
      .soft_reply = "451 4.3.0 try again later"});
  ASSERT_TRUE(failing->start()) << failing->log();
  begin("@ MX 10 mx1\nmx1 A {1}\n");
  send_to("gina@relay.test");
  // qmail-send's line (with report=): the retry is scheduled from here on.
  ASSERT_TRUE(log_shows("result=deferral report=")) << broker_.log();
  EXPECT_NE(broker_.log().find("451 4.3.0 try again later"), std::string::npos) << broker_.log();
  EXPECT_GT(queue_files(), 0U);
  failing.reset();
  SmtpSink working({.address = ip(1), .port = 25, .hostname = "mx1.relay.test"});
  ASSERT_TRUE(working.start()) << working.log();
  flush();
  ASSERT_EQ(working.wait_for_messages(1, 20s).size(), 1U) << broker_.log();
  EXPECT_TRUE(queue_empties(10s)) << broker_.log();
}

TEST_F(Remote, PermanentFailureBouncesWithTheServersText) {
  SmtpSink sink({.address = ip(1), .port = 25, .hostname = "mx1.relay.test", .hard_reject = "RCPT",
                 .hard_reply = "550 5.1.1 no mailbox here by that name"});
  ASSERT_TRUE(sink.start()) << sink.log();
  begin("@ MX 10 mx1\nmx1 A {1}\n");
  send_to("hank@relay.test");
  const std::string bounce = bounce_text();
  EXPECT_NE(bounce.find("<hank@relay.test>"), std::string::npos) << bounce << broker_.log();
  EXPECT_NE(bounce.find("550 5.1.1 no mailbox here by that name"), std::string::npos) << bounce;
  EXPECT_TRUE(sink.messages().empty());
  EXPECT_TRUE(queue_empties(10s)) << broker_.log();
}

TEST_F(Remote, StarttlsVerifiedWithTheTestCaToPostfix) {
  TestCa ca;
  ASSERT_TRUE(ca.ok()) << ca.log();
  auto issued = ca.issue("mx1.relay.test");
  ASSERT_TRUE(issued.ok) << ca.log();
  PostfixPeer postfix({.address = ip(1), .port = 25, .hostname = "mx1.relay.test", .domain = "relay.test",
                       .tls_cert = issued.chain, .tls_key = issued.key});
  ASSERT_TRUE(postfix.start()) << postfix.log();
  begin("@ MX 10 mx1\nmx1 A {1}\n", {{"tlsdestinations", "relay.test:verify:" + ca.cert()}});
  send_to("ivy@relay.test", "over tls");
  auto files = remote_peers::wait_for_maildir(postfix.maildir(), 1, 30s);
  ASSERT_EQ(files.size(), 1U) << broker_.log() << postfix.log();
  const std::string delivered = slurp(files[0]);
  EXPECT_NE(delivered.find("Subject: over tls"), std::string::npos) << delivered;
  EXPECT_NE(delivered.find("\n.a dot-stuffed line\n"), std::string::npos) << delivered;
  EXPECT_TRUE(log_shows("tls=TLSv1.3")) << broker_.log();
  EXPECT_NE(broker_.log().find("verified=yes"), std::string::npos) << broker_.log();
  EXPECT_NE(broker_.log().find("cipher=TLS_"), std::string::npos) << broker_.log();
  EXPECT_TRUE(queue_empties(10s)) << broker_.log();
}

TEST_F(Remote, VerificationFailsAgainstAnotherCa) {
  TestCa ca;
  TestCa other("another CA");
  ASSERT_TRUE(ca.ok() && other.ok()) << ca.log() << other.log();
  auto issued = ca.issue("mx1.relay.test");
  ASSERT_TRUE(issued.ok) << ca.log();
  PostfixPeer postfix({.address = ip(1), .port = 25, .hostname = "mx1.relay.test", .domain = "relay.test",
                       .tls_cert = issued.chain, .tls_key = issued.key});
  ASSERT_TRUE(postfix.start()) << postfix.log();
  begin("@ MX 10 mx1\nmx1 A {1}\n", {{"tlsdestinations", "relay.test:verify:" + other.cert()}});
  send_to("ivy@relay.test");
  ASSERT_TRUE(log_shows("result=deferral")) << broker_.log();
  EXPECT_NE(broker_.log().find("did not verify"), std::string::npos) << broker_.log();
  EXPECT_TRUE(remote_peers::wait_for_maildir(postfix.maildir(), 1, 2s).empty());
}

TEST_F(Remote, TlsRequiredButNotOfferedIsDeferredNeverPlaintext) {
  SmtpSink sink({.address = ip(1), .port = 25, .hostname = "mx1.relay.test"});
  ASSERT_TRUE(sink.start()) << sink.log();
  begin("@ MX 10 mx1\nmx1 A {1}\n", {{"tlsrequired", "1"}});
  send_to("jack@relay.test");
  ASSERT_TRUE(log_shows("result=deferral")) << broker_.log();
  EXPECT_NE(broker_.log().find("did not offer STARTTLS"), std::string::npos) << broker_.log();
  EXPECT_NE(broker_.log().find("tls_level=encrypt"), std::string::npos) << broker_.log();
  std::this_thread::sleep_for(500ms);
  EXPECT_TRUE(sink.messages().empty());
  EXPECT_GT(queue_files(), 0U);
}

TEST_F(Remote, StallingServerTimesOutAndIsRetried) {
  // No greeting for 30 s; qmail-remote waits timeoutremote (2 s) for it.
  SmtpSink sink({.address = ip(1), .port = 25, .hostname = "mx1.relay.test", .delays = {"CONNECT:30"}});
  ASSERT_TRUE(sink.start()) << sink.log();
  begin("@ MX 10 mx1\nmx1 A {1}\n", {{"timeoutremote", "2"}});
  send_to("kate@relay.test");
  ASSERT_TRUE(log_shows("result=deferral report=", 30s)) << broker_.log();
  EXPECT_NE(broker_.log().find("it timed out"), std::string::npos) << broker_.log();
  EXPECT_GT(queue_files(), 0U);
  // Retried: a second attempt (after SIGALRM) times out the same way.
  flush();
  const auto end = Clock::now() + 30s;
  std::size_t attempts = 0;
  while (Clock::now() < end) {
    const std::string log = broker_.log();
    attempts = 0;
    for (std::size_t at = log.find("it timed out"); at != std::string::npos; at = log.find("it timed out", at + 1)) {
      ++attempts;
    }
    if (attempts >= 4) break;  // each deferral appears in qmail-remote's and qmail-send's lines
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_GE(attempts, 4U) << broker_.log();
}

TEST_F(Remote, MailToOurselvesIsRefused) {
  // The MX is 127.0.0.1, an address of this host (lo).
  begin("self MX 10 mx1\nmx1 A 127.0.0.1\n");
  send_to("liam@self.relay.test");
  const std::string bounce = bounce_text();
  EXPECT_NE(bounce.find("best-preference MX"), std::string::npos) << bounce << broker_.log();
  EXPECT_NE(bounce.find("#5.4.6"), std::string::npos) << bounce;
  EXPECT_TRUE(queue_empties(10s)) << broker_.log();
}

TEST_F(Remote, CnameToADomainWithMx) {
  SmtpSink sink({.address = ip(5), .port = 25, .hostname = "mx5.relay.test"});
  ASSERT_TRUE(sink.start()) << sink.log();
  begin("alias CNAME real\nreal MX 10 mx5\nmx5 A {5}\n");
  send_to("mona@alias.relay.test");
  auto got = sink.wait_for_messages(1, 20s);
  ASSERT_EQ(got.size(), 1U) << broker_.log();
  // The recipient's domain is not rewritten (RFC 5321 §5.1; qmail 1.03 did).
  EXPECT_EQ(got[0].rcpt_args, std::vector<std::string>{"<mona@alias.relay.test>"});
}

TEST_F(Remote, RelaysForAnAuthenticatedClient) {
  SmtpSink sink({.address = ip(1), .port = 25, .hostname = "mx1.relay.test"});
  ASSERT_TRUE(sink.start()) << sink.log();
  TestCa ca;
  auto issued = ca.issue("mx.test");
  ASSERT_TRUE(ca.ok() && issued.ok) << ca.log();
  before_start_ = [&] {
    // Relaying only for authenticated clients: relay.test is not ours.
    broker_.control("rcpthosts", "mx.test");
    broker_.control("smtpcert.pem", slurp(issued.chain));
    broker_.control("smtpkey.pem", slurp(issued.key));
    auto [added, output] =
        remote_peers::run_command("printf 'secret\\n' | " QCELL_BINARY_DIR "/bin/qcell passwd --root " + broker_.root() + " joe");
    ASSERT_EQ(added, 0) << output;
  };
  begin("@ MX 10 mx1\nmx1 A {1}\n");
  const std::string swaks = "swaks --server 127.0.0.1 --port " + std::to_string(broker_.port()) +
                            " --helo client.test --timeout 20 --from joe@mx.test --to nora@relay.test ";
  auto [refused, refused_output] = remote_peers::run_command(swaks + "--tls");
  EXPECT_NE(refused, 0);
  EXPECT_NE(refused_output.find("553"), std::string::npos) << refused_output;
  auto [relayed, relayed_output] = remote_peers::run_command(swaks + "--tls --auth PLAIN --auth-user joe --auth-password secret");
  ASSERT_EQ(relayed, 0) << relayed_output;
  auto got = sink.wait_for_messages(1, 20s);
  ASSERT_EQ(got.size(), 1U) << broker_.log();
  EXPECT_EQ(got[0].rcpt_args, std::vector<std::string>{"<nora@relay.test>"});
  EXPECT_TRUE(queue_empties(10s)) << broker_.log();
}

TEST_F(Remote, DeliversToAnotherQcell) {
  // A second qcell (qmail-smtpd and qmail-queue) on 127.0.0.1, an address
  // of this host, reached through a route: qmail's self-MX rule does not
  // apply to a route's relay. Mail stays in its queue, as accepted.
  SmtpdBroker other;
  other.control("me", "other.test");
  other.control("rcpthosts", "other.test");
  ASSERT_TRUE(other.start()) << other.log();
  begin("@ MX 10 mx1\nmx1 A {1}\n", {{"smtproutes", "other.test:[127.0.0.1]:" + std::to_string(other.port())}});
  send_to("olga@other.test", "to another qcell");
  ASSERT_TRUE(log_shows("result=success")) << broker_.log() << other.log();
  EXPECT_NE(other.log().find("accepted id="), std::string::npos) << other.log();
  EXPECT_NE(other.log().find("from=alice@mx.test rcpts=1"), std::string::npos) << other.log();
  EXPECT_NE(broker_.log().find("accepted message"), std::string::npos) << broker_.log();
  EXPECT_TRUE(queue_empties(10s)) << broker_.log();
}

TEST_F(Remote, FallsBackToHeloForAServerWithoutEsmtp) {
  // EHLO is an unknown command there (500): qmail-remote says HELO.
  SmtpSink sink({.address = ip(1), .port = 25, .hostname = "mx1.relay.test", .no_esmtp = true});
  ASSERT_TRUE(sink.start()) << sink.log();
  begin("@ MX 10 mx1\nmx1 A {1}\n");
  send_to("pia@relay.test");
  auto got = sink.wait_for_messages(1, 20s);
  ASSERT_EQ(got.size(), 1U) << broker_.log();
  EXPECT_EQ(got[0].protocol, "SMTP");
  EXPECT_EQ(got[0].mail_args, "<alice@mx.test>");  // no SIZE or BODY without EHLO
  EXPECT_TRUE(queue_empties(10s)) << broker_.log();
}

TEST_F(Remote, DisconnectAfterTheFinalDotIsAPossibleDuplicate) {
  SmtpSink sink({.address = ip(1), .port = 25, .hostname = "mx1.relay.test", .disconnect = "."});
  ASSERT_TRUE(sink.start()) << sink.log();
  begin("@ MX 10 mx1\nmx1 A {1}\n");
  send_to("quinn@relay.test");
  ASSERT_TRUE(log_shows("result=deferral report=")) << broker_.log();
  EXPECT_NE(broker_.log().find("after the final dot: the message may be delivered twice. (#4.4.2)"), std::string::npos)
      << broker_.log();
  EXPECT_GT(queue_files(), 0U);
}

TEST_F(Remote, GarbageReplyIsDeferred) {
  // A server of the test's own: a greeting, then a line that is not SMTP.
  qcell::UniqueFd listener(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  ASSERT_TRUE(listener);
  const int on = 1;
  ::setsockopt(listener.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(25);
  ASSERT_EQ(::inet_pton(AF_INET, ip(1).c_str(), &address.sin_addr), 1);
  ASSERT_EQ(::bind(listener.get(), reinterpret_cast<sockaddr*>(&address), sizeof address), 0) << ::strerror(errno);
  ASSERT_EQ(::listen(listener.get(), 4), 0);
  std::thread server([fd = listener.get()] {
    pollfd ready{fd, POLLIN, 0};
    if (::poll(&ready, 1, 30000) != 1) return;
    qcell::UniqueFd client(::accept4(fd, nullptr, nullptr, SOCK_CLOEXEC));
    if (!client) return;
    (void)qcell::write_full(client.get(), "220 garbage.test ESMTP\r\n");
    char buffer[512];
    pollfd in{client.get(), POLLIN, 0};
    if (::poll(&in, 1, 10000) == 1 && ::read(client.get(), buffer, sizeof buffer) < 0) return;  // EHLO
    (void)qcell::write_full(client.get(), "this is not SMTP\r\n");
    if (::poll(&in, 1, 10000) == 1 && ::read(client.get(), buffer, sizeof buffer) < 0) return;  // until it goes
  });
  begin("@ MX 10 mx1\nmx1 A {1}\n");
  send_to("rita@relay.test");
  EXPECT_TRUE(log_shows("result=deferral report=")) << broker_.log();
  EXPECT_NE(broker_.log().find("its reply is not SMTP"), std::string::npos) << broker_.log();
  server.join();
}

TEST_F(Remote, MessageLargerThanTheServersSizeBounces) {
  PostfixPeer postfix({.address = ip(1), .port = 25, .hostname = "mx1.relay.test", .domain = "relay.test",
                       .settings = {"message_size_limit = 200"}});
  ASSERT_TRUE(postfix.start()) << postfix.log();
  begin("@ MX 10 mx1\nmx1 A {1}\n");
  send_to("sam@relay.test");
  const std::string bounce = bounce_text();
  EXPECT_NE(bounce.find("more than " + ip(1) + " accepts (200). (#5.3.4)"), std::string::npos) << bounce << broker_.log();
  EXPECT_TRUE(remote_peers::wait_for_maildir(postfix.maildir(), 1, 1s).empty());
}

TEST_F(Remote, OpportunisticTlsWithPostfix) {
  // No tlsdestinations: level may. The certificate is not checked (its CA
  // is nowhere), the session is encrypted all the same.
  TestCa ca;
  auto issued = ca.issue("mx1.relay.test");
  ASSERT_TRUE(ca.ok() && issued.ok) << ca.log();
  PostfixPeer postfix({.address = ip(1), .port = 25, .hostname = "mx1.relay.test", .domain = "relay.test",
                       .tls_cert = issued.chain, .tls_key = issued.key});
  ASSERT_TRUE(postfix.start()) << postfix.log();
  begin("@ MX 10 mx1\nmx1 A {1}\n");
  send_to("tom@relay.test");
  ASSERT_EQ(remote_peers::wait_for_maildir(postfix.maildir(), 1, 30s).size(), 1U) << broker_.log() << postfix.log();
  EXPECT_TRUE(log_shows("tls_level=may ip=" + ip(1) + " port=25 tls=TLSv1.3")) << broker_.log();
  EXPECT_NE(broker_.log().find("verified=no"), std::string::npos) << broker_.log();
}

}  // namespace
