// queue_report.h — how the queue tools print what they found: qmail-qread's
// and qmail-qstat's formats, the text and JSON lines of `qcell queue`, and
// the JSON string escaping they share.
//
// Addresses and file names come from the queue and are hostile: the text
// formats replace or escape every byte that could move a terminal's cursor
// or forge a line or field; JSON output is plain ASCII with every control,
// non-ASCII and invalid byte escaped (docs/queue-tools.md).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/fd.h"
#include "core/queue_fsck.h"
#include "core/queue_scan.h"

namespace qcell::queue {

// A JSON string literal, quotes included. ASCII-only output: valid UTF-8
// becomes \uXXXX (surrogate pairs above U+FFFF), each byte of invalid UTF-8
// becomes \udcXX (a lone low surrogate, the "surrogateescape" convention, so
// the original bytes can be recovered), controls \n \t ... or \u00XX.
std::string json_string(std::string_view bytes);

// A name for a text line: printable ASCII except space and backslash as is,
// a backslash doubled, every other byte \xHH. Never contains a space.
std::string text_name(std::string_view bytes);

// qmail's rule for qmail-qread: bytes outside 32..126 become '_'.
std::string printable(std::string_view bytes);

// qmail's date for qmail-qread: "23 Nov 2026 09:05:01" (UTC, day not padded).
std::string qread_date(std::int64_t seconds);
// ISO 8601 UTC: "2026-11-23T09:05:01Z".
std::string iso_date(std::int64_t seconds);

// qmail-qread's lines for one preprocessed message:
//   "23 Nov 2026 09:05:01 GMT  #1234  567  <sender> [ bouncing]\n"
//   then "\tlocal\t<addr>\n" / "  done\tremote\t<addr>\n" per recipient.
std::string qread_lines(const Message& message);

// `qcell queue list` and `show`.
std::string message_summary(const Message& message);  // one line
std::string message_detail(const Message& message);   // several lines
std::string message_json(const Message& message);     // one JSON object and "\n"

// `qcell queue fsck`.
std::string finding_text(const Finding& finding);  // "KIND PATH ACTION\n"
std::string finding_json(const Finding& finding);  // one JSON object and "\n"

// Counts for `qcell queue count` and qmail-qstat.
struct QueueCounts {
  std::uint64_t messages = 0;   // mess/ files
  std::uint64_t todo = 0;       // todo/ files (not yet preprocessed)
  std::uint64_t injecting = 0;  // mess without todo or info
  std::uint64_t queued = 0;     // info (and mess) without todo
  std::uint64_t broken = 0;     // todo or info without mess
};
QueueCounts count_messages(const QueueIndex& index);
std::string counts_text(const QueueCounts& counts);
std::string counts_json(const QueueCounts& counts);
// qmail-qstat's two lines.
std::string qstat_text(std::uint64_t messages, std::uint64_t not_preprocessed);

// The programs, over an open queue directory: output on out_fd, warnings on
// err_fd, qmail's exit codes (0, or 111 when the queue cannot be read).
int run_qread(const DirFd& queue, int out_fd, int err_fd);
int run_qstat(const DirFd& queue, int out_fd, int err_fd);

// Opens ROOT/queue for the tools: ROOT may be any directory, but queue
// itself must be a real directory, not a symlink (errno ELOOP).
Result<DirFd, int> open_queue(const char* root);

}  // namespace qcell::queue
