// fd_test.cc — descriptor ownership, full read/write loops, and
// open_beneath's refusal of escapes, by openat2 and by the component walk.
#include "core/fd.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "core/byte_buffer.h"

namespace qcell {
namespace {

// A scratch directory tree:
//   root/file, root/sub/inner, root/link_out -> /etc/passwd,
//   root/sub_link -> sub, root/sub/up -> ../file
class OpenBeneath : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/qcell-fd-test-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    root_ = pattern;
    write_file(root_ + "/file", "top");
    ASSERT_EQ(::mkdir((root_ + "/sub").c_str(), 0700), 0);
    write_file(root_ + "/sub/inner", "inner");
    ASSERT_EQ(::symlink("/etc/passwd", (root_ + "/link_out").c_str()), 0);
    ASSERT_EQ(::symlink("sub", (root_ + "/sub_link").c_str()), 0);
    ASSERT_EQ(::symlink("../file", (root_ + "/sub/up").c_str()), 0);
    auto dir = open_directory(root_.c_str());
    ASSERT_TRUE(dir.ok());
    dir_ = std::move(dir.value());
  }
  void TearDown() override {
    std::string command = "rm -rf '" + root_ + "'";
    ASSERT_EQ(std::system(command.c_str()), 0);
  }
  static void write_file(const std::string& path, std::string_view text) {
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    ASSERT_TRUE(fd.valid());
    ASSERT_TRUE(write_full(fd.get(), text).ok());
  }
  std::string read_all(int fd) {
    std::vector<std::byte> data(4096);
    auto n = read_full(fd, data);
    EXPECT_TRUE(n.ok());
    return std::string(as_text(std::span<const std::byte>(data).first(n.ok() ? *n : 0)));
  }
  // Opens with every method the kernel offers, expecting the same outcome.
  void expect_open(std::string_view path, int expected_errno, std::string_view expected_content = {}) {
    std::vector<ResolveMethod> methods = {ResolveMethod::walk_only, ResolveMethod::automatic};
    if (kernel_has_openat2()) methods.push_back(ResolveMethod::openat2_only);
    for (ResolveMethod method : methods) {
      auto fd = open_beneath(dir_, path, O_RDONLY, 0, method);
      if (expected_errno == 0) {
        ASSERT_TRUE(fd.ok()) << path << " method " << static_cast<int>(method) << " errno " << fd.error();
        EXPECT_EQ(read_all(fd->get()), expected_content);
      } else {
        ASSERT_FALSE(fd.ok()) << path << " method " << static_cast<int>(method);
        EXPECT_EQ(fd.error(), expected_errno) << path << " method " << static_cast<int>(method);
      }
    }
  }
  std::string root_;
  DirFd dir_;
};

TEST_F(OpenBeneath, OpensFilesBeneathTheDirectory) {
  expect_open("file", 0, "top");
  expect_open("sub/inner", 0, "inner");
  expect_open("./sub//inner", 0, "inner");
}

TEST_F(OpenBeneath, RefusesAbsolutePathsAndDotDot) {
  expect_open("/etc/passwd", EXDEV);
  expect_open("../etc/passwd", EXDEV);
  expect_open("sub/../file", EXDEV);
  expect_open("sub/..", EXDEV);
  expect_open("", EINVAL);
}

TEST_F(OpenBeneath, RefusesSymlinksAnywhere) {
  expect_open("link_out", ELOOP);        // last component
  expect_open("sub_link/inner", ELOOP);  // intermediate component, even one that stays inside
  expect_open("sub/up", ELOOP);          // a relative symlink climbing out
}

TEST_F(OpenBeneath, MissingFilesReportEnoent) { expect_open("nope", ENOENT); }

