// delivery_root.h — the fixture of the end-to-end delivery tests
// (delivery_test.cc, program_delivery_test.cc): a broker under a temporary
// root with qmail-smtpd, qmail-queue, qmail-send, qmail-clean and
// qmail-local cells (and any more policies a test names), users/assign with
// alice (and her extensions) and alias, their homes and Maildirs, an SMTP
// client, and helpers that wait for mail and for the queue to empty.
#pragma once

#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "../unit/test_files.h"
#include "smtpd_broker.h"

namespace delivery_test {

using namespace smtpd_test;
using namespace std::chrono_literals;

// Accounts that exist only in users/assign (no passwd entry needed).
constexpr uid_t alice_uid = 2501;
constexpr uid_t alias_uid = 2502;

class Delivery : public ::testing::Test {
 protected:
  Delivery() : Delivery(std::vector<std::string>{}) {}
  // `more`: policies beside the five delivery cells (qmail-command).
  explicit Delivery(const std::vector<std::string>& more) : broker_(policies_with(more)) {}

  static std::vector<std::string> policies_with(const std::vector<std::string>& more) {
    std::vector<std::string> policies = {"qmail-queue", "qmail-smtpd", "qmail-send", "qmail-clean", "qmail-local"};
    policies.insert(policies.end(), more.begin(), more.end());
    return policies;
  }

  void SetUp() override {
    broker_.control("me", "mx.test");
    broker_.control("rcpthosts", "mx.test");
    broker_.control("locals", "mx.test");
    home_ = broker_.root() + "/home/alice";
    alias_ = broker_.root() + "/alias";
    for (const std::string& dir : {broker_.root() + "/home", broker_.root() + "/users"}) ::mkdir(dir.c_str(), 0755);
    make_dir(home_, alice_uid, 0700);
    make_dir(alias_, alias_uid, 0755);
    make_maildir(home_ + "/Maildir", alice_uid);
    make_maildir(alias_ + "/Maildir", alias_uid);
    write_file(alias_ + "/.qmail-postmaster", "./Maildir/\n", alias_uid);
    // alice and her extensions; every other local part goes to alias.
    std::ofstream(broker_.root() + "/users/assign")
        << "=alice:alice:" << alice_uid << ":" << alice_uid << ":" << home_ << ":::\n"
        << "+alice-:alice:" << alice_uid << ":" << alice_uid << ":" << home_ << ":-::\n"
        << "+:alias:" << alias_uid << ":" << alias_uid << ":" << alias_ << ":-::\n.\n";
    configure();
    ASSERT_EQ(std::system((QCELL_BINARY_DIR "/bin/qcell newu --root " + broker_.root() + " >/dev/null").c_str()), 0);
    ASSERT_TRUE(broker_.start()) << broker_.log();
  }
  // A test's own control files, written last, before the broker starts.
  virtual void configure() {}

  static void make_dir(const std::string& path, uid_t uid, mode_t mode) {
    ASSERT_EQ(::mkdir(path.c_str(), mode), 0) << path;
    ASSERT_EQ(::chown(path.c_str(), uid, uid), 0);
    ASSERT_EQ(::chmod(path.c_str(), mode), 0);
  }
  static void make_maildir(const std::string& path, uid_t uid) {
    make_dir(path, uid, 0700);
    for (const char* sub : {"/tmp", "/new", "/cur"}) make_dir(path + sub, uid, 0700);
  }
  static void write_file(const std::string& path, const std::string& text, uid_t uid) {
    std::ofstream(path) << text;
    ASSERT_EQ(::chown(path.c_str(), uid, uid), 0);
    ASSERT_EQ(::chmod(path.c_str(), 0644), 0);
  }
  // The files of a Maildir's new/, by name.
  static std::vector<std::string> new_mail(const std::string& maildir) {
    std::vector<std::string> files;
    if (DIR* d = ::opendir((maildir + "/new").c_str())) {
      while (dirent* e = ::readdir(d)) {
        if (e->d_name[0] != '.') files.push_back(maildir + "/new/" + e->d_name);
      }
      ::closedir(d);
    }
    std::sort(files.begin(), files.end());
    return files;
  }
  // Waits until the Maildir holds `count` messages.
  static std::vector<std::string> wait_for_mail(const std::string& maildir, std::size_t count,
                                                std::chrono::milliseconds limit = 15s) {
    const Clock::time_point end = Clock::now() + limit;
    for (;;) {
      auto files = new_mail(maildir);
      if (files.size() >= count || Clock::now() >= end) return files;
      std::this_thread::sleep_for(20ms);
    }
  }
  // One message by SMTP from `from` to `to`; the DATA bytes as given
  // (CRLF line ends). True when it was accepted.
  bool send(const std::string& from, const std::vector<std::string>& to, const std::string& data) {
    Client client(broker_.port());
    if (!client.connected() || client.reply().rfind("220", 0) != 0) return false;
    if (client.command("HELO client.test").rfind("250", 0) != 0) return false;
    if (client.command("MAIL FROM:<" + from + ">").rfind("250", 0) != 0) return false;
    for (const std::string& r : to) {
      if (client.command("RCPT TO:<" + r + ">").rfind("250", 0) != 0) return false;
    }
    if (client.command("DATA").rfind("354", 0) != 0) return false;
    if (!client.send(data + ".\r\n")) return false;
    bool ok = Client::first_line(client.reply(20s)).rfind("250", 0) == 0;
    client.command("QUIT");
    return ok;
  }
  // Files left in the queue's message directories (none once all is done).
  std::size_t queue_files() const {
    std::size_t n = 0;
    for (const char* dir : {"mess", "info", "local", "remote"}) {
      for (int i = 0; i < 23; ++i) n += count_files(broker_.root() + "/queue/" + dir + "/" + std::to_string(i), true);
    }
    for (const char* dir : {"todo", "intd", "bounce"}) n += count_files(broker_.root() + "/queue/" + dir, true);
    return n;
  }
  bool queue_empties(std::chrono::milliseconds limit = 10s) const {
    const Clock::time_point end = Clock::now() + limit;
    while (Clock::now() < end) {
      if (queue_files() == 0) return true;
      std::this_thread::sleep_for(20ms);
    }
    return false;
  }
  // qmail-send's pid, for SIGALRM ("retry now").
  pid_t send_pid() const {
    std::string log = broker_.log();
    std::size_t at = log.rfind("event=cell-start cell=qmail-send pid=");
    if (at == std::string::npos) return -1;
    return static_cast<pid_t>(std::stol(log.substr(at + 37)));
  }
  // The part of a delivered file after qmail-queue's and qmail-smtpd's
  // Received: lines, which hold times and pids.
  static std::string after_received(const std::string& text) {
    std::size_t at = text.find("\nDate: ");
    if (at == std::string::npos) at = text.find("\nSubject: ");
    return at == std::string::npos ? text : text.substr(at + 1);
  }

  SmtpdBroker broker_;
  std::string home_;
  std::string alias_;
};

inline const std::string message_data =
    "Date: Thu, 03 Dec 2026 12:00:00 +0000\r\nFrom: bob@example.org\r\nTo: alice@mx.test\r\n"
    "Subject: hello\r\n\r\nline one\r\n..dot-stuffed line\r\nFrom the start of a line\r\n";
// As stored: CRLF made LF, dot-stuffing undone.
inline const std::string message_stored =
    "Date: Thu, 03 Dec 2026 12:00:00 +0000\nFrom: bob@example.org\nTo: alice@mx.test\n"
    "Subject: hello\n\nline one\n.dot-stuffed line\nFrom the start of a line\n";

}  // namespace delivery_test
