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

#include "core/limits.h"
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

// Starts the broker and waits until a zygote is ready.
void start_with_zygote(SmtpdBroker& broker) {
  ASSERT_TRUE(broker.start()) << broker.log();
  ASSERT_FALSE(broker.wait_for("event=zygote-ready cell=qmail-smtpd-zygote").empty()) << broker.log();
}

TEST(SmtpdZygote, AForkedCellHoldsTheWallsOfAFreshOne) {
  SmtpdBroker broker;
  start_with_zygote(broker);
  Client c(broker.port());
  ASSERT_EQ(Client::first_line(c.reply()), "220 mx.test ESMTP");
  std::string log = broker.wait_for(" zygote=");
  const std::string pid = field_after(log, "event=cell-start cell=qmail-smtpd pid=", "pid=");
  const std::string zygote = field_after(log, "event=cell-start cell=qmail-smtpd pid=", "zygote=");
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
  start_with_zygote(broker);
  Client held(broker.port());
  ASSERT_EQ(Client::first_line(held.reply()), "220 mx.test ESMTP");
  std::string log = broker.wait_for(" zygote=");
  const std::string zygote = field_after(log, "event=cell-start cell=qmail-smtpd pid=", "zygote=");
  ASSERT_FALSE(zygote.empty()) << log;
  ASSERT_EQ(::kill(std::stoi(zygote), SIGKILL), 0);
  // Its children die with it (it is their pid namespace's init).
  EXPECT_TRUE(held.closed_by_server());
  log = broker.wait_for("reason=zygote-ended");
  EXPECT_NE(log.find("event=cell-exit cell=qmail-smtpd pid="), std::string::npos) << broker.log();
  EXPECT_NE(log.find("event=cell-exit cell=qmail-smtpd-zygote pid=" + zygote + " signal=SIGKILL"), std::string::npos)
      << log;
  // Meanwhile the other zygote (or, until one is ready, a fresh cell) serves.
  Client meanwhile(broker.port());
  EXPECT_EQ(Client::first_line(meanwhile.reply()), "220 mx.test ESMTP") << broker.log();
  EXPECT_EQ(meanwhile.command("QUIT"), "221 2.0.0 mx.test closing connection");
  // The dead one is restarted after its back-off and is ready again.
  const std::size_t ended = broker.log().find("reason=zygote-ended");
  std::string next_zygote;
  for (const Clock::time_point end = Clock::now() + 15s; Clock::now() < end && next_zygote.empty();
       std::this_thread::sleep_for(50ms)) {
    next_zygote = field_after(broker.log(), "event=zygote-ready", "pid=", ended);
  }
  ASSERT_FALSE(next_zygote.empty()) << broker.log();
  EXPECT_NE(next_zygote, zygote);
  EXPECT_NE(broker.log().find("event=cell-restart-scheduled cell=qmail-smtpd-zygote delay_ms=1000"), std::string::npos);
  Client after(broker.port());
  EXPECT_EQ(Client::first_line(after.reply()), "220 mx.test ESMTP");
}

// Forked cells share their zygote's layout: after limits::zygote_children
// the other zygote takes over, and the retired one ends with its last
// child and stands by again, fresh, at once.
TEST(SmtpdZygote, AZygoteRetiresAfterItsShareOfChildren) {
  SmtpdBroker broker;
  start_with_zygote(broker);
  // Both zygotes ready, so that the first can retire.
  for (const Clock::time_point end = Clock::now() + 10s; Clock::now() < end; std::this_thread::sleep_for(20ms)) {
    const std::string log = broker.log();
    if (log.find("event=zygote-ready", log.find("event=zygote-ready") + 1) != std::string::npos) break;
  }
  for (std::size_t i = 0; i < qcell::limits::zygote_children; ++i) {
    Client c(broker.port());
    ASSERT_EQ(Client::first_line(c.reply()), "220 mx.test ESMTP") << i;
  }
  Client next(broker.port());
  ASSERT_EQ(Client::first_line(next.reply()), "220 mx.test ESMTP");
  std::string log = broker.wait_for("event=zygote-retiring");
  ASSERT_FALSE(log.empty()) << "no retirement";
  const std::string first = field_after(log, "event=zygote-retiring", "pid=");
  EXPECT_NE(log.find("event=zygote-retiring cell=qmail-smtpd-zygote pid=" + first + " children=1000"),
            std::string::npos);
  // The retired zygote ends cleanly once its children have; its slot starts
  // a fresh one at once, with no back-off.
  log = broker.wait_for("event=cell-exit cell=qmail-smtpd-zygote pid=" + first + " status=0");
  ASSERT_FALSE(log.empty()) << broker.log().substr(broker.log().find("event=zygote-retiring"));
  const std::size_t exited = log.find("event=cell-exit cell=qmail-smtpd-zygote pid=" + first);
  for (const Clock::time_point end = Clock::now() + 10s; Clock::now() < end; std::this_thread::sleep_for(20ms)) {
    log = broker.log();
    if (log.find("event=zygote-ready", exited) != std::string::npos) break;
  }
  EXPECT_NE(log.find("event=zygote-ready", exited), std::string::npos) << log.substr(exited);
  EXPECT_EQ(log.find("event=cell-restart-scheduled cell=qmail-smtpd-zygote"), std::string::npos);
  // The connection after the 1000th was forked by the other zygote.
  const std::string last = field_after(log, "id=" + std::to_string(qcell::limits::zygote_children + 1) + " zygote=",
                                       "zygote=");
  EXPECT_FALSE(last.empty());
  EXPECT_NE(last, first);
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
