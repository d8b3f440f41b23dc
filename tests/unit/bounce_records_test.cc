// bounce_records_test.cc — qmail-send's bounce/N records.
#include "core/bounce_records.h"

#include <gtest/gtest.h>

#include <span>
#include <string>

#include "core/limits.h"

namespace qcell {
namespace {

Result<BounceRecords, BounceRecordsError> parse(std::string_view text) {
  return parse_bounce_records(std::as_bytes(std::span(text.data(), text.size())));
}

TEST(BounceRecords, PairsRoundTrip) {
  std::string text = encode_bounce_record("joe@example.com", "Sorry, no mailbox here by that name. (#5.1.1)") +
                     encode_bounce_record("ann@example.com", "line one\nline two");
  EXPECT_EQ(text.substr(0, 17), std::string("Tjoe@example.com\0", 17));
  auto parsed = parse(text);
  ASSERT_TRUE(parsed.ok());
  ASSERT_EQ(parsed->failed.size(), 2u);
  EXPECT_EQ(parsed->failed[0].address, "joe@example.com");
  EXPECT_EQ(parsed->failed[1].report, "line one\nline two");
  EXPECT_EQ(parsed->complete_bytes, text.size());
}

TEST(BounceRecords, ANulInAReportBecomesASpace) {
  auto parsed = parse(encode_bounce_record("a@b", std::string_view("x\0y", 3)));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->failed.at(0).report, "x y");
}

TEST(BounceRecords, ACutShortPairIsLeftOut) {
  std::string whole = encode_bounce_record("a@b", "first");
  for (std::string tail : {std::string("Tc@d"), std::string("Tc@d\0", 5), std::string("Tc@d\0Dhalf", 10)}) {
    auto parsed = parse(whole + tail);
    ASSERT_TRUE(parsed.ok()) << tail;
    EXPECT_EQ(parsed->failed.size(), 1u);
    EXPECT_EQ(parsed->complete_bytes, whole.size());
  }
}

TEST(BounceRecords, RefusesRecordsOutOfOrderAndTooMuch) {
  EXPECT_EQ(parse(std::string("Da@b\0Tx\0", 8)).error(), BounceRecordsError::out_of_order);
  EXPECT_EQ(parse(std::string("Ta@b\0Tx\0", 8)).error(), BounceRecordsError::out_of_order);
  EXPECT_EQ(parse(std::string("\0", 1)).error(), BounceRecordsError::out_of_order);
  EXPECT_EQ(parse(std::string(limits::queue_record_file + 1, 'T')).error(), BounceRecordsError::too_large);
}

}  // namespace
}  // namespace qcell
