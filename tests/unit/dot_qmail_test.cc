// dot_qmail_test.cc — the .qmail parser: every line type, qmail's refusals
// and qcell's stricter ones.
#include "core/dot_qmail.h"

#include <gtest/gtest.h>

#include <string>

#include "core/limits.h"

namespace qcell {
namespace {

Result<DotQmail, DotQmailError> parse(const std::string& text, bool executable = false) {
  return parse_dot_qmail(std::as_bytes(std::span(text)), executable);
}

TEST(DotQmail, EveryLineType) {
  auto parsed = parse(
      "# deliveries for joe\n"
      "./Maildir/\n"
      "/var/mail/joe\n"
      "|preline /usr/bin/procmail -t \n"
      "&fred@example.org\n"
      "mary@example.net\t\n"
      "\n"
      "./mbox");
  ASSERT_TRUE(parsed) << describe(parsed.error());
  const std::vector<DotQmailInstruction> expected = {
      {DotQmailKind::maildir, "./Maildir/", 2},
      {DotQmailKind::mbox, "/var/mail/joe", 3},
      {DotQmailKind::program, "preline /usr/bin/procmail -t", 4},
      {DotQmailKind::forward, "fred@example.org", 5},
      {DotQmailKind::forward, "mary@example.net", 6},
      {DotQmailKind::mbox, "./mbox", 8},
  };
  EXPECT_EQ(parsed->instructions, expected);
  EXPECT_FALSE(parsed->forward_only);
}

TEST(DotQmail, AnEmptyFileHasNoInstructions) {
  auto parsed = parse("");
  ASSERT_TRUE(parsed);
  EXPECT_TRUE(parsed->instructions.empty());  // the caller's default delivery applies
}

TEST(DotQmail, ABlankFirstLineIsRefused) {
  for (const char* text : {"\n./Maildir/\n", " \t\n&a@b\n", "\n"}) {
    auto parsed = parse(text);
    ASSERT_FALSE(parsed) << text;
    EXPECT_EQ(parsed.error(), (DotQmailError{DotQmailErrc::first_line_blank, 1}));
  }
  EXPECT_EQ(describe({DotQmailErrc::first_line_blank, 1}), "first line of .qmail file is blank (#4.2.1)");
}

TEST(DotQmail, ForwardOnlyFilesRefuseDeliveries) {
  auto forwards = parse("&a@example.org\nb@example.org\n# fine\n", true);
  ASSERT_TRUE(forwards);
  EXPECT_TRUE(forwards->forward_only);
  for (const char* line : {"./Maildir/", "/var/mail/x", "|cat"}) {
    auto parsed = parse(std::string("a@example.org\n") + line + "\n", true);
    ASSERT_FALSE(parsed) << line;
    EXPECT_EQ(parsed.error(), (DotQmailError{DotQmailErrc::delivery_in_forward_only, 2}));
  }
  // +list makes the lines after it forward-only; other + lines are ignored.
  auto listed = parse("./Maildir/\n+list\n|cat\n");
  ASSERT_FALSE(listed);
  EXPECT_EQ(listed.error(), (DotQmailError{DotQmailErrc::delivery_in_forward_only, 3}));
  auto other = parse("+other\n./Maildir/\n");
  ASSERT_TRUE(other);
  EXPECT_EQ(other->instructions.size(), 1U);
}

TEST(DotQmail, StricterThanQmail) {
  EXPECT_EQ(parse("./Maildir/\r\n").error(), (DotQmailError{DotQmailErrc::carriage_return, 1}));
  EXPECT_EQ(parse(std::string("a@b\n./x\0y\n", 10)).error(), (DotQmailError{DotQmailErrc::nul_byte, 2}));
  EXPECT_EQ(parse("a@b\n&\n").error(), (DotQmailError{DotQmailErrc::empty_target, 2}));
  EXPECT_EQ(parse("|  \n").error(), (DotQmailError{DotQmailErrc::empty_target, 1}));
  EXPECT_EQ(parse(std::string(limits::dot_qmail_file + 1, '#')).error(), (DotQmailError{DotQmailErrc::too_large, 0}));
  EXPECT_TRUE(parse(std::string(limits::dot_qmail_file, '#')));
}

TEST(DotQmail, EveryErrorHasAStatusCode) {
  for (DotQmailErrc code : {DotQmailErrc::too_large, DotQmailErrc::first_line_blank,
                            DotQmailErrc::delivery_in_forward_only, DotQmailErrc::nul_byte,
                            DotQmailErrc::carriage_return, DotQmailErrc::empty_target}) {
    const std::string text = describe({code, 3});
    EXPECT_NE(text.find("(#4."), std::string::npos) << text;
  }
}

}  // namespace
}  // namespace qcell
