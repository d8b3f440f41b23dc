// local_delivery_test.cc — qmail-local's delivery (src/qmail-local/
// local_delivery.h) driven without a broker: a home directory under /tmp,
// the message in a memory file, a fake forwarder. Every report text,
// log line and delivered byte is compared exactly.
#include "qmail-local/local_delivery.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "core/fd.h"
#include "test_files.h"

namespace qcell::local {
namespace {

// 2025-12-02 18:26:40 UTC, and its microseconds.
constexpr time_t test_seconds = 1764700000;
constexpr long test_nanoseconds = 123456789;
const std::string maildir_name_q0 = "1764700000.M123456P4242Q0.mx.example";
const std::string maildir_name_q1 = "1764700000.M123456P4242Q1.mx.example";
const std::string message_text = "Received: (qmail 1 invoked by uid 1000); 2 Dec 2025 18:26:39 -0000\n"
                                 "Subject: hi\n\nbody line\nFrom the middle\n";

class FakeForwarder final : public Forwarder {
 public:
  ForwardOutcome forward(std::string_view prefix, int message_fd, const QueueEnvelope& envelope) override {
    ++calls;
    bytes = std::string(prefix);
    std::array<char, 7> small{};  // a small buffer: the pieces are joined
    auto read = pread_pieces(message_fd, small, 1 << 20, [&](std::string_view piece) {
      bytes += piece;
      return true;
    });
    EXPECT_TRUE(read);
    sender = envelope.sender;
    recipients = envelope.recipients;
    return answer;
  }
  int calls = 0;
  std::string bytes;
  std::string sender;
  std::vector<std::string> recipients;
  ForwardOutcome answer{ForwardOutcome::Kind::queued, "77", ""};
};

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class LocalDelivery : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(::chmod(home_path_.c_str(), 0755), 0);
    make_maildir("Maildir");
    request_.user = "alice";
    request_.home = home_path_;
    request_.local = "alice";
    request_.dash = "";
    request_.ext = "";
    request_.host = "example.org";
    request_.sender = "bob@example.net";
    request_.default_delivery = "./Maildir/\n";
    request_.hostname = "mx.example";
    options_.mbox_lock_wait = std::chrono::milliseconds(200);
    options_.now = [] { return timespec{test_seconds, test_nanoseconds}; };
    options_.pid = 4242;
  }

  void make_maildir(const std::string& name) {
    for (const char* sub : {"", "/tmp", "/new", "/cur"}) {
      ASSERT_EQ(::mkdir((home_path_ + "/" + name + sub).c_str(), 0700), 0);
    }
  }
  void write(const std::string& name, const std::string& text, mode_t mode = 0644) {
    const std::string path = home_path_ + "/" + name;
    std::ofstream(path, std::ios::binary) << text;
    ASSERT_EQ(::chmod(path.c_str(), mode), 0);
  }
  DeliveryResult run(const std::string& message = message_text) {
    auto home = open_directory(home_path_.c_str());
    EXPECT_TRUE(home);
    UniqueFd file = message_file(message);
    return deliver(request_, *home, file.get(), forwarder_, options_);
  }
  std::string prefix(const std::string& recipient = "alice@example.org") const {
    return "Return-Path: <" + request_.sender + ">\nDelivered-To: " + recipient + "\n";
  }
  void expect_temporary(const DeliveryResult& result, const std::string& text) {
    EXPECT_EQ(result.outcome, Outcome::temporary);
    EXPECT_EQ(exit_code(result.outcome), 111);
    EXPECT_EQ(result.report, text);
  }
  void expect_permanent(const DeliveryResult& result, const std::string& text) {
    EXPECT_EQ(result.outcome, Outcome::permanent);
    EXPECT_EQ(exit_code(result.outcome), 100);
    EXPECT_EQ(result.report, text);
  }

  TempDir temp_{"qcell-local"};
  const std::string home_path_ = temp_.path();
  DeliveryRequest request_;
  DeliveryOptions options_;
  FakeForwarder forwarder_;
};

