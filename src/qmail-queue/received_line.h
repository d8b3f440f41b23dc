// received_line.h — the one header line qmail-queue adds to every message.
// Built only from the broker's facts about the injector (uid, pid, origin)
// and the clock: nothing from the envelope or the message is copied into it,
// so its length is bounded by the digits of its numbers.
#pragma once

#include <ctime>
#include <string>

#include "core/queue_job.h"

namespace qcell::queue {

// The longest line received_line() can produce (two 10-digit numbers, the
// longest origin text, the date), newline included.
inline constexpr std::size_t received_line_max = 96;

// "Received: (qmail 1234 invoked by uid 1000); 23 Nov 2026 14:30:00 -0000\n",
// with "invoked by alias", "invoked from network" or "invoked for bounce"
// for those origins, as qmail-queue writes it (RFC 822 date in GMT).
std::string received_line(const QueueJob& job, std::time_t now);

}  // namespace qcell::queue
