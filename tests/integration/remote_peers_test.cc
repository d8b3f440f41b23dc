// remote_peers_test.cc — proves the fixtures of remote_peers.h: NSD answers
// what the qmail-remote tests will ask through c-ares (MX order, null MX,
// CNAMEs, A, AAAA, NXDOMAIN, no data, a silent server), smtp-sink accepts,
// rejects, stalls and saves what it got, a private Postfix delivers to its
// Maildir and offers STARTTLS with a certificate of the test CA. Runs as
// root (port 25 on 127.77.0.x, apart from the 127.0.0.x of other tests).
// Loopback only; every wait is bounded.
#include <ares.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <netdb.h>
#include <sys/select.h>

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "remote_peers.h"

namespace {

using namespace remote_peers;

// One c-ares query, the way a stub resolver makes it: the answer's status
// and bytes, within a bounded time.
struct AresAnswer {
  int status = ARES_ETIMEOUT;
  std::string bytes;
  bool done = false;
};

class Resolver {
 public:
  explicit Resolver(const std::string& servers) {
    ares_library_init(ARES_LIB_INIT_ALL);
    ares_options options{};
    options.flags = ARES_FLAG_NOSEARCH | ARES_FLAG_NOALIASES;
    options.timeout = 500;  // milliseconds, with ARES_OPT_TIMEOUTMS
    options.tries = 2;
    ok_ =
        ares_init_options(&channel_, &options, ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES) == ARES_SUCCESS &&
        ares_set_servers_ports_csv(channel_, servers.c_str()) == ARES_SUCCESS;
  }
  ~Resolver() {
    if (channel_ != nullptr) ares_destroy(channel_);
    ares_library_cleanup();
  }
  Resolver(const Resolver&) = delete;
  Resolver& operator=(const Resolver&) = delete;
  [[nodiscard]] bool ok() const { return ok_; }

  AresAnswer query(const std::string& name, int type, std::chrono::milliseconds limit = 5s) {
    AresAnswer answer;
    ares_query(
        channel_, name.c_str(), 1 /* C_IN */, type,
        [](void* arg, int status, int /*timeouts*/, unsigned char* abuf, int alen) {
          auto* a = static_cast<AresAnswer*>(arg);
          a->status = status;
          if (abuf != nullptr && alen > 0)
            a->bytes.assign(reinterpret_cast<char*>(abuf), static_cast<std::size_t>(alen));
          a->done = true;
        },
        &answer);
    const Clock::time_point end = Clock::now() + limit;
    while (!answer.done && Clock::now() < end) {
      fd_set readers, writers;
      FD_ZERO(&readers);
      FD_ZERO(&writers);
      const int count = ares_fds(channel_, &readers, &writers);
      if (count == 0) break;
      timeval most{0, 100000}, wait{};
      timeval* t = ares_timeout(channel_, &most, &wait);
      ::select(count, &readers, &writers, nullptr, t);
      ares_process(channel_, &readers, &writers);
    }
    if (!answer.done) ares_cancel(channel_);
    return answer;
  }

  // "PREFERENCE HOST" per MX record, in answer order; the query's status.
  std::pair<int, std::vector<std::string>> mx(const std::string& name) {
    AresAnswer a = query(name, 15);
    std::vector<std::string> records;
    if (a.status != ARES_SUCCESS) return {a.status, records};
    ares_mx_reply* list = nullptr;
    const int parsed = ares_parse_mx_reply(reinterpret_cast<const unsigned char*>(a.bytes.data()),
                                           static_cast<int>(a.bytes.size()), &list);
    for (ares_mx_reply* r = list; r != nullptr; r = r->next) {
      records.push_back(std::to_string(r->priority) + " " + r->host);
    }
    if (list != nullptr) ares_free_data(list);
    return {parsed, records};
  }
  // The addresses of the A (or AAAA) records, as text; the status.
  std::pair<int, std::vector<std::string>> addresses(const std::string& name, bool ipv6 = false) {
    AresAnswer a = query(name, ipv6 ? 28 : 1);
    std::vector<std::string> out;
    if (a.status != ARES_SUCCESS) return {a.status, out};
    hostent* host = nullptr;
    const auto* bytes = reinterpret_cast<const unsigned char*>(a.bytes.data());
    const int length = static_cast<int>(a.bytes.size());
    const int parsed = ipv6 ? ares_parse_aaaa_reply(bytes, length, &host, nullptr, nullptr)
                            : ares_parse_a_reply(bytes, length, &host, nullptr, nullptr);
    if (host != nullptr) {
      for (char** p = host->h_addr_list; *p != nullptr; ++p) {
        char text[INET6_ADDRSTRLEN];
        ::inet_ntop(host->h_addrtype, *p, text, sizeof text);
        out.emplace_back(text);
      }
      ares_free_hostent(host);
    }
    return {parsed, out};
  }

