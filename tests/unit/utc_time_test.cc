// utc_time_test.cc — seconds to UTC dates, checked against Python's
// datetime for the epoch, leap days, before 1970 and 2100.
#include "core/utc_time.h"

#include <gtest/gtest.h>

namespace qcell {
namespace {

TEST(UtcTime, BothFormatsAgreeWithACalendar) {
  struct Case {
    std::int64_t seconds;
    const char* rfc5322;
    const char* asctime;
  };
  const Case cases[] = {
      {0, "Thu, 01 Jan 1970 00:00:00 +0000", "Thu Jan  1 00:00:00 1970"},
      {1764700000, "Tue, 02 Dec 2025 18:26:40 +0000", "Tue Dec  2 18:26:40 2025"},
      {1709168461, "Thu, 29 Feb 2024 01:01:01 +0000", "Thu Feb 29 01:01:01 2024"},
      {-1, "Wed, 31 Dec 1969 23:59:59 +0000", "Wed Dec 31 23:59:59 1969"},
      {951782400, "Tue, 29 Feb 2000 00:00:00 +0000", "Tue Feb 29 00:00:00 2000"},
      {4102444800, "Fri, 01 Jan 2100 00:00:00 +0000", "Fri Jan  1 00:00:00 2100"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(rfc5322_utc_date(c.seconds), c.rfc5322) << c.seconds;
    EXPECT_EQ(asctime_utc(c.seconds), c.asctime) << c.seconds;
    EXPECT_EQ(asctime_utc(c.seconds).size(), 24U);
  }
  const UtcTime t = utc_from_seconds(1764700000);
  EXPECT_EQ(t.year, 2025);
  EXPECT_EQ(t.weekday, 2U);
}

}  // namespace
}  // namespace qcell
