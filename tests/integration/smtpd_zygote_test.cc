// smtpd_zygote_test.cc — connection cells forked by the kind's zygote
// (docs/cells.md, "Connection cells are forked"): each forked cell holds
// the same walls as a fresh one, a zygote that dies takes its sessions
// with it and comes back while fresh cells fill in, and
// --fresh-connection-cells still makes a fresh cell per connection.
// Runs as root.
#include <dirent.h>
#include <pwd.h>

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "smtpd_broker.h"

namespace {

using namespace smtpd_test;

// The value after `key` in the first log line holding `prefix` after
// position `from`, or "".
std::string field_after(const std::string& log, const std::string& prefix, const std::string& key,
                        std::size_t from = 0) {
  const std::size_t line = log.find(prefix, from);
  if (line == std::string::npos) return "";
  const std::size_t end_of_line = log.find('\n', line);
  const std::size_t at = log.find(key, line);
  if (at == std::string::npos || at > end_of_line) return "";
  const std::size_t start = at + key.size();
  return log.substr(start, log.find_first_of(" \n", start) - start);
}

std::string ns_of(const std::string& pid, const char* name) {
  char target[128] = {};
  const ssize_t n = ::readlink(("/proc/" + pid + "/ns/" + name).c_str(), target, sizeof target - 1);
  return n > 0 ? std::string(target, static_cast<std::size_t>(n)) : "?" + pid;
}

std::vector<int> open_descriptors(const std::string& pid) {
  std::vector<int> fds;
  DIR* dir = ::opendir(("/proc/" + pid + "/fd").c_str());
  if (dir == nullptr) return fds;
  while (const dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] != '.') fds.push_back(std::atoi(entry->d_name));
  }
  ::closedir(dir);
  std::sort(fds.begin(), fds.end());
  return fds;
}