 private:
  ares_channel channel_ = nullptr;
  bool ok_ = false;
};

// Processes still alive (not zombies) in process group `group`.
std::vector<pid_t> live_in_group(pid_t group) {
  std::vector<pid_t> live;
  if (DIR* d = ::opendir("/proc")) {
    while (const dirent* e = ::readdir(d)) {
      if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
      const std::string stat = read_text(std::string("/proc/") + e->d_name + "/stat");
      const std::size_t paren = stat.rfind(')');
      if (paren == std::string::npos) continue;
      char state = 0;
      int ppid = 0, pgrp = 0;
      if (std::sscanf(stat.c_str() + paren + 1, " %c %d %d", &state, &ppid, &pgrp) == 3 && pgrp == group &&
          state != 'Z') {
        live.push_back(std::atoi(e->d_name));
      }
    }
    ::closedir(d);
  }
  return live;
}

const char* const relay_zone = R"(
@        MX 10 mx1
@        MX 20 mx2
@        MX 10 mx3
mx1      A  127.0.0.2
mx2      A  127.0.0.3
mx2      A  127.0.0.4
mx3      AAAA ::1
null     MX 0 .
alias    CNAME real
real     MX 5 mx1
aliasa   CNAME mx1
dangling CNAME nothere
outside  CNAME mail.example.org.
chain    CNAME alias
cross    CNAME other.test.
)";

class DnsServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dns_ = new DnsServer;
    dns_->zone("relay.test", relay_zone);
    dns_->zone("other.test", "@ MX 7 mx1.relay.test.\n");
    ASSERT_TRUE(dns_->start()) << dns_->log();
  }
  static void TearDownTestSuite() {
    delete dns_;
    dns_ = nullptr;
  }
  void SetUp() override { ASSERT_TRUE(resolver_.ok()); }
  static DnsServer* dns_;
  Resolver resolver_{dns_ == nullptr ? std::string("127.0.0.1:1") : dns_->servers_csv()};
};
DnsServer* DnsServerTest::dns_ = nullptr;

TEST_F(DnsServerTest, MxRecordsComeInZoneFileOrderWithEqualPreferences) {
  auto [status, records] = resolver_.mx("relay.test");
  EXPECT_EQ(status, ARES_SUCCESS);
  EXPECT_EQ(records, (std::vector<std::string>{"10 mx1.relay.test", "20 mx2.relay.test", "10 mx3.relay.test"}));
}

TEST_F(DnsServerTest, NullMx) {
  auto [status, records] = resolver_.mx("null.relay.test");
  EXPECT_EQ(status, ARES_SUCCESS);
  EXPECT_EQ(records, (std::vector<std::string>{"0 "}));
}

TEST_F(DnsServerTest, MxAtACnameComesWithTheTargetsMx) {
  // NSD puts the CNAME and real.relay.test's MX in the answer; c-ares's MX
  // parser keeps the MX records and ignores the CNAME.
  AresAnswer raw = resolver_.query("alias.relay.test", 15);
  ASSERT_EQ(raw.status, ARES_SUCCESS);
  EXPECT_EQ(static_cast<unsigned char>(raw.bytes[7]), 2) << "ANCOUNT: CNAME + MX";
  auto [status, records] = resolver_.mx("alias.relay.test");
  EXPECT_EQ(status, ARES_SUCCESS);
  EXPECT_EQ(records, (std::vector<std::string>{"5 mx1.relay.test"}));
  // A chain, and a CNAME into another zone of the same server.
  EXPECT_EQ(resolver_.mx("chain.relay.test").second, (std::vector<std::string>{"5 mx1.relay.test"}));
  EXPECT_EQ(resolver_.mx("cross.relay.test").second, (std::vector<std::string>{"7 mx1.relay.test"}));
}

