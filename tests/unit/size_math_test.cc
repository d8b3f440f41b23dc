// size_math_test.cc — the checked size helpers at the boundaries where
// unchecked arithmetic wraps: SIZE_MAX, 2^31 and 2^32.
#include "core/size_math.h"

#include <gtest/gtest.h>

#include <cstdint>

namespace qcell {
namespace {

constexpr std::size_t two_31 = std::size_t{1} << 31;
constexpr std::size_t two_32 = std::size_t{1} << 32;

TEST(SizeMath, AddsSmallValues) {
  EXPECT_EQ(size_add(2, 3), std::optional<std::size_t>(5));
  EXPECT_EQ(size_add(0, 0), std::optional<std::size_t>(0));
}

TEST(SizeMath, AddRefusesToWrapAtSizeMax) {
  EXPECT_EQ(size_add(SIZE_MAX, 0), std::optional<std::size_t>(SIZE_MAX));
  EXPECT_FALSE(size_add(SIZE_MAX, 1));
  EXPECT_FALSE(size_add(1, SIZE_MAX));
  EXPECT_FALSE(size_add(SIZE_MAX / 2 + 1, SIZE_MAX / 2 + 1));
  EXPECT_EQ(size_add(SIZE_MAX / 2, SIZE_MAX / 2 + 1), std::optional<std::size_t>(SIZE_MAX));
}

TEST(SizeMath, AddCrosses32BitBoundariesWithoutWrapping) {
  // Where a 32-bit counter would wrap, size_t arithmetic must carry on.
  EXPECT_EQ(size_add(two_32 - 1, 1), std::optional<std::size_t>(two_32));
  EXPECT_EQ(size_add(two_31, two_31), std::optional<std::size_t>(two_32));
  EXPECT_EQ(size_add(two_31 - 1, 1), std::optional<std::size_t>(two_31));
}

TEST(SizeMath, MultipliesAndRefusesOverflow) {
  EXPECT_EQ(size_mul(0, SIZE_MAX), std::optional<std::size_t>(0));
  EXPECT_EQ(size_mul(1, SIZE_MAX), std::optional<std::size_t>(SIZE_MAX));
  EXPECT_FALSE(size_mul(2, SIZE_MAX / 2 + 1));
  EXPECT_FALSE(size_mul(two_32, two_32));
  EXPECT_EQ(size_mul(two_32, two_32 - 1), std::optional<std::size_t>(two_32 * (two_32 - 1)));
  EXPECT_EQ(size_mul(two_31, 2), std::optional<std::size_t>(two_32));
  EXPECT_EQ(size_mul(65536, 65536), std::optional<std::size_t>(two_32));
}

TEST(SizeMath, SumsListsAndStopsAtTheFirstOverflow) {
  EXPECT_EQ(size_sum({1, 2, 3}), std::optional<std::size_t>(6));
  EXPECT_EQ(size_sum({}), std::optional<std::size_t>(0));
  EXPECT_FALSE(size_sum({SIZE_MAX, 1, 0}));
  EXPECT_FALSE(size_sum({SIZE_MAX - 1, 1, 1}));
}

TEST(SizeMath, SixtyFourBitCounters) {
  EXPECT_EQ(count_add(UINT32_MAX, 1), std::optional<std::uint64_t>(std::uint64_t{1} << 32));
  EXPECT_FALSE(count_add(UINT64_MAX, 1));
  EXPECT_EQ(count_add_saturating(UINT64_MAX - 1, 5), UINT64_MAX);
  EXPECT_EQ(count_add_saturating(7, 5), 12u);
  EXPECT_EQ(to_size(std::uint64_t{1} << 32), std::optional<std::size_t>(two_32));
}

TEST(SizeMath, WorksAtCompileTime) {
  static_assert(size_add(1, 2).value() == 3);
  static_assert(!size_mul(SIZE_MAX, 2).has_value());
  SUCCEED();
}

}  // namespace
}  // namespace qcell
