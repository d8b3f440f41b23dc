// cleaner_test.cc — qmail-clean's work on a real queue layout, and its
// channel, without a cell.
#include "qmail-clean/cleaner.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <string>

#include "test_files.h"

namespace qcell::clean {
namespace {

class Cleaner : public ::testing::Test {
 protected:
  void SetUp() override {
    for (std::string dir : {"intd", "todo", "mess"}) ASSERT_EQ(::mkdir((root_.path() + "/" + dir).c_str(), 0700), 0);
    for (int i = 0; i < 23; ++i) {
      ASSERT_EQ(::mkdir((root_.path() + "/mess/" + std::to_string(i)).c_str(), 0700), 0);
    }
    auto queue = open_directory(root_.path().c_str());
    ASSERT_TRUE(queue.ok());
    auto dirs = open_clean_dirs(*queue);
    ASSERT_TRUE(dirs.ok());
    dirs_ = std::move(dirs.value());
  }
  void touch(const std::string& name) {
    int fd = ::open((root_.path() + "/" + name).c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
    ASSERT_GE(fd, 0) << name;
    ::close(fd);
  }
  bool exists(const std::string& name) { return ::access((root_.path() + "/" + name).c_str(), F_OK) == 0; }

  TempDir root_;
  CleanDirs dirs_;
};

TEST_F(Cleaner, RemovesTodoAndIntd) {
  touch("intd/47");
  touch("todo/47");
  touch("mess/1/47");
  int failure = 0;
  EXPECT_EQ(clean(dirs_, {CleanTarget::todo, 47}, failure), clean_done);
  EXPECT_FALSE(exists("intd/47"));
  EXPECT_FALSE(exists("todo/47"));
  EXPECT_TRUE(exists("mess/1/47"));  // the message stays until it is finished
  // Again: already gone counts as done (qmail-send asks again after a restart).
  EXPECT_EQ(clean(dirs_, {CleanTarget::todo, 47}, failure), clean_done);
}

TEST_F(Cleaner, RemovesTheMessageInItsSplitDirectory) {
  touch("mess/1/47");
  touch("mess/2/47");  // not where 47 lives: left alone
  int failure = 0;
  EXPECT_EQ(clean(dirs_, {CleanTarget::mess, 47}, failure), clean_done);
  EXPECT_FALSE(exists("mess/1/47"));
  EXPECT_TRUE(exists("mess/2/47"));
}

TEST_F(Cleaner, AFailedUnlinkIsReported) {
  // A directory where the file should be: unlink fails with EISDIR.
  ASSERT_EQ(::mkdir((root_.path() + "/todo/5").c_str(), 0700), 0);
  int failure = 0;
  EXPECT_EQ(clean(dirs_, {CleanTarget::todo, 5}, failure), clean_failed);
  EXPECT_NE(failure, 0);
}

TEST_F(Cleaner, ServesTheChannelUntilItCloses) {
  int pair[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair), 0);
  UniqueFd send_end(pair[0]);
  UniqueFd clean_end(pair[1]);
  touch("todo/9");
  touch("mess/9/9");
  for (std::string_view request : {"todo/9", "mess/9", "foop/9", "todo/09"}) {
    ASSERT_EQ(::send(send_end.get(), request.data(), request.size(), 0), static_cast<ssize_t>(request.size()));
  }
  std::string huge(100, '1');
  ASSERT_EQ(::send(send_end.get(), huge.data(), huge.size(), 0), 100);
  ::shutdown(send_end.get(), SHUT_WR);
  EXPECT_EQ(serve_clean(dirs_, clean_end.get()), 0);
  char replies[8] = {};
  std::string got;
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(::recv(send_end.get(), replies, sizeof replies, 0), 1);
    got += replies[0];
  }
  EXPECT_EQ(got, "++xxx");
  EXPECT_FALSE(exists("todo/9"));
  EXPECT_FALSE(exists("mess/9/9"));
}

}  // namespace
}  // namespace qcell::clean
