// netstring_test.cc — netstring decoding edge cases (djb's specification and
// QMAIL.md's checklist: non-digit length, leading zeros, huge length,
// missing comma) and encoding round trips.
#include "core/netstring.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "core/limits.h"

namespace qcell {
namespace {

Result<Netstring, NetstringError> parse(std::string_view text, std::size_t max = 1000) {
  return parse_netstring(as_bytes(text), max);
}

TEST(Netstring, DecodesPayloadAndReportsConsumedBytes) {
  auto n = parse("12:hello world!,rest");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(as_text(n->payload), "hello world!");
  EXPECT_EQ(n->consumed, 16u);
}

TEST(Netstring, EmptyPayloadIsZeroColonComma) {
  auto n = parse("0:,");
  ASSERT_TRUE(n.ok());
  EXPECT_TRUE(n->payload.empty());
  EXPECT_EQ(n->consumed, 3u);
}

TEST(Netstring, PayloadMayContainAnyByte) {
  std::string text = std::string("5:") + std::string("a\0,:\n", 5) + ",";
  auto n = parse(text);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(as_text(n->payload), std::string_view("a\0,:\n", 5));
}

TEST(Netstring, PrefixesAreIncomplete) {
  for (std::string_view prefix : {"", "1", "12", "12:", "12:hello", "12:hello world!"}) {
    auto n = parse(prefix);
    ASSERT_FALSE(n.ok()) << prefix;
    EXPECT_EQ(n.error(), NetstringError::incomplete) << prefix;
  }
}

TEST(Netstring, RefusesMalformedLengths) {
  EXPECT_EQ(parse(":,").error(), NetstringError::empty_length);
  EXPECT_EQ(parse("1a:x,").error(), NetstringError::non_digit);
  EXPECT_EQ(parse("-1:x,").error(), NetstringError::non_digit);
  EXPECT_EQ(parse(" 1:x,").error(), NetstringError::non_digit);
  EXPECT_EQ(parse("+1:x,").error(), NetstringError::non_digit);
  EXPECT_EQ(parse("01:x,").error(), NetstringError::leading_zero);
  EXPECT_EQ(parse("00:,").error(), NetstringError::leading_zero);
}

TEST(Netstring, RefusesMissingComma) {
  EXPECT_EQ(parse("1:xy").error(), NetstringError::missing_comma);
  EXPECT_EQ(parse("0:;").error(), NetstringError::missing_comma);
}

TEST(Netstring, RefusesLengthsOverTheMaximumBeforeReadingThePayload) {
  EXPECT_EQ(parse("1001:", 1000).error(), NetstringError::length_too_large);
  EXPECT_EQ(parse("1000:", 1000).error(), NetstringError::incomplete);
  // Lengths that would wrap 32- and 64-bit counters are refused from the digits alone.
  EXPECT_EQ(parse("4294967296:", UINT32_MAX).error(), NetstringError::length_too_large);
  EXPECT_EQ(parse("4294967296:", SIZE_MAX).error(), NetstringError::incomplete) << "2^32 itself is a valid length";
  EXPECT_EQ(parse("18446744073709551617:", SIZE_MAX).error(), NetstringError::length_too_large);
  EXPECT_EQ(parse(std::string(100000, '9') + ":", SIZE_MAX).error(), NetstringError::length_too_large);
}

TEST(Netstring, AcceptsTheLargestTenDigitLengthWhenAllowed) {
  // 9,999,999,999 fits in ten digits; the payload is absent, so incomplete.
  EXPECT_EQ(parse("9999999999:", SIZE_MAX).error(), NetstringError::incomplete);
  EXPECT_EQ(parse("99999999999:", SIZE_MAX).error(), NetstringError::length_too_large);
}

TEST(Netstring, EncodesAndRoundTrips) {
  EXPECT_EQ(encode_netstring(""), "0:,");
  EXPECT_EQ(encode_netstring("abc"), "3:abc,");
  ByteBuffer buffer(1 << 20);
  std::string payload(70000, 'q');
  ASSERT_TRUE(append_netstring(buffer, as_bytes(payload)).ok());
  auto n = parse_netstring(buffer.bytes(), 1 << 20);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(as_text(n->payload), payload);
  EXPECT_EQ(n->consumed, buffer.size());
}

TEST(Netstring, EncodingRespectsTheBufferMaximum) {
  ByteBuffer small(5);
  auto status = append_netstring(small, as_bytes(std::string_view("abc")));
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error(), BufferError::over_maximum);
  EXPECT_TRUE(small.empty());
}

TEST(Netstring, EveryErrorHasItsOwnDescription) {
  std::set<std::string_view> seen;
  for (auto e : {NetstringError::incomplete, NetstringError::empty_length, NetstringError::non_digit,
                 NetstringError::leading_zero, NetstringError::length_too_large, NetstringError::missing_comma}) {
    EXPECT_TRUE(seen.insert(describe(e)).second);
  }
}

}  // namespace
}  // namespace qcell
