// delivery_test.cc — end to end through the real cells (as root): swaks
// or a raw SMTP client -> qmail-smtpd -> qmail-queue -> qmail-send ->
// qmail-local -> a Maildir or mbox, with qmail-clean removing what is
// done. Each test checks what landed byte for byte, reads it back with
// Python's mailbox module, and checks that the queue is empty after.
#include <sys/mount.h>

#include "delivery_root.h"

namespace {

using namespace delivery_test;

TEST_F(Delivery, DeliversToAMaildir) {
  ASSERT_TRUE(send("bob@example.org", {"alice@mx.test"}, message_data));
  auto files = wait_for_mail(home_ + "/Maildir", 1);
  ASSERT_EQ(files.size(), 1u) << broker_.log();
  const std::string text = slurp(files[0]);
  // Return-Path and Delivered-To first, then the queue's Received: line,
  // qmail-smtpd's, and the message untouched.
  EXPECT_EQ(text.rfind("Return-Path: <bob@example.org>\nDelivered-To: alice@mx.test\nReceived: (qmail ", 0), 0u)
      << text;
  EXPECT_EQ(after_received(text), message_stored);
  EXPECT_TRUE(queue_empties()) << broker_.log();
  // Python's mailbox module reads it.
  std::string out = qcell::run_python(
      "import mailbox,sys\nm=mailbox.Maildir(sys.argv[1],create=False)\n"
      "for k,v in m.items(): print(v['Subject'], v['Delivered-To'], v.get_payload().splitlines()[0])\n",
      home_ + "/Maildir");
  EXPECT_EQ(out, "hello alice@mx.test line one\n");
  std::string log = broker_.log();
  EXPECT_NE(log.find("event=local-user for_pid="), std::string::npos);
  EXPECT_NE(log.find("text=\"delivery delivery=1 msg="), std::string::npos);
  EXPECT_NE(log.find("result=success report=\\\"did 1+0+0\\\""), std::string::npos);
  EXPECT_NE(log.find("text=\"end msg="), std::string::npos);
}

TEST_F(Delivery, SwaksToAMaildir) {
  const std::string command = "swaks --server 127.0.0.1:" + std::to_string(broker_.port()) +
                              " --from bob@example.org --to alice@mx.test --header 'Subject: via swaks'"
                              " --body 'sent by swaks' >/dev/null 2>&1";
  ASSERT_EQ(std::system(command.c_str()), 0);
  auto files = wait_for_mail(home_ + "/Maildir", 1);
  ASSERT_EQ(files.size(), 1u) << broker_.log();
  std::string text = slurp(files[0]);
  EXPECT_NE(text.find("Subject: via swaks\n"), std::string::npos);
  EXPECT_NE(text.find("\n\nsent by swaks\n"), std::string::npos);
  EXPECT_TRUE(queue_empties());
}

TEST_F(Delivery, ExtensionsAndDefault) {
  make_maildir(home_ + "/Maildir-list", alice_uid);
  make_maildir(home_ + "/Maildir-news", alice_uid);
  write_file(home_ + "/.qmail-list", "./Maildir-list/\n", alice_uid);
  write_file(home_ + "/.qmail-news-default", "./Maildir-news/\n", alice_uid);
  ASSERT_TRUE(send("bob@example.org", {"alice-list@mx.test", "alice-news-sports@mx.test"}, message_data));
  auto list = wait_for_mail(home_ + "/Maildir-list", 1);
  auto news = wait_for_mail(home_ + "/Maildir-news", 1);
  ASSERT_EQ(list.size(), 1u) << broker_.log();
  ASSERT_EQ(news.size(), 1u) << broker_.log();
  EXPECT_NE(slurp(list[0]).find("Delivered-To: alice-list@mx.test\n"), std::string::npos);
  EXPECT_NE(slurp(news[0]).find("Delivered-To: alice-news-sports@mx.test\n"), std::string::npos);
  EXPECT_TRUE(new_mail(home_ + "/Maildir").empty());
  EXPECT_TRUE(queue_empties());
}

TEST_F(Delivery, DeliversToAnMbox) {
  write_file(home_ + "/.qmail-box", "./mbox\n", alice_uid);
  ASSERT_TRUE(send("bob@example.org", {"alice-box@mx.test"}, message_data));
  ASSERT_TRUE(queue_empties(15s)) << broker_.log();
  std::string text = slurp(home_ + "/mbox");
  EXPECT_EQ(text.rfind("From bob@example.org ", 0), 0u) << text;
  // mboxrd: the body's From line is quoted.
  EXPECT_NE(text.find("\n>From the start of a line\n"), std::string::npos) << text;
  std::string out = qcell::run_python(
      "import mailbox,sys\nfor v in mailbox.mbox(sys.argv[1]): print(v['Subject'], v['Return-Path'])\n",
      home_ + "/mbox");
  EXPECT_EQ(out, "hello <bob@example.org>\n");
}

TEST_F(Delivery, Forwards) {
  make_maildir(home_ + "/Maildir-list", alice_uid);
  write_file(home_ + "/.qmail-list", "./Maildir-list/\n", alice_uid);
  write_file(home_ + "/.qmail-fwd", "&alice-list@mx.test\n", alice_uid);
  ASSERT_TRUE(send("bob@example.org", {"alice-fwd@mx.test"}, message_data));
  auto files = wait_for_mail(home_ + "/Maildir-list", 1);
  ASSERT_EQ(files.size(), 1u) << broker_.log();
  std::string text = slurp(files[0]);
  // The forward carries its own Delivered-To, the sender is kept.
  EXPECT_EQ(text.rfind("Return-Path: <bob@example.org>\nDelivered-To: alice-list@mx.test\n", 0), 0u) << text;
  EXPECT_NE(text.find("\nDelivered-To: alice-fwd@mx.test\n"), std::string::npos) << text;
  EXPECT_TRUE(queue_empties());
}

// A bounce for a message from alice-bounces, which lands in a Maildir.
class Bounces : public Delivery {
 protected:
  void SetUp() override {
    Delivery::SetUp();
    make_maildir(home_ + "/Maildir-bounces", alice_uid);
    write_file(home_ + "/.qmail-bounces", "./Maildir-bounces/\n", alice_uid);
  }
  std::string bounce() {
    auto files = wait_for_mail(home_ + "/Maildir-bounces", 1);
    EXPECT_EQ(files.size(), 1u) << broker_.log();
    return files.empty() ? "" : slurp(files[0]);
  }
};

TEST_F(Bounces, UnknownUser) {
  ASSERT_TRUE(send("alice-bounces@mx.test", {"nobody@mx.test"}, message_data));
  std::string text = bounce();
  EXPECT_EQ(text.rfind("Return-Path: <>\nDelivered-To: alice-bounces@mx.test\n", 0), 0u) << text;
  EXPECT_NE(text.find("Hi. This is the qmail-send program at mx.test."), std::string::npos) << text;
  EXPECT_NE(text.find("<nobody@mx.test>:\nSorry, no mailbox here by that name. (#5.1.1)"), std::string::npos) << text;
  EXPECT_NE(text.find("Status: 5.1.1"), std::string::npos) << text;
  EXPECT_NE(text.find(message_stored), std::string::npos);  // the original, whole
  EXPECT_TRUE(queue_empties()) << broker_.log();
  // Python reads a delivery report.
  std::string path = wait_for_mail(home_ + "/Maildir-bounces", 1).at(0);
  std::string out = qcell::run_python(
      "import email,sys\nm=email.message_from_binary_file(open(sys.argv[1],'rb'))\n"
      "print(m.get_content_type(), m.get_param('report-type'))\n"
      "for p in m.walk():\n"
      "  if p.get_content_type()=='message/delivery-status':\n"
      "    print([h.get('Status') for h in p.get_payload()[1:]])\n",
      path);
  EXPECT_EQ(out, "multipart/report delivery-status\n['5.1.1']\n");
  EXPECT_NE(broker_.log().find("result=failure report=\\\"Sorry, no mailbox here by that name. (#5.1.1)\\\""),
            std::string::npos);
}

TEST_F(Bounces, Loop) {
  write_file(home_ + "/.qmail-loop", "&alice-loop@mx.test\n", alice_uid);
  ASSERT_TRUE(send("alice-bounces@mx.test", {"alice-loop@mx.test"}, message_data));
  std::string text = bounce();
  EXPECT_NE(text.find("This message is looping: it already has my Delivered-To line. (#5.4.6)"), std::string::npos)
      << text;
  EXPECT_TRUE(queue_empties()) << broker_.log();
}

TEST_F(Bounces, ABounceThatBouncesGoesToPostmaster) {
  // From a sender with no mailbox: its bounce bounces, and the double
  // bounce goes to doublebounceto (postmaster, alias's .qmail-postmaster).
  ASSERT_TRUE(send("ghost@mx.test", {"nobody@mx.test"}, message_data));
  auto files = wait_for_mail(alias_ + "/Maildir", 1);
  ASSERT_EQ(files.size(), 1u) << broker_.log();
  std::string text = slurp(files[0]);
  EXPECT_EQ(text.rfind("Return-Path: <#@[]>\nDelivered-To: postmaster@mx.test\n", 0), 0u) << text;
  EXPECT_NE(text.find("I tried to deliver a bounce message to this address, but the bounce bounced!"),
            std::string::npos);
  EXPECT_TRUE(queue_empties()) << broker_.log();
}

// bouncefrom and bouncehost name the bounce's From:; a virtual domain's
// recipient is shown without its prepend.
class ConfiguredBounces : public Bounces {
 protected:
  void configure() override {
    broker_.control("bouncefrom", "bouncer");
    broker_.control("bouncehost", "bounces.mx.test");
    broker_.control("virtualdomains", "virtual.test:alias");
    broker_.control("rcpthosts", "mx.test\nvirtual.test");
  }
};

TEST_F(ConfiguredBounces, FromAndVirtualRecipient) {
  ASSERT_TRUE(send("alice-bounces@mx.test", {"ghost@virtual.test"}, message_data));
  std::string text = bounce();
  EXPECT_NE(text.find("\nFrom: bouncer@bounces.mx.test\n"), std::string::npos) << text;
  EXPECT_NE(text.find("Hi. This is the qmail-send program at bounces.mx.test."), std::string::npos) << text;
  // Delivered as alias-ghost@virtual.test (alias has no .qmail-ghost): the
  // bounce names ghost@virtual.test, as the sender wrote it.
  EXPECT_NE(text.find("<ghost@virtual.test>:\nSorry, no mailbox here by that name. (#5.1.1)"), std::string::npos)
      << text;
  EXPECT_EQ(text.find("alias-ghost"), std::string::npos) << text;
  EXPECT_NE(text.find("Final-Recipient: rfc822; ghost@virtual.test"), std::string::npos) << text;
}

// VERP (qmail-send's senderadd): a sender "prefix-@host-@[]" gives each
// recipient box@domain the envelope sender "prefix-box=domain@host".
TEST_F(Delivery, VerpGivesEachRecipientItsOwnSender) {
  make_maildir(home_ + "/Maildir-list", alice_uid);
  write_file(home_ + "/.qmail-list", "./Maildir-list/\n", alice_uid);
  // A VERP sender comes from a local injector (ezmlm-style), through the
  // qmail-queue front end: the message on descriptor 0, the envelope on 1.
  std::ofstream(broker_.root() + "/message") << message_stored;
  std::ofstream(broker_.root() + "/envelope")
      << std::string("Flist-@lists.test-@[]\0Talice@mx.test\0Talice-list@mx.test\0\0", 58);
  const std::string inject = "QCELL_ROOT=" + broker_.root() + " " QCELL_BINARY_DIR "/bin/qmail-queue <" +
                             broker_.root() + "/message 1<" + broker_.root() + "/envelope";
  ASSERT_EQ(std::system(inject.c_str()), 0) << broker_.log();
  auto plain = wait_for_mail(home_ + "/Maildir", 1);
  auto list = wait_for_mail(home_ + "/Maildir-list", 1);
  ASSERT_EQ(plain.size(), 1u) << broker_.log();
  ASSERT_EQ(list.size(), 1u) << broker_.log();
  EXPECT_EQ(slurp(plain[0]).rfind("Return-Path: <list-alice=mx.test@lists.test>\n", 0), 0u) << slurp(plain[0]);
  EXPECT_EQ(slurp(list[0]).rfind("Return-Path: <list-alice-list=mx.test@lists.test>\n", 0), 0u) << slurp(list[0]);
  EXPECT_TRUE(queue_empties());
}

TEST_F(Delivery, TemporaryFailureThenSuccessOnRetry) {
  write_file(home_ + "/.qmail-later", "./Maildir-later/\n", alice_uid);
  ASSERT_TRUE(send("bob@example.org", {"alice-later@mx.test"}, message_data));
  ASSERT_FALSE(broker_.wait_for("result=deferral report=\\\"Unable to chdir to maildir").empty()) << broker_.log();
  EXPECT_GT(queue_files(), 0u);  // still queued, with its retry time saved
  make_maildir(home_ + "/Maildir-later", alice_uid);
  // qcell queue flush: SIGALRM to qmail-send, found through the broker's status.
  const std::string flush = QCELL_BINARY_DIR "/bin/qcell queue flush --root " + broker_.root() + " >" +
                            broker_.root() + "/flush.out 2>&1";
  ASSERT_EQ(std::system(flush.c_str()), 0) << slurp(broker_.root() + "/flush.out");
  EXPECT_EQ(slurp(broker_.root() + "/flush.out"),
            "qcell queue flush: qmail-send (pid " + std::to_string(send_pid()) + ") tries every waiting delivery now\n");
  auto files = wait_for_mail(home_ + "/Maildir-later", 1);
  ASSERT_EQ(files.size(), 1u) << broker_.log();
  EXPECT_EQ(after_received(slurp(files[0])), message_stored);
  EXPECT_TRUE(queue_empties());
  EXPECT_NE(broker_.log().find("text=\"flush timers=1\""), std::string::npos);
}

TEST_F(Delivery, AFullHomeFilesystemIsRetried) {
  // The Maildir on a tmpfs of 64 KiB, filled up.
  const std::string maildir = home_ + "/Maildir-full";
  ASSERT_EQ(::mkdir(maildir.c_str(), 0700), 0);
  ASSERT_EQ(::mount("tmpfs", maildir.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, "size=64k,mode=0700"), 0);
  struct Unmount {
    std::string path;
    ~Unmount() { ::umount2(path.c_str(), MNT_DETACH); }
  } unmount{maildir};
  ASSERT_EQ(::chown(maildir.c_str(), alice_uid, alice_uid), 0);
  for (const char* sub : {"/tmp", "/new", "/cur"}) make_dir(maildir + sub, alice_uid, 0700);
  const std::string filler = maildir + "/filler";
  ASSERT_NE(std::system(("dd if=/dev/zero of=" + filler + " bs=4k count=100 2>/dev/null").c_str()), -1);
  write_file(home_ + "/.qmail-full", "./Maildir-full/\n", alice_uid);
  ASSERT_TRUE(send("bob@example.org", {"alice-full@mx.test"}, message_data));
  // qmail-send's own line (report=): the retry is scheduled from then on,
  // so SIGALRM below finds it (qmail-local's line alone comes earlier).
  ASSERT_FALSE(broker_.wait_for("result=deferral report=\\\"Temporary error on maildir delivery").empty())
      << broker_.log();
  EXPECT_NE(broker_.log().find("No space left on device"), std::string::npos) << broker_.log();
  EXPECT_TRUE(new_mail(maildir).empty());
  EXPECT_GT(queue_files(), 0u);
  ASSERT_EQ(::unlink(filler.c_str()), 0);
  ASSERT_EQ(::kill(send_pid(), SIGALRM), 0);
  auto files = wait_for_mail(maildir, 1);
  ASSERT_EQ(files.size(), 1u) << broker_.log();
  EXPECT_EQ(after_received(slurp(files[0])), message_stored);
  EXPECT_TRUE(queue_empties());
}

TEST_F(Delivery, StopsOnSigterm) {
  ASSERT_TRUE(send("bob@example.org", {"alice@mx.test"}, message_data));
  ASSERT_EQ(wait_for_mail(home_ + "/Maildir", 1).size(), 1u);
  broker_.stop();
  std::string log = broker_.log();
  EXPECT_NE(log.find("cell=qmail-send"), std::string::npos);
  EXPECT_NE(log.find("text=\"stopping in_flight=0\""), std::string::npos) << log;
  EXPECT_NE(log.find("text=stopped"), std::string::npos) << log;
}

}  // namespace
