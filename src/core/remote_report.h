// remote_report.h — qmail-remote's output protocol (qmail-remote(8)) and
// qmail-rspawn's reading of it, shared by qmail-remote, which writes it,
// and qmail-send, which reads it.
//
//   zero or more recipient reports, one per recipient in order:
//     'r' accepted, 'h' permanently refused, 's' temporarily refused
//   then one message report:
//     'K' delivered, 'Z' temporary failure, 'D' permanent failure
//   each report: its letter, human-readable text, '\0'.
//
// qmail-send reads the output of the qmail-remote cell, which talks to
// hostile servers and may have been subverted by one: the parser takes any
// bytes, is pure, and turns anything but a well-formed report into "no
// report", which qmail-send treats as a temporary failure.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace qcell {

enum class RemoteVerdict : std::uint8_t { success, deferral, failure };

// Bytes of a whole report that qmail-send keeps (qmail-send's report_max,
// as qmail-lspawn's 3000 for qmail-local): a longer report loses its end,
// and with it the message report.
inline constexpr std::size_t remote_report_max = 3000;

// One recipient report: 'r' (success), 's' (deferral) or 'h' (failure),
// `text` with each NUL byte replaced by '?', then '\0'.
std::string encode_remote_recipient(RemoteVerdict verdict, std::string_view text);
// The message report: 'K' (success), 'Z' (deferral) or 'D' (failure),
// `text` with each NUL byte replaced by '?', then '\0'.
std::string encode_remote_message(RemoteVerdict verdict, std::string_view text);

struct RemoteReport {
  std::vector<std::pair<RemoteVerdict, std::string>> recipients;
  RemoteVerdict message = RemoteVerdict::deferral;
  std::string message_text;
  bool operator==(const RemoteReport&) const = default;
};

// The whole output of one qmail-remote run. nullopt when there is no
// complete message report (e.g. the cell died, or its output was cut), when
// a report starts with a letter other than r h s K Z D, or when anything
// follows the message report.
std::optional<RemoteReport> parse_remote_report(std::string_view bytes);

// qmail-rspawn's verdict for the recipient at `index` (qmail-send sends one
// recipient per delivery today: index 0):
//   no report             deferral, "qmail-remote ended without a report. (#4.3.0)"
//   recipient 'r'         the message verdict (K success, Z deferral, D failure) and text
//   recipient 'h' / 's'   failure / deferral, the recipient's text then the message text
//                         (with "\n" between when the recipient's text does not end in one)
//   no recipient report   the message verdict and text
//     at `index`
std::pair<RemoteVerdict, std::string> remote_verdict(const std::optional<RemoteReport>& report, std::size_t index);

}  // namespace qcell