TEST_F(OpenBeneath, CreatesFilesBeneathWithTheGivenMode) {
  for (ResolveMethod method : {ResolveMethod::walk_only, ResolveMethod::automatic}) {
    std::string name = "sub/new" + std::to_string(static_cast<int>(method));
    auto fd = open_beneath(dir_, name, O_WRONLY | O_CREAT | O_EXCL, 0640, method);
    ASSERT_TRUE(fd.ok()) << fd.error();
    struct stat st {};
    ASSERT_EQ(::fstat(fd->get(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0640u & ~0022u & 0777u);
  }
}

TEST_F(OpenBeneath, OpensSubdirectoriesAsDirFds) {
  auto sub = open_directory_beneath(dir_, "sub");
  ASSERT_TRUE(sub.ok());
  auto inner = open_beneath(*sub, "inner", O_RDONLY);
  ASSERT_TRUE(inner.ok());
  EXPECT_EQ(read_all(inner->get()), "inner");
  EXPECT_EQ(open_directory_beneath(dir_, "file").error(), ENOTDIR);
}

TEST_F(OpenBeneath, AdoptDirectoryChecksTheType) {
  UniqueFd file(::open((root_ + "/file").c_str(), O_RDONLY | O_CLOEXEC));
  EXPECT_EQ(adopt_directory(std::move(file)).error(), ENOTDIR);
  UniqueFd dir(::open(root_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  EXPECT_TRUE(adopt_directory(std::move(dir)).ok());
}

TEST(UniqueFd, ClosesOnDestructionAndMoves) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  int raw = fds[0];
  {
    UniqueFd a(fds[0]);
    UniqueFd b = std::move(a);
    EXPECT_FALSE(a.valid());  // NOLINT(bugprone-use-after-move)
    EXPECT_EQ(b.get(), raw);
  }
  EXPECT_EQ(::fcntl(raw, F_GETFD), -1);
  EXPECT_EQ(errno, EBADF);
  ::close(fds[1]);
}

TEST(FullIo, WritesAndReadsAcrossShortTransfers) {
  // 1 MiB through a 64 KiB pipe: writes and reads are necessarily short.
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  UniqueFd read_end(fds[0]);
  UniqueFd write_end(fds[1]);
  std::string payload(1 << 20, 'p');
  for (std::size_t i = 0; i < payload.size(); i += 4093) payload[i] = static_cast<char>('a' + i % 26);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    read_end.reset();
    _exit(write_full(write_end.get(), payload).ok() ? 0 : 1);
  }
  write_end.reset();
  std::vector<std::byte> got(payload.size() + 10);
  auto n = read_full(read_end.get(), got);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, payload.size()) << "read_full stops only at end of file";
  EXPECT_EQ(as_text(std::span<const std::byte>(got).first(*n)), payload);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(FullIo, ReportsErrnoOnFailure) {
  auto w = write_full(-1, std::string_view("x"));
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.error().sys_errno, EBADF);
  std::vector<std::byte> buffer(4);
  auto r = read_full(-1, buffer);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().sys_errno, EBADF);
}

TEST(FullIo, WriteToAClosedPipeIsEpipe) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  ::close(fds[0]);
  struct sigaction ignore {};
  struct sigaction old {};
  ignore.sa_handler = SIG_IGN;
  ASSERT_EQ(::sigaction(SIGPIPE, &ignore, &old), 0);
  auto w = write_full(fds[1], std::string_view("x"));
  ::sigaction(SIGPIPE, &old, nullptr);
  ::close(fds[1]);
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.error().sys_errno, EPIPE);
}

}  // namespace
}  // namespace qcell

namespace qcell {
namespace {

TEST(OpenBeneathLimits, OverlongPathsAndComponentsAreRefusedWithoutAllocating) {
  auto dir = open_directory("/tmp");
  ASSERT_TRUE(dir.ok());
  for (ResolveMethod method : {ResolveMethod::automatic, ResolveMethod::walk_only}) {
    EXPECT_EQ(open_beneath(*dir, std::string(5000, 'a'), O_RDONLY, 0, method).error(), ENAMETOOLONG);
    EXPECT_EQ(open_beneath(*dir, std::string(300, 'b') + "/x", O_RDONLY, 0, ResolveMethod::walk_only).error(),
              ENAMETOOLONG);
  }
}

}  // namespace
}  // namespace qcell

namespace qcell {
namespace {

TEST(PreadPieces, ReadsFromTheStartInPiecesUpToTheLimit) {
  UniqueFd fd(::memfd_create("pieces", MFD_CLOEXEC));
  ASSERT_TRUE(write_full(fd.get(), std::string_view("abcdefghij")));  // the offset is now at the end
  std::array<char, 4> buffer{};
  std::vector<std::string> pieces;
  auto all = pread_pieces(fd.get(), buffer, SIZE_MAX, [&](std::string_view piece) {
    pieces.emplace_back(piece);
    return true;
  });
  ASSERT_TRUE(all);
  EXPECT_TRUE(*all);
  EXPECT_EQ(pieces, (std::vector<std::string>{"abcd", "efgh", "ij"}));
  pieces.clear();
  EXPECT_TRUE(*pread_pieces(fd.get(), buffer, 6, [&](std::string_view piece) {
    pieces.emplace_back(piece);
    return true;
  }));
  EXPECT_EQ(pieces, (std::vector<std::string>{"abcd", "ef"}));
  EXPECT_FALSE(*pread_pieces(fd.get(), buffer, SIZE_MAX, [](std::string_view) { return false; }));
  UniqueFd unreadable(::open("/dev/null", O_WRONLY | O_CLOEXEC));
  auto failed = pread_pieces(unreadable.get(), buffer, SIZE_MAX, [](std::string_view) { return true; });
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().sys_errno, EBADF);
}

}  // namespace
}  // namespace qcell
