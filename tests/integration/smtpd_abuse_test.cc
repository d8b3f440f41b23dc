// smtpd_abuse_test.cc — qmail-smtpd under abuse, for real: 500 idle
// connections hold their cells while the connection limit turns the 501st
// away with a 421, and a client is served as soon as one leaves; a DATA of
// more than 4 GiB is streamed through the cell, refused at databytes with
// 552, and the cell's memory stays small; random bytes end in a closed
// connection. Memory figures are printed, not asserted against a budget
// (bench/smtpd measures them); the bound asserted is a generous one.
// Runs as root (CI does).
#include <gtest/gtest.h>

#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "smtpd_broker.h"

namespace {

using namespace smtpd_test;

// A field of /proc/PID/status or smaps_rollup, in kB (-1 if absent).
long proc_kb(const std::string& file, const std::string& field) {
  const std::string text = slurp(file);
  const std::size_t at = text.find(field + ":");
  if (at == std::string::npos) return -1;
  return std::strtol(text.c_str() + at + field.size() + 1, nullptr, 10);
}

// The broker's log without the routine lines of each connection.
std::string interesting(const std::string& log) {
  std::string kept;
  std::size_t at = 0;
  while (at < log.size()) {
    std::size_t end = log.find('\n', at);
    if (end == std::string::npos) end = log.size();
    const std::string line = log.substr(at, end - at);
    if (line.find("event=cell-start") == std::string::npos && line.find("event=connection ") == std::string::npos &&
        line.find("event=log") == std::string::npos && line.find("time=") == 0) {
      kept += line + "\n";
    }
    at = end + 1;
  }
  return kept.size() > 4000 ? kept.substr(kept.size() - 4000) : kept;
}

std::vector<pid_t> smtpd_pids(const std::string& log) {
  std::vector<pid_t> pids;
  const std::string marker = "event=cell-start cell=qmail-smtpd pid=";
  for (std::size_t at = log.find(marker); at != std::string::npos; at = log.find(marker, at + 1)) {
    pids.push_back(static_cast<pid_t>(std::strtol(log.c_str() + at + marker.size(), nullptr, 10)));
  }
  return pids;
}

TEST(SmtpdAbuse, FiveHundredIdleConnectionsDoNotStopTheNextClient) {
  SmtpdBroker broker;
  broker.control("smtpconnections", "500");
  broker.control("smtpconnectionsperip", "1000");
  ASSERT_TRUE(broker.start()) << broker.log();
  std::vector<std::unique_ptr<Client>> idle;
  for (int i = 0; i < 500; ++i) {
    idle.push_back(std::make_unique<Client>(broker.port()));
    ASSERT_TRUE(idle.back()->connected()) << i;
  }
  for (std::size_t i = 0; i < idle.size(); ++i) {
    ASSERT_EQ(Client::first_line(idle[i]->reply(60s)), "220 mx.test ESMTP")
        << i << "\n" << interesting(broker.log());
  }
  // Memory of the 500 idle cells: printed for the record.
  long rss = 0;
  long pss = 0;
  // A forked cell greets before the broker has logged its pid: wait for all.
  std::vector<pid_t> pids;
  for (const Clock::time_point end = Clock::now() + 20s; Clock::now() < end; std::this_thread::sleep_for(20ms)) {
    pids = smtpd_pids(broker.log());
    if (pids.size() >= 500) break;
  }
  ASSERT_EQ(pids.size(), 500U) << interesting(broker.log());
  for (pid_t pid : pids) {
    rss += std::max(0L, proc_kb("/proc/" + std::to_string(pid) + "/status", "VmRSS"));
    pss += std::max(0L, proc_kb("/proc/" + std::to_string(pid) + "/smaps_rollup", "Pss"));
  }
  std::printf("500 idle qmail-smtpd cells: %zu pids, VmRSS %ld kB each, Pss %ld kB each, Pss total %ld MiB\n",
              pids.size(), rss / 500, pss / 500, pss / 1024);
  EXPECT_LT(pss / 1024, 2048) << "the idle cells take more than 2 GiB";

  Client refused(broker.port());
  EXPECT_EQ(Client::first_line(refused.reply()), "421 4.3.2 Too many connections, try again later");
  EXPECT_TRUE(refused.closed_by_server());

  // One idle client leaves; the next legitimate client is served in full.
  EXPECT_EQ(idle.front()->command("QUIT"), "221 2.0.0 mx.test closing connection");
  idle.erase(idle.begin());
  const Clock::time_point end = Clock::now() + 10s;
  std::string greeting;
  std::unique_ptr<Client> next;
  while (Clock::now() < end) {
    next = std::make_unique<Client>(broker.port());
    greeting = Client::first_line(next->reply());
    if (greeting == "220 mx.test ESMTP") break;
    std::this_thread::sleep_for(50ms);  // the broker has not reaped the cell yet
  }
  ASSERT_EQ(greeting, "220 mx.test ESMTP");
  next->command("EHLO legit.example");
  next->command("MAIL FROM:<a@legit.example>");
  next->command("RCPT TO:<b@example.org>");
  next->command("DATA");
  next->send("Subject: served\r\n\r\nwhile 499 others wait\r\n.\r\n");
  EXPECT_EQ(Client::first_line(next->reply()).substr(0, 23), "250 2.0.0 Ok: queued as");
  EXPECT_EQ(broker.queued(), 1U);
}

// More than 4 GiB of DATA: read and discarded past databytes, answered 552
// at the end marker, and the session goes on. The cell never holds more
// than a read buffer of it.
TEST(SmtpdAbuse, DataOfMoreThanFourGiBIsRefusedAtDatabytes) {
  SmtpdBroker broker;
  broker.control("databytes", "1048576");
  ASSERT_TRUE(broker.start()) << broker.log();
  Client c(broker.port());
  ASSERT_EQ(Client::first_line(c.reply()), "220 mx.test ESMTP");
  c.command("EHLO big.example");
  c.command("MAIL FROM:<a@big.example>");
  c.command("RCPT TO:<b@example.org>");
  ASSERT_EQ(c.command("DATA"), "354 End data with <CR><LF>.<CR><LF>");
  std::string chunk;
  while (chunk.size() < (1U << 20)) chunk += std::string(998, 'x') + "\r\n";
  const std::uint64_t target = (std::uint64_t{4} << 30) + (std::uint64_t{1} << 20);
  std::uint64_t sent = 0;
  while (sent < target) {
    ASSERT_TRUE(c.send(chunk)) << "after " << sent << " bytes";
    sent += chunk.size();
  }
  ASSERT_TRUE(c.send(".\r\n"));
  EXPECT_EQ(Client::first_line(c.reply(120s)), "552 5.3.4 message too big: more than 1048576 bytes");
  const pid_t pid = smtpd_pids(broker.log()).back();
  const long peak = proc_kb("/proc/" + std::to_string(pid) + "/status", "VmHWM");
  std::printf("qmail-smtpd cell after %llu bytes of DATA: VmHWM %ld kB\n", static_cast<unsigned long long>(sent), peak);
  EXPECT_GT(peak, 0);
  EXPECT_LT(peak, 64 * 1024) << "the cell held the message";
  EXPECT_EQ(c.command("NOOP"), "250 2.0.0 Ok");
  EXPECT_EQ(broker.queued(), 0U);
  EXPECT_FALSE(broker.wait_for("refused why=too_big bytes=").empty());
}

// Postfix's smtp-source: 20 sessions at once, 1000 messages of 5 KiB with a
// new connection (and so a new cell) for each, then 1000 more over 20
// connections kept open (-d): every one lands in the queue.
TEST(SmtpdAbuse, SmtpSourceLoadLandsInTheQueue) {
  SmtpdBroker broker;
  ASSERT_TRUE(broker.start()) << broker.log();
  const std::string target = " 127.0.0.1:" + std::to_string(broker.port());
  const std::string common = "smtp-source -s 20 -m 1000 -l 5120 -f load@sender.example -t rcpt@example.org";
  ASSERT_EQ(std::system((common + target).c_str()), 0) << interesting(broker.log());
  EXPECT_EQ(broker.queued(), 1000U);
  ASSERT_EQ(std::system((common + " -d" + target).c_str()), 0) << interesting(broker.log());
  EXPECT_EQ(broker.queued(), 2000U);
  EXPECT_EQ(broker.log().find("broker-channel-error"), std::string::npos) << interesting(broker.log());
  EXPECT_EQ(broker.log().find("queue-failed"), std::string::npos);
}

// Random bytes: answered with 500s or refused for a bare CR/LF, and the
// connection ends either way.
TEST(SmtpdAbuse, RandomBytesEndInADisconnect) {
  SmtpdBroker broker;
  ASSERT_TRUE(broker.start()) << broker.log();
  std::mt19937 random(20261203);
  for (int round = 0; round < 5; ++round) {
    Client c(broker.port());
    ASSERT_EQ(Client::first_line(c.reply()), "220 mx.test ESMTP");
    std::string garbage(64 * 1024, '\0');
    for (char& byte : garbage) byte = static_cast<char>(random() & 0xff);
    c.send(garbage);
    std::string replies;
    for (std::string r = c.reply(5s); !r.empty(); r = c.reply(5s)) replies += r;
    EXPECT_TRUE(c.closed_by_server()) << round;
    EXPECT_TRUE(replies.empty() || replies.find("500 5.5.") != std::string::npos) << replies;
  }
  EXPECT_EQ(broker.queued(), 0U);
}

}  // namespace