TEST_F(DnsServerTest, CnameWithoutRecordsOfTheTypeAtItsTarget) {
  // The answer holds the CNAME only: c-ares 1.18's ares_query says
  // ARES_SUCCESS and ares_parse_mx_reply ARES_SUCCESS with no record.
  EXPECT_EQ(resolver_.query("aliasa.relay.test", 15).status, ARES_SUCCESS);
  EXPECT_EQ(resolver_.mx("aliasa.relay.test"), (std::pair<int, std::vector<std::string>>{ARES_SUCCESS, {}}));
  EXPECT_EQ(resolver_.addresses("mx1.relay.test", true).first, ARES_ENODATA);
  // The same for A at a CNAME whose target has MX only: ares_parse_a_reply
  // says ARES_SUCCESS and gives no address.
  EXPECT_EQ(resolver_.addresses("alias.relay.test"), (std::pair<int, std::vector<std::string>>{ARES_SUCCESS, {}}));
  auto [status, addresses] = resolver_.addresses("aliasa.relay.test");
  EXPECT_EQ(status, ARES_SUCCESS);
  EXPECT_EQ(addresses, (std::vector<std::string>{"127.0.0.2"}));
  // NSD does not recurse: the CNAME only.
  EXPECT_EQ(resolver_.mx("outside.relay.test"), (std::pair<int, std::vector<std::string>>{ARES_SUCCESS, {}}));
  EXPECT_EQ(resolver_.mx("dangling.relay.test").first, ARES_ENOTFOUND);
}

TEST_F(DnsServerTest, AAndAaaa) {
  EXPECT_EQ(resolver_.addresses("mx1.relay.test"),
            (std::pair<int, std::vector<std::string>>{ARES_SUCCESS, {"127.0.0.2"}}));
  EXPECT_EQ(resolver_.addresses("mx2.relay.test"),
            (std::pair<int, std::vector<std::string>>{ARES_SUCCESS, {"127.0.0.3", "127.0.0.4"}}));
  EXPECT_EQ(resolver_.addresses("mx3.relay.test", true),
            (std::pair<int, std::vector<std::string>>{ARES_SUCCESS, {"::1"}}));
}

TEST_F(DnsServerTest, NxdomainNoDataAndRefused) {
  EXPECT_EQ(resolver_.mx("nowhere.relay.test").first, ARES_ENOTFOUND);
  EXPECT_EQ(resolver_.addresses("nowhere.relay.test").first, ARES_ENOTFOUND);
  EXPECT_EQ(resolver_.mx("mx1.relay.test").first, ARES_ENODATA);
  EXPECT_EQ(resolver_.addresses("mx3.relay.test").first, ARES_ENODATA);
  // A name in no zone of this server: NSD says REFUSED, which c-ares 1.18
  // reports as ARES_ECONNREFUSED (it tried every server).
  EXPECT_EQ(resolver_.mx("example.org").first, ARES_ECONNREFUSED);
}

TEST(DnsServerLife, BadZoneFailsStartAndStopLeavesNoProcess) {
  {
    DnsServer bad;
    bad.zone("bad.test", "@ MX ten mx1\n");
    EXPECT_FALSE(bad.start());
    EXPECT_NE(bad.log().find("nsd-checkzone"), std::string::npos) << bad.log();
  }
  pid_t group = -1;
  {
    DnsServer dns;
    dns.zone("life.test", "@ A 127.0.0.9\n");
    ASSERT_TRUE(dns.start()) << dns.log();
    group = dns.pid();
    EXPECT_GE(live_in_group(group).size(), 2U) << "nsd forks helpers into its group";
  }
  EXPECT_TRUE(wait_until([&] { return live_in_group(group).empty(); }, 2s));
}

TEST(SilentDnsServer, ResolverTimesOut) {
  SilentDnsServer silent;
  Resolver resolver(silent.servers_csv());
  ASSERT_TRUE(resolver.ok());
  const Clock::time_point begin = Clock::now();
  EXPECT_EQ(resolver.query("relay.test", 15).status, ARES_ETIMEOUT);
  EXPECT_LT(Clock::now() - begin, 5s);
}

