// utc_time.h — seconds since the epoch as a UTC calendar date and time,
// without the C library's time zone machinery (a cell has no
// /etc/localtime, and gmtime's static buffer is shared state), and the
// date formats mail uses: RFC 5322's, and the asctime form of an mbox
// "From " line.
#pragma once

#include <cstdint>
#include <string>

namespace qcell {

struct UtcTime {
  std::int64_t year = 1970;
  unsigned month = 1;    // 1..12
  unsigned day = 1;      // 1..31
  unsigned hour = 0;     // 0..23
  unsigned minute = 0;   // 0..59
  unsigned second = 0;   // 0..59
  unsigned weekday = 4;  // 0 = Sunday; 1970-01-01 was a Thursday
};

// Proleptic Gregorian; negative seconds are before 1970.
UtcTime utc_from_seconds(std::int64_t seconds) noexcept;

// "Thu, 03 Dec 2026 06:00:00 +0000"
std::string rfc5322_utc_date(std::int64_t seconds);

// "Thu Dec  3 06:00:00 2026": 24 bytes for years 1000 to 9999 (asctime's
// form, without its newline), as an mbox "From " line ends.
std::string asctime_utc(std::int64_t seconds);

}  // namespace qcell
