// bounce_test.cc — where bounces go (qmail's rules, no loops), the DSN
// status of a report, and a composed bounce read both as QSBMF and, by
// Python's email package, as an RFC 3464 delivery report.
#include "core/bounce.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "test_files.h"

namespace qcell {
namespace {

BounceSettings settings() {
  BounceSettings s;
  s.bouncehost = "mx.example";
  s.doublebouncehost = "mx.example";
  return s;
}

TEST(BounceRoute, QmailsRules) {
  const BounceRoute normal = route_bounce("alice@example.org", settings());
  EXPECT_EQ(normal.kind, BounceKind::bounce);
  EXPECT_EQ(normal.sender, "");
  EXPECT_EQ(normal.recipient, "alice@example.org");
  const BounceRoute doubled = route_bounce("", settings());
  EXPECT_EQ(doubled.kind, BounceKind::double_bounce);
  EXPECT_EQ(doubled.sender, "#@[]");
  EXPECT_EQ(doubled.recipient, "postmaster@mx.example");
  EXPECT_EQ(route_bounce("#@[]", settings()).kind, BounceKind::dropped);
  EXPECT_EQ(route_bounce("list-@lists.example-@[]", settings()).recipient, "list-@lists.example");
  EXPECT_EQ(route_bounce("odd-@[]", settings()).recipient, "odd-@[]");  // no '@' before: not VERP
}

TEST(BounceStatus, FromTheReportsCode) {
  EXPECT_EQ(dsn_status("Sorry, no mailbox here by that name. (#5.1.1)"), "5.1.1");
  EXPECT_EQ(dsn_status("a (#5.2.2) b (#5.7.1)"), "5.7.1");
  EXPECT_EQ(dsn_status("Temporary failure. (#4.3.0)\nI'm not going to try again"), "5.4.7");
  EXPECT_EQ(dsn_status("no code at all"), "5.0.0");
  EXPECT_EQ(dsn_status("(#5.1.1"), "5.0.0");
  EXPECT_EQ(dsn_status("(#x.1.1) (#5.123.456)"), "5.123.456");
  EXPECT_EQ(dsn_status("(#6.1.1)"), "5.0.0");
}

const std::string original = "Received: (qmail 1 invoked by uid 1000)\nSubject: hello\n\nbody\n";

std::string whole(const BounceText& text) { return text.before + original + text.after; }

TEST(BounceText, IsQsbmfInItsBody) {
  const std::vector<FailedRecipient> failed = {
      {"nobody@mx.example", "Sorry, no mailbox here by that name. (#5.1.1)"},
      {"joe@mx.example", "This message is looping: it already has my Delivered-To line. (#5.4.6)\n\nmore\n"},
  };
  const BounceText text =
      compose_bounce(route_bounce("alice@example.org", settings()), failed, "alice@example.org", settings(),
                     1764700000, "qcellBoundary0123456789");
  const std::string message = whole(text);
  const std::size_t body = message.find("\n\n") + 2;
  EXPECT_EQ(message.substr(body, 48), "Hi. This is the qmail-send program at mx.example");
  EXPECT_NE(message.find("\n\n<nobody@mx.example>:\nSorry, no mailbox here by that name. (#5.1.1)\n\n"),
            std::string::npos);
  // A blank report line becomes "/": the paragraph stays whole.
  EXPECT_NE(message.find("<joe@mx.example>:\nThis message is looping: it already has my Delivered-To line. "
                         "(#5.4.6)\n/\nmore\n\n--- Below this line is a copy of the message.\n\n"),
            std::string::npos);
  EXPECT_EQ(message.substr(0, 37), "Date: Tue, 02 Dec 2025 18:26:40 +0000");
  EXPECT_NE(message.find("\nFrom: MAILER-DAEMON@mx.example\nTo: alice@example.org\nSubject: failure notice\n"),
            std::string::npos);
}

TEST(BounceText, DoubleBouncesSaySo) {
  const BounceText text = compose_bounce(route_bounce("", settings()), {{"alice@example.org", "(#5.1.1)"}}, "",
                                         settings(), 0, "qcellBoundary0123456789");
  EXPECT_NE(text.before.find("but the bounce bounced!"), std::string::npos);
  EXPECT_NE(text.before.find("--- Below this line is the original bounce."), std::string::npos);
  EXPECT_NE(text.before.find("To: postmaster@mx.example\n"), std::string::npos);
  EXPECT_NE(text.before.find("Return-Path: <>\n"), std::string::npos);
}

TEST(BounceText, PythonReadsADeliveryReport) {
  const BounceText text = compose_bounce(route_bounce("alice@example.org", settings()),
                                         {{"nobody@mx.example", "Sorry, no mailbox here by that name. (#5.1.1)"}},
                                         "alice@example.org", settings(), 1764700000, "qcellBoundary0123456789");
  TempDir temp("qcell-bounce");
  const std::string path = temp.path() + "/bounce";
  std::ofstream(path) << whole(text);
  const std::string script =
      "import email,sys\n"
      "m=email.message_from_binary_file(open(sys.argv[1],'rb'))\n"
      "parts=m.get_payload()\n"
      "status=parts[1].get_payload()\n"
      "print(m.get_content_type(), m.get_param('report-type'), [p.get_content_type() for p in parts])\n"
      "print(m.preamble.startswith('Hi. This is the'), status[0]['Reporting-MTA'], status[1]['Final-Recipient'],"
      " status[1]['Action'], status[1]['Status'])\n"
      "print(parts[2].get_payload()[0]['Subject'], parts[2].get_payload()[0]['Return-Path'])\n";
  EXPECT_EQ(run_python(script, path),
            "multipart/report delivery-status ['text/plain', 'message/delivery-status', 'message/rfc822']\n"
            "True dns; mx.example rfc822; nobody@mx.example failed 5.1.1\n"
            "hello <alice@example.org>\n");
}

}  // namespace
}  // namespace qcell