// A blocking SMTP client for the tests below: one reply (all its lines) per
// call, each read bounded.
class SmtpClient {
 public:
  SmtpClient(const std::string& ip, int port) : fd_(connect_tcp(ip, port, 2s)) {}
  ~SmtpClient() {
    if (fd_ >= 0) ::close(fd_);
  }
  SmtpClient(const SmtpClient&) = delete;
  SmtpClient& operator=(const SmtpClient&) = delete;
  [[nodiscard]] bool connected() const { return fd_ >= 0; }
  // The reply's lines joined by "\n" (no CRs); empty on timeout or EOF.
  std::string reply(std::chrono::milliseconds limit = 5s) {
    const Clock::time_point end = Clock::now() + limit;
    std::string text;
    for (;;) {
      std::size_t line_end;
      while ((line_end = buffer_.find("\r\n")) != std::string::npos) {
        const std::string line = buffer_.substr(0, line_end);
        buffer_.erase(0, line_end + 2);
        text += (text.empty() ? "" : "\n") + line;
        if (line.size() < 4 || line[3] != '-') return text;
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now());
      pollfd p{fd_, POLLIN, 0};
      if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) != 1) return {};
      char chunk[1024];
      const ssize_t n = ::read(fd_, chunk, sizeof chunk);
      if (n <= 0) return {};
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
  }
  bool send(const std::string& bytes) {
    return ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size());
  }
  std::string command(const std::string& line, std::chrono::milliseconds limit = 5s) {
    return send(line + "\r\n") ? reply(limit) : std::string();
  }

 private:
  int fd_;
  std::string buffer_;
};

// One transaction; the replies, one per step, joined by " | ".
std::string transaction(const std::string& ip, int port, const std::vector<std::string>& rcpts,
                        const std::string& data) {
  SmtpClient c(ip, port);
  if (!c.connected()) return "no connection";
  std::string log = c.reply();
  auto step = [&](const std::string& reply) { log += " | " + reply.substr(0, reply.find('\n')); };
  step(c.command("EHLO client.test"));
  step(c.command("MAIL FROM:<sender@client.test>"));
  for (const std::string& r : rcpts) step(c.command("RCPT TO:<" + r + ">"));
  const std::string data_reply = c.command("DATA");
  step(data_reply);
  if (data_reply.rfind("354", 0) == 0) step(c.send(data + ".\r\n") ? c.reply(10s) : "send failed");
  step(c.command("QUIT"));
  return log;
}

TEST(SmtpSink, AcceptsOnPort25AndSavesTheTransaction) {
  SmtpSink sink({.address = "127.77.0.2", .port = 25, .hostname = "mx1.relay.test"});
  ASSERT_TRUE(sink.start()) << sink.log();
  SmtpClient c("127.77.0.2", 25);
  ASSERT_TRUE(c.connected());
  EXPECT_EQ(c.reply(), "220 mx1.relay.test ESMTP");
  const std::string ehlo = c.command("EHLO client.test");
  EXPECT_NE(ehlo.find("250-PIPELINING"), std::string::npos) << ehlo;
  EXPECT_EQ(ehlo.find("STARTTLS"), std::string::npos) << ehlo;
  EXPECT_EQ(c.command("STARTTLS"), "500 5.5.1 Error: unknown command");
  EXPECT_EQ(c.command("MAIL FROM:<a@b.test> SIZE=40"), "250 2.1.0 Ok");
  EXPECT_EQ(c.command("RCPT TO:<c@relay.test>"), "250 2.1.5 Ok");
  EXPECT_EQ(c.command("RCPT TO:<d@relay.test>"), "250 2.1.5 Ok");
  EXPECT_EQ(c.command("DATA"), "354 End data with <CR><LF>.<CR><LF>");
  ASSERT_TRUE(c.send("Subject: x\r\n\r\nbody\r\n..dot\r\n.\r\n"));
  EXPECT_EQ(c.reply(), "250 2.0.0 Ok");
  // Complete as soon as the reply to "." came.
  auto got = sink.messages();
  ASSERT_EQ(got.size(), 1U);
  EXPECT_EQ(got[0].client_addr, "127.0.0.1");
  EXPECT_EQ(got[0].protocol, "ESMTP");
  EXPECT_EQ(got[0].helo_args, "client.test");
  EXPECT_EQ(got[0].mail_args, "<a@b.test> SIZE=40");
  EXPECT_EQ(got[0].rcpt_args, (std::vector<std::string>{"<c@relay.test>", "<d@relay.test>"}));
  EXPECT_EQ(got[0].content, "Subject: x\n\nbody\n.dot\n");
  // A transaction ended by RSET is dropped. (Whether one still in progress
  // is listed depends on when smtp-sink opens its file: not checked.)
  EXPECT_EQ(c.command("MAIL FROM:<e@b.test>"), "250 2.1.0 Ok");
  EXPECT_EQ(c.command("RSET"), "250 2.1.0 Ok");
  EXPECT_EQ(c.command("QUIT"), "221 Bye");
  EXPECT_EQ(sink.wait_for_messages(2, 300ms).size(), 1U);
}

