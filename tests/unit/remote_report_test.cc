// remote_report_test.cc — qmail-remote's output protocol and qmail-rspawn's
// mapping of it to a delivery verdict.
#include "core/remote_report.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace qcell {
namespace {

using namespace std::literals;
using Verdict = RemoteVerdict;

TEST(RemoteReport, EncodesLettersTextAndNul) {
  EXPECT_EQ(encode_remote_recipient(Verdict::success, "ok"), "rok\0"s);
  EXPECT_EQ(encode_remote_recipient(Verdict::deferral, "later"), "slater\0"s);
  EXPECT_EQ(encode_remote_recipient(Verdict::failure, "no"), "hno\0"s);
  EXPECT_EQ(encode_remote_message(Verdict::success, "sent"), "Ksent\0"s);
  EXPECT_EQ(encode_remote_message(Verdict::deferral, "later"), "Zlater\0"s);
  EXPECT_EQ(encode_remote_message(Verdict::failure, "never"), "Dnever\0"s);
  EXPECT_EQ(encode_remote_message(Verdict::success, ""), "K\0"s);
  // A NUL in the text would end the report early.
  EXPECT_EQ(encode_remote_message(Verdict::failure, "a\0b\0"sv), "Da?b?\0"s);
}

TEST(RemoteReport, ParsesRecipientsThenMessage) {
  std::string bytes = encode_remote_recipient(Verdict::success, "r1") +
                      encode_remote_recipient(Verdict::failure, "550 no\n") +
                      encode_remote_recipient(Verdict::deferral, "451 later\n") +
                      encode_remote_message(Verdict::success, "Remote host said: 250 ok\n");
  auto report = parse_remote_report(bytes);
  ASSERT_TRUE(report.has_value());
  EXPECT_EQ(report->recipients.size(), 3u);
  EXPECT_EQ(report->recipients[0], std::make_pair(Verdict::success, "r1"s));
  EXPECT_EQ(report->recipients[1], std::make_pair(Verdict::failure, "550 no\n"s));
  EXPECT_EQ(report->recipients[2], std::make_pair(Verdict::deferral, "451 later\n"s));
  EXPECT_EQ(report->message, Verdict::success);
  EXPECT_EQ(report->message_text, "Remote host said: 250 ok\n");

  auto only_message = parse_remote_report("DSorry, no MX.\0"sv);
  ASSERT_TRUE(only_message.has_value());
  EXPECT_TRUE(only_message->recipients.empty());
  EXPECT_EQ(only_message->message, Verdict::failure);
  EXPECT_EQ(only_message->message_text, "Sorry, no MX.");
}

TEST(RemoteReport, RefusesIncompleteOrUnknown) {
  for (std::string_view bad : {""sv, "rok\0"sv, "rok\0Ksent"sv, "Ksent"sv, "xwhat\0"sv, "\0"sv, "rok\0\0K\0"sv,
                               "K\0K\0"sv, "Kok\0rlate\0"sv, "Kok\0trailing"sv, "kok\0"sv, "Rok\0Kx\0"sv}) {
    EXPECT_FALSE(parse_remote_report(bad).has_value()) << bad;
  }
}

TEST(RemoteReport, RoundTrips) {
  RemoteReport report;
  report.recipients = {{Verdict::failure, "a"}, {Verdict::success, ""}};
  report.message = Verdict::deferral;
  report.message_text = "z";
  std::string bytes = encode_remote_recipient(Verdict::failure, "a") + encode_remote_recipient(Verdict::success, "") +
                      encode_remote_message(Verdict::deferral, "z");
  EXPECT_EQ(parse_remote_report(bytes), report);
}

std::pair<Verdict, std::string> verdict_of(std::string_view bytes, std::size_t index = 0) {
  return remote_verdict(parse_remote_report(bytes), index);
}

TEST(RemoteVerdictMapping, NoReportIsADeferral) {
  EXPECT_EQ(remote_verdict(std::nullopt, 0),
            std::make_pair(Verdict::deferral, "qmail-remote ended without a report. (#4.3.0)"s));
  EXPECT_EQ(verdict_of("raccepted\0"sv).first, Verdict::deferral);
}

TEST(RemoteVerdictMapping, AcceptedRecipientTakesTheMessageVerdict) {
  EXPECT_EQ(verdict_of("r\0Kdone\0"sv), std::make_pair(Verdict::success, "done"s));
  EXPECT_EQ(verdict_of("r\0Zlost after dot\0"sv), std::make_pair(Verdict::deferral, "lost after dot"s));
  EXPECT_EQ(verdict_of("r\0Drefused data\0"sv), std::make_pair(Verdict::failure, "refused data"s));
}

TEST(RemoteVerdictMapping, RefusedRecipientKeepsItsOwnVerdict) {
  EXPECT_EQ(verdict_of("h550 no\n\0DGiving up.\n\0"sv), std::make_pair(Verdict::failure, "550 no\nGiving up.\n"s));
  EXPECT_EQ(verdict_of("h550 no\n\0Kother recipients fine\0"sv),
            std::make_pair(Verdict::failure, "550 no\nother recipients fine"s));
  EXPECT_EQ(verdict_of("s451 later\n\0Kx\0"sv), std::make_pair(Verdict::deferral, "451 later\nx"s));
  // A recipient's text without a line end gets one before the message text.
  EXPECT_EQ(verdict_of("h550 no\0DGiving up.\0"sv), std::make_pair(Verdict::failure, "550 no\nGiving up."s));
  EXPECT_EQ(verdict_of("h550 no\0D\0"sv), std::make_pair(Verdict::failure, "550 no"s));
  EXPECT_EQ(verdict_of("h\0Dmsg\0"sv), std::make_pair(Verdict::failure, "msg"s));
}

TEST(RemoteVerdictMapping, MissingRecipientReportTakesTheMessageVerdict) {
  EXPECT_EQ(verdict_of("ZConnection refused.\0"sv), std::make_pair(Verdict::deferral, "Connection refused."s));
  EXPECT_EQ(verdict_of("h1\0s2\0Dmsg\0"sv, 1), std::make_pair(Verdict::deferral, "2\nmsg"s));
  EXPECT_EQ(verdict_of("h1\0s2\0Dmsg\0"sv, 2), std::make_pair(Verdict::failure, "msg"s));
  EXPECT_EQ(verdict_of("h1\0Kmsg\0"sv, SIZE_MAX), std::make_pair(Verdict::success, "msg"s));
}

}  // namespace
}  // namespace qcell
