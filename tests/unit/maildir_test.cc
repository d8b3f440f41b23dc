// maildir_test.cc — Maildir delivery (tmp, fsync, link to new), its unique
// names, and the lines qmail-local prepends with its loop check.
#include "core/maildir.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/delivery_headers.h"
#include "core/limits.h"
#include "test_files.h"

namespace qcell {
namespace {

class MaildirDelivery : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* sub : {"", "/tmp", "/new", "/cur"}) ASSERT_EQ(::mkdir((root_ + "/Maildir" + sub).c_str(), 0700), 0);
    auto dir = open_directory((root_ + "/Maildir").c_str());
    ASSERT_TRUE(dir);
    maildir_ = std::move(dir.value());
  }
  TempDir temp_{"qcell-maildir"};
  const std::string root_ = temp_.path();
  DirFd maildir_;
  MaildirUnique unique_{1764700000, 123456, 4242, 0, "mx.example"};
};

TEST_F(MaildirDelivery, PrefixAndMessageLandInNewByteForByte) {
  const std::string body = "Subject: hi\n\nbody line\nFrom the middle\n";
  UniqueFd message = message_file(body);
  const std::string prefix = return_path_line("alice@example.org") + delivered_to_line("joe@mx.example");
  auto name = deliver_to_maildir(maildir_, prefix, message.get(), unique_);
  ASSERT_TRUE(name) << describe(name.error());
  EXPECT_EQ(*name, "1764700000.M123456P4242Q0.mx.example");
  std::ifstream in(root_ + "/Maildir/new/" + *name);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(), "Return-Path: <alice@example.org>\nDelivered-To: joe@mx.example\n" + body);
  EXPECT_TRUE(entries(root_ + "/Maildir/tmp").empty());
  struct stat st {};
  ASSERT_EQ(::stat((root_ + "/Maildir/new/" + *name).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600U);
  // A second delivery by the same process gets another name.
  unique_.sequence = 1;
  auto second = deliver_to_maildir(maildir_, prefix, message.get(), unique_);
  ASSERT_TRUE(second);
  EXPECT_NE(*second, *name);
  EXPECT_EQ(entries(root_ + "/Maildir/new").size(), 2U);
}

TEST_F(MaildirDelivery, ATakenNameMovesOnAndThreeAreTemporary) {
  UniqueFd message = message_file("x\n");
  std::ofstream(root_ + "/Maildir/tmp/" + maildir_unique_name(unique_)) << "someone else's";
  auto moved = deliver_to_maildir(maildir_, "", message.get(), unique_);
  ASSERT_TRUE(moved);
  EXPECT_EQ(*moved, "1764700000.M123456P4242Q1.mx.example");
  for (std::uint64_t q = 0; q < 3; ++q) {
    MaildirUnique taken = unique_;
    taken.sequence = 10 + q;
    std::ofstream(root_ + "/Maildir/tmp/" + maildir_unique_name(taken)) << "taken";
  }
  unique_.sequence = 10;
  auto failed = deliver_to_maildir(maildir_, "", message.get(), unique_);
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, MaildirErrc::name_taken);
  EXPECT_EQ(describe(failed.error()), "Temporary error on maildir delivery: no unique name in tmp/. (#4.3.0)");
}

TEST_F(MaildirDelivery, FailuresLeaveNothingBehind) {
  // A message that cannot be read: tmp/ is cleaned, new/ untouched.
  UniqueFd unreadable(::open("/dev/null", O_WRONLY | O_CLOEXEC));
  auto failed = deliver_to_maildir(maildir_, "Delivered-To: x\n", unreadable.get(), unique_);
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, MaildirErrc::read_failed);
  EXPECT_EQ(describe(failed.error()), "Unable to read message: Bad file descriptor. (#4.3.0)");
  EXPECT_TRUE(entries(root_ + "/Maildir/tmp").empty());
  EXPECT_TRUE(entries(root_ + "/Maildir/new").empty());
  // No Maildir there: qmail's "Unable to chdir to maildir".
  ASSERT_EQ(std::system(("rm -rf '" + root_ + "/Maildir/new'").c_str()), 0);
  UniqueFd message = message_file("x\n");
  auto missing = deliver_to_maildir(maildir_, "", message.get(), unique_);
  ASSERT_FALSE(missing);
  EXPECT_EQ(describe(missing.error()), "Unable to chdir to maildir: No such file or directory. (#4.2.1)");
}

TEST(MaildirNames, HostsAreMadeSafe) {
  EXPECT_EQ(maildir_unique_name({1, 2, 3, 4, "a/b:c\nd"}), "1.M2P3Q4.a\\057b\\072c_d");
}

TEST(DeliveryHeaders, ReturnPathAndDeliveredTo) {
  EXPECT_EQ(return_path_line(""), "Return-Path: <>\n");
  EXPECT_EQ(return_path_line("alice@example.org"), "Return-Path: <alice@example.org>\n");
  EXPECT_EQ(return_path_line("a b@example.org"), "Return-Path: <\"a b\"@example.org>\n");
  EXPECT_EQ(return_path_line("#@[]"), "Return-Path: <#@[]>\n");  // a double bounce
  // A newline in an address cannot start a header line.
  EXPECT_EQ(delivered_to_line("joe\nX-Evil: 1@mx.example"), "Delivered-To: joe_X-Evil: 1@mx.example\n");
}

TEST(DeliveryHeaders, LoopCheckReadsOnlyTheHeader) {
  const std::string ours = "Delivered-To: joe@mx.example";
  UniqueFd looping = message_file("Received: x\nDelivered-To: joe@mx.example\nSubject: y\n\nbody\n");
  auto found = header_has_line(looping.get(), ours);
  ASSERT_TRUE(found);
  EXPECT_TRUE(*found);
  EXPECT_TRUE(*header_has_line(looping.get(), ours + "\n"));
  // In the body, or another address, or a longer line: not a loop.
  UniqueFd body(message_file("Subject: y\n\nDelivered-To: joe@mx.example\n"));
  EXPECT_FALSE(*header_has_line(body.get(), ours));
  UniqueFd other(message_file("Delivered-To: joe@mx.example.org\nDelivered-To: bob@mx.example\n\n"));
  EXPECT_FALSE(*header_has_line(other.get(), ours));
  // A header line of megabytes is read in pieces and gives up at the limit.
  UniqueFd huge(message_file("X-Long: " + std::string(limits::header_section * 2, 'a') + "\n" + ours + "\n\n"));
  EXPECT_FALSE(*header_has_line(huge.get(), ours));
  UniqueFd unreadable(::open("/dev/null", O_WRONLY | O_CLOEXEC));
  EXPECT_FALSE(header_has_line(unreadable.get(), ours));
}

}  // namespace
}  // namespace qcell
