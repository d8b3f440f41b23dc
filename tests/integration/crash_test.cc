// crash_test.cc — qmail-send and delivery cells killed with SIGKILL at
// random moments while a load is delivered (as root). After the broker has
// restarted qmail-send, every accepted message must be in the Maildir at
// least once and at most twice (docs/delivery.md, "When a message can be
// delivered twice"); the test reports how many duplicates it saw.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <map>
#include <random>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "smtpd_broker.h"

namespace {

using namespace smtpd_test;
using namespace std::chrono_literals;

constexpr uid_t user_uid = 2511;
constexpr int messages = 300;
constexpr int kills = 3;

std::vector<pid_t> pids_of(const std::string& log, const std::string& cell) {
  std::vector<pid_t> pids;
  const std::string needle = "event=cell-start cell=" + cell + " pid=";
  for (std::size_t at = log.find(needle); at != std::string::npos; at = log.find(needle, at + 1)) {
    pids.push_back(static_cast<pid_t>(std::stol(log.substr(at + needle.size()))));
  }
  return pids;
}

TEST(Crash, EveryMessageIsDeliveredAtLeastOnceAndAtMostTwice) {
  SmtpdBroker broker({"qmail-queue", "qmail-smtpd", "qmail-send", "qmail-clean", "qmail-local"});
  broker.control("me", "mx.test");
  broker.control("rcpthosts", "mx.test");
  broker.control("locals", "mx.test");
  const std::string home = broker.root() + "/home";
  ASSERT_EQ(::mkdir(home.c_str(), 0755), 0);
  ASSERT_EQ(::mkdir((broker.root() + "/users").c_str(), 0755), 0);
  for (const std::string& dir : {home + "/joe", home + "/joe/Maildir", home + "/joe/Maildir/tmp",
                                 home + "/joe/Maildir/new", home + "/joe/Maildir/cur"}) {
    ASSERT_EQ(::mkdir(dir.c_str(), 0700), 0);
    ASSERT_EQ(::chown(dir.c_str(), user_uid, user_uid), 0);
  }
  std::ofstream(broker.root() + "/users/assign")
      << "=joe:joe:" << user_uid << ":" << user_uid << ":" << home << "/joe:::\n.\n";
  ASSERT_EQ(std::system((QCELL_BINARY_DIR "/bin/qcell newu --root " + broker.root() + " >/dev/null").c_str()), 0);
  ASSERT_TRUE(broker.start()) << broker.log();

  // The load: one SMTP session, messages numbered in their Subject.
  std::atomic<int> accepted{0};
  std::thread sender([&] {
    Client client(broker.port());
    if (!client.connected() || client.reply().rfind("220", 0) != 0) return;
    client.command("HELO load.test");
    for (int i = 0; i < messages; ++i) {
      if (client.command("MAIL FROM:<load@example.org>").rfind("250", 0) != 0) return;
      if (client.command("RCPT TO:<joe@mx.test>").rfind("250", 0) != 0) return;
      if (client.command("DATA").rfind("354", 0) != 0) return;
      client.send("Subject: crash-test " + std::to_string(i) + "\r\n\r\nbody " + std::to_string(i) + "\r\n.\r\n");
      if (Client::first_line(client.reply(20s)).rfind("250", 0) != 0) return;
      ++accepted;
    }
    client.command("QUIT");
  });

  // Kill qmail-send, and the newest qmail-local cell, at random moments.
  std::mt19937 random(std::random_device{}());
  std::uniform_int_distribution<int> pause(50, 400);
  std::set<pid_t> killed;
  for (int k = 0; k < kills; ++k) {
    std::this_thread::sleep_for(std::chrono::milliseconds(pause(random)));
    // Wait for a qmail-send that is not one already killed (restarts back off: 1, 2, 4 s).
    pid_t target = -1;
    const Clock::time_point end = Clock::now() + 15s;
    while (Clock::now() < end) {
      auto send = pids_of(broker.log(), "qmail-send");
      if (!send.empty() && killed.count(send.back()) == 0 &&
          broker.log().find("pid=" + std::to_string(send.back()) + " text=\"ready messages=") != std::string::npos) {
        target = send.back();
        break;
      }
      std::this_thread::sleep_for(10ms);
    }
    ASSERT_GT(target, 0) << broker.log();
    std::this_thread::sleep_for(std::chrono::milliseconds(pause(random)));
    auto local = pids_of(broker.log(), "qmail-local");
    if (!local.empty()) ::kill(local.back(), SIGKILL);
    ASSERT_EQ(::kill(target, SIGKILL), 0);
    killed.insert(target);
  }
  sender.join();
  ASSERT_EQ(accepted.load(), messages) << broker.log();
  // The last restart (the broker backs off 1, 2, 4 s), then an empty queue.
  const Clock::time_point restarted = Clock::now() + 30s;
  while (Clock::now() < restarted) {
    auto send = pids_of(broker.log(), "qmail-send");
    if (send.size() == static_cast<std::size_t>(kills + 1) &&
        broker.log().find("pid=" + std::to_string(send.back()) + " text=\"ready messages=") != std::string::npos) {
      break;
    }
    std::this_thread::sleep_for(20ms);
  }
  ASSERT_EQ(pids_of(broker.log(), "qmail-send").size(), static_cast<std::size_t>(kills + 1)) << broker.log();
  const Clock::time_point emptied = Clock::now() + 120s;
  while (Clock::now() < emptied && count_files(broker.root() + "/queue/info", true) != 0) {
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_EQ(count_files(broker.root() + "/queue/info", true), 0u) << broker.log();

  // Everything delivered: count each message in the Maildir.
  std::map<int, int> seen;
  const std::regex subject("Subject: crash-test ([0-9]+)\n");
  const Clock::time_point end = Clock::now() + 120s;
  for (;;) {
    seen.clear();
    if (DIR* d = ::opendir((home + "/joe/Maildir/new").c_str())) {
      while (dirent* e = ::readdir(d)) {
        if (e->d_name[0] == '.') continue;
        std::string text = slurp(home + "/joe/Maildir/new/" + e->d_name);
        std::smatch m;
        if (std::regex_search(text, m, subject)) ++seen[std::stoi(m[1])];
      }
      ::closedir(d);
    }
    if (static_cast<int>(seen.size()) == messages || Clock::now() >= end) break;
    std::this_thread::sleep_for(100ms);
  }
  int duplicates = 0;
  for (int i = 0; i < messages; ++i) {
    EXPECT_GE(seen[i], 1) << "message " << i << " was lost";
    EXPECT_LE(seen[i], 2) << "message " << i << " was delivered " << seen[i] << " times";
    if (seen[i] > 1) duplicates += seen[i] - 1;
  }
  std::printf("crash test: %d messages, %d kills of qmail-send, %d duplicates\n", messages, kills, duplicates);
  ::testing::Test::RecordProperty("duplicates", duplicates);
}

}  // namespace
