// received_line.cc — qmail-queue's Received: line. Inputs are trusted
// numbers from the broker; the output length is bounded.
#include "qmail-queue/received_line.h"

#include <cstdio>

namespace qcell::queue {

std::string received_line(const QueueJob& job, std::time_t now) {
  static constexpr const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::tm tm{};
  ::gmtime_r(&now, &tm);
  char who[40];
  switch (job.origin) {
    case QueueOrigin::alias: std::snprintf(who, sizeof who, "invoked by alias"); break;
    case QueueOrigin::network: std::snprintf(who, sizeof who, "invoked from network"); break;
    case QueueOrigin::bounce: std::snprintf(who, sizeof who, "invoked for bounce"); break;
    case QueueOrigin::user: std::snprintf(who, sizeof who, "invoked by uid %u", job.uid); break;
  }
  char line[received_line_max + 1];
  int n = std::snprintf(line, sizeof line, "Received: (qmail %u %s); %d %s %d %02d:%02d:%02d -0000\n", job.pid, who,
                        tm.tm_mday, months[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  if (n < 0) return {};
  return std::string(line, static_cast<std::size_t>(n) < sizeof line ? static_cast<std::size_t>(n) : sizeof line - 1);
}

}  // namespace qcell::queue
