// smtp_session_test.cc — the qmail-smtpd session driven from byte buffers:
// replies and their order under pipelining, every split of the input
// giving the same result, the state-dependent refusals, relay control
// (rcpthosts, morercpthosts, RELAYCLIENT, AUTH), badmailfrom, SIZE, the
// limits (errors, recipients, line length, AUTH failures), STARTTLS
// discarding pipelined bytes, AUTH PLAIN and LOGIN, the queue's verdicts,
// the Received: field, and docs/smtpd-replies.md against the table.
#include "qmail-smtpd/session.h"

#include <gtest/gtest.h>

#include <ctime>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/queue_exit.h"
#include "qmail-smtpd/received.h"
#include "qmail-smtpd/session_replies.h"
#include "smtp_session_fakes.h"

namespace qcell::smtpd {
namespace {

using testing::FakeAuthenticator;
using testing::FakeQueue;

std::time_t fixed_clock() { return 1796284800; }  // Thu, 03 Dec 2026 08:00:00 +0000

SessionConfig make_config() {
  SessionConfig config;
  config.me = "mx.example.org";
  config.greeting = "mx.example.org";
  config.local_ip_host = "mx.example.org";
  config.databytes = 1000;
  config.rcpthosts = RecipientHosts({"example.org", ".example.net"}, {});
  config.badmailfrom = BadMailFrom({"spammer@bad.example", "@worse.example"});
  config.clock = fixed_clock;
  return config;
}

ClientInfo outsider() {
  ClientInfo client;
  client.remote_ip = "192.0.2.7";
  client.local_ip = "198.51.100.1";
  return client;
}

// The reply lines, CRLF removed.
std::vector<std::string> lines_of(const std::string& output) {
  std::vector<std::string> lines;
  std::size_t at = 0;
  while (at < output.size()) {
    std::size_t end = output.find("\r\n", at);
    if (end == std::string::npos) {
      lines.push_back(output.substr(at) + "<no CRLF>");
      break;
    }
    lines.push_back(output.substr(at, end - at));
    at = end + 2;
  }
  return lines;
}

struct Harness {
  explicit Harness(SessionConfig c = make_config(), ClientInfo client = outsider())
      : config(std::move(c)), session(config, std::move(client), queue, &auth) {
    session.greet();
    session.output().clear();
  }
  // Feeds the text and returns the replies it produced.
  std::vector<std::string> send(std::string_view text) {
    last = session.feed(text);
    std::vector<std::string> replies = lines_of(session.output());
    session.output().clear();
    return replies;
  }
  std::string one(std::string_view text) {
    std::vector<std::string> replies = send(text);
    return replies.size() == 1 ? replies[0] : "(" + std::to_string(replies.size()) + " replies)";
  }
  SessionConfig config;
  FakeQueue queue;
  FakeAuthenticator auth;
  Session session;
  SessionAction last = SessionAction::proceed;
};

constexpr std::string_view body = "Subject: hi\r\n\r\nHello.\r\n..dot\r\n.\r\n";

TEST(SmtpSession, GreetsAndListsExtensions) {
  SessionConfig config = make_config();
  FakeQueue queue;
  Session session(config, outsider(), queue, nullptr);
  session.greet();
  EXPECT_EQ(session.output(), "220 mx.example.org ESMTP\r\n");
  session.output().clear();
  ASSERT_EQ(session.feed("EHLO client.example\r\n"), SessionAction::proceed);
  EXPECT_EQ(lines_of(session.output()),
            (std::vector<std::string>{"250-mx.example.org", "250-PIPELINING", "250-8BITMIME", "250-SIZE 1000",
                                      "250-ENHANCEDSTATUSCODES", "250 SMTPUTF8"}));
  session.output().clear();
  ASSERT_EQ(session.feed("HELO client.example\r\n"), SessionAction::proceed);
  EXPECT_EQ(session.output(), "250 mx.example.org\r\n");
}

TEST(SmtpSession, OffersStartTlsOutsideTlsAndAuthOnlyInside) {
  SessionConfig config = make_config();
  config.tls_offered = true;
  config.auth_offered = true;
  Harness h(config);
  std::vector<std::string> before = h.send("EHLO c.example\r\n");
  EXPECT_NE(std::find(before.begin(), before.end(), "250-STARTTLS"), before.end());
  for (const std::string& line : before) EXPECT_EQ(line.find("AUTH"), std::string::npos) << line;
  EXPECT_EQ(h.one("STARTTLS\r\n"), "220 2.0.0 Ready to start TLS");
  EXPECT_EQ(h.last, SessionAction::start_tls);
  h.session.tls_started({"TLSv1.3", "TLS_AES_256_GCM_SHA384"});
  std::vector<std::string> after = h.send("EHLO c.example\r\n");
  EXPECT_NE(std::find(after.begin(), after.end(), "250-AUTH PLAIN LOGIN"), after.end());
  for (const std::string& line : after) EXPECT_EQ(line.find("STARTTLS"), std::string::npos) << line;
}

TEST(SmtpSession, AcceptsAMessageWithReceivedFieldAndEnvelope) {
  Harness h;
  EXPECT_EQ(h.one("EHLO client.example\r\n").substr(0, 4), "(6 r");
  EXPECT_EQ(h.one("MAIL FROM:<alice@sender.example> SIZE=100\r\n"), "250 2.1.0 Sender ok");
  EXPECT_EQ(h.one("RCPT TO:<bob@example.org>\r\n"), "250 2.1.5 Recipient ok");
  EXPECT_EQ(h.one("RCPT TO:<carol@mail.example.net>\r\n"), "250 2.1.5 Recipient ok");
  EXPECT_EQ(h.one("DATA\r\n"), "354 End data with <CR><LF>.<CR><LF>");
  EXPECT_EQ(h.one(body), "250 2.0.0 Ok: queued as 1");
  ASSERT_EQ(h.queue.injections.size(), 1U);
  const testing::Injected& injected = h.queue.injections[0];
  EXPECT_TRUE(injected.finished);
  EXPECT_FALSE(injected.aborted);
  EXPECT_EQ(injected.message,
            "Received: from client.example (unknown [192.0.2.7])\n"
            "\tby mx.example.org (qcell) with ESMTP;\n"
            "\tThu, 03 Dec 2026 08:00:00 +0000\n"
            "Subject: hi\n\nHello.\n.dot\n");
  EXPECT_EQ(injected.envelope.sender, "alice@sender.example");
  EXPECT_EQ(injected.envelope.recipients, (std::vector<std::string>{"bob@example.org", "carol@mail.example.net"}));
  EXPECT_EQ(h.session.messages_accepted(), 1U);
  EXPECT_EQ(h.one("QUIT\r\n"), "221 2.0.0 mx.example.org closing connection");
  EXPECT_EQ(h.last, SessionAction::close);
  EXPECT_TRUE(h.session.closed());
}

// RFC 2920: a whole batch in one packet is answered in order, the body and
// a following QUIT in one packet too, and the output does not depend on
// how the bytes are cut.
TEST(SmtpSession, PipelinedBatchIsAnsweredInOrderWhateverTheSplit) {
  const std::string stream = std::string("EHLO c.example\r\nMAIL FROM:<a@s.example>\r\nRCPT TO:<b@example.org>\r\n") +
                             "RCPT TO:<x@elsewhere.example>\r\nRCPT TO:<c@example.org>\r\nDATA\r\n" +
                             std::string(body) + "MAIL FROM:<>\r\nRCPT TO:<d@example.org>\r\nDATA\r\n" +
                             std::string(body) + "QUIT\r\n";
  const std::vector<std::string> expected = {
      "250-mx.example.org", "250-PIPELINING", "250-8BITMIME", "250-SIZE 1000", "250-ENHANCEDSTATUSCODES",
      "250 SMTPUTF8", "250 2.1.0 Sender ok", "250 2.1.5 Recipient ok",
      "553 5.7.1 Sorry, that domain isn't in my list of allowed rcpthosts", "250 2.1.5 Recipient ok",
      "354 End data with <CR><LF>.<CR><LF>", "250 2.0.0 Ok: queued as 1", "250 2.1.0 Sender ok",
      "250 2.1.5 Recipient ok", "354 End data with <CR><LF>.<CR><LF>", "250 2.0.0 Ok: queued as 2",
      "221 2.0.0 mx.example.org closing connection"};
  for (std::size_t chunk : {stream.size(), std::size_t{1}, std::size_t{2}, std::size_t{3}, std::size_t{7}}) {
    Harness h;
    std::string output;
    for (std::size_t at = 0; at < stream.size(); at += chunk) {
      h.session.feed(std::string_view(stream).substr(at, chunk));
      output += h.session.output();
      h.session.output().clear();
    }
    EXPECT_EQ(lines_of(output), expected) << "chunk " << chunk;
    ASSERT_EQ(h.queue.injections.size(), 2U);
    EXPECT_EQ(h.queue.injections[0].envelope.recipients,
              (std::vector<std::string>{"b@example.org", "c@example.org"}));
    EXPECT_EQ(h.queue.injections[1].envelope.sender, "");
    EXPECT_TRUE(h.session.closed());
  }
}

TEST(SmtpSession, CommandsOutOfSequenceAreRefused) {
  Harness h;
  EXPECT_EQ(h.one("MAIL FROM:<a@s.example>\r\n"), "503 5.5.1 Send EHLO or HELO first");
  EXPECT_EQ(h.one("RCPT TO:<b@example.org>\r\n"), "503 5.5.1 Send EHLO or HELO first");
  EXPECT_EQ(h.one("DATA\r\n"), "503 5.5.1 Send EHLO or HELO first");
  h.send("HELO c.example\r\n");
  EXPECT_EQ(h.one("RCPT TO:<b@example.org>\r\n"), "503 5.5.1 Send MAIL first");
  EXPECT_EQ(h.one("DATA\r\n"), "503 5.5.1 Send MAIL first");
  EXPECT_EQ(h.one("MAIL FROM:<a@s.example>\r\n"), "250 2.1.0 Sender ok");
  EXPECT_EQ(h.one("MAIL FROM:<a@s.example>\r\n"), "503 5.5.1 Sender already given: send RSET to start again");
  EXPECT_EQ(h.one("DATA\r\n"), "554 5.5.1 No valid recipients");
  EXPECT_EQ(h.one("RSET\r\n"), "250 2.0.0 Ok");
  EXPECT_EQ(h.one("MAIL FROM:<a@s.example>\r\n"), "250 2.1.0 Sender ok");
  EXPECT_EQ(h.one("NOOP anything\r\n"), "250 2.0.0 Ok");
  EXPECT_EQ(h.one("VRFY postmaster\r\n").substr(0, 9), "252 2.5.0");
  EXPECT_EQ(h.one("HELP\r\n").substr(0, 9), "214 2.0.0");
  EXPECT_EQ(h.one("FOO\r\n"), "500 5.5.1 Unrecognised command");
  EXPECT_TRUE(h.queue.injections.empty());
}

TEST(SmtpSession, RelayNeedsRcpthostsRelayClientOrAuth) {
  Harness h;
  h.send("EHLO c.example\r\nMAIL FROM:<a@s.example>\r\n");
  EXPECT_EQ(h.one("RCPT TO:<b@EXAMPLE.ORG>\r\n"), "250 2.1.5 Recipient ok");
  EXPECT_EQ(h.one("RCPT TO:<b@deep.sub.example.net>\r\n"), "250 2.1.5 Recipient ok");
  EXPECT_EQ(h.one("RCPT TO:<b@example.net>\r\n"),
            "553 5.7.1 Sorry, that domain isn't in my list of allowed rcpthosts");
  EXPECT_EQ(h.one("RCPT TO:<b@notexample.org>\r\n"),
            "553 5.7.1 Sorry, that domain isn't in my list of allowed rcpthosts");
  EXPECT_EQ(h.one("RCPT TO:<b@[192.0.2.1]>\r\n"),
            "553 5.7.1 Sorry, that domain isn't in my list of allowed rcpthosts");
  EXPECT_EQ(h.one("RCPT TO:<postmaster>\r\n"), "250 2.1.5 Recipient ok");

  ClientInfo relay = outsider();
  relay.relay_client = "";
  Harness r(make_config(), relay);
  r.send("EHLO c.example\r\nMAIL FROM:<a@s.example>\r\n");
  EXPECT_EQ(r.one("RCPT TO:<b@anywhere.example>\r\n"), "250 2.1.5 Recipient ok");

  // qmail appends RELAYCLIENT's value to every recipient.
  relay.relay_client = "-tagged";
  Harness t(make_config(), relay);
  t.send("EHLO c.example\r\nMAIL FROM:<a@s.example>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n");
  t.send(body);
  ASSERT_EQ(t.queue.injections.size(), 1U);
  EXPECT_EQ(t.queue.injections[0].envelope.recipients, (std::vector<std::string>{"b@example.org-tagged"}));
}

TEST(SmtpSession, MoreRcptHostsIsConsultedAndItsFailureIsTemporary) {
  SessionConfig config = make_config();
  std::vector<std::string> asked;
  bool broken = false;
  config.rcpthosts = RecipientHosts({}, [&](std::string_view key) -> std::optional<bool> {
    asked.emplace_back(key);
    if (broken) return std::nullopt;
    return key == ".cdb.example";
  });
  Harness h(config);
  h.send("EHLO c.example\r\nMAIL FROM:<a@s.example>\r\n");
  EXPECT_EQ(h.one("RCPT TO:<b@host.cdb.example>\r\n"), "250 2.1.5 Recipient ok");
  EXPECT_EQ(asked, (std::vector<std::string>{"host.cdb.example", ".cdb.example"}));
  broken = true;
  EXPECT_EQ(h.one("RCPT TO:<b@host.cdb.example>\r\n"), "451 4.3.0 Unable to read controls, try again later");
}

TEST(SmtpSession, BadMailFromRefusesAddressesAndDomains) {
  Harness h;
  h.send("EHLO c.example\r\n");
  EXPECT_EQ(h.one("MAIL FROM:<Spammer@BAD.example>\r\n"),
            "553 5.7.1 Sorry, your envelope sender is in my badmailfrom list");
  EXPECT_EQ(h.one("MAIL FROM:<anyone@worse.example>\r\n"),
            "553 5.7.1 Sorry, your envelope sender is in my badmailfrom list");
  EXPECT_EQ(h.one("MAIL FROM:<other@bad.example>\r\n"), "250 2.1.0 Sender ok");
  h.send("RSET\r\n");
  EXPECT_EQ(h.one("MAIL FROM:<>\r\n"), "250 2.1.0 Sender ok");
}

TEST(SmtpSession, SizeAboveDatabytesIsRefusedAtMail) {
  Harness h;
  h.send("EHLO c.example\r\n");
  EXPECT_EQ(h.one("MAIL FROM:<a@s.example> SIZE=1001\r\n"), "552 5.3.4 Message size exceeds the limit of 1000 bytes");
  EXPECT_EQ(h.one("MAIL FROM:<a@s.example> SIZE=1000\r\n"), "250 2.1.0 Sender ok");
}

TEST(SmtpSession, DataOverDatabytesIsRefusedAndTheSessionGoesOn) {
  Harness h;
  h.send("EHLO c.example\r\nMAIL FROM:<a@s.example>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n");
  const std::string big = std::string(2000, 'x') + "\r\n.\r\n";
  EXPECT_EQ(h.one(big), "552 5.3.4 message too big: more than 1000 bytes");
  ASSERT_EQ(h.queue.injections.size(), 1U);
  EXPECT_TRUE(h.queue.injections[0].aborted);
  EXPECT_FALSE(h.queue.injections[0].finished);
  EXPECT_EQ(h.one("MAIL FROM:<a@s.example>\r\n"), "250 2.1.0 Sender ok");
}

TEST(SmtpSession, SmugglingInDataClosesAndQueuesNothing) {
  using namespace std::string_literals;
  for (const std::string& attack : {"x\n.\nMAIL FROM:<e@vil>\r\n"s, "x\r\n.\nMAIL"s, "x\r.\r"s, "x\0y\r\n.\r\n"s}) {
    Harness h;
    h.send("EHLO c.example\r\nMAIL FROM:<a@s.example>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n");
    std::vector<std::string> replies = h.send(attack);
    ASSERT_EQ(replies.size(), 1U) << attack;
    EXPECT_EQ(replies[0].substr(0, 9), "554 5.6.0") << attack;
    EXPECT_EQ(h.last, SessionAction::close);
    EXPECT_TRUE(h.queue.injections[0].aborted);
    EXPECT_FALSE(h.queue.injections[0].finished);
  }
}

TEST(SmtpSession, BareLfOrCrInACommandCloses) {
  {
    Harness h;
    EXPECT_EQ(h.one("EHLO c.example\nMAIL FROM:<a@b.example>\r\n"),
              "500 5.5.2 Bare LF in command: lines must end with CR LF, closing connection");
    EXPECT_EQ(h.last, SessionAction::close);
  }
  {
    Harness h;
    EXPECT_EQ(h.one("NOOP\rMAIL FROM:<a@b.example>\r\n"),
              "500 5.5.2 Bare CR in command: lines must end with CR LF, closing connection");
    EXPECT_EQ(h.last, SessionAction::close);
  }
  {  // the CR at the end of one packet, a bare CR revealed by the next
    Harness h;
    EXPECT_TRUE(h.send("NOOP\r").empty());
    EXPECT_EQ(h.one("X"), "500 5.5.2 Bare CR in command: lines must end with CR LF, closing connection");
  }
}

TEST(SmtpSession, OverlongLineClosesWithoutWaitingForItsEnd) {
  Harness h;
  EXPECT_TRUE(h.send(std::string(limits::smtp_command_line - 2, 'N')).empty());
  EXPECT_EQ(h.one("N"), "500 5.5.2 Command line too long");
  EXPECT_EQ(h.last, SessionAction::close);
  Harness a;
  EXPECT_TRUE(a.send("AUTH PLAIN " + std::string(limits::smtp_auth_line - 13, 'A')).empty());
  EXPECT_EQ(a.one("A"), "500 5.5.6 Authentication exchange line is too long");
  // A megabyte in one read: refused at once.
  Harness m;
  EXPECT_EQ(m.one(std::string(1 << 20, 'x')), "500 5.5.2 Command line too long");
}

TEST(SmtpSession, ErrorLimitCloses) {
  Harness h;
  for (std::size_t i = 1; i < limits::smtp_errors_per_connection; ++i) {
    EXPECT_EQ(h.one("garbage\r\n"), "500 5.5.1 Unrecognised command") << i;
  }
  EXPECT_EQ(h.send("garbage\r\nNOOP\r\n"), (std::vector<std::string>{"500 5.5.1 Unrecognised command",
                                                                       "421 4.7.0 Too many errors, closing connection"}));
  EXPECT_EQ(h.last, SessionAction::close);
}

TEST(SmtpSession, RecipientLimit) {
  SessionConfig config = make_config();
  config.max_recipients = 3;
  Harness h(config);
  h.send("EHLO c.example\r\nMAIL FROM:<a@s.example>\r\n");
  for (int i = 0; i < 3; ++i) EXPECT_EQ(h.one("RCPT TO:<b@example.org>\r\n"), "250 2.1.5 Recipient ok");
  EXPECT_EQ(h.one("RCPT TO:<b@example.org>\r\n"), "452 4.5.3 Too many recipients for one message");
  EXPECT_EQ(limits::recipients_per_message, Harness().config.max_recipients);
}

// CVE-2011-0411: commands pipelined after STARTTLS must not run inside TLS.
TEST(SmtpSession, StartTlsDiscardsPipelinedBytesAndResets) {
  SessionConfig config = make_config();
  config.tls_offered = true;
  Harness h(config);
  h.send("EHLO c.example\r\nMAIL FROM:<a@s.example>\r\n");
  EXPECT_EQ(h.send("STARTTLS\r\nRCPT TO:<b@example.org>\r\nDATA\r\n"),
            (std::vector<std::string>{"220 2.0.0 Ready to start TLS"}));
  EXPECT_EQ(h.last, SessionAction::start_tls);
  h.session.tls_started({"TLSv1.3", "TLS_AES_128_GCM_SHA256"});
  EXPECT_TRUE(h.session.in_tls());
  EXPECT_EQ(h.one("MAIL FROM:<a@s.example>\r\n"), "503 5.5.1 Send EHLO or HELO first");
  h.send("EHLO c.example\r\n");
  EXPECT_EQ(h.one("RCPT TO:<b@example.org>\r\n"), "503 5.5.1 Send MAIL first");
  EXPECT_EQ(h.one("STARTTLS\r\n"), "503 5.5.1 TLS is already active");
  h.send("MAIL FROM:<a@s.example>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n");
  h.send(body);
  ASSERT_EQ(h.queue.injections.size(), 1U);
  EXPECT_NE(h.queue.injections[0].message.find("with ESMTPS (TLSv1.3 TLS_AES_128_GCM_SHA256);"), std::string::npos)
      << h.queue.injections[0].message;
}

TEST(SmtpSession, StartTlsWithoutCertificateIsRefused) {
  Harness h;
  h.send("EHLO c.example\r\n");
  EXPECT_EQ(h.one("STARTTLS\r\n"), "454 4.7.0 TLS not available: no certificate is configured");
  EXPECT_EQ(h.last, SessionAction::proceed);
}

Harness& in_tls(Harness& h) {
  h.send("EHLO c.example\r\nSTARTTLS\r\n");
  h.session.tls_started({"TLSv1.3", "TLS_AES_256_GCM_SHA384"});
  h.send("EHLO c.example\r\n");
  return h;
}

SessionConfig auth_config() {
  SessionConfig config = make_config();
  config.tls_offered = true;
  config.auth_offered = true;
  return config;
}

TEST(SmtpSession, AuthNeedsTls) {
  Harness h(auth_config());
  h.send("EHLO c.example\r\n");
  EXPECT_EQ(h.one("AUTH PLAIN AGpvZQBzZWNyZXQ=\r\n"), "538 5.7.11 Encryption required: send STARTTLS before AUTH");
  EXPECT_EQ(h.auth.calls, 0U);
  Harness none;
  none.send("EHLO c.example\r\n");
  EXPECT_EQ(none.one("AUTH PLAIN AGpvZQBzZWNyZXQ=\r\n"), "502 5.5.1 AUTH not available: no secrets are configured");
}

TEST(SmtpSession, AuthPlainLetsTheClientRelayAndIsRecorded) {
  Harness h(auth_config());
  in_tls(h);
  EXPECT_EQ(h.one("AUTH PLAIN AGpvZQBzZWNyZXQ=\r\n"), "235 2.7.0 Authentication successful");
  EXPECT_EQ(h.one("AUTH PLAIN AGpvZQBzZWNyZXQ=\r\n"), "503 5.5.1 Already authenticated");
  h.send("MAIL FROM:<joe@example.org>\r\n");
  EXPECT_EQ(h.one("RCPT TO:<friend@elsewhere.example>\r\n"), "250 2.1.5 Recipient ok");
  h.send("DATA\r\n");
  EXPECT_EQ(h.one(body), "250 2.0.0 Ok: queued as 1");
  const std::string& message = h.queue.injections[0].message;
  EXPECT_NE(message.find("with ESMTPSA (TLSv1.3 TLS_AES_256_GCM_SHA384)\n\t(authenticated as joe);"),
            std::string::npos)
      << message;
}

TEST(SmtpSession, AuthPlainWithoutInitialResponseAndLogin) {
  Harness h(auth_config());
  in_tls(h);
  EXPECT_EQ(h.one("AUTH PLAIN\r\n"), "334 ");
  EXPECT_EQ(h.one("AGpvZQBzZWNyZXQ=\r\n"), "235 2.7.0 Authentication successful");

  Harness l(auth_config());
  in_tls(l);
  EXPECT_EQ(l.one("AUTH LOGIN\r\n"), "334 VXNlcm5hbWU6");
  EXPECT_EQ(l.one("am9l\r\n"), "334 UGFzc3dvcmQ6");
  EXPECT_EQ(l.one("c2VjcmV0\r\n"), "235 2.7.0 Authentication successful");

  Harness i(auth_config());
  in_tls(i);
  EXPECT_EQ(i.one("AUTH LOGIN am9l\r\n"), "334 UGFzc3dvcmQ6");
  EXPECT_EQ(i.one("c2VjcmV0\r\n"), "235 2.7.0 Authentication successful");
}

TEST(SmtpSession, AuthRefusals) {
  Harness h(auth_config());
  in_tls(h);
  EXPECT_EQ(h.one("AUTH PLAIN\r\n"), "334 ");
  EXPECT_EQ(h.one("*\r\n"), "501 5.0.0 Authentication cancelled");
  EXPECT_EQ(h.one("AUTH PLAIN Ym9iAGpvZQBzZWNyZXQ=\r\n"),
            "535 5.7.8 Authentication credentials invalid: acting as another user is not allowed");
  EXPECT_EQ(h.one("AUTH PLAIN am9lAGpvZQBzZWNyZXQ=\r\n"), "235 2.7.0 Authentication successful");
  Harness t(auth_config());
  in_tls(t);
  t.auth.temporary = true;
  EXPECT_EQ(t.one("AUTH PLAIN AGpvZQBzZWNyZXQ=\r\n"), "454 4.7.0 Temporary authentication failure, try again later");
  Harness m(auth_config());
  in_tls(m);
  m.send("MAIL FROM:<a@s.example>\r\n");
  EXPECT_EQ(m.one("AUTH PLAIN AGpvZQBzZWNyZXQ=\r\n"), "503 5.5.1 AUTH is not allowed during a mail transaction");
}

TEST(SmtpSession, AuthFailureLimitCloses) {
  Harness h(auth_config());
  in_tls(h);
  for (std::size_t i = 1; i < limits::smtp_auth_failures; ++i) {
    EXPECT_EQ(h.one("AUTH PLAIN AGpvZQB3cm9uZw==\r\n"), "535 5.7.8 Authentication credentials invalid");
  }
  EXPECT_EQ(h.one("AUTH PLAIN AGpvZQB3cm9uZw==\r\n"),
            "421 4.7.0 Too many failed authentication attempts, closing connection");
  EXPECT_EQ(h.last, SessionAction::close);
  EXPECT_EQ(h.auth.calls, limits::smtp_auth_failures);
}

TEST(SmtpSession, QueueFailuresMapToQmailReplies) {
  Harness h;
  h.queue.open_failure = 71;
  h.send("EHLO c.example\r\nMAIL FROM:<a@s.example>\r\nRCPT TO:<b@example.org>\r\n");
  EXPECT_EQ(h.one("DATA\r\n"), "451 4.3.0 mail server temporarily rejected message");
  EXPECT_EQ(h.one("RCPT TO:<b@example.org>\r\n"), "503 5.5.1 Send MAIL first");
  h.queue.open_failure = 0;
  h.queue.outcome.exit_code = 12;
  h.send("MAIL FROM:<a@s.example>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n");
  EXPECT_EQ(h.one(body), "554 5.3.4 qq permanent problem: message too big");
  h.queue.outcome.exit_code = 53;
  h.send("MAIL FROM:<a@s.example>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n");
  EXPECT_EQ(h.one(body), "451 4.3.0 qq write error or disk full");
  h.queue.outcome = {};
  h.queue.outcome.kind = QueueOutcome::Kind::signaled;
  h.queue.outcome.signal = 9;
  h.send("MAIL FROM:<a@s.example>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n");
  EXPECT_EQ(h.one(body), "451 4.3.0 qq crashed");
  EXPECT_EQ(h.session.messages_accepted(), 0U);
}

// Every exit code of qmail-queue's table, and every other code, maps to a
// 451 or 554 whose enhanced code has the same class.
TEST(SmtpSession, EveryQueueExitCodeHasAReply) {
  for (int code = 1; code < 256; ++code) {
    QueueOutcome outcome;
    outcome.exit_code = code;
    const QueueVerdict verdict = judge(outcome);
    ASSERT_FALSE(verdict.ok) << code;
    const std::string text = queue_reply(verdict);
    const char expected = verdict.permanent ? '5' : '4';
    EXPECT_EQ(text.substr(0, 4), verdict.permanent ? "554 " : "451 ") << code;
    EXPECT_EQ(text[4], expected) << text;
    EXPECT_EQ(text.find("(#"), std::string::npos) << text;
  }
}

TEST(SmtpSession, TimeoutAndShutdownClose) {
  Harness h;
  h.send("EHLO c.example\r\nMAIL FROM:<a@s.example>\r\nRCPT TO:<b@example.org>\r\nDATA\r\nSubject: x\r\n");
  h.session.timed_out();
  EXPECT_EQ(lines_of(h.session.output()).back(), "421 4.4.2 Timeout waiting for the client, closing connection");
  EXPECT_TRUE(h.session.closed());
  EXPECT_TRUE(h.queue.injections[0].aborted);
  Harness s;
  s.session.shutting_down();
  EXPECT_EQ(s.session.output(), "421 4.3.2 Service shutting down, closing connection\r\n");
}

TEST(SmtpSession, EndOfInputAbortsTheOpenInjection) {
  Harness h;
  h.send("EHLO c.example\r\nMAIL FROM:<a@s.example>\r\nRCPT TO:<b@example.org>\r\nDATA\r\nSubject: x\r\n");
  h.session.end_of_input();
  EXPECT_TRUE(h.queue.injections[0].aborted);
  EXPECT_FALSE(h.queue.injections[0].finished);
}

TEST(SmtpSession, LocalIpLiteralBecomesLocalIpHost) {
  SessionConfig config = make_config();
  config.rcpthosts = RecipientHosts({"mx.example.org"}, {});
  Harness h(config);
  h.send("EHLO c.example\r\nMAIL FROM:<a@s.example>\r\n");
  EXPECT_EQ(h.one("RCPT TO:<b@[198.51.100.1]>\r\n"), "250 2.1.5 Recipient ok");
  h.send("DATA\r\n");
  h.send(body);
  ASSERT_EQ(h.queue.injections.size(), 1U);
  EXPECT_EQ(h.queue.injections[0].envelope.recipients, (std::vector<std::string>{"b@mx.example.org"}));
}

TEST(SmtpSession, SmtpUtf8TransactionTakesUtf8Recipients) {
  Harness h;
  h.send("EHLO c.example\r\n");
  EXPECT_EQ(h.one("MAIL FROM:<a@s.example>\r\n"), "250 2.1.0 Sender ok");
  EXPECT_EQ(h.one("RCPT TO:<j\xC3\xB6rg@example.org>\r\n").substr(0, 9), "553 5.6.7");
  h.send("RSET\r\n");
  EXPECT_EQ(h.one("MAIL FROM:<a@s.example> SMTPUTF8\r\n"), "250 2.1.0 Sender ok");
  EXPECT_EQ(h.one("RCPT TO:<j\xC3\xB6rg@example.org>\r\n"), "250 2.1.5 Recipient ok");
  h.send("DATA\r\n");
  h.send(body);
  EXPECT_NE(h.queue.injections[0].message.find("with UTF8SMTP;"), std::string::npos);
}

TEST(SmtpSession, ReceivedFieldRefusesValuesThatAreNotWhatTheyClaim) {
  ReceivedFacts facts;
  facts.helo = "[IPv6:2001:db8::1]";
  facts.remote_ip = "2001:db8::1";
  facts.remote_host = "evil\nX-Injected: yes";
  facts.me = "mx.example.org";
  facts.now = fixed_clock();
  EXPECT_EQ(received_header(facts),
            "Received: from [IPv6:2001:db8::1] (unknown [IPv6:2001:db8::1])\n"
            "\tby mx.example.org (qcell) with ESMTP;\n\tThu, 03 Dec 2026 08:00:00 +0000\n");
  facts.remote_ip = "not an address";
  facts.remote_host = "client.example";
  facts.esmtp = false;
  EXPECT_EQ(received_header(facts).substr(0, 59), "Received: from [IPv6:2001:db8::1] (client.example unknown)\n");
  EXPECT_EQ(rfc5322_date(0), "Thu, 01 Jan 1970 00:00:00 +0000");
  EXPECT_EQ(rfc5322_date(951782400), "Tue, 29 Feb 2000 00:00:00 +0000");
  EXPECT_EQ(rfc5322_date(4107542399), "Sun, 28 Feb 2100 23:59:59 +0000");
  EXPECT_EQ(rfc5322_date(1796284800 + 86399), "Fri, 04 Dec 2026 07:59:59 +0000");
  // Against gmtime_r, a day at a time over 1970..2105.
  for (std::time_t t = 0; t < 4260000000; t += 86400 + 3601) {
    std::tm tm{};
    ASSERT_NE(::gmtime_r(&t, &tm), nullptr);
    char expected[64];
    std::strftime(expected, sizeof expected, "%a, %d %b %Y %H:%M:%S +0000", &tm);
    ASSERT_EQ(rfc5322_date(t), expected) << t;
  }
}

TEST(SmtpSession, LogRecordsAcceptedMessagesAndRefusals) {
  Harness h;
  h.send("EHLO c.example\r\nMAIL FROM:<a@s.example>\r\nRCPT TO:<x@elsewhere.example>\r\n");
  h.send("RCPT TO:<b@example.org>\r\nDATA\r\n");
  h.send(body);
  const std::vector<std::string>& log = h.session.log();
  ASSERT_GE(log.size(), 2U);
  EXPECT_EQ(log[0], "refused why=relay_denied to=x@elsewhere.example remote=192.0.2.7");
  EXPECT_EQ(log.back(), "accepted id=1 from=a@s.example rcpts=1 bytes=25");
}

TEST(SmtpSession, DocsListEveryReply) {
  std::ifstream in(QCELL_SOURCE_DIR "/docs/smtpd-replies.md");
  ASSERT_TRUE(in) << "docs/smtpd-replies.md is missing";
  std::stringstream text;
  text << in.rdbuf();
  for (const SessionReplyEntry& entry : session_reply_table()) {
    std::string row = "| `" + std::string(entry.name) + "` | " + std::to_string(entry.code) + " | " +
                      (entry.enhanced.empty() ? std::string("-") : std::string(entry.enhanced)) + " | " +
                      std::string(entry.text) + " | " + (entry.closes ? "yes" : "no") + " |";
    EXPECT_NE(text.str().find(row), std::string::npos) << "missing row: " << row;
  }
}

}  // namespace
}  // namespace qcell::smtpd