// --- the default delivery and Maildir ------------------------------------------

TEST_F(LocalDelivery, NoDotQmailDeliversTheDefaultToTheMaildirByteForByte) {
  DeliveryResult result = run();
  EXPECT_EQ(result.outcome, Outcome::delivered);
  EXPECT_EQ(exit_code(result.outcome), 0);
  EXPECT_EQ(result.report, "did 1+0+0\n");
  EXPECT_EQ(result.log, "delivered recipient=alice@example.org dot_qmail=default did=1+0+0");
  EXPECT_EQ(result.dot_qmail, "");
  EXPECT_EQ(entries(home_path_ + "/Maildir/new"), std::vector<std::string>{maildir_name_q0});
  EXPECT_EQ(entries(home_path_ + "/Maildir/tmp"), std::vector<std::string>{});
  EXPECT_EQ(read_file(home_path_ + "/Maildir/new/" + maildir_name_q0), prefix() + message_text);
  EXPECT_EQ(forwarder_.calls, 0);
}

TEST_F(LocalDelivery, AZeroByteDotQmailMeansTheDefaultDelivery) {
  write(".qmail", "");
  DeliveryResult result = run();
  EXPECT_EQ(result.report, "did 1+0+0\n");
  EXPECT_EQ(result.dot_qmail, "");
  EXPECT_EQ(read_file(home_path_ + "/Maildir/new/" + maildir_name_q0), prefix() + message_text);
}

TEST_F(LocalDelivery, TheNullSenderIsAnEmptyReturnPath) {
  request_.sender = "";
  DeliveryResult result = run();
  EXPECT_EQ(result.report, "did 1+0+0\n");
  EXPECT_EQ(read_file(home_path_ + "/Maildir/new/" + maildir_name_q0),
            "Return-Path: <>\nDelivered-To: alice@example.org\n" + message_text);
}

TEST_F(LocalDelivery, TwoMaildirLinesGetTwoUniqueNames) {
  make_maildir("Other");
  write(".qmail", "./Maildir/\n# a comment\n\n./Other/\n");
  DeliveryResult result = run();
  EXPECT_EQ(result.report, "did 2+0+0\n");
  EXPECT_EQ(result.log, "delivered recipient=alice@example.org dot_qmail=.qmail did=2+0+0");
  EXPECT_EQ(read_file(home_path_ + "/Maildir/new/" + maildir_name_q0), prefix() + message_text);
  EXPECT_EQ(read_file(home_path_ + "/Other/new/" + maildir_name_q1), prefix() + message_text);
}

TEST_F(LocalDelivery, AMissingMaildirIsATemporaryFailure) {
  write(".qmail", "./Nowhere/\n");
  expect_temporary(run(), "Unable to chdir to maildir: No such file or directory. (#4.2.1)");
}

TEST_F(LocalDelivery, AnAbsolutePathBeneathTheHomeIsDeliveredTo) {
  write(".qmail", home_path_ + "/Maildir/\n");
  DeliveryResult result = run();
  EXPECT_EQ(result.report, "did 1+0+0\n");
  EXPECT_EQ(read_file(home_path_ + "/Maildir/new/" + maildir_name_q0), prefix() + message_text);
}

TEST_F(LocalDelivery, AnAbsolutePathElsewhereCannotBeReached) {
  write(".qmail", "/var/mail/alice\n");
  DeliveryResult result = run();
  expect_temporary(result, "Unable to deliver to /var/mail/alice: only paths beneath the home directory can be "
                           "delivered to in qcell. (#4.3.0)");
  EXPECT_EQ(result.log, "failed recipient=alice@example.org status=temporary reason=\"Unable to deliver to "
                        "/var/mail/alice: only paths beneath the home directory can be delivered to in qcell. "
                        "(#4.3.0)\"");
}

TEST_F(LocalDelivery, APathUpAndOutOfTheHomeCannotBeReached) {
  write(".qmail", "./Maildir/../../etc/Mailbox\n");
  expect_temporary(run(), "Unable to deliver to ./Maildir/../../etc/Mailbox: only paths beneath the home directory "
                          "can be delivered to in qcell. (#4.3.0)");
}

