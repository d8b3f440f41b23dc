// program_delivery_test.cc — `|command` lines of .qmail files end to end
// (as root): a raw SMTP client or swaks -> qmail-smtpd -> qmail-queue ->
// qmail-send -> qmail-local -> spawn-command -> a qmail-command cell running
// /bin/sh -c COMMAND as alice, in her home, under
// policy/qmail-command.policy. Each test checks what the program was given
// (the message without new Return-Path or Delivered-To lines, qmail-command(8)'s
// variables), how its exit code was read (0, 99, 100, 111, a signal), and
// what its walls keep out (the network, /etc/shadow, another user's home,
// a forbidden syscall).
#include "delivery_root.h"

namespace {

using namespace delivery_test;

class ProgramDelivery : public Delivery {
 protected:
  ProgramDelivery() : Delivery(std::vector<std::string>{"qmail-command"}) {}

  // alice's .qmail-NAME holding `text`.
  void dot_qmail(const std::string& name, const std::string& text) {
    write_file(home_ + "/.qmail-" + name, text, alice_uid);
  }
  // Waits for a file the program writes in the home (complete once `done`
  // appears beside it, which the program creates last).
  std::string wait_for_file(const std::string& name, std::chrono::milliseconds limit = 20s) {
    const Clock::time_point end = Clock::now() + limit;
    while (Clock::now() < end) {
      if (::access((home_ + "/done").c_str(), F_OK) == 0) return slurp(home_ + "/" + name);
      std::this_thread::sleep_for(20ms);
    }
    return "(no " + name + ")";
  }
};

TEST_F(ProgramDelivery, ProgramWritesTheMessageToItsHome) {
  // Every variable qmail-command(8) names, one per line, then the message.
  dot_qmail("prog-default",
            "|cat >got; pwd >cwd; printf '%s|' \"$SENDER\" \"$NEWSENDER\" \"$RECIPIENT\" \"$USER\" \"$HOME\""
            " \"$HOST\" \"$HOST2\" \"$HOST3\" \"$LOCAL\" \"$EXT\" \"$EXT2\" \"$EXT3\" \"$DEFAULT\" \"$PATH\" >vars;"
            " printf '%s' \"$DTLINE$RPLINE\" >lines; printf '%s' \"$UFLINE\" >ufline; : >done\n");
  ASSERT_TRUE(send("bob@example.org", {"alice-prog-sub-x@mx.test"}, message_data));
  const std::string got = wait_for_file("got");
  // The stored message, as qmail-queue wrote it: its Received: lines, then
  // the message; no Return-Path, no Delivered-To.
  EXPECT_EQ(got.rfind("Received: (qmail ", 0), 0u) << got << broker_.log();
  EXPECT_EQ(got.find("Delivered-To:"), std::string::npos) << got;
  EXPECT_EQ(got.find("Return-Path:"), std::string::npos) << got;
  EXPECT_EQ(after_received(got), message_stored);
  EXPECT_EQ(slurp(home_ + "/cwd"), home_ + "\n");
  EXPECT_EQ(slurp(home_ + "/vars"), "bob@example.org|bob@example.org|alice-prog-sub-x@mx.test|alice|" + home_ +
                                        "|mx.test|mx||alice-prog-sub-x|prog-sub-x|sub-x|x|sub-x|"
                                        "/usr/local/bin:/bin:/usr/bin|");
  EXPECT_EQ(slurp(home_ + "/lines"), "Delivered-To: alice-prog-sub-x@mx.test\nReturn-Path: <bob@example.org>\n");
  EXPECT_EQ(slurp(home_ + "/ufline").rfind("From bob@example.org ", 0), 0u);
  // The program's files are alice's.
  struct stat st {};
  ASSERT_EQ(::stat((home_ + "/got").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, alice_uid);
  EXPECT_EQ(st.st_gid, alice_uid);
  EXPECT_TRUE(queue_empties()) << broker_.log();
  const std::string log = broker_.log();
  EXPECT_NE(log.find("event=command-user for_pid="), std::string::npos) << log;
  EXPECT_NE(log.find("event=cell-start cell=qmail-command"), std::string::npos) << log;
  EXPECT_NE(log.find("result=success report=\\\"did 0+0+1\\\""), std::string::npos) << log;
}

TEST_F(ProgramDelivery, SwaksToAProgram) {
  dot_qmail("swaks", "|cat >got; : >done\n");
  const std::string command = "swaks --server 127.0.0.1:" + std::to_string(broker_.port()) +
                              " --from bob@example.org --to alice-swaks@mx.test --header 'Subject: via swaks'"
                              " --body 'sent by swaks' >/dev/null 2>&1";
  ASSERT_EQ(std::system(command.c_str()), 0);
  const std::string got = wait_for_file("got");
  EXPECT_NE(got.find("Subject: via swaks\n"), std::string::npos) << got;
  EXPECT_NE(got.find("\n\nsent by swaks\n"), std::string::npos) << got;
  EXPECT_TRUE(queue_empties());
}

TEST_F(ProgramDelivery, FailsOnceThenSucceedsOnRetryAndLandsOnce) {
  // 111 the first time (it leaves a marker), then it delivers; every run
  // is counted.
  dot_qmail("once", "|echo run >>runs; if test -e marker; then cat >>got; : >done; else : >marker;"
                    " echo 'not yet'; exit 111; fi\n");
  ASSERT_TRUE(send("bob@example.org", {"alice-once@mx.test"}, message_data));
  ASSERT_FALSE(broker_.wait_for("result=deferral report=\\\"not yet").empty()) << broker_.log();
  EXPECT_GT(queue_files(), 0u);
  ASSERT_EQ(::kill(send_pid(), SIGALRM), 0);
  const std::string got = wait_for_file("got");
  EXPECT_TRUE(queue_empties()) << broker_.log();
  EXPECT_EQ(after_received(slurp(home_ + "/got")), message_stored) << got;
  EXPECT_EQ(slurp(home_ + "/runs"), "run\nrun\n");
}

TEST_F(ProgramDelivery, NinetyNineSkipsTheLaterLines) {
  make_maildir(home_ + "/Maildir-after", alice_uid);
  dot_qmail("stop", "|: >done; exit 99\n./Maildir-after/\n");
  ASSERT_TRUE(send("bob@example.org", {"alice-stop@mx.test"}, message_data));
  ASSERT_TRUE(queue_empties(20s)) << broker_.log();
  EXPECT_TRUE(new_mail(home_ + "/Maildir-after").empty());
  EXPECT_NE(broker_.log().find("result=success report=\\\"did 0+0+1\\\""), std::string::npos) << broker_.log();
}

// A program's own words, when it fails for good, reach the sender.
class ProgramBounces : public ProgramDelivery {
 protected:
  void SetUp() override {
    ProgramDelivery::SetUp();
    make_maildir(home_ + "/Maildir-bounces", alice_uid);
    write_file(home_ + "/.qmail-bounces", "./Maildir-bounces/\n", alice_uid);
  }
};

TEST_F(ProgramBounces, OneHundredBouncesWithTheProgramsOutput) {
  dot_qmail("vacation", "|echo 'This list is closed.'; echo 'Write to the owner.' >&2; exit 100\n");
  ASSERT_TRUE(send("alice-bounces@mx.test", {"alice-vacation@mx.test"}, message_data));
  auto files = wait_for_mail(home_ + "/Maildir-bounces", 1, 20s);
  ASSERT_EQ(files.size(), 1u) << broker_.log();
  const std::string text = slurp(files[0]);
  EXPECT_NE(text.find("<alice-vacation@mx.test>:\nThis list is closed.\nWrite to the owner.\n"), std::string::npos)
      << text;
  EXPECT_TRUE(queue_empties()) << broker_.log();
}

// What the walls keep out: each case's output is written to a file in the
// home, with the exit code of the attempt.
TEST_F(ProgramDelivery, ProgramHasNoNetwork) {
  const std::string port = std::to_string(broker_.port());
  dot_qmail("net", "|/usr/bin/python3 -c 'import socket; socket.create_connection((\"127.0.0.1\", " + port +
                       "), 5)' >net 2>&1; echo \"exit $?\" >>net; : >done\n");
  ASSERT_TRUE(send("bob@example.org", {"alice-net@mx.test"}, message_data));
  const std::string net = wait_for_file("net");
  // The broker listens on the host's 127.0.0.1; the cell's own network
  // namespace has no usable interface, and where the kernel has Landlock's
  // network rules (ABI 4), connect is refused before that.
  EXPECT_TRUE(net.find("Network is unreachable") != std::string::npos ||
              net.find("Permission denied") != std::string::npos)
      << net << broker_.log();
  EXPECT_NE(net.find("exit 1\n"), std::string::npos) << net;
  EXPECT_TRUE(queue_empties()) << broker_.log();
}

TEST_F(ProgramDelivery, ProgramReadsNeitherShadowNorAnotherHome) {
  dot_qmail("peek", "|cat /etc/shadow >shadow 2>&1; echo \"exit $?\" >>shadow;"
                    " cat " + alias_ + "/.qmail-postmaster >other 2>&1; echo \"exit $?\" >>other;"
                    " for d in /bin /etc /lib /lib64 /usr /var /root /proc /dev /home; do test -e $d && echo $d;"
                    " done >root; ls / >list 2>&1; : >done\n");
  ASSERT_TRUE(send("bob@example.org", {"alice-peek@mx.test"}, message_data));
  const std::string shadow = wait_for_file("shadow");
  EXPECT_NE(shadow.find("Permission denied"), std::string::npos) << shadow << broker_.log();
  EXPECT_NE(shadow.find("exit 1"), std::string::npos) << shadow;
  const std::string other = slurp(home_ + "/other");
  EXPECT_NE(other.find("No such file or directory"), std::string::npos) << other;
  // The cell's root holds its views and nothing else, and Landlock does
  // not even let it be listed.
  EXPECT_EQ(slurp(home_ + "/root"), "/bin\n/etc\n/lib\n/lib64\n/usr\n");
  EXPECT_NE(slurp(home_ + "/list").find("Permission denied"), std::string::npos);
  EXPECT_TRUE(queue_empties()) << broker_.log();
}

TEST_F(ProgramDelivery, AForbiddenSyscallKillsTheCellAndIsATemporaryFailure) {
  // unshare(CLONE_NEWUSER) as the cell's first process: SIGSYS.
  dot_qmail("sys", "|exec /usr/bin/unshare -U true\n");
  ASSERT_TRUE(send("bob@example.org", {"alice-sys@mx.test"}, message_data));
  ASSERT_FALSE(broker_.wait_for("result=deferral report=\\\"Program was killed by signal 31. (#4.3.0)").empty())
      << broker_.log();
  const std::string log = broker_.log();
  EXPECT_NE(log.find("event=cell-exit cell=qmail-command"), std::string::npos) << log;
  EXPECT_NE(log.find("signal=SIGSYS"), std::string::npos) << log;
  EXPECT_GT(queue_files(), 0u);  // still queued, to be retried
}

}  // namespace
