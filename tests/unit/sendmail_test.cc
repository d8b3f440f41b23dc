// sendmail_test.cc — the sendmail front end's command line: every accepted
// and ignored option, the modes (-bm, -bp, -bs, mailq, newaliases), usage
// errors, and the qmail-inject arguments it produces.
#include "sendmail/translate.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace qcell::sendmail {
namespace {

Result<Plan, UsageError> parse(std::vector<const char*> words, std::string_view name = "/usr/sbin/sendmail") {
  return parse_command_line(name, words);
}

std::vector<std::string> translated(std::vector<const char*> words) {
  auto plan = parse(std::move(words));
  if (!plan) {
    ADD_FAILURE() << plan.error().message;
    return {};
  }
  EXPECT_EQ(plan->mode, Mode::inject);
  return inject_arguments(*plan);
}

using Words = std::vector<std::string>;

TEST(Sendmail, RecipientsFromArguments) {
  EXPECT_EQ(translated({"a@b", "c"}), (Words{"-a", "--", "a@b", "c"}));
  EXPECT_EQ(translated({}), (Words{"-a", "--"}));
}

TEST(Sendmail, DashTReadsTheHeader) {
  EXPECT_EQ(translated({"-t"}), (Words{"-H", "--"}));
  EXPECT_EQ(translated({"-t", "extra@x"}), (Words{"-H", "--", "extra@x"}));
}

TEST(Sendmail, SenderBothForms) {
  EXPECT_EQ(translated({"-f", "s@x", "r@y"}), (Words{"-a", "-f", "s@x", "--", "r@y"}));
  EXPECT_EQ(translated({"-fs@x", "r@y"}), (Words{"-a", "-f", "s@x", "--", "r@y"}));
  EXPECT_EQ(translated({"-tif", "s@x"}), (Words{"-H", "-f", "s@x", "--"}));
  EXPECT_EQ(translated({"-f", "", "r"}), (Words{"-a", "-f", "", "--", "r"}));
}

TEST(Sendmail, FullName) {
  auto separate = parse({"-F", "Joe Blow", "r"});
  ASSERT_TRUE(separate.ok());
  EXPECT_EQ(separate->full_name, "Joe Blow");
  auto joined = parse({"-FJoe", "r"});
  ASSERT_TRUE(joined.ok());
  EXPECT_EQ(joined->full_name, "Joe");
  EXPECT_EQ(inject_arguments(*joined), (Words{"-a", "--", "r"}));
}

TEST(Sendmail, IgnoredOptions) {
  EXPECT_EQ(translated({"-i",       "-oi",        "-odi", "-oem",  "-o",  "X",     "-oQ/tmp", "-v",
                        "-m",       "-x",         "-e",   "q",     "-eq", "-p",    "smtp:x",  "-B",
                        "8BITMIME", "-B8BITMIME", "-E",   "-Efoo", "-J",  "-Jbar", "-bm",     "r"}),
            (Words{"-a", "--", "r"}));
  EXPECT_EQ(translated({"-vimx", "r"}), (Words{"-a", "--", "r"}));
}

TEST(Sendmail, OptionsEnd) {
  EXPECT_EQ(translated({"--", "-t"}), (Words{"-a", "--", "-t"}));
  EXPECT_EQ(translated({"r", "-t"}), (Words{"-a", "--", "r", "-t"}));
  EXPECT_EQ(translated({"-", "r"}), (Words{"-a", "--", "-", "r"}));
}

TEST(Sendmail, Modes) {
  EXPECT_EQ(parse({"-bp"})->mode, Mode::list_queue);
  EXPECT_EQ(parse({"-b", "p"})->mode, Mode::list_queue);
  EXPECT_EQ(parse({"-bs"})->mode, Mode::smtp);
  EXPECT_EQ(parse({"-bm"})->mode, Mode::inject);
  EXPECT_EQ(parse({}, "mailq")->mode, Mode::list_queue);
  EXPECT_EQ(parse({}, "/usr/bin/mailq")->mode, Mode::list_queue);
  EXPECT_EQ(parse({}, "/usr/bin/newaliases")->mode, Mode::newaliases);
  EXPECT_EQ(parse({}, "/usr/lib/sendmail")->mode, Mode::inject);
  EXPECT_EQ(smtp_refusal, "-bs (SMTP on standard input) is not supported; use qmail-smtpd");
}

TEST(Sendmail, UsageErrors) {
  const std::string usage =
      "\nsendmail: usage: sendmail [-t] [-f sender] [-F name] [-bm | -bp] [-i] [-o option] "
      "[recipient ...]";
  auto unknown = parse({"-q"});
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().message, "unknown option -q" + usage);
  auto control = parse({"-\x01"});
  ASSERT_FALSE(control.ok());
  EXPECT_EQ(control.error().message, "unknown option -\\x01" + usage);
  auto missing = parse({"-f"});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message, "option -f needs an argument" + usage);
  auto mode = parse({"-bd"});
  ASSERT_FALSE(mode.ok());
  EXPECT_EQ(mode.error().message, "unsupported mode -bd" + usage);
  auto in_group = parse({"-tq"});
  ASSERT_FALSE(in_group.ok());
  EXPECT_EQ(in_group.error().message, "unknown option -q" + usage);
}

}  // namespace
}  // namespace qcell::sendmail