// --- mbox -------------------------------------------------------------------------

TEST_F(LocalDelivery, AnMboxLineAppendsFromLineHeadersAndQuotedMessage) {
  write(".qmail", "./Mailbox\n");
  DeliveryResult result = run();
  EXPECT_EQ(result.report, "did 1+0+0\n");
  EXPECT_EQ(read_file(home_path_ + "/Mailbox"),
            "From bob@example.net Tue Dec  2 18:26:40 2025\n" + prefix() +
                "Received: (qmail 1 invoked by uid 1000); 2 Dec 2025 18:26:39 -0000\n"
                "Subject: hi\n\nbody line\n>From the middle\n\n");
  struct stat st {};
  ASSERT_EQ(::stat((home_path_ + "/Mailbox").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

// --- which .qmail file --------------------------------------------------------------

TEST_F(LocalDelivery, AnExtensionFindsItsOwnFileFirst) {
  request_.local = "alice-list-foo";
  request_.dash = "-";
  request_.ext = "List-Foo";
  write(".qmail-list-foo", "./Maildir/\n");
  write(".qmail-list-default", "./Other/\n");
  DeliveryResult result = run();
  EXPECT_EQ(result.report, "did 1+0+0\n");
  EXPECT_EQ(result.dot_qmail, ".qmail-list-foo");
  EXPECT_FALSE(result.default_part.has_value());
  EXPECT_EQ(read_file(home_path_ + "/Maildir/new/" + maildir_name_q0), prefix("alice-list-foo@example.org") + message_text);
}

TEST_F(LocalDelivery, DefaultFilesAreSearchedFromTheLongestAndSetDefault) {
  request_.local = "alice-list-foo";
  request_.dash = "-";
  request_.ext = "List-Foo";
  write(".qmail-list-default", "./Maildir/\n");
  write(".qmail-default", "./Other/\n");
  DeliveryResult result = run();
  EXPECT_EQ(result.report, "did 1+0+0\n");
  EXPECT_EQ(result.dot_qmail, ".qmail-list-default");
  EXPECT_EQ(result.default_part, std::optional<std::string>("Foo"));
  EXPECT_EQ(result.log, "delivered recipient=alice-list-foo@example.org dot_qmail=.qmail-list-default did=1+0+0");
}

TEST_F(LocalDelivery, DotQmailDefaultCatchesTheWholeExtension) {
  request_.local = "alice-list-foo";
  request_.dash = "-";
  request_.ext = "List-Foo";
  write(".qmail-default", "./Maildir/\n");
  DeliveryResult result = run();
  EXPECT_EQ(result.dot_qmail, ".qmail-default");
  EXPECT_EQ(result.default_part, std::optional<std::string>("List-Foo"));
}

TEST_F(LocalDelivery, OnlyRegularFilesCount) {
  request_.local = "alice-x";
  request_.dash = "-";
  request_.ext = "x";
  ASSERT_EQ(::mkdir((home_path_ + "/.qmail-x").c_str(), 0755), 0);
  write(".qmail-default", "./Maildir/\n");
  DeliveryResult result = run();
  EXPECT_EQ(result.dot_qmail, ".qmail-default");
  EXPECT_EQ(result.default_part, std::optional<std::string>("x"));
}

TEST_F(LocalDelivery, NoFileForAnExtensionIsNoMailbox) {
  request_.local = "alice-nobody";
  request_.dash = "-";
  request_.ext = "nobody";
  DeliveryResult result = run();
  expect_permanent(result, "Sorry, no mailbox here by that name. (#5.1.1)");
  EXPECT_EQ(result.log, "failed recipient=alice-nobody@example.org status=permanent reason=\"Sorry, no mailbox here "
                        "by that name. (#5.1.1)\"");
  EXPECT_EQ(entries(home_path_ + "/Maildir/new"), std::vector<std::string>{});
}

TEST_F(LocalDelivery, ASymlinkedDotQmailIsATemporaryFailure) {
  write(".qmail-real", "./Maildir/\n");
  ASSERT_EQ(::symlink(".qmail-real", (home_path_ + "/.qmail").c_str()), 0);
  expect_temporary(run(), "Unable to open .qmail: it is a symbolic link, and qcell follows none in the home "
                          "directory. (#4.3.0)");
}

TEST_F(LocalDelivery, AWorldWritableDotQmailIsRefused) {
  write(".qmail", "./Maildir/\n", 0646);
  expect_temporary(run(), "Uh-oh: .qmail file is writable. (#4.7.0)");
}

TEST_F(LocalDelivery, ABlankFirstLineIsRefused) {
  write(".qmail", "\n./Maildir/\n");
  expect_temporary(run(), "first line of .qmail file is blank (#4.2.1)");
}

// --- the home directory -----------------------------------------------------------------

TEST_F(LocalDelivery, AWritableHomeIsATemporaryFailure) {
  ASSERT_EQ(::chmod(home_path_.c_str(), 0757), 0);
  DeliveryResult result = run();
  expect_temporary(result, "Uh-oh: home directory is writable. (#4.7.0)");
  EXPECT_EQ(entries(home_path_ + "/Maildir/new"), std::vector<std::string>{});
}

TEST_F(LocalDelivery, AStickyHomeMeansTheUserIsEditing) {
  ASSERT_EQ(::chmod(home_path_.c_str(), 01755), 0);
  expect_temporary(run(), "Home directory is sticky: user is editing his .qmail file. (#4.2.1)");
}

// --- the loop check -------------------------------------------------------------------------

TEST_F(LocalDelivery, OurDeliveredToLineInTheHeaderIsALoop) {
  DeliveryResult result = run("Delivered-To: someone@example.org\nDelivered-To: alice@example.org\nSubject: x\n\nbody\n");
  expect_permanent(result, "This message is looping: it already has my Delivered-To line. (#5.4.6)");
  EXPECT_EQ(entries(home_path_ + "/Maildir/new"), std::vector<std::string>{});
}

TEST_F(LocalDelivery, TheLineInTheBodyIsNoLoop) {
  DeliveryResult result = run("Subject: x\n\nDelivered-To: alice@example.org\n");
  EXPECT_EQ(result.report, "did 1+0+0\n");
}

TEST_F(LocalDelivery, TheLoopCheckComesBeforeTheMailboxSearch) {
  request_.local = "alice-nobody";
  request_.dash = "-";
  request_.ext = "nobody";
  expect_permanent(run("Delivered-To: alice-nobody@example.org\n\nbody\n"),
                   "This message is looping: it already has my Delivered-To line. (#5.4.6)");
}

// --- forwards ------------------------------------------------------------------------------------

TEST_F(LocalDelivery, ForwardsGoInOneInjectionWithOnlyTheDeliveredToLine) {
  write(".qmail", "&carol@example.com\ndave@example.net\n");
  DeliveryResult result = run();
  EXPECT_EQ(result.outcome, Outcome::delivered);
  EXPECT_EQ(result.report, "did 0+2+0\nqp 77\n");
  EXPECT_EQ(result.log, "delivered recipient=alice@example.org dot_qmail=.qmail did=0+2+0 qp=77");
  EXPECT_EQ(forwarder_.calls, 1);
  EXPECT_EQ(forwarder_.bytes, "Delivered-To: alice@example.org\n" + message_text);
  EXPECT_EQ(forwarder_.sender, "bob@example.net");
  EXPECT_EQ(forwarder_.recipients, (std::vector<std::string>{"carol@example.com", "dave@example.net"}));
  EXPECT_EQ(entries(home_path_ + "/Maildir/new"), std::vector<std::string>{});
}

TEST_F(LocalDelivery, MailboxDeliveriesAndForwardsTogether) {
  write(".qmail", "&carol@example.com\n./Maildir/\n");
  DeliveryResult result = run();
  EXPECT_EQ(result.report, "did 1+1+0\nqp 77\n");
  EXPECT_EQ(read_file(home_path_ + "/Maildir/new/" + maildir_name_q0), prefix() + message_text);
  EXPECT_EQ(forwarder_.recipients, std::vector<std::string>{"carol@example.com"});
}

TEST_F(LocalDelivery, AnOwnerFileChangesTheForwardsSender) {
  request_.local = "alice-list";
  request_.dash = "-";
  request_.ext = "list";
  write(".qmail-list", "&carol@example.com\n");
  write(".qmail-list-owner", "&alice@example.org\n");
  run();
  EXPECT_EQ(forwarder_.sender, "alice-list-owner@example.org");
  EXPECT_EQ(forwarder_.bytes, "Delivered-To: alice-list@example.org\n" + message_text);
}

TEST_F(LocalDelivery, OwnerAndOwnerDefaultMakeTheVerpSender) {
  request_.local = "alice-list";
  request_.dash = "-";
  request_.ext = "list";
  write(".qmail-list", "&carol@example.com\n");
  write(".qmail-list-owner", "&alice@example.org\n");
  write(".qmail-list-owner-default", "&alice@example.org\n");
  run();
  EXPECT_EQ(forwarder_.sender, "alice-list-owner-@example.org-@[]");
}

TEST_F(LocalDelivery, ABounceIsForwardedFromTheNullSender) {
  request_.sender = "";
  write(".qmail", "&carol@example.com\n");
  write(".qmail-owner", "&alice@example.org\n");
  run();
  EXPECT_EQ(forwarder_.calls, 1);
  EXPECT_EQ(forwarder_.sender, "");
}

TEST_F(LocalDelivery, TheExecuteBitAllowsForwardsOnly) {
  write(".qmail", "&carol@example.com\n", 0744);
  EXPECT_EQ(run().report, "did 0+1+0\nqp 77\n");
  write(".qmail", "&carol@example.com\n./Maildir/\n", 0744);
  forwarder_.calls = 0;
  DeliveryResult result = run();
  expect_temporary(result, "Uh-oh: .qmail has a file or program delivery but may only forward (x bit set or +list) "
                           "(line 2) (#4.7.0)");
  EXPECT_EQ(forwarder_.calls, 0);
  EXPECT_EQ(entries(home_path_ + "/Maildir/new"), std::vector<std::string>{});
}

TEST_F(LocalDelivery, AForwardRefusedForGoodIsPermanent) {
  write(".qmail", "&carol@example.com\n");
  forwarder_.answer = {ForwardOutcome::Kind::permanent, "", "qq permanent problem: address too long (#5.1.3)"};
  DeliveryResult result = run();
  expect_permanent(result, "Unable to forward message: qq permanent problem: address too long (#5.1.3)");
}

TEST_F(LocalDelivery, AForwardThatFailsForNowIsTemporary) {
  write(".qmail", "./Maildir/\n&carol@example.com\n");
  forwarder_.answer = {ForwardOutcome::Kind::temporary, "", "qq write error or disk full (#4.3.0)"};
  DeliveryResult result = run();
  expect_temporary(result, "Unable to forward message: qq write error or disk full (#4.3.0)");
  // qmail's order: the Maildir delivery before it was made (and is made again on the retry).
  EXPECT_EQ(entries(home_path_ + "/Maildir/new"), std::vector<std::string>{maildir_name_q0});
}

TEST_F(LocalDelivery, AFailureBeforeTheEndSendsNoForward) {
  write(".qmail", "&carol@example.com\n./Nowhere/\n");
  expect_temporary(run(), "Unable to chdir to maildir: No such file or directory. (#4.2.1)");
  EXPECT_EQ(forwarder_.calls, 0);
}

// --- programs -------------------------------------------------------------------------------------

// Stands in for the qmail-command cell: records what it was given, reads
// the message from the descriptor's offset as the program's stdin would,
// and answers as told.
class FakeProgramRunner final : public ProgramRunner {
 public:
  ProgramRun run(const CommandJob& job, int message_fd) override {
    jobs.push_back(job);
    std::string input;
    std::array<char, 256> buffer{};
    for (ssize_t n; (n = ::read(message_fd, buffer.data(), buffer.size())) > 0;) input.append(buffer.data(), n);
    inputs.push_back(input);
    ProgramRun answer = answers.empty() ? ProgramRun{true, false, 0, "", true, ""} : answers.front();
    if (!answers.empty()) answers.erase(answers.begin());
    return answer;
  }
  static ProgramRun exited(int code, std::string output = "") { return {true, false, code, std::move(output), true, ""}; }
  std::vector<CommandJob> jobs;
  std::vector<std::string> inputs;
  std::vector<ProgramRun> answers;
};

class ProgramDelivery : public LocalDelivery {
 protected:
  void SetUp() override {
    LocalDelivery::SetUp();
    options_.programs = &programs_;
  }
  // The value of NAME in the first job's environment.
  std::string variable(const std::string& name, std::size_t job = 0) const {
    for (const std::string& entry : programs_.jobs.at(job).environment) {
      if (entry.rfind(name + "=", 0) == 0) return entry.substr(name.size() + 1);
    }
    return "(unset)";
  }
  FakeProgramRunner programs_;
};

TEST_F(ProgramDelivery, RunsTheCommandWithTheMessageAsItIs) {
  request_.dash = "-";
  request_.ext = "list-sports";
  write(".qmail-list-default", "|/usr/bin/filter -x\n");
  programs_.answers = {FakeProgramRunner::exited(0, "filed\n")};
  DeliveryResult result = run();
  EXPECT_EQ(result.outcome, Outcome::delivered);
  // Its output comes before qmail-local's own words, as in qmail.
  EXPECT_EQ(result.report, "filed\ndid 0+0+1\n");
  ASSERT_EQ(programs_.jobs.size(), 1u);
  EXPECT_EQ(programs_.jobs[0].command, "/usr/bin/filter -x");
  // stdin: the message without a new Return-Path or Delivered-To line.
  EXPECT_EQ(programs_.inputs[0], message_text);
}

TEST_F(ProgramDelivery, TheEnvironmentIsQmailCommands) {
  request_.local = "alice-list-sports";
  request_.dash = "-";
  request_.ext = "list-sports";
  write(".qmail-list-default", "|true\n");
  (void)run();
  ASSERT_EQ(programs_.jobs.size(), 1u);
  EXPECT_EQ(variable("SENDER"), "bob@example.net");
  EXPECT_EQ(variable("NEWSENDER"), "bob@example.net");
  EXPECT_EQ(variable("RECIPIENT"), "alice-list-sports@example.org");
  EXPECT_EQ(variable("USER"), "alice");
  EXPECT_EQ(variable("HOME"), home_path_);
  EXPECT_EQ(variable("HOST"), "example.org");
  EXPECT_EQ(variable("HOST2"), "example");
  EXPECT_EQ(variable("HOST3"), "");
  EXPECT_EQ(variable("LOCAL"), "alice-list-sports");
  EXPECT_EQ(variable("EXT"), "list-sports");
  EXPECT_EQ(variable("EXT2"), "sports");
  EXPECT_EQ(variable("EXT3"), "");
  EXPECT_EQ(variable("DEFAULT"), "sports");
  EXPECT_EQ(variable("DTLINE"), "Delivered-To: alice-list-sports@example.org\n");
  EXPECT_EQ(variable("RPLINE"), "Return-Path: <bob@example.net>\n");
  EXPECT_EQ(variable("UFLINE").rfind("From bob@example.net ", 0), 0u) << variable("UFLINE");
  EXPECT_EQ(variable("PATH"), "(unset)");  // the launcher adds it
}

TEST_F(ProgramDelivery, NinetyNineSkipsTheRestButForwardsCollectedBeforeGo) {
  write(".qmail", "&carol@example.com\n|first\n./Maildir/\n|second\n&dave@example.com\n");
  programs_.answers = {FakeProgramRunner::exited(99)};
  DeliveryResult result = run();
  EXPECT_EQ(result.outcome, Outcome::delivered);
  EXPECT_EQ(result.report, "did 0+1+1\nqp 77\n");
  ASSERT_EQ(programs_.jobs.size(), 1u);
  EXPECT_EQ(entries(home_path_ + "/Maildir/new"), std::vector<std::string>{});
  EXPECT_EQ(forwarder_.recipients, std::vector<std::string>{"carol@example.com"});
}

TEST_F(ProgramDelivery, OneHundredIsPermanentWithTheProgramsOutputAsTheReport) {
  write(".qmail", "./Maildir/\n|vacation\n&carol@example.com\n");
  programs_.answers = {FakeProgramRunner::exited(100, "No such list here.\n")};
  DeliveryResult result = run();
  expect_permanent(result, "No such list here.\n");
  EXPECT_EQ(forwarder_.calls, 0);
  EXPECT_EQ(entries(home_path_ + "/Maildir/new"), std::vector<std::string>{maildir_name_q0});
  EXPECT_EQ(result.log.rfind("failed recipient=alice@example.org status=permanent", 0), 0u) << result.log;
}

TEST_F(ProgramDelivery, EveryPermanentCodeAndTheRestTemporary) {
  write(".qmail", "|x\n");
  for (int code : {64, 65, 70, 76, 77, 78, 100, 112}) {
    programs_.answers = {FakeProgramRunner::exited(code)};
    DeliveryResult result = run();
    EXPECT_EQ(result.outcome, Outcome::permanent) << code;
    EXPECT_EQ(result.report, "Program failed permanently with exit code " + std::to_string(code) + ". (#5.0.0)");
  }
  for (int code : {1, 2, 75, 101, 111, 255}) {
    programs_.answers = {FakeProgramRunner::exited(code)};
    EXPECT_EQ(run().outcome, Outcome::temporary) << code;
  }
}

TEST_F(ProgramDelivery, OneHundredElevenAndSignalsAreTemporary) {
  write(".qmail", "|x\n");
  programs_.answers = {FakeProgramRunner::exited(111, "try later\n")};
  expect_temporary(run(), "try later\n");
  programs_.answers = {ProgramRun{true, true, 31, "", true, ""}};
  expect_temporary(run(), "Program was killed by signal 31. (#4.3.0)");
  programs_.answers = {FakeProgramRunner::exited(111)};
  expect_temporary(run(), "Program failed temporarily with exit code 111. (#4.3.0)");
}

TEST_F(ProgramDelivery, AProgramThatCannotRunIsAsItsRunnerSays) {
  write(".qmail", "|x\n");
  programs_.answers = {ProgramRun{false, false, 0, "", true, "Unable to run program: the broker is busy. (#4.3.0)"}};
  expect_temporary(run(), "Unable to run program: the broker is busy. (#4.3.0)");
}

TEST_F(LocalDelivery, WithoutAProgramRunnerAProgramLineIsTemporary) {
  write(".qmail", "./Maildir/\n|/usr/bin/procmail -t\n&carol@example.com\n");
  DeliveryResult result = run();
  expect_temporary(result, "Unable to run programs: no program runner. (#4.3.0)");
  EXPECT_EQ(forwarder_.calls, 0);
}

// --- the report and the environment -----------------------------------------------------------------

TEST(LocalReport, LongReportsAreCutAsQmailLspawnCutsThem) {
  EXPECT_EQ(bounded_report("did 1+0+0\n"), "did 1+0+0\n");
  const std::string exact(report_limit, 'x');
  EXPECT_EQ(bounded_report(exact), exact);
  const std::string cut = bounded_report(std::string(5000, 'y'));
  EXPECT_EQ(cut.size(), report_limit);
  const std::string suffix = "\nError report too long, sorry.\n";
  EXPECT_EQ(cut.substr(cut.size() - suffix.size()), suffix);
  EXPECT_EQ(cut.substr(0, 10), std::string(10, 'y'));
}

TEST(LocalReport, ExitCodesAreQmailLocals) {
  EXPECT_EQ(exit_code(Outcome::delivered), 0);
  EXPECT_EQ(exit_code(Outcome::permanent), 100);
  EXPECT_EQ(exit_code(Outcome::temporary), 111);
}

class LocalEnvironment : public ::testing::Test {
 protected:
  std::map<std::string, std::string> values_{
      {"QCELL_CELL", "qmail-local"},    {"QCELL_USER", "alice"},   {"QCELL_HOME", "/home/alice"},
      {"QCELL_LOCAL", "alice-list"},    {"QCELL_DASH", "-"},       {"QCELL_EXT", "list"},
      {"QCELL_HOST", "example.org"},    {"QCELL_SENDER", ""},      {"QCELL_DEFAULT_DELIVERY", "./Maildir/\n"},
      {"QCELL_HOSTNAME", "mx.example"},
  };
  Result<DeliveryRequest, std::string> read() {
    return request_from_environment([this](const char* name) -> const char* {
      auto found = values_.find(name);
      return found == values_.end() ? nullptr : found->second.c_str();
    });
  }
};

TEST_F(LocalEnvironment, EveryVariableIsRead) {
  auto request = read();
  ASSERT_TRUE(request) << request.error();
  EXPECT_EQ(request->user, "alice");
  EXPECT_EQ(request->home, "/home/alice");
  EXPECT_EQ(request->local, "alice-list");
  EXPECT_EQ(request->dash, "-");
  EXPECT_EQ(request->ext, "list");
  EXPECT_EQ(request->host, "example.org");
  EXPECT_EQ(request->sender, "");
  EXPECT_EQ(request->default_delivery, "./Maildir/\n");
  EXPECT_EQ(request->hostname, "mx.example");
}

TEST_F(LocalEnvironment, EachMissingVariableIsNamed) {
  for (const char* name : {"QCELL_USER", "QCELL_HOME", "QCELL_LOCAL", "QCELL_DASH", "QCELL_EXT", "QCELL_HOST",
                           "QCELL_SENDER", "QCELL_DEFAULT_DELIVERY", "QCELL_HOSTNAME"}) {
    auto saved = values_;
    values_.erase(name);
    auto request = read();
    ASSERT_FALSE(request) << name;
    EXPECT_EQ(request.error(), std::string(name) + " is not set");
    values_ = saved;
  }
}

TEST_F(LocalEnvironment, MalformedValuesAreRefused) {
  auto refused = [this](const char* name, const char* value, const std::string& error) {
    auto saved = values_;
    values_[name] = value;
    auto request = read();
    EXPECT_FALSE(request) << name << "=" << value;
    if (!request) {
      EXPECT_EQ(request.error(), error);
    }
    values_ = saved;
  };
  refused("QCELL_CELL", "qmail-send", "QCELL_CELL is not qmail-local");
  refused("QCELL_HOME", "home/alice", "QCELL_HOME is not an absolute path");
  refused("QCELL_DASH", "+", "QCELL_DASH is neither empty nor -");
  refused("QCELL_USER", "", "QCELL_USER is empty");
  refused("QCELL_LOCAL", "", "QCELL_LOCAL is empty");
  refused("QCELL_HOST", "", "QCELL_HOST is empty");
  refused("QCELL_DEFAULT_DELIVERY", "", "QCELL_DEFAULT_DELIVERY is empty");
  refused("QCELL_HOSTNAME", "", "QCELL_HOSTNAME is empty");
  values_.erase("QCELL_CELL");
  EXPECT_FALSE(read());
}

TEST_F(LocalEnvironment, EmptyDashExtensionAndSenderAreFine) {
  values_["QCELL_DASH"] = "";
  values_["QCELL_EXT"] = "";
  EXPECT_TRUE(read());
}

}  // namespace
}  // namespace qcell::local
