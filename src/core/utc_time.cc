// utc_time.cc — days since 1970 to a civil date (Howard Hinnant's
// algorithm), and the two formats (utc_time.h).
#include "core/utc_time.h"

#include <cstdio>

namespace qcell {

namespace {

constexpr const char* weekdays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

}  // namespace

UtcTime utc_from_seconds(std::int64_t seconds) noexcept {
  constexpr std::int64_t seconds_per_day = 86400;
  std::int64_t days = seconds / seconds_per_day;
  std::int64_t in_day = seconds % seconds_per_day;
  if (in_day < 0) {
    in_day += seconds_per_day;
    --days;
  }
  UtcTime time;
  time.hour = static_cast<unsigned>(in_day / 3600);
  time.minute = static_cast<unsigned>(in_day / 60 % 60);
  time.second = static_cast<unsigned>(in_day % 60);
  time.weekday = static_cast<unsigned>(((days % 7) + 7 + 4) % 7);
  const std::int64_t shifted = days + 719468;
  const std::int64_t era = (shifted >= 0 ? shifted : shifted - 146096) / 146097;
  const auto day_of_era = static_cast<std::uint64_t>(shifted - era * 146097);
  const std::uint64_t year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  const std::uint64_t day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const std::uint64_t shifted_month = (5 * day_of_year + 2) / 153;  // March = 0
  time.day = static_cast<unsigned>(day_of_year - (153 * shifted_month + 2) / 5 + 1);
  time.month = static_cast<unsigned>(shifted_month < 10 ? shifted_month + 3 : shifted_month - 9);
  time.year = static_cast<std::int64_t>(year_of_era) + era * 400 + (time.month <= 2 ? 1 : 0);
  return time;
}

std::string rfc5322_utc_date(std::int64_t seconds) {
  const UtcTime t = utc_from_seconds(seconds);
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%s, %02u %s %04lld %02u:%02u:%02u +0000", weekdays[t.weekday], t.day,
                months[t.month - 1], static_cast<long long>(t.year), t.hour, t.minute, t.second);
  return buffer;
}

std::string asctime_utc(std::int64_t seconds) {
  const UtcTime t = utc_from_seconds(seconds);
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%s %s %2u %02u:%02u:%02u %lld", weekdays[t.weekday], months[t.month - 1], t.day,
                t.hour, t.minute, t.second, static_cast<long long>(t.year));
  return buffer;
}

}  // namespace qcell