TEST(SmtpSink, HardAndSoftRejects) {
  SmtpSink hard({.address = "127.77.0.2", .port = 0, .hard_reject = "RCPT", .hard_reply = "554 5.7.1 go away"});
  SmtpSink soft({.address = "127.77.0.2", .port = 0, .soft_reject = "."});
  SmtpSink greeting({.address = "127.77.0.2", .port = 0, .soft_reject = "CONNECT"});
  ASSERT_TRUE(hard.start()) << hard.log();
  ASSERT_TRUE(soft.start()) << soft.log();
  ASSERT_TRUE(greeting.start()) << greeting.log();
  EXPECT_EQ(transaction("127.77.0.2", hard.port(), {"c@relay.test"}, "x\r\n"),
            "220 smtp-sink.test ESMTP | 250-smtp-sink.test | 250 2.1.0 Ok | 554 5.7.1 go away | "
            "503 5.5.1 Error: need RCPT command | 221 Bye");
  EXPECT_EQ(transaction("127.77.0.2", soft.port(), {"c@relay.test"}, "x\r\n"),
            "220 smtp-sink.test ESMTP | 250-smtp-sink.test | 250 2.1.0 Ok | 250 2.1.5 Ok | "
            "354 End data with <CR><LF>.<CR><LF> | 450 4.3.0 Error: command failed | 221 Bye");
  // The transaction whose "." was refused is saved all the same.
  EXPECT_EQ(soft.wait_for_messages(1, 2s).size(), 1U);
  EXPECT_EQ(hard.messages().size(), 0U);
  SmtpClient c("127.77.0.2", greeting.port());
  EXPECT_EQ(c.reply(), "450 4.3.0 Error: command failed");
}

TEST(SmtpSink, DisconnectsAnd421) {
  SmtpSink closing({.address = "127.77.0.2", .port = 0, .reply_421 = "MAIL"});
  SmtpSink silent({.address = "127.77.0.2", .port = 0, .disconnect = "DATA"});
  ASSERT_TRUE(closing.start()) << closing.log();
  ASSERT_TRUE(silent.start()) << silent.log();
  EXPECT_EQ(transaction("127.77.0.2", closing.port(), {"c@relay.test"}, "x\r\n"),
            "220 smtp-sink.test ESMTP | 250-smtp-sink.test | 421 4.0.0 Server closing connection |  |  | ");
  EXPECT_EQ(transaction("127.77.0.2", silent.port(), {"c@relay.test"}, "x\r\n"),
            "220 smtp-sink.test ESMTP | 250-smtp-sink.test | 250 2.1.0 Ok | 250 2.1.5 Ok |  | ");
}

TEST(SmtpSink, Stalls) {
  SmtpSink mute({.address = "127.77.0.2", .port = 0, .delays = {"CONNECT:30"}});
  SmtpSink slow_data({.address = "127.77.0.2", .port = 0, .data_delay = 2});
  ASSERT_TRUE(mute.start()) << mute.log();
  ASSERT_TRUE(slow_data.start()) << slow_data.log();
  SmtpClient c("127.77.0.2", mute.port());
  ASSERT_TRUE(c.connected());
  EXPECT_EQ(c.reply(1s), "");  // no greeting
  SmtpClient d("127.77.0.2", slow_data.port());
  d.reply();
  d.command("HELO client.test");
  d.command("MAIL FROM:<a@b.test>");
  d.command("RCPT TO:<c@relay.test>");
  const Clock::time_point begin = Clock::now();
  EXPECT_EQ(d.command("DATA", 500ms), "");
  EXPECT_EQ(d.reply(5s), "354 End data with <CR><LF>.<CR><LF>");
  EXPECT_GE(Clock::now() - begin, 1500ms);
}

TEST(SmtpSink, Ipv6AndPortInUse) {
  SmtpSink sink({.address = "::1", .port = 0});
  ASSERT_TRUE(sink.start()) << sink.log();
  EXPECT_EQ(transaction("::1", sink.port(), {"c@relay.test"}, "x\r\n"),
            "220 smtp-sink.test ESMTP | 250-smtp-sink.test | 250 2.1.0 Ok | 250 2.1.5 Ok | "
            "354 End data with <CR><LF>.<CR><LF> | 250 2.0.0 Ok | 221 Bye");
  auto got = sink.wait_for_messages(1, 2s);
  ASSERT_EQ(got.size(), 1U);
  EXPECT_EQ(got[0].client_addr, "ipv6:::1");
  SmtpSink second({.address = "::1", .port = sink.port()});
  EXPECT_FALSE(second.start());
  EXPECT_NE(second.log().find("already in use"), std::string::npos) << second.log();
}

