// decimal_test.cc — the shared canonical decimal parser: the accepted forms,
// every refused one, and the maximum at and past its edge.
#include "core/decimal.h"

#include <gtest/gtest.h>

namespace qcell {
namespace {

TEST(CanonicalDecimal, AcceptsOnlyCanonicalDigitsWithinTheMaximum) {
  EXPECT_EQ(parse_canonical_decimal("0"), 0u);
  EXPECT_EQ(parse_canonical_decimal("42"), 42u);
  EXPECT_EQ(parse_canonical_decimal("18446744073709551615"), UINT64_MAX);
  for (const char* bad : {"", "01", "00", "+1", "-1", " 1", "1 ", "1a", "0x1", "18446744073709551616",
                          "123456789012345678901"}) {
    EXPECT_FALSE(parse_canonical_decimal(bad)) << bad;
  }
  EXPECT_EQ(parse_canonical_decimal("255", 255), 255u);
  EXPECT_FALSE(parse_canonical_decimal("256", 255));
  EXPECT_EQ(parse_canonical_decimal("4294967295", UINT32_MAX), UINT32_MAX);
  EXPECT_FALSE(parse_canonical_decimal("4294967296", UINT32_MAX));
}

}  // namespace
}  // namespace qcell
