// bounce.h — qmail-send's bounces (docs/delivery.md, "Bounces"): where a
// bounce goes, and what it says.
//
// Where (qmail 1.03): a message from S bounces to S with the null sender;
// from the null sender (a bounce that bounced), a double bounce goes to
// doublebounceto@doublebouncehost with the sender "#@[]"; from "#@[]" it is
// dropped (and logged), so bounces never loop. A VERP sender
// "prefix-@host-@[]" gets its bounce at "prefix-@host".
//
// What: a MIME multipart/report (RFC 6522) with a machine-readable
// message/delivery-status part (RFC 3464), built so that the body is also a
// QSBMF bounce (djb's qmail-send bounce message format):
//
//   preamble      the QSBMF text: "Hi. This is the qmail-send program at
//                 HOST." paragraph, one paragraph per failed recipient
//                 ("<address>:" and the report, blank lines as "/"), the
//                 break paragraph "--- Below this line is a copy of the
//                 message." (for a double bounce: "...the original bounce.")
//   part 1        text/plain: the same text, for MIME readers (they do not
//                 show a preamble)
//   part 2        message/delivery-status: Reporting-MTA, then per recipient
//                 Final-Recipient, Action: failed, Status (the report's
//                 "(#5.x.x)", 5.0.0 without one, 5.4.7 for a temporary one:
//                 the message expired), Diagnostic-Code: x-qmail; the report
//   part 3        message/rfc822: Return-Path: <original sender> and the
//                 original message
//
// A QSBMF reader finds its body starting with "Hi. This is the", its
// recipient paragraphs and its break paragraph; a MIME reader finds a
// standard delivery report.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace qcell {

struct BounceSettings {
  std::string bouncefrom = "MAILER-DAEMON";
  std::string bouncehost;        // control/bouncehost (default: me)
  std::string doublebouncehost;  // control/doublebouncehost (default: me)
  std::string doublebounceto = "postmaster";
};

enum class BounceKind { bounce, double_bounce, dropped };

struct BounceRoute {
  BounceKind kind = BounceKind::bounce;
  std::string sender;     // the bounce's envelope sender: "" or "#@[]"
  std::string recipient;  // where it goes
};

BounceRoute route_bounce(std::string_view original_sender, const BounceSettings& settings);

struct FailedRecipient {
  std::string address;  // as the queue held it (the virtual prepend already stripped)
  std::string report;   // the delivery's report, e.g. "Sorry, no mailbox here by that name. (#5.1.1)"
};

// The bounce around the original message: `before` + the original
// message's bytes + `after` is the whole message to queue.
struct BounceText {
  std::string before;
  std::string after;
};

// `boundary`: a MIME boundary nobody can guess (the caller draws it from
// a random source), [A-Za-z0-9]{16,60}.
BounceText compose_bounce(const BounceRoute& route, const std::vector<FailedRecipient>& failed,
                          std::string_view original_sender, const BounceSettings& settings, std::int64_t now,
                          std::string_view boundary);

// The DSN status of a report: its last "(#d.d.d)" (class 5), "5.4.7" for a
// class-4 one (the message expired), "5.0.0" without one.
std::string dsn_status(std::string_view report);

}  // namespace qcell
