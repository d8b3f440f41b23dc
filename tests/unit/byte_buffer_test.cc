// byte_buffer_test.cc — ByteBuffer's hard maximum and growth at the
// boundaries where unchecked arithmetic wraps (SIZE_MAX, 2^31, 2^32).
#include "core/byte_buffer.h"

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

namespace qcell {
namespace {

TEST(ByteBuffer, AppendsUpToTheMaximumAndNoFurther) {
  ByteBuffer buffer(10);
  ASSERT_TRUE(buffer.append(std::string_view("0123456789")).ok());
  EXPECT_EQ(buffer.view(), "0123456789");
  auto over = buffer.append(std::string_view("x"));
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error(), BufferError::over_maximum);
  EXPECT_EQ(buffer.size(), 10u) << "a refused append leaves the buffer unchanged";
  EXPECT_LE(buffer.capacity(), 10u) << "growth never passes the maximum";
}

TEST(ByteBuffer, ZeroMaximumHoldsNothing) {
  ByteBuffer buffer(0);
  EXPECT_TRUE(buffer.append(std::string_view("")).ok());
  EXPECT_EQ(buffer.push_back(std::byte{1}).error(), BufferError::over_maximum);
}

TEST(ByteBuffer, GrowthIsGeometricButCappedAtTheMaximum) {
  ByteBuffer buffer(100000);
  std::string chunk(1000, 'a');
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(buffer.append(chunk).ok());
  EXPECT_EQ(buffer.size(), 100000u);
  EXPECT_EQ(buffer.capacity(), 100000u);
}

TEST(ByteBuffer, SizeOverflowIsAnErrorNotAWrap) {
  // size() + extra past SIZE_MAX must be refused before any allocation.
  ByteBuffer buffer(SIZE_MAX);
  ASSERT_TRUE(buffer.append(std::string_view("abc")).ok());
  auto wrap = buffer.reserve_more(SIZE_MAX - 1);
  ASSERT_FALSE(wrap.ok());
  EXPECT_EQ(wrap.error(), BufferError::size_overflow);
  EXPECT_EQ(buffer.view(), "abc");
}

TEST(ByteBuffer, ReservationsAtThirtyTwoBitBoundariesAreCheckedAgainstTheMaximum) {
  ByteBuffer buffer(std::size_t{1} << 20);
  for (std::size_t extra :
       {std::size_t{1} << 31, (std::size_t{1} << 32) - 1, std::size_t{1} << 32, (std::size_t{1} << 32) + 1, SIZE_MAX}) {
    auto result = buffer.reserve_more(extra);
    ASSERT_FALSE(result.ok()) << extra;
    EXPECT_EQ(result.error(), BufferError::over_maximum) << extra;
  }
  EXPECT_EQ(buffer.capacity(), 0u) << "nothing was allocated for refused sizes";
}

TEST(ByteBuffer, AllocationFailureIsACleanError) {
  // Under a 256 MiB address-space limit, a 1 GiB reservation within the
  // owner's maximum must fail as out_of_memory, not crash.
  // (Skipped under AddressSanitizer, which reserves terabytes of shadow.)
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "RLIMIT_AS cannot be lowered under AddressSanitizer";
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
  GTEST_SKIP() << "RLIMIT_AS cannot be lowered under AddressSanitizer";
#endif
#endif
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    struct rlimit limit {
      256UL << 20, 256UL << 20
    };
    if (::setrlimit(RLIMIT_AS, &limit) != 0) _exit(10);
    ByteBuffer buffer(std::size_t{1} << 32);
    auto result = buffer.reserve_more(std::size_t{1} << 30);
    _exit(!result.ok() && result.error() == BufferError::out_of_memory ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(ByteBuffer, ConsumeFrontAndSpareCommit) {
  ByteBuffer buffer(64);
  ASSERT_TRUE(buffer.append(std::string_view("hello world")).ok());
  buffer.consume_front(6);
  EXPECT_EQ(buffer.view(), "world");
  ASSERT_TRUE(buffer.reserve_more(3).ok());
  auto spare = buffer.spare();
  ASSERT_GE(spare.size(), 3u);
  spare[0] = std::byte{'!'};
  buffer.commit(1);
  EXPECT_EQ(buffer.view(), "world!");
}

TEST(ByteBuffer, MovesTransferOwnership) {
  ByteBuffer a(16);
  ASSERT_TRUE(a.append(std::string_view("abc")).ok());
  ByteBuffer b = std::move(a);
  EXPECT_EQ(b.view(), "abc");
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): moved-from state is specified
  b.release();
  EXPECT_EQ(b.capacity(), 0u);
}

TEST(ByteBuffer, EveryErrorIsDescribed) {
  EXPECT_NE(describe(BufferError::over_maximum), describe(BufferError::size_overflow));
  EXPECT_NE(describe(BufferError::size_overflow), describe(BufferError::out_of_memory));
}

}  // namespace
}  // namespace qcell