TEST(SmtpdZygote, AForkedCellHoldsTheWallsOfAFreshOne) {
  SmtpdBroker broker;
  ASSERT_TRUE(broker.start()) << broker.log();
  std::string log = broker.wait_for("event=zygote-ready cell=qmail-smtpd-zygote");
  ASSERT_FALSE(log.empty()) << broker.log();
  const std::string zygote = field_after(log, "event=zygote-ready", "pid=");
  Client c(broker.port());
  ASSERT_EQ(Client::first_line(c.reply()), "220 mx.test ESMTP");
  log = broker.wait_for(" zygote=" + zygote);
  const std::string pid = field_after(log, "event=cell-start cell=qmail-smtpd pid=", "pid=");
  ASSERT_FALSE(pid.empty()) << log;
  ASSERT_NE(pid, "-1") << log;
  const std::string status = slurp("/proc/" + pid + "/status");
  // Two filters: the zygote's, and the kind's own loaded by the child.
  EXPECT_NE(status.find("Seccomp:\t2"), std::string::npos) << status;
  EXPECT_NE(status.find("Seccomp_filters:\t2"), std::string::npos) << status;
  EXPECT_NE(status.find("NoNewPrivs:\t1"), std::string::npos);
  for (const char* set : {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"}) {
    EXPECT_NE(status.find(std::string(set) + ":\t0000000000000000"), std::string::npos) << set;
  }
  const passwd* qmaild = ::getpwnam("qmaild");
  ASSERT_NE(qmaild, nullptr);
  const std::string uid = std::to_string(qmaild->pw_uid);
  EXPECT_NE(status.find("Uid:\t" + uid + "\t" + uid + "\t" + uid + "\t" + uid), std::string::npos) << status;
  // It may not fork: no process of its own.
  const std::string limits = slurp("/proc/" + pid + "/limits");
  EXPECT_NE(limits.find("Max processes             0                    0"), std::string::npos) << limits;
  // The connection, the log and the broker channel at the policy's numbers;
  // nothing of the zygote's (its channel, its child filter, its signalfd).
  const std::vector<int> fds = open_descriptors(pid);
  EXPECT_TRUE(fds == std::vector<int>({2, 3, 4}) || fds == std::vector<int>({2, 3, 4, 5})) << fds.size();
  // The zygote's view, network and pid namespace; not the host's.
  EXPECT_EQ(ns_of(pid, "mnt"), ns_of(zygote, "mnt"));
  EXPECT_EQ(ns_of(pid, "net"), ns_of(zygote, "net"));
  EXPECT_EQ(ns_of(pid, "pid"), ns_of(zygote, "pid"));
  EXPECT_NE(ns_of(pid, "pid"), ns_of("self", "pid"));
  EXPECT_NE(ns_of(pid, "net"), ns_of("self", "net"));
  // And it serves: a message lands in the queue.
  c.command("EHLO forked.example");
  c.command("MAIL FROM:<a@forked.example>");
  c.command("RCPT TO:<b@example.org>");
  c.command("DATA");
  c.send("Subject: forked\r\n\r\nhello\r\n.\r\n");
  EXPECT_EQ(Client::first_line(c.reply()).substr(0, 23), "250 2.0.0 Ok: queued as");
  EXPECT_EQ(c.command("QUIT"), "221 2.0.0 mx.test closing connection");
  log = broker.wait_for("event=cell-exit cell=qmail-smtpd pid=" + pid);
  EXPECT_NE(log.find("event=cell-exit cell=qmail-smtpd pid=" + pid + " id=1 status=0"), std::string::npos) << log;
  EXPECT_EQ(broker.queued(), 1U);
  // Its environment was its connection's (TCPREMOTEIP names the client).
  ASSERT_EQ(broker.messages().size(), 1U);
  EXPECT_NE(broker.messages().begin()->find("Received: from forked.example (unknown [127.0.0.1])"),
            std::string::npos);
}

TEST(SmtpdZygote, AZygoteThatDiesTakesItsSessionsAndComesBack) {
  SmtpdBroker broker;
  ASSERT_TRUE(broker.start()) << broker.log();
  std::string log = broker.wait_for("event=zygote-ready cell=qmail-smtpd-zygote");
  ASSERT_FALSE(log.empty()) << broker.log();
  const std::string zygote = field_after(log, "event=zygote-ready", "pid=");
  Client held(broker.port());
  ASSERT_EQ(Client::first_line(held.reply()), "220 mx.test ESMTP");
  ASSERT_FALSE(broker.wait_for(" zygote=" + zygote).empty());
  ASSERT_EQ(::kill(std::stoi(zygote), SIGKILL), 0);
  // Its children die with it (it is their pid namespace's init).
  EXPECT_TRUE(held.closed_by_server());
  log = broker.wait_for("reason=zygote-ended");
  EXPECT_NE(log.find("event=cell-exit cell=qmail-smtpd pid="), std::string::npos) << broker.log();
  EXPECT_NE(log.find("event=cell-exit cell=qmail-smtpd-zygote pid=" + zygote + " signal=SIGKILL"), std::string::npos)
      << log;
  // Until it is back, connections get fresh cells.
  Client meanwhile(broker.port());
  EXPECT_EQ(Client::first_line(meanwhile.reply()), "220 mx.test ESMTP") << broker.log();
  EXPECT_EQ(meanwhile.command("QUIT"), "221 2.0.0 mx.test closing connection");
  // Restarted after its back-off, it forks the next connection's cell.
  std::size_t restarted = std::string::npos;
  for (const Clock::time_point end = Clock::now() + 15s; Clock::now() < end && restarted == std::string::npos;
       std::this_thread::sleep_for(50ms)) {
    log = broker.log();
    restarted = log.find("event=cell-start cell=qmail-smtpd-zygote", log.find("reason=zygote-ended"));
  }
  ASSERT_NE(restarted, std::string::npos) << log;
  std::string next_zygote;
  for (const Clock::time_point end = Clock::now() + 15s; Clock::now() < end && next_zygote.empty();
       std::this_thread::sleep_for(50ms)) {
    next_zygote = field_after(broker.log(), "event=zygote-ready", "pid=", restarted);
  }
  ASSERT_FALSE(next_zygote.empty()) << broker.log();
  EXPECT_NE(next_zygote, zygote);
  Client after(broker.port());
  EXPECT_EQ(Client::first_line(after.reply()), "220 mx.test ESMTP");
  EXPECT_FALSE(broker.wait_for(" zygote=" + next_zygote).empty()) << broker.log();
}

TEST(SmtpdZygote, FreshConnectionCellsMakesAFreshCellPerConnection) {
  SmtpdBroker broker;
  broker.fresh_cells = true;
  ASSERT_TRUE(broker.start()) << broker.log();
  Client c(broker.port());
  ASSERT_EQ(Client::first_line(c.reply()), "220 mx.test ESMTP");
  EXPECT_EQ(c.command("QUIT"), "221 2.0.0 mx.test closing connection");
  const std::string log = broker.wait_for("event=cell-exit cell=qmail-smtpd pid=");
  ASSERT_FALSE(log.empty()) << broker.log();
  EXPECT_EQ(log.find("zygote"), std::string::npos) << log;
  const std::string pid = field_after(log, "event=cell-start cell=qmail-smtpd pid=", "pid=");
  EXPECT_NE(log.find("event=cell-start cell=qmail-smtpd pid=" + pid + " id=1\n"), std::string::npos) << log;
}

}  // namespace
