// delivery_rules_test.cc — qmail-send's retry schedule and queuelifetime,
// VERP, and qmail-local's .qmail search order.
#include "core/delivery_rules.h"

#include <gtest/gtest.h>

#include <limits>

namespace qcell {
namespace {

TEST(RetrySchedule, LocalAndRemoteFollowQmailsSquares) {
  const std::int64_t birth = 1000000;
  // The first retry after a failure right away: (0 + c)^2 after birth.
  EXPECT_EQ(next_retry(birth, birth, DeliveryChannel::local), birth + 100);
  EXPECT_EQ(next_retry(birth, birth, DeliveryChannel::remote), birth + 400);
  // Failing again at each retry time walks the ideal schedule.
  std::int64_t at = birth;
  std::vector<std::int64_t> local;
  for (int i = 0; i < 4; ++i) local.push_back((at = next_retry(birth, at, DeliveryChannel::local)) - birth);
  EXPECT_EQ(local, (std::vector<std::int64_t>{100, 400, 900, 1600}));
  at = birth;
  std::vector<std::int64_t> remote;
  for (int i = 0; i < 4; ++i) remote.push_back((at = next_retry(birth, at, DeliveryChannel::remote)) - birth);
  EXPECT_EQ(remote, (std::vector<std::int64_t>{400, 1600, 3600, 6400}));
  // A failure between the ideal times: floor(sqrt(age)) + c.
  EXPECT_EQ(next_retry(birth, birth + 150, DeliveryChannel::local), birth + 22 * 22);
}

TEST(RetrySchedule, AWeekHoldsAboutSeventySevenLocalAndThirtyEightRemoteTries) {
  const std::int64_t week = 604800;
  for (auto [channel, expected] : {std::pair{DeliveryChannel::local, 77}, std::pair{DeliveryChannel::remote, 38}}) {
    int tries = 0;
    for (std::int64_t at = 0; (at = next_retry(0, at, channel)) <= week;) ++tries;
    EXPECT_NEAR(tries, expected, 1);
  }
}

TEST(RetrySchedule, ClocksGoingBackAndFarFuturesAreSafe) {
  EXPECT_EQ(next_retry(5000, 10, DeliveryChannel::local), 5100);  // no negative age
  const std::int64_t maximum = std::numeric_limits<std::int64_t>::max();
  EXPECT_EQ(next_retry(maximum - 5, maximum, DeliveryChannel::local), maximum);
  EXPECT_EQ(next_retry(0, maximum, DeliveryChannel::remote), maximum);
  EXPECT_GT(next_retry(std::numeric_limits<std::int64_t>::min(), 0, DeliveryChannel::local), 0);
}

TEST(QueueLifetime, OnlyPastTheLifetime) {
  EXPECT_FALSE(past_queuelifetime(0, 604800, 604800));
  EXPECT_TRUE(past_queuelifetime(0, 604801, 604800));
  EXPECT_FALSE(past_queuelifetime(100, 50, 0));
}

TEST(Verp, SenderAddTurnsTheRecipientIntoTheSender) {
  EXPECT_EQ(verp_sender("owner-@lists.example-@[]", "joe@far.example"), "owner-joe=far.example@lists.example");
  EXPECT_EQ(verp_sender("owner-@lists.example-@[]", "a@b@c.example"), "owner-a@b=c.example@lists.example");
  // Not the VERP form, or a recipient without '@': unchanged.
  for (const char* sender : {"owner@lists.example", "", "#@[]", "-@[]", "x-@[]"}) {
    EXPECT_EQ(verp_sender(sender, "joe@far.example"), sender) << sender;
  }
  EXPECT_EQ(verp_sender("owner-@lists.example-@[]", "nohost"), "owner-@lists.example-@[]");
}

TEST(DotQmailSearch, TheOrderQmailLocalTries) {
  EXPECT_EQ(dot_qmail_candidates("", ""), (std::vector<DotQmailCandidate>{{".qmail", false, ""}}));
  const std::vector<DotQmailCandidate> expected = {
      {".qmail-a-b-c", false, ""},
      {".qmail-a-b-default", true, "C"},
      {".qmail-a-default", true, "B-C"},
      {".qmail-default", true, "a-B-C"},
  };
  EXPECT_EQ(dot_qmail_candidates("-", "a-B-C"), expected);
  // An ext ending in '-' has an empty $DEFAULT at full length.
  EXPECT_EQ(dot_qmail_candidates("-", "list-")[1], (DotQmailCandidate{".qmail-list-default", true, ""}));
  // Dots become colons: no candidate can name another dot file or "..".
  EXPECT_EQ(dot_qmail_candidates("-", "..x")[0].name, ".qmail-::x");
  EXPECT_EQ(safe_extension("Foo.Bar"), "foo:bar");
  // The alias user's file for a whole local part.
  EXPECT_EQ(dot_qmail_candidates("-", "postmaster")[0].name, ".qmail-postmaster");
}

}  // namespace
}  // namespace qcell
