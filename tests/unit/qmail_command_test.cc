// qmail_command_test.cc — a program delivery's environment, the meaning of
// its exit codes, and the sender of forwards (qmail-command(8)).
#include "core/qmail_command.h"

#include <gtest/gtest.h>

#include <set>

namespace qcell {
namespace {

LocalFacts facts() {
  LocalFacts f;
  f.sender = "alice@example.org";
  f.local = "joe-list-a-b";
  f.host = "mail.sub.example.com";
  f.user = "joe";
  f.home = "/home/joe";
  f.ext = "list-a-b";
  f.now = 1764700000;
  return f;
}

TEST(QmailCommand, EnvironmentAsQmailCommandDescribesIt) {
  const std::vector<std::string> expected = {
      "SENDER=alice@example.org",
      "NEWSENDER=joe-list-a-b-owner@mail.sub.example.com",
      "RECIPIENT=joe-list-a-b@mail.sub.example.com",
      "USER=joe",
      "HOME=/home/joe",
      "HOST=mail.sub.example.com",
      "HOST2=mail.sub.example",
      "HOST3=mail.sub",
      "HOST4=mail",
      "LOCAL=joe-list-a-b",
      "EXT=list-a-b",
      "EXT2=a-b",
      "EXT3=b",
      "EXT4=",
      "DTLINE=Delivered-To: joe-list-a-b@mail.sub.example.com\n",
      "RPLINE=Return-Path: <alice@example.org>\n",
      "UFLINE=From alice@example.org Tue Dec  2 18:26:40 2025\n",
  };
  EXPECT_EQ(command_environment(facts(), "joe-list-a-b-owner@mail.sub.example.com"), expected);
  LocalFacts with_default = facts();
  with_default.default_part = "a-b";
  with_default.sender = "";
  const auto environment = command_environment(with_default, "");
  EXPECT_NE(std::find(environment.begin(), environment.end(), "DEFAULT=a-b"), environment.end());
  EXPECT_NE(std::find(environment.begin(), environment.end(), "RPLINE=Return-Path: <>\n"), environment.end());
  EXPECT_NE(std::find(environment.begin(), environment.end(),
                      "UFLINE=From MAILER-DAEMON Tue Dec  2 18:26:40 2025\n"),
            environment.end());
}

TEST(QmailCommand, ExitCodes) {
  EXPECT_EQ(command_outcome(0), CommandOutcome::delivered);
  EXPECT_EQ(command_outcome(99), CommandOutcome::delivered_stop);
  for (int permanent : {100, 64, 65, 70, 76, 77, 78, 112}) {
    EXPECT_EQ(command_outcome(permanent), CommandOutcome::permanent) << permanent;
  }
  for (int temporary : {111, 1, 2, 75, 101, 255, -1}) {
    EXPECT_EQ(command_outcome(temporary), CommandOutcome::temporary) << temporary;
  }
}

TEST(QmailCommand, ForwardSender) {
  std::set<std::string> files;
  auto exists = [&](std::string_view name) { return files.count(std::string(name)) != 0; };
  LocalFacts f = facts();
  EXPECT_EQ(forward_sender(f, "-", exists), "alice@example.org");
  files.insert(".qmail-list-a-b-owner");
  EXPECT_EQ(forward_sender(f, "-", exists), "joe-list-a-b-owner@mail.sub.example.com");
  files.insert(".qmail-list-a-b-owner-default");
  EXPECT_EQ(forward_sender(f, "-", exists), "joe-list-a-b-owner-@mail.sub.example.com-@[]");
  // A bounce and a double bounce keep their sender.
  for (const char* sender : {"", "#@[]"}) {
    f.sender = sender;
    EXPECT_EQ(forward_sender(f, "-", exists), sender);
  }
}

}  // namespace
}  // namespace qcell