TEST(TestCa, IssuesCurrentExpiredAndNotYetValidCertificates) {
  TestCa ca;
  ASSERT_TRUE(ca.ok()) << ca.log();
  const auto current = ca.issue("mx1.relay.test");
  const auto expired = ca.issue("mx1.relay.test", TestCa::Validity::expired);
  const auto future = ca.issue("mx1.relay.test", TestCa::Validity::not_yet_valid);
  ASSERT_TRUE(current.ok && expired.ok && future.ok) << ca.log();
  auto verify = [&](const TestCa::Issued& issued) {
    return run_command("openssl verify -CAfile '" + ca.cert() +
                       "' -verify_hostname mx1.relay.test -purpose sslserver '" + issued.cert + "'");
  };
  EXPECT_EQ(verify(current).first, 0) << verify(current).second;
  EXPECT_NE(verify(expired).second.find("certificate has expired"), std::string::npos) << verify(expired).second;
  EXPECT_NE(verify(future).second.find("certificate is not yet valid"), std::string::npos) << verify(future).second;
  const auto wrong =
      run_command("openssl verify -CAfile '" + ca.cert() + "' -verify_hostname mx9.relay.test '" + current.cert + "'");
  EXPECT_NE(wrong.first, 0) << wrong.second;
  TestCa other;
  const auto stranger = run_command("openssl verify -CAfile '" + other.cert() + "' '" + current.cert + "'");
  EXPECT_NE(stranger.first, 0) << stranger.second;
}

TEST(PostfixPeer, DeliversToItsMaildirAndOffersStartTls) {
  TestCa ca;
  const auto mx2 = ca.issue("mx2.relay.test");
  ASSERT_TRUE(mx2.ok) << ca.log();
  PostfixPeer postfix({.address = "127.77.0.3",
                       .port = 25,
                       .hostname = "mx2.relay.test",
                       .domain = "relay.test",
                       .tls_cert = mx2.chain,
                       .tls_key = mx2.key});
  ASSERT_TRUE(postfix.start()) << postfix.log();
  EXPECT_FALSE(postfix.pids().empty());

  const std::string plain = transaction("127.77.0.3", 25, {"alice@relay.test", "bob@elsewhere.test"},
                                        "Subject: plain\r\n\r\nline\r\n..dot\r\n");
  EXPECT_NE(plain.find("220 mx2.relay.test ESMTP"), std::string::npos) << plain;
  EXPECT_NE(plain.find("| 250 2.1.5 Ok | 554 5.7.1 <bob@elsewhere.test>: Relay access denied |"), std::string::npos)
      << plain;
  EXPECT_NE(plain.find("| 250 2.0.0 Ok: queued as "), std::string::npos) << plain;

  // STARTTLS with the test CA's certificate, checked by openssl s_client.
  const auto tls = run_command(
      "(sleep 1; printf 'QUIT\\r\\n') | openssl s_client -brief -starttls smtp -connect "
      "127.77.0.3:25 -CAfile '" +
          ca.cert() + "' -verify_hostname mx2.relay.test -verify_return_error",
      20);
  EXPECT_EQ(tls.first, 0) << tls.second;
  EXPECT_NE(tls.second.find("Verification: OK"), std::string::npos) << tls.second;

  // A second message, over TLS, by swaks.
  const auto swaks = run_command(
      "swaks --server 127.77.0.3 --port 25 --tls --helo client.test --timeout 10 "
      "--from sender@client.test --to carol@relay.test --header 'Subject: tls'",
      30);
  EXPECT_EQ(swaks.first, 0) << swaks.second;

  const auto files = wait_for_maildir(postfix.maildir(), 2, 20s);
  ASSERT_EQ(files.size(), 2U) << postfix.log();
  std::string both = read_text(files[0]) + read_text(files[1]);
  EXPECT_NE(both.find("Delivered-To: alice@relay.test\n"), std::string::npos) << both;
  EXPECT_NE(both.find("Delivered-To: carol@relay.test\n"), std::string::npos) << both;
  EXPECT_NE(both.find("(UTC)\nSubject: plain\n\nline\n.dot\n"), std::string::npos) << both;
  EXPECT_NE(both.find("(using TLSv1.3"), std::string::npos) << both;
  EXPECT_EQ(both.find("bob@elsewhere.test"), std::string::npos) << both;

  postfix.stop();
  EXPECT_TRUE(postfix.pids().empty());
  EXPECT_FALSE(tcp_listening("127.77.0.3", 25));
}

}  // namespace
