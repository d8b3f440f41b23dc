// smtp_reply_test.cc — qmail-remote's reader of SMTP replies and EHLO
// extensions.
#include "qmail-remote/smtp_reply.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace qcell::remote {
namespace {

using Status = ReplyParse::Status;
using namespace std::literals;

SmtpReply complete(std::string_view input) {
  ReplyParse parse = parse_smtp_reply(input);
  EXPECT_EQ(parse.status, Status::complete) << input;
  EXPECT_EQ(parse.consumed, input.size()) << input;
  return parse.reply;
}

ReplyErrc malformed(std::string_view input) {
  ReplyParse parse = parse_smtp_reply(input);
  EXPECT_EQ(parse.status, Status::malformed) << input;
  return parse.error;
}

TEST(SmtpReply, SingleAndMultiLineReplies) {
  EXPECT_EQ(complete("220 mx.example.org ESMTP\r\n"), (SmtpReply{220, {"mx.example.org ESMTP"}}));
  EXPECT_EQ(complete("250-mx.example.org\r\n250-PIPELINING\r\n250 8BITMIME\r\n"),
            (SmtpReply{250, {"mx.example.org", "PIPELINING", "8BITMIME"}}));
  // A last line of just the code, with or without CR; a continuation with no text.
  EXPECT_EQ(complete("354\r\n"), (SmtpReply{354, {""}}));
  EXPECT_EQ(complete("354\n"), (SmtpReply{354, {""}}));
  EXPECT_EQ(complete("250-\r\n250 \r\n"), (SmtpReply{250, {"", ""}}));
  // Bare LF servers are tolerated.
  EXPECT_EQ(complete("250-a\n250 b\n"), (SmtpReply{250, {"a", "b"}}));
  // The codes at the edges of the range.
  EXPECT_EQ(complete("200 x\r\n").code, 200);
  EXPECT_EQ(complete("559 x\r\n").code, 559);
}

TEST(SmtpReply, ControlBytesBecomeQuestionMarks) {
  EXPECT_EQ(complete("550 a\tb\x1b[2Jc\rd\x7f\x01\0e\xc3\xa9\r\n"sv).lines[0], "a\tb?[2Jc?d???e\xc3\xa9");
  // Only the CR right before the LF is the line end.
  EXPECT_EQ(complete("250 ok\r\r\n").lines[0], "ok?");
}

TEST(SmtpReply, PipelinedRepliesFollowInTheSameBuffer) {
  std::string_view input = "250 2.1.0 ok\r\n250-2.1.5 ok\r\n250 2.1.5 too\r\n354 go ahead\r\n";
  std::vector<int> codes;
  while (!input.empty()) {
    ReplyParse parse = parse_smtp_reply(input);
    ASSERT_EQ(parse.status, Status::complete);
    codes.push_back(parse.reply.code);
    input.remove_prefix(parse.consumed);
  }
  EXPECT_EQ(codes, (std::vector<int>{250, 250, 354}));
  EXPECT_EQ(parse_smtp_reply("221 bye\r\n220 x").consumed, 9u);
}

TEST(SmtpReply, IncompleteUntilTheLastLineEnds) {
  std::string_view full = "250-first\r\n250 second\r\n";
  for (std::size_t cut = 0; cut < full.size(); ++cut) {
    EXPECT_EQ(parse_smtp_reply(full.substr(0, cut)).status, Status::incomplete) << cut;
  }
  EXPECT_EQ(parse_smtp_reply("250\r").status, Status::incomplete);
  EXPECT_EQ(parse_smtp_reply("250-more to come\r\n").status, Status::incomplete);
}

TEST(SmtpReply, BadCodes) {
  for (std::string_view bad : {"\r\n", "25\r\n", "2\n", "abc ok\r\n", "150 x\r\n", "600 x\r\n", "260 x\r\n",
                               "25x x\r\n", " 250 x\r\n", "-250 x\r\n", "\n"}) {
    EXPECT_EQ(malformed(bad), ReplyErrc::bad_code) << bad;
  }
  // Told as soon as a wrong digit arrives.
  EXPECT_EQ(malformed("1"), ReplyErrc::bad_code);
  EXPECT_EQ(malformed("26"), ReplyErrc::bad_code);
  EXPECT_EQ(malformed("250-ok\r\nX"), ReplyErrc::bad_code);
}

TEST(SmtpReply, CodesMustNotChange) {
  EXPECT_EQ(malformed("250-a\r\n550 b\r\n"), ReplyErrc::code_changed);
  EXPECT_EQ(malformed("250-a\r\n251"), ReplyErrc::code_changed);
  // Two digits could still become the same code, or a bad one.
  EXPECT_EQ(parse_smtp_reply("250-a\r\n25").status, Status::incomplete);
}

TEST(SmtpReply, BadSeparators) {
  for (std::string_view bad : {"250x\r\n", "250\tok\r\n", "2500 ok\r\n", "250\rx\r\n", "250\r\r\n", "250_"}) {
    EXPECT_EQ(malformed(bad), ReplyErrc::bad_separator) << bad;
  }
}

TEST(SmtpReply, LineLengthLimit) {
  // "250 " + text + "\r\n" of exactly reply_line_max bytes is fine.
  std::string longest = "250 " + std::string(reply_line_max - 6, 'a') + "\r\n";
  EXPECT_EQ(complete(longest).lines[0].size(), reply_line_max - 6);
  std::string over = "250 " + std::string(reply_line_max - 5, 'a') + "\r\n";
  EXPECT_EQ(malformed(over), ReplyErrc::line_too_long);
  // A partial line is refused once it cannot end within the limit.
  std::string partial = "250-" + std::string(reply_line_max - 5, 'a');
  EXPECT_EQ(parse_smtp_reply(partial).status, Status::incomplete);
  partial += 'a';
  EXPECT_EQ(malformed(partial), ReplyErrc::line_too_long);
  EXPECT_EQ(malformed("250-ok\r\n" + partial), ReplyErrc::line_too_long);
}

TEST(SmtpReply, LineCountLimit) {
  std::string reply;
  for (std::size_t i = 1; i < reply_lines_max; ++i) reply += "250-x\r\n";
  EXPECT_EQ(complete(reply + "250 x\r\n").lines.size(), reply_lines_max);
  EXPECT_EQ(malformed(reply + "250-x\r\n"), ReplyErrc::too_many_lines);
  EXPECT_EQ(parse_smtp_reply(reply + "250-x").status, Status::incomplete);
}

TEST(SmtpReply, MalformedStaysMalformed) {
  for (std::string_view bad : {"26", "250-a\r\n251", "250x", "250\rx"}) {
    ReplyErrc error = malformed(bad);
    EXPECT_EQ(malformed(std::string(bad) + " more\r\n250 end\r\n"), error) << bad;
  }
}

TEST(SmtpReply, Summary) {
  EXPECT_EQ((SmtpReply{550, {"5.1.1 no such user", "second line text"}}).summary(),
            "550 5.1.1 no such user / second line text");
  EXPECT_EQ((SmtpReply{354, {""}}).summary(), "354");
  EXPECT_EQ(complete("421 4.3.2 bye\r\n").summary(), "421 4.3.2 bye");
}

TEST(SmtpReply, Describe) {
  for (ReplyErrc code : {ReplyErrc::bad_code, ReplyErrc::code_changed, ReplyErrc::bad_separator,
                         ReplyErrc::line_too_long, ReplyErrc::too_many_lines}) {
    EXPECT_FALSE(describe(code).empty());
    EXPECT_NE(describe(code), "unknown reply error");
  }
}

TEST(EhloFeatures, Keywords) {
  SmtpReply reply = complete(
      "250-mx.example.org says PIPELINING STARTTLS\r\n250-pipelining\r\n250-StartTLS\r\n250-8BITMIME\r\n"
      "250-SMTPUTF8\r\n250-SIZE 35882577\r\n250 ENHANCEDSTATUSCODES\r\n");
  EhloFeatures features = ehlo_features(reply);
  EXPECT_EQ(features, (EhloFeatures{true, true, true, true, true, 35882577}));
}

TEST(EhloFeatures, GreetingLineIsNotAKeyword) {
  EXPECT_EQ(ehlo_features(complete("250 PIPELINING\r\n")), EhloFeatures{});
  EXPECT_EQ(ehlo_features(complete("250-x\r\n250 PIPELININGX\r\n")), EhloFeatures{});
  EXPECT_EQ(ehlo_features(complete("250-x\r\n250 STARTTLS extra\r\n")).starttls, true);
}

TEST(EhloFeatures, SizeParameter) {
  auto size = [](std::string_view line) { return ehlo_features(SmtpReply{250, {"x", std::string(line)}}); };
  EXPECT_EQ(size("SIZE").size, true);
  EXPECT_EQ(size("SIZE").size_limit, 0u);
  EXPECT_EQ(size("size\t1000").size_limit, 1000u);
  EXPECT_EQ(size("SIZE  0").size_limit, 0u);
  EXPECT_EQ(size("SIZE 18446744073709551615").size_limit, 18446744073709551615u);
  for (std::string_view bad :
       {"SIZE 18446744073709551616", "SIZE -1", "SIZE 1e6", "SIZE 12x", "SIZE 000000000000000000001"}) {
    EhloFeatures features = size(bad);
    EXPECT_TRUE(features.size) << bad;
    EXPECT_EQ(features.size_limit, 0u) << bad;
  }
}

}  // namespace
}  // namespace qcell::remote
