// mbox_test.cc — mbox delivery: the From line, mboxrd quoting, the final
// newline and empty line, Python's mailbox.mbox reading the result, the dot
// lock and the fcntl lock, and a failed write truncated back.
#include "core/mbox.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "core/delivery_headers.h"
#include "test_files.h"

namespace qcell {
namespace {

class MboxDelivery : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = open_directory(root_.c_str());
    ASSERT_TRUE(dir);
    dir_ = std::move(dir.value());
    options_.now = 1764700000;
    options_.lock_wait = std::chrono::milliseconds(300);
  }
  std::string contents() const {
    std::ifstream in(root_ + "/mbox");
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }
  Status<MboxError> deliver(const std::string& message, const std::string& sender = "alice@example.org") {
    UniqueFd fd = message_file(message);
    return deliver_to_mbox(dir_, "mbox", sender, delivered_to_line("joe@mx.example"), fd.get(), options_);
  }
  TempDir temp_{"qcell-mbox"};
  const std::string root_ = temp_.path();
  DirFd dir_;
  MboxOptions options_;
};

TEST_F(MboxDelivery, FromLineQuotingAndEnding) {
  ASSERT_TRUE(deliver("Subject: one\n\nFrom here\n>From there\n>>From far\nFromage\n> From not\nFrom"));
  ASSERT_TRUE(deliver("Subject: two\n\nbody\n", ""));
  EXPECT_EQ(contents(),
            "From alice@example.org Tue Dec  2 18:26:40 2025\n"
            "Delivered-To: joe@mx.example\n"
            "Subject: one\n\n"
            ">From here\n>>From there\n>>>From far\nFromage\n> From not\nFrom\n"
            "\n"
            "From MAILER-DAEMON Tue Dec  2 18:26:40 2025\n"
            "Delivered-To: joe@mx.example\n"
            "Subject: two\n\nbody\n"
            "\n");
  struct stat st {};
  ASSERT_EQ(::stat((root_ + "/mbox").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600U);
  EXPECT_NE(::access((root_ + "/mbox.lock").c_str(), F_OK), 0) << "the dot lock is released";
  EXPECT_EQ(mbox_from_sender("a b\tc\nd"), "a-b-c-d");
}

TEST(Mboxrd, QuotesFromLinesAndEndsTheMessage) {
  EXPECT_EQ(mboxrd_quote("From a\n>From b\n>>From c\nFrom\nFromage\n>> From d\n"),
            ">From a\n>>From b\n>>>From c\nFrom\nFromage\n>> From d\n");
  EXPECT_EQ(mboxrd_quote("no newline"), "no newline\n");
  EXPECT_EQ(mboxrd_quote(">>>"), ">>>\n");
  EXPECT_EQ(mboxrd_quote("From "), ">From \n");
  EXPECT_EQ(mboxrd_quote(""), "");
  // A run of a million '>' is counted, not held.
  EXPECT_EQ(mboxrd_quote(std::string(1000000, '>') + "From x").size(), 1000000 + 7 + 1U);
}

TEST_F(MboxDelivery, PythonsMailboxReadsIt) {
  ASSERT_TRUE(deliver("Subject: one\n\nFrom here\n"));
  ASSERT_TRUE(deliver("Subject: two\n\nlast line without newline"));
  const std::string script =
      "import mailbox,sys\n"
      "b=mailbox.mbox(sys.argv[1])\n"
      "print(len(b), [m['Subject'] for m in b], repr(b[0].get_payload()), repr(b[1].get_payload()))\n";
  EXPECT_EQ(run_python(script, root_ + "/mbox"), "2 ['one', 'two'] '>From here\\n' 'last line without newline\\n'\n");
}

TEST_F(MboxDelivery, LocksMakeItWaitThenFailTemporarily) {
  ASSERT_TRUE(deliver("Subject: first\n\n"));
  // Another program holds the fcntl lock.
  UniqueFd other(::open((root_ + "/mbox").c_str(), O_RDWR | O_CLOEXEC));
  struct flock whole {};
  whole.l_type = F_WRLCK;
  whole.l_whence = SEEK_SET;
  ASSERT_EQ(::fcntl(other.get(), F_OFD_SETLK, &whole), 0);
  auto locked = deliver("Subject: second\n\n");
  ASSERT_FALSE(locked);
  EXPECT_EQ(locked.error().code, MboxErrc::locked);
  EXPECT_EQ(describe(locked.error(), "mbox"), "File has been locked for 30 seconds straight. (#4.3.0)");
  EXPECT_NE(::access((root_ + "/mbox.lock").c_str(), F_OK), 0) << "its dot lock is given back";
  other.reset();
  // Another program holds the dot lock: the same, until it is stale.
  std::ofstream(root_ + "/mbox.lock") << "";
  EXPECT_FALSE(deliver("Subject: third\n\n"));
  const timespec old_times[2] = {{options_.now - 600, 0}, {options_.now - 600, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, (root_ + "/mbox.lock").c_str(), old_times, 0), 0);
  ASSERT_TRUE(deliver("Subject: fourth\n\n"));
  EXPECT_NE(contents().find("Subject: fourth"), std::string::npos);
  EXPECT_EQ(contents().find("Subject: second"), std::string::npos);
}

TEST_F(MboxDelivery, AFailedWriteIsTruncatedBack) {
  ASSERT_TRUE(deliver("Subject: kept\n\n"));
  const std::string before = contents();
  // In a child with a file-size limit just past the current size: the
  // write fails (EFBIG), and the delivery is taken back.
  UniqueFd big = message_file("Subject: big\n\n" + std::string(100000, 'x') + "\n");
  const pid_t child = ::fork();
  if (child == 0) {
    ::signal(SIGXFSZ, SIG_IGN);
    const rlimit limit{before.size() + 100, before.size() + 100};
    if (::setrlimit(RLIMIT_FSIZE, &limit) != 0) ::_exit(2);
    auto failed = deliver_to_mbox(dir_, "mbox", "a@b", "", big.get(), options_);
    ::_exit(!failed && failed.error().code == MboxErrc::write_failed && failed.error().sys_errno == EFBIG ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_EQ(contents(), before);
}

TEST_F(MboxDelivery, OpenFailuresAreTemporaryAndNamed) {
  UniqueFd fd = message_file("x\n");
  auto failed = deliver_to_mbox(dir_, "missing/mbox", "", "", fd.get(), options_);
  ASSERT_FALSE(failed);
  EXPECT_EQ(describe(failed.error(), "missing/mbox"), "Unable to open missing/mbox: No such file or directory. (#4.2.1)");
}

}  // namespace
}  // namespace qcell
